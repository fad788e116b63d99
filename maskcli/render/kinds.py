"""Grids of the requested mask kinds (``show --mask/--model-config``) and of a diff.

Cells of a kind's grid: ``■`` attend, ``·`` blocked by the kind's pattern (causality, window,
chunk, document), ``×`` blocked by padding. Cells of a diff grid: ``■`` both attend, ``·`` both
blocked, ``a`` only A attends, ``b`` only B attends.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from maskcli.masks.receptive import layer_table, reach_series
from maskcli.render.grids import GridStyle, grid_lines, mask_grid, state_grid_lines
from maskcli.show.analysis import RowAnalysis
from maskcli.show.request import MaskRequest

DIFF_GLYPHS = {"unicode": ("■", "·", "a", "b"), "ascii": ("#", ".", "a", "b")}
DIFF_STYLES = ("green", "bright_black", "bold red", "bold magenta")
DIFF_ROW = "*"


def requested_grids(
    analysis: RowAnalysis, request: MaskRequest, window: tuple[int, int], style: GridStyle, layers: int | None = None
) -> tuple[list[list[Text]], list[Text]]:
    """One grid per requested mask (and with ``layers`` its reach after K layers), then the
    readings, the reference forms, the reach per layer and the lints as notes."""
    seq = analysis.row
    grids, notes = [], [Text(f"{style.glyphs[1]} = blocked by the kind's pattern (causality, window, chunk, document)",
                             style="bright_black")]
    for item in analysis.requested:
        grids.append(mask_grid(item, seq.attention_mask, window, style))
        if layers:
            series = reach_series(item.dense("--layers", "shorten the rows (--max-length) or draw tiles without --layers (--block-size)"), layers)
            grids.append(grid_lines(f"{item.spec.text} after {layers} layers", series.after(layers), seq.attention_mask,
                                    window, style))
            notes += [Text(f"{item.spec.text} · layer {r.layer}: farthest |q-k| reached {r.distance}, "
                           f"{r.coverage:.0%} of cells reachable", style="bright_black") for r in layer_table(series.powers)]
            if series.repeats is not None:
                notes.append(Text(f"{item.spec.text}: layer {len(series.powers) + 1} repeats layer {series.repeats + 1}; "
                                  "later layers follow that cycle (a saturated reach stays as it is)", style="bright_black"))
    for item in analysis.requested:
        reading = f"{item.spec.kind.reading} ({item.spec.kind.reference})"
        if item.spec.packed and analysis.context.packing is not None:
            reading += f"; only inside the query's document (documents from {analysis.context.packing.source})"
        notes.append(Text(f"{item.spec.text}: {reading}", style="bright_black"))
    printed: dict[bytes, str] = {}
    for name, (convention, value) in analysis.native.items():
        key = np.ascontiguousarray(value).tobytes() + convention.encode()
        if key in printed:
            notes.append(Text(f"{name} as the reference stores it: the same as {printed[key]}", style="bright_black"))
            continue
        printed[key] = name
        notes += native_lines(name, convention, value, window)
    notes += [Text(f"{panel.title}: {panel.note}", style="bright_black") for panel in request.layers if panel.note]
    if request.q_offset:
        notes.append(Text(f"queries are tokens {request.q_offset}.. (--q-offset, bottom-right aligned as with a KV cache)", style="bright_black"))
    notes += [Text(f"{lint.code}: {lint.message}", style="yellow") for lint in analysis.lints]
    return grids, notes


def native_lines(name: str, convention: str, value: np.ndarray, window: tuple[int, int]) -> list[Text]:
    """A mask as its reference stores it (XLNet ``perm_mask``, Longformer 0/1/2), over the window."""
    start, stop = window
    lines = [Text(f"{name} as the reference stores it ({convention}):", style="bright_black")]
    if value.ndim == 1:
        return lines + [Text("  " + " ".join(str(int(v)) for v in value[start:stop]), style="bright_black")]
    digits = len(str(max(stop - 1, 0)))
    return lines + [Text(f"  {q:>{digits}}  " + " ".join(f"{v:g}" for v in row), style="bright_black")
                    for q, row in zip(range(start, stop), value[start:stop, start:stop])]


def diff_states(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """0 both attend, 1 both blocked, 2 only A attends, 3 only B attends."""
    return np.select([a & b, ~a & ~b, a & ~b], [0, 1, 2], default=3)


def diff_grid(title: str, a: np.ndarray, b: np.ndarray, rows: np.ndarray, style: GridStyle,
              window: tuple[int, int] | None = None) -> list[Text]:
    """The diff grid over the tokens ``window`` (default: all), built from that window's cells
    only (``*``: the whole row differs somewhere)."""
    start, stop = window = window or (0, a.shape[-1])
    rows = np.asarray(rows)
    shown = (rows >= start) & (rows < stop)
    markers = [DIFF_ROW if differs else " " for differs in (a[shown] != b[shown]).any(axis=-1)]
    states = diff_states(a[shown, start:stop], b[shown, start:stop])
    glyphs = DIFF_GLYPHS["ascii" if style.ascii else "unicode"]
    return state_grid_lines(title, states, markers, rows[shown], window, style, glyphs, DIFF_STYLES, offset=start)


def diff_legend(style: GridStyle) -> str:
    both, blocked, only_a, only_b = DIFF_GLYPHS["ascii" if style.ascii else "unicode"]
    return f"rows = queries, columns = keys: {both} both attend  {blocked} both blocked  {only_a} only A attends  {only_b} only B attends  {DIFF_ROW} row differs"
