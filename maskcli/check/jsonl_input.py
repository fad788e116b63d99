"""JSON Lines of pre-tokenized rows, read a block of lines at a time straight into the ragged layout.

A file whose first line is an object of integer lists named like pre-tokenized fields
(``{"input_ids": [...], "attention_mask": [...]}``) is read in blocks of whole lines, and a block
is laid out with numpy (:func:`ragged_from_jsonl`) only when every line of it is exactly such an
object: the first line's keys in the same order, integers written as JSON writes them, compact or
with ``json.dumps``' spaces. Anything else in a block (a blank line, a float, ``true``, a duplicate
key, a huge integer, an ``attention_mask`` value other than 0 or 1, another shape of record) sends
that block to :func:`maskcli.data.readers.jsonl_records`, the reader of every other input, so its
records, its errors and its row names (``file:line``) are those of reading the file line by line.

A block holding a record of another shape (text to tokenize, say) ends the fast reading: the rest
of the input is read record by record (:func:`audit_jsonl_pieces`).
"""

from __future__ import annotations

import codecs
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from maskcli.check.audit import Audit, RowSources, record_rows
from maskcli.check.columnar import COLUMNS, RaggedBatch
from maskcli.check.config import CheckConfig
from maskcli.check.rows import Context
from maskcli.data.batches import SkipLog, prefetched, without_errors
from maskcli.data.encoding import ResolvedSettings
from maskcli.data.readers import STDIN, decoded_lines, detect_format, file_head, iter_records, jsonl_records
from maskcli.data.records import RowError, Source
from maskcli.data.tokenizer import TokenizerHandle

BLOCK_BYTES = 2 << 20
MIN_BYTES = 8 << 20  # a smaller file reads faster record by record than importing pyarrow (~0.3 s) takes
FIRST_LINE_BYTES = 1 << 20  # a longer first line: the file is read record by record
NUMBER = b"0123456789-,"  # what may stand inside a list
_DIGITS = bytes(c if c in b"0123456789" else ord("0") for c in range(256))  # a translation: all else is 0
_LIMIT = 10**18  # numbers of at most 18 digits


def jsonl_pieces(paths: Sequence[str], fmt: str | None, field: str) -> Iterator[Piece] | None:
    """The input as :class:`~maskcli.check.audit.Piece` s, if the first input is a JSON Lines file of
    pre-tokenized rows of at least ``MIN_BYTES`` (``None`` otherwise: it is all read record by record)."""
    first = Path(paths[0]) if paths and paths[0] != STDIN else None
    if first is None or not first.is_file() or first.stat().st_size < MIN_BYTES:
        return None
    try:
        import pyarrow.compute  # noqa: F401 - reads the numbers
    except ImportError:
        return None
    if _columns(paths[0], fmt, field) is None:
        return None
    return prefetched(_pieces(list(paths), fmt, field))  # one thread reads and lays out block N+1 meanwhile


@dataclass(frozen=True)
class Piece:
    """Consecutive rows of the input: laid out (``ragged``, named by ``sources``) or ``records`` to read
    one by one (``(source, record)`` pairs, a malformed one as its :class:`~maskcli.data.records.RowError`)."""

    sources: Sequence[Source] = ()
    ragged: RaggedBatch | None = None
    records: Iterable[tuple[Source, object]] = ()


def audit_jsonl_pieces(
    pieces: Iterable[Piece], tok: TokenizerHandle, config: CheckConfig, ctx: Context, resolved: ResolvedSettings,
    log: SkipLog | None = None, progress: Callable[[Audit], None] | None = None,
) -> Audit:
    """Check pieces of the input, in order: laid-out blocks columnar, the rest record by record (the
    report does not depend on where pieces or chunks end: findings list rows in input order)."""
    audit = Audit.start(ctx, config)
    log = log if log is not None else SkipLog(skip=config.on_error == "skip")
    reading = iter(pieces)
    try:
        for piece in reading:
            if piece.ragged is not None:
                audit.update_columnar(piece.ragged, piece.sources)
            else:
                for rows in record_rows(without_errors(piece.records, log), tok, config, resolved, log):
                    audit.update(rows)
                    if progress is not None:
                        progress(audit)
            if progress is not None:
                progress(audit)
    finally:  # a bad row ends the run: the reading thread stops now, not when garbage is collected
        if hasattr(reading, "close"):
            reading.close()
    audit.skip_log(log)
    return audit


def _pieces(paths: list[str], fmt: str | None, field: str) -> Iterator[Piece]:
    for at, path in enumerate(paths):
        columns = _columns(path, fmt, field)
        if columns is None:  # read the rest record by record
            yield Piece(records=_records(paths[at:], fmt))
            return
        with open(path, "rb") as stream:
            for piece in _file_pieces(path, stream, columns, field):
                if isinstance(piece.records, _Rest):  # one piece: its chunks run on into the next file
                    yield Piece(records=itertools.chain(piece.records, _records(paths[at + 1:], fmt)))
                    return
                yield piece


def _records(paths: list[str], fmt: str | None) -> Iterator[tuple[Any, Any]]:
    for path in paths:
        yield from iter_records(path, fmt)


def _columns(path: str, fmt: str | None, field: str) -> tuple[str, ...] | None:
    """The keys of the file's first line, if it is JSON Lines and that line reads as a laid-out block."""
    if path == STDIN or Path(path).is_dir() or detect_format(path, fmt, file_head(path)) != "jsonl":
        return None
    try:
        with open(path, "rb") as stream:
            line = stream.readline(FIRST_LINE_BYTES)
    except OSError:
        return None  # the record reader says what is wrong
    if not line.endswith(b"\n"):
        return None
    import json

    try:
        record = json.loads(line.removeprefix(codecs.BOM_UTF8))
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or "input_ids" not in record or field in record or not set(record) <= set(COLUMNS):
        return None
    columns = tuple(record)
    return columns if ragged_from_jsonl(line.removeprefix(codecs.BOM_UTF8), columns) is not None else None


def _file_pieces(path: str, stream: BinaryIO, columns: tuple[str, ...], field: str) -> Iterator[Piece]:
    line, offset = 1, 0
    for raw in _blocks(stream):
        ragged = ragged_from_jsonl(raw.removeprefix(codecs.BOM_UTF8) if line == 1 else raw, columns)
        if ragged is not None:
            count = len(ragged)
            yield Piece(RowSources(path, line, count, lines=True), ragged)
        else:
            count = raw.count(b"\n") + (not raw.endswith(b"\n"))
            records, failed = _read_by_line(path, raw, line, offset)
            if failed is not None or any(not _pretokenized(record, field) for _, record in records):
                # another shape: this block and all that follows, record by record
                yield Piece(records=_Rest(records, failed, path, line + count, offset + len(raw)))
                return
            yield Piece(records=records)
        line += count
        offset += len(raw)


def _blocks(stream: BinaryIO) -> Iterator[bytes]:
    """``stream`` in blocks of whole lines, about ``BLOCK_BYTES`` each (a longer line makes a longer block)."""
    pending: list[bytes] = []  # read, not yet in a block (part of a line)
    while chunk := stream.read(BLOCK_BYTES):
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            pending.append(chunk)
            continue
        yield b"".join([*pending, chunk[:cut]])
        pending = [chunk[cut:]]
    if rest := b"".join(pending):
        yield rest


def _read_by_line(path: str, raw: bytes, line: int, offset: int) -> tuple[list, Exception | None]:
    """The block's records as the line reader gives them; an error it raises is kept to be raised in turn."""
    records: list = []
    try:
        records.extend(jsonl_records(path, decoded_lines(path, io.BytesIO(raw), line, offset)))
    except Exception as error:  # noqa: BLE001 - re-raised where the line reader would have raised it
        return records, error
    return records, None


def _pretokenized(record: Any, field: str) -> bool:
    """Whether the line reader's record becomes a pre-tokenized row (or is a bad line: no row at all)."""
    return isinstance(record, RowError) or (isinstance(record, dict) and "input_ids" in record and field not in record)


class _Rest:
    """Records of a block read line by line, then of the rest of its file (then its error, if it had one)."""

    def __init__(self, records: list, failed: Exception | None, path: str, line: int, offset: int) -> None:
        self.records, self.failed, self.path, self.line, self.offset = records, failed, path, line, offset

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        yield from self.records
        if self.failed is not None:
            raise self.failed
        with open(self.path, "rb") as stream:
            stream.seek(self.offset)
            yield from jsonl_records(self.path, decoded_lines(self.path, stream, self.line, self.offset))


def ragged_from_jsonl(data: bytes, columns: tuple[str, ...]) -> RaggedBatch | None:
    r"""Lines ``{"c1":[ints],"c2":[ints],...}`` (keys ``columns``, in order) as a :class:`RaggedBatch`, or
    ``None`` unless every line is exactly that (spaces after ``,`` and ``:`` allowed, and ``\r\n``).

    Checked without a loop per line: the bytes other than digits, ``-`` and ``,`` must be the lines'
    skeleton (``{"c1":[`` ``],"c2":[`` ... ``]}``) repeated, each piece of it in one place; inside the
    lists, every number must be digits after at most one ``-`` and written as JSON writes them (no
    leading zero, no ``-0``, fewer than 19 digits). Arrow reads the numbers: each is the bytes from
    the end of the one before, all but digits read as ``0`` (leading zeros), its sign put back after.

    >>> batch = ragged_from_jsonl(b'{"input_ids": [5, -10]}\n{"input_ids":[]}\n', ("input_ids",))
    >>> batch.columns["input_ids"][0].tolist(), batch.columns["input_ids"][1].tolist()
    ([5, -10], [0, 2, 2])
    >>> ragged_from_jsonl(b'{"input_ids":[5]}\n\n', ("input_ids",)) is None  # a blank line
    True
    """
    if b" " in data:
        data = data.replace(b", ", b",").replace(b": ", b":")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    if not data.endswith(b"\n"):
        data += b"\n"
    k = len(columns)
    pieces = [b'{"%s":[' % columns[0].encode()] + [b'],"%s":[' % name.encode() for name in columns[1:]] + [b"]}\n"]
    b = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(b == ord("\n"))
    lines = ends.size
    skeleton = data.translate(None, NUMBER)
    if skeleton != b"".join(piece.translate(None, NUMBER) for piece in pieces) * lines:
        return None
    # the brackets and line ends are where the skeleton says, so each piece spans its own length
    opens = np.flatnonzero(b == ord("[")).reshape(lines, k)
    closes = np.flatnonzero(b == ord("]")).reshape(lines, k)
    starts = np.concatenate(([0], ends[:-1] + 1))
    before = np.concatenate((starts[:, None], closes[:, :-1]), axis=1)  # where the piece before each list starts
    if (opens - before != [len(piece) - 1 for piece in pieces[:-1]]).any() or \
            (ends - closes[:, -1] != len(pieces[-1]) - 1).any() or (b[closes[:, :-1] + 1] != ord(",")).any():
        return None
    # inside the lists now: digits, "-" and "," only. A number ends at a "," inside a list or at the "]"
    # of a non-empty list, after a digit; a "-" starts one, before a digit
    marks = b.copy()
    marks[closes[:, :-1] + 1] = ord("]")  # not the commas between fields
    filled = closes - opens > 1
    marks[closes[filled]] = ord(",")
    number_ends = np.flatnonzero(marks == ord(","))
    minus = np.flatnonzero(b == ord("-"))
    if not _digits(b[number_ends - 1]) or not _digits(b[minus + 1]) or \
            ((b[minus - 1] != ord("[")) & (b[minus - 1] != ord(","))).any():
        return None
    values = _integers(data.translate(_DIGITS), number_ends)
    if values is None:
        return None
    if values.size:
        if values.max() >= _LIMIT:
            return None
        digits = values.size + sum(int(np.count_nonzero(values >= 10**e)) for e in range(1, len(str(values.max()))))
        commas = number_ends.size - int(np.count_nonzero(filled)) + (k - 1) * lines
        if digits + minus.size != len(data) - len(skeleton) - commas:  # a leading zero, "-0"
            return None
        if minus.size:
            values = values.copy()  # Arrow's, read-only
            values[np.searchsorted(number_ends, minus, side="right")] *= -1
    counts = np.diff(np.searchsorted(number_ends, closes.ravel(), side="right"), prepend=0)
    per_line = counts.reshape(lines, k)
    which = np.repeat(np.tile(np.arange(k, dtype=np.int8), lines), counts) if k > 1 else None
    laid = {}
    for j, name in enumerate(columns):
        column = values if which is None else values[which == j]
        if name == "attention_mask" and column.size and (column.min() < 0 or column.max() > 1):
            return None
        offsets = np.zeros(lines + 1, dtype=np.int64)
        np.cumsum(per_line[:, j], out=offsets[1:])
        laid[name] = (column, offsets)
    return RaggedBatch(laid)


def _digits(codes: np.ndarray) -> bool:
    return not codes.size or bool(((codes >= ord("0")) & (codes <= ord("9"))).all())


def _integers(digits: bytes, ends: np.ndarray) -> np.ndarray | None:
    """The numbers ``digits[ends[i - 1]:ends[i]]`` (from 0 for the first), as int64; ``None`` past int64."""
    import pyarrow as pa

    offsets = np.zeros(len(ends) + 1, dtype=np.int32)
    offsets[1:] = ends
    strings = pa.StringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(digits))
    try:
        return strings.cast(pa.int64()).to_numpy()
    except pa.ArrowInvalid:
        return None
