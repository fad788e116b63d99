"""Running a check over input files: one process, or ``--num-proc N`` workers over chunks.

With several processes the main process only reads records; workers tokenize and check
chunks of whole batches, and their audits are merged in file order, so the report is the
same as with one process. At most ``2 x N`` chunks are in flight: memory stays constant.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from maskcli.batches import Selection, SkipLog, selected_records
from maskcli.check.audit import Audit, audit_records, chunk_rows, make_context
from maskcli.check.config import CheckConfig
from maskcli.errors import InputError
from maskcli.tokenizer import TokenizerHandle, load_tokenizer


def run_check(
    paths: Sequence[str], tok: TokenizerHandle, config: CheckConfig, progress: Callable[[int], None] | None = None
) -> Audit:
    """Read ``paths`` and audit every record (``config.num_proc`` processes).

    ``progress(n)`` is told the number of records read so far, every thousand records.
    """
    ctx, resolved = make_context(tok, config)
    log = SkipLog(skip=config.on_error == "skip")
    records = selected_records(paths, config.input_format, Selection(), log)
    if progress is not None:
        records = counted(records, progress)
    if config.num_proc == 1:
        return audit_records(records, tok, config, ctx, resolved, log)
    audit = _in_workers(records, config)
    audit.skip_log(log)
    return audit


def counted(items: Iterable[Any], report: Callable[[int], None], every: int = 1000) -> Iterator[Any]:
    """``items`` unchanged, telling ``report`` how many have passed every ``every`` items and at the end."""
    done = 0
    for done, item in enumerate(items, start=1):
        yield item
        if done % every == 0:
            report(done)
    report(done)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _in_workers(records: Iterable[Any], config: CheckConfig) -> Audit:
    context = multiprocessing.get_context("spawn")
    total: Audit | None = None
    with context.Pool(config.num_proc, initializer=_start_worker, initargs=(config,)) as pool:
        in_flight: deque = deque()

        def collect() -> None:
            nonlocal total
            result = in_flight.popleft().get()
            if isinstance(result, str):
                raise InputError(result)
            total = result if total is None else total.merge(result)

        for chunk in _chunks(records, chunk_rows(config.batch_size)):
            in_flight.append(pool.apply_async(_work, (chunk,)))
            if len(in_flight) >= 2 * config.num_proc:
                collect()
        while in_flight:
            collect()
    if total is None:  # no records at all
        tok = load_tokenizer(config.tokenizer, pad_token=config.pad_token, loader=config.loader)
        total = Audit.start(make_context(tok, config)[0], config)
    return total


_WORKER: dict[str, Any] = {}


def _start_worker(config: CheckConfig) -> None:
    tok = load_tokenizer(config.tokenizer, pad_token=config.pad_token, loader=config.loader)
    ctx, resolved = make_context(tok, config)
    _WORKER.update(tok=tok, config=config, ctx=ctx, resolved=resolved)


def _work(chunk: list) -> Audit | str:
    """One chunk in a worker; an input error comes back as its message (it must cross processes)."""
    try:
        return audit_records(chunk, _WORKER["tok"], _WORKER["config"], _WORKER["ctx"], _WORKER["resolved"])
    except InputError as exc:
        return str(exc)
