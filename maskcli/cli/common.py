"""Glue shared by every command: the error policy, consoles and reusable option types."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from maskcli.errors import InputError

if TYPE_CHECKING:
    from maskcli.check.progress import Done

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def debug_enabled() -> bool:
    return os.environ.get("MASKCLI_DEBUG", "") not in ("", "0")


def fail(message: str) -> typer.Exit:
    """Print the one ``Error:`` line to stderr; return the exit to raise."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def handles_input_errors(command: F) -> F:
    """Turn :class:`InputError`, a full disk and any unexpected exception (``internal error: ...``) into
    one stderr line and exit code 2 (``MASKCLI_DEBUG=1``: the traceback). typer's exits and
    KeyboardInterrupt pass through."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            if debug_enabled():
                raise
            raise fail(str(exc)) from None
        except BrokenPipeError:  # `maskcli show ... | head`: the reader left, which is fine
            sys.stderr.close()
            raise typer.Exit(EXIT_OK) from None
        except Exception as exc:
            if _passes_through(exc) or debug_enabled():
                raise
            typer.echo(_unexpected(exc), err=True)
            raise typer.Exit(EXIT_USAGE) from None

    return wrapper  # type: ignore[return-value]


def _passes_through(exc: Exception) -> bool:
    """typer's own exits and usage errors (click's family: ``exit_code``) keep their meaning."""
    return isinstance(exc, (typer.Exit, typer.Abort)) or hasattr(exc, "exit_code")


def _unexpected(exc: Exception) -> str:
    """The one line for an exception that is not an :class:`InputError`."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"Error: no space left on device: the output is incomplete ({exc.strerror or exc})"
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"internal error: {type(exc).__name__}: {message} (rerun with MASKCLI_DEBUG=1 for the traceback)"


def stdout_console() -> Any:
    """Data goes here. A reader that leaves early (``| head``) is fine: exit 0, not rich's 1."""
    from rich.console import Console

    class DataConsole(Console):
        def on_broken_pipe(self) -> None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(EXIT_OK)

    return DataConsole(highlight=False, soft_wrap=False)


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def parse_range(value: str | None, option: str = "--range") -> tuple[int, int | None] | None:
    """``A:B`` (either side may be empty) into ``(A, B)``."""
    if value is None:
        return None
    start, sep, stop = value.partition(":")
    try:
        if not sep:
            raise ValueError
        lo = int(start) if start.strip() else 0
        hi = int(stop) if stop.strip() else None
    except ValueError:
        raise InputError(f"{option} must look like A:B (e.g. 100:160), not {value!r}") from None
    if lo < 0 or (hi is not None and hi <= lo):
        raise InputError(f"{option} {value}: need 0 <= A < B")
    return lo, hi


@contextlib.contextmanager
def progress_on_stderr(unit: str = "rows") -> Iterator[Callable[[int], None] | None]:
    """A counter on stderr for long work, only when stderr is a terminal: yields ``report(n)``
    (``None`` otherwise, so pipes and CI logs stay clean)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn(f"{{task.completed:,}} {unit}"), TimeElapsedColumn(),
                  console=stderr_console(), transient=True) as progress:
        task = progress.add_task(unit, total=None)
        yield lambda done: progress.update(task, completed=done)


@contextlib.contextmanager
def check_progress_on_stderr() -> Iterator[Callable[[Done], None] | None]:
    """``check``'s progress bar on stderr, only when it is a terminal: rows, rows/s, tokens/s, and the
    share of the input bytes read with an ETA from them (a pulsing bar where the bytes are unknown)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn

    with Progress(SpinnerColumn(), TextColumn("{task.fields[rows]:,} rows"), TextColumn("{task.fields[rates]}"),
                  BarColumn(bar_width=24), TaskProgressColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                  console=stderr_console(), transient=True) as progress:
        task = progress.add_task("check", total=None, rows=0, rates="")
        start = time.monotonic()

        def report(done: Done) -> None:
            seconds = max(time.monotonic() - start, 1e-9)
            known = done.bytes_read is not None and done.bytes_total
            progress.update(task, rows=done.rows,
                            rates=f"{_rate(done.rows / seconds)} rows/s · {_rate(done.tokens / seconds)} tokens/s",
                            total=done.bytes_total if known else None,
                            completed=min(done.bytes_read, done.bytes_total) if known else 0)

        yield report


def _rate(per_second: float) -> str:
    """``12.3k``, ``4.56M``: three significant digits.

    >>> _rate(999.4), _rate(12_345), _rate(4_567_000)
    ('999', '12.3k', '4.57M')
    """
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if per_second >= scale:
            return f"{per_second / scale:.3g}{unit}"
    return f"{per_second:.0f}"
