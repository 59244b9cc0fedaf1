"""Record filters of ``osgpdissect decode``: ``--table``, ``--errors``, ``--direction``.

Filters work on record attributes (MEP and optical records alike) and never build JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["RecordFilter", "TableRef", "error_kinds", "parse_table", "record_direction",
           "record_tables", "resolve_table"]

_ID_HELP = "expected e.g. ET13, BT23, EP17, 2061 or 0x080D"


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
        raise ValueError(f"bad table {text!r}: {_ID_HELP}") from None


class TableRef(str):
    """A spec'd table or procedure id (``ET13``, ``EP17``) resolved by :func:`resolve_table`."""

    @property
    def is_procedure(self) -> bool:
        return self[1] == "P"


def resolve_table(text: str, spec: Any = None) -> TableRef:
    """One rule for table ids everywhere (``table``, ``show``, ``decode -t``, ``-Y``):
    ``ETnn``/``BTnn``/``EPnn``/``BPnn`` (``MTnn``/``STnn`` aliases), decimal or ``0x`` hex table
    numbers.  Raises ValueError for a malformed id and for one the spec does not define."""
    t = text.strip().upper()
    if spec is None:
        from osgpdissect.lang.spec import load_default_spec

        spec = load_default_spec()
    decl = None
    if t[:2] in ("EP", "BP", "MP") and t[2:].isdigit():
        decl = spec.find(("BP" if t[0] == "B" else "EP") + f"{int(t[2:]):02d}")
    elif t[:2] in ("ET", "BT", "MT", "ST") and t[2:].isdigit():
        decl = spec.find(("BT" if t[0] in "BS" else "ET") + f"{int(t[2:]):02d}")
    else:
        try:
            number = int(t, 0)
        except ValueError:
            raise ValueError(f"bad table {text!r}: {_ID_HELP}") from None
        if 0 <= number < 4096:
            decl = spec.find(number)
    if decl is None:
        raise ValueError(f"unknown table or procedure {text!r} (see `osgpdissect tables`)")
    return TableRef(decl.id)


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
    """All given conditions must hold.  ``tables``: any of these table numbers or resolved
    ids (a procedure id selects its calls and results); ``errors``: only records with
    :func:`error_kinds`; ``direction``: ``C->S``/``S->C``; ``display``: a ``-Y`` filter."""

    def __init__(self, tables: Iterable[int | str] = (), errors: bool = False,
                 direction: str | None = None, display: Any = None) -> None:
        numbers = {t for t in tables if isinstance(t, int)}
        procs = set()
        for t in tables:
            if isinstance(t, str):
                if t[1] == "P":
                    procs.add(t)
                else:
                    numbers.add(parse_table(t))
        self.tables = frozenset(numbers)
        self.procedures = frozenset(procs)
        self.errors = errors
        self.direction = direction
        tests: list[Callable[[Any, Any], bool]] = []
        if self.tables or self.procedures:
            tests.append(lambda r, e: bool(record_tables(r) & self.tables)
                         or record_procedure(r) in self.procedures)
        if errors:
            tests.append(lambda r, e: bool(error_kinds(r, e)))
        if direction:
            tests.append(lambda r, e: record_direction(r) == direction)
        self._tests = tests
        self.display = display

    @property
    def active(self) -> bool:
        return bool(self._tests) or self.display is not None

    def __call__(self, rec: Any, line_errors: Iterable[Any] = (), item: Any = None) -> bool:
        if not all(t(rec, line_errors) for t in self._tests):
            return False
        return self.display is None or self.display(item)


def record_procedure(rec: Any) -> str | None:
    """The procedure a record calls or answers (``EP17``), else None."""
    proc = rec.procedure
    return proc.get("procedure") if isinstance(proc, dict) else None
