"""Running a check over input files: one process, or ``--num-proc N`` workers over shards.

With several processes the main process plans shards (:mod:`maskcli.check.shards`: Parquet row
groups, spans of lines, ...); each worker reads and checks its own, and their audits are merged
in shard order, so the report is the same as with one process. One shard per worker is in
flight: memory stays constant. Only stdin, FIFOs and other streams, which cannot be shared, are
read by the main process and sent to the workers in chunks of whole batches. The processes themselves (signals, dead
workers) are :mod:`maskcli.check.workers`' job.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from maskcli.data.batches import Selection, SkipLog, selected_records
from maskcli.data import remote
from maskcli.data.encoding import ResolvedSettings
from maskcli.data.readers import preload_parsers
from maskcli.check.arrow_input import arrow_files
from maskcli.check.audit import Audit, audit_arrow, audit_records, chunk_rows, make_context
from maskcli.check.jsonl_input import audit_jsonl_pieces, jsonl_pieces
from maskcli.check.config import CheckConfig
from maskcli.check.progress import Progress, Tracker
from maskcli.check.rows import Context
from maskcli.check.shards import Shard, audit_task, readable_apart, merged_in_order, plan, ship_tokenizer, split_bytes_for
from maskcli.check.workers import check_process_count, results_in_order, run_in_order
from maskcli.data.tokenizer import TokenizerHandle, load_tokenizer


def run_check(
    paths: Sequence[str], tok: TokenizerHandle, config: CheckConfig, progress: Progress | None = None
) -> Audit:
    """Read ``paths`` and audit every record (``config.num_proc`` processes).

    ``progress`` is told how far the check has got (:class:`~maskcli.check.progress.Done`) after
    every chunk of rows or shard. URL patterns (``s3://b/train-*.parquet``) stand for the files
    they match, in order.
    """
    paths = remote.expand(paths)
    if config.engine == "ray":
        from maskcli.check.ray_engine import run_on_ray

        return run_on_ray(paths, tok, config, progress)
    check_process_count(config.num_proc)
    ctx, resolved = make_context(tok, config)
    log = SkipLog(skip=config.on_error == "skip")
    if config.num_proc > 1 and not config.sft and all(map(readable_apart, paths)):
        return _shards_in_workers(paths, tok, config, ctx, resolved, progress)
    tracker = Tracker(progress, paths) if progress is not None else None
    if not config.sft and config.num_proc == 1 and (files := arrow_files(paths, config.input_format)) is not None:
        return audit_arrow(files, tok, config, ctx, resolved, log, tracker)
    if not config.sft and config.num_proc == 1 and \
            (pieces := jsonl_pieces(paths, config.input_format, config.field)) is not None:
        return audit_jsonl_pieces(pieces, tok, config, ctx, resolved, log, tracker)
    records = selected_records(paths, config.input_format, Selection(), log)
    if config.sft:
        from maskcli.check.sft import audit_sft

        return audit_sft(records, tok, config, ctx, log, tracker)
    if config.num_proc == 1:
        return audit_records(records, tok, config, ctx, resolved, log, tracker)
    audit = _in_workers(records, config, paths, tracker)
    audit.skip_log(log)
    return audit


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _in_workers(records: Iterable[Any], config: CheckConfig, paths: Sequence[str],
                progress: Callable[[Audit], None] | None) -> Audit:
    audits: list[Audit] = []

    def take(audit: Audit) -> None:
        if audits:
            audits[0].merge(audit)
        else:
            audits.append(audit)
        if progress is not None:
            progress(audits[0])

    preload_parsers(list(paths), config.input_format)  # before run_in_order installs its stop-signal handlers
    run_in_order(_work, _start_worker, config, chunks(records, chunk_rows(config.batch_size)), config.num_proc, take)
    if not audits:  # no records at all
        tok = load_tokenizer(config.tokenizer, pad_token=config.pad_token, loader=config.loader)
        return Audit.start(make_context(tok, config)[0], config)
    return audits[0]


def _shards_in_workers(paths: Sequence[str], tok: TokenizerHandle, config: CheckConfig, ctx: Context,
                       resolved: ResolvedSettings, progress: Progress | None) -> Audit:
    shards = plan(paths, config.input_format, split_bytes_for(paths, config.num_proc))
    tracker = Tracker(progress, paths, total=sum(shard.size for shard in shards)) if progress is not None else None
    workers = min(config.num_proc, len(shards))
    setup = {"tokenizer": ship_tokenizer(tok), "config": config, "ctx": ctx, "resolved": resolved,
             "threads": max(1, (os.cpu_count() or 1) // workers)}

    def run(tasks: Iterator[tuple[Shard, int]]) -> Iterator[tuple[Audit, Audit]]:
        with results_in_order(_audit_task, _ready, setup, tasks, workers) as results:
            yield from results

    preload_parsers(list(paths), config.input_format)  # before results_in_order installs its stop-signal handlers
    total = Audit.start(ctx, config)
    return merged_in_order(shards, total, config.batch_size, run, functools.partial(audit_task, setup), tracker)


def _ready(setup: dict[str, Any]) -> dict[str, Any]:
    """A worker's start: the Rust tokenizer's thread pool sized to its share of the CPUs (unless the
    user sized it), so N workers do not run N pools of a thread per CPU each."""
    os.environ.setdefault("RAYON_NUM_THREADS", str(setup["threads"]))
    return setup


def _audit_task(setup: dict[str, Any], task: tuple[Shard, int]) -> tuple[Audit, Audit]:
    return audit_task(setup, *task)


def _start_worker(config: CheckConfig) -> dict[str, Any]:
    tok = load_tokenizer(config.tokenizer, pad_token=config.pad_token, loader=config.loader)
    ctx, resolved = make_context(tok, config)
    return {"tok": tok, "config": config, "ctx": ctx, "resolved": resolved}


def _work(state: dict[str, Any], chunk: list) -> Audit:
    return audit_records(chunk, state["tok"], state["config"], state["ctx"], state["resolved"])
