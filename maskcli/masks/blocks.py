"""Block view of a mask: tiles of ``block_size x block_size`` are full, partial or empty.

An attention kernel (FlexAttention, flash-attn's block-sparse kernels) skips *empty* tiles,
computes *full* tiles without a mask and masks *partial* ones. The sparsity that matters is
therefore the share of empty tiles: it lies in ``[0, 1]`` by construction, never negative.
Edge tiles of a length that is not a multiple of ``block_size`` are smaller; a tile is full
when every one of its cells may attend.

Worked example, causal ``6 x 6`` with ``block_size=4`` (tiles 4x4, 4x2, 2x4, 2x2)::

    cells                tiles
    1 0 0 0 | 0 0        partial  empty
    1 1 0 0 | 0 0        full     partial
    1 1 1 0 | 0 0
    1 1 1 1 | 0 0        sparsity = 1 empty / 4 tiles = 25%
    ------------------
    1 1 1 1 | 1 0
    1 1 1 1 | 1 1

Counts come either from a dense matrix (:func:`counts_from_dense`) or, without ever building
one, from a :class:`maskcli.masks.spans.SpanMask` (:func:`counts_from_spans`, ``O(L x intervals)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maskcli.errors import InputError
from maskcli.masks.spans import SpanMask

EMPTY, PARTIAL, FULL = 0, 1, 2
STATE_NAMES = ("empty", "partial", "full")


@dataclass(frozen=True)
class BlockSummary:
    """Attended-cell counts per tile and what a kernel would do with each tile."""

    block_size: int
    length: int
    counts: np.ndarray  # (n_blocks, n_blocks) attended cells per tile
    capacity: np.ndarray  # (n_blocks, n_blocks) cells per tile

    @property
    def states(self) -> np.ndarray:
        return np.where(self.counts == 0, EMPTY, np.where(self.counts == self.capacity, FULL, PARTIAL))

    def tally(self) -> dict[str, int]:
        states = self.states
        return {name: int(np.count_nonzero(states == i)) for i, name in enumerate(STATE_NAMES)}

    @property
    def sparsity(self) -> float:
        """Share of tiles a block-sparse kernel can skip (empty tiles), in ``[0, 1]``."""
        return float(np.count_nonzero(self.counts == 0)) / self.counts.size if self.counts.size else 0.0

    @property
    def density(self) -> float:
        """Share of attended cells over all cells."""
        return float(self.counts.sum()) / float(self.capacity.sum()) if self.capacity.size else 0.0

    def describe(self) -> dict:
        return {
            "block_size": self.block_size,
            "blocks": list(self.counts.shape),
            **self.tally(),
            "sparsity": self.sparsity,
            "density": self.density,
            "states": self.states.tolist(),
        }


def check_block_size(block_size: int) -> None:
    if block_size < 1:
        raise InputError(f"--block-size must be a positive number of tokens, not {block_size}")


def tile_sizes(length: int, block_size: int) -> np.ndarray:
    """Sizes of the tiles along one axis: ``length=6, block_size=4 -> [4, 2]``."""
    starts = np.arange(0, length, block_size)
    return np.minimum(starts + block_size, length) - starts


def summary(counts: np.ndarray, length: int, block_size: int) -> BlockSummary:
    sizes = tile_sizes(length, block_size)
    return BlockSummary(block_size, length, counts.astype(np.int64), np.outer(sizes, sizes))


def counts_from_dense(mask: np.ndarray, block_size: int) -> BlockSummary:
    """Block summary of a dense boolean ``(L, L)`` matrix."""
    check_block_size(block_size)
    mask = np.asarray(mask, dtype=bool)
    length = mask.shape[-1]
    starts = np.arange(0, length, block_size)
    per_row = np.add.reduceat(mask, starts, axis=1) if length else mask
    counts = np.add.reduceat(per_row.astype(np.int64), starts, axis=0) if length else per_row
    return summary(counts, length, block_size)


def counts_from_spans(mask: SpanMask, block_size: int, chunk_cells: int = 1 << 22) -> BlockSummary:
    """Block summary of a :class:`SpanMask` without materialising it.

    Per interval ``[lo, hi)`` of a row in query tile ``qb``: its partial first and last key
    tiles get their valid-key counts directly, the key tiles strictly between are covered
    whole, which is recorded in a difference array and later multiplied by each tile's number
    of valid keys. Rows are processed in chunks so memory stays bounded.
    """
    check_block_size(block_size)
    length, bs = mask.length, block_size
    nb = -(-length // bs)
    valid = np.ones(length, dtype=np.int64) if mask.key_valid is None else np.asarray(mask.key_valid, dtype=np.int64)
    prefix = np.concatenate([[0], np.cumsum(valid)])
    tile_valid = prefix[np.minimum(np.arange(1, nb + 1) * bs, length)] - prefix[np.arange(nb) * bs]
    counts = np.zeros(nb * nb, dtype=np.float64)
    cover = np.zeros(nb * (nb + 1), dtype=np.float64)
    width = mask.intervals(np.arange(min(1, length)))[0].shape[1] if length else 1
    rows_per_chunk = max(bs, (chunk_cells // max(width, 1)) // bs * bs)
    for q0 in range(0, length, rows_per_chunk):
        queries = np.arange(q0, min(q0 + rows_per_chunk, length))
        lo, hi = mask.intervals(queries)
        qb = np.broadcast_to((queries // bs)[:, None], lo.shape)
        keep = lo < hi
        lo, hi, qb = lo[keep], hi[keep], qb[keep]
        first, last = lo // bs, (hi - 1) // bs
        same = first == last
        head_end = np.where(same, hi, (first + 1) * bs)
        counts += np.bincount(qb * nb + first, weights=prefix[head_end] - prefix[lo], minlength=nb * nb)
        tail = ~same
        counts += np.bincount(
            qb[tail] * nb + last[tail], weights=prefix[hi[tail]] - prefix[last[tail] * bs], minlength=nb * nb
        )
        row = qb[tail] * (nb + 1)
        cover += np.bincount(row + first[tail] + 1, minlength=nb * (nb + 1))
        cover -= np.bincount(row + last[tail], minlength=nb * (nb + 1))
    covered = np.cumsum(cover.reshape(nb, nb + 1)[:, :nb], axis=1)
    total = counts.reshape(nb, nb) + covered * tile_valid[None, :]
    return summary(np.rint(total).astype(np.int64), length, bs)
