"""Record filters of ``osgpdissect decode``: ``--table``, ``--errors``, ``--direction``.

Filters work on record attributes (MEP and optical records alike) and never build JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["RecordFilter", "error_kinds", "parse_table", "record_direction", "record_tables"]

def parse_table(text: str) -> int:
    """``ET13``, ``BT23``, ``2061`` or ``0x080D`` -> table number.  Raises ValueError."""
    t = text.strip().upper()
    try:
        if t.startswith(("ET", "MT")):
            return 2048 + int(t[2:])
        if t.startswith(("BT", "ST")):
            return int(t[2:])
        return int(t, 0)
    except ValueError:
        raise ValueError(f"bad table {text!r}: expected e.g. ET13, BT23, 2061 or 0x080D") from None


def record_tables(rec: Any) -> set[int]:
    """Tables a record touches: its request's table and the tables its transaction's commands
    (ET52 write) or responses (ET53 read) name."""
    out: set[int] = set()
    req = rec.request
    if req is not None and req.table is not None:
        out.add(req.table)
    txn = rec.transaction
    if txn:
        cmds = [*(txn.get("commands") or []),
                *(r.get("command") for r in txn.get("responses") or [] if r.get("command"))]
        for cmd in cmds:
            n = cmd.get("table_number")
            if isinstance(n, int):
                out.add(n)
            elif isinstance(cmd.get("table"), str):
                try:
                    out.add(parse_table(cmd["table"]))
                except ValueError:
                    pass
    return out


def record_direction(rec: Any) -> str | None:
    """Direction of the record's first frame: ``C->S`` or ``S->C`` (None when unknown)."""
    for item in (rec.request_frame, rec.response_frame, rec.alert, rec.malformed,
                 getattr(rec, "token", None)):
        if item is not None:
            return item.direction.value
    return None


def error_kinds(rec: Any, line_errors: Iterable[Any] = ()) -> list[str]:
    """Why a record counts as an error (empty when it does not), by the one severity model of
    :mod:`osgpdissect.c1218.severity` (the ``!`` mark uses the same)."""
    from osgpdissect.c1218.severity import error_reasons

    return error_reasons(rec, line_errors)


class RecordFilter:
    """All given conditions must hold.  ``tables``: any of these table numbers;
    ``errors``: only records with :func:`error_kinds`; ``direction``: ``C->S``/``S->C``."""

    def __init__(self, tables: Iterable[int] = (), errors: bool = False,
                 direction: str | None = None) -> None:
        self.tables = frozenset(tables)
        self.errors = errors
        self.direction = direction
        tests: list[Callable[[Any, Any], bool]] = []
        if self.tables:
            tests.append(lambda r, e: bool(record_tables(r) & self.tables))
        if errors:
            tests.append(lambda r, e: bool(error_kinds(r, e)))
        if direction:
            tests.append(lambda r, e: record_direction(r) == direction)
        self._tests = tests

    @property
    def active(self) -> bool:
        return bool(self._tests)

    def __call__(self, rec: Any, line_errors: Iterable[Any] = ()) -> bool:
        return all(t(rec, line_errors) for t in self._tests)
