"""Every worked example of mask-semantics.md, "The classic masks from the literature"."""

from __future__ import annotations

import numpy as np
import pytest

from maskcli.classic.base import ClassicMask, index_labels
from maskcli.classic.bert import bert_attention, mlm_at_positions
from maskcli.classic.sparse import (
    bigbird,
    bigbird_block_spans,
    bigbird_token_spans,
    dilated_spans,
    logsparse_spans,
    longformer_spans,
)
from maskcli.classic.swin import region_ids, swin_shifted, window_masks
from maskcli.classic.unilm import pair_bounds, seq2seq_spans
from maskcli.classic.xlnet import perm_mask, streams, xlnet_permutation
from maskcli.errors import InputError


def rows(text: str) -> np.ndarray:
    """``"100 110"`` into a boolean matrix."""
    return np.array([[c == "1" for c in row] for row in text.split()], dtype=bool)


def test_bert_mask_token_attended_only_padding_masked():
    tokens = "[CLS] [MASK] cat sat [SEP] [PAD] [PAD] [PAD]".split()
    am = np.array([1, 1, 1, 1, 1, 0, 0, 0])
    assert np.array_equal(bert_attention(am).dense(), rows(" ".join(["11111000"] * 8)))
    batch = mlm_at_positions(np.arange(8)[None], [1], mask_token_id=103)
    assert batch.input_ids[0].tolist() == [0, 103, 2, 3, 4, 5, 6, 7]
    assert batch.labels[0].tolist() == [-100, 1, -100, -100, -100, -100, -100, -100]
    assert len(tokens) == 8


def test_unilm_seq2seq_example():
    # [CLS] x1 x2 [SEP] y1 y2 [SEP] [PAD]: sequence ids of an encoded pair.
    prefix, end = pair_bounds([None, 0, 0, None, 1, 1, None, None], [1, 1, 1, 1, 1, 1, 1, 0])
    assert (prefix, end) == (4, 7)
    expected = rows("11110000 " * 4 + "11111000 11111100 11111110 11110000")
    assert np.array_equal(seq2seq_spans(prefix, end, 8).dense(), expected)


def test_attention_gym_prefix_lm_example():
    assert np.array_equal(seq2seq_spans(3, 6, 6).dense(), rows("111000 " * 3 + "111100 111110 111111"))


def test_xlnet_example_order_3_2_4_1():
    order = [2, 1, 3, 0]
    content, query = streams(perm_mask(order))
    assert np.array_equal(query, rows("0111 0010 0000 0110"))
    assert np.array_equal(content, rows("1111 0110 0010 0111"))
    assert np.array_equal(perm_mask(order), (~rows("0111 0010 0000 0110")).astype(int))
    shown = xlnet_permutation(list("abcd"), order)
    assert shown.facts["rank"] == [3, 1, 0, 2]
    assert shown.panels[1].native_convention.startswith("perm_mask[i, j] = 1")


def test_xlnet_rejects_non_permutation():
    with pytest.raises(InputError, match="exactly once"):
        xlnet_permutation(list("abc"), [0, 0, 1])


def test_swin_example_regions_and_windows():
    ids = region_ids(4, 4, 2, 1)
    assert ids.tolist() == [[0, 0, 1, 2], [0, 0, 1, 2], [3, 3, 4, 5], [6, 6, 7, 8]]
    masks = window_masks(ids, 2)
    attend = masks == 0
    assert attend[0].all()
    assert np.array_equal(attend[1], rows("1010 0101 1010 0101"))
    assert np.array_equal(attend[2], rows("1100 1100 0011 0011"))
    assert np.array_equal(attend[3], np.eye(4, dtype=bool))
    assert set(np.unique(masks).tolist()) == {0.0, -100.0}
    shown = swin_shifted(4, 4, 2, 1)
    assert [p.labels for p in shown.panels][1] == ["(0,2)", "(0,3)", "(1,2)", "(1,3)"]


@pytest.mark.parametrize("args", [(4, 4, 3, 1), (4, 4, 2, 0), (4, 4, 2, 2)])
def test_swin_rejects_bad_geometry(args):
    with pytest.raises(InputError):
        region_ids(*args)


def test_logsparse_example():
    expected = rows("10000000 11000000 11100000 01110000 10111000 01011100 00101110 00010111")
    assert np.array_equal(logsparse_spans(8).dense(), expected)


def test_longformer_example_window_4_global_0():
    am = np.array([2, 1, 1, 1, 1, 1, 1, 1])
    expected = rows("11111111 11110000 11111000 11111100 10111110 10011111 10001111 10000111")
    assert np.array_equal(longformer_spans(am, 4).dense(), expected)


def test_bigbird_block_level_example_and_token_level_expansion():
    expected = rows("11111111 11100001 11110001 10111001 10011101 10001111 10000111 11111111")
    assert np.array_equal(bigbird_block_spans(8).dense(), expected)
    tokens = bigbird_token_spans(8, 2).dense()
    assert np.array_equal(tokens, np.kron(expected, np.ones((2, 2), dtype=bool)))
    assert [p.title for p in bigbird(8, 2).panels] == ["BigBird blocks", "BigBird tokens"]


def test_dilated_window_causal_and_bidirectional():
    causal = dilated_spans(8, 3, 2, causal=True).dense()
    q, k = np.indices((8, 8))
    assert np.array_equal(causal, (q >= k) & ((q - k) % 2 == 0) & ((q - k) <= 4))
    both = dilated_spans(8, 4, 3, causal=False).dense()
    assert np.array_equal(both, (abs(q - k) % 3 == 0) & (abs(q - k) <= 6))


def test_every_classic_mask_names_reference_and_convention():
    shown: list[ClassicMask] = [bigbird(4, 2), swin_shifted(4, 4, 2, 1), xlnet_permutation(index_labels(3), [2, 0, 1])]
    for mask in shown:
        assert mask.reference and mask.convention and mask.summary
