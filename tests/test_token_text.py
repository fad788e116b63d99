"""Per-token text: joined, it is transformers' own decode; pieces of one character are merged."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from maskcli.data.token_text import token_texts
from maskcli.data.tokenizer import load_tokenizer

TEXTS = st.text(alphabet=st.sampled_from(list("ab cé漢字👋🎉\n")), min_size=1, max_size=20)


@pytest.fixture(scope="module", params=["gpt2_like", "llama_like"])
def tokenizers(request, tokenizer_dirs):
    from transformers import AutoTokenizer

    directory = str(tokenizer_dirs[request.param])
    return load_tokenizer(directory), AutoTokenizer.from_pretrained(directory)


@given(text=TEXTS)
def test_joined_token_texts_are_transformers_decode(tokenizers, text):
    ours, hf = tokenizers
    ids = hf(text)["input_ids"]
    pieces = token_texts(ours, ids)
    assert len(pieces) == len(ids)
    assert "".join(pieces) == hf.decode(ids)


def test_byte_pieces_of_one_character_are_merged_onto_the_first():
    gpt2 = load_tokenizer("gpt2")
    ids = gpt2.backend.encode("こんにちは 👋").ids
    pieces = token_texts(gpt2, ids)
    assert [p for p in pieces if p] == ["こ", "ん", "に", "ち", "は", " 👋"]
    assert "\ufffd" not in "".join(pieces)


@given(text=st.text(alphabet=st.sampled_from(list("ab cd\n.")), min_size=1, max_size=30))
def test_the_batched_path_gives_what_token_by_token_decoding_gives(tokenizers, text):
    """Tokens that are whole characters on their own take the batched path; it equals the grouped one."""
    from maskcli.data.token_text import _grouped

    ours, hf = tokenizers
    ids = hf(text)["input_ids"]
    assert token_texts(ours, ids) == _grouped(ours.backend.decode, ids)
