"""A boolean mask as flash-attn's varlen arguments, when it has that shape.

flash-attn never sees a matrix: the padded row is unpadded to its real tokens (``indices``, as
transformers' ``_get_unpad_data``), cut into independent sequences (``cu_seqlens``), and inside
each sequence query i sees keys ``[i - left, i + right]`` (``window_size``, -1 = unbounded;
``causal=True`` means ``right = 0``). Causal, sliding-window, bidirectional, packed and chunked
masks (each chunk a sequence) have that shape; prefix-LM and block masks do not, and
:func:`flash_form` says so.

Worked example, packed ``position_ids = [0, 1, 2, 0, 1, 0]``, causal::

    mask 100000 110000 111000 000100 000110 000001
    -> causal=True, window_size=(-1, 0), cu_seqlens=[0, 3, 5, 6], indices=[0, 1, 2, 3, 4, 5]

Rows of pad queries are not computed by flash-attn at all, so only real query rows count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FlashForm:
    causal: bool
    window_size: tuple[int, int]
    cu_seqlens: tuple[int, ...]
    indices: tuple[int, ...]

    def describe(self) -> dict:
        return {
            "representable": True,
            "causal": self.causal,
            "window_size": list(self.window_size),
            "cu_seqlens": list(self.cu_seqlens),
            "indices": list(self.indices),
            "max_seqlen": int(np.diff(self.cu_seqlens).max(initial=0)),
        }


def segment_starts(sub: np.ndarray) -> list[int]:
    """Cut points b where no query on one side of b attends a key on the other side."""
    n = len(sub)
    return [b for b in range(n) if b == 0 or not (sub[b:, :b].any() or sub[:b, b:].any())]


def band(cu_seqlens: tuple[int, ...], left: int, right: int) -> np.ndarray:
    """The unpadded ``(n, n)`` mask flash-attn computes for these arguments."""
    n = cu_seqlens[-1]
    segment = np.repeat(np.arange(len(cu_seqlens) - 1), np.diff(cu_seqlens))
    i = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    inside = segment[:, None] == segment[None, :]
    if left >= 0:
        inside &= j >= i - left
    if right >= 0:
        inside &= j <= i + right
    return inside


def flash_form(mask: np.ndarray, attention_mask: np.ndarray) -> FlashForm | str:
    """The flash-attn arguments of a square mask, or the reason it has none."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape[0] != mask.shape[-1]:
        return "flash form is computed for square masks only (no --q-offset, no cross)"
    real = np.flatnonzero(np.asarray(attention_mask) != 0)
    if mask[:, np.asarray(attention_mask) == 0].any():
        return "the mask lets queries attend pad keys"
    sub = mask[np.ix_(real, real)]
    cu = tuple([*segment_starts(sub), len(real)])
    offsets = np.subtract.outer(np.arange(len(real)), np.arange(len(real)))  # q - k
    segment = np.repeat(np.arange(len(cu) - 1), np.diff(cu))
    same = segment[:, None] == segment[None, :]
    reach_left = int(offsets[sub].max(initial=0))
    reach_right = int((-offsets[sub]).max(initial=0))
    longest = int(max(np.diff(cu), default=0))
    for left in (-1, reach_left) if reach_left >= longest - 1 else (reach_left,):
        for right in (-1, reach_right) if reach_right >= longest - 1 else (reach_right,):
            if np.array_equal(band(cu, left, right) & same, sub):
                return FlashForm(right == 0, (left, right), cu, tuple(int(i) for i in real))
    return "not a band inside independent sequences (prefix-LM and block masks have no flash form)"


def mask_from_flash(form: FlashForm, length: int) -> np.ndarray:
    """The padded ``(length, length)`` mask of real query rows (pad rows stay all False)."""
    out = np.zeros((length, length), dtype=bool)
    idx = np.asarray(form.indices, dtype=np.int64)
    out[np.ix_(idx, idx)] = band(form.cu_seqlens, *form.window_size)
    return out
