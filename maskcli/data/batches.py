"""From input files to padded batches of :class:`~maskcli.data.records.Row`, streamed.

``read_batches`` reads records one at a time, keeps ``--rows``/``--limit``, interprets each
record's shape, and every ``--batch-size`` records tokenizes the text ones together (so they
are padded together, as a collator would) while pre-tokenized ones pass through untouched.
Bad records raise, or with ``on_error="skip"`` are counted in :class:`SkipLog`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from maskcli.data.encoding import EncodedRows, EncodeSettings, ResolvedSettings, encodings_to_rows, tokenize
from maskcli.errors import InputError
from maskcli.data.records import Row, RowError, Source
from maskcli.data.shapes import TextRecord, interpret
from maskcli.data.tokenizer import TokenizerHandle
from maskcli.wording import counted

T = TypeVar("T")


@dataclass
class SkipLog:
    """Rows skipped under ``--on-error skip``: a count and the first few reasons."""

    skip: bool = False
    count: int = 0
    first: list[str] = field(default_factory=list)
    keep: int = 5

    def handle(self, error: RowError) -> None:
        if not self.skip:
            raise error
        self.count += 1
        if len(self.first) < self.keep:
            self.first.append(str(error))

    def summary(self) -> str | None:
        if not self.count:
            return None
        more = f" (first {len(self.first)} shown)" if self.count > len(self.first) else ""
        return f"skipped {self.count} bad row(s){more}: " + "; ".join(self.first)


@dataclass(frozen=True)
class Selection:
    """``--rows A:B`` (record indices over all inputs, 0-based, B exclusive) and ``--limit N``."""

    start: int = 0
    stop: int | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise InputError(f"--limit must be a positive integer, not {self.limit}")

    @property
    def end(self) -> int | None:
        ends = [e for e in (self.stop, None if self.limit is None else self.start + self.limit) if e is not None]
        return min(ends) if ends else None


@dataclass(frozen=True, eq=False)  # rows of arrays: no field-wise == (identity)
class Batch:
    rows: list[Row]
    resolved: ResolvedSettings | None  # None when no row of the batch was tokenized
    shapes: tuple[str, ...]

    @property
    def location(self) -> str:
        """``file:first-last`` of the batch's rows (one entry per file)."""
        spans: dict[str, list[int]] = {}
        for row in self.rows:
            spot = row.source.line if row.source.line is not None else row.source.row
            spans.setdefault(row.source.path, []).append(spot)
        kind = "line" if self.rows and self.rows[0].source.line is not None else "row"
        return ", ".join(f"{path} {kind}s {min(s)}-{max(s)}" if len(s) > 1 else f"{path} {kind} {s[0]}"
                         for path, s in spans.items())


def selected_records(
    paths: Iterable[str], fmt: str | None, selection: Selection, log: SkipLog
) -> Iterator[tuple[Source, object]]:
    """Records of all inputs in order (URL patterns expanded: :func:`maskcli.data.remote.expand`),
    restricted to the selection; malformed ones go to ``log``."""
    from maskcli.data import remote  # the readers load with the first file: TEXT arguments need none

    return without_errors(_selected(remote.expand(paths), fmt, selection), log)


def _selected(paths: Iterable[str], fmt: str | None, selection: Selection) -> Iterator[tuple[Source, object]]:
    from maskcli.data.readers import iter_records

    index = 0
    end = selection.end
    for path in paths:
        for source, record in iter_records(path, fmt):
            if end is not None and index >= end:
                return
            index += 1
            if index - 1 >= selection.start:
                yield source, record
    if selection.start and index <= selection.start:  # an empty selection is a mistake, not an empty output
        stop = "" if selection.stop is None else selection.stop
        raise InputError(f"--rows {selection.start}:{stop} starts past the last record: the input has "
                         f"{counted(index, 'record')}")


def without_errors(records: Iterable[tuple[Source, object]], log: SkipLog) -> Iterator[tuple[Source, object]]:
    """``records`` without the malformed ones (:class:`RowError` values), which go to ``log``."""
    for source, record in records:
        if isinstance(record, RowError):
            log.handle(record)
            continue
        yield source, record


def read_batches(
    paths: Iterable[str],
    tok: TokenizerHandle,
    settings: EncodeSettings,
    *,
    fmt: str | None = None,
    field_name: str = "text",
    selection: Selection = Selection(),
    batch_size: int = 8,
    log: SkipLog | None = None,
    strict: bool = True,
) -> Iterator[Batch]:
    """Padded batches of rows from ``paths``, ``batch_size`` records at a time."""
    if batch_size < 1:
        raise InputError(f"--batch-size must be a positive integer, not {batch_size}")
    log = log if log is not None else SkipLog()
    records = selected_records(paths, fmt, selection, log)
    yield from batch_records(records, tok, settings, field_name=field_name, batch_size=batch_size, log=log,
                             strict=strict)


def batch_records(
    records: Iterable[tuple[Source, object]],
    tok: TokenizerHandle,
    settings: EncodeSettings,
    *,
    field_name: str = "text",
    batch_size: int = 8,
    log: SkipLog | None = None,
    strict: bool = True,
) -> Iterator[Batch]:
    """Interpret already-read ``(source, record)`` pairs and batch them.

    Three stages, each a function of its own so that ``check`` can run them in a pipeline of
    threads (:func:`prefetched`): :func:`interpreted` groups, :func:`tokenized` (the Rust
    tokenizer) and :func:`rows_of`.
    """
    log = log if log is not None else SkipLog()
    for items in interpreted(records, tok, field_name=field_name, batch_size=batch_size, log=log, strict=strict):
        yield make_batch(tok, settings, items)


def interpreted(
    records: Iterable[tuple[Source, object]], tok: TokenizerHandle, *, field_name: str, batch_size: int,
    log: SkipLog, strict: bool,
) -> Iterator[list[TextRecord | Row]]:
    """Records interpreted (:func:`~maskcli.data.shapes.interpret`) in groups of ``batch_size``."""
    pending: list[TextRecord | Row] = []
    for source, record in records:
        try:
            pending.append(interpret(source, record, tok, field_name, strict=strict))
        except RowError as error:
            log.handle(error)
            continue
        if len(pending) == batch_size:
            yield pending
            pending = []
    if pending:
        yield pending


class Tokenized(NamedTuple):
    """A batch whose text records went through the Rust tokenizer, not yet turned into rows."""

    items: list[TextRecord | Row]
    resolved: ResolvedSettings | None  # None when the batch has no text record
    encodings: list  # tokenizers.Encoding, one per TextRecord of items, in order


def make_batch(tok: TokenizerHandle, settings: EncodeSettings, items: list[TextRecord | Row]) -> Batch:
    """Tokenize the batch's text records together; keep pre-tokenized rows as they are."""
    return rows_of(tok, tokenized(tok, settings, items))


def tokenized(tok: TokenizerHandle, settings: EncodeSettings, items: list[TextRecord | Row]) -> Tokenized:
    """Encode the text records of a batch together. Padded together, they are all encoded with special
    tokens or none (a rendered chat template has its own); unpadded, each record as it asks, so a
    text record's ids do not depend on the records beside it."""
    records = [item for item in items if isinstance(item, TextRecord)]
    if not records:
        return Tokenized(items, None, [])
    wants = [settings.add_special_tokens and item.add_special_tokens for item in records]
    if settings.padding == "none" and any(wants) and not all(wants):
        groups = {flag: tokenize(tok, [r.text for r, w in zip(records, wants) if w == flag],
                                 dataclasses.replace(settings, add_special_tokens=flag)) for flag in (True, False)}
        taken = {flag: iter(encodings) for flag, (_, encodings) in groups.items()}
        return Tokenized(items, groups[True][0], [next(taken[w]) for w in wants])
    resolved, encodings = tokenize(tok, [r.text for r in records], dataclasses.replace(settings, add_special_tokens=all(wants)))
    return Tokenized(items, resolved, encodings)


def rows_of(tok: TokenizerHandle, batch: Tokenized, *, special_tokens_mask: bool = True, lazy: bool = False) -> Batch:
    """The batch's rows in record order: text records from their encodings, pre-tokenized rows as they are.

    ``special_tokens_mask=False`` leaves it out of the text rows (``check`` never looks at it).
    ``lazy``: a batch of text records only, unpadded, comes as :class:`EncodedRows` (rows made when
    asked for; check reads the encodings in bulk).
    """
    texts = [item for item in batch.items if isinstance(item, TextRecord)]
    if lazy and texts and len(texts) == len(batch.items) and batch.resolved.padding == "none":
        rows = EncodedRows(tok, batch.resolved, [t.text for t in texts], batch.encodings, [t.source for t in texts],
                           [t.shape for t in texts])
        return Batch(rows=rows, resolved=batch.resolved, shapes=tuple(dict.fromkeys(rows.shapes)))
    encoded = iter(encodings_to_rows(tok, batch.resolved, [t.text for t in texts], batch.encodings,
                                     sources=[t.source for t in texts], shape=[t.shape for t in texts],
                                     special_tokens_mask=special_tokens_mask)
                   if texts else ())
    rows = [next(encoded) if isinstance(item, TextRecord) else item for item in batch.items]
    return Batch(rows=rows, resolved=batch.resolved, shapes=tuple(dict.fromkeys(row.shape for row in rows)))


def prefetched(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Produce the next items in a background thread while the caller works on this one.

    Work that releases the GIL (the Rust tokenizer's encoding) overlaps with the caller's;
    chained, ``prefetched(stage(x) for x in prefetched(source))`` is a pipeline with one thread
    per stage. Order is kept; an exception in the producer is re-raised here, at the position
    where it happened; leaving the loop early stops the producer (and closes ``items``).
    """
    import queue
    import threading

    done = object()
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
            return
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()  # an upstream prefetched() stage stops its own thread
        put(done)

    worker = threading.Thread(target=produce, name="maskcli-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
