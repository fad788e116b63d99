"""UniLM sequence-to-sequence (prefix LM): bidirectional source, causal target.

UniLM v1's ``Preprocess4Seq2seq`` (microsoft/unilm, ``biunilm/seq2seq_loader.py``) fills
``input_mask[:, :P] = 1`` for *every* row, ``P = len(source) + 2`` (``[CLS] source [SEP]``),
then copies a lower triangle into the target block ``[P, end)``, ``end = P + len(target) + 1``.
So ``k < P or (P <= k <= q < end)``; padding rows after ``end`` see the source only.

Worked example, ``[CLS] x1 x2 [SEP] y1 y2 [SEP] [PAD]`` (``P = 4``, ``end = 7``)::

    1 1 1 1 0 0 0 0   x4 (source rows)
    1 1 1 1 1 0 0 0
    1 1 1 1 1 1 0 0
    1 1 1 1 1 1 1 0
    1 1 1 1 0 0 0 0   (the [PAD] row)

attention-gym's ``prefix_lm`` with prefix 3 over 6 tokens is the same with ``P = 3, end = 6``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from maskcli.classic.base import ClassicMask, Panel
from maskcli.errors import InputError
from maskcli.spans import SpanMask

REFERENCE = "UniLM v1 Preprocess4Seq2seq (microsoft/unilm, Dong et al. 2019); attention-gym prefix_lm"


def seq2seq_spans(prefix: int, end: int, length: int) -> SpanMask:
    """Row ``q`` sees ``[0, max(P, q+1))`` while ``q < end``, ``[0, P)`` after."""
    if not 0 <= prefix <= end <= length:
        raise InputError(f"need 0 <= source length {prefix} <= end {end} <= length {length}")

    def spans(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hi = np.where(q < end, np.maximum(prefix, q + 1), prefix)
        return np.zeros((len(q), 1), dtype=np.int64), hi[:, None]

    return SpanMask(length, spans)


def pair_bounds(sequence_ids: Sequence[int | None], attention_mask: Sequence[int]) -> tuple[int, int]:
    """``(P, end)`` of an encoded pair: the target starts at the first token of sequence 1 and
    ends after the last real token (its trailing ``[SEP]`` included)."""
    second = [i for i, s in enumerate(sequence_ids) if s == 1]
    real = [i for i, a in enumerate(attention_mask) if a]
    if not second:
        raise InputError("UniLM needs a (source, target) pair: give two texts")
    return second[0], real[-1] + 1


def unilm_seq2seq(tokens: Sequence[str], prefix: int, end: int) -> ClassicMask:
    length = len(tokens)
    key_valid = np.arange(length) < end
    return ClassicMask(
        kind="unilm",
        summary=(
            f"seq2seq LM: source tokens 0..{prefix - 1} see each other, target tokens {prefix}..{end - 1} "
            "see the whole source and earlier target tokens; padding rows see the source only"
        ),
        reference=REFERENCE,
        panels=(Panel("UniLM seq2seq self-attention", seq2seq_spans(prefix, end, length), list(tokens),
                      key_valid=key_valid),),
        facts={"tokens": list(tokens), "source_end": prefix, "target_end": end},
    )
