"""Pre-tokenized rows checked a whole batch at a time, in a ragged columnar layout.

A :class:`RaggedBatch` holds each column as Arrow stores a list column: one flat array of
values and ``offsets`` (row ``i`` is ``values[offsets[i]:offsets[i + 1]]``). :func:`screen`
runs numpy over the flat arrays, with no Python loop per row, and splits the rows in two:

- rows that surely have no issue, with what the dataset-level checks need from them (padded
  side, real and trained tokens, whether they end with EOS), equal to what
  :func:`maskcli.check.rows.pretokenized_row` returns for them;
- ``suspect`` rows, which may have an issue: the caller checks those one by one with
  :func:`~maskcli.check.rows.pretokenized_row`, so every finding keeps its exact wording.

The screen may flag a clean row (it then costs a row check), never pass one with an issue:
tests/test_check_columnar.py holds that against the row-at-a-time checks on random data.
"""

from __future__ import annotations

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

    def __len__(self) -> int:
        return len(self.columns["input_ids"][1]) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.columns["input_ids"][1])

    def row(self, i: int, source: Source) -> Row:
        """Row ``i`` as a reader makes it (no ``attention_mask`` column: all ones, not given)."""
        fields = {name: values[offsets[i]:offsets[i + 1]] for name, (values, offsets) in self.columns.items()}
        ids = fields["input_ids"]
        given_mask = "attention_mask" in fields
        return Row(source, ids, fields["attention_mask"] if given_mask else np.ones_like(ids),
                   labels=fields.get("labels"), position_ids=fields.get("position_ids"),
                   token_type_ids=fields.get("token_type_ids"), shape="pretokenized", pretokenized=True,
                   given_attention_mask=given_mask)


@dataclass(frozen=True)
class Screened:
    """Per row: may it have an issue, and (for the others) what the dataset-level checks need."""

    suspect: np.ndarray  # bool
    side: np.ndarray  # index into SIDES
    real: np.ndarray  # attended tokens
    trained: np.ndarray | None  # trained labels on real tokens; None without a labels column
    ends_with_eos: np.ndarray  # bool


def screen(batch: RaggedBatch, ctx: Context) -> Screened:
    """Sort the rows of ``batch`` into surely clean and suspect (see the module docstring)."""
    ids, offsets = batch.columns["input_ids"]
    n = len(batch)
    lengths = np.diff(offsets)
    if not ids.size or any(not np.array_equal(off, offsets) for _, off in batch.columns.values()):
        # only empty rows (MC016), or fields of differing lengths (MC001): token-level arrays do not line up
        return Screened(np.ones(n, dtype=bool), np.zeros(n, dtype=np.int8), lengths, None, np.zeros(n, dtype=bool))
    row_of = np.repeat(np.arange(n), lengths)
    starts = offsets[:-1]
    given_mask = "attention_mask" in batch.columns
    mask = batch.columns["attention_mask"][0].astype(bool) if given_mask else np.ones(ids.size, dtype=bool)

    def per_row(flags: np.ndarray) -> np.ndarray:
        return np.bincount(row_of[flags], minlength=n)

    suspect = per_row((ids < 0) | (ids >= ctx.vocab_size)) > 0  # MC015
    real, first, last = _real_span(np.flatnonzero(mask), offsets)
    suspect |= real == 0  # MC016
    suspect |= (last - first + 1) != real  # MC002 (and rows without real tokens)
    some = lengths > 0
    edge_masked = np.zeros((2, n), dtype=bool)
    edge_masked[0, some] = ~mask[starts[some]]
    edge_masked[1, some] = ~mask[offsets[1:][some] - 1]
    side = np.select([edge_masked[0] & edge_masked[1], edge_masked[0], edge_masked[1]], [3, 1, 2], 0).astype(np.int8)
    suspect |= side == 3  # MC007
    if ctx.mode == "generate":
        suspect |= side == 2
    safe_first = np.where(real > 0, first, 0)
    safe_last = np.where(real > 0, last, 0)
    if given_mask:
        suspect |= _pads_may_disagree(ids, mask, row_of, n, ctx, safe_first, safe_last, edge_masked, starts)
    trained_count = None
    if "labels" in batch.columns:
        labels = batch.columns["labels"][0]
        is_trained = labels != IGNORE_INDEX
        suspect |= per_row(is_trained & ~mask) > 0  # MC004
        suspect |= per_row(is_trained) == 0  # MC006
        trained_count = per_row(is_trained & mask)
        if ctx.pad_id is not None and ctx.pad_id == ctx.eos_id:  # MC005
            suspect |= (real > 0) & (ids[safe_last] == ctx.eos_id) & ~is_trained[safe_last]
    if "position_ids" in batch.columns:  # clean only as cumsum(attention_mask) - 1 (MC011, MC012)
        positions = batch.columns["position_ids"][0]
        before = np.concatenate(([0], np.cumsum(mask)))
        rank = before[1:] - 1 - before[starts][row_of]
        suspect |= per_row(mask & (positions != rank)) > 0
    if ctx.bos_id is not None:  # MC009
        second = np.minimum(safe_first + 1, ids.size - 1)
        suspect |= (real > 1) & (ids[safe_first] == ctx.bos_id) & (ids[second] == ctx.bos_id)
    if ctx.limit is not None:  # MC008
        suspect |= real > ctx.limit
    ends_with_eos = (real > 0) & (ids[safe_last] == ctx.eos_id)
    if ctx.require_eos:  # MC014
        suspect |= ~ends_with_eos
    return Screened(suspect, side, real, trained_count, ends_with_eos)


def _real_span(positions: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: how many of ``positions`` (sorted flat indices) it holds, the first and the last
    (-1 where none); binary searches per row, no pass over the tokens."""
    lo = np.searchsorted(positions, offsets[:-1])
    hi = np.searchsorted(positions, offsets[1:]) - 1
    count = hi - lo + 1
    if not positions.size:
        return count, np.full(count.size, -1), np.full(count.size, -1)
    first = np.where(count > 0, positions[np.minimum(lo, positions.size - 1)], -1)
    last = np.where(count > 0, positions[np.maximum(hi, 0)], -1)
    return count, first, last


def _pads_may_disagree(ids: np.ndarray, mask: np.ndarray, row_of: np.ndarray, n: int, ctx: Context,
                       first: np.ndarray, last: np.ndarray, edge_masked: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """MC003 / MC013: masked real tokens, or attended pad tokens other than one real EOS (BOS) at the edge."""
    if ctx.pad_id is None:
        return np.bincount(row_of[~mask], minlength=n) > 0  # MC013: masked positions without a pad token
    is_pad = ids == ctx.pad_id
    flags = np.bincount(row_of[~mask & ~is_pad], minlength=n) > 0
    attended = np.bincount(row_of[mask & is_pad], minlength=n)
    # the one attended pad-id token may be the real EOS of a right-padded row (pad = eos) ...
    eos_edge = (ctx.eos_id == ctx.pad_id) & ~edge_masked[0] & ~is_pad[starts.clip(max=ids.size - 1)] \
        & is_pad[last]
    # ... or the real BOS of a left-padded row (pad = bos)
    bos_edge = (ctx.bos_id == ctx.pad_id) & edge_masked[0] & ~edge_masked[1] & is_pad[first]
    return flags | (attended > 1) | ((attended == 1) & ~eos_edge & ~bos_edge)
