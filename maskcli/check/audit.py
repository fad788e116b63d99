"""The per-shard work of ``maskcli check``, mergeable: map over shards, then reduce.

:func:`audit_shard` checks one shard of records and returns an :class:`Audit`; audits of
consecutive shards merge in order (``a.merge(b)``), and the merged audit becomes a report
with :func:`maskcli.check.report.build_report`. The same code runs in ``check --num-proc``
workers, inside ``datasets.map`` or in a cluster job::

    from maskcli.check import CheckConfig, audit_shard, build_report
    from maskcli.data.tokenizer import load_tokenizer

    config = CheckConfig(tokenizer="gpt2", pad_token="eos", max_length=1024)
    tok = load_tokenizer(config.tokenizer, config.pad_token)
    audits = [audit_shard(shard, tok, config, path="train", first_index=start) for start, shard in shards]
    total = audits[0]
    for audit in audits[1:]:
        total.merge(audit)
    report = build_report(total, tok, config, inputs=["train"])

Shards should hold whole batches (multiples of ``batch_size`` rows): a shard's last partial
batch is costed on its own. Shards cut anywhere (``Dataset.map(batched=True, num_proc=N)``) go
through :func:`audit_pieces` and merge with ``continues=True`` (docs/check.md has the recipe).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from maskcli.data.batches import SkipLog, interpreted, prefetched, rows_of, tokenized
from maskcli.check.arrow_input import ragged_from_arrow
from maskcli.check.columnar import SIDES, RaggedBatch, Screened, screen
from maskcli.check.config import CheckConfig
from maskcli.check.registry import select_checks
from maskcli.check.samples import RowSample
from maskcli.check.sft_findings import label_issues
from maskcli.check.rows import (Context, RowAudit, TextChunk, TextFacts, no_pad_token_detail, pretokenized_row, text_issues,
                                tokenized_rows)
from maskcli.check.stats import Stats
from maskcli.data.encoding import EncodedRows, EncodeSettings, ResolvedSettings, resolve_settings
from maskcli.errors import InputError
from maskcli.data.records import Row, Source
from maskcli.data.tokenizer import NO_MAX_LENGTH, TokenizerHandle

CHUNK_ROWS = 1024  # rows tokenized together (rounded to whole batches)


SampleOf = Callable[[], "RowSample | None"]  # the listed row's sample, made only when the row is listed


@dataclass
class Hits:
    """How many rows a check flagged, and the first ``keep`` of them in input order: (source, detail),
    with a sample of each row.

    Rows are ordered by ``at``, their index among the audit's rows, whatever order the checks flag
    them in (a batch flags its rows when it is complete, after the row checks of later rows), so the
    rows listed do not depend on how the input was cut into chunks or shards::

        hits.add(s7, "...", keep=2, at=7); hits.add(s9, "...", keep=2, at=9); hits.add(s2, "...", keep=2, at=2)
        hits.first -> [(s2, ...), (s7, ...)], hits.count -> 3
    """

    count: int = 0
    first: list[tuple[Source, str]] = field(default_factory=list)
    samples: list[RowSample | None] = field(default_factory=list)  # one per entry of ``first``
    at: list[int] = field(default_factory=list)  # one per entry of ``first``, ascending

    def add(self, source: Source, detail: str, keep: int, sample: SampleOf | None = None, *, at: int) -> None:
        self.count += 1
        i = bisect.bisect_right(self.at, at)
        if i < keep:
            self.at.insert(i, at)
            self.first.insert(i, (source, detail))
            self.samples.insert(i, sample() if sample is not None else None)
            del self.at[keep:], self.first[keep:], self.samples[keep:]

    def merge(self, other: Hits, keep: int, offset: int = 0) -> None:
        """Add ``other``'s hits, whose ``at`` count from ``offset`` (the rows before its audit's)."""
        self.count += other.count
        entries = sorted([*zip(self.at, self.first, self.samples),
                          *((at + offset, first, sample) for at, first, sample in zip(other.at, other.first, other.samples))],
                         key=lambda entry: entry[0])[:keep]
        self.at = [at for at, _, _ in entries]
        self.first = [first for _, first, _ in entries]
        self.samples = [sample for _, _, sample in entries]


@dataclass
class Audit:
    """Everything a shard contributes to the report."""

    ctx: Context
    enabled: frozenset[str]
    keep: int
    stats: Stats
    hits: dict[str, Hits] = field(default_factory=dict)
    sides: dict[str, Hits] = field(default_factory=dict)  # pre-tokenized rows padded left / right
    short_rows: int = 0  # pre-tokenized rows shorter than max_length ...
    short_rows_with_eos: int = 0  # ... and how many of them end with EOS
    full_without_eos: Hits = field(default_factory=Hits)  # rows filling max_length, not ending with EOS
    skipped: int = 0
    skipped_first: list[str] = field(default_factory=list)
    pending: list[PendingRows] = field(default_factory=list)  # the rows of the unfinished training batch
    sft: dict | None = None  # --sft: trained tokens by role, examples dropped (maskcli.check.sft)
    setup: dict[str, str] = field(default_factory=dict)  # findings about the set-up, not rows: {id: message}

    @classmethod
    def start(cls, ctx: Context, config: CheckConfig) -> Audit:
        enabled = frozenset(c.id for c in select_checks(config.select, config.ignore))
        return cls(ctx, enabled, config.rows_per_finding, Stats(ctx.batch_size, ctx.layout))

    def __getstate__(self) -> dict:
        """For pickling (a worker's audit): the unfinished batch's samples are made now, closures do not pickle."""
        state = self.__dict__.copy()
        state["pending"] = [part.made() for part in self.pending]
        return state

    def hit(self, code: str, source: Source, detail: str, sample: SampleOf | None = None, *, at: int) -> None:
        """Row ``at`` (its index among this audit's rows) has issue ``code``."""
        if code in self.enabled:
            self.hits.setdefault(code, Hits()).add(source, detail, self.keep, sample, at=at)

    def flag(self, code: str, message: str) -> None:
        """A finding about the set-up (the chat template), decided before any row: one, with no rows."""
        if code in self.enabled:
            self.setup.setdefault(code, message)

    def update(self, rows: Sequence[Row]) -> None:
        """Check a chunk of rows, in file order: columnar when they are all pre-tokenized alike, or all
        text kept as encodings."""
        if isinstance(rows, EncodedRows):
            self.update_text(rows)
            return
        ragged = RaggedBatch.from_rows(rows)
        if ragged is not None:
            self.update_columnar(ragged, [row.source for row in rows])
        else:
            self.update_by_row(rows)

    def update_text(self, rows: EncodedRows) -> None:
        """Check a chunk of text rows from their encodings in bulk; a row is made only to list it."""
        before = rows.lengths_before_truncation()
        if self.ctx.bos_id is not None or self.ctx.require_eos:
            ids = [enc.ids for enc in rows.encodings]
            facts = TextFacts.of_ids(ids, before)
        else:  # no check reads the ids: only the lengths
            facts = TextFacts.of_lengths([len(enc) for enc in rows.encodings], before, lambda i: rows[i].input_ids)
        chunk = text_issues(facts, self.ctx)
        self._text_chunk(chunk)
        for i, code, detail in chunk.issues:
            self.hit(code, rows.sources[i], detail, lambda i=i: RowSample.of_row(rows[i]), at=self.stats.rows + i)
        self._batched(rows, chunk.lengths, chunk.lengths, rows.sources)

    def _text_chunk(self, chunk: TextChunk) -> None:
        self.stats.truncated_rows += chunk.truncated
        self.stats.tokens_lost += chunk.tokens_lost
        self.stats.over_limit_rows += sum(code == "MC008" for _, code, _ in chunk.issues)

    def update_by_row(self, rows: Sequence[Row]) -> None:
        """Check a chunk of rows, in file order, one by one (the reference of the columnar engine)."""
        given = np.empty(len(rows), dtype=np.int64)
        real = np.empty(len(rows), dtype=np.int64)
        text = [i for i, row in enumerate(rows) if not row.pretokenized]
        issues: dict[int, list[tuple[str, str]]] = {}  # the text rows' issues, by row
        if text:
            chunk = tokenized_rows([rows[i] for i in text] if len(text) < len(rows) else rows, self.ctx)
            given[text] = real[text] = chunk.lengths
            for i, code, detail in chunk.issues:
                issues.setdefault(text[i], []).append((code, detail))
            self._text_chunk(chunk)
        for i, row in enumerate(rows):  # findings in file order, whatever the chunks
            at = self.stats.rows + i
            if row.pretokenized:
                given[i] = len(row)
                real[i] = self._pretokenized(row, at)
            for code, detail in issues.get(i, ()):
                self.hit(code, row.source, detail, lambda row=row: RowSample.of_row(row), at=at)
        self._batched(rows, given, real)

    def _pretokenized(self, row: Row, at: int) -> int:
        result: RowAudit = pretokenized_row(row, self.ctx)
        sample = lambda: RowSample.of_row(row)  # noqa: E731
        for code, detail in result.issues + label_issues(row):
            self.hit(code, row.source, detail, sample, at=at)
            if code == "MC008":
                self.stats.over_limit_rows += 1
        if result.side in ("left", "right"):
            self.sides.setdefault(result.side, Hits()).add(row.source, f"padded on the {result.side}", self.keep, sample,
                                                           at=at)
        if result.trained is not None:
            self.stats.add_labels(1, result.real, result.trained)
        limit = self.ctx.limit
        if limit is not None and self.ctx.eos_id is not None and result.real:
            if result.real < limit:
                self.short_rows += 1
                self.short_rows_with_eos += result.ends_with_eos
            elif result.real == limit and not result.ends_with_eos:
                self.full_without_eos.add(row.source, f"fills max_length {limit} and does not end with EOS", self.keep,
                                          sample, at=at)
        return result.real

    def update_columnar(self, batch: RaggedBatch, sources: Sequence[Source]) -> None:
        """Check a batch of pre-tokenized rows in the columnar layout, in file order: what the
        screen passes is counted with numpy, only suspect rows are checked one by one."""
        screened = screen(batch, self.ctx)
        real = screened.real.copy()
        done = 0
        for i in [*np.flatnonzero(screened.suspect).tolist(), len(batch)]:
            self._clean(screened, batch, sources, done, i)
            if i < len(batch):
                real[i] = self._pretokenized(batch.row(i, sources[i]), self.stats.rows + i)
            done = i + 1
        given = batch.lengths()
        self._pend(sources, given > real, lambda i: RowSample.of_row(batch.row(i, sources[i])))
        self._padded(self.stats.add(given, real))

    def _clean(self, screened: Screened, batch: RaggedBatch, sources: Sequence[Source], start: int, stop: int) -> None:
        """What :meth:`_pretokenized` counts, for rows ``start:stop`` that passed the screen."""
        if start >= stop:
            return
        span = slice(start, stop)
        rows = dict(sources=sources, start=start, sample=lambda i: RowSample.of_row(batch.row(i, sources[i])))
        count = functools.partial(self._count, **rows)
        for code, side in enumerate(SIDES):
            if side in ("left", "right"):
                count(self.sides.setdefault(side, Hits()), screened.side[span] == code,
                      detail=lambda i, side=side: f"padded on the {side}")
        real = screened.real[span]
        if screened.masked is not None:
            masked = screened.masked[span]
            self.hit_rows("MC013", masked > 0, detail=lambda i: no_pad_token_detail(int(masked[i])), **rows)
        if screened.trained is not None:
            self.stats.add_labels(stop - start, int(real.sum()), int(screened.trained[span].sum()))
        limit = self.ctx.limit
        if limit is not None:  # the screen passes over-long rows without another issue: MC008 only
            over = real > limit
            self.stats.over_limit_rows += int(over.sum())
            self.hit_rows("MC008", over, detail=lambda i: f"{real[i]} real tokens, longer than max_length {limit}",
                          **rows)
        if limit is not None and self.ctx.eos_id is not None:
            short = (real > 0) & (real < limit)
            self.short_rows += int(short.sum())
            self.short_rows_with_eos += int((short & screened.ends_with_eos[span]).sum())
            count(self.full_without_eos, (real == limit) & ~screened.ends_with_eos[span],
                  detail=lambda i: f"fills max_length {limit} and does not end with EOS")

    def hit_rows(self, code: str, flags: np.ndarray, **rows: Any) -> None:
        """The rows ``flags`` marks have issue ``code`` (:meth:`hit` for a chunk's rows at once; ``rows``:
        as :meth:`_count` takes them). A finding is made only when a row is flagged."""
        if code in self.enabled and flags.any():
            self._count(self.hits.setdefault(code, Hits()), flags, **rows)

    def _count(self, hits: Hits, flags: np.ndarray, *, sources: Sequence[Source], start: int,
               detail: Callable[[int], str], sample: Callable[[int], RowSample | None], at: int | None = None) -> None:
        """``hits.add`` for the flagged rows of a chunk (sources, ``detail(i)`` and ``sample(start + i)``
        made only for the first few kept; ``i`` counts from ``start``, the chunk's first row is the
        audit's row ``at``, by default the next one)."""
        at = self.stats.rows if at is None else at
        flagged = np.flatnonzero(flags)
        for i in flagged[: self.keep].tolist():  # the first few: ``add`` keeps those that come first
            hits.add(sources[start + i], detail(i), self.keep, functools.partial(sample, start + i),
                     at=at + start + i)
        hits.count += max(0, int(flagged.size) - self.keep)

    def _pend(self, sources: Sequence[Source], padded_as_given: np.ndarray, sample: Callable[[int], RowSample]) -> None:
        """Keep the rows of the unfinished batch for :meth:`_padded`, when it may flag them
        (``sample(i)`` makes row ``i``'s sample, if it is listed)."""
        if self._flags_batch_padding and len(sources):
            self.pending.append(PendingRows(self.stats.rows, sources, padded_as_given, sample, 0, len(sources)))

    @property
    def _flags_batch_padding(self) -> bool:
        """Whether training batches' padding may flag rows (MC013, MC007): kept in ``pending`` until the batch ends."""
        return self.ctx.pad_id is None or (self.ctx.mode == "generate" and self.ctx.layout.padding_side == "right")

    def _batched(self, rows: Sequence[Row], given: np.ndarray, real: np.ndarray,
                 sources: Sequence[Source] | None = None) -> None:
        """Group rows into training batches; flag rows that batching pads when that is a problem."""
        sources = [row.source for row in rows] if sources is None else sources
        self._pend(sources, given > real, lambda i: RowSample.of_row(rows[i]))
        self._padded(self.stats.add(given, real))

    def flush(self) -> None:
        """Close the unfinished batch (before :meth:`merge` and at the end)."""
        self._padded(self.stats.flush())

    def _padded(self, flags: np.ndarray) -> None:
        """Flag the rows of the training batches completed now (``flags``: batching pads the row) that
        were not padded as given, when padding them is a problem (MC013, MC007)."""
        if not self._flags_batch_padding:
            return
        done, self.pending = take_rows(self.pending, len(flags))
        if not flags.any():
            return
        findings = []
        if self.ctx.pad_id is None:
            findings.append(("MC013", f"a batch of {self.ctx.batch_size} pads this row, but the tokenizer has no "
                                      "pad token; choose one with --pad-token"))
        if self.ctx.mode == "generate" and self.ctx.layout.padding_side == "right":
            findings.append(("MC007", "a batch pads this row on the right, in --mode generate"))
        offset = 0
        for part in done:
            padded = flags[offset: offset + len(part)] & ~part.padded_as_given[part.start: part.stop]
            offset += len(part)
            for code, message in findings:
                self.hit_rows(code, padded, sources=part.sources, start=part.start,
                              detail=lambda i, message=message: message, sample=part.sample, at=part.at)

    def skip_log(self, log: SkipLog) -> None:
        self.skipped += log.count
        self.skipped_first = (self.skipped_first + log.first)[: self.keep]

    def merge(self, other: Audit, *, continues: bool = False) -> Audit:
        """Add the audit of the shard that follows this one.

        By default this shard's unfinished batch is closed first. With ``continues`` the other
        shard's rows continue it instead: its own unfinished batch is appended to this one's (the
        other shard must hold fewer rows than complete it, or have been cut where it completes:
        :mod:`maskcli.check.ray_engine`)."""
        if not continues:
            self.flush()
        carried = (self.stats.carry_given, self.stats.carry_real, self.pending)
        offset = self.stats.rows
        self.stats.merge(other.stats)
        for mine, theirs in ((self.hits, other.hits), (self.sides, other.sides)):
            for code, hits in theirs.items():
                mine.setdefault(code, Hits()).merge(hits, self.keep, offset)
        self.full_without_eos.merge(other.full_without_eos, self.keep, offset)
        self.short_rows += other.short_rows
        self.short_rows_with_eos += other.short_rows_with_eos
        self.skipped += other.skipped
        self.setup = {**other.setup, **self.setup}
        self.skipped_first = (self.skipped_first + other.skipped_first)[: self.keep]
        self.pending = [dataclasses.replace(part, at=part.at + offset) for part in other.pending]
        if continues:
            self.stats.carry_given = carried[0] + self.stats.carry_given
            self.stats.carry_real = carried[1] + self.stats.carry_real
            self.pending = carried[2] + self.pending
            none = np.zeros(0, dtype=np.int64)
            self._padded(self.stats.add(none, none))  # the batches the carried rows complete
        return self


@dataclass(frozen=True)
class PendingRows:
    """Rows ``start:stop`` of a chunk whose row 0 is the audit's row ``at``, kept while their training
    batch is unfinished (:meth:`Audit._padded` flags them when it completes): a chunk's rows stay one
    entry, however many, and a row's source and sample are looked at only if it is listed."""

    at: int
    sources: Sequence[Source]  # of the chunk's rows
    padded_as_given: np.ndarray  # of the chunk's rows: its own padding was checked as given
    sample: Callable[[int], RowSample | None]  # ``sample(i)``: the chunk's row i, as listed
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    def made(self) -> PendingRows:
        """The same rows with their samples made now (a worker's audit is pickled; closures are not)."""
        samples = [self.sample(i) for i in range(self.start, self.stop)]
        return PendingRows(self.at + self.start, list(self.sources[self.start: self.stop]),
                           np.array(self.padded_as_given[self.start: self.stop]), samples.__getitem__, 0, len(samples))


def take_rows(pending: list[PendingRows], count: int) -> tuple[list[PendingRows], list[PendingRows]]:
    """The first ``count`` pending rows, and the rest (a chunk's rows may be cut between the two).

    >>> parts = [PendingRows(0, "ab", np.zeros(2, bool), print, 0, 2), PendingRows(2, "cde", np.zeros(3, bool), print, 0, 3)]
    >>> [(p.at, p.start, p.stop) for taken in take_rows(parts, 3) for p in taken]
    [(0, 0, 2), (2, 0, 1), (2, 1, 3)]
    """
    taken: list[PendingRows] = []
    for i, part in enumerate(pending):
        if count <= 0:
            return taken, pending[i:]
        if len(part) > count:
            cut = part.start + count
            return [*taken, dataclasses.replace(part, stop=cut)], [dataclasses.replace(part, start=cut), *pending[i + 1:]]
        taken.append(part)
        count -= len(part)
    return taken, []


def make_context(tok: TokenizerHandle, config: CheckConfig) -> tuple[Context, ResolvedSettings]:
    """Resolve the settings as the tokenizer's ``__call__`` would, and what the checks need."""
    resolved = resolve_settings(tok, config.encoding)
    if config.require_eos and tok.eos_token_id is None:
        raise InputError(f"require_eos is on, but tokenizer {tok.name} has no eos token")
    limit = resolved.max_length
    if limit is None and tok.model_max_length < NO_MAX_LENGTH:
        limit = tok.model_max_length
    layout = resolved if resolved.padding != "none" else dataclasses.replace(resolved, padding="longest")
    ctx = Context(
        pad_id=tok.pad_token_id, bos_id=tok.bos_token_id, eos_id=tok.eos_token_id, vocab_size=tok.full_vocab_size,
        limit=limit, mode=config.mode, require_eos=config.require_eos, batch_size=config.batch_size, layout=layout,
        end_marks=_end_marks(tok, config) if config.require_eos else (),
    )
    return ctx, resolved


def _end_marks(tok: TokenizerHandle, config: CheckConfig) -> tuple[tuple[int, ...], ...]:
    """What ends a chat row besides EOS, under ``--chat-template`` or the tokenizer's template."""
    from maskcli.check.turn_end import end_marks
    from maskcli.sft.prepare import chat_template

    return end_marks(tok, chat_template(tok, config.chat_template))


def tokenize_settings(resolved: ResolvedSettings) -> EncodeSettings:
    """Text records are tokenized with the resolved truncation but unpadded: batching is costed apart."""
    return EncodeSettings(padding="none", max_length=resolved.max_length, truncation=resolved.truncation,
                          padding_side=resolved.padding_side, add_special_tokens=resolved.add_special_tokens)


def chunk_rows(batch_size: int) -> int:
    return batch_size * max(1, CHUNK_ROWS // batch_size)


def audit_records(
    records: Iterable[tuple[Source, object]], tok: TokenizerHandle, config: CheckConfig, ctx: Context,
    resolved: ResolvedSettings, log: SkipLog | None = None, progress: Callable[[Audit], None] | None = None,
) -> Audit:
    """Check ``(source, record)`` pairs (records as read from a file: dicts or strings); ``progress(audit)``
    after every chunk."""
    audit = Audit.start(ctx, config)
    log = log if log is not None else SkipLog(skip=config.on_error == "skip")
    for rows in record_rows(records, tok, config, resolved, log):
        audit.update(rows)
        if progress is not None:
            progress(audit)
    audit.skip_log(log)
    return audit


def record_rows(
    records: Iterable[tuple[Source, object]], tok: TokenizerHandle, config: CheckConfig, resolved: ResolvedSettings,
    log: SkipLog,
) -> Iterator[list[Row]]:
    """Records as chunks of rows: text tokenized (unpadded), pre-tokenized fields as given."""
    groups = interpreted(records, tok, field_name=config.field, batch_size=chunk_rows(config.batch_size), log=log,
                         strict=False)
    # a pipeline: one thread reads and interprets chunk N+2, one runs the Rust tokenizer on
    # chunk N+1 (it releases the GIL), and this one makes and checks the rows of chunk N
    settings = tokenize_settings(resolved)
    for encoded in prefetched(tokenized(tok, settings, items) for items in prefetched(groups)):
        yield rows_of(tok, encoded, special_tokens_mask=False, lazy=True).rows


def audit_arrow(
    batches: Iterable[tuple[str, int, Any]], tok: TokenizerHandle, config: CheckConfig, ctx: Context,
    resolved: ResolvedSettings, log: SkipLog | None = None, progress: Callable[[Audit], None] | None = None,
) -> Audit:
    """Check ``(path, index of its first row, Arrow record batch)`` triples, in order (``progress(audit)``
    after each).

    Batches of pre-tokenized integer-list columns are checked in the columnar layout; any other
    batch record by record (the same findings either way)."""
    audit = Audit.start(ctx, config)
    log = log if log is not None else SkipLog(skip=config.on_error == "skip")
    # one thread reads (and lays out) batch N+1 while this one checks batch N: both release the GIL
    for path, first, batch, ragged in prefetched((*item, ragged_from_arrow(item[2])) for item in batches):
        sources = RowSources(path, first, batch.num_rows)
        if ragged is not None:
            audit.update_columnar(ragged, sources)
        else:
            for rows in record_rows(zip(sources, batch.to_pylist()), tok, config, resolved, log):
                audit.update(rows)
        if progress is not None:
            progress(audit)
    audit.skip_log(log)
    return audit


class RowSources(Sequence[Source]):
    """``Source(path, row=first + i)`` for ``i`` in ``range(count)`` (``line=`` with ``lines``), made only
    when asked for.

    >>> RowSources("a.parquet", 10, 3)[2], RowSources("a.jsonl", 10, 3, lines=True)[0]
    (Source(path='a.parquet', line=None, row=12), Source(path='a.jsonl', line=10, row=None))
    """

    def __init__(self, path: str, first: int, count: int, lines: bool = False) -> None:
        self.path, self.first, self.count, self.lines = path, first, count, lines

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            start, stop, step = i.indices(self.count)
            if step == 1:
                return RowSources(self.path, self.first + start, max(0, stop - start), self.lines)
            return [self[j] for j in range(start, stop, step)]
        if not 0 <= i < self.count:
            raise IndexError(i)
        return Source(self.path, line=self.first + i) if self.lines else Source(self.path, row=self.first + i)


def audit_shard(
    records: Iterable[object] | Any, tok: TokenizerHandle, config: CheckConfig = CheckConfig(), *,
    path: str = "<records>", first_index: int = 0,
) -> Audit:
    """Check one shard: records (dicts like ``{"text": ...}`` or ``{"input_ids": [...], ...}``, or
    strings), a mapping of columns (``{"input_ids": [[...], ...]}``, what ``Dataset.map(batched=True)``
    passes), or an Arrow record batch or table (pre-tokenized columns are checked columnar).

    Rows are named ``path[first_index + i]`` in findings. Returns a mergeable :class:`Audit`.
    """
    ctx, resolved = make_context(tok, config)
    if isinstance(records, Mapping):
        records = columns_to_records(records)
    if hasattr(records, "schema") and hasattr(records, "num_rows"):  # pyarrow RecordBatch or Table
        parts = records.to_batches() if hasattr(records, "to_batches") else [records]
        starts = np.cumsum([first_index] + [part.num_rows for part in parts])
        return audit_arrow(((path, int(start), part) for start, part in zip(starts, parts)), tok, config, ctx,
                           resolved)
    sourced = ((Source(path, row=first_index + i), record) for i, record in enumerate(records))
    return audit_records(sourced, tok, config, ctx, resolved)


def columns_to_records(columns: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Records of a mapping of equal-length columns.

    >>> columns_to_records({"input_ids": [[1, 2], [3]], "labels": [[1, 2], [3]]})
    [{'input_ids': [1, 2], 'labels': [1, 2]}, {'input_ids': [3], 'labels': [3]}]
    """
    names = list(columns)
    return [dict(zip(names, values)) for values in zip(*(columns[name] for name in names))]


def audit_pieces(
    records: Sequence[object] | Mapping[str, Sequence[Any]] | Any, tok: TokenizerHandle,
    config: CheckConfig = CheckConfig(), *, path: str = "<records>", first_index: int = 0,
) -> list[Audit]:
    """:func:`audit_shard` for a shard that may start inside a training batch (``Dataset.map(batched=True,
    num_proc=N)`` cuts the data anywhere): the audits of its rows up to the end of row ``first_index``'s
    batch, and of the rest. All pieces merged in row order with ``merge(piece, continues=True)``
    give one run's audit: batches span pieces as they span files.

    With ``batch_size=4``, 10 rows from row 6 are two pieces: rows 6-7 (they complete batch 4-7),
    then rows 8-15; rows from 0 (or from 8) are one piece.
    """
    if isinstance(records, Mapping):
        records = columns_to_records(records)
    arrow = hasattr(records, "schema") and hasattr(records, "num_rows")
    count = records.num_rows if arrow else len(records)
    lead = min(-first_index % config.batch_size, count)
    parts = [(0, lead), (lead, count)]
    return [audit_shard(records.slice(start, stop - start) if arrow else records[start:stop], tok, config, path=path,
                        first_index=first_index + start)
            for start, stop in parts if stop > start]
