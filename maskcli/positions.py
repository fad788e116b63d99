"""Position ids and packed documents.

``generate()`` derives position ids under left padding as ``cumsum(attention_mask) - 1`` with
pads set to 0::

    attention_mask  0 0 1 1 1 1
    position_ids    0 0 0 1 2 3

Packed rows restart their position ids at every document; the document index of each token is
``cumsum(position_ids[i] - position_ids[i-1] != 1)``::

    position_ids    0 1 2 0 1 0
    document        0 0 0 1 1 2
"""

from __future__ import annotations

import numpy as np


def derived_position_ids(attention_mask: np.ndarray) -> np.ndarray:
    """Position ids as ``generate()`` builds them from a (left-)padded mask."""
    mask = np.asarray(attention_mask).astype(bool)
    return np.where(mask, np.cumsum(mask, axis=-1) - 1, 0)


def document_ids(position_ids: np.ndarray) -> np.ndarray:
    """Document index per token; a new document starts wherever positions do not go up by one."""
    positions = np.asarray(position_ids)
    starts = np.diff(positions, axis=-1, prepend=positions[..., :1] - 1) != 1
    return np.cumsum(starts, axis=-1)


def is_packed(position_ids: np.ndarray) -> bool:
    """More than one document in the row."""
    return bool(len(position_ids) and document_ids(position_ids)[-1] > 0)
