"""Record shapes: what a record holds and how it becomes model input.

==================  ===========================================  =================================
shape               record                                       becomes
==================  ===========================================  =================================
``field:NAME``      ``{"text": "..."}`` (``--field NAME``)       that string, tokenized
``prompt+completion`` ``{"prompt": "...", "completion": "..."}`` prompt + completion, tokenized
``messages``        ``{"messages": [{"role", "content"}]}``     the tokenizer's chat template
``conversations``   ShareGPT ``[{"from", "value"}]``            mapped to roles, chat template
``alpaca``          ``instruction`` / ``input`` / ``output``     the Alpaca prompt, tokenized
``pretokenized``    ``input_ids`` (+ ``attention_mask`` ...)     taken exactly as given
``torchtune``       ``tokens`` + ``mask`` (True = not trained)   ids as given, labels -100 on mask
==================  ===========================================  =================================

Text produced by a chat template is tokenized without adding special tokens, as
``apply_chat_template(..., tokenize=True)`` does (the template writes them itself).
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from maskcli.data.records import Row, RowError, Source
from maskcli.data.tokenizer import TokenizerHandle

TOKEN_FIELDS = ("input_ids", "attention_mask", "labels", "position_ids", "token_type_ids")
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "system": "system", "tool": "tool", "function_call": "assistant", "observation": "tool"}
ALPACA = (
    "Below is an instruction that describes a task{paired}. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n{instruction}\n\n{input_block}### Response:\n{output}"
)


@dataclass(frozen=True)
class TextRecord:
    """A record that still has to be tokenized."""

    source: Source
    text: str
    shape: str
    add_special_tokens: bool = True


def interpret(
    source: Source, record: Any, tok: TokenizerHandle, field: str = "text", strict: bool = True
) -> TextRecord | Row:
    """Decide the record's shape and turn it into text to tokenize or a pre-tokenized :class:`Row`.

    ``strict`` (``show``) rejects inconsistent token fields; ``check`` passes ``strict=False`` to
    report them as findings instead.
    """
    interpreted = _interpret(source, record, tok, field, strict)
    if isinstance(interpreted, TextRecord):
        problem = unicode_problem(interpreted.text)
        if problem:
            raise RowError(source, problem)
    return interpreted


def unicode_problem(text: str) -> str | None:
    """Why the tokenizer cannot take ``text`` (a lone surrogate: JSON's ``"\\ud800"``, or invalid bytes
    in a command-line argument), or ``None``. ASCII text is known good without looking."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"the text is not valid Unicode: a lone surrogate {text[exc.start]!r} at character {exc.start} "
                "(a \\uD800-\\uDFFF escape without its pair, or bytes that are not UTF-8)")
    return None


def _interpret(source: Source, record: Any, tok: TokenizerHandle, field: str, strict: bool) -> TextRecord | Row:
    if isinstance(record, str):
        return TextRecord(source, record, "text")
    if not isinstance(record, dict):
        raise RowError(source, f"expected a JSON object, got {type(record).__name__}")
    if field in record:
        return TextRecord(source, _string(source, record, field), f"field:{field}")
    if "input_ids" in record:
        return _pretokenized(source, record, tok, strict)
    if "tokens" in record and isinstance(record["tokens"], list):
        return _torchtune(source, record, tok, strict)
    if "messages" in record:
        return _chat(source, tok, _messages(source, record["messages"], "messages", "role", "content"), "messages")
    if "conversations" in record:
        messages = _messages(source, record["conversations"], "conversations", "from", "value")
        return _chat(source, tok, messages, "conversations")
    if "prompt" in record and "completion" in record:
        prompt, completion = record["prompt"], record["completion"]
        if isinstance(prompt, list) and isinstance(completion, list):
            messages = _messages(source, prompt + completion, "prompt", "role", "content")
            return _chat(source, tok, messages, "prompt+completion (conversational)")
        return TextRecord(source, _string(source, record, "prompt") + _string(source, record, "completion"),
                          "prompt+completion")
    if "instruction" in record and "output" in record:
        extra = record.get("input") or ""
        if not isinstance(extra, str):
            raise RowError(source, f"field 'input': expected a string, got {json_type(extra)}")
        text = ALPACA.format(
            paired=", paired with an input that provides further context" if extra else "",
            instruction=_string(source, record, "instruction"),
            input_block=f"### Input:\n{extra}\n\n" if extra else "",
            output=_string(source, record, "output"),
        )
        return TextRecord(source, text, "alpaca")
    keys = ", ".join(sorted(record)) or "none"
    raise RowError(
        source,
        f"missing field {field!r} (keys present: {keys}); choose one with --field, or use a known shape "
        "(prompt/completion, messages, conversations, instruction/output, input_ids, tokens)",
    )


def _string(source: Source, record: dict, field: str) -> str:
    value = record[field]
    if not isinstance(value, str):
        raise RowError(source, f"field {field!r}: expected a string, got {json_type(value)}")
    return value


def json_type(value: Any) -> str:
    """How a bad value is named in messages: ``null``, ``int``, ``list``..."""
    return "null" if value is None else type(value).__name__


def _messages(source: Source, value: Any, field: str, role_key: str, content_key: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise RowError(source, f"field {field!r}: expected a non-empty list of messages")
    messages = []
    for i, message in enumerate(value):
        if not isinstance(message, dict) or role_key not in message or content_key not in message:
            raise RowError(source, f"field {field!r}[{i}]: expected an object with {role_key!r} and {content_key!r}")
        role = message[role_key]
        if not isinstance(role, str):
            raise RowError(source, f"field {field!r}[{i}]: {role_key!r} must be a string, not {json_type(role)}")
        if role_key == "from":
            if role not in SHAREGPT_ROLES:
                raise RowError(source, f"field {field!r}[{i}]: unknown ShareGPT role {role!r}")
            role = SHAREGPT_ROLES[role]
        messages.append({"role": role, "content": message[content_key]})
    return messages


def _chat(source: Source, tok: TokenizerHandle, messages: list[dict], shape: str) -> TextRecord:
    from maskcli.data.chat_template import render_chat  # chat records only: no jinja2 set-up for text

    if not tok.chat_template:
        raise RowError(
            source,
            f"{shape} records need a chat template, and tokenizer {tok.name} has none; "
            "pass -t a tokenizer directory whose tokenizer_config.json (or chat_template.jinja) has one",
        )
    try:
        text = render_chat(tok.chat_template, messages, tok.special_tokens_map)
    except Exception as exc:  # jinja2 errors, raise_exception() in templates
        raise RowError(source, f"chat template failed: {str(exc).splitlines()[0] if str(exc) else exc}") from None
    return TextRecord(source, text, shape, add_special_tokens=False)


INT64 = np.iinfo(np.int64)
BINARY_FIELDS = ("attention_mask",)  # 0 = padding, 1 = attended (booleans count as 0/1)


def int_list_problem(field: str, value: Any) -> str | None:
    """What keeps ``value`` from being a list of 64-bit integers (JSON booleans count as 0/1), naming
    the first bad element: ``field 'input_ids'[1]: expected an integer, got float 2.5``; ``None`` if nothing."""
    if not isinstance(value, list):
        return f"field {field!r}: expected a list of integers, got {json_type(value)}"
    bad = next((i for i, v in enumerate(value) if not isinstance(v, int)), None)
    if bad is not None:
        got = "null" if value[bad] is None else f"{type(value[bad]).__name__} {reprlib.repr(value[bad])}"
        return f"field {field!r}[{bad}]: expected an integer, got {got}"
    outside = next((i for i, v in enumerate(value) if not INT64.min <= v <= INT64.max), None)
    if outside is not None:
        return f"field {field!r}[{outside}] = {value[outside]} does not fit in 64 bits"
    return None


def _int_array(source: Source, record: dict, field: str, required: bool = False) -> np.ndarray | None:
    """``record[field]`` as int64 ids; ``None`` when absent (or ``null``) and not ``required``."""
    value = record.get(field)
    if value is None and not required:
        return None
    if isinstance(value, list) and value:  # fast path: numpy finds ints (and bools) that fit in 64 bits
        try:
            array = np.array(value)
        except ValueError:  # ragged nesting, [1, [2, 3]]: the slow path names the element
            array = np.empty(0, dtype=object)
        if array.ndim == 1 and array.dtype.kind in "ib":
            array = array.astype(np.int64, copy=False)
            if field not in BINARY_FIELDS or not ((array != 0) & (array != 1)).any():
                return array
    problem = int_list_problem(field, value)
    if problem:
        raise RowError(source, problem)
    array = np.asarray(value, dtype=np.int64)
    if field in BINARY_FIELDS:
        bad = np.flatnonzero((array != 0) & (array != 1))
        if bad.size:
            raise RowError(source, f"field {field!r}[{bad[0]}] = {array[bad[0]]}: expected 0 or 1")
    return array


def _pretokenized(source: Source, record: dict, tok: TokenizerHandle, strict: bool) -> Row:
    arrays = {field: _int_array(source, record, field, required=field == "input_ids") for field in TOKEN_FIELDS}
    ids = arrays["input_ids"]
    given_mask = arrays["attention_mask"] is not None
    mask = arrays["attention_mask"] if given_mask else np.ones_like(ids)
    if strict:
        validate_row(source, tok, {k: v for k, v in arrays.items() if v is not None})
    return Row(
        source=source,
        input_ids=ids,
        attention_mask=mask,
        labels=arrays["labels"],
        position_ids=arrays["position_ids"],
        token_type_ids=arrays["token_type_ids"],
        shape="pretokenized",
        pretokenized=True,
        given_attention_mask=given_mask,
    )


def _torchtune(source: Source, record: dict, tok: TokenizerHandle, strict: bool) -> Row:
    ids = _int_array(source, record, "tokens", required=True)
    loss_mask = _int_array(source, record, "mask")
    labels = None
    if loss_mask is not None:
        if strict:
            validate_row(source, tok, {"tokens": ids, "mask": loss_mask})
        if len(loss_mask) == len(ids):
            labels = np.where(loss_mask.astype(bool), -100, ids)
    elif strict:
        validate_row(source, tok, {"tokens": ids})
    return Row(
        source=source,
        input_ids=ids,
        attention_mask=np.ones_like(ids),
        labels=labels,
        shape="torchtune",
        pretokenized=True,
        given_attention_mask=False,
    )


def validate_row(source: Source, tok: TokenizerHandle, arrays: dict[str, np.ndarray]) -> None:
    """Equal lengths and ids inside the vocabulary (the first field is the ids)."""
    (id_field, ids), *others = arrays.items()
    for field, values in others:
        if len(values) != len(ids):
            raise RowError(source, f"field {field!r} has {len(values)} values but {id_field!r} has {len(ids)}")
    vocab = tok.full_vocab_size
    bad = np.flatnonzero((ids < 0) | (ids >= vocab))
    if bad.size:
        raise RowError(
            source,
            f"field {id_field!r}[{bad[0]}] = {ids[bad[0]]} is outside the vocabulary of {tok.name} (size {vocab})",
        )
