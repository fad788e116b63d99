"""What there is to know about one row beyond its ids: the things ``show`` points out.

Computed once per row and used by both the JSON document and the terminal view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from maskcli.padding import MaskDisagreement, mask_pad_disagreement, padded_side
from maskcli.positions import derived_position_ids, document_ids
from maskcli.records import Row
from maskcli.tokenizer import TokenizerHandle

IGNORE_INDEX = -100


@dataclass(frozen=True)
class RowFacts:
    tokens: list[str | None]
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
        docs = document_ids(row.position_ids)
        documents = docs if docs.size and docs[-1] > 0 else None
    trained = final_eos = None
    if row.labels is not None and len(row.labels) == len(ids):
        trained = row.labels != IGNORE_INDEX
        real = np.flatnonzero(mask.astype(bool))
        if real.size and tok.eos_token_id is not None and ids[real[-1]] == tok.eos_token_id:
            final_eos = bool(trained[real[-1]])
    disagreement = None
    if row.pretokenized and len(mask) == len(ids) and tok.pad_token_id is not None:
        side = padded_side(ids, mask, tok.pad_token_id)
        edge = tok.bos_token_id if side == "left" else tok.eos_token_id
        disagreement = mask_pad_disagreement(ids, mask, tok.pad_token_id, side, edge)
    return RowFacts(tok.tokens(ids), special, special_id, positions, derived, documents, trained, final_eos, disagreement)
