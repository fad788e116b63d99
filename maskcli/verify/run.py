"""One batch through the model: per row and document, the batch's logits against the row alone.

``verify_batch`` runs the batch as given (see :mod:`maskcli.verify.runs`), each document alone,
and for a row that differs tries the fixes of :data:`~maskcli.verify.causes.KNOWN_CAUSES`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from maskcli.errors import InputError
from maskcli.data.records import Row
from maskcli.verify.causes import KNOWN_CAUSES, NAN_ALONE, NAN_IN_BATCH, KnownCause, RowView
from maskcli.verify.model import DEFAULT_ATOL
from maskcli.verify.results import Cause, RowResult
from maskcli.verify.runs import Inputs, alone, documents, forward, groups, max_diff, stacked


@dataclass(frozen=True)
class VerifySettings:
    """``use_cache`` None: as the model's config says; ``atol`` None: the dtype's default."""

    dtype: str = "float32"
    atol: float | None = None
    use_cache: bool | None = None
    attn_implementation: str = "sdpa"

    @property
    def tolerance(self) -> float:
        if self.atol is not None and not self.atol >= 0:
            raise InputError(f"--atol must be a non-negative number, not {self.atol}")
        return DEFAULT_ATOL[self.dtype] if self.atol is None else self.atol


def verify_batch(model: Any, rows: Sequence[Row], settings: VerifySettings) -> list[RowResult]:
    """One result per document of every row, in row order."""
    use_cache = bool(model.config.use_cache) if settings.use_cache is None else settings.use_cache
    results: list[RowResult] = []
    for indices in groups(rows):
        group = [rows[i] for i in indices]
        inputs = stacked(group, use_cache, settings.attn_implementation)
        results += _verify_group(model, group, indices, inputs, settings.tolerance)
    return results


def _verify_group(model: Any, rows: list[Row], indices: list[int], inputs: Inputs, atol: float) -> list[RowResult]:
    given = forward(model, inputs)
    reruns: dict[str, np.ndarray] = {}  # batch logits under each cause's fix, run once per group

    def rerun(cause: KnownCause) -> np.ndarray:
        if cause.code not in reruns:
            reruns[cause.code] = forward(model, cause.change(inputs))
        return reruns[cause.code]

    results = []
    for b, row in enumerate(rows):
        docs = documents(row)
        for d, tokens in enumerate(docs):
            single = alone(model, row.input_ids[tokens], inputs.use_cache, inputs.attn_implementation)
            diff = max_diff(given[b, tokens], single)
            cause = None
            if not (diff <= atol):
                cause = _cause(RowView(inputs, b, len(docs)), tokens, single, diff, atol, rerun)
            results.append(RowResult(row.source, indices[b], d, len(docs), int(tokens.size), diff, atol, cause))
    return results


def _cause(view: RowView, tokens: np.ndarray, single: np.ndarray, diff: float, atol: float, rerun) -> Cause | None:
    """The first known cause whose fix makes this document agree."""
    if math.isnan(diff):
        return NAN_ALONE if np.isnan(single).any() else NAN_IN_BATCH
    for known in KNOWN_CAUSES:
        if not known.applies(view):
            continue
        fixed = max_diff(rerun(known)[view.row, tokens], single)
        if fixed <= atol:
            return Cause(known.code, known.message, known.fix, fixed)
    return None
