"""Position ids as ``generate()`` derives them (packed documents live in :mod:`maskcli.masks.packing`).

``generate()`` derives position ids under left padding as ``cumsum(attention_mask) - 1`` with
pads set to 0::

    attention_mask  0 0 1 1 1 1
    position_ids    0 0 0 1 2 3
"""

from __future__ import annotations

import numpy as np


def derived_position_ids(attention_mask: np.ndarray) -> np.ndarray:
    """Position ids as ``generate()`` builds them from a (left-)padded mask."""
    mask = np.asarray(attention_mask).astype(bool)
    return np.where(mask, np.cumsum(mask, axis=-1) - 1, 0)
