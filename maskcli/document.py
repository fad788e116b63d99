"""The versioned JSON document of one batch (``maskcli show --json``), documented in the README."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from maskcli.encoding import ResolvedSettings
from maskcli.records import Row
from maskcli.masks import causal_mask, combined_mask, fully_masked_rows, padding_mask
from maskcli.tokenizer import TokenizerHandle

SCHEMA_VERSION = 1
CONVENTION = "rows are queries, columns are keys; 1 = may attend, 0 = masked"


def sequence_masks(seq: Row) -> dict[str, Any]:
    """The three masks of one row as boolean ``(L, L)`` arrays."""
    return {
        "padding": padding_mask(seq.attention_mask),
        "causal": causal_mask(len(seq.attention_mask)),
        "combined": combined_mask(seq.attention_mask),
    }


def special_tokens_mask(tok: TokenizerHandle, seq: Row) -> np.ndarray:
    """The row's own mask when the tokenizer produced it, else special ids looked up."""
    if seq.special_tokens_mask is not None:
        return seq.special_tokens_mask
    return np.isin(seq.input_ids, list(tok.special_ids)).astype(np.int8)


def sequence_record(tok: TokenizerHandle, index: int, seq: Row, matrices: bool = True) -> dict[str, Any]:
    masks = sequence_masks(seq)
    record: dict[str, Any] = {
        "index": index,
        "text": seq.text,
        "tokens": tok.tokens(seq.input_ids),
        "input_ids": seq.input_ids.tolist(),
        "attention_mask": seq.attention_mask.tolist(),
        "special_tokens_mask": special_tokens_mask(tok, seq).tolist(),
        "num_tokens": seq.num_tokens,
        "truncated": seq.truncated,
        "fully_masked_rows": fully_masked_rows(masks["combined"]).tolist(),
    }
    if matrices:
        record["masks"] = {name: mask.astype(int).tolist() for name, mask in masks.items()}
    return record


def batch_document(
    tok: TokenizerHandle,
    resolved: ResolvedSettings,
    sequences: Sequence[Row],
    matrices: bool = True,
) -> dict[str, Any]:
    """Schema version 1: one document per batch."""
    return {
        "schema_version": SCHEMA_VERSION,
        "convention": CONVENTION,
        "tokenizer": tok.describe(),
        "settings": resolved.describe(),
        "sequences": [sequence_record(tok, i, seq, matrices) for i, seq in enumerate(sequences)],
    }
