"""Where a row's attention mask and its pad tokens disagree.

A wrong mask is silent: the model happily attends to pad tokens or ignores real ones. With
``pad = 7`` and right padding::

    input_ids       5 6 7 7 7        5 6 7 7 7
    attention_mask  1 1 0 0 0  ok    1 0 1 1 0   masked real token 1, attended pads 2 3

When pad = eos (or bos on the left) the one pad-id token next to the text is the real EOS
and may be attended.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)  # arrays: no field-wise == (identity)
class MaskDisagreement:
    masked_real: np.ndarray  # positions with mask 0 whose token is not the pad token
    attended_pad: np.ndarray  # attended pad-id tokens in the run at the padded edge

    def __bool__(self) -> bool:
        return bool(self.masked_real.size or self.attended_pad.size)


def edge_run(ids: np.ndarray, pad_id: int, side: str) -> np.ndarray:
    """Positions of the run of ``pad_id`` tokens at the row's ``side`` end."""
    is_pad = np.asarray(ids) == pad_id
    ordered = is_pad if side == "left" else is_pad[::-1]
    run = int(np.argmin(ordered)) if not ordered.all() else len(ordered)
    return np.arange(run) if side == "left" else np.arange(len(ids) - run, len(ids))


def mask_pad_disagreement(
    ids: np.ndarray, attention_mask: np.ndarray, pad_id: int, side: str, real_edge_token: int | None = None
) -> MaskDisagreement:
    """Compare a row's mask with its pad tokens; ``real_edge_token`` is the eos (right) / bos (left) id."""
    mask = np.asarray(attention_mask).astype(bool)
    ids = np.asarray(ids)
    masked_real = np.flatnonzero(~mask & (ids != pad_id))
    run = edge_run(ids, pad_id, side)
    attended = run[mask[run]]
    if real_edge_token == pad_id and attended.size:
        inner = run.max() if side == "left" else run.min()
        attended = attended[attended != inner]
    return MaskDisagreement(masked_real, attended)


def padded_side(ids: np.ndarray, attention_mask: np.ndarray, pad_id: int | None) -> str:
    """Which end of a row holds its padding: ``left`` when it starts masked or with a pad run."""
    mask = np.asarray(attention_mask)
    if mask.size and not mask[0] and mask[-1]:
        return "left"
    if pad_id is not None and len(ids) and ids[0] == pad_id and ids[-1] != pad_id:
        return "left"
    return "right"
