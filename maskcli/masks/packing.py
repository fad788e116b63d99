"""Documents inside one packed row: which document each token belongs to, and its position there.

Three sources, as the reference implementations know them:

- ``position_ids`` resets (transformers' ``find_packed_sequence_indices``): a new document starts
  wherever ``position_ids[i] - position_ids[i-1] != 1``; positions are the ``position_ids``
  themselves (transformers evaluates the mask predicate at them).
- ``--doc-lengths 3,2,1``: consecutive documents of those lengths, positions restart at 0.
- an EOS separator: a document ends *with* its EOS token, the next one starts after it.

Worked example, ``position_ids = [0, 1, 2, 0, 1, 0]``::

    documents  [0, 0, 0, 1, 1, 2]
    positions  [0, 1, 2, 0, 1, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from maskcli.errors import InputError


@dataclass(frozen=True, eq=False)  # arrays: no field-wise == (identity)
class Packing:
    """Per token: its document id and its position inside the document; ``source`` names the rule."""

    documents: np.ndarray
    positions: np.ndarray
    source: str


def from_position_ids(position_ids: np.ndarray) -> Packing:
    """``documents = cumsum(diff(position_ids) != 1)``, as transformers detects packing."""
    pos = np.asarray(position_ids, dtype=np.int64)
    if pos.size == 0:
        return Packing(pos.copy(), pos.copy(), "position_ids")
    diff = np.diff(pos, prepend=pos[:1] - 1)
    return Packing(np.cumsum(diff != 1), pos.copy(), "position_ids")


def from_starts(starts: np.ndarray, length: int, source: str) -> Packing:
    """Documents beginning at the True entries of ``starts`` (index 0 always begins one)."""
    begins = np.asarray(starts, dtype=bool).copy()
    if length:
        begins[0] = True
    documents = np.cumsum(begins) - 1
    first = np.flatnonzero(begins)
    positions = np.arange(length) - first[documents] if length else np.zeros(0, dtype=np.int64)
    return Packing(documents.astype(np.int64), positions.astype(np.int64), source)


def from_lengths(lengths: Sequence[int], length: int) -> Packing:
    """Consecutive documents of the given lengths; they must cover the row exactly."""
    if any(n < 1 for n in lengths):
        raise InputError(f"--doc-lengths must be positive integers, not {list(lengths)}")
    if sum(lengths) != length:
        raise InputError(f"--doc-lengths {','.join(map(str, lengths))} sum to {sum(lengths)}, but the row has {length} tokens")
    starts = np.zeros(length, dtype=bool)
    starts[np.cumsum([0, *lengths[:-1]])] = True
    return from_starts(starts, length, "doc-lengths")


def from_separator(input_ids: np.ndarray, separator_id: int) -> Packing:
    """A document ends with each ``separator_id`` token; the next one starts right after it."""
    ids = np.asarray(input_ids)
    starts = np.zeros(len(ids), dtype=bool)
    starts[1:] = ids[:-1] == separator_id
    return from_starts(starts, len(ids), f"eos separator {separator_id}")


def flash_cu_seqlens(position_ids: np.ndarray) -> list[int]:
    """flash-attn's reading (transformers ``prepare_fa_kwargs_from_position_ids``, batch of one):
    a sequence starts wherever ``position_ids == position_ids.min()``."""
    pos = np.asarray(position_ids).reshape(-1)
    starts = np.flatnonzero(pos == pos.min()).tolist()
    return [*starts, len(pos)]
