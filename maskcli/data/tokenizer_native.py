"""Loading a fast-tokenizer directory without transformers, as ``AutoTokenizer`` would load it.

transformers 5 loads a directory whose ``tokenizer_class`` is ``PreTrainedTokenizerFast`` or
``TokenizersBackend`` by reading ``tokenizer_config.json`` (``_from_pretrained``), building the
Rust tokenizer from ``tokenizer.json`` and then, in ``TokenizersBackend.__init__``, adding the
declared special and added tokens to it and giving it a post-processor when it has none.
:func:`load_native` makes the same calls on the same ``tokenizers`` objects, in the same order,
so the Rust tokenizer ends up identical (``tests/test_native_oracle.py`` checks it against
``AutoTokenizer``), at a fraction of transformers' import time.

Classes whose ``__init__`` rebuilds the pipeline in Python load natively only when
:mod:`maskcli.data.tokenizer_classes` rebuilds it the same way (Qwen2Tokenizer). Anything this does
not reproduce exactly returns ``None`` and goes to transformers: other tokenizer classes, a ``config.json`` (its
``model_type`` may choose another class), remote code, and config keys not in
:data:`KNOWN_KEYS`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from maskcli.errors import InputError

NATIVE_CLASSES = ("PreTrainedTokenizerFast", "TokenizersBackend")
# transformers' SPECIAL_TOKENS_ATTRIBUTES, in its order.
SPECIAL_ATTRIBUTES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
# Keys whose effect on encoding is reproduced below, or that have none (bookkeeping, decoding).
KNOWN_KEYS = frozenset(SPECIAL_ATTRIBUTES) | {
    "tokenizer_class", "added_tokens_decoder", "additional_special_tokens", "extra_special_tokens",
    "model_max_length", "padding_side", "truncation_side", "clean_up_tokenization_spaces",
    "split_special_tokens", "chat_template", "add_bos_token", "add_eos_token", "model_input_names",
    "name_or_path", "errors", "add_prefix_space", "legacy", "processor_class", "do_lower_case",
}
# Files that mean another loading path (slow vocabularies, several templates, versioned files).
FOREIGN_FILES = ("config.json", "chat_template.json", "additional_chat_templates", "tekken.json")
MAX_TOKEN_ID = 2**32 - 1


def load_native(directory: Path, name: str) -> Any | None:
    """A :class:`~maskcli.data.tokenizer.TokenizerHandle` for ``directory``, or None when transformers must load it."""
    tokenizer_file = directory / "tokenizer.json"
    config_file = directory / "tokenizer_config.json"
    if not tokenizer_file.is_file() or not config_file.is_file():
        return None
    if any((directory / foreign).exists() for foreign in FOREIGN_FILES):
        return None
    config = read_json_object(config_file)
    class_name = config.get("tokenizer_class")
    if (class_name not in NATIVE_CLASSES and recipe_of(class_name) is None) or not KNOWN_KEYS.issuperset(config):
        return None
    if isinstance(config.get("extra_special_tokens"), dict) or not isinstance(config.get("chat_template"), (str, type(None))):
        return None
    return _build(directory, config, name)


def recipe_of(class_name: Any) -> Any | None:
    """The :mod:`~maskcli.data.tokenizer_classes` recipe rebuilding ``class_name``'s pipeline, or None
    (the :data:`NATIVE_CLASSES` need none, and for them that module is not even imported)."""
    if class_name in NATIVE_CLASSES or not isinstance(class_name, str):
        return None
    from maskcli.data.tokenizer_classes import RECIPES

    return RECIPES.get(class_name)


def read_json_object(path: Path) -> dict:
    """A JSON file that must hold an object; one-line errors naming the file otherwise."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(value, dict):
        raise InputError(f"{path}: expected a JSON object, got a {type(value).__name__}")
    return value


def _build(directory: Path, config: dict, name: str) -> Any:
    from tokenizers import AddedToken, processors

    from maskcli.data.tokenizer import NO_MAX_LENGTH, TokenizerHandle, read_backend, special_token

    config_file = directory / "tokenizer_config.json"
    recipe = recipe_of(config["tokenizer_class"])
    kwargs = {key: _added_token_objects(value) for key, value in config.items()}
    if recipe is not None:
        kwargs = {**recipe.defaults, **kwargs}
    # _from_pretrained: with a tokenizer.json, add_bos_token/add_eos_token are dropped.
    for key in ("tokenizer_class", "add_bos_token", "add_eos_token"):
        kwargs.pop(key, None)
    template_file = directory / "chat_template.jinja"
    if template_file.is_file():
        try:
            kwargs["chat_template"] = template_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{template_file}: cannot read ({exc})") from None
    if "additional_special_tokens" in kwargs and not kwargs.get("extra_special_tokens"):
        kwargs["extra_special_tokens"] = kwargs.pop("additional_special_tokens")
    added_decoder = _added_tokens_decoder(directory, config_file, kwargs)
    added_map = {str(token): token for token in added_decoder.values()}
    for key in SPECIAL_ATTRIBUTES:
        if kwargs.get(key) is not None and added_map:
            kwargs[key] = added_map.get(str(kwargs[key]), kwargs[key])

    if recipe is None:
        backend = read_backend(directory / "tokenizer.json")
    else:
        from maskcli.data.tokenizer_classes import rebuilt_backend

        backend = rebuilt_backend(recipe, read_json_object(directory / "tokenizer.json"), kwargs)
    # TokenizersBackend.__init__: the defaults tokenizer.json's own padding/truncation imply
    if backend.truncation is not None:
        kwargs.setdefault("truncation_side", backend.truncation["direction"])
    if backend.padding is not None:
        kwargs.setdefault("pad_token", backend.padding["pad_token"])
        kwargs.setdefault("padding_side", backend.padding["direction"])
    specials = {key: kwargs[key] for key in SPECIAL_ATTRIBUTES if kwargs.get(key) is not None}
    for key, value in specials.items():
        if not isinstance(value, str) and type(value).__name__ != "AddedToken":
            raise InputError(f"{config_file}: {key} must be a string or an AddedToken object, not {value!r}")
    extra = list(kwargs.get("extra_special_tokens") or [])
    update_post_processor = backend.post_processor is None
    backend.encode_special_tokens = _flag(kwargs, "split_special_tokens", config_file)
    _add_declared_tokens(backend, added_decoder, specials, extra)
    if recipe is not None and recipe.adds_special_tokens:
        backend.add_tokens([AddedToken(token, special=True) for token in _all_special_tokens(specials, extra)])
    if update_post_processor:  # update_post_processor() with add_bos_token = add_eos_token = False
        backend.post_processor = processors.TemplateProcessing(single="$A:0", pair="$A:0 $B:1", special_tokens=[])

    names = {key: str(value) for key, value in specials.items()}
    return TokenizerHandle(
        name=name,
        class_name=recipe.name if recipe else "TokenizersBackend",
        backend=backend,
        **{f"{kind}{suffix}": value for kind in ("pad", "bos", "eos", "unk")
           for suffix, value in zip(("_token", "_token_id"), special_token(backend, names.get(f"{kind}_token")))},
        padding_side=_side(kwargs, "padding_side", config_file),
        truncation_side=_side(kwargs, "truncation_side", config_file),
        model_max_length=min(_max_length(kwargs.get("model_max_length"), config_file), NO_MAX_LENGTH),
        split_special_tokens=backend.encode_special_tokens,
        vocab_size=backend.get_vocab_size(with_added_tokens=False),
        chat_template=kwargs.get("chat_template"),
        special_tokens_map=names,
        loader="tokenizers",
    )


def _added_tokens_decoder(directory: Path, config_file: Path, kwargs: dict) -> dict:
    """``added_tokens_decoder`` as ``_from_pretrained`` assembles it (id -> AddedToken)."""
    from tokenizers import AddedToken

    decoder: dict[int, Any] = {}
    if "added_tokens_decoder" in kwargs:
        entries = kwargs["added_tokens_decoder"]
        if not isinstance(entries, dict):
            raise InputError(f"{config_file}: added_tokens_decoder must be an object of id: token")
        for key, token in entries.items():
            decoder[_token_id(key, config_file)] = _added_token(token, f"{config_file}: added_tokens_decoder[{key!r}]")
        kwargs["added_tokens_decoder"] = decoder
        return decoder
    map_file = directory / "special_tokens_map.json"
    if map_file.is_file():
        for key, value in read_json_object(map_file).items():
            if isinstance(value, dict) and key != "extra_special_tokens":
                value = _added_token({**value, "special": True}, f"{map_file}: {key}")
            elif key == "extra_special_tokens" and isinstance(value, list):
                existing = list(kwargs.get("extra_special_tokens") or [])
                for token in value:
                    token = _added_token({**token, "special": True}, f"{map_file}: {key}") if isinstance(token, dict) else token
                    if token not in existing:
                        existing.append(token)
                value = existing
            kwargs[key] = value
    added_file = directory / "added_tokens.json"
    if added_file.is_file():
        special = {str(kwargs[key]) for key in SPECIAL_ATTRIBUTES if kwargs.get(key)}
        special.update(str(t) for t in (kwargs.get("extra_special_tokens") or []))
        for content, token_id in read_json_object(added_file).items():
            is_special = content in special
            decoder[_token_id(token_id, added_file)] = AddedToken(
                content, rstrip=False, lstrip=False, normalized=not is_special, special=is_special
            )
    tokenizer_file = directory / "tokenizer.json"
    for entry in read_json_object(tokenizer_file).get("added_tokens", []):
        entry = dict(entry)
        token_id = _token_id(entry.pop("id", None), tokenizer_file)
        decoder[token_id] = _added_token(entry, f"{tokenizer_file}: added_tokens")
    kwargs["added_tokens_decoder"] = decoder
    return decoder


def _add_declared_tokens(backend: Any, added_decoder: dict, specials: dict, extra: list) -> None:
    """The end of ``TokenizersBackend.__init__``: declared tokens the Rust tokenizer lacks are added."""
    from tokenizers import AddedToken

    tokens_to_add = [token for _, token in sorted(added_decoder.items(), key=lambda item: item[0])]
    encoder = [token.content for token in backend.get_added_tokens_decoder().values()]
    encoder += [str(token) for token in tokens_to_add]
    for value in [*specials.values(), *extra]:
        if str(value) not in encoder and value not in tokens_to_add:
            tokens_to_add.append(value)
    named = [str(value) for value in specials.values()]
    tokens = []
    for token in tokens_to_add:
        if isinstance(token, str):
            token = AddedToken(token, special=True)
        elif not token.special and str(token) in named:
            token.special = True
        tokens.append(token)
    if tokens:
        backend.add_tokens(tokens)


def _all_special_tokens(specials: dict, extra: list) -> list[str]:
    """``all_special_tokens``: the named tokens, then the extra ones, each once, as strings."""
    return list(dict.fromkeys(str(token) for token in [*specials.values(), *extra]))


def _added_token_objects(value: Any) -> Any:
    """``convert_added_tokens``: ``{"__type": "AddedToken", ...}`` dicts become AddedToken objects."""
    if isinstance(value, dict) and value.get("__type") == "AddedToken":
        return _added_token({k: v for k, v in value.items() if k != "__type"}, "tokenizer_config.json")
    if isinstance(value, list):
        return [_added_token_objects(item) for item in value]
    if isinstance(value, dict):
        return {key: _added_token_objects(item) for key, item in value.items()}
    return value


def _added_token(token: Any, where: str) -> Any:
    from tokenizers import AddedToken

    if type(token).__name__ == "AddedToken":
        return token
    if not isinstance(token, dict) or not isinstance(token.get("content"), str):
        raise InputError(f"{where}: expected an added token object with a string \"content\", got {token!r}")
    try:
        return AddedToken(**token)
    except TypeError as exc:
        raise InputError(f"{where}: bad added token {token!r} ({exc})") from None


def _token_id(value: Any, path: Path) -> int:
    try:
        token_id = int(value)
    except (TypeError, ValueError):
        token_id = -1
    if isinstance(value, bool) or not 0 <= token_id <= MAX_TOKEN_ID:
        raise InputError(f"{path}: added token id {value!r} is not a token id (0 to 2^32-1)")
    return token_id


def _max_length(value: Any, path: Path) -> int:
    from maskcli.data.tokenizer import NO_MAX_LENGTH

    if value is None:
        return NO_MAX_LENGTH
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf") or value % 1:
        raise InputError(f"{path}: model_max_length must be a non-negative integer, not {value!r}")
    return int(value)


def _side(kwargs: dict, key: str, path: Path) -> str:
    value = kwargs.get(key, "right")
    if value not in ("left", "right"):
        raise InputError(f"{path}: {key} must be \"left\" or \"right\", not {value!r}")
    return value


def _flag(kwargs: dict, key: str, path: Path) -> bool:
    value = kwargs.get(key, False)
    if not isinstance(value, bool):
        raise InputError(f"{path}: {key} must be true or false, not {value!r}")
    return value
