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

attention-gym's ``prefix_lm`` with prefix 3 over 6 tokens is the same with ``P = 3, end = 6``:
the ``prefix:P`` kind. Both are :func:`maskcli.masks.spans.prefix_spans`; ``unilm:source=P`` only
adds UniLM's padding rows (they see the source only, where transformers never masks a query).
"""

from __future__ import annotations

REFERENCE = "UniLM v1 Preprocess4Seq2seq (microsoft/unilm, Dong et al. 2019)"
