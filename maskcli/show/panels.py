"""A mask to draw: one grid of a terminal view or one heatmap of a picture.

A :class:`Panel` is a mask over labelled positions (rows = queries, columns = keys, True = may
attend), either dense or a :class:`maskcli.masks.spans.SpanMask` (long masks are summarised block by
block without the ``L x L`` matrix). ``rows`` names the query index of each dense row when the
queries are not the keys (``--q-offset``, cross-attention).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from maskcli.masks.spans import SpanMask


@dataclass(frozen=True, eq=False)  # arrays: no field-wise == (identity)
class Panel:
    title: str
    mask: np.ndarray | SpanMask
    labels: Sequence[str]
    key_valid: np.ndarray | None = None  # False = padding key (drawn as "blocked by padding")
    rows: np.ndarray | None = None

    @property
    def length(self) -> int:
        return self.mask.length if isinstance(self.mask, SpanMask) else int(np.shape(self.mask)[-1])

    @property
    def query_rows(self) -> np.ndarray:
        if isinstance(self.mask, SpanMask):
            return np.arange(self.length)
        return np.arange(len(self.mask)) if self.rows is None else np.asarray(self.rows)

    @property
    def valid(self) -> np.ndarray:
        return np.ones(self.length, dtype=bool) if self.key_valid is None else np.asarray(self.key_valid, dtype=bool)

    def window(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Dense boolean cells of the queries and keys ``start:stop``."""
        stop = self.length if stop is None else min(stop, self.length)
        if isinstance(self.mask, SpanMask):
            return self.mask.dense((start, stop), (start, stop))
        rows = self.query_rows
        return np.asarray(self.mask, dtype=bool)[(rows >= start) & (rows < stop)][:, start:stop]
