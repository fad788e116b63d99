"""Sparse long-sequence patterns: LogSparse, Longformer, BigBird (eval) and dilated windows.

Each builder returns a :class:`maskcli.masks.spans.SpanMask` (a few key intervals per query), so a
32k-token pattern is summarised block by block without an ``L x L`` matrix.

Worked examples (N = 8, 1 = may attend)::

    LogSparse            Longformer window 4, global {0}   BigBird blocks (8 blocks)
    1 0 0 0 0 0 0 0      1 1 1 1 1 1 1 1                   1 1 1 1 1 1 1 1
    1 1 0 0 0 0 0 0      1 1 1 1 0 0 0 0                   1 1 1 0 0 0 0 1
    1 1 1 0 0 0 0 0      1 1 1 1 1 0 0 0                   1 1 1 1 0 0 0 1
    0 1 1 1 0 0 0 0      1 1 1 1 1 1 0 0                   1 0 1 1 1 0 0 1
    1 0 1 1 1 0 0 0      1 0 1 1 1 1 1 0                   1 0 0 1 1 1 0 1
    0 1 0 1 1 1 0 0      1 0 0 1 1 1 1 1                   1 0 0 0 1 1 1 1
    0 0 1 0 1 1 1 0      1 0 0 0 1 1 1 1                   1 0 0 0 0 1 1 1
    0 0 0 1 0 1 1 1      1 0 0 0 0 1 1 1                   1 1 1 1 1 1 1 1
"""

from __future__ import annotations

import numpy as np

from maskcli.errors import InputError
from maskcli.masks.spans import SpanMask, join, points

LOGSPARSE_REF = "LogSparse Transformer (Li et al. 2019): k == q or q - k in {1, 2, 4, ...}"
LONGFORMER_REF = "transformers LongformerSelfAttention (Beltagy et al. 2020): sliding window + global attention"
LONGFORMER_CONVENTION = "Longformer attention_mask: 0 = padding, 1 = local attention, 2 = global attention"
BIGBIRD_REF = (
    "transformers BigBirdBlockSparseAttention in eval mode (Zaheer et al. 2020): first and last blocks global, "
    "3-block sliding window; eval draws no random blocks"
)
DILATED_REF = "dilated sliding window (Longformer paper, Beltagy et al. 2020, section 3.1)"


def _rows(q: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.broadcast_to(values, (len(q),) + np.shape(values)[-1:]).astype(np.int64)


def logsparse_spans(length: int) -> SpanMask:
    """Self plus the keys at distances 1, 2, 4, ... (powers of two up to q)."""
    powers = np.concatenate([[0], 2 ** np.arange(max(length - 1, 1).bit_length())])

    def spans(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return points(q[:, None] - powers[None, :])

    return SpanMask(length, spans)


def longformer_spans(attention_mask: np.ndarray, window: int) -> SpanMask:
    """transformers' Longformer pattern from its 0/1/2 ``attention_mask`` and ``attention_window``.

    Local: ``|q - k| <= window // 2``; every query sees the global tokens and global queries see
    every key; padding keys are masked, and padding query rows are zeroed (they attend to nothing).
    """
    mask = np.asarray(attention_mask, dtype=np.int64)
    if window < 2 or window % 2:
        raise InputError(f"Longformer's attention window must be a positive even number, not {window}")
    if np.any((mask < 0) | (mask > 2)):
        raise InputError("Longformer attention_mask values must be 0 (padding), 1 (local) or 2 (global)")
    length, side = len(mask), window // 2
    global_keys = np.flatnonzero(mask == 2)

    def spans(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        local = (q[:, None] - side, q[:, None] + side + 1)
        is_global = (mask[q] == 2)[:, None]
        everything = (np.zeros((len(q), 1), dtype=np.int64), np.where(is_global, length, 0))
        lo, hi = join(local, points(_rows(q, global_keys)), everything)
        return lo, np.where((mask[q] == 0)[:, None], lo, hi)

    return SpanMask(length, spans, key_valid=mask != 0)


def bigbird_block_spans(num_blocks: int) -> SpanMask:
    """Block level: blocks 0 and last see everything; block b sees b-1..b+1, 0 and the last."""
    if num_blocks < 3:
        raise InputError(f"BigBird's block-sparse layout needs at least 3 blocks, not {num_blocks}")
    last = num_blocks - 1

    def spans(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        edge = ((b == 0) | (b == last))[:, None]
        band = (b[:, None] - 1, b[:, None] + 2)
        everything = (np.zeros((len(b), 1), dtype=np.int64), np.where(edge, num_blocks, 0))
        return join(band, points(_rows(b, np.array([0, last]))), everything)

    return SpanMask(num_blocks, spans)


def bigbird_token_spans(num_blocks: int, block_size: int) -> SpanMask:
    """Token level: every token of block b has the key intervals of block b, scaled by block_size."""
    blocks = bigbird_block_spans(num_blocks)

    def spans(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = blocks.intervals(q // block_size)
        return lo * block_size, hi * block_size

    return SpanMask(num_blocks * block_size, spans)


def dilated_spans(length: int, window: int, dilation: int, causal: bool) -> SpanMask:
    """Causal: keys ``q - d*i`` for ``i < window`` (window keys, self included, as transformers
    counts a sliding window). Bidirectional: ``q + d*i`` for ``|i| <= window // 2`` (Longformer's
    window of ``window`` keys around the query, dilated)."""
    if window < 1 or dilation < 1:
        raise InputError(f"--window and --dilation must be positive, not {window} and {dilation}")
    offsets = -dilation * np.arange(window) if causal else dilation * np.arange(-(window // 2), window // 2 + 1)

    def spans(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return points(q[:, None] + offsets[None, :])

    return SpanMask(length, spans)
