"""Mask matrices as lines of rich ``Text``: one glyph per cell, legible without colour.

Each cell says why a query may or may not see a key:

    ■ attend     · blocked by causality     × blocked by padding

The glyph alone carries the meaning (NO_COLOR, pipes); colour only repeats it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from rich.text import Text

from maskcli.errors import InputError

ATTEND, CAUSAL, PAD = 0, 1, 2
GLYPHS = {"unicode": ("■", "·", "×"), "ascii": ("#", ".", "x")}
STYLES = ("green", "bright_black", "red")
ROW_PAD, ROW_EMPTY = "P", "!"
LABEL_WIDTH = 12


class GridStyle(NamedTuple):
    compact: bool = False
    ascii: bool = False

    @property
    def cell_width(self) -> int:
        return 1 if self.compact else 2

    @property
    def glyphs(self) -> tuple[str, str, str]:
        return GLYPHS["ascii" if self.ascii else "unicode"]


def cell_states(mask: np.ndarray, key_is_real: np.ndarray | None) -> np.ndarray:
    """Per cell: ATTEND, or why it is blocked.

    A blocked cell whose key is padding counts as blocked by padding (padding wins over
    causality when both apply); ``key_is_real=None`` for masks that ignore padding.
    """
    states = np.where(mask, ATTEND, CAUSAL)
    if key_is_real is None:
        return states
    return np.where(~mask & ~key_is_real.astype(bool)[None, :], PAD, states)


def printable(token: str) -> str:
    """A token string with whitespace and control characters made visible."""
    return "".join(ch if ch.isprintable() and ch != " " else repr(ch)[1:-1] if ch != " " else "␠" for ch in token)


def label_width(start: int, stop: int) -> int:
    return len(str(max(stop - 1, 0))) + 2


def grid_width(start: int, stop: int, style: GridStyle) -> int:
    return label_width(start, stop) + (stop - start) * style.cell_width


def grid_lines(
    title: str,
    mask: np.ndarray,
    attention_mask: np.ndarray,
    window: tuple[int, int],
    style: GridStyle,
    uses_padding: bool = True,
    rows: np.ndarray | None = None,
    offset: int = 0,
    labels: Sequence[str] | None = None,
    empty: np.ndarray | None = None,
) -> list[Text]:
    """The lines of one grid over tokens ``window = (start, stop)``, column headers included.

    Row labels carry ``P`` for a pad query and ``!`` for a query that can attend to nothing
    (``empty``: those queries, known from the whole row when ``mask`` is only a window of it).
    ``rows`` names the query index of each mask row (default ``offset..``; a KV cache's queries
    are the last keys, ``--q-offset``). The mask's columns (and ``attention_mask``) are the keys
    from ``offset`` on, so a window of a long mask is drawn from just that window's cells;
    ``labels`` (one per position) are printed after each row's index.
    """
    mask = np.asarray(mask, dtype=bool)
    rows = np.arange(offset, offset + len(mask)) if rows is None else np.asarray(rows)
    states = cell_states(mask, attention_mask if uses_padding else None)
    am = np.asarray(attention_mask)
    sees_nothing = (~mask.any(axis=-1) if empty is None else np.isin(rows, empty)).tolist()
    markers = [
        ROW_EMPTY if sees_nothing[i] else (ROW_PAD if 0 <= q - offset < len(am) and not am[q - offset] else " ")
        for i, q in enumerate(rows)
    ]
    return state_grid_lines(title, states, markers, rows, window, style, style.glyphs, STYLES, offset, labels)


def mask_grid(item, attention_mask: np.ndarray, window: tuple[int, int], style: GridStyle) -> list[Text]:
    """The grid of one mask of a row (a :class:`~maskcli.show.analysis.MaskResult`) over the tokens
    ``window``, built from that window's cells only."""
    start, stop = window
    panel = item.panel
    rows = panel.query_rows
    return grid_lines(panel.title, panel.window(start, stop), attention_mask[start:stop], window, style,
                      uses_padding=panel.key_valid is not None, rows=rows[(rows >= start) & (rows < stop)],
                      offset=start, empty=item.empty_rows)


def row_tag(labels: Sequence[str], q: int, width: int) -> str:
    text = printable(str(labels[q]))
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)


def state_grid_lines(
    title: str,
    states: np.ndarray,
    markers: list[str],
    rows: np.ndarray,
    window: tuple[int, int],
    style: GridStyle,
    glyphs: tuple[str, ...],
    styles: tuple[str, ...],
    offset: int = 0,
    labels: Sequence[str] | None = None,
) -> list[Text]:
    """A grid of per-cell ``states`` (indices into ``glyphs``/``styles``; column j is key
    ``offset + j``) over key ``window``; only the rows whose query index lies in the window are drawn."""
    start, stop = window
    shown = [i for i, q in enumerate(rows) if start <= q < stop]
    tag = min(LABEL_WIDTH, max((len(printable(str(labels[rows[i]]))) for i in shown), default=0)) if labels else 0
    lw = label_width(start, stop) + (tag + 1 if tag else 0)
    width = lw + (stop - start) * style.cell_width
    digits = len(str(max(stop - 1, 0)))
    lines = [Text(title.ljust(width), style="bold")]
    numbers = [str(k).rjust(digits) for k in range(start, stop)]
    for place in range(digits):
        header = Text(" " * lw)
        header.append("".join(n[place].ljust(style.cell_width) for n in numbers), style="bright_black")
        lines.append(header)
    for i in shown:
        q, marker = rows[i], markers[i]
        line = Text(str(q).rjust(digits), style="bright_black")
        if tag:
            line.append(" " + row_tag(labels, q, tag))
        line.append(f"{marker} ", style="bold yellow" if marker != " " else "")
        cells = states[i, start - offset:stop - offset]
        bounds = [0, *(np.flatnonzero(np.diff(cells)) + 1).tolist(), len(cells)]
        for begin, end in zip(bounds, bounds[1:]):  # one span per run of equal cells: fast to print
            if end > begin:
                state = cells[begin]
                line.append(glyphs[state].ljust(style.cell_width) * (end - begin), style=styles[state])
        lines.append(line)
    return lines


def legend(style: GridStyle, present: set[str] | None = None, blocked: str = "blocked by causality") -> str:
    """The glyphs' meanings; ``present`` (cell states ATTEND/CAUSAL/PAD and row markers P/!) keeps
    only those drawn, e.g. ``legend(style, {ATTEND, ROW_EMPTY})`` -> ``■ attend  ! sees no key (NaN)``;
    ``blocked`` says why a CAUSAL cell is blocked where that is not causality (Swin: "another window")."""
    attend, causal, pad = style.glyphs
    entries = [(ATTEND, f"{attend} attend"), (CAUSAL, f"{causal} {blocked}"), (PAD, f"{pad} blocked by padding"),
               (ROW_PAD, f"{ROW_PAD} pad query"), (ROW_EMPTY, f"{ROW_EMPTY} sees no key (NaN)")]
    return "rows = queries, columns = keys\n" + "  ".join(text for key, text in entries if present is None or key in present)


def present_glyphs(mask: np.ndarray, attention_mask: np.ndarray, rows: np.ndarray | None = None, offset: int = 0,
                   empty: np.ndarray | None = None) -> set:
    """What :func:`grid_lines` draws for the same arguments: its cell states, ``P`` when a drawn
    query is padding, ``!`` when a drawn query sees no key."""
    mask = np.asarray(mask, dtype=bool)
    am = np.asarray(attention_mask).astype(bool)
    rows = np.arange(offset, offset + len(mask)) if rows is None else np.asarray(rows)
    found = set(np.unique(cell_states(mask, am)).tolist())
    if (np.isin(rows, empty) if empty is not None else ~mask.any(axis=-1)).any():
        found.add(ROW_EMPTY)
    keys = rows - offset
    if not am[keys[(keys >= 0) & (keys < len(am))]].all():
        found.add(ROW_PAD)
    return found


def fit_width(start: int, stop: int, width: int, style: GridStyle) -> tuple[int, int]:
    """The widest token window ``start:stop'`` (``stop' <= stop``, at least one token) whose grid
    fits ``width`` columns: draw, and name, only what fits."""
    limit = stop  # a first guess from the widest label, then one token at a time (grid_width grows with stop)
    stop = min(limit, start + max(1, (width - label_width(start, limit)) // style.cell_width))
    while stop < limit and grid_width(start, stop + 1, style) <= width:
        stop += 1
    while stop > start + 1 and grid_width(start, stop, style) > width:
        stop -= 1
    return start, stop


def window_grid(title: str, mask: np.ndarray, attention_mask: np.ndarray, rows: np.ndarray, window: tuple[int, int],
                style: GridStyle) -> tuple[list[Text], set]:
    """The grid of a whole ``(Q, K)`` mask (query index of each row: ``rows``) over the tokens
    ``window``, built from that window's cells only (``!`` still from the whole rows), and the
    glyphs it draws."""
    start, stop = window
    rows = np.asarray(rows)
    shown = (rows >= start) & (rows < stop)
    empty = rows[shown & ~np.asarray(mask, dtype=bool).any(axis=-1)]
    cells, am, rows = mask[shown, start:stop], np.asarray(attention_mask)[start:stop], rows[shown]
    return (grid_lines(title, cells, am, window, style, rows=rows, offset=start, empty=empty),
            present_glyphs(cells, am, rows, start, empty))


def token_window(length: int, token_range: tuple[int, int | None] | None) -> tuple[int, int]:
    """``--range A:B`` clipped to ``length`` tokens (all of them without one)."""
    if token_range is None:
        return 0, length
    start, stop = token_range
    stop = length if stop is None else min(stop, length)
    return min(start, stop), stop


def range_text(token_range: tuple[int, int | None]) -> str:
    """``--range`` as the user wrote it: ``(5, 9)`` -> ``5:9``, ``(5, None)`` -> ``5:``."""
    start, stop = token_range
    return f"{start}:{'' if stop is None else stop}"


def zoom_window(length: int, token_range: tuple[int, int | None] | None, width: int, style: GridStyle,
                rows: np.ndarray | None = None) -> tuple[int, int]:
    """The tokens of a ``length``-token mask to draw: ``--range`` (which must start inside it),
    cut to what ``width`` columns show. Without ``--range`` the window starts at 0, or ends at the
    last query of ``rows`` when none would be drawn (a KV cache's queries are the last keys)."""
    if token_range is not None and token_range[0] >= length:
        raise InputError(f"--range {range_text(token_range)}: the mask has {length} tokens (0:{length})")
    window = fit_width(*token_window(length, token_range), width, style)
    if token_range is not None or rows is None or not len(rows) or ((rows >= window[0]) & (rows < window[1])).any():
        return window
    last = int(np.max(rows))
    while window[1] <= last:  # slide right until the last query is drawn (wider labels may narrow the window)
        window = fit_width(window[0] + last + 1 - window[1], length, width, style)
    return window


def ascii_only(console) -> bool:
    """Whether the console cannot encode the Unicode glyphs (then the ASCII ones are drawn)."""
    return not (console.encoding or "").lower().startswith("utf")


def side_by_side(grids: list[list[Text]], gap: int = 3) -> list[Text]:
    """Join equally tall grids column-wise into single lines."""
    height = max(len(g) for g in grids)
    widths = [max(len(line) for line in g) for g in grids]
    joined = []
    for i in range(height):
        line = Text()
        for g, width in zip(grids, widths):
            part = g[i] if i < len(g) else Text()
            line.append_text(part)
            line.append(" " * (width - len(part) + gap))
        line.rstrip()
        joined.append(line)
    return joined
