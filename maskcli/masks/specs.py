"""The ``--mask SPEC`` language: a kind, its parameters, and what a kind may read about a row.

One syntax for every kind (``maskcli masks`` lists them)::

    KIND                      causal, logsparse
    KIND:VALUE                the kind's first parameter: window:3, chunk:2, bigbird:2
    KIND:KEY=VALUE,...        longformer:window=4,global=0+5   dilated:window=4,dilation=2
    KIND[:...]+packed         stay inside each packed document: window:3+packed

A list value joins its items with ``+`` (``global=0+5``, ``perm=2+1+3+0``); a bare first item
may stand for the first parameter (``longformer:4,global=0``). Only a trailing ``+packed`` is
the modifier, so lists and the modifier never clash.

A kind is either a predicate over query and key indices (``evaluate``) or, for patterns that
must stay cheap over 32k tokens, a :class:`~maskcli.masks.spans.SpanMask` per row (``span_mask``):
the dense cells are then read off the intervals, so each kind has exactly one implementation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from maskcli.errors import InputError
from maskcli.masks.packing import Packing
from maskcli.masks.spans import SpanMask

PACKED = "packed"
PADDING_PREDICATE = "attention_mask[b, kv_idx]"
ATTEND_CONVENTION = "bool: True = may attend (ANDed with the row's key padding)"
REQUIRED: Any = object()


@dataclass(frozen=True, eq=False)  # arrays: no field-wise == (identity)
class RowContext:
    """What a mask kind may read about one row.

    ``attention_mask`` covers every key (nonzero = real token, as transformers casts it to bool);
    ``packing`` is needed by ``+packed`` specs, ``block_ids`` by ``blocks``, ``seed`` by kinds
    that draw (a random XLNet order).
    """

    attention_mask: np.ndarray
    q_offset: int = 0
    packing: Packing | None = None
    block_ids: np.ndarray | None = None
    seed: int = 0

    @property
    def key_is_real(self) -> np.ndarray:
        return np.asarray(self.attention_mask) != 0

    @property
    def left_padding(self) -> int:
        """Leading pad tokens: transformers' ``(attention_mask.cumsum(-1) == 0).sum(-1)``."""
        return int(np.count_nonzero(np.cumsum(self.key_is_real) == 0))

    @property
    def length(self) -> int:
        return len(self.attention_mask)


def everything(q: np.ndarray, k: np.ndarray, ctx: RowContext, spec: Any) -> np.ndarray:
    """Every query sees every key (the padding is ANDed afterwards): encoders, cross-attention."""
    return np.ones(np.broadcast_shapes(np.shape(q), np.shape(k)), dtype=bool)


MAX_SIZE = 2**31 - 1  # sizes and positions beyond any sequence a tokenizer (usize/int32 ids) can produce


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("must be an integer") from None
    if not 1 <= value <= MAX_SIZE:
        raise ValueError(f"must be between 1 and {MAX_SIZE}")
    return value


def int_list(text: str) -> tuple[int, ...]:
    """``"0+5"`` -> ``(0, 5)``: token positions joined by ``+``."""
    try:
        values = tuple(int(part) for part in text.split("+"))
    except ValueError:
        raise ValueError("must be token positions joined by +, like 0+5") from None
    if any(not 0 <= v <= MAX_SIZE for v in values):
        raise ValueError(f"must be positions between 0 and {MAX_SIZE}")
    return values


def choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return text

    return parse


@dataclass(frozen=True)
class Param:
    """One parameter of a kind: ``name`` in specs, ``letter`` in the predicate text."""

    name: str
    parse: Callable[[str], Any]
    help: str
    letter: str | None = None
    default: Any = REQUIRED

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def form(value: Any) -> str:
    """A parameter value as spec text: lists joined by ``+``."""
    return "+".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


@dataclass(frozen=True, eq=False)  # one registry entry per kind: identity
class Kind:
    """One mask kind: parameters, predicate (as text and as code), reading, reference, convention.

    ``native`` returns the mask in the reference's own form (Longformer's 0/1/2
    ``attention_mask``, XLNet's ``perm_mask``) described by ``native_convention``. ``shown_by``
    names the command for kinds that are not a mask over a token row (Swin's image grid).
    ``blocked`` says why the pattern itself masks a cell once padding, documents and causality
    are ruled out (:mod:`maskcli.show.reasons`): "outside the window", "another chunk".
    """

    name: str
    params: tuple[Param, ...]
    predicate: str
    reading: str
    reference: str
    example: str
    evaluate: Callable[..., np.ndarray] | None = None
    span_mask: Callable[[RowContext, "MaskSpec"], SpanMask] | None = None
    can_pack: bool = True
    shift_invariant: bool = False  # spans depend only on k - q: +packed keeps the interval form (per document)
    cross: bool = False
    native: Callable[[RowContext, "MaskSpec"], np.ndarray] | None = None
    native_convention: str = ""
    shown_by: str | None = None
    blocked: str = "never (only padding masks a key)"
    lints: Callable[["MaskSpec", RowContext], list[tuple[str, str]]] | None = None  # (code, message) of a row's spec

    @property
    def causal(self) -> bool:
        """Whether the predicate holds ``kv_idx <= q_idx`` (or ``<``): a key after the query is
        masked for causality unless another clause lets it in (a prefix, an image block)."""
        return re.search(r"\bkv_idx <=? q_idx\b", self.predicate) is not None

    @property
    def masks_padding_queries(self) -> bool:
        """Whether the predicate reads the query's padding too (``attention_mask[b, q_idx]``)."""
        return "attention_mask[b, q_idx]" in self.predicate

    def predicate_text(self, values: dict[str, Any]) -> str:
        text = self.predicate
        for param in self.params:
            if param.letter and values.get(param.name) is not None:
                text = re.sub(rf"\b{param.letter}\b", form(values[param.name]), text)
        return text

    def cells(self, q: np.ndarray, k: np.ndarray, ctx: RowContext, spec: "MaskSpec") -> np.ndarray:
        """Pattern cells for query indices ``q`` (column) against key indices ``k`` (row)."""
        if self.evaluate is not None:
            return self.evaluate(q, k, ctx, spec)
        lo, hi = self.span_mask(ctx, spec).spans(np.asarray(q).reshape(-1))
        keys = np.asarray(k).reshape(1, 1, -1)
        return ((np.asarray(lo)[:, :, None] <= keys) & (keys < np.asarray(hi)[:, :, None])).any(axis=1)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "params": [{"name": p.name, "letter": p.letter, "required": p.required,
                        "default": None if p.required else p.default, "help": p.help} for p in self.params],
            "example": self.example,
            "predicate": self.predicate,
            "reading": self.reading,
            "reference": self.reference,
            "convention": self.native_convention or ATTEND_CONVENTION,
            "can_pack": self.can_pack,
            "shown_by": self.shown_by or "maskcli show --mask",
        }


@dataclass(frozen=True)
class MaskSpec:
    """A parsed ``--mask`` string; ``text`` is the key under ``masks`` in the JSON.

    ``padded=False`` leaves the row's key padding out (``show``'s bare ``causal`` grid); every
    ``--mask`` spec is padded.
    """

    text: str
    kind: Kind
    values: tuple[tuple[str, Any], ...] = ()
    packed: bool = False
    padded: bool = True

    def value(self, name: str) -> Any:
        return dict(self.values)[name]

    @property
    def size(self) -> int | None:
        """The first parameter's value (``W`` of ``window:W``, ``C`` of ``chunk:C``)."""
        return self.values[0][1] if self.values else None

    def predicate(self) -> str:
        """The full predicate, padding included, in FlexAttention ``mask_mod`` syntax."""
        base = self.kind.predicate_text(dict(self.values))
        if self.packed:
            base = f"(doc[q_idx] == doc[kv_idx]) & ({base}) at q_idx, kv_idx = pos[q_idx], pos[kv_idx]"
        return f"({base}) & {PADDING_PREDICATE}" if self.padded else base

    def describe(self, packing_source: str | None = None) -> dict:
        info = {"kind": self.kind.name, "params": {k: list(v) if isinstance(v, tuple) else v for k, v in self.values},
                "size": self.size, "packed": self.packed, "predicate": self.predicate(), "reading": self.kind.reading,
                "reference": self.kind.reference}
        if self.kind.native_convention:
            info["native_convention"] = self.kind.native_convention
        if self.packed:
            info["documents_from"] = packing_source
        return info


def parse_values(kind: Kind, text: str, rest: str | None) -> tuple[tuple[str, Any], ...]:
    """``window=4,global=0+5`` (or a bare first value) into the kind's parameter values."""
    given: dict[str, str] = {}
    if rest is not None:
        if not kind.params:
            raise InputError(f"--mask {text!r}: {kind.name} takes no parameter")
        for i, item in enumerate(rest.split(",")):
            key, eq, value = item.partition("=")
            if not eq:
                if i:
                    raise InputError(f"--mask {text!r}: write {item!r} as KEY=VALUE (e.g. {kind.example})")
                key, value = kind.params[0].name, item
            names = [p.name for p in kind.params]
            if key not in names:
                raise InputError(f"--mask {text!r}: {kind.name} has no parameter {key!r}; it takes {', '.join(names)}")
            if key in given:
                raise InputError(f"--mask {text!r}: {key} given twice")
            given[key] = value
    values = []
    for param in kind.params:
        if param.name not in given:
            if param.required:
                raise InputError(f"--mask {text!r}: {kind.name} needs its {param.letter or param.name}, e.g. {kind.example}")
            values.append((param.name, param.default))
            continue
        try:
            values.append((param.name, param.parse(given[param.name])))
        except ValueError as exc:
            raise InputError(f"--mask {text!r}: {param.name} {exc}, not {given[param.name]!r}") from None
    return tuple(values)
