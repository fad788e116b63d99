"""Masks given row by row as key intervals, so 32k-token masks never become 32k x 32k matrices.

A :class:`SpanMask` answers "which keys may query ``q`` attend to?" with a few half-open
intervals ``[lo, hi)`` per row (a single key ``k`` is ``[k, k+1)``), ANDed with an optional
per-key validity (padding). Sliding windows, global tokens, dilated and LogSparse patterns,
prefix LMs and block-sparse layouts all have a handful of intervals per row, so a block summary
or a token window costs ``O(rows x intervals)`` instead of ``O(L^2)``.

Worked example, causal AND padding over ``attention_mask = [1, 1, 1, 0]``: one interval per
row, ``[0, q+1)``, with key 3 invalid::

    q   intervals   dense row
    0   [0, 1)      1 0 0 0
    1   [0, 2)      1 1 0 0
    2   [0, 3)      1 1 1 0
    3   [0, 4)      1 1 1 0   (key 3 is padding)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# (queries (n,)) -> (lo (n, K), hi (n, K)): intervals may overlap, be empty or exceed [0, L).
SpanFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, eq=False)  # arrays: no field-wise == (identity)
class SpanMask:
    """A square ``length x length`` mask: row ``q`` attends to the union of its intervals."""

    length: int
    spans: SpanFn
    key_valid: np.ndarray | None = None

    def intervals(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint intervals of ``queries``, clipped to ``[0, length)`` (see :func:`disjoint`)."""
        lo, hi = self.spans(np.asarray(queries, dtype=np.int64))
        return disjoint(np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64), self.length)

    def dense(self, rows: tuple[int, int] | None = None, cols: tuple[int, int] | None = None) -> np.ndarray:
        """The boolean matrix over ``rows = (q0, q1)`` x ``cols = (k0, k1)`` (default: all)."""
        q0, q1 = rows or (0, self.length)
        k0, k1 = cols or (0, self.length)
        lo, hi = self.intervals(np.arange(q0, q1))
        keys = np.arange(k0, k1)
        cells = np.zeros((q1 - q0, k1 - k0), dtype=bool)
        for j in range(lo.shape[1]):
            cells |= (lo[:, j, None] <= keys) & (keys < hi[:, j, None])
        if self.key_valid is not None:
            cells &= np.asarray(self.key_valid, dtype=bool)[k0:k1]
        return cells


def disjoint(lo: np.ndarray, hi: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Rewrite each row's intervals as disjoint ones with the same union, clipped to ``[0, length)``.

    Sorted by start, each interval is cut to begin after every earlier one ends:
    ``[0,5) [2,3) [4,8)`` becomes ``[0,5) [5,5) [5,8)`` (the middle one is now empty).
    """
    lo = np.clip(lo, 0, length)
    hi = np.maximum(np.clip(hi, 0, length), lo)
    order = np.argsort(lo, axis=1, kind="stable")
    lo = np.take_along_axis(lo, order, axis=1)
    hi = np.take_along_axis(hi, order, axis=1)
    ends = np.maximum.accumulate(hi, axis=1)
    before = np.concatenate([np.zeros_like(ends[:, :1]), ends[:, :-1]], axis=1)
    lo = np.maximum(lo, before)
    return lo, np.maximum(hi, lo)


def points(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single keys as intervals ``[k, k+1)`` (negative or too large keys are clipped away later)."""
    keys = np.asarray(keys, dtype=np.int64)
    return keys, keys + 1


def join(*parts: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Several ``(lo, hi)`` families of the same rows side by side (their union)."""
    return np.concatenate([p[0] for p in parts], axis=1), np.concatenate([p[1] for p in parts], axis=1)


def prefix_spans(prefix: int, length: int, query_is_real: np.ndarray | None = None) -> SpanMask:
    """Prefix LM: row q sees ``[0, max(P, q+1))``; a query that is not real sees ``[0, P)`` only
    (UniLM's padding rows). ``prefix=0`` is causal.

    Worked example, P = 3, N = 6: ``111000 111000 111000 111100 111110 111111``.
    """
    real = None if query_is_real is None else np.asarray(query_is_real, dtype=bool)

    def spans(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hi = np.maximum(prefix, q + 1)
        if real is not None:
            hi = np.where(real[q], hi, prefix)
        return np.zeros((len(q), 1), dtype=np.int64), hi[:, None]

    return SpanMask(length, spans)
