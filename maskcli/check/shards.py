"""Inputs cut into shards, audited apart (worker processes, Ray tasks) and merged into one run's audit.

The planner reads only metadata, or counts lines: the row groups of a Parquet file (their row
offsets from the footer), the Arrow files of a ``save_to_disk`` directory (rows counted on the
memory-mapped stream), text and JSONL files cut at line ends into spans of about ``split_bytes``
bytes (their lines counted on the way), any other file whole. A worker reads its shard itself:
no records cross processes.

Training batches span shards, as in one process: a shard that starts at row ``s`` of the input is
cut after its first ``lead = -s mod batch_size`` rows, which complete the previous shard's
unfinished batch (:meth:`Audit.merge` with ``continues``); the rest is batched from there. Row
counts from the plan make ``lead`` right; a shard found to start elsewhere (a skipped bad record,
blank lines in JSONL) is audited again with the right ``lead`` when its turn comes, and the later
shards' starts are corrected. So the merged audit, row numbers included, is one process's.

Workers get the tokenizer as its ``tokenizer.json`` text plus its special-token facts (no hub, no
files), and the check context resolved once by the caller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from maskcli.check.arrow_input import BATCH_ROWS, damaged_as_input_error, fits_layout
from maskcli.check.audit import Audit, audit_arrow, record_rows
from maskcli.data import remote
from maskcli.data.batches import SkipLog, without_errors
from maskcli.data.readers import STDIN, LineSpan, detect_format, file_head, iter_records, save_to_disk_files
from maskcli.data.records import Source
from maskcli.data.tokenizer import TokenizerHandle
from maskcli.errors import InputError

MIN_SPAN_BYTES = 1 << 20  # text and JSONL files are cut into spans of at least this many bytes
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Shard:
    """A piece of one input: a Parquet row group, an Arrow file of a directory, a span of lines, or a whole file."""

    path: str  # the input as given
    kind: str  # "row_group", "arrow_file", "lines" or "file"
    part: int | str | LineSpan | None  # the row group's index, the Arrow file's path, the span
    first: int  # index of its first row within the input (row groups and Arrow files)
    rows: int | None  # rows expected (None: not known before reading)
    size: int = 0  # its bytes in the input (compressed, for a row group): what progress counts

    @property
    def label(self) -> str:
        if self.kind == "lines":
            return f"{self.path} from line {self.part.first_line}"  # type: ignore[union-attr]
        return {"row_group": f"{self.path} row group {self.part}", "arrow_file": str(self.part)}.get(self.kind, self.path)


def readable_apart(path: str) -> bool:
    """Whether workers can each read their part of ``path``: a regular file, a directory or a URL. A
    FIFO, a pipe or a terminal can be read once, by one process (planning would consume it)."""
    return path != STDIN and (remote.is_url(path) or remote.isdir(path) or remote.isfile(path))


def plan(paths: Sequence[str], fmt: str | None, split_bytes: int) -> list[Shard]:
    """The shards of ``paths``, in order. An input whose metadata cannot be read is one shard: its
    worker reads it as one process would, and reports the same error."""
    shards: list[Shard] = []
    for path in paths:
        if not remote.exists(path):  # as the reader says it, before any worker starts
            raise InputError(f"{path}: no such file")
        kind = detect_format(path, fmt, file_head(path))
        pieces = (_row_groups(path) if kind == "parquet" else _arrow_files(path) if remote.isdir(path)
                  else _line_spans(path, max(split_bytes, MIN_SPAN_BYTES)) if kind in ("text", "jsonl") else None)
        shards.extend(pieces or [Shard(path, "file", None, 0, None, _size(path))])
    return shards


def _size(path: str) -> int:
    try:
        return remote.size(path)
    except OSError:
        return 0


def split_bytes_for(paths: Sequence[str], workers: int) -> int:
    """Spans small enough that ``workers`` stay busy to the end (about four per worker), but not tiny."""
    total = sum(remote.size(p) for p in paths if remote.isfile(p))
    return max(MIN_SPAN_BYTES, min(64 << 20, total // (4 * workers)))


def _row_groups(path: str) -> list[Shard] | None:
    try:
        import pyarrow.parquet as pq

        metadata = pq.ParquetFile(remote.arrow_source(path)).metadata
    except Exception:  # no pyarrow, or not Parquet: the worker's reader says what is wrong
        return None
    shards, first = [], 0
    for index in range(metadata.num_row_groups):
        group = metadata.row_group(index)
        size = sum(group.column(j).total_compressed_size for j in range(group.num_columns))
        shards.append(Shard(path, "row_group", index, first, group.num_rows, size))
        first += group.num_rows
    return shards if first else None  # an empty file: the reader's error


def _arrow_files(path: str) -> list[Shard] | None:
    try:
        import pyarrow as pa

        shards, first = [], 0
        for file in save_to_disk_files(path):
            with remote.open_arrow(file) as mapped:
                rows = sum(batch.num_rows for batch in pa.ipc.open_stream(mapped))
            shards.append(Shard(path, "arrow_file", str(file), first, rows, _size(str(file))))
            first += rows
    except Exception:  # missing or damaged files, no pyarrow: the reader's error
        return None
    return shards if first else None


def _line_spans(path: str, size: int) -> list[Shard] | None:
    """``path`` cut after the first line end past every ``size`` bytes, each span with its line count
    (the records expected: a JSONL blank line costs a re-audit); one span is the whole file. ``None``
    when no line has anything but white space (the reader's error for the whole file).

    Example: the 11 bytes ``aaa\\n bb\\n c\\n d\\n`` (no spaces) with ``size`` 4 are cut into
    ``aaa\\n`` (line 1, bytes 0:4), ``bb\\nc\\n`` (lines 2-3, bytes 4:9) and ``d\\n`` (line 4, bytes 9:11).
    """
    spans: list[Shard] = []
    start = pos = lines = 0
    first_line = 1
    content = False
    last = b"\n"
    try:
        with remote.open_binary(path) as stream:
            while block := stream.read(_BLOCK):
                content = content or bool(block.strip())
                i = 0
                while (cut := block.find(b"\n", max(start + size - pos - 1, i))) >= 0:
                    lines += block.count(b"\n", i, cut + 1)
                    span = LineSpan(start, pos + cut + 1, first_line)
                    spans.append(Shard(path, "lines", span, 0, lines, span.stop - span.start))
                    first_line, lines, start, i = first_line + lines, 0, span.stop, cut + 1
                lines += block.count(b"\n", i)
                pos += len(block)
                last = block[-1:]
    except OSError:
        return None
    if pos > start:
        spans.append(Shard(path, "lines", LineSpan(start, pos, first_line), 0, lines + (last != b"\n"), pos - start))
    if not content:
        return None
    return spans if len(spans) > 1 else [Shard(path, "file", None, 0, spans[0].rows, pos)]


# --- merging, whoever runs the shards --------------------------------------------------------------


def merged_in_order(
    shards: Sequence[Shard], total: Audit, batch_size: int,
    run: Callable[[Iterator[tuple[Shard, int]]], Iterator[tuple[Audit, Audit]]],
    again: Callable[[Shard, int], tuple[Audit, Audit]], progress: Callable[[Audit, int], None] | None = None,
) -> Audit:
    """``total`` with every shard's audits merged, in order.

    ``run(tasks)`` audits ``(shard, lead)`` tasks, pulled lazily, and yields their results in task
    order; ``again(shard, lead)`` audits one shard whose predicted start was wrong, before its turn
    is merged. Later tasks, pulled after a correction, use the corrected starts. ``progress(total,
    bytes)`` after each merge: the bytes of the shards merged so far.
    """
    correction = merged_bytes = 0
    sent: list[tuple[Shard, int, int]] = []  # shard, predicted first row, lead used

    def tasks() -> Iterator[tuple[Shard, int]]:
        predicted = 0
        for shard in shards:
            lead = -(predicted + correction) % batch_size
            sent.append((shard, predicted, lead))
            yield shard, lead
            predicted += shard.rows or 0

    for turn, (head, rest) in enumerate(run(tasks())):
        shard, guess, lead = sent[turn]
        start = total.stats.rows
        if lead != -start % batch_size:  # an earlier shard held other rows than planned: audit this one again
            correction = start - guess
            head, rest = again(shard, -start % batch_size)
        total.merge(head, continues=True).merge(rest, continues=True)
        merged_bytes += shard.size
        if progress is not None:
            progress(total, merged_bytes)
    return total


# --- on the workers --------------------------------------------------------------------------------

_TOKENIZERS: dict[str, TokenizerHandle] = {}  # per worker process: a tokenizer is built once


def ship_tokenizer(tok: TokenizerHandle) -> dict[str, Any]:
    """What a worker needs of ``tok``: its ``tokenizer.json`` and the facts transformers keeps beside it."""
    facts = {f.name: getattr(tok, f.name) for f in dataclasses.fields(tok) if f.name not in ("backend", "hf_tokenizer")}
    return {"json": tok.backend.to_str(), "facts": facts}


def received_tokenizer(shipped: dict[str, Any]) -> TokenizerHandle:
    key = shipped["json"]
    if key not in _TOKENIZERS:
        from tokenizers import Tokenizer

        _TOKENIZERS.clear()
        _TOKENIZERS[key] = TokenizerHandle(backend=Tokenizer.from_str(key), **shipped["facts"])
    return _TOKENIZERS[key]


def audit_task(setup: dict[str, Any], shard: Shard, lead: int) -> tuple[Audit, Audit]:
    """The audits of ``shard``'s first ``lead`` rows and of the rest. ``setup`` holds the shipped
    tokenizer (:func:`ship_tokenizer`), the config, and the context and settings resolved for it."""
    tok = received_tokenizer(setup["tokenizer"])
    config, ctx, resolved = setup["config"], setup["ctx"], setup["resolved"]
    log = SkipLog(skip=config.on_error == "skip")
    columnar = _columnar_batches(shard)
    if columnar is not None:
        head_batches, rest_batches = _cut(columnar, lead)
        head = audit_arrow(head_batches, tok, config, ctx, resolved, log)
        rest = audit_arrow(rest_batches, tok, config, ctx, resolved, log)
        if head.stats.rows < lead and rest.stats.rows:  # a batch went the record way and skipped a record
            raise InputError(f"{shard.label}: a record was skipped where the input is cut into shards; "
                             "run it in one process")
        return head, rest
    head, rest = Audit.start(ctx, config), Audit.start(ctx, config)
    for rows in record_rows(_records(shard, config.input_format, log), tok, config, resolved, log):
        take = max(0, lead - head.stats.rows)
        if take:
            head.update(rows[:take])
        if len(rows) > take:
            rest.update(rows[take:])
    rest.skip_log(log)
    return head, rest


def _arrow_batches(shard: Shard) -> Iterator[Any]:
    """The Arrow batches of a row group or an Arrow file."""
    import pyarrow as pa

    if shard.kind == "row_group":
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(remote.arrow_source(shard.path))
        yield from damaged_as_input_error(shard.label, parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=[shard.part]))
        return
    with remote.open_arrow(shard.part) as mapped:
        yield from damaged_as_input_error(shard.label, iter(pa.ipc.open_stream(mapped)))


def _schema(shard: Shard) -> Any:
    import pyarrow as pa

    if shard.kind == "row_group":
        import pyarrow.parquet as pq

        return pq.ParquetFile(remote.arrow_source(shard.path)).schema_arrow
    with remote.open_arrow(shard.part) as mapped:
        return pa.ipc.open_stream(mapped).schema


def _name(shard: Shard) -> str:
    """How the local reader names the rows of ``shard``'s input."""
    return remote.normalized(shard.path) if shard.kind == "arrow_file" else shard.path


def _columnar_batches(shard: Shard) -> Iterator[tuple[str, int, Any]] | None:
    """``(name, first row, batch)`` of a shard of pre-tokenized integer-list columns, else ``None``."""
    if shard.kind not in ("row_group", "arrow_file") or not fits_layout(_schema(shard)):
        return None

    def batches() -> Iterator[tuple[str, int, Any]]:
        first = shard.first
        for batch in _arrow_batches(shard):
            yield _name(shard), first, batch
            first += batch.num_rows

    return batches()


def _cut(batches: Iterator[tuple[str, int, Any]], lead: int) -> tuple[list[tuple[str, int, Any]], Iterator[Any]]:
    """The first ``lead`` rows' batches (a list: fewer than a training batch), and the rest's."""
    head: list[tuple[str, int, Any]] = []
    wanted = lead
    for name, first, batch in batches:
        if not wanted:
            return head, _chain([(name, first, batch)], batches)
        taken = min(wanted, batch.num_rows)
        head.append((name, first, batch.slice(0, taken)))
        wanted -= taken
        if taken < batch.num_rows:
            return head, _chain([(name, first + taken, batch.slice(taken))], batches)
    return head, iter(())


def _chain(first: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from first
    yield from rest


def _records(shard: Shard, fmt: str | None, log: SkipLog) -> Iterable[tuple[Source, object]]:
    """``(source, record)`` of a shard, named as the local reader names them; bad ones go to ``log``."""
    return without_errors(shard_records(shard, fmt), log)


def shard_records(shard: Shard, fmt: str | None) -> Iterable[tuple[Source, object]]:
    """``(source, record)`` of a shard, named as the local reader names them; a record that cannot be
    read is a :class:`~maskcli.data.records.RowError` in its place, as the readers give them."""
    if shard.kind in ("file", "lines"):
        span = shard.part if isinstance(shard.part, LineSpan) else None
        return iter_records(shard.path, fmt, span)

    def from_batches() -> Iterator[tuple[Source, object]]:
        first = shard.first
        for batch in _arrow_batches(shard):
            for i, record in enumerate(batch.to_pylist()):
                yield Source(_name(shard), row=first + i), record
            first += batch.num_rows

    return from_batches()
