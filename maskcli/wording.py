"""Counts in words, for every message and report: ``counted(1, "row")`` is ``1 row``,
``counted(41, "row")`` is ``41 rows``, ``counted(2, "batch", "batches")`` is ``2 batches``."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
