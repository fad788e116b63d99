"""Receptive field of stacked attention layers: which inputs can reach each query after K layers.

One layer lets query q read key k when ``mask[q, k]``; two layers let it read whatever those
keys read, so the reach after K layers is the boolean matrix power ``mask^K`` (path of length
K). With the diagonal set (every pattern here attends to itself) the reach only grows.

Worked example, causal sliding window W = 2 (self and one key back), N = 5::

    layer 1          layer 2          layer 3
    1 0 0 0 0        1 0 0 0 0        1 0 0 0 0
    1 1 0 0 0        1 1 0 0 0        1 1 0 0 0
    0 1 1 0 0        1 1 1 0 0        1 1 1 0 0
    0 0 1 1 0        0 1 1 1 0        1 1 1 1 0
    0 0 0 1 1        0 0 1 1 1        0 1 1 1 1
    distance 1       distance 2       distance 3

``distance`` is the farthest ``|q - k|`` any query reaches: W - 1 more per layer for a window,
doubling-ish for LogSparse and dilated patterns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maskcli.errors import InputError

MAX_TOKENS = 2048  # K dense boolean products of L x L: beyond this, zoom with --range


@dataclass(frozen=True)
class LayerReach:
    layer: int
    distance: int  # farthest |q - k| reached by any query
    coverage: float  # share of (q, k) cells reached


def check_layers(layers: int) -> None:
    """1 to :data:`MAX_TOKENS` layers: a reach over L <= MAX_TOKENS tokens is closed after L - 1."""
    if not 1 <= layers <= MAX_TOKENS:
        raise InputError(f"--layers must be between 1 and {MAX_TOKENS}, not {layers}")


def reach(mask: np.ndarray, layers: int) -> list[np.ndarray]:
    """``[mask^1, ..., mask^layers]`` as boolean matrices (boolean semiring products)."""
    mask = np.asarray(mask, dtype=bool)
    check_layers(layers)
    if mask.shape[0] != mask.shape[-1]:
        raise InputError(f"--layers needs a square mask (queries = keys), not {mask.shape[0]}x{mask.shape[-1]}: "
                         "drop --q-offset and cross:T")
    if mask.shape[-1] > MAX_TOKENS:
        raise InputError(
            f"--layers multiplies dense {mask.shape[-1]}x{mask.shape[-1]} matrices; "
            f"use at most {MAX_TOKENS} tokens (zoom with --range A:B)"
        )
    step = mask.astype(np.float32)
    powers = [mask]
    for _ in range(layers - 1):
        powers.append((powers[-1].astype(np.float32) @ step) > 0)
    return powers


def distance(mask: np.ndarray) -> int:
    """Farthest ``|q - k|`` over the attended cells (0 for an empty mask)."""
    q, k = np.nonzero(mask)
    return int(np.abs(q - k).max()) if q.size else 0


def layer_table(powers: list[np.ndarray]) -> list[LayerReach]:
    return [
        LayerReach(
            layer=i + 1,
            distance=distance(p),
            coverage=float(p.mean()) if p.size else 0.0,
        )
        for i, p in enumerate(powers)
    ]
