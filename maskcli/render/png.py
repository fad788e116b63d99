"""``--png FILE``: each panel as a heatmap with token labels on both axes, a legend and a caption.

matplotlib is an optional extra (``pip install 'maskcli[plot]'``); without it ``--png`` fails
with one clear line and everything else keeps working. Long panels are drawn as their block
view (full / partial / empty tiles).
"""

from __future__ import annotations

import io
import textwrap

import numpy as np

from maskcli.blocks import EMPTY, FULL, PARTIAL
from maskcli.classic.base import ClassicMask, Panel
from maskcli.errors import InputError

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
    valid = np.ones(panel.length, bool) if panel.key_valid is None else np.asarray(panel.key_valid, bool)
    return np.where(cells, 0, np.where(valid[window[0]:window[1]][None, :], 1, 2))


def draw_panel(ax, panel: Panel, window: tuple[int, int], block_size: int | None) -> list:
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from maskcli.render.classic import panel_blocks

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
    labels = [f"{start + p} {panel.labels[start + p]}" for p in positions[::step]]
    ax.set_xticks(positions[::step], labels, rotation=90, fontsize=7)
    ax.set_yticks(positions[::step], labels, fontsize=7)
    ax.set_xlabel("keys", fontsize=8)
    ax.set_ylabel("queries", fontsize=8)
    ax.set_title(panel.title, fontsize=9)
    return [Patch(color=TOKEN_COLORS[0], label="attend"), Patch(color=TOKEN_COLORS[1], label="blocked by the pattern"),
            Patch(color=TOKEN_COLORS[2], label="blocked by padding")]


def png_bytes(mask: ClassicMask, token_range: tuple[int, int | None] | None, block_size: int | None) -> bytes:
    plt = load_pyplot()
    panels = mask.panels
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1, 5.2), squeeze=False)
    handles = []
    for ax, panel in zip(axes[0], panels):
        start, stop = token_range or (0, None)
        stop = panel.length if stop is None else min(stop, panel.length)
        handles = draw_panel(ax, panel, (min(start, stop), stop), block_size)
    fig.legend(handles=handles, loc="lower right", fontsize=8)
    caption = f"{mask.kind}: {mask.summary}\nreference: {mask.reference}\nconvention: {mask.convention}"
    fig.text(0.01, 0.01, "\n".join(textwrap.fill(line, 150) for line in caption.splitlines()), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.12, 0.9, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    plt.close(fig)
    return buffer.getvalue()
