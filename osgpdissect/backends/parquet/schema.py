"""The Arrow schemas of the two archive tables; the column list is documented in
``docs/guide/archives.rst`` (a test keeps the two in step)."""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["EXCHANGE_COLUMNS", "FIELD_COLUMNS", "exchanges_schema", "fields_schema"]

# column -> Arrow type name ("list" is a list of strings)
EXCHANGE_COLUMNS: dict[str, str] = {
    "capture": "string", "record": "int64", "kind": "string", "protocol": "string",
    "time": "float64", "direction": "string", "request_time": "float64",
    "response_time": "float64", "latency": "float64", "code": "int64", "code_name": "string",
    "response_code": "int64", "response_code_name": "string", "table": "string",
    "table_number": "int64", "table_name": "string", "offset": "int64", "count": "int64",
    "seq": "int64", "next_seq": "int64", "request_digest": "string",
    "response_digest": "string", "request_hex": "string", "response_hex": "string",
    "malformed_hex": "string", "malformed_reason": "string", "errors": "list", "notes": "list",
    "warnings": "list", "line_errors": "list", "defaults_used": "list",
    "table_warnings": "list",
}
FIELD_COLUMNS: dict[str, str] = {
    "capture": "string", "record": "int64", "table": "string", "path": "string",
    "name": "string", "offset": "int64", "size": "int64", "value_num": "float64",
    "value_int": "int64", "value_text": "string", "unit": "string", "enum": "string",
    "raw": "string", "partial": "bool", "dimensions": "string",
}


def _schema(columns: dict[str, str]) -> Any:
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(),
             "bool": pa.bool_(), "list": pa.list_(pa.string())}
    return pa.schema([pa.field(name, types[kind]) for name, kind in columns.items()])


@cache
def exchanges_schema() -> Any:
    """``exchanges``: one row per record (exchange, alert, link event, malformed bytes)."""
    return _schema(EXCHANGE_COLUMNS)


@cache
def fields_schema() -> Any:
    """``fields``: one row per decoded field of a record's table bytes."""
    return _schema(FIELD_COLUMNS)
