"""Padding, causal and combined masks against transformers' create_causal_mask and the worked examples."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from maskcli.masks.algebra import causal_mask, combined_mask, fully_masked_rows, padding_mask
from maskcli.masks.packing import from_position_ids
from maskcli.masks.positions import derived_position_ids


def rows(text: str) -> np.ndarray:
    """``"100 110 111"`` -> a boolean matrix (the notation of mask-semantics.md)."""
    return np.array([[c == "1" for c in row] for row in text.split()], dtype=bool)


def test_worked_examples_from_mask_semantics():
    assert np.array_equal(causal_mask(6), rows("100000 110000 111000 111100 111110 111111"))
    left = combined_mask(np.array([0, 0, 1, 1, 1, 1]))
    assert np.array_equal(left, rows("000000 000000 001000 001100 001110 001111"))
    assert fully_masked_rows(left).tolist() == [0, 1]
    right = combined_mask(np.array([1, 1, 1, 1, 0, 0]))
    assert np.array_equal(right, rows("100000 110000 111000 111100 111100 111100"))
    assert fully_masked_rows(right).tolist() == []
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
