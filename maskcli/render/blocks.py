"""The block view on the terminal: one glyph per tile, full / partial / empty told apart.

When a kernel's tiles are more than the terminal's columns, neighbouring tiles are merged for
display only (a merged cell is full or empty only when all its tiles are); the counts and the
sparsity figure stay those of ``--block-size``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.text import Text

from maskcli.masks.blocks import EMPTY, FULL, PARTIAL, BlockSummary, counts_from_dense, counts_from_spans, summary
from maskcli.render.grids import token_window
from maskcli.show.panels import Panel
from maskcli.masks.spans import SpanMask

GLYPHS = {"unicode": {FULL: "█", PARTIAL: "▒", EMPTY: "·"}, "ascii": {FULL: "#", PARTIAL: "+", EMPTY: "."}}
STYLES = {FULL: "green", PARTIAL: "yellow", EMPTY: "bright_black"}


def merged(blocks: BlockSummary, factor: int) -> BlockSummary:
    """Tiles grouped ``factor x factor`` (display only): counts and capacities summed."""
    if factor == 1:
        return blocks
    n = blocks.counts.shape[0]
    starts = np.arange(0, n, factor)
    counts = np.add.reduceat(np.add.reduceat(blocks.counts, starts, axis=0), starts, axis=1)
    return summary(counts, blocks.length, blocks.block_size * factor)


def display_factor(tiles: int, columns: int) -> int:
    """Smallest merge factor that fits ``tiles`` into ``columns`` glyphs."""
    factor = 1
    while -(-tiles // factor) > max(columns, 1):
        factor *= 2
    return factor


def block_lines(title: str, blocks: BlockSummary, width: int, ascii_only: bool, offset: int = 0) -> list[Text]:
    """Headline with the tile tally and sparsity, then the tile grid (rows labelled by first token)."""
    tally = blocks.tally()
    n = blocks.counts.shape[0]
    label = len(str(offset + blocks.length)) + 1
    factor = display_factor(n, width - label - 1)
    shown = merged(blocks, factor)
    glyphs = GLYPHS["ascii" if ascii_only else "unicode"]
    lines = [
        Text(title, style="bold")
        + Text(
            f" · {n}x{n} tiles of {blocks.block_size} tokens: {tally['full']} full, {tally['partial']} partial, "
            f"{tally['empty']} empty · sparsity {blocks.sparsity:.1%} (empty tiles a kernel can skip)"
            f" · density {blocks.density:.1%}",
            style="bright_black",
        )
    ]
    if factor > 1:
        lines.append(Text(f"each cell merges {factor}x{factor} tiles ({shown.block_size} tokens) to fit the width",
                          style="yellow"))
    for row, states in enumerate(shown.states):
        line = Text(str(offset + row * shown.block_size).rjust(label - 1) + " ", style="bright_black")
        for state in states:
            line.append(glyphs[int(state)], style=STYLES[int(state)])
        lines.append(line)
    return lines


def block_legend(ascii_only: bool) -> str:
    g = GLYPHS["ascii" if ascii_only else "unicode"]
    return f"tiles: {g[FULL]} full (no mask needed)  {g[PARTIAL]} partial (masked)  {g[EMPTY]} empty (skipped)"


def panel_blocks(panel: Panel, window: tuple[int, int], block_size: int) -> BlockSummary:
    """Tiles of the panel's tokens ``window``: from the key intervals when the panel has them."""
    if isinstance(panel.mask, SpanMask) and window == (0, panel.length):
        return counts_from_spans(panel.mask, block_size)
    return counts_from_dense(panel.window(*window), block_size)


def render_rows_blocks(
    console: Any, rows: Sequence[Any], block_size: int, token_range: tuple[int, int | None] | None, compact: bool,
    title: str,
) -> None:
    """``--block-size``: each row's masks (a :class:`~maskcli.show.analysis.RowAnalysis`; the
    combined one without --mask) as tiles, from key intervals where the kind has them, so 32k
    tokens never build an L x L matrix."""
    from maskcli.render.grids import GridStyle, ascii_only, grid_lines

    plain = ascii_only(console)
    console.print(block_legend(plain), style="bright_black")
    if title:
        console.print(title, style="bold")
    for index, analysis in enumerate(rows):
        row = analysis.row
        console.print()
        console.print(Text(f"sequence {index}", style="bold")
                      + Text(f" · {len(row)} tokens, {row.num_tokens} real", style="bright_black"))
        for item in analysis.drawn(defaults=("combined",)):
            panel = item.panel
            window = token_window(panel.length, token_range)
            if window[1] - window[0] > block_size:
                lines = block_lines(panel.title, panel_blocks(panel, window, block_size), console.width, plain, window[0])
                console.print(lines.pop(0))  # the headline wraps (its sparsity must survive a pipe); the tiles are cropped
            else:
                style = GridStyle(compact=compact, ascii=plain)
                lines = grid_lines(panel.title, panel.window(*window), panel.valid[window[0]:window[1]], window, style,
                                   offset=window[0], empty=item.empty_rows)
            console.print(Text("\n").join(lines), no_wrap=True, overflow="crop", crop=True)
