"""transformers tokenizer classes whose ``__init__`` rebuilds the Rust pipeline, rebuilt the same way.

For such a class ``TokenizersBackend.convert_to_native_format`` keeps only the vocabulary,
merges, post-processor, padding and truncation of ``tokenizer.json``; the class's ``__init__``
builds the model, normalizer, pre-tokenizer and decoder itself, with defaults for its special
tokens, and adds its special tokens at the end. Only classes reproduced here (and checked by
``tests/test_native_oracle.py``) load natively.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

# transformers.models.qwen2.tokenization_qwen2.PRETOKENIZE_REGEX
QWEN2_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


@dataclass(frozen=True)
class ClassRecipe:
    """What a class's ``__init__`` does beyond ``TokenizersBackend``'s."""

    name: str
    defaults: dict[str, Any]  # its keyword defaults for special tokens
    build: Callable[[dict, dict], Any]  # (tokenizer.json data, kwargs) -> tokenizers.Tokenizer
    adds_special_tokens: bool  # ends with add_tokens(all_special_tokens)


def _bpe_vocab_and_merges(data: dict) -> tuple[dict | None, list]:
    model = data.get("model", {})
    vocab = model.get("vocab")
    if isinstance(vocab, list):
        vocab = {token[0] if isinstance(token, list) else token: i for i, token in enumerate(vocab)}
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model.get("merges") or []]
    return vocab, merges


def _qwen2(data: dict, kwargs: dict) -> Any:
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import BPE

    vocab, merges = _bpe_vocab_and_merges(data)
    tokenizer = Tokenizer(BPE(vocab=vocab if vocab is not None else {"<|endoftext|>": 0}, merges=merges, dropout=None, unk_token=None,
                              continuing_subword_prefix="", end_of_word_suffix="", fuse_unk=False, byte_fallback=False))
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=bool(kwargs.get("add_prefix_space") or False), use_regex=False),
    ])
    return tokenizer


QWEN2 = ClassRecipe(
    name="Qwen2Tokenizer",
    defaults={"unk_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"},
    build=_qwen2,
    adds_special_tokens=True,
)
RECIPES = {"Qwen2Tokenizer": QWEN2, "Qwen2TokenizerFast": QWEN2}


def rebuilt_backend(recipe: ClassRecipe, data: dict, kwargs: dict) -> Any:
    """The class's Rust tokenizer, with tokenizer.json's post-processor, padding and truncation."""
    from tokenizers import Tokenizer

    backend = recipe.build(data, kwargs)
    minimal = {**data, "model": {**data["model"], "vocab": {}, "merges": []}, "added_tokens": []}
    from_file = Tokenizer.from_str(json.dumps(minimal))
    if from_file.post_processor:
        backend.post_processor = from_file.post_processor
    if from_file.truncation is not None:
        backend.enable_truncation(**from_file.truncation)
    if from_file.padding is not None:
        backend.enable_padding(**from_file.padding)
    return backend
