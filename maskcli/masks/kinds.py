"""The mask kinds modern models use, as ``--mask SPEC`` strings, built exactly as the references do.

A SPEC is ``KIND``, ``KIND:N``, ``KIND:KEY=VALUE,...`` or any of them ``+packed`` (``packed``
alone means ``causal+packed``); the syntax is in :mod:`maskcli.masks.specs`. The classic masks from the
literature (Longformer, BigBird, XLNet, ...) are registered from :mod:`maskcli.masks.classic.kinds`.
Every kind is one predicate over query index ``q_idx`` and key index ``kv_idx``, written in
FlexAttention's ``mask_mod`` syntax (the same text is listed by ``maskcli masks`` and exported by
``--as flex-predicate``), and every built mask is ANDed with the row's key padding
``attention_mask[kv_idx]``, as transformers' ``sdpa_mask`` does (``and_masks(mask_function,
padding_mask_function(...))``): only keys are masked, never query rows.

Worked examples (N = 6, no padding, True = attend)::

    window:3          window-mistral:3   window-bi:2        chunk:2
    1 0 0 0 0 0       1 0 0 0 0 0        1 1 1 0 0 0        1 0 0 0 0 0
    1 1 0 0 0 0       1 1 0 0 0 0        1 1 1 1 0 0        1 1 0 0 0 0
    1 1 1 0 0 0       1 1 1 0 0 0        1 1 1 1 1 0        0 0 1 0 0 0
    0 1 1 1 0 0       1 1 1 1 0 0        0 1 1 1 1 1        0 0 1 1 0 0
    0 0 1 1 1 0       0 1 1 1 1 0        0 0 1 1 1 1        0 0 0 0 1 0
    0 0 0 1 1 1       0 0 1 1 1 1        0 0 0 1 1 1        0 0 0 0 1 1

``+packed`` restricts attention to the query's own document and evaluates the predicate at the
positions inside the documents (transformers' ``packed_sequence_compatibility_function``).
``q_offset`` (a KV cache) makes the queries the last ``K - q_offset`` keys, bottom-right aligned
as transformers' ``q_arange = arange(q_length) + q_offset``; ``causal-top-left`` is SDPA's
``is_causal=True``, which aligns the first query with the first key instead.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from maskcli.errors import InputError
from maskcli.masks.specs import (
    PACKED,
    PADDING_PREDICATE,
    Kind,
    MaskSpec,
    Param,
    RowContext,
    everything,
    parse_values,
    positive_int,
)
from maskcli.masks.spans import SpanMask, prefix_spans

__all__ = ["KINDS", "PACKED", "PADDING_PREDICATE", "MaskSpec", "RowContext", "build_mask", "parse_spec",
           "query_positions", "span_view"]


def _band(ctx: RowContext, before, after) -> SpanMask:
    """Row q sees ``[q - before(q), q + after + 1)``: causal, windows and chunks in one form."""
    return SpanMask(ctx.length, lambda q: ((q - before(q))[:, None], (q + after + 1)[:, None]))


def _chunk(ctx: RowContext, spec: MaskSpec) -> SpanMask:
    """Chunks start at the first real token: row q sees ``[lp + (q - lp) // C * C, q]``."""
    lp, n = ctx.left_padding, spec.size
    return _band(ctx, lambda q: q - (lp + (q - lp) // n * n), 0)


def _blocks(q, k, ctx, spec):
    if ctx.block_ids is None:
        raise InputError("mask blocks needs --block-ids (one id per token, -1 = text)")
    ids = np.asarray(ctx.block_ids)
    if len(ids) != len(ctx.attention_mask):
        raise InputError(f"--block-ids has {len(ids)} ids, but the row has {len(ctx.attention_mask)} tokens")
    return (k <= q) | ((ids[q] == ids[k]) & (ids[q] >= 0))


def _size(letter: str, what: str) -> tuple[Param, ...]:
    return (Param("size", positive_int, what, letter),)


def _no_effect(reach: Callable[[int], int]) -> Callable[[MaskSpec, RowContext], list[tuple[str, str]]]:
    """``window-no-effect`` when the window reaches every key of the row (``reach(L)`` keys back)."""
    def lints(spec: MaskSpec, ctx: RowContext) -> list[tuple[str, str]]:
        if spec.size < reach(ctx.length):
            return []
        return [("window-no-effect", f"the window is not smaller than the {ctx.length}-token row, so it has no effect")]

    return lints


def _chunk_lints(spec: MaskSpec, ctx: RowContext) -> list[tuple[str, str]]:
    """``chunk-shifted``: left padding moves the boundaries (chunks start at the first real token)."""
    lp, size = ctx.left_padding, spec.size
    if not lp % size:
        return []
    return [("chunk-shifted", f"{lp} left pad tokens shift the chunk boundaries to {lp}, {lp + size}, ... "
                              f"(chunks start at the first real token), not multiples of {size} from index 0")]


TRANSFORMERS = "transformers masking_utils"
CORE_KINDS = (
    Kind(
        name="causal",
        params=(),
        predicate="kv_idx <= q_idx",
        reading="decoder: each query sees itself and earlier keys",
        reference=f"{TRANSFORMERS} causal_mask_function",
        example="causal",
        span_mask=lambda ctx, spec: _band(ctx, lambda q: q, 0),
        shift_invariant=True,
        blocked="after the query",
    ),
    Kind(
        name="bidirectional",
        params=(),
        predicate="True",
        reading="encoder: every query sees every real key (padding only)",
        reference="transformers create_bidirectional_mask (BERT and other encoders)",
        example="bidirectional",
        span_mask=lambda ctx, spec: _band(ctx, lambda q: q, ctx.length),
    ),
    Kind(
        name="window",
        params=_size("W", "keys per query, self included"),
        predicate="(kv_idx <= q_idx) & (kv_idx > q_idx - W)",
        reading="sliding window: W keys including self",
        reference=f"{TRANSFORMERS} sliding_window_causal_mask_function",
        example="window:4",
        span_mask=lambda ctx, spec: _band(ctx, lambda q: spec.size - 1, 0),
        shift_invariant=True,
        blocked="outside the window (W keys back, self included)",
        lints=_no_effect(lambda length: length),
    ),
    Kind(
        name="window-mistral",
        params=_size("W", "keys back besides self"),
        predicate="(kv_idx <= q_idx) & (kv_idx >= q_idx - W)",
        reading="sliding window, Mistral's reading: W+1 keys including self",
        reference="Mistral reference triu(tril, diagonal=-W)",
        example="window-mistral:4",
        span_mask=lambda ctx, spec: _band(ctx, lambda q: spec.size, 0),
        shift_invariant=True,
        blocked="outside the window (more than W keys back)",
        lints=_no_effect(lambda length: length - 1),
    ),
    Kind(
        name="window-bi",
        params=_size("W", "keys each side"),
        predicate="abs(q_idx - kv_idx) <= W",
        reading="bidirectional sliding window: |q-kv| <= W",
        reference=f"{TRANSFORMERS} sliding_window_bidirectional_mask_function "
            "(ModernBERT style)",
        example="window-bi:2",
        span_mask=lambda ctx, spec: _band(ctx, lambda q: spec.size, spec.size),
        shift_invariant=True,
        blocked="outside the window (more than W keys away)",
        lints=_no_effect(lambda length: length - 1),
    ),
    Kind(
        name="chunk",
        params=_size("C", "tokens per chunk"),
        predicate="(kv_idx <= q_idx) & ((kv_idx - left_pad) // C == (q_idx - left_pad) // C)",
        reading="chunked causal: chunks of C start at the first real token",
        reference=f"{TRANSFORMERS} chunked_causal_mask_function "
            "(Llama 4)",
        example="chunk:2",
        span_mask=_chunk,
        blocked="another chunk",
        lints=_chunk_lints,
    ),
    Kind(
        name="prefix",
        params=_size("P", "prefix tokens seen both ways"),
        predicate="(kv_idx < P) | (kv_idx <= q_idx)",
        reading="prefix LM: bidirectional over the first P tokens, causal after",
        reference="attention-gym prefix_lm (prefix LM)",
        example="prefix:3",
        span_mask=lambda ctx, spec: prefix_spans(spec.size, ctx.length),
        blocked="after the query, outside the prefix",
    ),
    Kind(
        name="blocks",
        params=(),
        predicate="(kv_idx <= q_idx) | ((block[q_idx] == block[kv_idx]) & (block[q_idx] >= 0))",
        reading="causal OR bidirectional inside each image block (--block-ids)",
        reference=f"{TRANSFORMERS} blockwise_overlay",
        example="blocks",
        evaluate=_blocks,
        can_pack=False,
        blocked="after the query, outside its image block",
    ),
    Kind(
        name="causal-top-left",
        params=(),
        predicate="kv_idx <= q_idx - q_offset",
        reading="query i sees keys 0..i (top-left aligned)",
        reference="torch SDPA is_causal=True",
        example="causal-top-left",
        evaluate=lambda q, k, ctx, spec: k <= q - ctx.q_offset,
        can_pack=False,
        blocked="after the top-left diagonal (query i sees keys 0..i)",
    ),
    Kind(
        name="cross",
        params=(Param("queries", positive_int, "decoder queries", "T"),),
        predicate="True",
        reading="cross-attention: T decoder queries over this row as encoder keys",
        reference="transformers create_bidirectional_mask with encoder_hidden_states",
        example="cross:3",
        evaluate=everything,
        can_pack=False,
        cross=True,
    ),
)
CORE: dict[str, Kind] = {kind.name: kind for kind in CORE_KINDS}


def all_kinds() -> dict[str, Kind]:
    """The core kinds, then the classic ones (:mod:`maskcli.masks.classic.kinds`, imported on first
    use: a ``show`` without ``--mask`` needs only ``causal`` and ``bidirectional``)."""
    if "KINDS" not in globals():
        from maskcli.masks.classic.kinds import CLASSIC_KINDS

        globals()["KINDS"] = {**CORE, **{kind.name: kind for kind in CLASSIC_KINDS}}
    return globals()["KINDS"]


def __getattr__(name: str) -> dict[str, Kind]:
    """``KINDS`` (every kind by name), built by :func:`all_kinds` when first imported."""
    if name == "KINDS":
        return all_kinds()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def packed_description() -> dict:
    """``packed`` as ``maskcli masks`` lists it: the spec ``causal+packed`` under its own name."""
    return {
        "name": PACKED, "params": [], "example": PACKED,
        "predicate": "(doc[q_idx] == doc[kv_idx]) & (pos[kv_idx] <= pos[q_idx])",
        "reading": "causal+packed: block-diagonal causal over documents (position_ids resets, --doc-lengths, or EOS)",
        "reference": "transformers packed_sequence_compatibility_function",
        "convention": CORE["causal"].describe()["convention"], "can_pack": False, "shown_by": "maskcli show --mask",
    }


def parse_spec(text: str) -> MaskSpec:
    """``window:3`` -> window of 3; ``chunk:2+packed``; ``packed`` = ``causal+packed``;
    ``longformer:window=4,global=0+5``."""
    raw = text.strip()
    base, packed = raw, False
    if raw == PACKED:
        base, packed = "causal", True
    elif raw.endswith("+" + PACKED):
        base, packed = raw[: -len(PACKED) - 1], True
    name, colon, rest = base.partition(":")
    if "+" in name:
        raise InputError(f"--mask {text!r}: the only modifier is +packed (e.g. window:3+packed)")
    kinds = all_kinds()
    kind = kinds.get(name)
    if kind is None:
        raise InputError(f"--mask {text!r}: unknown kind {name!r}; known: {', '.join([*kinds, PACKED])} (see maskcli masks)")
    if kind.shown_by:
        raise InputError(f"--mask {text!r}: {name} is not a mask over a token row; use {kind.shown_by}")
    values = parse_values(kind, text, rest if colon else None)
    if packed and not kind.can_pack:
        raise InputError(f"--mask {text!r}: {name} cannot be combined with +packed")
    return MaskSpec(text=raw, kind=kind, values=values, packed=packed)


DENSE_CELLS = 2**26  # cells of one matrix built whole (an 8192 x 8192 mask): by a kind without spans, for an output


def query_positions(spec: MaskSpec, ctx: RowContext) -> np.ndarray:
    """The index each row of :func:`build_mask` stands for (for row labels)."""
    if spec.kind.cross:
        return np.arange(spec.size or 0)
    return np.arange(ctx.q_offset, len(ctx.attention_mask))


def build_mask(spec: MaskSpec, ctx: RowContext) -> np.ndarray:
    """The boolean ``(Q, K)`` mask of one row, ANDed with its key padding (unless ``spec.padded`` is False).

    ``Q = K - q_offset`` (queries are the last keys), or ``T`` for ``cross:T``.

    >>> build_mask(parse_spec("chunk:2"), RowContext(np.array([0, 1, 1, 1, 1, 1]))).astype(int)
    array([[0, 0, 0, 0, 0, 0],
           [0, 1, 0, 0, 0, 0],
           [0, 1, 1, 0, 0, 0],
           [0, 0, 0, 1, 0, 0],
           [0, 0, 0, 1, 1, 0],
           [0, 0, 0, 0, 0, 1]])
    """
    length = len(ctx.attention_mask)
    if not 0 <= ctx.q_offset <= length:
        raise InputError(f"--q-offset {ctx.q_offset} must be between 0 and the row length {length}")
    keys = np.arange(length)[None, :]
    queries = query_positions(spec, ctx)[:, None]
    if queries.size * length > DENSE_CELLS:
        raise InputError(f"--mask {spec.text}: {spec.kind.name} is built as the whole {queries.size:,} x {length:,} "
                         f"matrix of a row, more than {DENSE_CELLS:,} cells; shorten the rows (--max-length)")
    if spec.packed:
        if ctx.packing is None:
            raise InputError(
                f"--mask {spec.text}: no documents to pack; give --doc-lengths, position_ids, or a tokenizer with an EOS"
            )
        docs, pos = ctx.packing.documents, ctx.packing.positions
        pattern = (docs[queries] == docs[keys]) & spec.kind.cells(pos[queries], pos[keys], ctx, spec)
    else:
        pattern = spec.kind.cells(queries, keys, ctx, spec)
    pattern = np.asarray(pattern, dtype=bool)
    return pattern & ctx.key_is_real[None, :] if spec.padded else pattern


def span_view(spec: MaskSpec, ctx: RowContext) -> SpanMask | None:
    """The row's mask as key intervals (padding included) when the kind has that form and the
    queries are the keys (no ``--q-offset``; ``+packed`` only for kinds whose pattern depends on
    ``k - q`` alone): block views of 32k tokens then never build the ``L x L`` matrix."""
    if spec.kind.span_mask is None or ctx.q_offset or (spec.packed and not spec.kind.shift_invariant):
        return None
    spans = spec.kind.span_mask(ctx, spec).spans
    if spec.packed:
        if ctx.packing is None:
            return None  # build_mask names what is missing
        spans = per_document(spans, ctx.packing.documents)
    return SpanMask(ctx.length, spans, key_valid=ctx.key_is_real if spec.padded else None)


def per_document(spans, documents: np.ndarray):
    """A shift-invariant pattern inside each document: query ``q`` of a document starting at ``s``
    and ending before ``e`` gets the pattern's intervals of ``q - s``, moved by ``s`` and cut to ``[s, e)``.

    >>> causal = CORE["causal"].span_mask(RowContext(np.ones(5)), parse_spec("causal")).spans
    >>> SpanMask(5, per_document(causal, np.array([0, 0, 0, 1, 1]))).dense().astype(int).tolist()
    [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 1, 1]]
    """
    documents = np.asarray(documents)
    starts = np.flatnonzero(np.diff(documents, prepend=documents[:1] - 1) != 0)
    run = np.searchsorted(starts, np.arange(len(documents)), side="right") - 1  # each token's document run
    first, last = starts[run], np.append(starts[1:], len(documents))[run]

    def inside(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        begin, end = first[q][:, None], last[q][:, None]
        lo, hi = spans(q - first[q])
        return np.clip(np.asarray(lo) + begin, begin, end), np.clip(np.asarray(hi) + begin, begin, end)

    return inside
