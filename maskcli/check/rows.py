"""The per-row checks: what is wrong with one row, given the tokenizer's special ids.

Rows given pre-tokenized are checked one by one, as given. Rows maskcli tokenized itself
(text records, unpadded: batching is costed separately) cannot have broken masks, labels or
positions, so only what tokenization decides is checked, vectorized over a whole chunk.

Worked example, gpt2 with pad = eos (50256), right padding::

    input_ids       464 3797 50256 50256      clean: the first pad-id token is the real EOS
    attention_mask    1    1     1     0
    labels          464 3797  -100  -100      MC005: the final EOS is not trained

    input_ids       50256 50256 464 3797      MC003: an attended pad at the padded (left) edge
    attention_mask      1     1   1    1
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from maskcli.check.turn_end import ends_with_mark
from maskcli.data.encoding import ResolvedSettings
from maskcli.data.facts import IGNORE_INDEX, final_eos_trained, pad_disagreement
from maskcli.masks.packing import from_position_ids
from maskcli.masks.positions import derived_position_ids
from maskcli.data.records import Row

Issue = tuple[str, str]  # (check id, what exactly, for this row)


@dataclass(frozen=True)
class Context:
    """What the checks know: special ids, limits and settings (picklable: no tokenizer object)."""

    pad_id: int | None
    bos_id: int | None
    eos_id: int | None
    vocab_size: int
    limit: int | None  # max_length for MC008 and packing (the tokenizer's model_max_length if not given)
    mode: str
    require_eos: bool
    batch_size: int
    layout: ResolvedSettings  # how batches of batch_size rows are padded
    end_marks: tuple[tuple[int, ...], ...] = ()  # besides EOS, what ends a row (a chat template's turn end)


@dataclass(frozen=True)
class RowAudit:
    """One pre-tokenized row's issues, plus what dataset-level checks need from it."""

    issues: list[Issue]
    side: str | None  # padded edge per the given mask: "left", "right", "both" or None
    real: int  # real (attended) tokens
    trained: int | None  # trained labels on real tokens, None without labels
    ends_with_eos: bool


def pretokenized_row(row: Row, ctx: Context) -> RowAudit:
    """Check one row given as ``input_ids`` (+ ``attention_mask``, ``labels``, ``position_ids``)."""
    ids = row.input_ids
    n = len(ids)
    fields = {"attention_mask": row.attention_mask if row.given_attention_mask else None, "labels": row.labels,
              "position_ids": row.position_ids, "token_type_ids": row.token_type_ids}
    uneven = [f"{name} has {len(v)}" for name, v in fields.items() if v is not None and len(v) != n]
    if uneven:  # nothing else can be judged on misaligned fields
        return RowAudit([("MC001", f"input_ids has {n} values, " + ", ".join(uneven))], None, n, None, False)
    issues: list[Issue] = []
    outside = np.flatnonzero((ids < 0) | (ids >= ctx.vocab_size))
    if outside.size:
        issues.append(("MC015", f"input_ids[{outside[0]}] = {ids[outside[0]]}, vocabulary size {ctx.vocab_size}"
                       + (f" ({outside.size} ids)" if outside.size > 1 else "")))
    mask = row.attention_mask.astype(bool)
    real = np.flatnonzero(mask)
    if not real.size:
        issues.append(("MC016", f"all {n} tokens are masked" if n else "no tokens"))
        return RowAudit(issues, None, 0, None, False)
    gap = real[-1] - real[0] + 1 - real.size
    if gap:
        issues.append(("MC002", f"{gap} masked position(s) between real tokens {real[0]} and {real[-1]}"))
    side = {(True, False): "left", (False, True): "right", (True, True): "both"}.get((not mask[0], not mask[-1]))
    if row.given_attention_mask:
        issues.extend(_mask_vs_pads(row, ctx, mask))
    if side == "both":
        issues.append(("MC007", "padded on both sides"))
    elif side == "right" and ctx.mode == "generate":
        issues.append(("MC007", "right padding in --mode generate: new tokens would follow pads"))
    trained = None
    if row.labels is not None:
        is_trained = row.labels != IGNORE_INDEX
        trained = int(np.count_nonzero(is_trained & mask))
        issues.extend(_labels(row, ctx, mask, is_trained))
    if row.position_ids is not None:
        issues.extend(_positions(row, mask, gap))
    first_two = ids[real[:2]]
    if (ctx.bos_id is not None and real.size > 1 and (first_two == ctx.bos_id).all()
            and not any(code == "MC003" for code, _ in issues)):
        issues.append(("MC009", "the first two real tokens are both BOS"))
    last = ids[real[-1]]
    if ctx.limit is not None and real.size > ctx.limit:
        issues.append(("MC008", f"{real.size} real tokens, longer than max_length {ctx.limit}"))
    if ctx.require_eos and last != ctx.eos_id and not ends_with_mark(ids[real], ctx.end_marks):
        issues.append(("MC014", f"the last real token is {token_ref(last)}, not EOS {token_ref(ctx.eos_id)}"
                                + _turn_end_hint(ctx)))
    return RowAudit(issues, side, int(real.size), trained, bool(last == ctx.eos_id))


def no_pad_token_detail(masked: int) -> str:
    """MC013 of a pre-tokenized row with ``masked`` masked positions, the tokenizer having no pad token."""
    return (f"{masked} masked (padding) position(s), but the tokenizer has no pad token: name the pad your "
            "pipeline used with --pad-token")


def _mask_vs_pads(row: Row, ctx: Context, mask: np.ndarray) -> list[Issue]:
    if ctx.pad_id is None:
        masked = int(np.count_nonzero(~mask))
        return [("MC013", no_pad_token_detail(masked))] if masked else []
    disagreement = pad_disagreement(row, ctx.pad_id, ctx.bos_id, ctx.eos_id)
    if not disagreement:
        return []
    parts = []
    if disagreement.masked_real.size:
        parts.append(f"masked real tokens at {_positions_text(disagreement.masked_real)}")
    if disagreement.attended_pad.size:
        parts.append(f"attended pad tokens at {_positions_text(disagreement.attended_pad)}")
    return [("MC003", "; ".join(parts))]


def _labels(row: Row, ctx: Context, mask: np.ndarray, trained: np.ndarray) -> list[Issue]:
    issues = []
    on_pads = np.flatnonzero(trained & ~mask)
    if on_pads.size:
        issues.append(("MC004", f"trained labels on masked positions {_positions_text(on_pads)}"))
    if not trained.any():
        issues.append(("MC006", "every label is -100"))
    elif ctx.pad_id is not None and ctx.pad_id == ctx.eos_id and final_eos_trained(row, ctx.eos_id) is False:
        issues.append(("MC005", f"the final EOS at {np.flatnonzero(mask)[-1]} has label -100 (pad = eos)"))
    return issues


def _positions(row: Row, mask: np.ndarray, gap: int) -> list[Issue]:
    given = row.position_ids[mask]
    if len(given) and from_position_ids(given).documents[-1] > 0:
        if row.given_attention_mask:
            return [("MC012", "position_ids restart (packed documents) but an attention_mask is given: "
                              "transformers then lets every document attend to the ones before it")]
        return []
    if gap:
        return []  # MC002 already: there is no sound expectation
    expected = derived_position_ids(row.attention_mask)[mask]
    wrong = np.flatnonzero(given != expected)
    if not wrong.size:
        return []
    at = np.flatnonzero(mask)[wrong[0]]
    return [("MC011", f"position_ids[{at}] = {row.position_ids[at]}, expected {expected[wrong[0]]} "
                      "(cumsum(attention_mask) - 1)")]


def token_ref(*token_ids: int) -> str:
    """``{token:2,201}``: tokens the report names as text, ``'<|im_end|>\\n' (ids 2 201)`` (the report
    knows the tokenizer; rows and workers do not)."""
    return "{token:" + ",".join(str(int(t)) for t in token_ids) + "}"


def _turn_end_hint(ctx: Context) -> str:
    if not ctx.end_marks:
        return ""
    return ", nor the chat template's turn end " + " or ".join(token_ref(*m) for m in ctx.end_marks)


def _positions_text(positions: np.ndarray, shown: int = 5) -> str:
    listed = ", ".join(str(int(p)) for p in positions[:shown])
    return listed + (f" ... ({positions.size} in all)" if positions.size > shown else "")


@dataclass(frozen=True)
class TextChunk:
    """Rows maskcli tokenized (unpadded), as arrays over the chunk."""

    lengths: np.ndarray
    issues: list[tuple[int, str, str]]  # (row index in the chunk, check id, detail)
    truncated: int
    tokens_lost: int


@dataclass(frozen=True)
class TextFacts:
    """What the text checks read of a chunk of tokenized (unpadded) rows, in bulk: their lengths
    before and after truncation, their first two and last ids (-1 where a row is shorter, or where
    the checks do not need them), and a row's ids on demand (the few rows without EOS).

    >>> TextFacts.of_ids([[5, 5, 9], [7]], before=[4, 1])
    TextFacts(lengths=array([3, 1]), before=array([4, 1]), first=array([5, 7]), second=array([ 5, -1]), last=array([9, 7]), ...)
    """

    lengths: np.ndarray
    before: np.ndarray
    first: np.ndarray
    second: np.ndarray
    last: np.ndarray
    ids_of: Callable[[int], Sequence[int]] = field(repr=False)

    def __repr__(self) -> str:  # the arrays, not the function
        arrays = ", ".join(f"{name}={getattr(self, name)!r}" for name in ("lengths", "before", "first", "second", "last"))
        return f"TextFacts({arrays}, ...)"

    @classmethod
    def of_ids(cls, ids: Sequence[Sequence[int]], before: Sequence[int],
               ids_of: Callable[[int], Sequence[int]] | None = None) -> TextFacts:
        n = len(ids)
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=n)
        pick = lambda at, short: np.fromiter((row[at] if len(row) > short else -1 for row in ids),  # noqa: E731
                                             dtype=np.int64, count=n)
        return cls(lengths, np.asarray(before, dtype=np.int64).reshape(n), pick(0, 0), pick(1, 1), pick(-1, 0),
                   ids_of or ids.__getitem__)

    @classmethod
    def of_rows(cls, rows: Sequence[Row]) -> TextFacts:
        return cls.of_ids([row.input_ids for row in rows],
                          [row.length_before_truncation or len(row.input_ids) for row in rows])

    @classmethod
    def of_lengths(cls, lengths: Sequence[int], before: Sequence[int], ids_of: Callable[[int], Sequence[int]]) -> TextFacts:
        """Facts without ids (no check of this run reads them): ``first``, ``second``, ``last`` all -1."""
        n = len(lengths)
        none = np.full(n, -1, dtype=np.int64)
        return cls(np.asarray(lengths, dtype=np.int64).reshape(n), np.asarray(before, dtype=np.int64).reshape(n),
                   none, none, none, ids_of)


def tokenized_rows(rows: Sequence[Row], ctx: Context) -> TextChunk:
    """Check rows from text records: over-long rows, double BOS, missing EOS, empty rows."""
    return text_issues(TextFacts.of_rows(rows), ctx)


def text_issues(facts: TextFacts, ctx: Context) -> TextChunk:
    """:func:`tokenized_rows` from a chunk's :class:`TextFacts` (first, second and last ids are read only
    with a BOS token, and with ``require_eos``)."""
    lengths, before = facts.lengths, facts.before
    issues: list[tuple[int, str, str]] = []
    truncated = before > lengths

    def report(code: str, flags: np.ndarray, detail) -> None:
        issues.extend((int(i), code, detail(int(i))) for i in np.flatnonzero(flags))

    report("MC016", lengths == 0, lambda i: "the text has no tokens")
    if ctx.limit is not None:
        report("MC008", before > ctx.limit,
               lambda i: f"{before[i]} tokens, longer than max_length {ctx.limit}"
               + (f"; truncated, {before[i] - lengths[i]} tokens lost" if truncated[i] else ""))
    if ctx.bos_id is not None:
        report("MC009", (lengths > 1) & (facts.first == ctx.bos_id) & (facts.second == ctx.bos_id),
               lambda i: "starts with two BOS tokens (the text already has one, and the tokenizer adds another)")
    if ctx.require_eos:
        no_eos = (lengths > 0) & (facts.last != ctx.eos_id)
        for i in np.flatnonzero(no_eos):
            no_eos[i] = not ends_with_mark(np.asarray(facts.ids_of(int(i))), ctx.end_marks)
        report("MC014", no_eos, lambda i: f"ends with {token_ref(facts.last[i])}, not EOS "
                                          f"{token_ref(ctx.eos_id)}" + _turn_end_hint(ctx))
    issues.sort(key=lambda issue: issue[0])
    return TextChunk(lengths, issues, int(truncated.sum()), int((before - lengths).sum()))
