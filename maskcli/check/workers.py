"""Worker processes for ``check --num-proc``: results in task order, no hangs, no orphans.

Each worker is a spawned process with its own pipe; it gets one task at a time and sends
back the result. The main process waits on the pipes and the process sentinels together,
so a worker that dies (``kill -9``, out of memory) ends the run at once with one error
line instead of leaving a task that never completes. Workers end with the main process:
on Linux the kernel kills them when it dies (``PR_SET_PDEATHSIG``), elsewhere they leave
when their pipe closes. A SIGTERM/SIGHUP/SIGINT to the main process stops the workers
and exits ``128 + signum``, without tracebacks. While the workers are being spawned (a few
milliseconds) the main process ignores SIGINT, so that they inherit an ignored SIGINT for their
own start-up; a Ctrl-C in that moment is lost (SIGTERM and SIGHUP are kept and acted on).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from maskcli.errors import InputError

if TYPE_CHECKING:  # multiprocessing is imported when workers start: one process (the default) never needs it
    import multiprocessing
    from multiprocessing.connection import Connection

PROCS_PER_CPU = 4  # more processes than this only add memory: each loads its own tokenizer
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))


def max_processes() -> int:
    return PROCS_PER_CPU * (os.cpu_count() or 1)


def check_process_count(count: int) -> None:
    """A bound on ``--num-proc``: a typo like 100000000000 must not spawn workers until memory runs out."""
    cpus = os.cpu_count() or 1
    if count > max_processes():
        raise InputError(f"num_proc {count} is more than {PROCS_PER_CPU} per CPU ({cpus} CPUs here): at most "
                         f"{max_processes()}; every process loads its own tokenizer, and more than the cores only "
                         "costs memory")


class Stopped(BaseException):
    """The main process got a stop signal (a BaseException: no ``except Exception`` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _StopHandler:
    """Raises :class:`Stopped` once armed; a signal that comes before (while workers are being
    spawned, which must not be cut short) is kept and raised when arming."""

    def __init__(self) -> None:
        self.armed = False
        self.received: list[int] = []

    def __call__(self, signum: int, frame: object) -> None:
        if self.armed:
            raise Stopped(signum)
        self.received.append(signum)

    def arm(self) -> None:
        self.armed = True
        if self.received:
            raise Stopped(self.received[0])


def run_in_order(
    work: Callable[[Any, Any], Any], setup: Callable[[Any], Any], setup_arg: Any, tasks: Iterable[Any], count: int,
    take: Callable[[Any], None],
) -> None:
    """``take(work(state, task))`` for every task, in task order, with ``count`` worker processes.

    Each worker runs ``state = setup(setup_arg)`` once. ``work`` and ``setup`` must be module-level
    functions (workers are spawned). An :class:`InputError` in a worker is raised here.
    """
    with results_in_order(work, setup, setup_arg, tasks, count) as results:
        for result in results:
            take(result)


@contextmanager
def results_in_order(
    work: Callable[[Any, Any], Any], setup: Callable[[Any], Any], setup_arg: Any, tasks: Iterable[Any], count: int,
) -> Iterator[Iterator[Any]]:
    """:func:`run_in_order` for a consumer that pulls: the ``with`` body iterates the results.

    Stop signals and the workers' end cover the whole body (what it does with each result too)::

        with results_in_order(work, setup, config, chunks, 2) as results:
            for result in results:
                ...
    """
    workers: list[tuple[multiprocessing.Process, Connection]] = []
    # While workers start, stop signals wait (blocked) and SIGINT is ignored: the workers inherit that
    # (the exec keeps ignored signals), so a Ctrl-C to the whole group cannot interrupt their start-up.
    # If a native library's thread takes a signal meanwhile, the handler keeps it for later.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    stop = _StopHandler()
    previous = {signum: signal.signal(signum, signal.SIG_IGN if signum == signal.SIGINT else stop)
                for signum in STOP_SIGNALS}
    try:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, work, setup, setup_arg), daemon=True)
            process.start()
            theirs.close()
            workers.append((process, mine))
        signal.signal(signal.SIGINT, stop)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        stop.arm()
        yield _dispatch(workers, iter(tasks))
    except Stopped as stopped:
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # a second signal must not interrupt the clean-up
        _end(workers)
        raise SystemExit(128 + stopped.signum) from None
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        _end(workers)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _dispatch(workers: list[tuple[multiprocessing.Process, Connection]], tasks: Iterator[Any]) -> Iterator[Any]:
    from multiprocessing.connection import wait

    busy: dict[Connection, tuple[multiprocessing.Process, int]] = {}
    idle = list(workers)
    done: dict[int, Any] = {}
    sent = next_out = 0
    exhausted = False
    while True:
        while idle and not exhausted:
            task = next(tasks, _END)
            if task is _END:
                exhausted = True
                break
            process, conn = idle.pop()
            try:
                conn.send(task)
            except (BrokenPipeError, ConnectionResetError):
                _died(process)
            busy[conn] = (process, sent)
            sent += 1
        while next_out in done:
            yield done.pop(next_out)
            next_out += 1
        if not busy:
            return
        sentinels = {process.sentinel: process for process, _ in workers}
        for ready in wait([*busy, *sentinels]):
            if ready in sentinels:
                _died(sentinels[ready])
            elif ready in busy:
                process, index = busy.pop(ready)
                try:
                    kind, value = ready.recv()
                except (EOFError, ConnectionResetError):
                    _died(process)
                if kind == "error":
                    raise InputError(value)
                done[index] = value
                idle.append((process, ready))


_END = object()


def _died(process: multiprocessing.Process) -> None:
    process.join(timeout=5)
    code = process.exitcode
    how = (f"signal {-code}, {signal.Signals(-code).name}" if code is not None and code < 0
           else f"exit code {code}")
    raise InputError(f"worker process {process.pid} died ({how}); the check is incomplete")


def _end(workers: list[tuple[multiprocessing.Process, Connection]]) -> None:
    for process, conn in workers:
        conn.close()
        if process.is_alive():
            process.terminate()
    for process, _ in workers:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()
    workers.clear()


def _serve(conn: Connection, work: Callable[[Any, Any], Any], setup: Callable[[Any], Any], setup_arg: Any) -> None:
    """A worker's loop: quiet on stop signals (default action) and when the main process is gone."""
    _die_with_parent()
    for signum in STOP_SIGNALS:  # a Ctrl-C reaches the whole group: it is the main process's to handle
        signal.signal(signum, signal.SIG_IGN if signum == signal.SIGINT else signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    try:
        state = setup(setup_arg)
        while True:
            task = conn.recv()
            try:
                conn.send(("done", work(state, task)))
            except InputError as exc:  # it must cross processes: as its message
                conn.send(("error", str(exc)))
    except (EOFError, BrokenPipeError, ConnectionResetError):  # the main process left
        return


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl
        os._exit(1)
