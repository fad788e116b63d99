"""A classic mask on the terminal: what it is, the reference it follows, its convention, its grids.

Short masks are drawn token by token (the same grids as ``maskcli show``: rows = queries,
columns = keys) after a table of the token labels; long ones, or any with ``--block-size``,
as a block view; ``--layers K`` adds the receptive field after K layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.text import Text

from maskcli.blocks import counts_from_dense, counts_from_spans
from maskcli.classic.base import ClassicMask, Panel, index_labels
from maskcli.receptive import layer_table, reach
from maskcli.render.batch import printable
from maskcli.render.blocks import block_legend, block_lines
from maskcli.render.grids import ROW_EMPTY, ROW_PAD, STYLES, GridStyle, cell_states, grid_width, side_by_side
from maskcli.spans import SpanMask

LEGEND = "rows = queries, columns = keys: {0} attend  {1} blocked by the pattern  {2} blocked by padding  " \
         "P pad query  ! sees no key"
DEFAULT_TILE = 64
LABEL_WIDTH = 12


@dataclass(frozen=True)
class ClassicView:
    token_range: tuple[int, int | None] | None = None
    block_size: int | None = None
    layers: int | None = None
    compact: bool = False


def panel_window(panel: Panel, view: ClassicView) -> tuple[int, int]:
    if view.token_range is None:
        return 0, panel.length
    start, stop = view.token_range
    stop = panel.length if stop is None else min(stop, panel.length)
    return min(start, stop), stop


def panel_blocks(panel: Panel, window: tuple[int, int], block_size: int):
    start, stop = window
    if isinstance(panel.mask, SpanMask) and window == (0, panel.length):
        return counts_from_spans(panel.mask, block_size)
    return counts_from_dense(panel.window(start, stop), block_size)


def row_label(labels, q: int, width: int) -> str:
    text = printable(str(labels[q]))
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)


def window_grid(
    title: str, cells: np.ndarray, key_valid: np.ndarray, start: int, style: GridStyle, labels=None
) -> list[Text]:
    """The grid of ``maskcli show`` for a window of cells whose first token is ``start``; rows
    carry the token label after the index when ``labels`` (for every position) are given.

    ``cells`` and ``key_valid`` cover the window only, so zooming into token 32,000 of a long
    mask never builds the whole matrix.
    """
    stop = start + len(cells)
    states = cell_states(cells, key_valid)
    digits = len(str(max(stop - 1, 0)))
    tag = min(LABEL_WIDTH, max((len(printable(str(labels[q]))) for q in range(start, stop)), default=0)) if labels else 0
    indent = digits + 2 + (tag + 1 if tag else 0)
    lines = [Text(title.ljust(indent + (stop - start) * style.cell_width), style="bold")]
    for place in range(digits):
        header = Text(" " * indent)
        for k in range(start, stop):
            header.append(str(k).rjust(digits)[place].ljust(style.cell_width), style="bright_black")
        lines.append(header)
    for q, row in zip(range(start, stop), states):
        marker = ROW_EMPTY if not cells[q - start].any() else (ROW_PAD if not key_valid[q - start] else " ")
        line = Text(str(q).rjust(digits), style="bright_black")
        if tag:
            line.append(" " + row_label(labels, q, tag))
        line.append(f"{marker} ", style="bold yellow" if marker != " " else "")
        for state in row:
            line.append(style.glyphs[state].ljust(style.cell_width), style=STYLES[state])
        lines.append(line)
    return lines


def native_lines(panel: Panel, window: tuple[int, int]) -> list[Text]:
    """The panel in its reference's own convention (XLNet perm_mask, Swin 0/-100, Longformer 0/1/2)."""
    start, stop = window
    native = np.asarray(panel.native)
    lines = [Text(f"{panel.title} as the reference stores it ({panel.native_convention}):", style="bright_black")]
    if native.ndim == 1:
        lines.append(Text(" ".join(str(int(v)) for v in native[start:stop])))
        return lines
    cells = native[start:stop, start:stop]
    width = max(len(f"{v:g}") for v in cells.ravel()) if cells.size else 1
    for q, row in zip(range(start, stop), cells):
        lines.append(Text(f"{q:>{len(str(stop))}}  " + " ".join(f"{v:g}".rjust(width) for v in row)))
    return lines


def default_tile(tokens: int, width: int) -> int:
    """The smallest power-of-two tile (at least 64 tokens) whose tiles fit the terminal width."""
    tile = DEFAULT_TILE
    while -(-tokens // tile) > max(width - 8, 1):
        tile *= 2
    return tile


def render_panel(console: Console, panel: Panel, view: ClassicView, ascii_only: bool) -> None:
    style = GridStyle(compact=view.compact, ascii=ascii_only)
    window = panel_window(panel, view)
    key_valid = np.ones(panel.length, dtype=bool) if panel.key_valid is None else np.asarray(panel.key_valid, bool)
    tiled = view.block_size is not None and window[1] - window[0] > view.block_size
    if tiled or grid_width(*window, style) > console.width:
        block = view.block_size or default_tile(window[1] - window[0], console.width)
        if not view.block_size:
            console.print(Text(f"{window[1] - window[0]} tokens are too wide for token cells: block view "
                               f"(--block-size {block}; zoom with --range A:B)", style="yellow"))
        head, *rows = block_lines(panel.title, panel_blocks(panel, window, block), console.width, ascii_only, window[0])
        console.print(head)
        for line in rows:
            console.print(line, no_wrap=True, overflow="crop", crop=True)
        return
    cells = panel.window(*window)
    valid = key_valid[window[0]:window[1]]
    labels = None if list(panel.labels[:3]) == index_labels(min(3, panel.length)) else panel.labels
    grids = [window_grid(panel.title, cells, valid, window[0], style, labels)]
    if view.layers:
        powers = reach(cells, view.layers)
        grids.append(window_grid(f"reach after {view.layers} layers", powers[-1], valid, window[0], style))
    width = max(len(line) for line in grids[0])
    lines = side_by_side(grids) if len(grids) * (width + 3) <= console.width else [l for g in grids for l in g]
    for line in lines:
        console.print(line, no_wrap=True, overflow="crop", crop=True)
    if view.layers:
        for row in layer_table(powers):
            console.print(Text(f"  layer {row.layer}: farthest |q-k| reached {row.distance}, "
                               f"{row.coverage:.0%} of cells reachable", style="bright_black"))
    if panel.native is not None:
        head, *rows = native_lines(panel, window)
        console.print(head)
        for line in rows:
            console.print(line, no_wrap=True, overflow="crop", crop=True)


def render_classic(console: Console, mask: ClassicMask, view: ClassicView) -> None:
    ascii_only = not (console.encoding or "").lower().startswith("utf")
    console.print(Text(mask.kind, style="bold") + Text(f" · {mask.summary}"))
    console.print(Text(f"reference: {mask.reference}", style="bright_black"))
    console.print(Text(f"convention: {mask.convention}", style="bright_black"))
    glyphs = GridStyle(ascii=ascii_only).glyphs
    console.print(Text(LEGEND.format(*glyphs), style="bright_black"))
    if view.block_size:
        console.print(Text(block_legend(ascii_only), style="bright_black"))
    for name, value in mask.facts.items():
        if name in ("tokens", "window_masks", "perm_mask") or (isinstance(value, list) and len(value) > 64):
            continue
        if isinstance(value, list) and value and isinstance(value[0], list):
            console.print(Text(f"{name}:", style="bright_black"))
            for row in value:
                console.print(Text("  " + " ".join(str(v) for v in row), style="bright_black"))
            continue
        console.print(Text(f"{name}: {value}", style="bright_black"), overflow="fold")
    for panel in mask.panels:
        console.print()
        render_panel(console, panel, view, ascii_only)


def render_row_blocks(console: Console, index: int, tokens, attention_mask: np.ndarray, view: ClassicView) -> None:
    """``maskcli show --block-size``: one row's combined mask (causal AND padding) as tiles, never dense."""
    from maskcli.spans import combined_spans

    ascii_only = not (console.encoding or "").lower().startswith("utf")
    console.print(Text(f"sequence {index}", style="bold")
                  + Text(f" · {len(tokens)} tokens, {int(np.count_nonzero(attention_mask))} real", style="bright_black"))
    panel = Panel("combined", combined_spans(attention_mask), tokens, key_valid=np.asarray(attention_mask) != 0)
    render_panel(console, panel, view, ascii_only)
