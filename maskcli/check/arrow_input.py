"""Parquet files and Arrow tables of pre-tokenized columns, read straight into the ragged layout.

Only inputs whose every column is a list of integers named like a pre-tokenized field
(``input_ids``, ``attention_mask``, ``labels``, ``position_ids``, ``token_type_ids``), with no
nulls, take this way; anything else returns ``None`` and is read record by record, so its
interpretation (and its errors) stay those of :mod:`maskcli.data.readers`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from maskcli.check.columnar import COLUMNS, RaggedBatch
from maskcli.data.readers import STDIN, detect_format

BATCH_ROWS = 8192


def ragged_from_arrow(batch: Any) -> RaggedBatch | None:
    """An Arrow record batch as a :class:`RaggedBatch`, or ``None`` if it does not fit the layout."""
    import pyarrow as pa

    names = batch.schema.names
    if "input_ids" not in names or any(name not in COLUMNS for name in names):
        return None
    columns = {}
    for name in names:
        column = batch.column(name)
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        kind = column.type
        if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)) or not pa.types.is_integer(kind.value_type) \
                or column.null_count or column.values.null_count:
            return None
        offsets = np.asarray(column.offsets, dtype=np.int64)
        values = np.asarray(column.values, dtype=np.int64)[offsets[0]:offsets[-1]]
        columns[name] = (values, offsets - offsets[0])
    return RaggedBatch(columns)


def arrow_files(paths: Sequence[str], fmt: str | None) -> Iterator[tuple[str, int, Any]] | None:
    """``(path, first row, Arrow batch)`` of every input, if all are Parquet files of pre-tokenized
    columns; ``None`` if any must be read record by record (then all are: batches span files)."""
    files = []
    for path in paths:
        if path == STDIN or detect_format(path, fmt, _head(path)) != "parquet":
            return None
        try:
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(path)
        except Exception:  # no pyarrow, or not Parquet: the record reader says what is wrong
            return None
        if parquet.metadata.num_rows == 0 or ragged_from_arrow(parquet.schema_arrow.empty_table()) is None:
            return None
        files.append((path, parquet))
    return _batches(files)


def _batches(files: list[tuple[str, Any]]) -> Iterator[tuple[str, int, Any]]:
    for path, parquet in files:
        first = 0
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            yield path, first, batch
            first += batch.num_rows


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as stream:
            return stream.read(64)
    except OSError:
        return b""
