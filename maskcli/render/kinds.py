"""Grids of the requested mask kinds (``show --mask/--model-config``) and of a diff.

Cells of a kind's grid: ``■`` attend, ``·`` blocked by the kind's pattern (causality, window,
chunk, document), ``×`` blocked by padding. Cells of a diff grid: ``■`` both attend, ``·`` both
blocked, ``a`` only A attends, ``b`` only B attends.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from maskcli.mask_request import MaskRequest, build_row
from maskcli.records import Row
from maskcli.render.grids import GridStyle, grid_lines, state_grid_lines

DIFF_GLYPHS = {"unicode": ("■", "·", "a", "b"), "ascii": ("#", ".", "a", "b")}
DIFF_STYLES = ("green", "bright_black", "bold red", "bold magenta")
DIFF_ROW = "*"


def panel_titles(request: MaskRequest) -> dict[str, str]:
    """Grid titles: the spec, or for a model config's layer type its layers too."""
    titles = {spec.text: spec.text for spec in request.specs}
    for panel in request.layers:
        if panel.spec:
            label = f"{panel.title} = {panel.spec.text}"
            titles[panel.spec.text] = f"{titles[panel.spec.text]}; {label}" if panel.spec.text in titles else label
    return titles


def requested_grids(seq: Row, request: MaskRequest, window: tuple[int, int], style: GridStyle) -> tuple[list[list[Text]], list[Text]]:
    """One grid per requested mask, then the readings and lints as notes."""
    built = build_row(seq, request)
    titles = panel_titles(request)
    grids = [grid_lines(titles[item.spec.text], item.mask, seq.attention_mask, window, style, rows=item.rows) for item in built.masks]
    notes = [Text(f"{style.glyphs[1]} = blocked by the kind's pattern (causality, window, chunk, document)", style="bright_black")]
    for item in built.masks:
        reading = item.spec.kind.reading
        if item.spec.packed and built.context.packing is not None:
            reading += f"; only inside the query's document (documents from {built.context.packing.source})"
        notes.append(Text(f"{item.spec.text}: {reading}", style="bright_black"))
    notes += [Text(f"{panel.title}: {panel.note}", style="bright_black") for panel in request.layers if panel.note]
    if request.q_offset:
        notes.append(Text(f"queries are tokens {request.q_offset}.. (--q-offset, bottom-right aligned as with a KV cache)", style="bright_black"))
    notes += [Text(f"{lint.code}: {lint.message}", style="yellow") for lint in built.lints]
    return grids, notes


def diff_states(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """0 both attend, 1 both blocked, 2 only A attends, 3 only B attends."""
    return np.select([a & b, ~a & ~b, a & ~b], [0, 1, 2], default=3)


def diff_grid(title: str, a: np.ndarray, b: np.ndarray, rows: np.ndarray, style: GridStyle) -> list[Text]:
    states = diff_states(a, b)
    markers = [DIFF_ROW if (row >= 2).any() else " " for row in states]
    glyphs = DIFF_GLYPHS["ascii" if style.ascii else "unicode"]
    return state_grid_lines(title, states, markers, rows, (0, a.shape[-1]), style, glyphs, DIFF_STYLES)


def diff_legend(style: GridStyle) -> str:
    both, blocked, only_a, only_b = DIFF_GLYPHS["ascii" if style.ascii else "unicode"]
    return f"rows = queries, columns = keys: {both} both attend  {blocked} both blocked  {only_a} only A attends  {only_b} only B attends  {DIFF_ROW} row differs"
