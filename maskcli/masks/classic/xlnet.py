"""XLNet permutation LM: the content stream, the query stream and ``perm_mask``.

With a factorisation order (a permutation of positions) each position gets a rank. In XLNet's
own convention ``perm_mask[i, j] = 1`` means *i cannot attend to j*; transformers'
``DataCollatorForPermutationLanguageModeling`` builds it as
``perm_mask[i, j] = (rank[i] <= rank[j]) and target[j]``, non-target positions having rank -1
(everyone sees them). ``XLNetModel`` then uses ``perm_mask`` for the query stream g and lets the
content stream h also see itself (it subtracts the identity):

    g[q, k] = not perm_mask[q, k]            (for all targets: rank[k] <  rank[q])
    h[q, k] = g[q, k] or q == k              (for all targets: rank[k] <= rank[q])

Worked example, order 3 -> 2 -> 4 -> 1 (0-based positions 2, 1, 3, 0), all targets::

    g (query stream)   h (content stream)   perm_mask (1 = cannot attend)
    0 1 1 1            1 1 1 1              1 0 0 0
    0 0 1 0            0 1 1 0              1 1 0 1
    0 0 0 0            0 0 1 0              1 1 1 1
    0 1 1 0            0 1 1 1              1 0 0 1
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from maskcli.errors import InputError

REFERENCE = (
    "XLNet (Yang et al. 2019) _local_perm; transformers DataCollatorForPermutationLanguageModeling "
    "and XLNetModel (attn_mask_g = perm_mask, attn_mask_h = perm_mask minus the identity)"
)
PERM_CONVENTION = "perm_mask[i, j] = 1: i cannot attend to j (XLNet's convention, the inverse of ours)"


def check_order(order: Sequence[int], length: int) -> np.ndarray:
    order = np.asarray(order, dtype=np.int64)
    if sorted(order.tolist()) != list(range(length)):
        raise InputError(f"xlnet perm must list every position 0..{length - 1} of the row exactly once, got {order.tolist()}")
    return order


def ranks(order: Sequence[int]) -> np.ndarray:
    """``rank[position]``: where each position comes in the factorisation order."""
    order = np.asarray(order, dtype=np.int64)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank


def perm_mask(order: Sequence[int], targets: np.ndarray | None = None) -> np.ndarray:
    """XLNet's ``perm_mask`` (int 0/1, 1 = cannot attend) as the permutation collator builds it."""
    rank = ranks(order)
    target = np.ones(len(rank), dtype=bool) if targets is None else np.asarray(targets, dtype=bool)
    rank = np.where(target, rank, -1)
    return ((rank[:, None] <= rank[None, :]) & target[None, :]).astype(np.int64)


def streams(perm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(content h, query g)`` as booleans, True = may attend."""
    query = ~np.asarray(perm, dtype=bool)
    return query | np.eye(len(query), dtype=bool), query


def random_order(length: int, seed: int) -> np.ndarray:
    """A uniformly random factorisation order (``numpy.random.default_rng(seed).permutation``)."""
    return np.random.default_rng(seed).permutation(length)
