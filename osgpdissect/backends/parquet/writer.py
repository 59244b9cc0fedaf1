"""Writes one capture's rows into its part of each archive table, a row group at a time.

An archive folder holds ``exchanges/`` and ``fields/``, each a Parquet dataset of one part per
capture (``part-<hash of the capture name>.parquet``).  Rows are buffered up to
``row_group`` rows, then written as a row group: memory stays flat however long the capture.
A part is written under a temporary name and renamed when complete, so a capture that fails
half way leaves nothing behind (and a re-decoded capture replaces its part).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from osgpdissect.backends.parquet.rows import exchange_row, field_rows, part_name
from osgpdissect.backends.parquet.schema import exchanges_schema, fields_schema

__all__ = ["CaptureWriter", "TABLES"]

TABLES = ("exchanges", "fields")
ROW_GROUP = 16384


class _Part:
    """One Parquet file written in row groups."""

    def __init__(self, path: str, schema: Any, row_group: int) -> None:
        self.path = path
        self.tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
        self.schema = schema
        self.row_group = row_group
        self.rows: list[dict[str, Any]] = []
        self.count = 0
        self._writer: Any = None

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.rows.append(row)
            if len(self.rows) >= self.row_group:
                self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            self._writer = pq.ParquetWriter(self.tmp, self.schema, compression="zstd")
        if self.rows:
            self._writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.count += len(self.rows)
            self.rows = []

    def close(self) -> None:
        self.flush()  # an empty capture still gets a (row-less) part: the schema is there
        self._writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


class CaptureWriter:
    """``add(item)`` per decoded record of one capture, then ``close()`` (or ``abort()``)."""

    def __init__(self, folder: str, capture: str, row_group: int = ROW_GROUP) -> None:
        self.capture = capture
        name = part_name(capture) + ".parquet"
        for table in TABLES:
            os.makedirs(os.path.join(folder, table), exist_ok=True)
        self.exchanges = _Part(os.path.join(folder, "exchanges", name), exchanges_schema(),
                               row_group)
        self.fields = _Part(os.path.join(folder, "fields", name), fields_schema(), row_group)

    def add(self, item: Any) -> None:
        """One :class:`osgpdissect.cli.pipeline.Decoded` record."""
        row = exchange_row(self.capture, item)
        self.exchanges.add((row,))
        self.fields.add(field_rows(self.capture, row["record"], item.record.table))

    def close(self) -> tuple[int, int]:
        """Finish both parts; returns (exchange rows, field rows)."""
        self.exchanges.close()
        self.fields.close()
        return self.exchanges.count, self.fields.count

    def abort(self) -> None:
        self.exchanges.abort()
        self.fields.abort()

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, kind: Any, *_: Any) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
