"""Output files: nothing lost. The one place every command writes a file through.

- A regular file (or a new path) is written to a temporary file beside it and renamed into
  place only on success: a reader never sees half a file, a failure leaves none, and a signal
  (SIGTERM, SIGINT, SIGHUP) removes the temporary file before the process dies of it.
- Anything else that is writable (a FIFO, a character device, ``/dev/stdout``) is opened and
  written into, never replaced.
- New files get the mode the umask allows (0644 under 022); a replaced file keeps its mode.
- :func:`refuse_inputs` stops an output from replacing one of the command's inputs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from maskcli.errors import InputError

CLEANUP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, binary: bool = False) -> Iterator[IO]:
    """A file handle for ``path``: a temporary file renamed into place on success, or, when
    ``path`` is a FIFO or a device, the path itself opened for writing."""
    target = Path(path)
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise InputError(f"cannot write {target}: it is a directory")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with _opened(target, binary) as handle:
            yield handle
        return
    if existing is not None:
        target = Path(os.path.realpath(target))  # through a symlink: replace the file, keep the link
    with _temporary_beside(target) as (fd, tmp):
        try:
            os.fchmod(fd, stat.S_IMODE(existing.st_mode) if existing is not None else _new_file_mode())
            with os.fdopen(fd, "wb" if binary else "w", **_text_encoding(binary)) as handle:
                yield handle
            os.replace(tmp, target)
        except OSError as exc:
            raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write all of ``data`` to ``path`` (see :func:`atomic_writer`)."""
    with atomic_writer(path, binary=isinstance(data, bytes)) as handle:
        handle.write(data)


def refuse_inputs(outputs: Mapping[str, str | os.PathLike | None], inputs: Iterable[str | os.PathLike]) -> None:
    """Exit-2 error when an output (``{"-o": path}``) is one of ``inputs`` (the same file, also
    through hard or symbolic links; a directory input stands for the files in it), or when two
    outputs name one file (``--html x.html --svg x.html``: the second would replace the first)."""
    named = [(option, Path(out)) for option, out in outputs.items() if out is not None]
    for i, (option, out) in enumerate(named):
        for earlier, other in named[:i]:
            if out.resolve() == other.resolve() or _same_file(out, other):
                raise InputError(f"{earlier} {other} and {option} {out} are one file: give each output its own path")
    existing = [(option, Path(out)) for option, out in outputs.items() if out is not None and Path(out).exists()]
    if not existing:
        return
    for given in inputs:
        for candidate in _input_files(Path(given)):
            for option, out in existing:
                if _same_file(out, candidate):
                    same = "" if str(candidate) == str(out) else f" ({candidate})"
                    raise InputError(f"{option} {out} is also an input{same}: writing it would replace the input; "
                                     "choose another output path")


def _input_files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from (child for child in path.iterdir() if child.is_file())
    elif path.exists():
        yield path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@contextlib.contextmanager
def _opened(target: Path, binary: bool) -> Iterator[IO]:
    try:
        handle = open(target, "wb" if binary else "w", **_text_encoding(binary))
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with handle:
            yield handle
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[tuple[int, str]]:
    """``mkstemp`` in ``target``'s directory, removed on failure and on a fatal signal."""
    directory = target.parent
    if not directory.is_dir():
        raise InputError(f"cannot write {target}: directory {directory} does not exist")
    created: list[str] = []
    with _removing_on_signal(created):
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
        created.append(tmp)
        try:
            yield fd, tmp
        finally:
            Path(tmp).unlink(missing_ok=True)  # gone already after a successful rename


@contextlib.contextmanager
def _removing_on_signal(paths: list[str]) -> Iterator[None]:
    """While inside: SIGTERM, SIGINT or SIGHUP removes ``paths``, then the signal's default
    action ends the process (exit status 128 + signum). Ignored signals stay ignored."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return

    def remove_and_die(signum: int, frame: object) -> None:
        for path in paths:
            Path(path).unlink(missing_ok=True)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    previous = {sig: signal.getsignal(sig) for sig in CLEANUP_SIGNALS}
    for sig, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(sig, remove_and_die)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _new_file_mode() -> int:
    """0666 less the umask, as ``open(..., "w")`` would create the file."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _text_encoding(binary: bool) -> dict[str, str]:
    return {} if binary else {"encoding": "utf-8"}
