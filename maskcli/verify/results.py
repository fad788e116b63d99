"""What ``verify`` found, per row and document: frozen results every output format reads.

Worked example: a left-padded row on GPT-2 without ``position_ids``::

    RowResult(source=data.jsonl:2, document=0, tokens=4, max_diff=0.31, atol=1e-4,
              cause=Cause("left-padding-without-position-ids", ..., fixed_diff=6e-8))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from maskcli.data.records import Source


@dataclass(frozen=True)
class Cause:
    """Why a row differs, and the max |difference| once the batch is re-run with ``fix``."""

    code: str
    message: str
    fix: str
    fixed_diff: float | None = None  # None: no re-run can show a fix (e.g. NaN)

    def describe(self) -> dict:
        return {"code": self.code, "message": self.message, "fix": self.fix, "fixed_max_abs_diff": _number(self.fixed_diff)}


@dataclass(frozen=True)
class RowResult:
    """One row (``document`` 0) or one document of a packed row, compared at its real tokens."""

    source: Source
    row: int  # index of the row in its batch
    document: int
    documents: int  # how many documents the row holds
    tokens: int
    max_diff: float  # NaN when the batch or the row alone gave NaN logits
    atol: float
    cause: Cause | None = None

    @property
    def agrees(self) -> bool:
        return not math.isnan(self.max_diff) and self.max_diff <= self.atol

    def describe(self) -> dict:
        return {
            **self.source.describe(), "batch_row": self.row, "document": self.document, "documents": self.documents,
            "tokens": self.tokens, "max_abs_diff": _number(self.max_diff), "atol": self.atol, "agrees": self.agrees,
            "cause": self.cause.describe() if self.cause else None,
        }


def _number(value: float | None) -> float | str | None:
    """JSON has no NaN: it is written as the string ``"nan"``."""
    return "nan" if value is not None and math.isnan(value) else value
