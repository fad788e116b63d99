"""Encoding texts exactly as transformers' fast tokenizer ``__call__`` does.

transformers resolves ``padding``/``truncation``/``max_length`` into strategies
(``_get_padding_truncation_strategies``), configures the Rust tokenizer with them
(``set_truncation_and_padding``) and calls ``encode_batch``. :func:`encode_texts` does the same
three steps on the same Rust object (``encode_batch_fast``: the same encodings without character
offsets), so ids and ``attention_mask`` are identical by construction,
and ``tests/test_encoding_oracle.py`` checks it against transformers for every option.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from maskcli.data.choices import PADDINGS, SIDES
from maskcli.errors import InputError
from maskcli.data.records import Row, Source
from maskcli.masks.specs import MAX_SIZE as MAX_LENGTH
from maskcli.data.tokenizer import NO_MAX_LENGTH, TokenizerHandle, pad_token_hint
from maskcli.wording import counted



@dataclass(frozen=True)
class EncodeSettings:
    """The options of a tokenizer ``__call__`` that maskcli mirrors.

    ``truncation=None`` means "not given": as in transformers, ``max_length`` alone with no
    padding then turns truncation on.
    """

    padding: str = "longest"
    max_length: int | None = None
    truncation: bool | None = None
    padding_side: str | None = None
    pad_to_multiple_of: int | None = None
    add_special_tokens: bool = True


@dataclass(frozen=True)
class ResolvedSettings:
    """What transformers actually does with an :class:`EncodeSettings` (reported in the JSON)."""

    padding: str
    max_length: int | None
    truncation: bool
    padding_side: str
    pad_to_multiple_of: int | None
    add_special_tokens: bool

    def describe(self) -> dict:
        return {
            "padding": self.padding,
            "max_length": self.max_length,
            "truncation": self.truncation,
            "padding_side": self.padding_side,
            "pad_to_multiple_of": self.pad_to_multiple_of,
            "add_special_tokens": self.add_special_tokens,
        }


def resolve_settings(tok: TokenizerHandle, settings: EncodeSettings) -> ResolvedSettings:
    """transformers' ``_get_padding_truncation_strategies``, with maskcli's error messages."""
    if settings.padding not in PADDINGS:
        raise InputError(f"--padding must be one of {', '.join(PADDINGS)}, not {settings.padding!r}")
    if settings.padding_side is not None and settings.padding_side not in SIDES:
        raise InputError(f"--padding-side must be left or right, not {settings.padding_side!r}")
    for name, value in (("--max-length", settings.max_length), ("--pad-to-multiple-of", settings.pad_to_multiple_of)):
        if value is not None and not 1 <= value <= MAX_LENGTH:
            raise InputError(f"{name} must be between 1 and {MAX_LENGTH}, not {value}")
    padding, max_length, truncation = settings.padding, settings.max_length, settings.truncation
    if max_length is not None and padding == "none" and truncation is None:
        truncation = True  # transformers: "If you only set max_length, it activates truncation"
    truncation = bool(truncation)
    if max_length is None:
        if padding == "max_length":
            if tok.model_max_length >= NO_MAX_LENGTH:
                padding = "none"
            else:
                max_length = tok.model_max_length
        if truncation:
            if tok.model_max_length >= NO_MAX_LENGTH:
                truncation = False
            else:
                max_length = tok.model_max_length
    if truncation and padding != "none" and settings.pad_to_multiple_of and max_length is not None:
        if max_length % settings.pad_to_multiple_of:
            raise InputError(
                f"truncation length {max_length} is not a multiple of --pad-to-multiple-of "
                f"{settings.pad_to_multiple_of}"
            )
    if truncation and settings.add_special_tokens and tok.backend.post_processor is not None:
        special = tok.backend.post_processor.num_special_tokens_to_add(False)
        if max_length is not None and max_length < special:
            raise InputError(
                f"--max-length {max_length} is smaller than the {special} special tokens {tok.name} adds "
                "to every sequence"
            )
    return ResolvedSettings(
        padding=padding,
        max_length=max_length,
        truncation=truncation,
        padding_side=settings.padding_side or tok.padding_side,
        pad_to_multiple_of=settings.pad_to_multiple_of,
        add_special_tokens=settings.add_special_tokens,
    )


def padded_length(lengths: Sequence[int], resolved: ResolvedSettings) -> int:
    """The length every row of a batch is padded to (rows longer than max_length stay longer)."""
    longest = max(lengths, default=0)
    if resolved.padding == "none":
        return longest
    target = resolved.max_length if resolved.padding == "max_length" and resolved.max_length else longest
    multiple = resolved.pad_to_multiple_of
    if multiple and target % multiple:
        target += multiple - target % multiple
    return target


MAX_BATCH_TOKENS = 2**22  # tokens one batch may be padded to in all: about 1 GB through tokenizers and maskcli


def check_padded_size(resolved: ResolvedSettings, rows: int) -> None:
    """Refuse, before encoding, padding that alone would exceed :data:`MAX_BATCH_TOKENS` (the Rust
    tokenizer allocates every pad token: ``--max-length 200000000`` took 18 GB)."""
    if resolved.padding == "none" or not rows:
        return
    least = resolved.max_length if resolved.padding == "max_length" and resolved.max_length else 1
    multiple = resolved.pad_to_multiple_of
    if multiple:
        least = -(-least // multiple) * multiple
    if least * rows <= MAX_BATCH_TOKENS:
        return
    if multiple and least == multiple:
        cause, fix = f"--pad-to-multiple-of {multiple}", "use a smaller --pad-to-multiple-of"
    else:
        cause, fix = f"--padding max_length (max_length {resolved.max_length})", "use a smaller --max-length or --padding longest"
    raise InputError(f"{cause} pads {counted(rows, 'row')} to {least:,} tokens each, more than the "
                     f"{MAX_BATCH_TOKENS:,} tokens maskcli pads one batch to; {fix}")


def configure_backend(tok: TokenizerHandle, resolved: ResolvedSettings) -> None:
    """transformers' ``set_truncation_and_padding`` on the Rust tokenizer."""
    backend = tok.backend
    if resolved.truncation:
        backend.enable_truncation(
            max_length=resolved.max_length, stride=0, strategy="longest_first", direction=tok.truncation_side
        )
    else:
        backend.no_truncation()
    if resolved.padding == "none":
        backend.no_padding()
    else:
        backend.enable_padding(
            length=resolved.max_length if resolved.padding == "max_length" else None,
            direction=resolved.padding_side,
            pad_id=tok.pad_token_id,
            pad_token=tok.pad_token,
            pad_type_id=tok.pad_token_type_id,
            pad_to_multiple_of=resolved.pad_to_multiple_of,
        )
    if backend.encode_special_tokens != tok.split_special_tokens:
        backend.encode_special_tokens = tok.split_special_tokens


def encode_texts(
    tok: TokenizerHandle,
    texts: Sequence[str],
    settings: EncodeSettings,
    sources: Sequence[Source] | None = None,
    shape: str | Sequence[str] = "text",
) -> tuple[ResolvedSettings, list[Row]]:
    """Tokenize one batch as ``tokenizer(texts, padding=..., truncation=..., ...)`` would.

    ``shape`` names the record shape of every row, or of each row when a sequence.

    >>> from maskcli.data.tokenizer import load_tokenizer
    >>> gpt2 = load_tokenizer("gpt2", pad_token="eos")
    >>> _, rows = encode_texts(gpt2, ["Hello world", "Hi"], EncodeSettings(padding_side="left"))
    >>> [r.input_ids.tolist() for r in rows], [r.attention_mask.tolist() for r in rows]
    ([[15496, 995], [50256, 17250]], [[1, 1], [0, 1]])
    """
    resolved, encodings = tokenize(tok, texts, settings)
    return resolved, encodings_to_rows(tok, resolved, texts, encodings, sources, shape)


def tokenize(tok: TokenizerHandle, texts: Sequence[str], settings: EncodeSettings) -> tuple[ResolvedSettings, list]:
    """The Rust half of :func:`encode_texts`: resolve, configure and encode (``tokenizers.Encoding`` objects).

    It holds the GIL only briefly (``encode_batch_fast`` releases it), so ``check`` runs it in a
    thread of its own while other threads read records and check rows.
    """
    resolved = resolve_settings(tok, settings)
    check_padded_size(resolved, len(texts))
    # transformers refuses to pad without a pad token even when nothing needs padding;
    # maskcli encodes unpadded then and refuses only when some row really would get pad tokens.
    no_pad_token = resolved.padding != "none" and tok.pad_token_id is None
    configure_backend(tok, dataclasses.replace(resolved, padding="none") if no_pad_token else resolved)
    encodings = tok.backend.encode_batch_fast(list(texts), add_special_tokens=resolved.add_special_tokens)
    if no_pad_token:
        lengths = [len(enc) for enc in encodings]
        if any(length < padded_length(lengths, resolved) for length in lengths):
            hint = pad_token_hint(tok)
            beware = (" Beware: with pad = eos, common collators set the labels of every pad-id token to -100, "
                      "the real EOS included, so the model never learns to stop") if hint.endswith(" eos") else ""
            raise InputError(
                f"padding is needed but tokenizer {tok.name} has no pad token; choose one with "
                f"--pad-token (e.g. {hint}), or use --padding none.{beware}"
            )
    return resolved, encodings


def encodings_to_rows(
    tok: TokenizerHandle,
    resolved: ResolvedSettings,
    texts: Sequence[str],
    encodings: Sequence,
    sources: Sequence[Source] | None = None,
    shape: str | Sequence[str] = "text",
    special_tokens_mask: bool = True,
) -> list[Row]:
    """The Python half of :func:`encode_texts`: one :class:`Row` per encoding.

    ``special_tokens_mask=False`` leaves ``Row.special_tokens_mask`` None, for callers that do
    not need it (converting it costs about as much as a tenth of the tokenization).
    """
    if sources is None:
        sources = [Source("<text>", row=i) for i in range(len(texts))]
    if isinstance(shape, str):
        shape = [shape] * len(texts)
    unpadded = resolved.padding == "none" or tok.pad_token_id is None
    rows = []
    for text, enc, source, row_shape in zip(texts, encodings, sources, shape):
        ids = np.asarray(enc.ids, dtype=np.int64)
        # without padding every token is attended: skip converting the all-ones list
        mask = _ones(len(ids)) if unpadded else _flags(enc.attention_mask)
        overflowing = enc.overflowing
        rows.append(
            Row(
                source=source,
                text=text,
                shape=row_shape,
                input_ids=ids,
                attention_mask=mask,
                special_tokens_mask=_flags(enc.special_tokens_mask) if special_tokens_mask else None,
                token_type_ids=np.asarray(enc.type_ids, dtype=np.int64) if tok.returns_token_type_ids else None,
                truncated=bool(overflowing),
                length_before_truncation=(len(ids) if unpadded else int(np.count_nonzero(mask)))
                + (lost_tokens(overflowing) if overflowing else 0),
            )
        )
    return rows


class EncodedRows(Sequence[Row]):
    """The rows of a chunk of text records, kept as their encodings (unpadded): a :class:`Row` is made
    only when asked for, as check does for the few rows a report lists. ``encodings`` stay
    available for bulk reads (lengths, ids)."""

    def __init__(self, tok: TokenizerHandle, resolved: ResolvedSettings, texts: Sequence[str], encodings: Sequence,
                 sources: Sequence[Source], shapes: Sequence[str]) -> None:
        if resolved.padding != "none":
            raise ValueError("EncodedRows holds unpadded encodings")
        self.tok, self.resolved, self.texts, self.encodings = tok, resolved, texts, encodings
        self.sources, self.shapes = sources, shapes
        self._made: dict[int, Row] = {}

    def __len__(self) -> int:
        return len(self.encodings)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):  # the same kind of chunk: rows still made only when asked for
            return EncodedRows(self.tok, self.resolved, self.texts[i], self.encodings[i], self.sources[i],
                               self.shapes[i])
        if i not in self._made:
            self._made[i] = encodings_to_rows(self.tok, self.resolved, [self.texts[i]], [self.encodings[i]],
                                              [self.sources[i]], [self.shapes[i]], special_tokens_mask=False)[0]
        return self._made[i]

    def lengths_before_truncation(self) -> list[int]:
        return [len(enc) + (lost_tokens(enc.overflowing) if enc.overflowing else 0) for enc in self.encodings]


_ONES = np.ones(1 << 16, dtype=np.int8)
_ONES.flags.writeable = False


def _ones(n: int) -> np.ndarray:
    """``np.ones(n, int8)``, read-only: a view of one shared array (10x faster for a row's mask)."""
    return _ONES[:n] if n <= len(_ONES) else np.ones(n, dtype=np.int8)


def _flags(values: list[int]) -> np.ndarray:
    """A list of 0/1 as an int8 array (through ``bytearray``: about 3x faster than ``np.asarray``)."""
    return np.frombuffer(bytearray(values), dtype=np.int8)


def lost_tokens(overflowing: Sequence) -> int:
    """Text tokens truncation cut off: the real, non-special tokens of the overflowing parts
    (each part carries its own special tokens, and the last one may be padded)."""
    return sum(
        sum(1 for special, real in zip(part.special_tokens_mask, part.attention_mask) if real and not special)
        for part in overflowing
    )
