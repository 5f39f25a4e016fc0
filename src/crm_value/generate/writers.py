"""The entity files: CSV rendered in one vectorised pass per chunk, Parquet buffered into
``ROW_GROUP_ROWS`` row groups; each written to a temporary file and moved into place."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crm_value.generate.arrays import _concat
from crm_value.generate.reference import ROW_GROUP_ROWS, SCHEMAS

Overrides = list[tuple[str, int, str]]  # (column, row index, CSV text)

_NEEDS_QUOTES = r'[",\r\n]'


def _csv_column(col: pa.Array, quote: bool) -> pa.Array:
    """Render one column as CSV text (null stays null, i.e. an empty field)."""
    text = col if pa.types.is_string(col.type) else pc.cast(col, pa.string())
    if quote:
        quoted = _concat('"', pc.replace_substring(text, '"', '""'), '"')
        needs = pc.fill_null(pc.match_substring_regex(text, _NEEDS_QUOTES), False)
        text = pc.if_else(needs, quoted, text)
    return text


def _csv_bytes(table: pa.Table, overrides: Overrides) -> memoryview | bytes:
    """Render a table as CSV lines (no header) in one vectorised pass."""
    if table.num_rows == 0:
        return b""
    table = table.combine_chunks()
    cols: list[pa.Array] = []
    for name in table.column_names:
        col = table[name].chunk(0) if table[name].num_chunks else table[name]
        col = pc.cast(col, pa.string()) if not pa.types.is_string(col.type) else col
        override = [(i, t) for c, i, t in overrides if c == name]
        for i, text in override:
            mask = np.zeros(table.num_rows, dtype=bool)
            mask[i] = True
            col = pc.if_else(pa.array(mask), pa.scalar(text), col)
        quote = pa.types.is_string(table.schema.field(name).type) or bool(override)
        cols.append(_csv_column(col, quote))
    lines = pc.binary_join_element_wise(*cols, ",", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(lines, "", "\n")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets = np.frombuffer(
        lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=lines.offset * 4
    )
    return memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


class _Sink:
    """Writes one entity to ``<out>/<entity>.<fmt>`` via a temporary file."""

    def __init__(self, out_dir: Path, entity: str, fmt: str) -> None:
        """Open the temporary output file and write the CSV header."""
        self.entity = entity
        self.fmt = fmt
        self.path = out_dir / f"{entity}.{fmt}"
        self.tmp = out_dir / f".{entity}.{fmt}.tmp"
        self.rows = 0
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        schema = SCHEMAS[entity]
        self._file: BinaryIO | None = None
        self._writer: pq.ParquetWriter | None = None
        if fmt == "csv":
            self._file = open(self.tmp, "wb")  # noqa: SIM115 - closed in close()/abort()
            self._file.write((",".join(schema.names) + "\n").encode("utf-8"))
        else:
            self._parquet_schema = pa.schema(
                [
                    pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f
                    for f in schema
                ]
            )
            self._writer = pq.ParquetWriter(self.tmp, self._parquet_schema, compression="zstd")

    def write(self, table: pa.Table, overrides: Overrides | None = None) -> None:
        """Append a chunk (CSV: immediately; Parquet: buffered to ~1M-row groups)."""
        self.rows += table.num_rows
        if self._file is not None:
            self._file.write(_csv_bytes(table, overrides or []))
            return
        self._buffer.append(table.cast(self._parquet_schema))
        self._buffered += table.num_rows
        if self._buffered >= ROW_GROUP_ROWS:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        """Write buffered rows as full ``ROW_GROUP_ROWS`` groups (all rows if final)."""
        if self._writer is None or not self._buffer:
            return
        merged = pa.concat_tables(self._buffer)
        full = merged.num_rows if final else merged.num_rows // ROW_GROUP_ROWS * ROW_GROUP_ROWS
        for start in range(0, full, ROW_GROUP_ROWS):
            part = merged.slice(start, min(ROW_GROUP_ROWS, full - start))
            self._writer.write_table(part, row_group_size=ROW_GROUP_ROWS)
        rest = merged.slice(full)
        self._buffer = [rest] if rest.num_rows else []
        self._buffered = rest.num_rows

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._file is not None:
            self._file.close()
        else:
            self._flush(final=True)
            if self._writer is not None:
                self._writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        """Close and delete the temporary file after a failure."""
        if self._file is not None:
            self._file.close()
        if self._writer is not None:
            self._writer.close()
        self.tmp.unlink(missing_ok=True)
