"""``show``'s data outputs, formatted from a :class:`~maskcli.show.analysis.BatchAnalysis`:
the versioned JSON document of a batch (``--json``, ``-o FILE``; schema in docs/) and the
NumPy arrays of ``-o FILE.npz``.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import numpy as np

from maskcli.errors import InputError
from maskcli.masks import conventions
from maskcli.masks.flash import flash_form
from maskcli.show import SCHEMA_VERSION
from maskcli.show.analysis import BatchAnalysis, MaskResult, RowAnalysis
from maskcli.show.request import DEFAULT_CONVENTION, MaskRequest

CONVENTION = "rows are queries, columns are keys; 1 = may attend, 0 = masked"


def document_json(batch: BatchAnalysis, matrices: bool = True) -> str:
    """The batch's JSON document as one line. 0/1 matrices (``hf``, the default) are written
    straight from their bytes (see :func:`bit_matrix_json`), the same text ``json.dumps`` gives."""
    fast: list[str] = []
    nonce = secrets.token_hex(8)

    def matrix(value: np.ndarray, result: MaskResult, row: RowAnalysis) -> Any:
        if batch.request.convention != DEFAULT_CONVENTION:
            return encode(value, np.asarray(row.row.attention_mask), batch.request)
        fast.append(bit_matrix_json(value))
        return f"@@maskcli-{nonce}-{len(fast) - 1}@@"  # a '"' right after '@@' cannot occur inside a JSON string

    text = json.dumps(batch_document(batch, matrix if matrices else None), ensure_ascii=False)
    if not fast:
        return text
    parts = re.split(f'"@@maskcli-{nonce}-([0-9]+)@@"', text)
    parts[1::2] = [fast[int(index)] for index in parts[1::2]]
    return "".join(parts)


def batch_document(batch: BatchAnalysis, matrix=None) -> dict[str, Any]:
    """Schema version 1: one document per batch. ``matrix(dense, result, row)`` writes each mask
    (``None``: no matrices)."""
    request = batch.request
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "convention": CONVENTION,
        "tokenizer": batch.tokenizer.describe(),
        "settings": batch.resolved.describe() if batch.resolved else None,
        "sequences": [sequence_record(batch, i, row, matrix) for i, row in enumerate(batch.rows)],
        "mask_convention": conventions.describe(request.convention, request.dtype),
    }
    if request.convention != DEFAULT_CONVENTION:
        document["convention"] = f"rows are queries, columns are keys; {document['mask_convention']['meaning']}"
    kinds: dict[str, dict] = {}
    for row in batch.rows:
        for item in row.requested:
            source = row.context.packing.source if item.spec.packed and row.context.packing else None
            kinds.setdefault(item.spec.text, item.spec.describe(source))
    document["mask_kinds"] = kinds
    document["q_offset"] = request.q_offset
    if request.layers:
        document["model_layers"] = {panel.layer_type: panel.describe() for panel in request.layers}
    return document


def sequence_record(batch: BatchAnalysis, index: int, analysis: RowAnalysis, matrix) -> dict[str, Any]:
    seq, facts = analysis.row, analysis.facts
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
        "fully_masked_rows": analysis.mask("combined").empty_rows.tolist(),
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

        record.update(sft_record(seq, facts.texts))
    if matrix is not None:
        record["masks"] = {item.name: matrix(item.dense("the JSON", "leave the matrices out with --no-matrices"), item, analysis)
                           for item in analysis.masks}
    if analysis.native:
        record["native"] = {name: value.tolist() for name, (_, value) in analysis.native.items()}
    if matrix is not None:
        record["query_rows"] = {item.spec.text: item.panel.query_rows.tolist() for item in analysis.requested}
    record["lints"] = [lint.describe() for lint in analysis.lints]
    return record


def encode(mask: np.ndarray, attention_mask: np.ndarray, request: MaskRequest) -> Any:
    """One mask as JSON in the requested convention."""
    if request.convention == "flash":
        form = flash_form(mask, attention_mask)
        return {"representable": False, "reason": form} if isinstance(form, str) else form.describe()
    return conventions.to_convention(mask, request.convention, request.dtype).tolist()


def bit_matrix_json(mask: np.ndarray) -> str:
    """A boolean ``(Q, K)`` matrix as ``json.dumps`` writes its 0/1 ints, built as bytes.

    >>> bit_matrix_json(np.array([[True, False], [True, True]]))
    '[[1, 0], [1, 1]]'
    """
    mask = np.asarray(mask, dtype=bool)
    queries, keys = mask.shape
    if not queries or not keys:
        return json.dumps([[] for _ in range(queries)])
    row = np.full((queries, 3 * keys + 2), ord(" "), dtype=np.uint8)  # "[d, d, d], " per query
    row[:, 0] = ord("[")
    row[:, 1:3 * keys:3] = np.where(mask, ord("1"), ord("0"))
    row[:, 2:3 * keys - 1:3] = ord(",")
    row[:, 3 * keys - 1] = ord("]")
    row[:, 3 * keys] = ord(",")
    return "[" + row.tobytes()[:-2].decode("ascii") + "]"


def npz_arrays(batch: BatchAnalysis) -> dict[str, np.ndarray]:
    """``input_ids`` and ``attention_mask`` ``(B, L)``, each mask stacked ``(B, Q, K)``, and the convention."""
    request = batch.request
    if request.convention == "flash":
        raise InputError("-o FILE.npz holds matrices; --as flash has none (use --json)")
    lengths = {len(row.row) for row in batch.rows}
    if len(lengths) > 1:
        raise InputError(f"-o FILE.npz needs rows of one length, got lengths {sorted(lengths)}; pad the batch (--padding longest)")
    arrays: dict[str, np.ndarray] = {
        "input_ids": np.stack([row.row.input_ids for row in batch.rows]),
        "attention_mask": np.stack([row.row.attention_mask for row in batch.rows]),
        "convention": np.array(request.convention),
    }
    names = dict.fromkeys(item.name for item in batch.rows[0].masks)
    for name in names:
        arrays[name] = np.stack([conventions.to_convention(row.mask(name).dense("-o FILE.npz", "write JSON without matrices instead (--json --no-matrices)"), request.convention,
                                                           request.dtype) for row in batch.rows])
    return arrays
