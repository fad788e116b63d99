"""Mergeable statistics: exact percentiles, padding strategies, packing, and shard merging."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from maskcli.check.stats import LengthHistogram, Stats, greedy_packs
from maskcli.data.encoding import ResolvedSettings

LONGEST = ResolvedSettings("longest", None, False, "right", None, True)


def stats_of(lengths, batch_size=2) -> Stats:
    s = Stats(batch_size, LONGEST)
    arr = np.asarray(lengths, dtype=np.int64)
    s.add(arr, arr)
    s.flush()
    return s


def test_module_example():
    """[2, 8, 3, 7], B = 2, M = 10: file order 30 slots, length-grouped 22, packing 2 packs."""
    padding = stats_of([2, 8, 3, 7]).summary(10)["padding"]
    assert padding["longest_in_file_order_batches"]["slots"] == 30
    assert padding["as_configured"]["slots"] == 30
    assert padding["length_grouped_batches"]["slots"] == 22
    assert padding["greedy_packing"] == {"packs": 2, "efficiency": 1.0}
    assert padding["pad_to_max_length"]["slots"] == 40


def test_nearest_rank_percentiles():
    hist = LengthHistogram()
    hist.add(np.array([3, 5, 9, 10]))
    assert (hist.percentile(50), hist.percentile(90), hist.percentile(99)) == (5, 10, 10)


@given(st.lists(st.integers(0, 60), max_size=40), st.integers(1, 25))
@settings(max_examples=200, deadline=None)
def test_packing_is_best_fit_decreasing(lengths, M):
    packs = []  # reference: split long rows, then place each piece in the tightest pack that fits
    pieces = []
    for n in lengths:
        packs += [0] * (n // M) if n > M else []
        pieces.append(n % M if n > M else n)
    for n in sorted(pieces, reverse=True):
        if n:
            fits = [i for i, free in enumerate(packs) if free >= n]
            if fits:
                best = min(fits, key=lambda i: packs[i])
                packs[best] -= n
            else:
                packs.append(M - n)
    assert greedy_packs(np.bincount(lengths, minlength=1), M) == (len(packs), sum(lengths))


@given(st.lists(st.integers(1, 50), min_size=1, max_size=60), st.integers(1, 5))
@settings(max_examples=100, deadline=None)
def test_merged_shards_equal_one_pass(lengths, batch_size):
    """Shards of whole batches merge into exactly the one-pass statistics."""
    whole = stats_of(lengths, batch_size)
    cut = len(lengths) // 2 // batch_size * batch_size
    first, second = stats_of(lengths[:cut], batch_size), stats_of(lengths[cut:], batch_size)
    first.merge(second)
    first.flush()
    assert first.summary(64) == whole.summary(64)


def test_length_grouped_matches_sorting():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 300, size=101)
    B = 8
    ordered = np.sort(lengths)
    expected = sum(len(chunk) * chunk.max() for chunk in np.split(ordered, range(B, len(ordered), B)))
    assert stats_of(lengths, B).summary(512)["padding"]["length_grouped_batches"]["slots"] == expected
