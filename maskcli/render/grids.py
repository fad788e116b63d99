"""Mask matrices as lines of rich ``Text``: one glyph per cell, legible without colour.

Each cell says why a query may or may not see a key:

    ■ attend     · blocked by causality     × blocked by padding

The glyph alone carries the meaning (NO_COLOR, pipes); colour only repeats it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.text import Text

ATTEND, CAUSAL, PAD = 0, 1, 2
GLYPHS = {"unicode": ("■", "·", "×"), "ascii": ("#", ".", "x")}
STYLES = ("green", "bright_black", "red")
ROW_PAD, ROW_EMPTY = "P", "!"


@dataclass(frozen=True)
class GridStyle:
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
) -> list[Text]:
    """The lines of one grid over tokens ``window = (start, stop)``, column headers included.

    Row labels carry ``P`` for a pad query and ``!`` for a query that can attend to nothing.
    """
    start, stop = window
    states = cell_states(mask, attention_mask if uses_padding else None)[start:stop, start:stop]
    empty = ~np.asarray(mask, dtype=bool).any(axis=-1)
    lw = label_width(start, stop)
    width = grid_width(start, stop, style)
    digits = len(str(max(stop - 1, 0)))
    lines = [Text(title.ljust(width), style="bold")]
    for place in range(digits):
        header = Text(" " * lw)
        for k in range(start, stop):
            number = str(k).rjust(digits)
            header.append(number[place].ljust(style.cell_width), style="bright_black")
        lines.append(header)
    for row, q in enumerate(range(start, stop)):
        marker = ROW_EMPTY if empty[q] else (ROW_PAD if not attention_mask[q] else " ")
        line = Text(str(q).rjust(lw - 2), style="bright_black")
        line.append(f"{marker} ", style="bold yellow" if marker != " " else "")
        for state in states[row]:
            line.append(style.glyphs[state].ljust(style.cell_width), style=STYLES[state])
        lines.append(line)
    return lines


def legend(style: GridStyle) -> str:
    attend, causal, pad = style.glyphs
    return (
        "rows = queries, columns = keys\n"
        f"{attend} attend  {causal} blocked by causality  {pad} blocked by padding  "
        f"{ROW_PAD} pad query  {ROW_EMPTY} sees no key (NaN)"
    )


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
