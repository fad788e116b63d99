"""Dataset statistics that merge: compute them per shard, add them up, then summarise.

Lengths are kept as an exact histogram (``counts[n]`` = rows with ``n`` real tokens), so
percentiles are exact and memory is bounded by the longest row, not by the number of rows.
Percentiles use the nearest-rank rule: p50 of lengths ``[3, 5, 9, 10]`` is 5, p90 is 10.

Padding is costed four ways on the real lengths (``R``), ``B`` = ``--batch-size``,
``M`` = max_length:

* pad to ``M``: every row takes ``M`` slots (longer rows are cut to ``M``);
* longest in batches of ``B`` in file order: each batch takes ``B x`` its longest row;
* length-grouped batches of ``B``: the same after sorting rows by length;
* greedy packing (best fit, longest first): rows share packs of ``M`` slots;
  efficiency = real tokens / (packs x ``M``).

For lengths ``R = [2, 8, 3, 7]``, ``B = 2``, ``M = 10``: file order takes 2*8 + 2*7 = 30 slots
for 20 real tokens (33% waste); length-grouped 2*3 + 2*8 = 22 (9% waste); packing needs
2 packs (8+2, 7+3): 100% efficiency.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from maskcli.data.encoding import ResolvedSettings, padded_length

PERCENTILES = (50, 90, 95, 99)


@dataclass
class LengthHistogram:
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def add(self, lengths: np.ndarray) -> None:
        if not len(lengths):
            return
        new = np.bincount(lengths, minlength=len(self.counts))
        new[: len(self.counts)] += self.counts
        self.counts = new

    def merge(self, other: LengthHistogram) -> None:
        self.add_counts(other.counts)

    def add_counts(self, counts: np.ndarray) -> None:
        size = max(len(self.counts), len(counts))
        merged = np.zeros(size, dtype=np.int64)
        merged[: len(self.counts)] += self.counts
        merged[: len(counts)] += counts
        self.counts = merged

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def percentile(self, p: float) -> int:
        """Nearest rank: the smallest length with at least ``p``% of rows at or below it."""
        rank = max(1, int(np.ceil(p / 100 * self.total)))
        return int(np.searchsorted(np.cumsum(self.counts), rank))

    def nth(self, ranks: np.ndarray) -> np.ndarray:
        """Lengths of the rows at 0-based ``ranks`` in ascending order."""
        return np.searchsorted(np.cumsum(self.counts), np.asarray(ranks) + 1)

    def bins(self, number: int = 10) -> list[dict]:
        """Equal-width bins from the shortest to the longest row: ``[{lo, hi, count}]`` (hi inclusive)."""
        present = np.flatnonzero(self.counts)
        if not present.size:
            return []
        lo, hi = int(present[0]), int(present[-1])
        width = max(1, -(-(hi - lo + 1) // number))
        edges = list(range(lo, hi + 1, width))
        return [{"lo": a, "hi": min(a + width - 1, hi), "count": int(self.counts[a: a + width].sum())} for a in edges]

    def sparse(self) -> dict[int, int]:
        return {int(n): int(self.counts[n]) for n in np.flatnonzero(self.counts)}


@dataclass
class Stats:
    """Counters for one shard; :meth:`merge` adds another shard's that came after it."""

    batch_size: int
    layout: ResolvedSettings  # how batches are padded ("none" counts as "longest": a collator pads)
    rows: int = 0
    real_tokens: int = 0
    slots: int = 0  # tokens incl. padding, batches padded as configured
    file_order_slots: int = 0  # longest-in-batch padding of the real lengths, file order
    labelled_rows: int = 0
    labelled_real_tokens: int = 0
    trained_tokens: int = 0
    over_limit_rows: int = 0
    truncated_rows: int = 0
    tokens_lost: int = 0
    lengths: LengthHistogram = field(default_factory=LengthHistogram)
    carry_given: list[int] = field(default_factory=list)  # the unfinished batch (given lengths)
    carry_real: list[int] = field(default_factory=list)

    def add(self, given: np.ndarray, real: np.ndarray) -> np.ndarray:
        """Count rows (given and real lengths); return, for each row of the batches completed now
        (carried rows first), whether batching pads it."""
        self.rows += len(real)
        self.real_tokens += int(real.sum())
        self.lengths.add(real)
        given_all = np.concatenate([np.asarray(self.carry_given, dtype=np.int64), given])
        real_all = np.concatenate([np.asarray(self.carry_real, dtype=np.int64), real])
        done = len(real_all) // self.batch_size * self.batch_size
        self.carry_given, self.carry_real = given_all[done:].tolist(), real_all[done:].tolist()
        return self._batches(given_all[:done], real_all[:done], self.batch_size)

    def flush(self) -> np.ndarray:
        """Close the unfinished batch (end of data or of a shard); returns its padded flags."""
        given, real = np.asarray(self.carry_given, dtype=np.int64), np.asarray(self.carry_real, dtype=np.int64)
        self.carry_given, self.carry_real = [], []
        return self._batches(given, real, max(len(real), 1))

    def _batches(self, given: np.ndarray, real: np.ndarray, size: int) -> np.ndarray:
        if not len(given):
            return np.zeros(0, dtype=bool)
        groups_given, groups_real = given.reshape(-1, size), real.reshape(-1, size)
        longest, where = np.unique(groups_given.max(axis=1), return_inverse=True)  # a batch pads to its longest
        targets = np.array([padded_length([n], self.layout) for n in longest.tolist()], dtype=np.int64)[where]
        self.slots += int(np.maximum(groups_given, targets[:, None]).sum())
        self.file_order_slots += int(groups_real.max(axis=1).sum()) * size
        return (groups_given < targets[:, None]).ravel()

    def add_labels(self, rows: int, real_tokens: int, trained: int) -> None:
        self.labelled_rows += rows
        self.labelled_real_tokens += real_tokens
        self.trained_tokens += trained

    def merge(self, other: Stats) -> None:
        """Add a later shard's counts (flush this one first: its partial batch stays its own)."""
        for name in ("rows", "real_tokens", "slots", "file_order_slots", "labelled_rows", "labelled_real_tokens",
                     "trained_tokens", "over_limit_rows", "truncated_rows", "tokens_lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lengths.merge(other.lengths)
        self.carry_given, self.carry_real = list(other.carry_given), list(other.carry_real)

    @property
    def pad_tokens(self) -> int:
        return self.slots - self.real_tokens

    def summary(self, context_length: int | None) -> dict:
        """The ``summary`` of the report (call after :meth:`flush`)."""
        hist = self.lengths
        lengths = {"min": None, "max": None, **{f"p{p}": None for p in PERCENTILES}, "histogram": []}
        if hist.total:
            present = np.flatnonzero(hist.counts)
            lengths = {"min": int(present[0]), **{f"p{p}": hist.percentile(p) for p in PERCENTILES},
                       "max": int(present[-1]), "histogram": hist.bins()}
        M = context_length or (lengths["max"] or 0)
        return {
            "rows": self.rows,
            "real_tokens": self.real_tokens,
            "pad_tokens": self.pad_tokens,
            "lengths": lengths,
            "truncation": {"max_length": context_length, "rows_over_max_length": self.over_limit_rows,
                           "rows_truncated": self.truncated_rows, "tokens_lost": self.tokens_lost},
            "trained_token_share": (self.trained_tokens / self.labelled_real_tokens
                                    if self.labelled_real_tokens else None),
            "labelled_rows": self.labelled_rows,
            "padding": {
                "batch_size": self.batch_size,
                "context_length": M,
                "as_configured": waste(self.slots, self.real_tokens) | {"padding": self.layout.padding},
                "pad_to_max_length": self.pad_to_max_length(M),
                "longest_in_file_order_batches": waste(self.file_order_slots, self.real_tokens),
                "length_grouped_batches": self.length_grouped(),
                "greedy_packing": self.packing(M),
            },
        }

    def pad_to_max_length(self, M: int) -> dict:
        kept = int(np.minimum(np.arange(len(self.lengths.counts)), M) @ self.lengths.counts)
        return waste(self.rows * M, kept)

    def length_grouped(self) -> dict:
        n, B = self.rows, self.batch_size
        if not n:
            return waste(0, 0)
        last_ranks = np.minimum(np.arange(B - 1, n + B - 1, B), n - 1)  # the longest row of each batch
        sizes = np.minimum(B, n - np.arange(0, n, B))
        return waste(int(self.lengths.nth(last_ranks) @ sizes), self.real_tokens)

    def packing(self, M: int) -> dict:
        packs, kept = greedy_packs(self.lengths.counts, M)
        return {"packs": packs, "efficiency": kept / (packs * M) if packs else None}


def waste(slots: int, real: int) -> dict:
    return {"slots": slots, "pad_tokens": slots - real, "waste": (slots - real) / slots if slots else 0.0}


def greedy_packs(counts: np.ndarray, M: int) -> tuple[int, int]:
    """Best-fit-decreasing packing of rows (``counts[n]`` rows of length ``n``) into packs of ``M``.

    Rows longer than ``M`` fill whole packs and pack their remainder. Returns (packs, tokens).

    >>> greedy_packs(np.bincount([2, 8, 3, 7]), 10)
    (2, 20)
    """
    counts = np.asarray(counts, dtype=np.int64).copy()
    if M < 1:
        return 0, 0
    packs = 0
    tokens = int(np.arange(len(counts)) @ counts)
    for length in np.flatnonzero(counts[M + 1:]) + M + 1:  # split long rows: full packs + a remainder
        c = int(counts[length])
        packs += c * int(length // M)
        counts[length] = 0
        if length % M:
            counts = np.pad(counts, (0, max(0, M + 1 - len(counts))))
            counts[length % M] += c
    counts = counts[: M + 1]
    space = np.zeros(M + 1, dtype=np.int64)  # space[c] = open packs with c free slots
    for length in np.flatnonzero(counts)[::-1]:
        if length == 0:
            continue
        left = int(counts[length])
        for free in np.flatnonzero(space[length:]) + length:  # tightest pack first
            per_pack = free // length
            full = min(int(space[free]), left // per_pack)
            space[free] -= full
            space[free - per_pack * length] += full
            left -= full * per_pack
            if 0 < left < per_pack and space[free]:
                space[free] -= 1
                space[free - left * length] += 1
                left = 0
            if not left:
                break
        if left:
            per_pack = M // length
            full, rest = divmod(left, per_pack)
            space[M - per_pack * length] += full
            if rest:
                space[M - rest * length] += 1
            packs += int(full) + bool(rest)
    return packs, tokens
