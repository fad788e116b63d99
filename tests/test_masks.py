"""Padding, causal and combined masks (``show``'s default specs, as the row analysis builds them)
against transformers' create_causal_mask and the worked examples."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from maskcli.masks.kinds import KINDS, RowContext, parse_spec
from maskcli.masks.packing import from_position_ids
from maskcli.masks.positions import derived_position_ids
from maskcli.show.analysis import DEFAULT_SPECS, mask_result, span_empty_rows


def default_masks(attention_mask: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``name -> (dense mask, queries that attend to nothing)`` of one row, as show builds them."""
    am = np.asarray(attention_mask)
    results = [mask_result(spec.text, spec, RowContext(am), [""] * len(am), False) for spec in DEFAULT_SPECS]
    return {r.name: (r.dense(), r.empty_rows) for r in results}


def stacked(am: np.ndarray, name: str) -> np.ndarray:
    return np.stack([default_masks(row)[name][0] for row in am])


def causal_mask(length: int) -> np.ndarray:
    return default_masks(np.ones(length, int))["causal"][0]


def combined_mask(am: np.ndarray) -> np.ndarray:
    return default_masks(am)["combined"][0] if am.ndim == 1 else stacked(am, "combined")


def padding_mask(am: np.ndarray) -> np.ndarray:
    return default_masks(am)["padding"][0] if am.ndim == 1 else stacked(am, "padding")


def rows(text: str) -> np.ndarray:
    """``"100 110 111"`` -> a boolean matrix (the notation of mask-semantics.md)."""
    return np.array([[c == "1" for c in row] for row in text.split()], dtype=bool)


def test_worked_examples_from_mask_semantics():
    assert np.array_equal(causal_mask(6), rows("100000 110000 111000 111100 111110 111111"))
    left = combined_mask(np.array([0, 0, 1, 1, 1, 1]))
    assert np.array_equal(left, rows("000000 000000 001000 001100 001110 001111"))
    assert default_masks(np.array([0, 0, 1, 1, 1, 1]))["combined"][1].tolist() == [0, 1]
    right = combined_mask(np.array([1, 1, 1, 1, 0, 0]))
    assert np.array_equal(right, rows("100000 110000 111000 111100 111100 111100"))
    assert default_masks(np.array([1, 1, 1, 1, 0, 0]))["combined"][1].tolist() == []
    assert np.array_equal(default_masks(np.array([1, 1, 0]))["causal"][0], rows("100 110 111"))  # no padding
    assert derived_position_ids(np.array([0, 0, 1, 1, 1, 1])).tolist() == [0, 0, 0, 1, 2, 3]
    assert from_position_ids(np.array([0, 1, 2, 0, 1, 0])).documents.tolist() == [0, 0, 0, 1, 1, 2]


masks_2d = st.integers(1, 12).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 1), min_size=n, max_size=n), min_size=1, max_size=3)
)


@given(masks_2d)
def test_combined_is_and_of_parts_and_never_sees_the_future(batch):
    am = np.array(batch)
    combined = combined_mask(am)
    assert np.array_equal(combined, causal_mask(am.shape[-1]) & padding_mask(am))
    assert not np.triu(combined, k=1).any()
    assert np.array_equal(padding_mask(am)[:, 3 % am.shape[-1], :], am.astype(bool))


@given(masks_2d)
def test_combined_matches_transformers_create_causal_mask_sdpa(batch):
    torch = pytest.importorskip("torch")
    from transformers import LlamaConfig
    from transformers.masking_utils import create_causal_mask

    config = LlamaConfig(hidden_size=8, num_attention_heads=2, num_key_value_heads=2, intermediate_size=16,
                         num_hidden_layers=1, vocab_size=10)
    config._attn_implementation = "sdpa"
    am = np.array(batch)
    expected = create_causal_mask(
        config=config,
        inputs_embeds=torch.zeros(am.shape[0], am.shape[1], 8),
        attention_mask=torch.tensor(am),
        past_key_values=None,
        position_ids=None,
        allow_is_causal_skip=False,
    )
    assert expected.dtype == torch.bool
    assert np.array_equal(combined_mask(am), expected[:, 0].numpy())


@given(masks_2d, st.sampled_from(["causal", "bidirectional", "window:2", "chunk:3", "prefix:2", "window-bi:1",
                                   "dilated:window=2,dilation=2", "logsparse", "longformer:window=2",
                                   "bigbird:block=1", "unilm:source=2"]))
def test_empty_rows_from_intervals_equal_the_dense_rows(batch, text):
    spec = parse_spec(text)
    for am in np.array(batch):
        if spec.kind.name == "bigbird" and len(am) < 3:  # fewer than 3 blocks: refused with one line, nothing to compare
            continue
        result = mask_result(text, spec, RowContext(am), [""] * len(am), True)
        assert result.empty_rows.tolist() == np.flatnonzero(~result.dense().any(axis=-1)).tolist()


def test_a_matrix_beyond_the_budget_is_refused_with_one_line():
    from maskcli.errors import InputError

    (_, _, combined) = [mask_result(s.text, s, RowContext(np.ones(9000, int)), [], False) for s in DEFAULT_SPECS]
    assert span_empty_rows(combined.panel.mask).tolist() == []
    with pytest.raises(InputError, match="--no-matrices"):
        combined.dense("the JSON", "leave the matrices out with --no-matrices")


def test_a_kind_without_spans_past_the_budget_is_refused_before_it_allocates(monkeypatch):
    """xlnet over 300,001 tokens asked numpy for 84 GiB (a MemoryError, an internal error)."""
    from maskcli.errors import InputError
    from maskcli.masks import kinds

    monkeypatch.setattr(kinds, "DENSE_CELLS", 99)
    ctx = RowContext(np.ones(10, int))
    with pytest.raises(InputError, match=r"--mask xlnet: xlnet is built as the whole 10 x 10 matrix of a row, "
                                         r"more than 99 cells; shorten the rows \(--max-length\)"):
        kinds.build_mask(parse_spec("xlnet"), ctx)
    monkeypatch.setattr(kinds, "DENSE_CELLS", 100)
    assert kinds.build_mask(parse_spec("xlnet"), ctx).shape == (10, 10)


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 3)), min_size=1, max_size=4),
       st.sampled_from(["causal", "window:2", "window-mistral:1", "window-bi:1", "chunk:2", "prefix:2", "logsparse",
                        "bidirectional"]),
       st.booleans(), st.data())
def test_every_interval_form_equals_the_dense_build(documents, text, packed, data):
    """span_view (what grids, tiles and empty rows read) against build_mask (the predicate), also +packed."""
    from maskcli.masks.kinds import build_mask, span_view

    position_ids = np.concatenate([np.arange(start, start + n) for n, start in documents])
    am = np.array(data.draw(st.lists(st.integers(0, 1), min_size=len(position_ids), max_size=len(position_ids))))
    spec = parse_spec(text + ("+packed" if packed and KINDS[text.split(":")[0]].can_pack else ""))
    ctx = RowContext(am, packing=from_position_ids(position_ids))
    view = span_view(spec, ctx)
    if view is not None:
        assert np.array_equal(view.dense(), build_mask(spec, ctx))
    if spec.packed and spec.kind.shift_invariant:
        assert view is not None
