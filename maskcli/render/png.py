"""``--png FILE``: each panel as a heatmap with token labels on both axes, a legend and a caption.

matplotlib is an optional extra (``pip install 'maskcli[plot]'``); without it ``--png`` fails
with one clear line and everything else keeps working. Long panels are drawn as their block
view (full / partial / empty tiles).
"""

from __future__ import annotations

import io
import textwrap

import numpy as np

from collections.abc import Sequence

from maskcli.masks.blocks import EMPTY, FULL, PARTIAL
from maskcli.errors import InputError
from maskcli.show.panels import Panel
from maskcli.render.blocks import panel_blocks
from maskcli.render.grids import token_window

MAX_TOKEN_CELLS = 256
MAX_TICKS = 64
TOKEN_COLORS = ("#2e7d32", "#e0e0e0", "#ef9a9a")  # attend, blocked by the pattern, blocked by padding
BLOCK_COLORS = {EMPTY: "#e0e0e0", PARTIAL: "#f9a825", FULL: "#2e7d32"}


def load_pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("--png needs matplotlib: pip install 'maskcli[plot]' (or pip install matplotlib)") from None
    return plt


def token_states(panel: Panel, window: tuple[int, int]) -> np.ndarray:
    cells = panel.window(*window)
    return np.where(cells, 0, np.where(panel.valid[window[0]:window[1]][None, :], 1, 2))


def draw_panel(ax, panel: Panel, window: tuple[int, int], block_size: int | None) -> list:
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    start, stop = window
    if block_size or stop - start > MAX_TOKEN_CELLS:
        block = block_size or -(-(stop - start) // MAX_TOKEN_CELLS)
        blocks = panel_blocks(panel, window, block)
        colors = [BLOCK_COLORS[s] for s in (EMPTY, PARTIAL, FULL)]
        ax.imshow(blocks.states, cmap=ListedColormap(colors), vmin=0, vmax=2, interpolation="nearest")
        ticks = np.arange(blocks.states.shape[0])
        step = max(1, len(ticks) // 16)
        ax.set_xticks(ticks[::step], [str(start + t * block) for t in ticks[::step]], rotation=90, fontsize=7)
        ax.set_yticks(ticks[::step], [str(start + t * block) for t in ticks[::step]], fontsize=7)
        ax.set_title(f"{panel.title}\n{block}-token tiles, sparsity {blocks.sparsity:.1%}", fontsize=9)
        return [Patch(color=BLOCK_COLORS[FULL], label="full tile"), Patch(color=BLOCK_COLORS[PARTIAL], label="partial tile"),
                Patch(color=BLOCK_COLORS[EMPTY], label="empty tile (skipped)")]
    ax.imshow(token_states(panel, window), cmap=ListedColormap(TOKEN_COLORS), vmin=0, vmax=2, interpolation="nearest")
    positions = np.arange(stop - start)
    step = max(1, len(positions) // MAX_TICKS)
    ax.set_xticks(positions[::step], [f"{start + p} {panel.labels[start + p]}" for p in positions[::step]],
                  rotation=90, fontsize=7)
    rows = [int(q) for q in panel.query_rows if start <= q < stop]
    ax.set_yticks(np.arange(len(rows))[::step], [f"{q} {panel.labels[q]}" for q in rows[::step]], fontsize=7)
    ax.set_xlabel("keys", fontsize=8)
    ax.set_ylabel("queries", fontsize=8)
    ax.set_title(panel.title, fontsize=9)
    return [Patch(color=TOKEN_COLORS[0], label="attend"), Patch(color=TOKEN_COLORS[1], label="blocked by the pattern"),
            Patch(color=TOKEN_COLORS[2], label="blocked by padding")]


def png_bytes(panels: Sequence[Panel], caption: str, token_range: tuple[int, int | None] | None,
              block_size: int | None) -> bytes:
    """One heatmap per panel side by side, the shared legend, and ``caption`` (readings,
    references, convention) under them."""
    plt = load_pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1, 5.2), squeeze=False)
    handles = []
    for ax, panel in zip(axes[0], panels):
        handles = draw_panel(ax, panel, token_window(panel.length, token_range), block_size)
    fig.legend(handles=handles, loc="lower right", fontsize=8)
    text = "\n".join(textwrap.fill(line, 125) for line in caption.splitlines())
    fig.text(0.01, 0.01, text, fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, min(0.5, 0.06 + 0.028 * (text.count("\n") + 1)), 0.9, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    plt.close(fig)
    return buffer.getvalue()
