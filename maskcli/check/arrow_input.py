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
from maskcli.data import remote
from maskcli.data.readers import STDIN, detect_format, file_head
from maskcli.data.readers import _damaged as damaged_as_input_error

BATCH_ROWS = 8192


def ragged_from_arrow(batch: Any) -> RaggedBatch | None:
    """An Arrow record batch as a :class:`RaggedBatch`, or ``None`` if it does not fit the layout.

    Values are not copied when they are 64-bit already; an ``attention_mask`` keeps its own
    integer type (it must hold only 0 and 1: anything else goes to the record reader, which
    names the row).
    """
    if not fits_layout(batch.schema):
        return None
    columns = {}
    for name in batch.schema.names:
        column = batch.column(name)
        if hasattr(column, "combine_chunks"):  # a table's ChunkedArray
            column = column.combine_chunks()
        if column.null_count or column.values.null_count:
            return None
        offsets = np.asarray(column.offsets)
        values = np.asarray(column.values)[offsets[0]:offsets[-1]]
        if name == "attention_mask":
            if values.size and (values.min() < 0 or values.max() > 1):
                return None
        elif values.dtype != np.int64:
            values = values.astype(np.int64)
        columns[name] = (values, offsets.astype(np.int64) - offsets[0])
    return RaggedBatch(columns)


def fits_layout(schema: Any) -> bool:
    """Whether an Arrow schema has ``input_ids`` and only pre-tokenized list-of-integer columns
    (unsigned 64-bit ids may not fit in int64: those go to the record reader)."""
    import pyarrow as pa

    def integer_list(kind: Any) -> bool:
        return (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and pa.types.is_integer(kind.value_type) \
            and not pa.types.is_uint64(kind.value_type)

    return "input_ids" in schema.names and all(
        field.name in COLUMNS and integer_list(field.type) for field in schema)


def arrow_files(paths: Sequence[str], fmt: str | None) -> Iterator[tuple[str, int, Any]] | None:
    """``(path, first row, Arrow batch)`` of every input, if all are Parquet files of pre-tokenized
    columns; ``None`` if any must be read record by record (then all are: batches span files)."""
    files = []
    for path in paths:
        if path == STDIN or detect_format(path, fmt, file_head(path)) != "parquet":
            return None
        try:
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(remote.arrow_source(path))
        except Exception:  # no pyarrow, or not Parquet: the record reader says what is wrong
            return None
        if parquet.metadata.num_rows == 0 or not fits_layout(parquet.schema_arrow):
            return None
        files.append((path, parquet))
    return _batches(files)


def _batches(files: list[tuple[str, Any]]) -> Iterator[tuple[str, int, Any]]:
    for path, parquet in files:
        first = 0
        for batch in damaged_as_input_error(path, parquet.iter_batches(batch_size=BATCH_ROWS)):
            yield path, first, batch
            first += batch.num_rows


