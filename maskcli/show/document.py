"""The versioned JSON document of one batch (``maskcli show --json``), documented in the README."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from maskcli.data.encoding import ResolvedSettings
from maskcli.data.facts import row_facts
from maskcli.masks.algebra import causal_mask, combined_mask, fully_masked_rows, padding_mask
from maskcli.data.records import Row
from maskcli.data.tokenizer import TokenizerHandle

SCHEMA_VERSION = 1
CONVENTION = "rows are queries, columns are keys; 1 = may attend, 0 = masked"


def sequence_masks(seq: Row) -> dict[str, Any]:
    """The three masks of one row as boolean ``(L, L)`` arrays."""
    return {
        "padding": padding_mask(seq.attention_mask),
        "causal": causal_mask(len(seq.attention_mask)),
        "combined": combined_mask(seq.attention_mask),
    }


def sequence_record(tok: TokenizerHandle, index: int, seq: Row, matrices: bool = True) -> dict[str, Any]:
    masks = sequence_masks(seq)
    facts = row_facts(tok, seq)
    record: dict[str, Any] = {
        "index": index,
        "source": seq.source.describe(),
        "shape": seq.shape,
        "text": seq.text,
        "tokens": facts.tokens,
        "input_ids": seq.input_ids.tolist(),
        "attention_mask": seq.attention_mask.tolist(),
        "special_tokens_mask": facts.special_tokens_mask.tolist(),
        "num_tokens": seq.num_tokens,
        "truncated": seq.truncated,
        "fully_masked_rows": fully_masked_rows(masks["combined"]).tolist(),
    }
    if seq.pretokenized:
        record["attention_mask_given"] = seq.given_attention_mask
    for name in ("labels", "position_ids", "token_type_ids"):
        value = getattr(seq, name)
        if value is not None:
            record[name] = value.tolist()
    if facts.positions_derived:
        record["derived_position_ids"] = facts.position_ids.tolist()
    if facts.documents is not None:
        record["documents"] = facts.documents.tolist()
    if facts.final_eos_trained is not None:
        record["final_eos_trained"] = facts.final_eos_trained
    if facts.disagreement:
        record["mask_disagrees_with_pad_tokens"] = {
            "masked_real_tokens": facts.disagreement.masked_real.tolist(),
            "attended_pad_tokens": facts.disagreement.attended_pad.tolist(),
        }
    if seq.labels_from is not None:
        from maskcli.sft.rows import sft_record

        record.update(sft_record(tok, seq))
    if matrices:
        record["masks"] = {name: mask.astype(int).tolist() for name, mask in masks.items()}
    return record


def batch_document(
    tok: TokenizerHandle,
    resolved: ResolvedSettings | None,
    sequences: Sequence[Row],
    matrices: bool = True,
) -> dict[str, Any]:
    """Schema version 1: one document per batch."""
    return {
        "schema_version": SCHEMA_VERSION,
        "convention": CONVENTION,
        "tokenizer": tok.describe(),
        "settings": resolved.describe() if resolved else None,
        "sequences": [sequence_record(tok, i, seq, matrices) for i, seq in enumerate(sequences)],
    }
