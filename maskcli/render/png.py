"""``--png FILE``: each panel as a heatmap with token labels on both axes, a legend and a caption.

matplotlib is an optional extra (``pip install 'maskcli[plot]'``); without it ``--png`` fails
with one clear line and everything else keeps working. A batch is a grid: one row of panels per
sequence. Long panels are drawn as their block view (full / partial / empty tiles). Token labels
are thinned until none overlaps; pad queries and queries that see no key are marked P and !,
like the terminal's grids.
"""

from __future__ import annotations

import io
import textwrap

import numpy as np

from collections.abc import Sequence
from typing import Any

from maskcli.masks.blocks import EMPTY, FULL, PARTIAL
from maskcli.errors import InputError
from maskcli.show.panels import Panel
from maskcli.render.blocks import panel_blocks
from maskcli.render.grids import ROW_EMPTY, ROW_PAD, token_window

MAX_TOKEN_CELLS = 256
PANEL_INCHES, DPI = 3.8, 120
FONT, TITLE_FONT, CAPTION_FONT = 6.5, 9, 7
LABEL_CHARS = 10  # a token label longer than this is cut with an ellipsis
MARKER_SIZE = 80  # points^2
MARKER_COLORS = {ROW_PAD: "#6a1b9a", ROW_EMPTY: "#c62828"}
MARKER_GIDS = {ROW_PAD: "pad-queries", ROW_EMPTY: "nan-rows"}
TOKEN_COLORS = ("#2e7d32", "#e0e0e0", "#ef9a9a")
TOKEN_LABELS = ("attend", "blocked by the pattern", "blocked by padding")
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


def tick_label(index: int, token: str) -> str:
    token = str(token)
    return f"{index} {token if len(token) <= LABEL_CHARS else token[:LABEL_CHARS - 1] + '…'}"


def draw_panel(ax, panel: Panel, window: tuple[int, int], block_size: int | None, pad_queries: Sequence[int] = (),
               empty: Sequence[int] | None = None, marker_column: bool = False) -> list:
    """One heatmap; returns its legend handles. Token cells get every label (:func:`thin_ticks`
    keeps those that fit) and with ``marker_column`` a column left of key ``start`` marking
    ``P`` pad queries and ``!`` queries that see no key (NaN)."""
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    start, stop = window
    if block_size or stop - start > MAX_TOKEN_CELLS:
        block = block_size or -(-(stop - start) // MAX_TOKEN_CELLS)
        blocks = panel_blocks(panel, window, block)
        colors = [BLOCK_COLORS[s] for s in (EMPTY, PARTIAL, FULL)]
        ax.imshow(blocks.states, cmap=ListedColormap(colors), vmin=0, vmax=2, interpolation="nearest")
        ticks = np.arange(blocks.states.shape[0])
        ax.set_xticks(ticks, [str(start + t * block) for t in ticks], rotation=90, fontsize=FONT)
        ax.set_yticks(ticks, [str(start + t * block) for t in ticks], fontsize=FONT)
        ax.set_title(f"{panel.title}\n{block}-token tiles, sparsity {blocks.sparsity:.1%}", fontsize=TITLE_FONT)
        return [Patch(color=BLOCK_COLORS[FULL], label="full tile"), Patch(color=BLOCK_COLORS[PARTIAL], label="partial tile"),
                Patch(color=BLOCK_COLORS[EMPTY], label="empty tile (skipped)")]
    states = token_states(panel, window)
    ax.imshow(states, cmap=ListedColormap(TOKEN_COLORS), vmin=0, vmax=2, interpolation="nearest")
    positions = np.arange(stop - start)
    ax.set_xticks(positions, [tick_label(start + p, panel.labels[start + p]) for p in positions], rotation=90, fontsize=FONT)
    rows = [int(q) for q in panel.query_rows if start <= q < stop]
    ax.set_yticks(np.arange(len(rows)), [tick_label(q, panel.labels[q]) for q in rows], fontsize=FONT)
    ax.set_xlabel("keys", fontsize=FONT + 1)
    ax.set_ylabel("queries", fontsize=FONT + 1)
    ax.set_title(panel.title, fontsize=TITLE_FONT)
    handles = [Patch(color=TOKEN_COLORS[state], label=TOKEN_LABELS[state]) for state in np.unique(states).tolist()]
    if not marker_column:
        return handles
    sees_nothing = set(() if empty is None else np.asarray(empty).tolist())
    marks = [(ROW_PAD, set(pad_queries) - sees_nothing, "pad query"), (ROW_EMPTY, sees_nothing, "sees no key (NaN)")]  # ! wins, as on the terminal
    ax.set_xlim(-1.5, stop - start - 0.5)  # the marker column, inside the axes
    size = min(MARKER_SIZE, (PANEL_INCHES * 72 * 0.6 / max(len(rows), 1)) ** 2)  # points^2: at most one row tall
    for glyph, queries, label in marks:
        y = [i for i, q in enumerate(rows) if q in queries]
        if y:
            ax.scatter([-1] * len(y), y, marker=f"${glyph}$", color=MARKER_COLORS[glyph], s=size, gid=MARKER_GIDS[glyph])
            handles.append(Line2D([], [], marker=f"${glyph}$", color=MARKER_COLORS[glyph], linestyle="", label=label))
    return handles


def thin_ticks(fig, axes: Sequence) -> None:
    """Keep every n-th tick label so that neighbours never overlap: labels one font height apart
    at least, measured on the laid-out axes."""
    renderer = fig.canvas.get_renderer()
    line = FONT * 1.35 * fig.dpi / 72  # pixels one label needs along its axis
    for ax in axes:
        box = ax.get_window_extent(renderer)
        for axis, length in ((ax.xaxis, box.width), (ax.yaxis, box.height)):
            ticks, labels = axis.get_ticklocs(), axis.get_ticklabels()
            step = int(np.ceil(len(ticks) * line / max(length, 1.0)))
            if step > 1:
                axis.set_ticks(ticks[::step], [t.get_text() for t in labels][::step],
                               fontsize=labels[0].get_fontsize(), rotation=labels[0].get_rotation())


def figure(rows: Sequence[Any], caption: str, token_range: tuple[int, int | None] | None, block_size: int | None):
    """A grid of heatmaps: one row of panels per :class:`~maskcli.render.pictures.PanelRow`
    (a sequence), the legend of what is drawn, and ``caption`` (readings, references, convention)
    under them."""
    plt = load_pyplot()
    columns = max(len(row.panels) for row in rows)
    width = PANEL_INCHES * columns + 0.4
    text = "\n".join(textwrap.fill(line, int(width * 72 / (CAPTION_FONT * 0.6))) for line in caption.splitlines())
    bottom = 0.45 + (text.count("\n") + 1) * CAPTION_FONT * 1.3 / 72  # inches: the legend, then the caption
    height = PANEL_INCHES * len(rows) + bottom + 0.2
    fig, axes = plt.subplots(len(rows), columns, figsize=(width, height), squeeze=False)
    handles: dict = {}
    marked = any(len(row.pad_queries) or any(e is not None and len(e) for e in row.empty) for row in rows)
    for row, line in zip(rows, axes):
        for c, ax in enumerate(line):
            if c >= len(row.panels):
                ax.set_axis_off()
                continue
            panel = row.panels[c]
            empty = row.empty[c] if c < len(row.empty) else None
            for handle in draw_panel(ax, panel, token_window(panel.length, token_range), block_size, row.pad_queries, empty, marked):
                handles.setdefault(handle.get_label(), handle)
    drawn = [ax for ax in axes.flat if ax.axison]
    rect = (0, bottom / height, 1, 1)
    fig.tight_layout(rect=rect)
    thin_ticks(fig, drawn)
    fig.tight_layout(rect=rect)
    fig.legend(handles=list(handles.values()), loc="lower center", ncol=len(handles), fontsize=CAPTION_FONT + 1,
               bbox_to_anchor=(0.5, (bottom - 0.42) / height), frameon=False)
    fig.text(0.01, 0.01, text, fontsize=CAPTION_FONT, va="bottom")
    return fig


def png_bytes(rows: Sequence[Any], caption: str, token_range: tuple[int, int | None] | None,
              block_size: int | None) -> bytes:
    """:func:`figure` as PNG bytes."""
    plt = load_pyplot()
    fig = figure(rows, caption, token_range, block_size)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return buffer.getvalue()
