"""Mask algebra over numpy arrays: rows are queries, columns are keys, True = may attend.

All functions take the tokenizer's 1-D ``attention_mask`` (1 = real token) of one row, or a
stack of rows ``(..., L)``, and return boolean ``(..., L, L)`` matrices, the shape transformers'
``create_causal_mask`` gives (without the head axis).

Worked example, right padding ``attention_mask = [1, 1, 1, 0]``::

    padding          causal           combined = causal AND padding
    1 1 1 0          1 0 0 0          1 0 0 0
    1 1 1 0          1 1 0 0          1 1 0 0
    1 1 1 0          1 1 1 0          1 1 1 0
    1 1 1 0          1 1 1 1          1 1 1 0

With left padding ``[0, 0, 1, 1]`` the combined rows 0 and 1 are all zero: those queries
attend to nothing (softmax over an empty set gives NaN), see :func:`fully_masked_rows`.
"""

from __future__ import annotations

import numpy as np


def padding_mask(attention_mask: np.ndarray) -> np.ndarray:
    """``padding[q, k] = attention_mask[k]``: key padding broadcast over every query row."""
    keys = np.asarray(attention_mask).astype(bool)
    length = keys.shape[-1]
    return np.broadcast_to(keys[..., None, :], keys.shape[:-1] + (length, length)).copy()


def causal_mask(length: int) -> np.ndarray:
    """``causal[q, k] = k <= q``."""
    return np.tri(length, length, dtype=bool)


def combined_mask(attention_mask: np.ndarray) -> np.ndarray:
    """``causal AND padding``: transformers' ``create_causal_mask`` for sdpa, as booleans."""
    return causal_mask(np.shape(attention_mask)[-1]) & padding_mask(attention_mask)


def fully_masked_rows(mask: np.ndarray) -> np.ndarray:
    """Indices of query rows that may attend to no key at all (NaN after softmax)."""
    return np.flatnonzero(~np.asarray(mask, dtype=bool).any(axis=-1))
