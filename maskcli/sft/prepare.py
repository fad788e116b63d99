"""One record -> one training example, as TRL 1.16's ``SFTTrainer._prepare_dataset`` makes it.

In TRL's order: EOS appended to text and completions (not to conversations), tokenized (chat
records through the template), the completion mask from the common prefix of the tokenized
prompt and prompt+completion, the assistant mask from the template's generation tags, labels
``-100`` where a mask says "not trained", truncation to ``max_length`` (not when packing), and
examples left with no trained token dropped. Records that already have ``input_ids`` skip the
tokenization; their ``labels``, if given, are kept as they are.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from maskcli.data.encoding import EncodeSettings, tokenize
from maskcli.errors import InputError
from maskcli.data.facts import IGNORE_INDEX
from maskcli.data.records import RowError, Source
from maskcli.sft.chat import has_generation_tags, render_chat
from maskcli.sft.given import Comparison, compare, source_record, wants_comparison
from maskcli.sft.options import SFTOptions
from maskcli.data.shapes import _messages, int_list_problem, json_type, unicode_problem
from maskcli.data.tokenizer import TokenizerHandle

UNTOUCHED = EncodeSettings(padding="none", truncation=False)  # ``tokenizer(text=...)``


class NoAssistantTokens(RowError):
    """``assistant_only_loss`` and the template marks no token of the record as the assistant's."""


class NoGenerationTags(InputError):
    """``assistant_only_loss`` with a template that has no ``{% generation %}`` tags: TRL refuses it
    when the trainer is built, before any record is read (one finding for the template, not per row)."""


@dataclass(frozen=True)
class Example:
    """A prepared example: ``labels`` as the trainer computes the loss on them (before the shift)."""

    source: Source
    shape: str
    input_ids: list[int]
    labels: list[int]
    labels_from: str  # "given", or the masks that made them ("completion_mask", "assistant_masks", "input_ids")
    roles: list[str | None] | None = None
    completion_start: int | None = None
    prompt_divergence: str | None = None  # the end of the tokenized prompt that prompt+completion does not keep
    truncated: bool = False
    length_before_truncation: int | None = None
    seq_lengths: list[int] | None = None  # documents of a packed example
    given: dict[str, list[int]] = field(default_factory=dict)  # attention_mask / position_ids of given rows
    comparison: Comparison | None = None  # given labels vs the record's messages or prompt (maskcli.sft.given)

    @property
    def trained(self) -> int:
        return sum(label != IGNORE_INDEX for label in self.labels)


@dataclass
class Dropped:
    """Examples ``SFTTrainer`` drops because truncation left them without a trained token."""

    count: int = 0
    first: list[Source] = field(default_factory=list)
    keep: int = 5

    def add(self, source: Source) -> None:
        self.count += 1
        if len(self.first) < self.keep:
            self.first.append(source)


def joined_roles(examples: list[Example]) -> list[str | None] | None:
    """The roles of examples laid end to end (``None`` when none of them has roles)."""
    if all(e.roles is None for e in examples):
        return None
    return [role for e in examples for role in (e.roles or [None] * len(e.input_ids))]


def chat_template(tok: TokenizerHandle, path: str | None) -> str | None:
    """The template at ``path`` (``chat_template_path``: it replaces the tokenizer's), else the tokenizer's own."""
    if path is None:
        return tok.chat_template
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(f"--chat-template {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"--chat-template {path}: not UTF-8 text (invalid byte at offset {exc.start})") from None


def check_template(tok: TokenizerHandle, options: SFTOptions, template: str | None) -> None:
    """What ``SFTTrainer.__init__`` refuses before training: ``assistant_only_loss`` with a template
    without generation tags (TRL swaps in a training template only for the ones it ships, verbatim)."""
    if options.assistant_only_loss and template and not has_generation_tags(template):
        where = options.chat_template_path or f"the chat template of {tok.name}"
        raise NoGenerationTags(f"--assistant-only-loss, but {where} has no {{% generation %}} tags, so no token is "
                               "marked as the assistant's; pass a training template with --chat-template (TRL ships "
                               "trl/chat_templates/*_training.jinja)")


def prepared(
    records: Iterable[tuple[Source, Any]], tok: TokenizerHandle, options: SFTOptions, dropped: Dropped,
    on_error=None,
) -> Iterator[Example]:
    """Examples in record order, fully masked ones counted in ``dropped`` instead (as TRL filters them).

    ``on_error(error)`` is given each bad record (:class:`RowError`); without it they raise.
    """
    prepare = Preparer.start(tok, options)
    for source, record in records:
        try:
            example = prepare(source, record)
        except RowError as error:
            if on_error is None:
                raise
            on_error(error)
            continue
        if example is None:
            dropped.add(source)
            continue
        yield example


@dataclass(frozen=True)
class Preparer:
    """One record -> its example, or ``None`` when TRL drops it (nothing left to train after
    truncation); raises :class:`RowError` for a bad record. Made once per run (or per worker)."""

    tok: TokenizerHandle
    options: SFTOptions
    template: str | None
    eos: str | None

    @classmethod
    def start(cls, tok: TokenizerHandle, options: SFTOptions) -> Preparer:
        template = chat_template(tok, options.chat_template_path)
        check_template(tok, options, template)
        if options.eos_token is not None and tok.backend.token_to_id(options.eos_token) is None:
            raise InputError(f"--eos-token {options.eos_token!r} is not in the vocabulary of {tok.name} "
                             "(SFTTrainer refuses it before training)")
        return cls(tok, options, template, options.eos_token or tok.eos_token)

    def __call__(self, source: Source, record: Any) -> Example | None:
        options = self.options
        example = truncated(prepare_example(source, record, self.tok, options, self.template, self.eos), options)
        if options.max_length is not None and not options.packing and not example.trained:
            return None
        return example


def prepare_example(
    source: Source, record: Any, tok: TokenizerHandle, options: SFTOptions, template: str | None, eos: str | None,
    require_assistant: bool = True,
) -> Example:
    """Tokenize one record and build its labels (``tokenize_fn`` and ``build_labels``).

    Given labels are kept; when the record also has the messages or prompt they came from,
    ``comparison`` holds them against the labels those would give (:mod:`maskcli.sft.given`).
    """
    if isinstance(record, str):
        record = {options.dataset_text_field: record}
    if not isinstance(record, dict):
        raise RowError(source, f"expected a JSON object, got {type(record).__name__}")
    if "input_ids" in record:
        example = _pretokenized(source, record)
        if not wants_comparison(record, options.completion_only_loss, options.assistant_only_loss):
            return example
        derived = prepare_example(source, source_record(record), tok, options, template, eos, require_assistant=False)
        comparison = compare(tok, example.input_ids, example.labels, derived.input_ids, derived.labels,
                             derived.labels_from, derived.completion_start, derived.roles)
        return dataclasses.replace(example, comparison=comparison,
                                   roles=list(comparison.roles) if comparison.roles is not None else None)
    if "conversations" in record and "messages" not in record:
        record = {**record, "messages": _messages(source, record["conversations"], "conversations", "from", "value")}
    if "prompt" in record and "completion" in record:
        return _prompt_completion(source, record, tok, options, template, eos, require_assistant)
    if isinstance(record.get("messages"), list):
        messages = _messages(source, record["messages"], "messages", "role", "content")
        rendered = _render(source, tok, messages, template, record, options.assistant_only_loss)
        masks = [rendered.assistant_masks] if rendered.assistant_masks is not None else []
        if require_assistant:
            _require_assistant(source, rendered.assistant_masks)
        return _labelled(source, "messages", rendered.input_ids, masks, ["assistant_masks"] if masks else [],
                         roles=rendered.roles)
    text = record.get(options.dataset_text_field)
    if options.dataset_text_field in record and not isinstance(text, str):
        raise RowError(source, f"field {options.dataset_text_field!r}: expected a string, got {json_type(text)}")
    if text is None:
        keys = ", ".join(sorted(record)) or "none"
        raise RowError(source, f"missing field {options.dataset_text_field!r} (keys present: {keys}); choose one with "
                               "--dataset-text-field, or use messages, prompt/completion or input_ids records")
    _no_assistant_only(source, options)
    ids = _encode(tok, [_with_eos(text, eos, source)], source)[0]
    return _labelled(source, f"field:{options.dataset_text_field}", ids, [], [])


def _prompt_completion(source, record, tok, options, template, eos, require_assistant=True) -> Example:
    prompt, completion = record["prompt"], record["completion"]
    completion_only = options.completion_only_loss is not False
    if isinstance(prompt, list) and isinstance(completion, list):
        prompt_messages = _messages(source, prompt, "prompt", "role", "content")
        messages = prompt_messages + _messages(source, completion, "completion", "role", "content")
        prompt_ids = _render(source, tok, prompt_messages, template, record, False, generation_prompt=True).input_ids
        rendered = _render(source, tok, messages, template, record, options.assistant_only_loss)
        ids, roles, assistant = rendered.input_ids, rendered.roles, rendered.assistant_masks
        if require_assistant:
            _require_assistant(source, assistant)
        shape = "prompt+completion (conversational)"
    elif isinstance(prompt, str) and isinstance(completion, str):
        _no_assistant_only(source, options)
        prompt_ids, ids = _encode(tok, [prompt, prompt + _with_eos(completion, eos, source)], source)
        roles, assistant, shape = None, None, "prompt+completion"
    else:
        raise RowError(source, "fields 'prompt' and 'completion' must both be strings or both lists of messages")
    start = common_prefix_length(prompt_ids, ids)
    if roles is None:  # standard prompt/completion: the tokens are the prompt's, then the completion's
        roles = ["prompt"] * start + ["completion"] * (len(ids) - start)
    divergence = tok.backend.decode(prompt_ids[start:], skip_special_tokens=False) if start < len(prompt_ids) else None
    masks, names = [], []
    if completion_only:
        masks.append([0] * start + [1] * (len(ids) - start))
        names.append("completion_mask")
    if assistant is not None:
        masks.append(assistant)
        names.append("assistant_masks")
    return _labelled(source, shape, ids, masks, names, roles=roles, completion_start=start,
                     prompt_divergence=divergence)


def common_prefix_length(ids: list[int], other: list[int]) -> int:
    """TRL's ``common_prefix_length``: where the completion starts."""
    length = 0
    for a, b in zip(ids, other):
        if a != b:
            break
        length += 1
    return length


def _labelled(source, shape, ids, masks, names, **extra) -> Example:
    labels = [token if all(bits) else IGNORE_INDEX for token, *bits in zip(ids, *masks)] if masks else list(ids)
    return Example(source, shape, list(ids), labels, "+".join(names) or "input_ids", **extra)


def truncated(example: Example, options: SFTOptions) -> Example:
    """``max_length`` with ``truncation_mode`` (skipped when packing, as in TRL)."""
    n = len(example.input_ids)
    if options.max_length is None or options.packing or n <= options.max_length:
        return example
    cut = slice(None, options.max_length) if options.truncation_mode == "keep_start" else slice(-options.max_length, None)
    roles = example.roles[cut] if example.roles is not None else None
    return dataclasses.replace(example, input_ids=example.input_ids[cut], labels=example.labels[cut], roles=roles,
                               truncated=True, length_before_truncation=n)


def _pretokenized(source: Source, record: dict) -> Example:
    arrays = {}
    for name in ("input_ids", "labels", "attention_mask", "position_ids"):
        value = record.get(name)
        if value is None and name != "input_ids":
            continue
        problem = int_list_problem(name, value)
        if problem:
            raise RowError(source, problem)
        if len(value) != len(record["input_ids"]):
            raise RowError(source, f"field {name!r} has {len(value)} values but 'input_ids' has "
                                   f"{len(record['input_ids'])}")
        arrays[name] = value
    ids = arrays.pop("input_ids")
    labels = arrays.pop("labels", None)
    return Example(source, "pretokenized", ids, labels if labels is not None else list(ids),
                   "given" if labels is not None else "input_ids", given=arrays)


def _render(source, tok, messages, template, record, assistant_masks, generation_prompt=False):
    if not template:
        raise RowError(source, f"chat records need a chat template and tokenizer {tok.name} has none; "
                               "pass --chat-template FILE.jinja")
    _valid_unicode(source, (message.get("content") for message in messages))
    tools = record.get("tools")
    if isinstance(tools, str):  # datasets often store the tool schemas as a JSON string
        try:
            tools = json.loads(tools)
        except json.JSONDecodeError as exc:
            raise RowError(source, f"field 'tools': a string that is not JSON ({exc.msg}, column {exc.colno})") from None
    extra = record.get("chat_template_kwargs") or {}
    if not isinstance(extra, dict):
        raise RowError(source, f"field 'chat_template_kwargs': expected an object, got {json_type(extra)}")
    kwargs = {"tools": tools, **extra}
    try:
        return render_chat(tok, messages, chat_template=template, add_generation_prompt=generation_prompt,
                           assistant_masks=assistant_masks, template_kwargs=kwargs)
    except InputError:
        raise
    except Exception as exc:  # jinja2 errors, raise_exception() in templates
        raise RowError(source, f"chat template failed: {str(exc).splitlines()[0] if str(exc) else exc}") from None


def _require_assistant(source: Source, assistant: list[int] | None) -> None:
    if assistant is not None and 1 not in assistant:
        raise NoAssistantTokens(source, "--assistant-only-loss, but the chat template marks no token of this record "
                                        "as the assistant's (no assistant turn, or {% generation %} tags around "
                                        "nothing); TRL stops before training")


def _no_assistant_only(source: Source, options: SFTOptions) -> None:
    if options.assistant_only_loss:
        raise RowError(source, "--assistant-only-loss needs conversational records (messages, or prompt/completion "
                               "as lists of messages)")


def _with_eos(text: str, eos: str | None, source: Source) -> str:
    if eos is None:
        raise RowError(source, "the tokenizer has no EOS token to append; name one with --eos-token")
    return text if text.endswith(eos) else text + eos


def _encode(tok: TokenizerHandle, texts: list[str], source: Source) -> list[list[int]]:
    _valid_unicode(source, texts)
    return [encoding.ids for encoding in tokenize(tok, texts, UNTOUCHED)[1]]


def _valid_unicode(source: Source, texts: Iterable[Any]) -> None:
    for text in texts:
        problem = unicode_problem(text) if isinstance(text, str) else None
        if problem:
            raise RowError(source, problem)
