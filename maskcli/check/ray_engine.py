"""``check --engine ray``: shards audited by Ray tasks and merged in shard order.

The driver (this process) plans the shards from metadata: the row groups of a Parquet file
(their row offsets from the footer), the Arrow files of a ``save_to_disk`` directory (rows
counted on the memory-mapped stream), any other file whole. A Ray task audits one shard and is
run again, up to ``MAX_RETRIES`` times, when its worker dies; at most ``IN_FLIGHT_PER_CPU`` tasks
per cluster CPU are pending, and the driver merges their audits in shard order.

Training batches span shards, as in a local run: a shard that starts at row ``s`` of the input is
cut after its first ``lead = -s mod batch_size`` rows, which complete the previous shard's
unfinished batch (:meth:`Audit.merge` with ``continues``); the rest is batched from there. Row
counts from metadata make ``lead`` right; a shard found to start elsewhere (a skipped bad record,
a JSONL file with blank lines) is audited again with the right ``lead`` when its turn comes, and
the later shards' starts are corrected. So the report, row numbers included, is a local run's.

Workers get the tokenizer as its ``tokenizer.json`` text plus its special-token facts (no hub, no
files), and the check context resolved here once. An audit lists at most ``rows_per_finding``
rows per finding, so what a shard sends back stays small on a systematically broken dataset.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maskcli.check.arrow_input import BATCH_ROWS, damaged_as_input_error, fits_layout
from maskcli.check.audit import Audit, audit_arrow, make_context, record_rows
from maskcli.check.config import CheckConfig
from maskcli.data import remote
from maskcli.data.batches import Selection, SkipLog, selected_records
from maskcli.data.readers import STDIN, detect_format, file_head, save_to_disk_files
from maskcli.data.records import Source
from maskcli.data.tokenizer import TokenizerHandle
from maskcli.errors import InputError

MAX_RETRIES = 2  # a task whose worker dies runs again this many times
IN_FLIGHT_PER_CPU = 2  # pending tasks per cluster CPU: enough to keep them busy, few audits held
CONNECT_TIMEOUT_S = 10.0
READ_ROWS = 1024  # records per Arrow batch on the record path (the local reader's)
FAULT_ENV = "MASKCLI_RAY_TEST_DIE_ONCE"  # tests: a directory; the first attempt of every task dies


@dataclass(frozen=True)
class Shard:
    """A piece of one input: a Parquet row group, an Arrow file of a directory, or a whole file."""

    path: str  # the input as given
    kind: str  # "row_group", "arrow_file" or "file"
    part: int | str | None  # the row group's index, the Arrow file's path
    first: int  # index of its first row within the input (row groups and Arrow files)
    rows: int | None  # rows expected (None: not known before reading)

    @property
    def label(self) -> str:
        return {"row_group": f"{self.path} row group {self.part}", "arrow_file": str(self.part)}.get(self.kind, self.path)


def run_on_ray(
    paths: Sequence[str], tok: TokenizerHandle, config: CheckConfig, progress: Callable[[int], None] | None = None,
) -> Audit:
    """Audit ``paths`` on a Ray cluster; the merged audit equals :func:`maskcli.check.run.run_check`'s."""
    if config.sft:
        raise InputError("--engine ray does not run --sft checks; use --engine local (with --num-proc)")
    if config.num_proc != 1:
        raise InputError("--num-proc is for --engine local; a Ray cluster runs a task per CPU")
    if STDIN in paths:
        raise InputError("--engine ray cannot read stdin (-): Ray workers read the files themselves")
    ctx, resolved = make_context(tok, config)
    shards = plan(paths, config.input_format)
    # Ray's driver prints what the cluster reports (a worker that died, a retry) to sys.stdout: the
    # report's stream. Those lines go to stderr, and a Ray started here is stopped before the report.
    with contextlib.redirect_stdout(sys.stderr):
        ray, started = connect(config.ray_address)
        try:
            return _merged(ray, shards, tok, config, ctx, resolved, progress)
        finally:
            if started:
                ray.shutdown()
                _wait_for_printers()


RAY_PRINTERS = ("ray_listen_error_messages", "ray_print_logs")  # the driver threads that print to sys.stdout


def _wait_for_printers(timeout: float = 5.0) -> None:
    """``ray.shutdown()`` only tells Ray's printing threads to stop; one that already holds a message
    (a worker died, a retry) prints it to ``sys.stdout`` when it gets to it. Wait for them while
    stdout still goes to stderr, so no such line can land in the report."""
    for thread in threading.enumerate():
        if thread.name in RAY_PRINTERS:
            thread.join(timeout)


def _merged(ray: Any, shards: list[Shard], tok: TokenizerHandle, config: CheckConfig, ctx: Any, resolved: Any,
            progress: Callable[[int], None] | None) -> Audit:
    """Submit the shards' tasks, a bounded number at a time, and merge their audits in shard order."""
    setup = ray.put({"tokenizer": ship_tokenizer(tok), "config": config, "ctx": ctx, "resolved": resolved})
    task = ray.remote(max_retries=MAX_RETRIES)(audit_task)
    total = Audit.start(ctx, config)
    batch = config.batch_size
    window = max(2, IN_FLIGHT_PER_CPU * int(ray.cluster_resources().get("CPU", 1)))
    pending: deque[tuple[Shard, int, int, Any]] = deque()  # shard, its predicted first row, lead, task
    upcoming = iter(shards)
    predicted = correction = 0  # the next shard's predicted first row; how far off the predictions turned out

    def submit(shard: Shard, start: int) -> Any:
        return task.remote(setup, shard, -start % batch)

    while True:
        while len(pending) < window and (shard := next(upcoming, None)) is not None:
            pending.append((shard, predicted, -(predicted + correction) % batch,
                            submit(shard, predicted + correction)))
            predicted += shard.rows or 0
        if not pending:
            break
        shard, guess, lead, ref = pending.popleft()
        start = total.stats.rows
        if lead != -start % batch:  # an earlier shard held other rows than expected: audit this one again
            correction = start - guess
            ray.cancel(ref)
            ref = submit(shard, start)
        try:
            head, rest = result(ray, shard, ref)
        except BaseException:
            for *_, later in pending:  # nothing more to run
                ray.cancel(later)
            raise
        total.merge(head, continues=True).merge(rest, continues=True)
        if progress is not None:
            progress(total.stats.rows)
    return total


def plan(paths: Sequence[str], fmt: str | None) -> list[Shard]:
    """The shards of ``paths``, in order. An input whose metadata cannot be read is one shard: its
    worker reads it as a local run would, and reports the same error."""
    shards: list[Shard] = []
    for path in paths:
        if not remote.exists(path):  # as the local reader says it, before Ray starts
            raise InputError(f"{path}: no such file")
        kind = detect_format(path, fmt, file_head(path))
        pieces = (_row_groups(path) if kind == "parquet" else _arrow_files(path) if remote.isdir(path) else None)
        shards.extend(pieces or [Shard(path, "file", None, 0, _count_lines(path, kind))])
    return shards


def _row_groups(path: str) -> list[Shard] | None:
    try:
        import pyarrow.parquet as pq

        metadata = pq.ParquetFile(remote.arrow_source(path)).metadata
    except Exception:  # no pyarrow, or not Parquet: the worker's reader says what is wrong
        return None
    shards, first = [], 0
    for index in range(metadata.num_row_groups):
        rows = metadata.row_group(index).num_rows
        shards.append(Shard(path, "row_group", index, first, rows))
        first += rows
    return shards if first else None  # an empty file: the reader's error


def _arrow_files(path: str) -> list[Shard] | None:
    try:
        import pyarrow as pa

        shards, first = [], 0
        for file in save_to_disk_files(path):
            with remote.open_arrow(file) as mapped:
                rows = sum(batch.num_rows for batch in pa.ipc.open_stream(mapped))
            shards.append(Shard(path, "arrow_file", str(file), first, rows))
            first += rows
    except Exception:  # missing or damaged files, no pyarrow: the reader's error
        return None
    return shards if first else None


def _count_lines(path: str, kind: str) -> int | None:
    """Lines of a text or JSONL file (the records a local run expects; a misprediction costs a re-run)."""
    if kind not in ("text", "jsonl"):
        return None
    count, last = 0, b"\n"
    try:
        with remote.open_binary(path) as stream:
            while block := stream.read(1 << 20):
                count += block.count(b"\n")
                last = block[-1:]
    except OSError:
        return None
    return count + (last != b"\n")


def connect(address: str | None) -> tuple[Any, bool]:
    """The ``ray`` module, connected, and whether this call started or joined Ray (else it was already): to an initialised Ray, else as ``ray.init(address)`` does: ``auto``
    or ``HOST:PORT`` a cluster, ``local`` a new local Ray, ``None`` ``RAY_ADDRESS``, else the cluster
    ``ray start`` started on this machine, else a new local Ray."""
    try:
        import ray
    except ImportError:
        raise InputError("--engine ray needs Ray: pip install 'maskcli[ray]'") from None
    if ray.is_initialized():
        return ray, False
    if address not in (None, "auto", "local"):
        _reachable(address)
    os.environ.setdefault("RAY_IGNORE_UNHANDLED_ERRORS", "1")  # a failed shard is one error line, not a traceback each
    import maskcli

    # workers import this very maskcli (the cluster's own, if any, may be another version or none)
    runtime_env = {"py_modules": [str(Path(maskcli.__file__).parent)], "excludes": ["__pycache__"]}
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                 runtime_env=runtime_env)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"at {address}" if address else "(a local Ray)"
        raise InputError(f"cannot start or reach the Ray cluster {where}: {_first_line(exc)}") from None
    return ray, True


def _reachable(address: str) -> None:
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--ray-address must be auto, local or HOST:PORT, not {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise InputError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc} "
                         f"(within {CONNECT_TIMEOUT_S:.0f} s)") from None


def result(ray: Any, shard: Shard, ref: Any) -> tuple[Audit, Audit]:
    """A task's audits; its failure as one error line naming the shard."""
    from ray import exceptions

    try:
        return ray.get(ref)
    except exceptions.RayTaskError as exc:
        cause = exc.cause
        if isinstance(cause, InputError):
            message = str(cause)
            raise InputError(message if message.startswith(shard.label) else f"{shard.label}: {message}") from None
        raise InputError(f"{shard.label}: {type(cause).__name__}: {_first_line(cause)}") from None
    except (exceptions.WorkerCrashedError, exceptions.NodeDiedError, exceptions.ObjectLostError) as exc:
        raise InputError(f"{shard.label}: its Ray worker died {MAX_RETRIES + 1} times ({_first_line(exc)})") from None
    except exceptions.RayError as exc:  # the task could not start: its runtime environment, its arguments
        raise InputError(f"{shard.label}: Ray could not run the task ({type(exc).__name__}: {_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# --- on the workers -------------------------------------------------------------------------------

_TOKENIZERS: dict[str, TokenizerHandle] = {}  # per worker process: a tokenizer is built once


def ship_tokenizer(tok: TokenizerHandle) -> dict[str, Any]:
    """What a worker needs of ``tok``: its ``tokenizer.json`` and the facts transformers keeps beside it."""
    facts = {f.name: getattr(tok, f.name) for f in dataclasses.fields(tok) if f.name not in ("backend", "hf_tokenizer")}
    return {"json": tok.backend.to_str(), "facts": facts}


def received_tokenizer(shipped: dict[str, Any]) -> TokenizerHandle:
    key = shipped["json"]
    if key not in _TOKENIZERS:
        from tokenizers import Tokenizer

        _TOKENIZERS.clear()
        _TOKENIZERS[key] = TokenizerHandle(backend=Tokenizer.from_str(key), **shipped["facts"])
    return _TOKENIZERS[key]


def audit_task(setup: dict[str, Any], shard: Shard, lead: int) -> tuple[Audit, Audit]:
    """A Ray task: the audits of ``shard``'s first ``lead`` rows and of the rest."""
    _die_once_for_tests(shard)
    tok = received_tokenizer(setup["tokenizer"])
    config, ctx, resolved = setup["config"], setup["ctx"], setup["resolved"]
    log = SkipLog(skip=config.on_error == "skip")
    columnar = _columnar_batches(shard)
    if columnar is not None:
        head_batches, rest_batches = _cut(columnar, lead)
        head = audit_arrow(head_batches, tok, config, ctx, resolved, log)
        rest = audit_arrow(rest_batches, tok, config, ctx, resolved, log)
        if head.stats.rows < lead and rest.stats.rows:  # a batch went the record way and skipped a record
            raise InputError(f"{shard.label}: a record was skipped where --engine ray cuts the shard; "
                             "use --engine local")
        return head, rest
    head, rest = Audit.start(ctx, config), Audit.start(ctx, config)
    for rows in record_rows(_records(shard, config.input_format, log), tok, config, resolved, log):
        take = max(0, lead - head.stats.rows)
        if take:
            head.update(rows[:take])
        if len(rows) > take:
            rest.update(rows[take:])
    rest.skip_log(log)
    return head, rest


def _arrow_batches(shard: Shard) -> Iterator[Any]:
    """The Arrow batches of a row group or an Arrow file."""
    import pyarrow as pa

    if shard.kind == "row_group":
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(remote.arrow_source(shard.path))
        yield from damaged_as_input_error(shard.label, parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=[shard.part]))
        return
    with remote.open_arrow(shard.part) as mapped:
        yield from damaged_as_input_error(shard.label, iter(pa.ipc.open_stream(mapped)))


def _schema(shard: Shard) -> Any:
    import pyarrow as pa

    if shard.kind == "row_group":
        import pyarrow.parquet as pq

        return pq.ParquetFile(remote.arrow_source(shard.path)).schema_arrow
    with remote.open_arrow(shard.part) as mapped:
        return pa.ipc.open_stream(mapped).schema


def _name(shard: Shard) -> str:
    """How the local reader names the rows of ``shard``'s input."""
    return remote.normalized(shard.path) if shard.kind == "arrow_file" else shard.path


def _columnar_batches(shard: Shard) -> Iterator[tuple[str, int, Any]] | None:
    """``(name, first row, batch)`` of a shard of pre-tokenized integer-list columns, else ``None``."""
    if shard.kind == "file" or not fits_layout(_schema(shard)):
        return None

    def batches() -> Iterator[tuple[str, int, Any]]:
        first = shard.first
        for batch in _arrow_batches(shard):
            yield _name(shard), first, batch
            first += batch.num_rows

    return batches()


def _cut(batches: Iterator[tuple[str, int, Any]], lead: int) -> tuple[list[tuple[str, int, Any]], Iterator[Any]]:
    """The first ``lead`` rows' batches (a list: fewer than a training batch), and the rest's."""
    head: list[tuple[str, int, Any]] = []
    wanted = lead
    for name, first, batch in batches:
        if not wanted:
            return head, _chain([(name, first, batch)], batches)
        taken = min(wanted, batch.num_rows)
        head.append((name, first, batch.slice(0, taken)))
        wanted -= taken
        if taken < batch.num_rows:
            return head, _chain([(name, first + taken, batch.slice(taken))], batches)
    return head, iter(())


def _chain(first: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from first
    yield from rest


def _records(shard: Shard, fmt: str | None, log: SkipLog) -> Iterable[tuple[Source, object]]:
    """``(source, record)`` of a shard, named as the local reader names them; bad ones go to ``log``."""
    if shard.kind == "file":
        return selected_records([shard.path], fmt, Selection(), log)

    def from_batches() -> Iterator[tuple[Source, object]]:
        first = shard.first
        for batch in _arrow_batches(shard):
            for i, record in enumerate(batch.to_pylist()):
                yield Source(_name(shard), row=first + i), record
            first += batch.num_rows

    return from_batches()


def _die_once_for_tests(shard: Shard) -> None:
    """With ``MASKCLI_RAY_TEST_DIE_ONCE=DIR`` and DIR present, each shard's first attempt kills its worker (tests of retries)."""
    directory = os.environ.get(FAULT_ENV)
    if not directory or not os.path.isdir(directory):
        return
    marker = Path(directory) / (hashlib.sha1(shard.label.encode()).hexdigest() + ".died")
    if not marker.exists():
        marker.touch()
        os._exit(1)
