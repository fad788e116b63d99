"""The classic attention masks from the literature, built exactly as their reference code does.

:data:`CLASSIC_KINDS` names every kind with its one-line reading; :func:`build` turns a
:class:`ClassicRequest` (the options of ``maskcli classic``) and the positions' labels into a
:class:`~maskcli.classic.base.ClassicMask`. Tokenization happens before (CLI glue); the
BERT and UniLM kinds take their already-encoded rows through :class:`EncodedRows`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from maskcli.classic import bert, sparse, swin, unilm, xlnet
from maskcli.classic.base import ClassicMask, parse_positions
from maskcli.errors import InputError

CLASSIC_KINDS: dict[str, str] = {
    "bert-mlm": "BERT masked LM: [MASK] chosen as DataCollatorForLanguageModeling does (80/10/10); padding-only mask",
    "unilm": "UniLM seq2seq: bidirectional source, causal target that sees all of the source (text pair)",
    "xlnet": "XLNet permutation LM: content stream h, query stream g, perm_mask (1 = cannot attend)",
    "swin": "Swin shifted windows: region ids after the cyclic shift, per-window additive 0 / -100 masks",
    "logsparse": "LogSparse (Li et al. 2019): self plus keys 1, 2, 4, 8, ... back",
    "longformer": "Longformer: sliding window W (W/2 each side) plus global tokens; transformers' 0/1/2 mask",
    "bigbird": "BigBird block-sparse, eval mode (no random blocks): block level and token level",
    "dilated": "dilated sliding window: W keys spaced D apart (causal or bidirectional)",
}


@dataclass(frozen=True)
class EncodedRows:
    """A tokenized batch for the kinds that need token ids (BERT, UniLM)."""

    input_ids: np.ndarray  # (B, L)
    attention_mask: np.ndarray  # (B, L)
    special_tokens_mask: np.ndarray  # (B, L)
    tokens: list[list[str]]
    token_of: Callable[[np.ndarray], list[str]]  # ids -> token strings (convert_ids_to_tokens)
    sequence_ids: list[list[int | None]] | None = None  # pairs (UniLM)


@dataclass(frozen=True)
class ClassicRequest:
    """Every option a classic kind may read; each kind ignores the others."""

    kind: str
    length: int | None = None
    window: int | None = None
    global_tokens: str | None = None
    dilation: int = 1
    causal: bool = True
    bigbird_block: int = 2
    perm: str | None = None
    targets: str | None = None
    seed: int = 0
    image: tuple[int, int] | None = None
    shift: int | None = None
    mlm_positions: str | None = None
    mlm_probability: float | None = None
    rng: str = "numpy"
    row: int = 0


def check_kind(kind: str) -> str:
    if kind not in CLASSIC_KINDS:
        raise InputError(f"unknown classic mask {kind!r}; known: {', '.join(CLASSIC_KINDS)}")
    return kind


def need(value, option: str, kind: str):
    if value is None:
        raise InputError(f"{kind} needs {option}")
    return value


def build(
    request: ClassicRequest,
    labels: Sequence[str],
    encoded: EncodedRows | None = None,
    mask_token_id: int | None = None,
    vocab_size: int = 0,
) -> ClassicMask:
    """One classic mask over positions labelled ``labels`` (ignored by Swin, which labels patches)."""
    kind = check_kind(request.kind)
    if kind == "swin":
        height, width = need(request.image, "--image H W", kind)
        return swin.swin_shifted(height, width, need(request.window, "--window M", kind), need(request.shift, "--shift S", kind))
    if kind in ("bert-mlm", "unilm"):
        return _from_encoded(request, need(encoded, "TEXT to tokenize", kind), mask_token_id, vocab_size)
    if not labels:
        raise InputError(f"{kind} needs positions: give TEXT or --length N")
    if kind == "logsparse":
        return sparse.logsparse(labels)
    if kind == "dilated":
        return sparse.dilated(labels, need(request.window, "--window W", kind), request.dilation, request.causal)
    if kind == "longformer":
        mask = np.ones(len(labels), dtype=np.int64)
        if request.global_tokens:
            mask[parse_positions(request.global_tokens, len(labels), "--global")] = 2
        return sparse.longformer(labels, mask, need(request.window, "--window W", kind))
    if kind == "bigbird":
        block = request.bigbird_block
        if block < 1 or len(labels) % block:
            raise InputError(f"BigBird needs a length that is a multiple of --bigbird-block {block}, got {len(labels)}")
        return sparse.bigbird(len(labels) // block, block, labels)
    # xlnet
    if request.perm:
        order = parse_order(request.perm)
    else:
        order = xlnet.random_order(len(labels), request.seed)
    targets = None
    if request.targets:
        targets = np.zeros(len(labels), dtype=bool)
        targets[parse_positions(request.targets, len(labels), "--targets")] = True
    return xlnet.xlnet_permutation(labels, order, targets)


def parse_order(value: str) -> list[int]:
    try:
        return [int(p) for p in value.replace("->", ",").split(",") if p.strip()]
    except ValueError:
        raise InputError(f"--perm must list 0-based positions in factorisation order, like 2,1,3,0; not {value!r}") from None


def _from_encoded(request: ClassicRequest, encoded: EncodedRows, mask_token_id: int | None, vocab_size: int) -> ClassicMask:
    row = request.row
    if not 0 <= row < len(encoded.tokens):
        raise InputError(f"--row {row}: the batch has {len(encoded.tokens)} row(s)")
    if request.kind == "unilm":
        prefix, end = unilm.pair_bounds(encoded.sequence_ids[row] if encoded.sequence_ids else [], encoded.attention_mask[row])
        return unilm.unilm_seq2seq(encoded.tokens[row], prefix, end)
    if mask_token_id is None:
        raise InputError("bert-mlm needs a tokenizer with a mask token (see --mask-token)")
    if request.mlm_positions is not None:
        positions = parse_positions(request.mlm_positions, encoded.input_ids.shape[1], "--mlm-positions")
        never = np.flatnonzero(encoded.special_tokens_mask[row] != 0).tolist()
        if set(positions) & set(never):
            raise InputError(
                f"--mlm-positions {sorted(set(positions) & set(never))}: special tokens and padding are never chosen "
                "by the collator"
            )
        batch = bert.mlm_at_positions(encoded.input_ids, positions, mask_token_id)
    else:
        batch = bert.mlm_mask_tokens(
            encoded.input_ids, encoded.special_tokens_mask, mask_token_id, vocab_size,
            mlm_probability=0.15 if request.mlm_probability is None else request.mlm_probability,
            seed=request.seed, backend=request.rng,
        )
    return bert.bert_mlm(encoded.token_of(batch.input_ids[row]), encoded.attention_mask[row], batch, row)
