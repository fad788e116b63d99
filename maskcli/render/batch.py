"""A batch on the terminal: per sequence a token table, then the padding, causal and combined grids.

Wide sequences never wrap: the grids go side by side when they fit, stacked when they do not,
and a sequence too long for even one grid is shown through a token window (``--range``) with a
note naming the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from maskcli.document import sequence_masks, special_tokens_mask
from maskcli.records import Row
from maskcli.masks import fully_masked_rows
from maskcli.render.grids import GridStyle, grid_lines, grid_width, legend, side_by_side
from maskcli.tokenizer import TokenizerHandle


@dataclass(frozen=True)
class View:
    """What part of each sequence to draw and how densely."""

    token_range: tuple[int, int | None] | None = None
    compact: bool = False
    masks: Any = None  # a maskcli.mask_request.MaskRequest: draw those masks instead of the default three


def printable(token: str) -> str:
    """A token string with whitespace and control characters made visible."""
    return "".join(ch if ch.isprintable() and ch != " " else repr(ch)[1:-1] if ch != " " else "␠" for ch in token)


def token_table(tok: TokenizerHandle, seq: Row, window: tuple[int, int]) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("#", justify="right", style="bright_black")
    table.add_column("token", no_wrap=True, overflow="ellipsis", max_width=32)
    table.add_column("id", justify="right")
    table.add_column("", no_wrap=True)
    start, stop = window
    tokens = tok.tokens(seq.input_ids[start:stop])
    special = special_tokens_mask(tok, seq)
    for i, token in zip(range(start, stop), tokens):
        token_id = int(seq.input_ids[i])
        if not seq.attention_mask[i]:
            kind = Text("pad", style="red")
        elif special[i]:
            kind = Text("special", style="cyan")
        else:
            kind = Text("")
        table.add_row(str(i), printable(token), str(token_id), kind)
    return table


def fit_window(length: int, width: int, view: View, style: GridStyle) -> tuple[int, int]:
    """The token window to draw: ``--range`` when given, else as many tokens as the width allows."""
    if view.token_range is not None:
        start, stop = view.token_range
        stop = length if stop is None else min(stop, length)
        return min(start, stop), stop
    stop = length
    while stop > 1 and grid_width(0, stop, style) > width:
        stop -= 1
    return 0, stop


def render_sequence(
    console: Console, tok: TokenizerHandle, index: int, seq: Row, view: View, ascii_only: bool
) -> None:
    length = len(seq.input_ids)
    pads = length - seq.num_tokens
    facts = [f"{length} tokens", f"{seq.num_tokens} real", f"{pads} pad"]
    if seq.truncated:
        facts.append("truncated")
    console.print(Text(f"sequence {index}", style="bold") + Text(" · " + ", ".join(facts), style="bright_black"))
    if length == 0:
        console.print(Text("  (no tokens)", style="bright_black"))
        return
    style = GridStyle(compact=view.compact, ascii=ascii_only)
    window = fit_window(length, console.width, view, style)
    if window[1] - window[0] < length:
        console.print(
            Text(
                f"showing tokens {window[0]}:{window[1]} of {length}; zoom with --range A:B"
                + ("" if view.compact else " or fit more with --compact"),
                style="yellow",
            )
        )
    console.print(token_table(tok, seq, window))
    if view.masks is None:
        grids, notes = default_grids(seq, window, style)
    else:
        from maskcli.render.kinds import requested_grids

        grids, notes = requested_grids(seq, view.masks, window, style)
    width = grid_width(*window, style)
    fits = len(grids) * width + 3 * (len(grids) - 1) <= console.width
    lines = side_by_side(grids) if fits else [line for g in grids for line in g + [Text()]]
    for line in lines:
        console.print(line, no_wrap=True, overflow="crop", crop=True)
    for note in notes:
        console.print(note)


def default_grids(seq: Row, window: tuple[int, int], style: GridStyle) -> tuple[list[list[Text]], list[Text]]:
    """The padding, causal and combined grids, and the NaN note."""
    masks = sequence_masks(seq)
    grids = [
        grid_lines(name, mask, seq.attention_mask, window, style, uses_padding=name != "causal")
        for name, mask in masks.items()
    ]
    empty = fully_masked_rows(masks["combined"]).tolist()
    message = f"query rows {empty} attend to nothing: softmax over no key gives NaN"
    notes = [Text(message, style="yellow")] if empty else []
    return grids, notes


def render_batch(
    console: Console, tok: TokenizerHandle, sequences: Sequence[Row], view: View
) -> None:
    ascii_only = not (console.encoding or "").lower().startswith("utf")
    console.print(
        Text(f"tokenizer {tok.name} ({tok.class_name})", style="bold")
        + Text(
            f" · pad {tok.pad_token!r} ({tok.pad_token_id}) · eos {tok.eos_token!r} ({tok.eos_token_id})",
            style="bright_black",
        )
    )
    console.print(Text(legend(GridStyle(ascii=ascii_only)), style="bright_black"))
    for index, seq in enumerate(sequences):
        console.print()
        render_sequence(console, tok, index, seq, view, ascii_only)
