"""Pre-tokenized rows checked a whole batch at a time, in a ragged columnar layout.

A :class:`RaggedBatch` holds each column as Arrow stores a list column: one flat array of
values and ``offsets`` (row ``i`` is ``values[offsets[i]:offsets[i + 1]]``). :func:`screen`
runs numpy over the flat arrays, with no Python loop per row, and splits the rows in two:

- rows that surely have no issue, with what the dataset-level checks need from them (padded
  side, real and trained tokens, whether they end with EOS), equal to what
  :func:`maskcli.check.rows.pretokenized_row` returns for them;
- ``suspect`` rows, which may have an issue: the caller checks those one by one with
  :func:`~maskcli.check.rows.pretokenized_row`, so every finding keeps its exact wording.

The screen may flag a clean row (it then costs a row check), never pass one with an issue other
than MC008 (more real tokens than max_length), which the caller reports from ``real`` itself, and
MC013 when the tokenizer has no pad token (masked positions), reported from ``masked``:
tests/test_check_columnar.py holds that against the row-at-a-time checks on random data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from maskcli.check.rows import Context
from maskcli.data.facts import IGNORE_INDEX
from maskcli.data.records import Row, Source

COLUMNS = ("input_ids", "attention_mask", "labels", "position_ids", "token_type_ids")
SIDES = (None, "left", "right", "both")  # codes in Screened.side


@dataclass(frozen=True)
class RaggedBatch:
    """Rows as flat ``values`` plus ``offsets`` per column (``input_ids`` is required)."""

    columns: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (values, offsets)

    @classmethod
    def from_lists(cls, rows: dict[str, list]) -> RaggedBatch:
        """Columns of Python lists (``None`` for a missing column) into the layout."""
        columns = {}
        for name, lists in rows.items():
            if lists is None:
                continue
            lengths = np.fromiter((len(v) for v in lists), dtype=np.int64, count=len(lists))
            offsets = np.zeros(len(lists) + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            flat = [x for v in lists for x in v]
            columns[name] = (np.asarray(flat, dtype=np.int64), offsets)
        return cls(columns)

    @classmethod
    def from_rows(cls, rows: Sequence[Row]) -> RaggedBatch | None:
        """Pre-tokenized rows (``shape`` "pretokenized") that all give the same fields, in the layout;
        ``None`` for any other chunk (text rows, torchtune rows, fields present in some rows only)."""
        if not rows or any(row.shape != "pretokenized" for row in rows):
            return None
        present = [name for name in COLUMNS if _field(rows[0], name) is not None]
        if any((_field(row, name) is None) for row in rows for name in COLUMNS if name in present) or any(
                _field(row, name) is not None for row in rows for name in COLUMNS if name not in present):
            return None
        lengths = np.fromiter((len(row.input_ids) for row in rows), dtype=np.int64, count=len(rows))
        columns = {}
        for name in present:
            values = [_field(row, name) for row in rows]
            sizes = lengths if name == "input_ids" else np.fromiter(map(len, values), dtype=np.int64, count=len(rows))
            offsets = np.zeros(len(rows) + 1, dtype=np.int64)
            np.cumsum(sizes, out=offsets[1:])
            columns[name] = (np.concatenate(values).astype(np.int64, copy=False), offsets)
        return cls(columns)

    def __len__(self) -> int:
        return len(self.columns["input_ids"][1]) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.columns["input_ids"][1])

    def row(self, i: int, source: Source) -> Row:
        """Row ``i`` as a reader makes it (no ``attention_mask`` column: all ones, not given)."""
        fields = {name: values[offsets[i]:offsets[i + 1]].astype(np.int64)
                  for name, (values, offsets) in self.columns.items()}
        ids = fields["input_ids"]
        given_mask = "attention_mask" in fields
        return Row(source, ids, fields["attention_mask"] if given_mask else np.ones_like(ids),
                   labels=fields.get("labels"), position_ids=fields.get("position_ids"),
                   token_type_ids=fields.get("token_type_ids"), shape="pretokenized", pretokenized=True,
                   given_attention_mask=given_mask)


def _field(row: Row, name: str) -> np.ndarray | None:
    if name == "attention_mask":
        return row.attention_mask if row.given_attention_mask else None
    return getattr(row, name)


@dataclass(frozen=True)
class Screened:
    """Per row: may it have an issue, and (for the others) what the dataset-level checks need."""

    suspect: np.ndarray  # bool
    side: np.ndarray  # index into SIDES
    real: np.ndarray  # attended tokens
    trained: np.ndarray | None  # trained labels on real tokens; None without a labels column
    ends_with_eos: np.ndarray  # bool
    masked: np.ndarray | None = None  # masked positions, when the tokenizer has no pad token (MC013 if any)


def screen(batch: RaggedBatch, ctx: Context) -> Screened:
    """Sort the rows of ``batch`` into surely clean and suspect (see the module docstring)."""
    ids, offsets = batch.columns["input_ids"]
    n = len(batch)
    lengths = np.diff(offsets)
    if not ids.size or any(not np.array_equal(off, offsets) for _, off in batch.columns.values()):
        # only empty rows (MC016), or fields of differing lengths (MC001): token-level arrays do not line up
        return Screened(np.ones(n, dtype=bool), np.zeros(n, dtype=np.int8), lengths, None, np.zeros(n, dtype=bool))
    rows = _PerRow(offsets)
    starts = offsets[:-1]
    given_mask = "attention_mask" in batch.columns
    mask = batch.columns["attention_mask"][0] != 0 if given_mask else np.ones(ids.size, dtype=bool)
    # MC015 (a negative int64 id is a huge uint64 one)
    suspect = rows.any(ids.view(np.uint64) >= ctx.vocab_size if ids.dtype == np.int64
                       else (ids < 0) | (ids >= ctx.vocab_size))
    real = rows.count(mask)
    suspect |= real == 0  # MC016
    run_starts = mask.copy()  # a real token after a masked one (or first in its row) starts a run
    run_starts[1:] &= ~mask[:-1]
    run_starts[rows.starts] = mask[rows.starts]
    suspect |= rows.count(run_starts) != 1  # MC002: masked positions between real tokens
    some = rows.some
    edge_masked = np.zeros((2, n), dtype=bool)
    edge_masked[0, some] = ~mask[starts[some]]
    edge_masked[1, some] = ~mask[offsets[1:][some] - 1]
    side = np.select([edge_masked[0] & edge_masked[1], edge_masked[0], edge_masked[1]], [3, 1, 2], 0).astype(np.int8)
    suspect |= side == 3  # MC007
    if ctx.mode == "generate":
        suspect |= side == 2
    # the one run of real tokens of a row that is not suspect yet (in bounds, meaningless, for the others)
    safe_first = np.where(edge_masked[0], offsets[1:] - real, starts).clip(0, ids.size - 1)
    safe_last = (safe_first + real - 1).clip(0, ids.size - 1)
    masked = None
    if given_mask and ctx.pad_id is None:  # MC013 for every padded row: counted here, not row by row
        masked = lengths - real
    elif given_mask:
        suspect |= _pads_may_disagree(ids, mask, rows, ctx, safe_first, safe_last, edge_masked, starts)
    trained_count = None
    if "labels" in batch.columns:
        labels = batch.columns["labels"][0]
        is_trained = labels != IGNORE_INDEX
        suspect |= rows.any(is_trained & ~mask)  # MC004
        suspect |= ~rows.any(is_trained)  # MC006
        trained_count = rows.count(is_trained & mask)
        if ctx.pad_id is not None and ctx.pad_id == ctx.eos_id:  # MC005
            suspect |= (real > 0) & (ids[safe_last] == ctx.eos_id) & ~is_trained[safe_last]
        suspect |= _labels_may_be_odd(batch, rows, is_trained, edge_masked[0] & (real > 0))
    if "position_ids" in batch.columns:  # clean only as cumsum(attention_mask) - 1 (MC011, MC012)
        positions = batch.columns["position_ids"][0]
        before = np.concatenate(([0], np.cumsum(mask)))
        rank = before[1:] - 1 - np.repeat(before[starts], lengths)
        suspect |= rows.any(mask & (positions != rank))
    if ctx.bos_id is not None:  # MC009
        second = np.minimum(safe_first + 1, ids.size - 1)
        suspect |= (real > 1) & (ids[safe_first] == ctx.bos_id) & (ids[second] == ctx.bos_id)
    ends_with_eos = (real > 0) & (ids[safe_last] == ctx.eos_id)
    if ctx.require_eos:  # MC014
        suspect |= ~ends_with_eos
    return Screened(suspect, side, real, trained_count, ends_with_eos, masked)


class _PerRow:
    """Per-row reductions of token-level arrays by the rows' ``offsets`` (one pass, no index per token).

    >>> rows = _PerRow(np.array([0, 2, 2, 5]))  # rows of 2, 0 and 3 tokens
    >>> rows.any(np.array([0, 1, 0, 0, 0], dtype=bool)).tolist(), rows.count(np.ones(5, dtype=bool)).tolist()
    ([True, False, False], [2, 0, 3])
    """

    def __init__(self, offsets: np.ndarray) -> None:
        self.size = len(offsets) - 1
        self.some = offsets[1:] > offsets[:-1]
        self.starts = offsets[:-1][self.some]  # strictly increasing: a reduceat segment per non-empty row

    def any(self, flags: np.ndarray) -> np.ndarray:
        out = np.zeros(self.size, dtype=bool)
        if self.starts.size and flags.any():
            out[self.some] = np.logical_or.reduceat(flags, self.starts)
        return out

    def count(self, flags: np.ndarray) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.int64)
        if self.starts.size:  # uint8 in, uint32 sums: numpy's fast loop (a row has fewer than 2**32 tokens)
            out[self.some] = np.add.reduceat(flags.view(np.uint8), self.starts, dtype=np.uint32)
        return out


def _labels_may_be_odd(batch: RaggedBatch, rows: _PerRow, trained: np.ndarray, left_padded: np.ndarray) -> np.ndarray:
    """MC019-MC021 (:func:`maskcli.check.sft_findings.label_issues`): a trained label that equals the
    next id but not its own, a trained document start in a packed row, trained left-padded rows
    without ``position_ids``."""
    ids, offsets = batch.columns["input_ids"]
    labels = batch.columns["labels"][0]
    odd = np.zeros(rows.size, dtype=bool)
    differs = np.flatnonzero(trained & (labels != ids))  # none when labels are the ids, as collators make them
    if differs.size:  # MC019
        ahead = differs[differs < ids.size - 1]
        ahead = ahead[labels[ahead] == ids[ahead + 1]]
        row = np.searchsorted(offsets, ahead, side="right") - 1
        odd[row[ahead + 1 < offsets[row + 1]]] = True
    if "position_ids" not in batch.columns:
        return odd | (left_padded & rows.any(trained))  # MC021
    positions = batch.columns["position_ids"][0]
    restart = np.zeros(ids.size, dtype=bool)
    restart[1:] = positions[1:] - positions[:-1] != 1
    restart[rows.starts] = False  # a row's first token starts its first document
    first_trained = np.zeros(rows.size, dtype=bool)
    first_trained[rows.some] = trained[rows.starts]
    return odd | (rows.any(restart) & (rows.any(restart & trained) | first_trained))  # MC020


def _pads_may_disagree(ids: np.ndarray, mask: np.ndarray, rows: _PerRow, ctx: Context,
                       first: np.ndarray, last: np.ndarray, edge_masked: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """MC003: masked real tokens, or attended pad tokens other than one real EOS (BOS) at the edge."""
    is_pad = ids == ctx.pad_id
    flags = rows.any(~mask & ~is_pad)
    attended_pad = np.flatnonzero(mask & is_pad)  # few: at most one per clean row
    attended = np.bincount(np.searchsorted(starts, attended_pad, side="right") - 1, minlength=rows.size)
    # the one attended pad-id token may be the real EOS of a right-padded row (pad = eos) ...
    eos_edge = (ctx.eos_id == ctx.pad_id) & ~edge_masked[0] & ~is_pad[starts.clip(max=ids.size - 1)] \
        & is_pad[last]
    # ... or the real BOS of a left-padded row (pad = bos)
    bos_edge = (ctx.bos_id == ctx.pad_id) & edge_masked[0] & ~edge_masked[1] & is_pad[first]
    return flags | (attended > 1) | ((attended == 1) & ~eos_edge & ~bos_edge)
