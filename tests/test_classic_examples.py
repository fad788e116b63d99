"""Every worked example of mask-semantics.md, "The classic masks from the literature"."""

from __future__ import annotations

import re

import numpy as np
import pytest

from maskcli.masks.classic.bert import mlm_at_positions
from maskcli.masks.classic.sparse import bigbird_block_spans, bigbird_token_spans, dilated_spans, logsparse_spans, longformer_spans
from maskcli.masks.classic.swin import region_ids, swin_shifted, window_masks
from maskcli.masks.classic.xlnet import perm_mask, streams
from maskcli.errors import InputError
from maskcli.masks.kinds import KINDS, RowContext, build_mask, parse_spec


def build(spec: str, am: str) -> np.ndarray:
    return build_mask(parse_spec(spec), RowContext(np.array([int(c) for c in am])))


def rows(text: str) -> np.ndarray:
    """``"100 110"`` into a boolean matrix."""
    return np.array([[c == "1" for c in row] for row in text.split()], dtype=bool)


def test_bert_mask_token_attended_only_padding_masked():
    tokens = "[CLS] [MASK] cat sat [SEP] [PAD] [PAD] [PAD]".split()
    assert np.array_equal(build("bert-mlm", "11111000"), rows(" ".join(["11111000"] * 8)))
    batch = mlm_at_positions(np.arange(8)[None], [1], mask_token_id=103)
    assert batch.input_ids[0].tolist() == [0, 103, 2, 3, 4, 5, 6, 7]
    assert batch.labels[0].tolist() == [-100, 1, -100, -100, -100, -100, -100, -100]
    assert len(tokens) == 8


def test_unilm_seq2seq_example():
    # [CLS] x1 x2 [SEP] y1 y2 [SEP] [PAD]: source P = 4, the [PAD] row sees the source only.
    expected = rows("11110000 " * 4 + "11111000 11111100 11111110 11110000")
    assert np.array_equal(build("unilm:source=4", "11111110"), expected)


def test_attention_gym_prefix_lm_example():
    assert np.array_equal(build("prefix:3", "111111"), rows("111000 " * 3 + "111100 111110 111111"))
    assert np.array_equal(build("unilm:source=3", "111111"), build("prefix:3", "111111"))  # one implementation


def test_xlnet_example_order_3_2_4_1():
    order = [2, 1, 3, 0]
    content, query = streams(perm_mask(order))
    assert np.array_equal(query, rows("0111 0010 0000 0110"))
    assert np.array_equal(content, rows("1111 0110 0010 0111"))
    assert np.array_equal(perm_mask(order), (~rows("0111 0010 0000 0110")).astype(int))
    assert np.array_equal(build("xlnet:perm=2+1+3+0", "1111"), rows("1111 0110 0010 0111"))
    assert np.array_equal(build("xlnet:perm=2+1+3+0,stream=query", "1111"), rows("0111 0010 0000 0110"))
    assert KINDS["xlnet"].native_convention.startswith("perm_mask[i, j] = 1")


def test_xlnet_rejects_non_permutation():
    with pytest.raises(InputError, match="exactly once"):
        build("xlnet:perm=0+0+1", "111")


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
    assert shown.panel(1).labels == ["(0,2)", "(0,3)", "(1,2)", "(1,3)"]


@pytest.mark.parametrize("args", [(4, 4, 3, 1), (4, 4, 2, 0), (4, 4, 2, 2)])
def test_swin_rejects_bad_geometry(args):
    with pytest.raises(InputError):
        region_ids(*args)


def test_logsparse_example():
    expected = rows("10000000 11000000 11100000 01110000 10111000 01011100 00101110 00010111")
    assert np.array_equal(logsparse_spans(8).dense(), expected)
    assert np.array_equal(build("logsparse", "11111111"), expected)


def test_longformer_example_window_4_global_0():
    am = np.array([2, 1, 1, 1, 1, 1, 1, 1])
    expected = rows("11111111 11110000 11111000 11111100 10111110 10011111 10001111 10000111")
    assert np.array_equal(longformer_spans(am, 4).dense(), expected)
    assert np.array_equal(build("longformer:window=4,global=0", "11111111"), expected)


def test_bigbird_block_level_example_and_token_level_expansion():
    expected = rows("11111111 11100001 11110001 10111001 10011101 10001111 10000111 11111111")
    assert np.array_equal(bigbird_block_spans(8).dense(), expected)
    tokens = bigbird_token_spans(8, 2).dense()
    assert np.array_equal(tokens, np.kron(expected, np.ones((2, 2), dtype=bool)))
    assert np.array_equal(build("bigbird:block=2", "1" * 16), tokens)


def test_dilated_window_causal_and_bidirectional():
    causal = dilated_spans(8, 3, 2, causal=True).dense()
    q, k = np.indices((8, 8))
    assert np.array_equal(causal, (q >= k) & ((q - k) % 2 == 0) & ((q - k) <= 4))
    both = dilated_spans(8, 4, 3, causal=False).dense()
    assert np.array_equal(both, (abs(q - k) % 3 == 0) & (abs(q - k) <= 6))
    assert np.array_equal(build("dilated:window=3,dilation=2", "11111111"), causal)
    assert np.array_equal(build("dilated-bi:window=4,dilation=3", "11111111"), both)


def test_every_kind_names_reading_reference_and_example():
    for kind in KINDS.values():
        assert kind.reading and kind.reference and kind.example
        if kind.shown_by is None:
            assert parse_spec(kind.example).kind is kind


@pytest.mark.parametrize("spec", ["window:3", "window:size=3", "longformer:window=4,global=0+5", "longformer:4,global=0",
                                  "bigbird:block=2", "logsparse", "dilated:window=4,dilation=2", "xlnet:perm=2+1+3+0",
                                  "unilm:source=4", "dilated:window=2+packed", "chunk:2+packed"])
def test_spec_syntax_accepts(spec):
    assert parse_spec(spec).text == spec


def test_spec_values_and_predicate_text():
    spec = parse_spec("longformer:window=4,global=0+5")
    assert spec.value("window") == 4 and spec.value("global") == (0, 5)
    assert "<= 4 // 2" in spec.predicate()
    assert parse_spec("window:size=3").predicate() == parse_spec("window:3").predicate()
    assert parse_spec("cross:3").predicate() == "(True) & attention_mask[b, kv_idx]"  # T is not replaced inside True


@pytest.mark.parametrize("bad, message", [
    ("longformer:window=3", "even"), ("longformer:global=0", "needs its W"), ("longformer:window=4,size=2", "no parameter"),
    ("longformer:window=4,window=4", "twice"), ("xlnet:perm=2-1-3-0", "joined by +"), ("xlnet:stream=both", "one of"),
    ("swin:image=4", "maskcli swin"), ("logsparse:3", "takes no parameter"), ("longformer:window=4+packed", "+packed"),
    ("dilated:window=2,3", "KEY=VALUE"),
])
def test_bad_specs_name_the_problem(bad, message):
    with pytest.raises(InputError, match=re.escape(message)):
        parse_spec(bad)


@pytest.mark.parametrize("spec, am, message", [
    ("bigbird:block=2", "111", "multiple of its block 2"), ("longformer:window=2,global=5", "111", "outside"),
    ("longformer:window=2,global=2", "110", "is padding"), ("xlnet:perm=1+0", "111", "exactly once"),
])
def test_row_dependent_errors(spec, am, message):
    with pytest.raises(InputError, match=message):
        build(spec, am)
