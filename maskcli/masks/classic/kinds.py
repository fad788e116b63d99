"""The classic masks from the literature as ``--mask`` kinds (listed by ``maskcli masks``).

Each is built the way its reference code builds it, over the row's tokens and ANDed with the
row's key padding like every kind; the reference modules hold the worked examples:
:mod:`~maskcli.masks.classic.bert`, :mod:`~maskcli.masks.classic.unilm`, :mod:`~maskcli.masks.classic.xlnet`,
:mod:`~maskcli.masks.classic.sparse` (LogSparse, Longformer, BigBird, dilated) and
:mod:`~maskcli.masks.classic.swin` (an image grid, drawn by ``maskcli swin``).
"""

from __future__ import annotations

import numpy as np

from maskcli.masks.classic import bert, sparse, swin, unilm, xlnet
from maskcli.errors import InputError
from maskcli.masks.specs import Kind, MaskSpec, Param, RowContext, choice, everything, int_list, positive_int
from maskcli.masks.spans import SpanMask, prefix_spans


def even_int(text: str) -> int:
    value = positive_int(text)
    if value % 2:
        raise ValueError("must be even (Longformer's attention_window: W/2 keys each side)")
    return value


def positions(ctx: RowContext, spec: MaskSpec, name: str) -> list[int]:
    """A list parameter's positions, each checked to lie in the row."""
    values = sorted(set(spec.value(name) or ()))
    bad = [p for p in values if p >= ctx.length]
    if bad:
        raise InputError(f"--mask {spec.text}: {name} position {bad[0]} is outside the {ctx.length}-token row")
    return values


def longformer_mask(ctx: RowContext, spec: MaskSpec) -> np.ndarray:
    """transformers' 0/1/2 Longformer ``attention_mask``: the row's padding, 2 at the global tokens."""
    mask = ctx.key_is_real.astype(np.int64)
    chosen = positions(ctx, spec, "global")
    padded = [p for p in chosen if not mask[p]]
    if padded:
        raise InputError(f"--mask {spec.text}: global token {padded[0]} is padding")
    mask[chosen] = 2
    return mask


def bigbird_spans(ctx: RowContext, spec: MaskSpec) -> SpanMask:
    block = spec.value("block")
    if ctx.length % block:
        raise InputError(
            f"--mask {spec.text}: BigBird needs a row length that is a multiple of its block {block}, not {ctx.length} "
            f"(pad with --pad-to-multiple-of {block})"
        )
    return sparse.bigbird_token_spans(ctx.length // block, block)


def xlnet_perm_mask(ctx: RowContext, spec: MaskSpec) -> np.ndarray:
    """``perm_mask`` (1 = cannot attend) for the spec's order, else a random order from ``--seed``."""
    given = spec.value("perm")
    order = xlnet.check_order(given, ctx.length) if given else xlnet.random_order(ctx.length, ctx.seed)
    targets = None
    if spec.value("targets"):
        targets = np.zeros(ctx.length, dtype=bool)
        targets[positions(ctx, spec, "targets")] = True
    return xlnet.perm_mask(order, targets)


def xlnet_stream(q, k, ctx: RowContext, spec: MaskSpec) -> np.ndarray:
    content, query = xlnet.streams(xlnet_perm_mask(ctx, spec))
    return (content if spec.value("stream") == "content" else query)[q, k]


WINDOW = Param("window", positive_int, "keys in the window", "W")
DILATION = Param("dilation", positive_int, "spacing between keys", "D", 1)
CLASSIC_KINDS = (
    Kind(
        name="bert-mlm",
        params=(),
        predicate="True",
        reading="BERT masked LM: [MASK] tokens are attended like any token, only padding is masked; the batch's tokens are "
            "masked as the collator does (show --mlm-positions, or --mlm-probability and --seed)",
        reference=bert.REFERENCE,
        example="bert-mlm",
        evaluate=everything,
    ),
    Kind(
        name="unilm",
        params=(Param("source", positive_int, "tokens of [CLS] source [SEP]", "P"),),
        predicate="(kv_idx < P) | ((kv_idx <= q_idx) & attention_mask[b, q_idx])",
        reading="UniLM seq2seq: bidirectional source, causal target that sees all of the source; padding rows see the "
            "source only",
        reference=unilm.REFERENCE,
        example="unilm:source=4",
        span_mask=lambda ctx, spec: prefix_spans(spec.size, ctx.length, ctx.key_is_real),
        can_pack=False,
        blocked="a target key after the query",
    ),
    Kind(
        name="xlnet",
        params=(Param("perm", int_list, "factorisation order, 0-based positions", None, None),
          Param("targets", int_list, "target positions (default: all)", None, None),
          Param("stream", choice("content", "query"), "content stream h or query stream g", None, "content")),
        predicate="(rank[kv_idx] < rank[q_idx]) | ~target[kv_idx] | (content_stream & (kv_idx == q_idx))",
        reading="XLNet permutation LM: the content stream h sees keys up to its own rank, the query stream g only "
            "strictly earlier ones (no perm: a random order from --seed)",
        reference=xlnet.REFERENCE,
        example="xlnet:perm=2+1+3+0,stream=query",
        evaluate=xlnet_stream,
        can_pack=False,
        blocked="a target not earlier in the permutation order (the query stream: not itself either)",
        native=xlnet_perm_mask,
        native_convention=xlnet.PERM_CONVENTION,
    ),
    Kind(
        name="logsparse",
        params=(),
        predicate="(kv_idx == q_idx) | ((kv_idx < q_idx) & is_power_of_two(q_idx - kv_idx))",
        reading="LogSparse: self plus the keys 1, 2, 4, 8, ... back",
        reference=sparse.LOGSPARSE_REF,
        example="logsparse",
        span_mask=lambda ctx, spec: sparse.logsparse_spans(ctx.length),
        blocked="not a power of two keys back",
    ),
    Kind(
        name="longformer",
        params=(Param("window", even_int, "attention_window (W/2 keys each side)", "W"),
                        Param("global", int_list, "global token positions", None, ())),
        predicate="((abs(q_idx - kv_idx) <= W // 2) | is_global[q_idx] | is_global[kv_idx]) & attention_mask[b, q_idx]",
        reading="Longformer: sliding window of W/2 keys each side plus global tokens that see and are seen by all",
        reference=sparse.LONGFORMER_REF,
        example="longformer:window=4,global=0",
        span_mask=lambda ctx, spec: sparse.longformer_spans(longformer_mask(ctx, spec), spec.value("window")),
        can_pack=False,
        native=longformer_mask,
        native_convention=sparse.LONGFORMER_CONVENTION,
        blocked="not global and outside the window",
    ),
    Kind(
        name="bigbird",
        params=(Param("block", positive_int, "BigBird's block size", "B"),),
        predicate="(abs(q_idx // B - kv_idx // B) <= 1) | (q_idx // B in (0, last)) | (kv_idx // B in (0, last))",
        reading="BigBird block-sparse in eval mode (no random blocks): global first and last block, 3-block window; "
            "--block-size B shows the block level",
        reference=sparse.BIGBIRD_REF,
        example="bigbird:block=2",
        span_mask=bigbird_spans,
        can_pack=False,
        blocked="not global and outside the 3-block window",
    ),
    Kind(
        name="dilated",
        params=(WINDOW, DILATION),
        predicate="(kv_idx <= q_idx) & ((q_idx - kv_idx) % D == 0) & (q_idx - kv_idx < W * D)",
        reading="dilated causal sliding window: W keys, self included, spaced D apart",
        reference=sparse.DILATED_REF,
        example="dilated:window=4,dilation=2",
        span_mask=lambda ctx, spec: sparse.dilated_spans(ctx.length, spec.size, spec.value("dilation"), True),
        blocked="outside the window or between the dilated keys",
    ),
    Kind(
        name="dilated-bi",
        params=(WINDOW, DILATION),
        predicate="((q_idx - kv_idx) % D == 0) & (abs(q_idx - kv_idx) <= (W // 2) * D)",
        reading="dilated bidirectional sliding window: W/2 keys each side spaced D apart",
        reference=sparse.DILATED_REF,
        example="dilated-bi:window=4,dilation=3",
        span_mask=lambda ctx, spec: sparse.dilated_spans(ctx.length, spec.size, spec.value("dilation"), False),
        blocked="outside the window or between the dilated keys",
    ),
    Kind(
        name="swin",
        params=(Param("image", str, "H W patches", None), Param("window", str, "window M", "M"),
                  Param("shift", str, "cyclic shift S", "S")),
        predicate="(window[q] == window[kv]) & (region[q] == region[kv]) after rolling the image by -S",
        reading="Swin shifted windows over an image grid: region ids after the cyclic shift, one mask per M x M window",
        reference=swin.REFERENCE,
        example="swin",
        native_convention=swin.CONVENTION,
        shown_by="maskcli swin --image H W --window M --shift S",
        blocked="another window, or another region after the shift",
    ),
)
