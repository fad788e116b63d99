"""What every classic mask builder returns: panels to draw, the reference followed, its convention.

A :class:`Panel` is one square grid (rows = queries, columns = keys, True = may attend) plus,
when the reference code stores it differently, the same mask in the reference's own
convention (XLNet's ``perm_mask`` with 1 = cannot attend, Swin's additive 0 / -100, ...).
The mask itself is either a dense boolean array or a :class:`maskcli.spans.SpanMask`, so long
sequences are drawn as block views without ever building the ``L x L`` matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from maskcli.errors import InputError
from maskcli.spans import SpanMask

SCHEMA_VERSION = 1
ATTEND_CONVENTION = "rows are queries, columns are keys; 1 = may attend, 0 = masked"


@dataclass(frozen=True)
class Panel:
    """One square mask over labelled positions."""

    title: str
    mask: np.ndarray | SpanMask
    labels: Sequence[str]
    key_valid: np.ndarray | None = None  # False = padding key (drawn as "blocked by padding")
    native: np.ndarray | None = None  # the same mask in the reference's own convention
    native_convention: str = ""

    @property
    def length(self) -> int:
        return self.mask.length if isinstance(self.mask, SpanMask) else int(np.shape(self.mask)[-1])

    def window(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Dense boolean cells over tokens ``start:stop`` (rows and columns)."""
        stop = self.length if stop is None else min(stop, self.length)
        if isinstance(self.mask, SpanMask):
            return self.mask.dense((start, stop), (start, stop))
        return np.asarray(self.mask, dtype=bool)[start:stop, start:stop]


@dataclass(frozen=True)
class ClassicMask:
    """A mask from the literature, built the way its reference code builds it."""

    kind: str
    summary: str
    reference: str
    panels: tuple[Panel, ...]
    convention: str = ATTEND_CONVENTION
    facts: dict[str, Any] = field(default_factory=dict)

    def describe(self, matrices: bool = True, max_tokens: int = 1024) -> dict[str, Any]:
        """The ``--json`` document (schema_version 1); matrices only up to ``max_tokens`` positions."""
        panels = []
        for panel in self.panels:
            entry: dict[str, Any] = {"title": panel.title, "length": panel.length}
            if panel.native_convention:
                entry["native_convention"] = panel.native_convention
            if panel.length <= max_tokens:
                entry["labels"] = [str(label) for label in panel.labels]
                if matrices:
                    entry["attend"] = panel.window().astype(int).tolist()
            panels.append(entry)
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": self.kind,
            "summary": self.summary,
            "reference": self.reference,
            "convention": self.convention,
            "facts": self.facts,
            "panels": panels,
        }


def index_labels(length: int) -> list[str]:
    """Position labels for masks that have no tokens: ``["0", "1", ...]``."""
    return [str(i) for i in range(length)]


def parse_positions(value: str, length: int, what: str) -> list[int]:
    """``"0,5"`` into sorted distinct positions, each checked to lie in ``[0, length)``."""
    try:
        positions = sorted({int(p) for p in value.split(",") if p.strip()})
    except ValueError:
        raise InputError(f"{what} must be comma-separated token positions like 0,5, not {value!r}") from None
    bad = [p for p in positions if not 0 <= p < length]
    if bad:
        raise InputError(f"{what}: position {bad[0]} is outside the {length} tokens (0..{length - 1})")
    return positions
