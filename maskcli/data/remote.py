"""Inputs named by fsspec URLs: ``s3://``, ``gs://``, ``hf://datasets/...``, ``memory://``, ``file://``.

Every reader opens, tests and lists its inputs through these functions, which take a local path
or a URL alike: a local path goes to ``open`` and ``os.path`` as before, a URL to fsspec (an
optional extra, ``pip install 'maskcli[remote]'``; the protocol's own package, s3fs, gcsfs or
huggingface_hub, is the user's to add). Without them, one line says what to install::

    reading s3://bucket/train.jsonl needs fsspec: pip install 'maskcli[remote]'
    reading s3://bucket/train.jsonl: Install s3fs to access S3

Network calls are bounded: s3 gets botocore's ``connect_timeout`` and ``read_timeout``, gs/gcs
gcsfs's ``requests_timeout`` (:data:`TIMEOUTS`), unless fsspec's own configuration
(``FSSPEC_S3_*`` variables, ``~/.config/fsspec``) sets those options; ``hf://`` is bounded by
huggingface_hub itself (``HF_HUB_ETAG_TIMEOUT``, ``HF_HUB_DOWNLOAD_TIMEOUT``, 10 s each).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from maskcli.errors import InputError

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
TIMEOUTS: dict[str, dict[str, Any]] = {  # storage options that bound each network call, by protocol
    "s3": {"config_kwargs": {"connect_timeout": CONNECT_TIMEOUT_S, "read_timeout": READ_TIMEOUT_S}},
    "gs": {"requests_timeout": READ_TIMEOUT_S},
    "gcs": {"requests_timeout": READ_TIMEOUT_S},
}
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*(://|::)")
_GLOB = re.compile(r"[*?[]")


def is_url(path: str | os.PathLike) -> bool:
    """``s3://bucket/x.jsonl`` (or a chained ``simplecache::s3://...``), not ``data/x.jsonl`` or ``C:\\x``."""
    return isinstance(path, str) and _URL.match(path) is not None


def filesystem(url: str) -> tuple[Any, str]:
    """fsspec's filesystem for ``url`` and the path within it, with :data:`TIMEOUTS` applied."""
    try:
        import fsspec
    except ImportError:
        raise InputError(f"reading {url} needs fsspec: pip install 'maskcli[remote]'") from None
    protocol = fsspec.core.split_protocol(url)[0]
    options = {} if "::" in url else {**TIMEOUTS.get(protocol, {}), **fsspec.config.conf.get(protocol, {})}
    try:
        return fsspec.core.url_to_fs(url, **options)
    except (ImportError, ValueError) as exc:  # "Install s3fs to access S3", "Protocol not known: abc"
        raise InputError(f"reading {url}: {exc}") from None


def open_binary(path: str) -> BinaryIO:
    """``open(path, "rb")``; a URL's file is buffered (``peek`` works). Raises ``OSError``
    (``FileNotFoundError``...) as ``open`` does; a URL's other failures are an ``InputError`` naming it."""
    if not is_url(path):
        return open(path, "rb")  # noqa: SIM115 - closed by the caller
    return _open_url(path)


def _open_url(url: str) -> BinaryIO:
    fs, inner = filesystem(url)
    with failing_as_input_error(url):
        file = fs.open(inner, "rb")
    return io.BufferedReader(_GuardedFile(url, file))


@contextlib.contextmanager
def failing_as_input_error(url: str, *, oserror_too: bool = False) -> Iterator[None]:
    """What a filesystem raises beyond ``OSError`` (an HTTP client's error, a refused credential) as
    one line naming ``url``; ``OSError`` passes, for the caller's "no such file" or "cannot read",
    unless ``oserror_too``."""
    try:
        yield
    except InputError:
        raise
    except Exception as exc:
        if isinstance(exc, OSError) and not oserror_too:
            raise
        lines = str(exc).strip().splitlines()
        raise InputError(f"{url}: cannot read ({type(exc).__name__}: {lines[0] if lines else 'no details'})") from None


class _GuardedFile(io.RawIOBase):
    """A URL's fsspec file whose reads fail as one line naming the URL: a connection reset or a
    timeout in the middle of a file (``OSError`` included) is the input's failure, not an internal
    error. The buffered reader over it gives ``peek`` and large reads pass through in one call."""

    def __init__(self, url: str, file: Any) -> None:
        self._url, self._file = url, file

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self._file.seekable())

    def readinto(self, buffer: Any) -> int:
        with failing_as_input_error(self._url, oserror_too=True):
            data = self._file.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        with failing_as_input_error(self._url, oserror_too=True):
            return int(self._file.seek(offset, whence))

    def tell(self) -> int:
        return int(self._file.tell())

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            super().close()


def exists(path: str) -> bool:
    return _ask(path, os.path.exists, "exists")


def isdir(path: str) -> bool:
    return _ask(path, os.path.isdir, "isdir")


def isfile(path: str) -> bool:
    return _ask(path, os.path.isfile, "isfile")


def size(path: str) -> int:
    return _ask(path, os.path.getsize, "size")


def _ask(path: str, local: Any, method: str) -> Any:
    """``local(path)`` for a local path, else the filesystem's ``method`` of the URL's path."""
    if not is_url(path):
        return local(path)
    fs, inner = filesystem(path)
    with failing_as_input_error(path):
        return getattr(fs, method)(inner)


def join(directory: str, name: str) -> str:
    """``name`` inside ``directory``: ``data/saved`` + ``state.json``, ``s3://b/saved/`` + ``x`` = ``s3://b/saved/x``."""
    return directory.rstrip("/") + "/" + name if is_url(directory) else str(Path(directory) / name)


def normalized(path: str) -> str:
    """How a directory input is named in findings: ``data/saved/`` is ``data/saved``, as is ``s3://b/saved/``."""
    return path.rstrip("/") if is_url(path) else str(Path(path))


def glob(directory: str, pattern: str) -> list[str]:
    """The entries of ``directory`` matching ``pattern`` (``*.arrow``), sorted."""
    if not is_url(directory):
        return sorted(str(p) for p in Path(directory).glob(pattern))
    return expand([join(directory, pattern)], missing_ok=True)


def subdirectories(directory: str) -> list[str]:
    """The names of ``directory``'s subdirectories, sorted."""
    if not is_url(directory):
        return sorted(p.name for p in Path(directory).iterdir() if p.is_dir())
    fs, inner = filesystem(directory)
    with failing_as_input_error(directory):
        entries = fs.ls(inner, detail=True)
    return sorted(entry["name"].rstrip("/").rpartition("/")[2] for entry in entries if entry["type"] == "directory")


def expand(paths: Iterable[str], missing_ok: bool = False) -> list[str]:
    """``paths`` with every URL glob pattern replaced by what it matches, in sorted order (local
    patterns are the shell's to expand). ``s3://b/train-*.parquet`` is
    ``[s3://b/train-00.parquet, s3://b/train-01.parquet]``."""
    expanded = []
    for path in paths:
        if not (is_url(path) and _GLOB.search(path)):
            expanded.append(path)
            continue
        fs, inner = filesystem(path)
        with failing_as_input_error(path):
            matches = sorted(fs.glob(inner))
        if not matches and not missing_ok:
            raise InputError(f"{path}: no such file (the pattern matches nothing)")
        expanded.extend(fs.unstrip_protocol(match) for match in matches)
    return expanded


def arrow_source(path: str) -> Any:
    """What ``pq.ParquetFile`` opens: a local path itself (pyarrow reads it natively), a URL's fsspec file."""
    return _open_url(path) if is_url(path) else path


def open_arrow(path: str) -> Any:
    """An Arrow IPC file to read with ``pa.ipc.open_stream`` (a context manager): a local file
    memory-mapped, a URL's fsspec file."""
    if is_url(path):
        return _open_url(path)
    import pyarrow as pa

    return pa.memory_map(path)
