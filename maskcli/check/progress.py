"""How far a check has got, for a progress display: rows and real tokens checked, input bytes read.

The check reports a :class:`Done` after every chunk (one process) or merged shard (workers). Bytes
make the ETA: with workers, the planned size of the shards merged so far out of all shards'; in one
process, what the process has read since the check began (``rchar`` of ``/proc/self/io``, Linux),
out of the inputs' sizes. Where neither is known (stdin, another system) ``bytes_read`` is ``None``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from maskcli.data.readers import STDIN

if TYPE_CHECKING:
    from maskcli.check.audit import Audit


@dataclass(frozen=True)
class Done:
    rows: int
    tokens: int  # real (attended) tokens
    bytes_read: int | None
    bytes_total: int | None


Progress = Callable[[Done], None]


def input_size(paths: Sequence[str]) -> int | None:
    """Bytes of all inputs (a directory: its files), ``None`` if one is stdin or cannot be sized."""
    total = 0
    for path in paths:
        if path == STDIN:
            return None
        try:
            p = Path(path)
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir() else p.stat().st_size
        except OSError:
            return None
    return total


class ReadMeter:
    """Bytes this process has read since the meter was made (``None`` where the system does not say)."""

    def __init__(self) -> None:
        self.start = _bytes_read()

    def read(self) -> int | None:
        now = _bytes_read()
        return None if now is None or self.start is None else now - self.start


def _bytes_read() -> int | None:
    try:
        with open(f"/proc/{os.getpid()}/io", "rb") as io:
            return int(io.readline().split()[1])  # the first line: "rchar: N"
    except (OSError, ValueError, IndexError):
        return None


class Tracker:
    """Turns "this audit has got this far" into :class:`Done` reports for ``report``.

    ``tracker(audit)`` in one process (bytes from a :class:`ReadMeter`), ``tracker(audit, bytes_read)``
    where the caller knows the bytes (shards merged); ``total`` defaults to the inputs' size."""

    def __init__(self, report: Progress, paths: Sequence[str], total: int | None = None) -> None:
        self.report = report
        self.total = input_size(paths) if total is None else total
        self.meter = ReadMeter()

    def __call__(self, audit: Audit, bytes_read: int | None = None) -> None:
        read = self.meter.read() if bytes_read is None else bytes_read
        self.report(Done(audit.stats.rows, audit.stats.real_tokens, read, self.total))
