"""Block summaries (dense and span-based agree, sparsity never negative) and receptive fields."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maskcli.masks.blocks import EMPTY, FULL, PARTIAL, counts_from_dense, counts_from_spans
from maskcli.masks.classic.sparse import dilated_spans, logsparse_spans, longformer_spans
from maskcli.errors import InputError
from maskcli.masks.receptive import distance, layer_table, reach
from maskcli.masks.kinds import RowContext, span_view
from maskcli.masks.spans import SpanMask, disjoint
from maskcli.show.analysis import DEFAULT_SPECS


def combined_spans(attention_mask) -> SpanMask:
    """show's combined mask (causal AND padding) as key intervals."""
    return span_view(DEFAULT_SPECS[2], RowContext(np.asarray(attention_mask)))


def test_docstring_example_causal_6_block_4():
    summary = counts_from_dense(np.tri(6, dtype=bool), 4)
    assert summary.states.tolist() == [[PARTIAL, EMPTY], [FULL, PARTIAL]]
    assert summary.sparsity == 0.25
    assert summary.tally() == {"empty": 1, "partial": 2, "full": 1}


def test_disjoint_keeps_the_union():
    lo, hi = disjoint(np.array([[0, 2, 4]]), np.array([[5, 3, 8]]), 10)
    assert lo.tolist() == [[0, 5, 5]] and hi.tolist() == [[5, 5, 8]]


random_spans = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.lists(st.tuples(st.integers(-3, n + 3), st.integers(0, 6)), min_size=3, max_size=3),
                 min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.integers(1, 9),
    )
)


@settings(max_examples=150, deadline=None)
@given(random_spans)
def test_span_counts_equal_dense_counts(case):
    n, table, valid, block = case
    lo = np.array([[a for a, _ in row] for row in table])
    hi = lo + np.array([[w for _, w in row] for row in table])
    mask = SpanMask(n, lambda q: (lo[q], hi[q]), key_valid=np.array(valid))
    dense = mask.dense()
    expected = np.zeros((n, n), dtype=bool)
    for q in range(n):
        for a, b in zip(lo[q], hi[q]):
            expected[q, max(a, 0):max(min(b, n), 0)] = True
    assert np.array_equal(dense, expected & np.array(valid))
    from_spans, from_dense = counts_from_spans(mask, block, chunk_cells=7), counts_from_dense(dense, block)
    assert np.array_equal(from_spans.counts, from_dense.counts)
    assert 0.0 <= from_spans.sparsity <= 1.0
    assert from_spans.counts.sum() == dense.sum()


@pytest.mark.parametrize("mask", [logsparse_spans(37), dilated_spans(50, 4, 3, True), dilated_spans(50, 5, 2, False),
                                  longformer_spans(np.array([2] + [1] * 30 + [0] * 3), 6)])
def test_classic_spans_block_counts(mask):
    assert np.array_equal(counts_from_spans(mask, 8).counts, counts_from_dense(mask.dense(), 8).counts)


def test_padding_makes_blocks_partial_not_full():
    am = np.array([1] * 6 + [0] * 2)
    states = counts_from_spans(combined_spans(am), 4).states
    assert states.tolist() == [[PARTIAL, EMPTY], [FULL, PARTIAL]]
    assert counts_from_spans(combined_spans(np.ones(8, int)), 4).states[1, 0] == FULL


def test_combined_spans_are_causal_and_padding():
    am = np.array([0, 0, 1, 1, 1, 1, 0])
    assert np.array_equal(combined_spans(am).dense(), np.tri(7, dtype=bool) & (am == 1)[None, :])


def test_long_causal_mask_is_summarised_without_a_dense_matrix():
    n = 32768
    summary = counts_from_spans(combined_spans(np.ones(n, np.int8)), 128)
    nb = n // 128
    assert summary.tally() == {"empty": nb * (nb - 1) // 2, "partial": nb, "full": nb * (nb - 1) // 2}
    assert summary.counts.sum() == n * (n + 1) // 2


def test_block_size_must_be_positive():
    with pytest.raises(InputError, match="--block-size"):
        counts_from_dense(np.eye(3, dtype=bool), 0)


def test_receptive_field_docstring_example():
    window = np.tri(5, dtype=bool) & ~np.tri(5, k=-2, dtype=bool)
    powers = reach(window, 3)
    assert powers[1].astype(int).tolist()[4] == [0, 0, 1, 1, 1]
    assert powers[2].astype(int).tolist()[4] == [0, 1, 1, 1, 1]
    assert [r.distance for r in layer_table(powers)] == [1, 2, 3]


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 12), st.integers(1, 4), st.integers(0, 2**31))
def test_reach_is_matrix_power(n, layers, seed):
    mask = np.random.default_rng(seed).random((n, n)) < 0.3
    expected = mask.astype(int)
    for power in reach(mask, layers)[1:]:
        expected = (expected @ mask.astype(int)) > 0
        assert np.array_equal(power, expected)
        expected = expected.astype(int)


def test_logsparse_reaches_everything_in_log_layers():
    powers = reach(logsparse_spans(64).dense(), 6)
    assert powers[-1].sum() == 64 * 65 // 2  # full causal reach after log2(64) layers
    assert distance(powers[0]) == 32


def test_reach_refuses_huge_dense_products():
    with pytest.raises(InputError, match="--range"):
        reach(np.zeros((3000, 3000), dtype=bool), 2)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 6), st.integers(1, 40), st.integers(0, 2**31))
def test_reach_after_any_layer_count_is_the_matrix_power(n, layers, seed):
    """The cycle read-off (saturation or a periodic reach without the diagonal) equals the plain power."""
    from maskcli.masks.receptive import reach_series

    mask = np.random.default_rng(seed).random((n, n)) < 0.4
    expected = mask.astype(int)
    for _ in range(layers - 1):
        expected = ((expected @ mask.astype(int)) > 0).astype(int)
    series = reach_series(mask, 3)
    assert np.array_equal(reach_series(mask, layers).after(layers), expected > 0)
    assert len(series.powers) <= 3


def test_layers_saturate_so_a_billion_layers_return_at_once():
    from typer.testing import CliRunner

    from maskcli.cli import app

    result = CliRunner().invoke(app, ["show", "a b c d e f", "--mask", "window:2", "--layers", "1000000000"])
    assert result.exit_code == 0, result.output
    assert "window:2 · layer 5: farthest |q-k| reached 5" in result.output
    assert "window:2 · layer 6" not in result.output
    assert "window:2: layer 6 repeats layer 5" in result.output


def test_block_headline_wraps_instead_of_losing_the_sparsity():
    from typer.testing import CliRunner

    from maskcli.cli import app

    text = " ".join(["a"] * 64)
    result = CliRunner().invoke(app, ["show", text, "--block-size", "8"], env={"COLUMNS": "60", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "sparsity" in result.output and "density" in result.output
