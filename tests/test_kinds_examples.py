"""Every worked example of mask-semantics.md that the mask kinds cover, plus property tests.

The matrices are those of the reference document (obtained there from transformers 5.23.0 and the
cited reference code); tests/test_kinds_oracle.py checks the same builders against transformers live.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maskcli.masks import conventions, packing
from maskcli.errors import InputError
from maskcli.masks.flash import flash_form, mask_from_flash
from maskcli.masks.kinds import RowContext, build_mask, parse_spec
from maskcli.show.lints import mask_lints, row_lints


def matrix(text: str) -> np.ndarray:
    """``"100 110"`` -> the boolean matrix, row by row."""
    return np.array([[c == "1" for c in row] for row in text.split()], dtype=bool)


def build(spec: str, am="111111", **ctx) -> np.ndarray:
    return build_mask(parse_spec(spec), RowContext(np.array([int(c) for c in am]), **ctx))


CORE = [
    ("causal", "111111", "100000 110000 111000 111100 111110 111111"),
    ("window:3", "111111", "100000 110000 111000 011100 001110 000111"),
    ("chunk:2", "111111", "100000 110000 001000 001100 000010 000011"),
    ("chunk:3", "111111", "100000 110000 111000 000100 000110 000111"),
    ("chunk:2", "011111", "000000 010000 011000 000100 000110 000001"),
    ("causal", "001111", "000000 000000 001000 001100 001110 001111"),
    ("causal", "111100", "100000 110000 111000 111100 111100 111100"),
    ("window-bi:2", "111111", "111000 111100 111110 011111 001111 000111"),
    ("prefix:3", "111111", "111000 111000 111000 111100 111110 111111"),
    ("chunk:3", "11111111", "10000000 11000000 11100000 00010000 00011000 00011100 00000010 00000011"),
    ("bidirectional", "11111000", " ".join(["11111000"] * 8)),
]


@pytest.mark.parametrize("spec,am,expected", CORE)
def test_worked_examples(spec, am, expected):
    assert np.array_equal(build(spec, am), matrix(expected))


def test_left_padding_rows_zero_and_one_are_fully_masked():
    empty = np.flatnonzero(~build("causal", "001111").any(axis=-1))
    lints = mask_lints(parse_spec("causal"), empty, RowContext(np.array([0, 0, 1, 1, 1, 1])))
    assert [lint.code for lint in lints] == ["empty-rows"]
    assert "[0, 1]" in lints[0].message


def test_packed_position_ids_example_with_flash_cu_seqlens():
    pk = packing.from_position_ids(np.array([0, 1, 2, 0, 1, 0]))
    assert pk.documents.tolist() == [0, 0, 0, 1, 1, 2]
    mask = build("packed", packing=pk)
    assert np.array_equal(mask, matrix("100000 110000 111000 000100 000110 000001"))
    assert list(flash_form(mask, np.ones(6)).cu_seqlens) == [0, 3, 5, 6]
    assert packing.flash_cu_seqlens(np.array([0, 1, 2, 0, 1, 0])) == [0, 3, 5, 6]


def test_sliding_window_on_packed_example():
    pk = packing.from_position_ids(np.array([0, 1, 2, 3, 0, 1]))
    assert np.array_equal(build("window:3+packed", packing=pk), matrix("100000 110000 111000 011100 000010 000011"))


def test_document_masking_lengths_and_eos_separator():
    expected = matrix("10000000 11000000 11100000 00010000 00011000 00000100 00000110 00000111")
    assert np.array_equal(build("packed", "11111111", packing=packing.from_lengths([3, 2, 3], 8)), expected)
    ids = np.array([5, 6, 9, 7, 9, 8, 8, 9])  # 9 = EOS ends each document
    assert np.array_equal(build("packed", "11111111", packing=packing.from_separator(ids, 9)), expected)


def test_image_block_ids_example():
    mask = build("blocks", block_ids=np.array([-1, 0, 0, 0, -1, -1]))
    assert np.array_equal(mask, matrix("100000 111100 111100 111100 111110 111111"))


def test_kv_cache_offset_and_sdpa_top_left():
    assert np.array_equal(build("causal", q_offset=4), matrix("111110 111111"))
    assert np.array_equal(build("causal-top-left", q_offset=4), matrix("100000 110000"))


def test_cross_attention_example():
    assert np.array_equal(build("cross:3", "11100"), matrix("11100 11100 11100"))


def test_mistral_reading_has_one_more_key_than_transformers():
    mistral, hf = build("window-mistral:3"), build("window:3")
    assert mistral.sum(axis=1).tolist() == [1, 2, 3, 4, 4, 4]
    assert hf.sum(axis=1).tolist() == [1, 2, 3, 3, 3, 3]
    assert np.array_equal(mistral, np.triu(np.tril(np.ones((6, 6), bool)), k=-3))  # Mistral's triu(tril, diagonal=-W)


def test_unilm_prefix_real_rows():
    """UniLM ``[CLS] x1 x2 [SEP] y1 y2 [SEP] [PAD]``, P = 4: the real query rows."""
    expected = matrix("11110000 11110000 11110000 11110000 11111000 11111100 11111110")
    assert np.array_equal(build("prefix:4", "11111110")[:7], expected)


def test_flash_window_size_for_sliding_window():
    form = flash_form(build("window:3"), np.ones(6))
    assert form.causal and form.window_size == (2, 0)  # transformers passes (W-1, W-1) with causal=True: same keys


def test_prefix_mask_has_no_flash_form():
    assert isinstance(flash_form(build("prefix:3"), np.ones(6)), str)


@pytest.mark.parametrize("bad", ["wndow:3", "window", "window:x", "window:0", "causal:3", "window:3+foo", "cross:2+packed"])
def test_bad_specs_are_input_errors(bad):
    with pytest.raises(InputError):
        parse_spec(bad)


def test_lints():
    codes = [lint.code for lint in row_lints(np.array([1, 1, 2, 2]), None)]
    assert codes == ["segment-ids"]
    codes = [lint.code for lint in row_lints(np.ones(4, int), np.array([0, 1, 0, 1]))]
    assert codes == ["packing-ignored"]
    assert row_lints(np.ones(4, int), np.array([0, 1, 0, 1]), given_attention_mask=False) == []
    ctx = RowContext(np.array([0, 1, 1, 1, 1, 1]))
    assert [lint.code for lint in mask_lints(parse_spec("window:6"), np.array([], int), RowContext(np.ones(6)))] == ["window-no-effect"]
    assert "chunk-shifted" in [lint.code for lint in mask_lints(parse_spec("chunk:2"), np.array([0]), ctx)]


# ---- properties ---------------------------------------------------------------------------

rows = st.lists(st.sampled_from([0, 1]), min_size=1, max_size=10).map(np.array)
sizes = st.integers(1, 8)
square_specs = st.sampled_from(["causal", "bidirectional", "window:{n}", "window-mistral:{n}", "window-bi:{n}", "chunk:{n}", "prefix:{n}"])


@settings(max_examples=80, deadline=None)
@given(am=rows, template=square_specs, n=sizes, name=st.sampled_from(conventions.MATRIX_CONVENTIONS), dtype=st.sampled_from(list(conventions.FINFO_MIN)))
def test_conversions_round_trip(am, template, n, name, dtype):
    mask = build_mask(parse_spec(template.format(n=n)), RowContext(am))
    assert np.array_equal(conventions.from_convention(conventions.to_convention(mask, name, dtype), name), mask)


@settings(max_examples=80, deadline=None)
@given(am=rows, template=square_specs, n=sizes)
def test_flash_form_round_trips_on_real_rows(am, template, n):
    mask = build_mask(parse_spec(template.format(n=n)), RowContext(am))
    form = flash_form(mask, am)
    if isinstance(form, str):
        real_at = np.flatnonzero(am)
        holes = len(real_at) and real_at[-1] - real_at[0] + 1 != len(real_at)  # pads between real tokens
        assert template.startswith("prefix") or holes
        return
    real = am != 0
    assert np.array_equal(mask_from_flash(form, len(am))[real], mask[real])


@settings(max_examples=80, deadline=None)
@given(am=rows, template=square_specs, n=sizes)
def test_combined_mask_is_and_of_pattern_and_padding(am, template, n):
    spec = parse_spec(template.format(n=n))
    pattern = build_mask(spec, RowContext(np.ones_like(am))) if not spec.kind.name == "chunk" or not (am == 0).any() else None
    combined = build_mask(spec, RowContext(am))
    padding = np.broadcast_to(am.astype(bool), combined.shape)
    assert not (combined & ~padding).any()
    if pattern is not None:  # chunk boundaries move with left padding, so only the others factor this simply
        assert np.array_equal(combined, pattern & padding)


@settings(max_examples=80, deadline=None)
@given(am=rows, kind=st.sampled_from(["window", "window-mistral", "chunk"]), n=sizes, offset=st.integers(0, 9))
def test_windows_and_chunks_never_see_the_future(am, kind, n, offset):
    ctx = RowContext(am, q_offset=min(offset, len(am)))
    mask = build_mask(parse_spec(f"{kind}:{n}"), ctx)
    q = np.arange(ctx.q_offset, len(am))[:, None]
    k = np.arange(len(am))[None, :]
    assert not (mask & (k > q)).any()


@settings(max_examples=60, deadline=None)
@given(lengths=st.lists(st.integers(1, 4), min_size=1, max_size=4), kind=st.sampled_from(["causal", "window:2", "chunk:2"]))
def test_packed_never_crosses_documents(lengths, kind):
    total = sum(lengths)
    pk = packing.from_lengths(lengths, total)
    mask = build_mask(parse_spec(f"{kind}+packed"), RowContext(np.ones(total, int), packing=pk))
    assert not (mask & (pk.documents[:, None] != pk.documents[None, :])).any()



def test_flash_packing_differs_lint():
    from maskcli.show.lints import row_lints

    ones = np.ones(6, dtype=int)
    agree = row_lints(ones, np.array([0, 1, 2, 0, 1, 0]), given_attention_mask=False)
    assert [lint.code for lint in agree] == []  # mask-semantics' example: both read [0, 3, 5, 6]
    # a document that does not start at 0 (a packed row cut mid-document): flash misses the first start
    differ = row_lints(ones, np.array([4, 5, 0, 1, 2, 3]), given_attention_mask=False)
    assert [lint.code for lint in differ] == ["flash-packing-differs"]
    assert "[2, 6]" in differ[0].message and "[0, 2, 6]" in differ[0].message
