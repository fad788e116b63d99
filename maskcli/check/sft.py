"""``check --sft``: audit the batches TRL's SFTTrainer would train on, not the raw records.

Records go through :mod:`maskcli.sft` (labels, truncation, packing, the collator); every
collated row is then checked as a given row, and the preparation adds its own findings:
MC017 (no assistant token: TRL stops; once, for the template, when it has no generation tags),
MC018 (prompt not a prefix) and, for given labels next to their messages or prompt, MC022-MC024.
The summary gains ``sft``: trained tokens by role and the examples dropped as fully masked.

With ``--num-proc N`` the workers prepare records (tokenizing, rendering templates: the slow
part) in chunks; with ``--engine ray`` each Ray task reads and prepares one shard
(:func:`prepare_shard`). Either way this process packs, collates and checks the examples in record
order, so the report is the one a single process gives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from maskcli.data.batches import SkipLog
from maskcli.check.audit import Audit
from maskcli.check.config import CheckConfig
from maskcli.check.rows import Context
from maskcli.check.samples import RowSample
from maskcli.check.shards import Shard, shard_records
from maskcli.check.sft_findings import example_issues
from maskcli.check.workers import results_in_order
from maskcli.data.records import RowError, Source
from maskcli.sft.options import SFTOptions, default_max_length
from maskcli.sft.pipeline import collated_batches
from maskcli.sft.prepare import Dropped, Example, NoAssistantTokens, NoGenerationTags, Preparer, prepared
from maskcli.sft.rows import to_row, trained_by_role
from maskcli.data.tokenizer import TokenizerHandle, load_tokenizer

CHUNK_RECORDS = 256  # records a worker prepares per task


def sft_options(config: CheckConfig) -> SFTOptions:
    return SFTOptions(
        max_length=default_max_length(config.max_length, config.packing, config.padding_free), truncation_mode=config.truncation_mode, packing=config.packing,
        packing_strategy=config.packing_strategy, padding_free=config.padding_free,
        pad_to_multiple_of=config.pad_to_multiple_of, completion_only_loss=config.completion_only_loss,
        assistant_only_loss=config.assistant_only_loss, dataset_text_field=config.field, eos_token=config.eos_token,
        chat_template_path=config.chat_template, per_device_train_batch_size=config.batch_size,
    )


def audit_sft(records: Iterable[tuple[Source, object]], tok: TokenizerHandle, config: CheckConfig, ctx: Context,
              log: SkipLog, progress: Callable[[Audit], None] | None = None,
              outcomes: Iterable[list[tuple[str, Any]]] | None = None) -> Audit:
    """The audit of ``records``, or of ``outcomes``: records prepared elsewhere (lists of
    :func:`_prepare_chunk`'s outcomes, in record order; consumed only once the template is known to work)."""
    options = sft_options(config)
    if options.flattened:  # one padding-free row holds a whole batch: max_length bounds its documents, not it
        ctx = dataclasses.replace(ctx, limit=None)
    audit = Audit.start(ctx, config)
    dropped = Dropped(keep=config.rows_per_finding)
    roles: dict[str, dict[str, int]] = {}
    audit.sft = {"trained_by_role": roles, "dropped_fully_masked": 0, "dropped_first": []}
    try:
        Preparer.start(tok, options)
    except NoGenerationTags as error:  # TRL refuses the template when the trainer is built: nothing is read
        audit.flag("MC017", str(error))
        return audit

    def bad(error: RowError) -> None:
        if isinstance(error, NoAssistantTokens):
            audit.hit("MC017", error.source, str(error).split(": ", 1)[1], at=audit.stats.rows)
        else:
            log.handle(error)

    def consume(examples: Iterable[Example]) -> None:
        for collated in collated_batches(_audited(examples, audit), tok, options):
            rows = [to_row(c) for c in collated]
            audit.update(rows)
            if progress is not None:
                progress(audit)
            for role, counts in trained_by_role(rows).items():
                entry = roles.setdefault(role, {"tokens": 0, "trained": 0})
                entry["tokens"] += counts["tokens"]
                entry["trained"] += counts["trained"]

    if outcomes is not None:
        consume(_unpacked(outcomes, dropped, bad))
    elif config.num_proc == 1:
        consume(prepared(records, tok, options, dropped, on_error=bad))
    else:
        from maskcli.check.run import chunks

        tasks = chunks(records, CHUNK_RECORDS)
        with results_in_order(_prepare_chunk, _start_worker, config, tasks, config.num_proc) as results:
            consume(_unpacked(results, dropped, bad))
    audit.skip_log(log)
    audit.sft.update(dropped_fully_masked=dropped.count, dropped_first=[str(s) for s in dropped.first])
    return audit


def _audited(examples: Iterable[Example], audit: Audit) -> Iterator[Example]:
    """The record-level findings of each example, before packing joins examples."""
    for example in examples:
        for code, detail in example_issues(example):
            audit.hit(code, example.source, detail, lambda example=example: RowSample.of_example(example),
                      at=audit.stats.rows)
        yield example


# --num-proc: a worker prepares a chunk of records; outcomes cross processes as plain tuples
# (a RowError does not pickle), in record order: ("example", Example), ("dropped", Source),
# ("error", (Source, message, no_assistant_tokens)).

def _start_worker(config: CheckConfig) -> Preparer:
    tok = load_tokenizer(config.tokenizer, pad_token=config.pad_token, loader=config.loader)
    return Preparer.start(tok, sft_options(config))


_PREPARER: list[tuple[CheckConfig, Preparer]] = []  # per Ray worker process: the last config's preparer


def prepare_shard(config: CheckConfig, shard: Shard) -> list[tuple[str, Any]]:
    """A Ray task of ``check --sft``: the outcomes of one shard's records, read here. The worker loads
    the tokenizer by its name, as this process did: a directory must be readable on every node."""
    if not _PREPARER or _PREPARER[0][0] != config:
        _PREPARER[:] = [(config, _start_worker(config))]
    return _prepare_chunk(_PREPARER[0][1], shard_records(shard, config.input_format))


def _prepare_chunk(prepare: Preparer, chunk: Iterable[tuple[Source, object]]) -> list[tuple[str, Any]]:
    """The outcome of each record, in order; a record that could not be read (a :class:`RowError`)
    is an error outcome, as one the preparation raises."""
    outcomes: list[tuple[str, Any]] = []
    for source, record in chunk:
        try:
            if isinstance(record, RowError):
                raise record
            example = prepare(source, record)
        except RowError as error:
            message = str(error)[len(str(source)) + 2:]
            outcomes.append(("error", (source, message, isinstance(error, NoAssistantTokens))))
            continue
        outcomes.append(("example", example) if example is not None else ("dropped", source))
    return outcomes


def _unpacked(results: Iterable[list[tuple[str, Any]]], dropped: Dropped,
              bad: Callable[[RowError], None]) -> Iterator[Example]:
    for outcomes in results:
        for kind, value in outcomes:
            if kind == "example":
                yield value
            elif kind == "dropped":
                dropped.add(value)
            else:
                source, message, no_assistant = value
                bad((NoAssistantTokens if no_assistant else RowError)(source, message))
