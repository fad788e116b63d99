"""``check --engine ray``: shards audited by Ray tasks and merged in shard order.

The driver (this process) plans the shards (:mod:`maskcli.check.shards`: Parquet row groups,
Arrow files of a ``save_to_disk`` directory, spans of lines of text and JSONL files, other files
whole). A Ray task audits one shard and is run again, up to ``MAX_RETRIES`` times, when its worker
dies; at most ``IN_FLIGHT_PER_CPU`` tasks per cluster CPU are pending, and the driver merges their
audits in shard order, so the report, row numbers included, is a local run's.

Workers get the tokenizer as its ``tokenizer.json`` text plus its special-token facts (no hub, no
files), and the check context resolved here once. An audit lists at most ``rows_per_finding``
rows per finding, so what a shard sends back stays small on a systematically broken dataset.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from maskcli.check.audit import Audit, make_context
from maskcli.check.config import CheckConfig
from maskcli.check.progress import Progress, Tracker
from maskcli.data.batches import SkipLog
from maskcli.check.shards import Shard, audit_task, merged_in_order, plan, readable_apart, ship_tokenizer
from maskcli.data import remote
from maskcli.data.readers import STDIN
from maskcli.data.tokenizer import TokenizerHandle
from maskcli.errors import InputError

MAX_RETRIES = 2  # a task whose worker dies runs again this many times
IN_FLIGHT_PER_CPU = 2  # pending tasks per cluster CPU: enough to keep them busy, few audits held
CONNECT_TIMEOUT_S = 10.0
SPAN_BYTES = 16 << 20  # text and JSONL files are cut into spans of about this size
FAULT_ENV = "MASKCLI_RAY_TEST_DIE_ONCE"  # tests: a directory; the first attempt of every task dies


def run_on_ray(
    paths: Sequence[str], tok: TokenizerHandle, config: CheckConfig, progress: Progress | None = None,
) -> Audit:
    """Audit ``paths`` on a Ray cluster; the merged audit equals :func:`maskcli.check.run.run_check`'s."""
    if config.num_proc != 1:
        raise InputError("--num-proc is for --engine local; a Ray cluster runs a task per CPU")
    if STDIN in paths:
        raise InputError("--engine ray cannot read stdin (-): Ray workers read the files themselves")
    for path in paths:
        if remote.exists(path) and not readable_apart(path):
            raise InputError(f"{path}: not a regular file; --engine ray workers read the files themselves "
                             "(write the stream to a file first)")
    ctx, resolved = make_context(tok, config)
    shards = plan(paths, config.input_format, SPAN_BYTES)
    # Ray's driver prints what the cluster reports (a worker that died, a retry) to sys.stdout: the
    # report's stream. Those lines go to stderr, and a Ray started here is stopped before the report.
    with contextlib.redirect_stdout(sys.stderr):
        ray, started = connect(config.ray_address)
        try:
            tracker = Tracker(progress, paths, total=sum(s.size for s in shards)) if progress is not None else None
            if config.sft:
                return _sft(ray, shards, tok, config, ctx, tracker)
            return _merged(ray, shards, tok, config, ctx, resolved, tracker)
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
            progress: Tracker | None) -> Audit:
    """Submit the shards' tasks, a bounded number at a time, and merge their audits in shard order."""
    setup = ray.put({"tokenizer": ship_tokenizer(tok), "config": config, "ctx": ctx, "resolved": resolved})
    task = ray.remote(max_retries=MAX_RETRIES)(ray_task)

    def run(tasks: Iterator[tuple[Shard, int]]) -> Iterator[tuple[Audit, Audit]]:
        return in_order(ray, ((shard, task.remote(setup, shard, lead)) for shard, lead in tasks))

    def again(shard: Shard, lead: int) -> tuple[Audit, Audit]:
        return result(ray, shard, task.remote(setup, shard, lead))

    return merged_in_order(shards, Audit.start(ctx, config), config.batch_size, run, again, progress)


def _sft(ray: Any, shards: list[Shard], tok: TokenizerHandle, config: CheckConfig, ctx: Any,
         progress: Tracker | None) -> Audit:
    """``--sft``: each task reads and prepares a shard; this process packs, collates and checks in order."""
    from maskcli.check.sft import audit_sft, prepare_shard

    task = ray.remote(max_retries=MAX_RETRIES)(prepare_shard)
    read = [0]  # bytes of the shards consumed so far

    def outcomes() -> Iterator[list]:
        prepared = in_order(ray, ((shard, task.remote(config, shard)) for shard in shards))
        for shard, done in zip(shards, prepared):
            read[0] += shard.size
            yield done

    log = SkipLog(skip=config.on_error == "skip")
    tell = (lambda audit: progress(audit, read[0])) if progress is not None else None
    return audit_sft((), tok, config, ctx, log, tell, outcomes=outcomes())


def in_order(ray: Any, submitted: Iterator[tuple[Shard, Any]]) -> Iterator[Any]:
    """The results of ``(shard, task reference)`` pairs, in order, pulling (submitting) at most
    ``IN_FLIGHT_PER_CPU`` per cluster CPU ahead of the one awaited; a failure cancels the rest."""
    window = max(2, IN_FLIGHT_PER_CPU * int(ray.cluster_resources().get("CPU", 1)))
    pending: deque[tuple[Shard, Any]] = deque()
    try:
        for shard, ref in submitted:
            pending.append((shard, ref))
            if len(pending) >= window:
                yield result(ray, *pending.popleft())
        while pending:
            yield result(ray, *pending.popleft())
    finally:
        for _, ref in pending:  # a failed shard: nothing more to run
            ray.cancel(ref)


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


def ray_task(setup: dict[str, Any], shard: Shard, lead: int) -> tuple[Audit, Audit]:
    """A Ray task: :func:`maskcli.check.shards.audit_task`."""
    _die_once_for_tests(shard)
    return audit_task(setup, shard, lead)


def _die_once_for_tests(shard: Shard) -> None:
    """With ``MASKCLI_RAY_TEST_DIE_ONCE=DIR`` and DIR present, each shard's first attempt kills its worker (tests of retries)."""
    directory = os.environ.get(FAULT_ENV)
    if not directory or not os.path.isdir(directory):
        return
    marker = Path(directory) / (hashlib.sha1(shard.label.encode()).hexdigest() + ".died")
    if not marker.exists():
        marker.touch()
        os._exit(1)
