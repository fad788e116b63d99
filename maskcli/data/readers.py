"""Streaming records out of files: text, JSON Lines, JSON, CSV/TSV, Parquet, ``save_to_disk`` dirs.

Every reader is a generator of ``(Source, record)`` pairs, where a record is a ``str`` (plain
text) or a ``dict`` (everything else), so memory stays constant whatever the file size (a JSON
array is the exception: it has to be parsed whole). Errors name the file and line (or row):
``data.jsonl:7: malformed JSON (Expecting ',' delimiter, column 12)``. An input may be an fsspec
URL (``s3://bucket/train.parquet``): :mod:`maskcli.data.remote` opens, tests and lists them.
"""

from __future__ import annotations

import codecs
import functools
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from maskcli.data import remote
from maskcli.errors import InputError
from maskcli.data.records import RowError, Source

FORMATS = ("text", "jsonl", "json", "csv", "tsv", "parquet", "arrow")
EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "arrow",
}
STDIN = "-"
CSV_FIELD_LIMIT = 2**31 - 1  # csv's default is 128 KiB; a record's size is bounded by memory, not csv


def detect_format(path: str, declared: str | None, head: bytes = b"") -> str:
    """``--input-format`` if given, else the extension, else a look at the first bytes (stdin, unknown
    extensions): Parquet's and Arrow's magic numbers, then ``{`` for JSON Lines, ``[`` for JSON."""
    if declared:
        if declared not in FORMATS:
            raise InputError(f"--input-format must be one of {', '.join(FORMATS)}, not {declared!r}")
        return declared
    if path != STDIN:
        if remote.isdir(path):
            return "arrow"
        suffix = Path(path).suffix.lower()
        if suffix in EXTENSIONS:
            return EXTENSIONS[suffix]
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"ARROW1", b"\xff\xff\xff\xff")):  # an IPC file; a stream's first message
        return "arrow"
    first = head.lstrip()[:1]
    return {b"{": "jsonl", b"[": "json"}.get(first, "text")


def file_head(path: str) -> bytes:
    """The first 64 bytes of a file (what :func:`detect_format` looks at), or ``b""`` if it cannot be read."""
    try:
        with remote.open_binary(path) as stream:
            return stream.read(64)
    except OSError:
        return b""


@dataclass(frozen=True)
class LineSpan:
    """Bytes ``start:stop`` of a text or JSONL file, cut at line ends, whose first line is ``first_line``
    (1-based): a shard of one big file (:mod:`maskcli.check.shards`). Its records are named by their
    lines in the whole file, and a span with no record is no error (the file as a whole may have some)."""

    start: int
    stop: int
    first_line: int


def iter_records(path: str, fmt: str | None = None, span: LineSpan | None = None) -> Iterator[tuple[Source, Any]]:
    """All records of one input (``-`` is stdin), streamed; with ``span`` only those of that span."""
    if path != STDIN and remote.isdir(path):
        yield from _arrow_dir(path)
        return
    with _open_binary(path) as stream:
        head = stream.peek(64)[:64]
        kind = detect_format(path, fmt, head)
        name = "<stdin>" if path == STDIN else path
        if span is not None and kind not in ("text", "jsonl"):
            raise InputError(f"{name}: only text and JSONL files are read by line spans, not {kind}")
        if kind in ("parquet", "arrow"):
            reader = _parquet if kind == "parquet" else _arrow_file
            yield from reader(path, stream)
            return
        lines = decoded_lines(name, stream) if span is None else _span_lines(name, stream, span)
        if kind == "text":
            yield from _text(name, lines)
        elif kind == "jsonl":
            yield from _jsonl(name, lines) if span is None else jsonl_records(name, lines)
        elif kind == "json":
            yield from _json_array(name, lines)
        else:
            yield from _delimited(name, lines, "\t" if kind == "tsv" else ",")


def _open_binary(path: str) -> BinaryIO:
    if path == STDIN:
        stream = sys.stdin.buffer
        # a real stdin is a BufferedReader (format sniffing peeks at it); test runners give BytesIO
        return stream if hasattr(stream, "peek") else io.BufferedReader(io.BytesIO(stream.read()))
    try:
        stream = remote.open_binary(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return stream


def _span_lines(name: str, stream: BinaryIO, span: LineSpan) -> Iterator[tuple[int, str]]:
    """:func:`decoded_lines` of the lines of ``span`` only."""
    stream.seek(span.start)
    return decoded_lines(name, _lines_before(stream, span.stop - span.start), span.first_line, span.start)


def _lines_before(stream: BinaryIO, size: int) -> Iterator[bytes]:
    """The lines of ``stream`` from where it is, until ``size`` bytes have been read (spans end at line ends)."""
    for raw in stream:
        yield raw
        size -= len(raw)
        if size <= 0:
            return


def decoded_lines(name: str, stream: Iterable[bytes], first: int = 1, offset: int = 0) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` with UTF-8 checked line by line, reporting the file's byte offset.

    ``first`` and ``offset`` say where ``stream`` starts in the file (a part read again, line by line)."""
    number = first - 1
    for number, raw in enumerate(stream, start=first):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}:{number}: invalid UTF-8 at byte offset {offset + exc.start}") from None
        if number == 1 and text.startswith(codecs.BOM_UTF8.decode("utf-8")):
            text = text[1:]
        offset += len(raw)
        yield number, text.rstrip("\r\n")
    if number == 0:
        raise InputError(f"{name}: file is empty")


def _text(name: str, lines: Iterator[tuple[int, str]]) -> Iterator[tuple[Source, Any]]:
    for number, text in lines:
        yield Source(name, line=number), text


def _jsonl(name: str, lines: Iterator[tuple[int, str]]) -> Iterator[tuple[Source, Any]]:
    seen = False
    for item in jsonl_records(name, lines):
        seen = True
        yield item
    if not seen:
        raise InputError(f"{name}: no records (only blank lines)")


def jsonl_records(name: str, lines: Iterable[tuple[int, str]]) -> Iterator[tuple[Source, Any]]:
    """The records of JSON Lines (blank lines skipped), a malformed line as its :class:`RowError`."""
    for number, text in lines:
        if not text.strip():
            continue
        source = Source(name, line=number)
        try:
            record = _loads(text)
        except json.JSONDecodeError as exc:
            yield source, RowError(source, f"malformed JSON ({exc.msg}, column {exc.colno})")
            continue
        except RecursionError:
            yield source, RowError(source, "JSON nested too deeply to read")
            continue
        yield source, record


def _loads(text: str) -> Any:
    """``json.loads``, through orjson (3x faster) when it is installed and accepts the line; anything
    orjson refuses (NaN, lone surrogates, bad JSON) goes to ``json`` itself, so values and error
    messages are the standard library's. So do lines with a 19-digit run (orjson reads integers
    outside [-2**63, 2**64) as floats) and lines that may nest deeper than ``json`` can read
    (orjson reads any depth)."""
    orjson = _optional_orjson()
    if orjson is not None and text.count("[") + text.count("{") < ORJSON_MAX_OPENINGS \
            and not _may_hold_long_number(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


@functools.cache
def _optional_orjson() -> Any:
    """orjson, imported on the first JSON line (not at start-up: TEXT arguments never need it)."""
    try:
        import orjson
    except ImportError:
        return None
    return orjson


def preload_parsers(paths: list[str], fmt: str | None = None) -> None:
    """Import now the extension modules reading ``paths`` will need (orjson; pyarrow for Parquet,
    Arrow and datasets), before a caller installs stop-signal handlers: a handler that exits while
    an extension module initialises crashes the interpreter (SIGSEGV, seen with orjson)."""
    _optional_orjson()
    tabular = {"parquet", "arrow"}
    if fmt in tabular or any(p != STDIN and (remote.isdir(p) or EXTENSIONS.get(Path(p).suffix.lower()) in tabular)
                             for p in paths):
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            pass  # the reader says how to install it


ORJSON_MAX_OPENINGS = 256  # far below json's recursion limit
_LONG_NUMBER = re.compile(r"[0-9]{19}")  # JSON numbers have ASCII digits only
_DIGITS = b"0123456789"


def _may_hold_long_number(text: str) -> bool:
    """Whether ``text`` has a run of 19 digits: the regex only for lines with 19 digits in all (it costs
    ~10 us on a 400-character line, counting digits ~1 us).

    >>> _may_hold_long_number('{"text": "1999, 2000"}'), _may_hold_long_number('{"id": 12345678901234567890}')
    (False, True)
    """
    raw = text.encode("utf-8", "surrogatepass")
    return len(raw) - len(raw.translate(None, _DIGITS)) >= 19 and _LONG_NUMBER.search(text) is not None


def _json_array(name: str, lines: Iterator[tuple[int, str]]) -> Iterator[tuple[Source, Any]]:
    text = "\n".join(line for _, line in lines)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}: malformed JSON ({exc.msg}, column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{name}:{_deepest_line(text)}: JSON nested too deeply to read") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InputError(f"{name}: expected a JSON array of records, got {type(data).__name__}")
    if not data:
        raise InputError(f"{name}: the JSON array is empty")
    for index, record in enumerate(data):
        yield Source(name, row=index), record


def _deepest_line(text: str) -> int:
    """The line where the JSON ``text`` first reaches its deepest nesting (strings skipped)."""
    depth = deepest = 0
    line = where = 1
    in_string = escaped = False
    for char in text:
        if char == "\n":
            line += 1
        elif in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, line
        elif char in "]}":
            depth -= 1
    return where


def _delimited(name: str, lines: Iterator[tuple[int, str]], delimiter: str) -> Iterator[tuple[Source, Any]]:
    import csv  # only CSV/TSV files need it

    numbered = iter(lines)
    current = [0]

    def text_lines() -> Iterator[str]:
        for number, text in numbered:
            current[0] = number
            yield text

    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(text_lines(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{name}: file is empty") from None
    except csv.Error as exc:
        raise InputError(f"{name}:1: bad header ({exc})") from None
    rows = 0
    while True:
        start = current[0] + 1
        try:
            values = next(reader)
        except StopIteration:
            if not rows:
                raise InputError(f"{name}: file is empty (only a header)") from None
            return
        except csv.Error as exc:
            rows += 1
            source = Source(name, line=start)
            yield source, RowError(source, f"malformed {'TSV' if delimiter == chr(9) else 'CSV'} ({exc})")
            continue
        if not values:
            continue
        rows += 1
        source = Source(name, line=start)
        if len(values) != len(header):
            yield source, RowError(source, f"{len(values)} columns, but the header has {len(header)}")
            continue
        yield source, dict(zip(header, values))


def _pyarrow(what: str) -> Any:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputError(f"reading {what} needs pyarrow: pip install 'maskcli[parquet]' (or pip install pyarrow)") from None
    import pyarrow

    return pyarrow


def _batches_to_records(name: str, batches: Iterator[Any]) -> Iterator[tuple[Source, Any]]:
    index = 0
    for batch in batches:
        for record in batch.to_pylist():
            yield Source(name, row=index), record
            index += 1
    if index == 0:
        raise InputError(f"{name}: no rows")


def _damaged(name: str, batches: Iterator[Any]) -> Iterator[Any]:
    """pyarrow's batches, with a corrupt page or a truncated file as one error naming ``name``."""
    pa = _pyarrow("Arrow data")
    try:
        yield from batches
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{name}: damaged file ({str(exc).splitlines()[0]})") from None


def _parquet(path: str, stream: BinaryIO) -> Iterator[tuple[Source, Any]]:
    _pyarrow("Parquet")
    import pyarrow.parquet as pq

    name = "<stdin>" if path == STDIN else path
    if path == STDIN and not stream.seekable():
        raise InputError("<stdin>: a Parquet file cannot be read from a pipe (its footer is at the end); "
                         "pass its path, or redirect it (< FILE.parquet)")
    try:
        parquet = pq.ParquetFile(stream if path == STDIN or remote.is_url(path) else path)
    except InputError:  # a URL's read failed (pyarrow re-raises it): already one line naming it
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid and friends
        raise InputError(f"{name}: not a Parquet file ({str(exc).splitlines()[0]})") from None
    yield from _batches_to_records(name, _damaged(name, parquet.iter_batches(batch_size=1024)))


def _arrow_file(path: str, stream: BinaryIO) -> Iterator[tuple[Source, Any]]:
    pa = _pyarrow("Arrow files")
    name = "<stdin>" if path == STDIN else path
    try:
        reader = pa.ipc.open_stream(stream)
    except InputError:  # see _parquet
        raise
    except Exception:
        if path == STDIN and not stream.seekable():
            raise InputError("<stdin>: an Arrow IPC file cannot be read from a pipe (its footer is at the end); pass "
                             "its path, redirect it (< FILE.arrow), or send the IPC stream format") from None
        if path == STDIN:
            stream.seek(0)
        try:
            reader = pa.ipc.open_file(stream if path == STDIN else remote.arrow_source(path))
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{name}: not an Arrow IPC file ({str(exc).splitlines()[0]})") from None
        yield from _batches_to_records(name, (reader.get_batch(i) for i in range(reader.num_record_batches)))
        return
    yield from _batches_to_records(name, iter(reader))


def _arrow_dir(path: str) -> Iterator[tuple[Source, Any]]:
    """A Hugging Face ``Dataset.save_to_disk`` directory (its ``data-*.arrow`` shards, in order)."""
    files = save_to_disk_files(path)
    state = remote.join(path, "state.json")
    pa = _pyarrow("save_to_disk datasets")

    def batches() -> Iterator[Any]:
        for file in files:
            if not remote.isfile(file):
                raise InputError(f"{file}: missing (listed in state.json)" if remote.exists(state) else f"{file}: missing")
            with remote.open_arrow(file) as mapped:
                try:
                    reader = pa.ipc.open_stream(mapped)
                except InputError:  # see _parquet
                    raise
                except Exception as exc:
                    raise InputError(f"{file}: not an Arrow stream ({str(exc).splitlines()[0]})") from None
                yield from _damaged(file, iter(reader))

    yield from _batches_to_records(remote.normalized(path), batches())


def save_to_disk_files(path: str | Path) -> list[str]:
    """The ``data-*.arrow`` files of a ``save_to_disk`` directory (a path or a URL), in order
    (``state.json``'s list)."""
    path = str(path)
    if remote.exists(remote.join(path, "dataset_dict.json")):
        splits = remote.subdirectories(path)
        raise InputError(f"{remote.normalized(path)}: a DatasetDict; point at one split directory: {', '.join(splits)}")
    state = remote.join(path, "state.json")
    if remote.exists(state):
        try:
            with remote.open_binary(state) as stream:
                files = [remote.join(path, f["filename"]) for f in json.loads(stream.read())["_data_files"]]
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise InputError(f"{state}: unreadable save_to_disk state ({exc})") from None
    else:
        files = remote.glob(path, "*.arrow")
    if not files:
        raise InputError(f"{remote.normalized(path)}: a directory with no .arrow files (expected a save_to_disk dataset)")
    return files
