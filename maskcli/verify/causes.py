"""Known reasons a row differs from itself alone, each with the re-run that proves it.

A cause applies to a row when the batch's inputs allow it (left padding and no ``position_ids``,
a packed row given a mask, ...); it is named only when re-running the batch with its fix makes
the row agree. A RoPE model is insensitive to the shift of left padding, so its rows agree and
are never searched for a cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from maskcli.masks.positions import derived_position_ids
from maskcli.verify.results import Cause
from maskcli.verify.runs import Inputs


@dataclass(frozen=True)
class RowView:
    """What a cause may look at: the batch's inputs, the row's index in them, its documents."""

    inputs: Inputs
    row: int
    documents: int


@dataclass(frozen=True)
class KnownCause:
    code: str
    message: str
    fix: str
    applies: Callable[[RowView], bool]
    change: Callable[[Inputs], Inputs]


def _left_padded(view: RowView) -> bool:
    mask = view.inputs.attention_mask
    if mask is None or view.inputs.position_ids is not None:
        return False
    real = np.flatnonzero(mask[view.row])
    return real.size > 0 and real[0] > 0


def _other_implementation(inputs: Inputs) -> str:
    return "eager" if inputs.attn_implementation != "eager" else "sdpa"


KNOWN_CAUSES: tuple[KnownCause, ...] = (
    KnownCause(
        "left-padding-without-position-ids",
        "left padding without position_ids: the real tokens sit at positions k.., not 0.., on a model "
        "with absolute positions",
        "position_ids = attention_mask.cumsum(-1) - 1 (pads 0)",
        _left_padded,
        lambda inputs: inputs.replace(position_ids=derived_position_ids(inputs.attention_mask)),
    ),
    KnownCause(
        "packed-with-attention-mask",
        "packed row given an attention_mask: transformers detects packing from position_ids only when "
        "attention_mask is None, so documents attend to each other",
        "drop attention_mask, keep position_ids",
        lambda view: view.documents > 1 and view.inputs.attention_mask is not None,
        lambda inputs: inputs.replace(attention_mask=None),
    ),
    KnownCause(
        "packed-under-cache",
        "packed row run with use_cache=True: transformers detects packing only with no cache (and no "
        "attention_mask), so documents attend to each other",
        "use_cache=False and no attention_mask (--no-use-cache)",
        lambda view: view.documents > 1 and view.inputs.use_cache,
        lambda inputs: inputs.replace(attention_mask=None, use_cache=False),
    ),
    KnownCause(
        "attn-implementation-ignores-packing",
        "the attention implementation ignores the packing: documents attend to each other",
        "another attention implementation (--attn-implementation)",
        lambda view: view.documents > 1,
        lambda inputs: inputs.replace(attention_mask=None, use_cache=False,
                                      attn_implementation=_other_implementation(inputs)),
    ),
)

NAN_IN_BATCH = Cause(
    "nan-in-batch",
    "NaN logits in the batch but not alone: a NaN from another token (a pad token's hidden state, a fully "
    "masked query row under a custom mask) reaches this row, since masked keys still multiply their values by 0",
    "find the NaN's source: the pad token's embedding, or a mask row with no attended key",
)
NAN_ALONE = Cause(
    "nan-alone",
    "NaN logits for the row alone too: the model's weights or an overflow in this dtype, not the batch",
    "check the checkpoint, or run in a wider --dtype",
)
