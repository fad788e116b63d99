"""What there is to know about one row beyond its ids: the things ``show`` points out.

Computed once per row and used by both the JSON document and the terminal view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maskcli.data.padding import MaskDisagreement, mask_pad_disagreement, padded_side
from maskcli.masks.packing import from_position_ids
from maskcli.masks.positions import derived_position_ids
from maskcli.data.records import Row
from maskcli.data.token_text import token_texts
from maskcli.data.tokenizer import TokenizerHandle

IGNORE_INDEX = -100


@dataclass(frozen=True, eq=False)  # arrays: no field-wise == (identity)
class RowFacts:
    tokens: list[str | None]
    texts: list[str]  # what a person reads per token (byte pieces merged: maskcli.data.token_text)
    special_tokens_mask: np.ndarray  # the tokenizer's own (added special tokens); by id for given rows
    special_id: np.ndarray  # True where the id is a special token, even one typed in the text
    position_ids: np.ndarray | None  # given, or derived for left padding
    positions_derived: bool
    documents: np.ndarray | None  # document index per token when the row is packed
    trained: np.ndarray | None  # True where labels != -100
    final_eos_trained: bool | None  # None when there are no labels or no final EOS
    disagreement: MaskDisagreement | None  # only for rows given pre-tokenized


def row_facts(tok: TokenizerHandle, row: Row) -> RowFacts:
    ids, mask = row.input_ids, row.attention_mask
    special_id = np.isin(ids, list(tok.special_ids))
    special = row.special_tokens_mask if row.special_tokens_mask is not None else special_id.astype(np.int8)
    positions, derived = row.position_ids, False
    if positions is None and len(mask) and not mask[0] and mask.any():
        positions, derived = derived_position_ids(mask), True
    documents = None
    if row.position_ids is not None and len(row.position_ids) == len(ids):
        docs = from_position_ids(row.position_ids).documents
        documents = docs if docs.size and docs[-1] > 0 else None
    trained = final_eos = None
    if row.labels is not None and len(row.labels) == len(ids):
        trained = row.labels != IGNORE_INDEX
        final_eos = final_eos_trained(row, tok.eos_token_id)
    disagreement = None
    if row.pretokenized and len(mask) == len(ids) and tok.pad_token_id is not None:
        disagreement = pad_disagreement(row, tok.pad_token_id, tok.bos_token_id, tok.eos_token_id)
    tokens = tok.tokens(ids)
    return RowFacts(tokens, token_texts(tok, ids.tolist()), special, special_id, positions, derived, documents, trained,
                    final_eos, disagreement)


def final_eos_trained(row: Row, eos_id: int | None) -> bool | None:
    """Whether the last real token, when it is EOS, has a trained label (``None``: no labels or no final EOS)."""
    n = len(row.input_ids)
    if row.labels is None or len(row.labels) != n or len(row.attention_mask) != n or eos_id is None:
        return None
    real = np.flatnonzero(row.attention_mask)
    if not real.size or row.input_ids[real[-1]] != eos_id:
        return None
    return bool(row.labels[real[-1]] != IGNORE_INDEX)


def pad_disagreement(row: Row, pad_id: int, bos_id: int | None, eos_id: int | None) -> MaskDisagreement:
    """:func:`mask_pad_disagreement` on the row's padded side (eos may sit at a right edge, bos at a left one)."""
    side = padded_side(row.input_ids, row.attention_mask, pad_id)
    edge = bos_id if side == "left" else eos_id
    return mask_pad_disagreement(row.input_ids, row.attention_mask, pad_id, side, edge)
