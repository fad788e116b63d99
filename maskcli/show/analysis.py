"""One analysis per row: everything ``show`` says about a row, computed once.

:func:`analyse_batch` turns a batch of rows into a :class:`BatchAnalysis`; the JSON document, the
``.npz`` arrays (:mod:`maskcli.show.export`), the terminal grids and block view, and the pictures
(:mod:`maskcli.render`) only format it.

The three default masks are ordinary mask specs: ``padding`` is ``bidirectional`` (every query
sees every real key), ``causal`` is ``causal`` without the padding, ``combined`` is ``causal``
with it. Every mask is kept as key intervals when its kind has that form (a
:class:`~maskcli.masks.spans.SpanMask`: memory linear in the row length), dense otherwise; the
``L x L`` matrix is built only for the outputs that are matrices (``--json`` with matrices,
``.npz``, ``--layers``) and refused beyond :data:`DENSE_CELLS`. Worked example, right padding
``attention_mask = [1, 1, 0]``::

    padding   causal   combined   query rows that attend to nothing
    1 1 0     1 0 0    1 0 0      padding: none, causal: none, combined: none
    1 1 0     1 1 0    1 1 0
    1 1 0     1 1 1    1 1 0      (with left padding [0, 1, 1], combined row 0 sees nothing)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from maskcli.data.batches import Batch
from maskcli.data.encoding import ResolvedSettings
from maskcli.data.facts import RowFacts, row_facts
from maskcli.data.records import Row
from maskcli.data.tokenizer import TokenizerHandle
from maskcli.errors import InputError
from maskcli.masks.kinds import CORE, DENSE_CELLS, MaskSpec, RowContext, build_mask, query_positions, span_view
from maskcli.masks.packing import Packing, from_position_ids
from maskcli.masks.spans import SpanMask
from maskcli.show.lints import Lint, mask_lints, row_lints
from maskcli.show.panels import Panel
from maskcli.show.request import MaskRequest, row_context

DEFAULT_SPECS = (
    MaskSpec("padding", CORE["bidirectional"]),
    MaskSpec("causal", CORE["causal"], padded=False),
    MaskSpec("combined", CORE["causal"]),
)
# A packed row with no attention_mask (DataCollatorWithFlattening, padding-free SFT):
# transformers' create_causal_mask keeps each token inside its position_ids document.
PACKED_COMBINED = MaskSpec("combined", CORE["causal"], packed=True)
PACKED_TITLE = "combined (per document)"


@dataclass(frozen=True, eq=False)  # arrays: no field-wise == (identity)
class MaskResult:
    """One mask of a row: its spec, its cells (as a :class:`Panel`, spans or dense), the
    queries that attend to no key in the whole row (NaN after softmax), and the row context it
    was built from (:mod:`maskcli.show.reasons` reads why a cell is blocked from it)."""

    name: str  # the key under ``masks`` in the JSON
    spec: MaskSpec
    panel: Panel
    empty_rows: np.ndarray
    requested: bool  # --mask / --model-config (the default three are not)
    context: RowContext

    def dense(self, option: str = "this output", instead: str = "--no-matrices") -> np.ndarray:
        """The boolean ``(Q, K)`` matrix, refused (one line naming ``instead``) beyond :data:`DENSE_CELLS` cells."""
        queries, keys = len(self.panel.query_rows), self.panel.length
        if queries * keys > DENSE_CELLS:
            raise InputError(f"{option} needs the {queries} x {keys} matrix of {self.name}, more than "
                             f"{DENSE_CELLS:,} cells; {instead}")
        if isinstance(self.panel.mask, SpanMask):
            return self.panel.mask.dense()
        return np.asarray(self.panel.mask, dtype=bool)


@dataclass(frozen=True, eq=False)  # arrays: no field-wise == (identity)
class RowAnalysis:
    row: Row
    facts: RowFacts
    context: RowContext
    masks: tuple[MaskResult, ...]  # the default three, then the requested ones
    lints: tuple[Lint, ...]
    native: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)  # spec -> (convention, reference form)

    @property
    def requested(self) -> tuple[MaskResult, ...]:
        return tuple(m for m in self.masks if m.requested)

    def mask(self, name: str) -> MaskResult:
        """The mask the JSON names ``name`` (a requested spec replaces a default of the same name)."""
        return [m for m in self.masks if m.name == name][-1]

    def drawn(self, defaults: tuple[str, ...] = ("padding", "causal", "combined")) -> tuple[MaskResult, ...]:
        """The masks the grids and pictures draw: the requested ones, else ``defaults``."""
        return self.requested or tuple(m for m in self.masks if m.name in defaults)


@dataclass(frozen=True, eq=False)  # rows of arrays: no field-wise == (identity)
class BatchAnalysis:
    tokenizer: TokenizerHandle
    request: MaskRequest
    batch: Batch
    rows: tuple[RowAnalysis, ...]

    @property
    def resolved(self) -> ResolvedSettings | None:
        return self.batch.resolved


def analyse_batch(tok: TokenizerHandle, batch: Batch, request: MaskRequest) -> BatchAnalysis:
    return BatchAnalysis(tok, request, batch, tuple(analyse_row(tok, row, request) for row in batch.rows))


def analyse_row(tok: TokenizerHandle, row: Row, request: MaskRequest) -> RowAnalysis:
    ctx = row_context(row, request)
    facts = row_facts(tok, row)
    labels = [str(t) for t in facts.tokens]
    titles = request.titles()
    plain = RowContext(ctx.attention_mask)
    defaults = [mask_result(spec.text, spec, plain, labels, False) for spec in DEFAULT_SPECS]
    documents = flattened_documents(row)
    if documents is not None:
        defaults[-1] = mask_result(PACKED_TITLE, PACKED_COMBINED, RowContext(ctx.attention_mask, packing=documents),
                                   labels, False)
    requested = tuple(mask_result(titles[spec.text], spec, ctx, labels, True) for spec in request.all_specs)
    lints = row_lints(row.attention_mask, row.position_ids, row.given_attention_mask)
    for item in requested:
        lints.extend(mask_lints(item.spec, item.empty_rows, ctx))
    native = {spec.text: (spec.kind.native_convention, spec.kind.native(ctx, spec))
              for spec in request.all_specs if spec.kind.native is not None}
    return RowAnalysis(row, facts, ctx, (*defaults, *requested), tuple(lints), native)


def flattened_documents(row: Row) -> Packing | None:
    """The documents of a packed row given without an ``attention_mask`` (``position_ids`` restart),
    which transformers keeps apart (``find_packed_sequence_indices``); ``None`` for any other row."""
    if row.position_ids is None or row.given_attention_mask or len(row.position_ids) != len(row):
        return None
    documents = from_position_ids(row.position_ids)
    return documents if len(documents.documents) and documents.documents[-1] > 0 else None


def mask_result(title: str, spec: MaskSpec, ctx: RowContext, labels: list[str], requested: bool) -> MaskResult:
    form = span_view(spec, ctx)
    rows = query_positions(spec, ctx)
    if form is None:
        form = build_mask(spec, ctx)
        empty = rows[~form.any(axis=-1)]
    else:
        empty = span_empty_rows(form)
    key_valid = ctx.key_is_real if spec.padded else None
    return MaskResult(spec.text, spec, Panel(title, form, labels, key_valid=key_valid, rows=rows), empty, requested,
                      ctx)


def span_empty_rows(mask: SpanMask) -> np.ndarray:
    """Queries whose intervals hold no valid key, without the matrix: ``O(L x intervals)``.

    >>> combined = DEFAULT_SPECS[2]
    >>> span_empty_rows(span_view(combined, RowContext(np.array([0, 0, 1, 1])))).tolist()
    [0, 1]
    """
    queries = np.arange(mask.length)
    lo, hi = mask.intervals(queries)
    valid = np.ones(mask.length, dtype=bool) if mask.key_valid is None else np.asarray(mask.key_valid, dtype=bool)
    before = np.concatenate([[0], np.cumsum(valid, dtype=np.int64)])
    return queries[(before[hi] - before[lo]).sum(axis=1) == 0]
