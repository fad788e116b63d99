"""From input files to padded batches of :class:`~maskcli.records.Row`, streamed.

``read_batches`` reads records one at a time, keeps ``--rows``/``--limit``, interprets each
record's shape, and every ``--batch-size`` records tokenizes the text ones together (so they
are padded together, as a collator would) while pre-tokenized ones pass through untouched.
Bad records raise, or with ``on_error="skip"`` are counted in :class:`SkipLog`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from maskcli.encoding import EncodeSettings, ResolvedSettings, encode_texts
from maskcli.errors import InputError
from maskcli.readers import RowError, iter_records
from maskcli.records import Row, Source
from maskcli.shapes import TextRecord, interpret
from maskcli.tokenizer import TokenizerHandle


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


@dataclass(frozen=True)
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
    """Records of all inputs in order, restricted to the selection; malformed ones go to ``log``."""
    index = 0
    end = selection.end
    for path in paths:
        for source, record in iter_records(path, fmt):
            if end is not None and index >= end:
                return
            index += 1
            if index - 1 < selection.start:
                continue
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
    """Interpret already-read ``(source, record)`` pairs and batch them (``check --num-proc`` workers)."""
    log = log if log is not None else SkipLog()
    pending: list[TextRecord | Row] = []
    for source, record in records:
        try:
            pending.append(interpret(source, record, tok, field_name, strict=strict))
        except RowError as error:
            log.handle(error)
            continue
        if len(pending) == batch_size:
            yield make_batch(tok, settings, pending)
            pending = []
    if pending:
        yield make_batch(tok, settings, pending)


def make_batch(tok: TokenizerHandle, settings: EncodeSettings, items: list[TextRecord | Row]) -> Batch:
    """Tokenize the batch's text records together; keep pre-tokenized rows as they are."""
    texts = [item for item in items if isinstance(item, TextRecord)]
    resolved = None
    encoded: dict[int, Row] = {}
    if texts:
        add_special = settings.add_special_tokens and all(t.add_special_tokens for t in texts)
        resolved, rows = encode_texts(
            tok,
            [t.text for t in texts],
            dataclasses.replace(settings, add_special_tokens=add_special),
            sources=[t.source for t in texts],
            shape=[t.shape for t in texts],
        )
        encoded = {id(t): row for t, row in zip(texts, rows)}
    rows = [encoded[id(item)] if isinstance(item, TextRecord) else item for item in items]
    return Batch(rows=rows, resolved=resolved, shapes=tuple(dict.fromkeys(row.shape for row in rows)))


def prefetched(items: Iterable[Batch], depth: int = 2) -> Iterator[Batch]:
    """Produce the next batches in a background thread while the caller works on this one.

    The Rust tokenizer releases the GIL while it encodes, so reading and tokenizing batch N+1
    overlaps with checking batch N. Order is kept; an exception in the producer is re-raised
    here, at the position where it happened; leaving the loop early stops the producer.
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
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
            return
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
