"""Forward passes: a batch as given, one document alone, and the comparison of their logits.

A batch is run as one tensor when its rows have one length (a collator's output), else row by
row. A row's real tokens are those its ``attention_mask`` keeps; its documents are read from its
``position_ids`` as transformers does (:func:`maskcli.masks.packing.from_position_ids`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from maskcli.errors import InputError
from maskcli.masks.packing import from_position_ids
from maskcli.data.records import Row
from maskcli.wording import counted


@dataclass(frozen=True)
class Inputs:
    """What one forward pass is given: rows of one length, stacked; ``None`` = not passed."""

    input_ids: np.ndarray
    attention_mask: np.ndarray | None
    position_ids: np.ndarray | None
    use_cache: bool
    attn_implementation: str

    def replace(self, **changes: Any) -> Inputs:
        return dataclasses.replace(self, **changes)


def stacked(rows: Sequence[Row], use_cache: bool, attn_implementation: str) -> Inputs:
    """The rows as a collator hands them over: a mask if any row had one, position ids if any had them
    (rows without fall back to ``0..L-1``, the model's own default)."""
    def column(values: list[np.ndarray | None], default: np.ndarray) -> np.ndarray | None:
        if all(v is None for v in values):
            return None
        return np.stack([default if v is None else v for v in values])

    length = len(rows[0])
    masks = [row.attention_mask if row.given_attention_mask else None for row in rows]
    return Inputs(
        input_ids=np.stack([row.input_ids for row in rows]),
        attention_mask=column(masks, np.ones(length, dtype=np.int64)),
        position_ids=column([row.position_ids for row in rows], np.arange(length)),
        use_cache=use_cache,
        attn_implementation=attn_implementation,
    )


def groups(rows: Sequence[Row]) -> list[list[int]]:
    """Row indices run together: all of them when they have one length, else one row at a time."""
    if len({len(row) for row in rows}) == 1:
        return [list(range(len(rows)))]
    return [[i] for i in range(len(rows))]


def documents(row: Row) -> list[np.ndarray]:
    """Indices of each document's real tokens in the row (one document unless packed)."""
    real = np.flatnonzero(row.attention_mask) if row.given_attention_mask else np.arange(len(row))
    if row.position_ids is None or real.size == 0:
        return [real]
    ids = from_position_ids(row.position_ids[real]).documents
    return [real[ids == d] for d in np.unique(ids)]


def forward(model: Any, inputs: Inputs) -> np.ndarray:
    """Logits (B, L, V) as float64."""
    import torch

    if model.config._attn_implementation != inputs.attn_implementation:
        model.set_attn_implementation(inputs.attn_implementation)
    given = {"input_ids": torch.as_tensor(inputs.input_ids, dtype=torch.long)}
    if inputs.attention_mask is not None:
        given["attention_mask"] = torch.as_tensor(inputs.attention_mask, dtype=torch.long)
    if inputs.position_ids is not None:
        given["position_ids"] = torch.as_tensor(inputs.position_ids, dtype=torch.long)
    with torch.no_grad():
        out = model(**given, use_cache=inputs.use_cache)
    return out.logits.to(torch.float64).numpy()


def alone(model: Any, tokens: np.ndarray, use_cache: bool, attn_implementation: str) -> np.ndarray:
    """Logits (n, V) of ``tokens`` run by themselves at positions ``0..n-1``, no mask."""
    single = Inputs(tokens[None, :], None, np.arange(len(tokens))[None, :], use_cache, attn_implementation)
    return forward(model, single)[0]


def max_diff(batch_logits: np.ndarray, alone_logits: np.ndarray) -> float:
    """max |difference|; NaN when either side has a NaN."""
    if alone_logits.size == 0:
        return 0.0
    return float(np.max(np.abs(batch_logits - alone_logits)))


MAX_SCORE_BYTES = 2**30  # one layer's float32 attention scores for a batch: batch x heads x L x L x 4 bytes


def check_fits(rows: Sequence[Row], config: Any) -> None:
    """Refuse, before the forward pass, a batch longer than the model's positions, or one whose
    attention scores alone would take more than :data:`MAX_SCORE_BYTES` (``--padding max_length
    --max-length 100000`` asked torch for 40 GB)."""
    if not rows:
        return
    length = max(len(row.input_ids) for row in rows)
    positions = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    if positions and length > positions:
        raise InputError(f"{rows[0].source}: a batch of {length:,} tokens is longer than the model's "
                         f"{positions:,} positions (max_position_embeddings); use a smaller --max-length")
    heads = getattr(config, "num_attention_heads", None) or getattr(config, "n_head", None) or 1
    needed = len(rows) * heads * length * length * 4
    if needed > MAX_SCORE_BYTES:
        raise InputError(f"{rows[0].source}: {counted(len(rows), 'row')} of {length:,} tokens need "
                         f"{needed / 2**30:,.1f} GiB of attention scores per layer, more than the "
                         f"{MAX_SCORE_BYTES // 2**30} GiB verify allows; use a smaller --batch-size or --max-length")


def check_vocabulary(rows: Sequence[Row], vocab_size: int) -> None:
    """Every id must index the model's embedding (a tokenizer/model mismatch is bad input)."""
    for row in rows:
        bad = np.flatnonzero((row.input_ids < 0) | (row.input_ids >= vocab_size))
        if bad.size:
            raise InputError(f"{row.source}: input_ids[{bad[0]}] = {row.input_ids[bad[0]]} is outside the "
                             f"model's vocabulary (vocab_size {vocab_size})")
