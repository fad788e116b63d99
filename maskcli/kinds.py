"""The mask kinds modern models use, as ``--mask SPEC`` strings, built exactly as the references do.

A SPEC is ``KIND``, ``KIND:N`` or ``KIND[:N]+packed`` (``packed`` alone means ``causal+packed``).
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
from dataclasses import dataclass

import numpy as np

from maskcli.errors import InputError
from maskcli.packing import Packing

PACKED = "packed"


@dataclass(frozen=True)
class RowContext:
    """What a mask kind may read about one row.

    ``attention_mask`` covers every key (nonzero = real token, as transformers casts it to bool);
    ``packing`` is needed by ``+packed`` specs, ``block_ids`` by ``blocks``.
    """

    attention_mask: np.ndarray
    q_offset: int = 0
    packing: Packing | None = None
    block_ids: np.ndarray | None = None

    @property
    def key_is_real(self) -> np.ndarray:
        return np.asarray(self.attention_mask) != 0

    @property
    def left_padding(self) -> int:
        """Leading pad tokens: transformers' ``(attention_mask.cumsum(-1) == 0).sum(-1)``."""
        return int(np.count_nonzero(np.cumsum(self.key_is_real) == 0))


Predicate = Callable[[np.ndarray, np.ndarray, RowContext, int], np.ndarray]


@dataclass(frozen=True)
class Kind:
    """One mask kind: its parameter (if any), its predicate as text and as code, and its source."""

    name: str
    param: str | None
    predicate: str
    reading: str
    evaluate: Predicate
    can_pack: bool = True
    cross: bool = False

    def predicate_text(self, size: int | None) -> str:
        return self.predicate.replace(self.param, str(size)) if self.param and size is not None else self.predicate


def _causal(q, k, ctx, n):
    return k <= q


def _chunk(q, k, ctx, n):
    lp = ctx.left_padding
    return (k <= q) & ((k - lp) // n == (q - lp) // n)


def _blocks(q, k, ctx, n):
    if ctx.block_ids is None:
        raise InputError("mask blocks needs --block-ids (one id per token, -1 = text)")
    ids = np.asarray(ctx.block_ids)
    if len(ids) != len(ctx.attention_mask):
        raise InputError(f"--block-ids has {len(ids)} ids, but the row has {len(ctx.attention_mask)} tokens")
    return (k <= q) | ((ids[q] == ids[k]) & (ids[q] >= 0))


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("causal", None, "kv_idx <= q_idx", "transformers causal_mask_function", _causal),
        Kind(
            "bidirectional", None, "True", "encoder / BERT (create_bidirectional_mask): padding only",
            lambda q, k, ctx, n: np.ones(np.broadcast_shapes(q.shape, k.shape), dtype=bool),
        ),
        Kind(
            "window", "W", "(kv_idx <= q_idx) & (kv_idx > q_idx - W)",
            "transformers sliding_window_causal_mask_function: W keys including self",
            lambda q, k, ctx, n: (k <= q) & (k > q - n),
        ),
        Kind(
            "window-mistral", "W", "(kv_idx <= q_idx) & (kv_idx >= q_idx - W)",
            "Mistral reference triu(tril, diagonal=-W): W+1 keys including self",
            lambda q, k, ctx, n: (k <= q) & (k >= q - n),
        ),
        Kind(
            "window-bi", "W", "abs(q_idx - kv_idx) <= W",
            "transformers sliding_window_bidirectional_mask_function (ModernBERT style): |q-kv| <= W",
            lambda q, k, ctx, n: np.abs(q - k) <= n,
        ),
        Kind(
            "chunk", "C", "(kv_idx <= q_idx) & ((kv_idx - left_pad) // C == (q_idx - left_pad) // C)",
            "transformers chunked_causal_mask_function (Llama 4): chunks start at the first real token",
            _chunk,
        ),
        Kind(
            "prefix", "P", "(kv_idx < P) | (kv_idx <= q_idx)",
            "prefix LM (UniLM, attention-gym prefix_lm): bidirectional over the first P tokens, causal after",
            lambda q, k, ctx, n: (k < n) | (k <= q),
        ),
        Kind(
            "blocks", None, "(kv_idx <= q_idx) | ((block[q_idx] == block[kv_idx]) & (block[q_idx] >= 0))",
            "transformers blockwise_overlay OR causal (image tokens, --block-ids)",
            _blocks,
            can_pack=False,
        ),
        Kind(
            "causal-top-left", None, "kv_idx <= q_idx - q_offset",
            "torch SDPA is_causal=True: top-left aligned, query i sees keys 0..i",
            lambda q, k, ctx, n: k <= q - ctx.q_offset,
            can_pack=False,
        ),
        Kind(
            "cross", "T", "True",
            "cross-attention (create_bidirectional_mask with encoder_hidden_states): T decoder queries "
            "over this row as encoder keys",
            lambda q, k, ctx, n: np.ones(np.broadcast_shapes(q.shape, k.shape), dtype=bool),
            can_pack=False,
            cross=True,
        ),
    )
}
PADDING_PREDICATE = "attention_mask[b, kv_idx]"


@dataclass(frozen=True)
class MaskSpec:
    """A parsed ``--mask`` string; ``text`` is the key under ``masks`` in the JSON."""

    text: str
    kind: Kind
    size: int | None = None
    packed: bool = False

    def predicate(self) -> str:
        """The full predicate, padding included, in FlexAttention ``mask_mod`` syntax."""
        base = self.kind.predicate_text(self.size)
        if self.packed:
            base = f"(doc[q_idx] == doc[kv_idx]) & ({base}) at q_idx, kv_idx = pos[q_idx], pos[kv_idx]"
        return f"({base}) & {PADDING_PREDICATE}"

    def describe(self, packing_source: str | None = None) -> dict:
        info = {"kind": self.kind.name, "size": self.size, "packed": self.packed, "predicate": self.predicate(),
                "reading": self.kind.reading}
        if self.packed:
            info["documents_from"] = packing_source
        return info


def parse_spec(text: str) -> MaskSpec:
    """``window:3`` -> window of 3; ``chunk:2+packed``; ``packed`` = ``causal+packed``."""
    raw = text.strip()
    base, plus, modifier = raw.partition("+")
    if plus and modifier != PACKED:
        raise InputError(f"--mask {text!r}: the only modifier is +packed (e.g. window:3+packed)")
    packed = bool(plus)
    if base == PACKED and not plus:
        base, packed = "causal", True
    name, colon, value = base.partition(":")
    kind = KINDS.get(name)
    if kind is None:
        raise InputError(f"--mask {text!r}: unknown kind {name!r}; known: {', '.join([*KINDS, PACKED])} (see maskcli masks)")
    size = None
    if kind.param:
        if not colon:
            raise InputError(f"--mask {text!r}: {name} needs its {kind.param}, e.g. {name}:4")
        try:
            size = int(value)
        except ValueError:
            raise InputError(f"--mask {text!r}: {kind.param} must be an integer, not {value!r}") from None
        if size < 1:
            raise InputError(f"--mask {text!r}: {kind.param} must be at least 1")
    elif colon:
        raise InputError(f"--mask {text!r}: {name} takes no parameter")
    if packed and not kind.can_pack:
        raise InputError(f"--mask {text!r}: {name} cannot be combined with +packed")
    return MaskSpec(text=raw, kind=kind, size=size, packed=packed)


def build_mask(spec: MaskSpec, ctx: RowContext) -> np.ndarray:
    """The boolean ``(Q, K)`` mask of one row, ANDed with its key padding.

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
    if spec.kind.cross:
        queries = np.arange(spec.size or 0)[:, None]
    else:
        queries = np.arange(ctx.q_offset, length)[:, None]
    if spec.packed:
        if ctx.packing is None:
            raise InputError(
                f"--mask {spec.text}: no documents to pack; give --doc-lengths, position_ids, or a tokenizer with an EOS"
            )
        docs, pos = ctx.packing.documents, ctx.packing.positions
        pattern = (docs[queries] == docs[keys]) & spec.kind.evaluate(pos[queries], pos[keys], ctx, spec.size)
    else:
        pattern = spec.kind.evaluate(queries, keys, ctx, spec.size)
    return np.asarray(pattern, dtype=bool) & ctx.key_is_real[None, :]


def query_positions(spec: MaskSpec, ctx: RowContext) -> np.ndarray:
    """The index each row of :func:`build_mask` stands for (for row labels)."""
    if spec.kind.cross:
        return np.arange(spec.size or 0)
    return np.arange(ctx.q_offset, len(ctx.attention_mask))
