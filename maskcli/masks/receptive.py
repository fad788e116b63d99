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

The powers of one L x L boolean matrix repeat sooner or later (with the diagonal set they stop
growing after at most L - 1 layers), so any layer count is cheap: products stop at the first
power seen before, and the reach after K layers is read off the cycle. In the example above,
layer 5 equals layer 4 (the reach saturates), so ``--layers 1000000000`` costs 5 products.
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


@dataclass(frozen=True)
class ReachSeries:
    """``powers[i]`` is the reach after ``i + 1`` layers; layer ``len(powers) + 1`` equals layer
    ``repeats + 1`` (``repeats`` is ``None`` when all requested layers were computed)."""

    powers: list[np.ndarray]
    repeats: int | None

    def after(self, layers: int) -> np.ndarray:
        """The reach after ``layers`` layers, read off the cycle once the powers repeat."""
        if layers <= len(self.powers) or self.repeats is None:
            return self.powers[min(layers, len(self.powers)) - 1]
        period = len(self.powers) - self.repeats
        return self.powers[self.repeats + (layers - 1 - self.repeats) % period]


def check_layers(layers: int) -> None:
    """Any positive number of layers: the powers repeat, so large counts cost no more."""
    if layers < 1:
        raise InputError(f"--layers must be a positive integer, not {layers}")


def reach(mask: np.ndarray, layers: int) -> list[np.ndarray]:
    """``[mask^1, ..., mask^n]`` as boolean matrices (boolean semiring products), ``n = layers``
    or fewer when a power repeats an earlier one (see :func:`reach_series`)."""
    return reach_series(mask, layers).powers


def reach_series(mask: np.ndarray, layers: int) -> ReachSeries:
    """The powers up to ``layers`` or to the first repetition, whichever comes first."""
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
    seen = {np.packbits(mask).tobytes(): 0}
    while len(powers) < layers:
        power = (powers[-1].astype(np.float32) @ step) > 0
        earlier = seen.setdefault(np.packbits(power).tobytes(), len(powers))
        if earlier != len(powers):
            return ReachSeries(powers, earlier)
        powers.append(power)
    return ReachSeries(powers, None)


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
