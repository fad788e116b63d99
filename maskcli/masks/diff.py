"""Cell-by-cell comparison of two mask files (``maskcli diff A B``).

Masks are paired by name (``window:3`` in both exports); two files holding one mask each are
paired whatever their names. Per pair and sequence: how many cells differ, in which query rows,
and how many cells only A or only B lets attend.

Worked example, A = causal, B = window:2 over 3 tokens::

    A 100 110 111    B 100 110 011    -> 1 cell differs, row 2: only A attends (q=2, k=0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maskcli.errors import InputError
from maskcli.masks.io import MaskFile


SHOWN_ROWS = 10  # rows a summary line lists (the JSON lists them all)


def rows_text(rows: list[int]) -> str:
    """The differing rows for one line: all of them, or the first :data:`SHOWN_ROWS` and how many.

    >>> rows_text([2, 3]), rows_text(list(range(4, 100)))
    ('[2, 3]', '[4, 5, 6, 7, 8, 9, 10, 11, 12, 13, ...] (96 rows)')
    """
    if len(rows) <= SHOWN_ROWS:
        return str(rows)
    return f"[{', '.join(map(str, rows[:SHOWN_ROWS]))}, ...] ({len(rows)} rows)"


@dataclass(frozen=True)
class MaskDiff:
    name: str
    sequence: int
    a: np.ndarray | None
    b: np.ndarray | None
    rows: np.ndarray

    @property
    def comparable(self) -> bool:
        return self.a is not None and self.b is not None and self.a.shape == self.b.shape

    @property
    def only_a(self) -> int:
        return int(np.count_nonzero(self.a & ~self.b)) if self.comparable else 0

    @property
    def only_b(self) -> int:
        return int(np.count_nonzero(self.b & ~self.a)) if self.comparable else 0

    @property
    def equal(self) -> bool:
        return self.comparable and self.only_a == 0 and self.only_b == 0

    def differing_rows(self) -> list[int]:
        if not self.comparable:
            return []
        return [int(self.rows[i]) for i in np.flatnonzero((self.a != self.b).any(axis=-1))]

    def problem(self) -> str | None:
        if self.a is None or self.b is None:
            return f"only in {'B' if self.a is None else 'A'}"
        if self.a.shape != self.b.shape:
            return f"shapes differ: A {self.a.shape}, B {self.b.shape}"
        return None

    def summary(self) -> str:
        """One line: ``equal (9 cells)``, what is wrong, or how many cells differ and where."""
        problem = self.problem()
        if problem:
            return problem
        if self.equal:
            return f"equal ({self.a.size} cells)"
        return (f"{self.only_a + self.only_b} of {self.a.size} cells differ in rows {rows_text(self.differing_rows())} "
                f"(only A attends: {self.only_a}, only B attends: {self.only_b})")

    def describe(self) -> dict:
        return {
            "mask": self.name,
            "sequence": self.sequence,
            "equal": self.equal,
            "problem": self.problem(),
            "cells": int(self.a.size) if self.comparable else None,
            "differing_cells": self.only_a + self.only_b,
            "only_a_attends": self.only_a,
            "only_b_attends": self.only_b,
            "differing_rows": self.differing_rows(),
        }


def _named(f: MaskFile, name: str) -> list:
    """The mask called ``name``; a file holding a single mask gives that one whatever its name."""
    if name in f.masks:
        return f.masks[name]
    if len(f.masks) == 1:
        return next(iter(f.masks.values()))
    raise InputError(f"{f.path}: no mask named {name!r} (it has {', '.join(f.masks)})")


def _pairs(a: MaskFile, b: MaskFile, name: str | None) -> list[tuple[str, list | None, list | None, list | None]]:
    if name is not None:
        picked = [_named(f, name) for f in (a, b)]
        return [(name, picked[0], picked[1], a.query_rows.get(name) or b.query_rows.get(name))]
    common = [key for key in a.masks if key in b.masks]
    if not common:
        if len(a.masks) == 1 and len(b.masks) == 1:
            (ka, ma), (kb, mb) = next(iter(a.masks.items())), next(iter(b.masks.items()))
            label = ka if ka == kb else f"{ka} vs {kb}"
            return [(label, ma, mb, a.query_rows.get(ka) or b.query_rows.get(kb))]
        raise InputError(f"{a.path} and {b.path} share no mask name; pick one with --name (A has {', '.join(a.masks)})")
    pairs: list = [(key, a.masks[key], b.masks[key], a.query_rows.get(key) or b.query_rows.get(key)) for key in common]
    pairs += [(key, a.masks[key], None, None) for key in a.masks if key not in b.masks]
    pairs += [(key, None, b.masks[key], None) for key in b.masks if key not in a.masks]
    return pairs


def diff_files(a: MaskFile, b: MaskFile, name: str | None = None) -> list[MaskDiff]:
    """Every paired mask of every sequence (a sequence only one file has counts as differing)."""
    results = []
    for key, ma, mb, rows in _pairs(a, b, name):
        count = max(len(ma or []), len(mb or []))
        for i in range(count):
            x = ma[i] if ma is not None and i < len(ma) else None
            y = mb[i] if mb is not None and i < len(mb) else None
            height = len(x) if x is not None else len(y)
            labels = rows[i] if rows is not None and i < len(rows) and len(rows[i]) == height else np.arange(height)
            results.append(MaskDiff(key, i, x, y, np.asarray(labels)))
    return results
