"""A batch on the terminal: per sequence a token table, then the padding, causal and combined grids.

Wide sequences never wrap: the grids go side by side when they fit, stacked when they do not,
and a sequence too long for even one grid is shown through a token window (``--range``) with a
note naming the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from rich.console import Console
from rich.text import Text

from maskcli.data.facts import RowFacts
from maskcli.data.records import Row
from maskcli.data.tokenizer import TokenizerHandle
from maskcli.render.grids import (GridStyle, ascii_only, fit_width, grid_width, legend, mask_grid, printable, range_text,
                                  side_by_side, token_window)
from maskcli.show.analysis import RowAnalysis
from maskcli.show.lints import empty_rows_message


class View(NamedTuple):
    """What part of each sequence to draw and how densely."""

    token_range: tuple[int, int | None] | None = None
    compact: bool = False
    masks: Any = None  # a maskcli.show.request.MaskRequest: draw those masks instead of the default three
    layers: int | None = None  # --layers K: each mask's reach after K layers beside it


def token_table(seq: Row, facts: RowFacts, window: tuple[int, int]) -> Text:
    """Index, token, (decoded text,) id and kind, plus role / label / position / document columns when
    the row has them. The ``text`` column appears when some token reads differently from its piece
    (``ãģĵãĤĵ`` is ``こん``), not for the space markers ``Ġ``/``▁`` alone."""
    columns = [("#", "right"), ("token", "left")]
    extra = []
    if reads_differently(facts.tokens, facts.texts):
        columns.append(("text", "left"))
        extra.append(lambda i: Text(printable(facts.texts[i]) if facts.texts[i] else "·" if facts.tokens[i] else "",
                                    style="" if facts.texts[i] else "bright_black"))
    columns.append(("id", "right"))
    extra.append(lambda i: Text(str(int(seq.input_ids[i]))))
    if seq.roles is not None:
        columns.append(("role", "left"))
        extra.append(lambda i: Text(str(seq.roles[i] or ""), style=ROLE_STYLES.get(seq.roles[i], "")))
    if seq.labels is not None and facts.trained is not None:
        columns.append(("label", "right"))
        extra.append(lambda i: Text(str(seq.labels[i]), style="bold green") if facts.trained[i]
                     else Text("-100", style="bright_black"))
    if facts.position_ids is not None and len(facts.position_ids) == len(seq):
        columns.append(("pos*" if facts.positions_derived else "pos", "right"))
        extra.append(lambda i: Text(str(facts.position_ids[i])))
    if facts.documents is not None:
        columns.append(("doc", "right"))
        extra.append(lambda i: Text(str(facts.documents[i]), style="magenta"))
    columns.append(("", "left"))
    rows = []
    for i in range(*window):
        token = facts.tokens[i]
        if not seq.attention_mask[i]:
            kind = Text("pad", style="red")
        elif facts.special_id[i] or facts.special_tokens_mask[i]:
            kind = Text("special", style="cyan")
        else:
            kind = Text("")
        if facts.documents is not None and i and facts.documents[i] != facts.documents[i - 1]:
            kind.append(" ← new document", style="magenta")
        if facts.disagreement is not None and i in facts.disagreement.masked_real:
            kind.append(" masked real token!", style="bold yellow")
        if facts.disagreement is not None and i in facts.disagreement.attended_pad:
            kind.append(" attended pad!", style="bold yellow")
        label = Text("<not in vocabulary>", style="bold red") if token is None else Text(printable(token))
        label.truncate(TOKEN_WIDTH, overflow="ellipsis")
        rows.append([Text(str(i), style="bright_black"), label, *(cell(i) for cell in extra), kind])
    return aligned(columns, rows)


ROLE_STYLES = {"system": "blue", "user": "cyan", "assistant": "bold magenta", "tool": "yellow", "prompt": "cyan",
               "completion": "bold magenta"}
SPACE_MARKERS = str.maketrans({"Ġ": " ", "▁": " ", "Ċ": "\n", "ĉ": "\t"})


def reads_differently(tokens: Sequence[str | None], texts: Sequence[str]) -> bool:
    """Whether some token's decoded text is not just its piece, up to space markers and the spaces
    a decoder puts between pieces: ``["Ġcat"], [" cat"]`` -> False, ``["ãģĵ"], ["こ"]`` -> True."""
    return any(token is not None and token.translate(SPACE_MARKERS).strip() != text.strip()
               for token, text in zip(tokens, texts))


TOKEN_WIDTH = 32


def aligned(columns: list[tuple[str, str]], rows: list[list[Text]], gap: int = 2) -> Text:
    """A borderless table as one Text: bold headers, each column padded to its widest cell.

    Much cheaper to print than a rich ``Table`` (one render for the whole table), which matters
    when a file of many rows is shown.
    """
    cells = [[Text(title, style="bold") for title, _ in columns], *rows]
    widths = [max(row[j].cell_len for row in cells) for j in range(len(columns))]
    lines = []
    for row in cells:
        line = Text()
        for j, (cell, width, (_, justify)) in enumerate(zip(row, widths, columns)):
            if j:
                line.append(" " * gap)
            room = " " * (width - cell.cell_len)
            if justify == "right":
                line.append(room)
            line.append_text(cell)
            if justify != "right":
                line.append(room)
        line.rstrip()
        lines.append(line)
    return Text("\n").join(lines)


def row_notes(seq: Row, facts: RowFacts, tok_has_no_pad: bool) -> list[Text]:
    """One-line observations under the grids."""
    notes = []
    if facts.trained is not None:
        real = seq.attention_mask.astype(bool)
        trained_real = int((facts.trained & real).sum())
        line = f"labels: {trained_real} of {int(real.sum())} real tokens trained (-100 elsewhere)"
        if facts.final_eos_trained is not None:
            line += "; final EOS " + ("trained" if facts.final_eos_trained else "NOT trained: the model never learns to stop")
        notes.append(Text(line, style="yellow" if facts.final_eos_trained is False else "bright_black"))
    if seq.labels_from is not None:
        from maskcli.sft.rows import describe_trained, trained_by_role  # only rows with labels

        notes.append(Text(f"trained by role ({seq.labels_from}): {describe_trained(trained_by_role([seq]))}"
                          + completion_start(seq), style="bright_black"))
    if facts.positions_derived:
        notes.append(Text("pos*: position ids derived as generate() does: cumsum(mask) - 1, pads 0", style="bright_black"))
    if seq.pretokenized and not seq.given_attention_mask:
        notes.append(Text("no attention_mask in the record: no token is padding", style="bright_black"))
    if seq.pretokenized and tok_has_no_pad and not seq.attention_mask.all():
        notes.append(Text("the tokenizer has no pad token: pass --pad-token (e.g. eos) to check the mask "
                          "against the pad tokens", style="bright_black"))
    if facts.disagreement:
        notes.append(Text(
            f"attention_mask disagrees with the pad tokens: masked real tokens "
            f"{facts.disagreement.masked_real.tolist()}, attended pad tokens {facts.disagreement.attended_pad.tolist()}",
            style="bold yellow",
        ))
    return notes


def completion_start(seq: Row) -> str:
    """``; the completion starts at token 12`` for prompt/completion rows (roles prompt, completion)."""
    roles = list(seq.roles or ())
    if "prompt" not in roles or "completion" not in roles:
        return ""
    return f"; the completion starts at token {roles.index('completion')}"


def fit_window(length: int, width: int, view: View, style: GridStyle) -> tuple[int, int]:
    """The token window to draw: ``--range`` when given, else as many tokens as the width allows."""
    start, stop = token_window(length, view.token_range) if view.token_range is not None else (0, length)
    return fit_width(start, stop, width, style)


def render_sequence(
    console: Console, tok: TokenizerHandle, index: int, analysis: RowAnalysis, view: View, ascii_glyphs: bool
) -> None:
    seq = analysis.row
    length = len(seq.input_ids)
    pads = length - seq.num_tokens
    summary = [str(seq.source), seq.shape, f"{length} tokens", f"{seq.num_tokens} real", f"{pads} pad"]
    if seq.truncated:
        summary.append("truncated")
    headline = Text(f"sequence {index}", style="bold") + Text(" · " + ", ".join(summary), style="bright_black")
    if length == 0:
        console.print(headline)
        console.print(Text("  (no tokens)", style="bright_black"))
        return
    if view.token_range is not None and view.token_range[0] >= length:
        console.print(headline)
        console.print(Text(f"  --range {range_text(view.token_range)} starts after this row's last token (0:{length})",
                           style="yellow"))
        return
    style = GridStyle(compact=view.compact, ascii=ascii_glyphs)
    window = fit_window(length, console.width, view, style)
    if view.masks is None:
        grids, notes = default_grids(analysis, window, style)
    else:
        from maskcli.render.kinds import requested_grids

        grids, notes = requested_grids(analysis, view.masks, window, style, view.layers)
    console.print(headline)  # after the grids are built: a mask too large to draw prints nothing of its row
    if window[1] - window[0] < length:
        console.print(
            Text(
                f"showing tokens {window[0]}:{window[1]} of {length}; zoom with --range A:B"
                + ("" if view.compact else " or fit more with --compact"),
                style="yellow",
            )
        )
    facts = analysis.facts
    console.print(token_table(seq, facts, window))
    width = grid_width(*window, style)
    fits = len(grids) * width + 3 * (len(grids) - 1) <= console.width
    lines = side_by_side(grids) if fits else [line for g in grids for line in g + [Text()]]
    console.print(Text("\n").join(lines), no_wrap=True, overflow="crop", crop=True)  # one render, not one per line
    for note in notes + row_notes(seq, facts, tok.pad_token_id is None):
        console.print(note)


def default_grids(analysis: RowAnalysis, window: tuple[int, int], style: GridStyle) -> tuple[list[list[Text]], list[Text]]:
    """The padding, causal and combined grids, and the NaN note."""
    am = analysis.row.attention_mask
    grids = [mask_grid(item, am, window, style) for item in analysis.drawn()]
    empty = analysis.mask("combined").empty_rows
    notes = [Text(empty_rows_message(empty), style="yellow")] if len(empty) else []
    return grids, notes + [Text(f"{lint.code}: {lint.message}", style="yellow") for lint in analysis.lints]


def _token(token: str | None, token_id: int | None) -> str:
    return "none" if token is None else f"{token!r} ({token_id})"


def render_header(console: Console, tok: TokenizerHandle) -> None:
    """Tokenizer and legend, once per output."""
    console.print(
        Text(f"tokenizer {tok.name} ({tok.class_name}, loaded by {tok.loader})", style="bold")
        + Text(
            f" · pad {_token(tok.pad_token, tok.pad_token_id)} · eos {_token(tok.eos_token, tok.eos_token_id)}",
            style="bright_black",
        )
    )
    console.print(Text(legend(GridStyle(ascii=ascii_only(console))), style="bright_black"))


def render_batch(console: Console, tok: TokenizerHandle, rows: Sequence[RowAnalysis], view: View, title: str = "") -> None:
    if title:
        console.print()
        console.rule(Text(title, style="bold"), align="left")
    for index, analysis in enumerate(rows):
        console.print()
        render_sequence(console, tok, index, analysis, view, ascii_only(console))
