"""Why a cell of a mask is blocked: one small integer per (query, key), computed from the row, not drawn.

Each blocked cell gets the first reason that applies, in this order:

=====  ==================  ==================================================================
code   reason              applies when
=====  ==================  ==================================================================
0      attends             the mask lets the query see the key
1      key padding         the key's ``attention_mask`` is 0 (padded specs: every ``--mask``)
2      another document    ``+packed`` (or a packed row's combined default): documents differ
3      causality           the kind's predicate holds ``kv_idx <= q_idx`` and the key is later
4      query padding       the kind's predicate reads ``attention_mask[b, q_idx]`` (Longformer, UniLM)
5      the kind's reason   :attr:`~maskcli.masks.specs.Kind.blocked`: "outside the window", ...
=====  ==================  ==================================================================

Worked example, ``window:2`` over ``attention_mask = [0, 1, 1, 1]`` (left padding): key 0 is
padding (1) for every query, later keys are causality (3), and query 3 does not see key 1, which is
outside its window (5)::

    >>> from maskcli.masks.kinds import RowContext, parse_spec
    >>> from maskcli.show.analysis import mask_result
    >>> spec = parse_spec("window:2")
    >>> result = mask_result(spec.text, spec, RowContext(np.array([0, 1, 1, 1])), [""] * 4, True)
    >>> reasons(result, (0, 4), (0, 4))
    array([[1, 3, 3, 3],
           [1, 0, 3, 3],
           [1, 0, 0, 3],
           [1, 5, 0, 0]], dtype=uint8)
"""

from __future__ import annotations

import numpy as np

from maskcli.masks.spans import SpanMask
from maskcli.show.analysis import MaskResult

ATTENDS, KEY_PADDING, ANOTHER_DOCUMENT, CAUSALITY, QUERY_PADDING, KIND_REASON = range(6)
REASONS = ("attends", "key padding: the key's attention_mask is 0", "another document: packed documents do not see "
           "each other", "causality: the key comes after the query", "query padding: this kind masks padding queries")


def reason_texts(result: MaskResult) -> tuple[str, ...]:
    """The text of each code for this mask (the last one is its kind's own reason)."""
    return (*REASONS, result.spec.kind.blocked)


def attends(result: MaskResult, rows: tuple[int, int], keys: tuple[int, int]) -> np.ndarray:
    """The mask's cells of query rows ``rows`` (positions in ``panel.query_rows``) x keys ``keys``."""
    panel = result.panel
    if isinstance(panel.mask, SpanMask):
        return panel.mask.dense(rows, keys)
    return np.asarray(panel.mask, dtype=bool)[rows[0]:rows[1], keys[0]:keys[1]]


def reasons(result: MaskResult, rows: tuple[int, int], keys: tuple[int, int]) -> np.ndarray:
    """The reason code (``uint8``) of every cell of query rows ``rows`` x keys ``keys``: 0 exactly
    where the mask attends (the cells come from the mask itself), else the first reason that applies."""
    spec, ctx = result.spec, result.context
    queries = result.panel.query_rows[rows[0]:rows[1]][:, None]
    k = np.arange(*keys)[None, :]
    code = np.full((queries.shape[0], k.shape[1]), KIND_REASON, dtype=np.uint8)
    real = ctx.key_is_real
    if spec.kind.masks_padding_queries and not spec.kind.cross:
        code[~real[queries[:, 0]]] = QUERY_PADDING
    if spec.kind.causal:
        code[np.broadcast_to(k > queries, code.shape)] = CAUSALITY
    if spec.packed and ctx.packing is not None and not spec.kind.cross:
        documents = ctx.packing.documents
        code[documents[queries] != documents[k]] = ANOTHER_DOCUMENT
    if spec.padded:
        code[:, ~real[keys[0]:keys[1]]] = KEY_PADDING
    code[attends(result, rows, keys)] = ATTENDS
    return code


def run_lengths(codes: np.ndarray) -> list[list[int]]:
    """Each row of codes as ``[code, count, code, count, ...]``: a causal row of 2,000 keys is 4 numbers.

    >>> run_lengths(np.array([[0, 0, 3, 3, 3], [1, 0, 0, 0, 3]]))
    [[0, 2, 3, 3], [1, 1, 0, 3, 3, 1]]
    """
    out = []
    for row in np.asarray(codes):
        if not row.size:
            out.append([])
            continue
        starts = np.flatnonzero(np.concatenate([[True], row[1:] != row[:-1]]))
        counts = np.diff(np.append(starts, row.size))
        out.append(np.column_stack([row[starts], counts]).reshape(-1).tolist())
    return out
