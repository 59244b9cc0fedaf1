"""Saleae Logic 2 analyzer data-table export.

Header ``name,type,start_time,duration,data`` plus optional columns (``error``, other
analyzers' fields); rows like ``"Async Serial","data",0.4,8.3e-05,0x41``.  Several analyzers
share one file: the ``name`` column tells them apart and maps to a direction by
``options.channels`` or by a name containing TX/RX, C->S, meter, client...  ``start_time`` may
be seconds or an ISO 8601 date-time.  A non-empty ``error`` column marks a framing error
unless it says parity/break/overrun.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from itertools import chain, islice

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures.base import (
    CaptureError,
    CaptureOptions,
    Source,
    assemble,
    guess_direction,
    parse_timestamp,
)
from osgpdissect.captures.values import ValueParser, guess_ascii

__all__ = ["read", "sniff", "write_saleae_logic2_csv"]

_LOOKAHEAD = 2000
csv.field_size_limit(1 << 20)


def sniff(head: str) -> bool:
    """True when the first line is a Logic 2 data-table header."""
    first = head.lstrip("\ufeff").split("\n", 1)[0].lower()
    cols = [c.strip().strip('"') for c in first.split(",")]
    return {"name", "type", "start_time", "data"} <= set(cols)


def _error_kind(text: str) -> str | None:
    low = text.strip().lower()
    if not low or low in ("false", "0", "none"):
        return None
    for kind in ("parity", "break", "overrun"):
        if kind in low:
            return kind
    return "framing"


def read(src: Source, opts: CaptureOptions) -> Iterator[ByteRun]:
    """Read one Logic 2 data-table export (any number of analyzers)."""
    try:
        with open(src.path, encoding="utf-8", errors="replace", newline="") as f:
            header = next(csv.reader(f), [])
    except (OSError, csv.Error) as exc:
        raise CaptureError(f"{src.path}: cannot read: {exc}") from None
    cols = [c.strip().lower() for c in header]
    if cols:
        cols[0] = cols[0].lstrip("\ufeff")
    missing = {"name", "type", "start_time", "data"} - set(cols)
    if missing:
        raise CaptureError(f"{src.path}:1: not a Saleae Logic 2 data table (no {', '.join(sorted(missing))})")
    return assemble(_events(src, opts, cols), opts.run_gap, opts.max_run)


def _events(src: Source, opts: CaptureOptions, cols: list[str]) -> Iterator[tuple]:
    path = src.path
    ni, ti, si, di = (cols.index(c) for c in ("name", "type", "start_time", "data"))
    ei = cols.index("error") if "error" in cols else None
    need = max(ni, ti, si, di)
    names: dict[str, Direction | None] = {}
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        rows = csv.reader(f)
        try:
            next(rows)
            head = list(islice(rows, _LOOKAHEAD))
        except csv.Error as exc:
            raise CaptureError(f"{path}:{rows.line_num}: {exc}") from None
        ascii_mode = opts.radix == "ascii" or (opts.radix == "auto" and guess_ascii(
            r[di] for r in head if len(r) > need and r[ti].strip().lower() == "data"))
        parse = ValueParser(opts.radix, ascii_mode)
        lineno = 1
        it: Iterable[list[str]] = chain(head, rows)
        try:
            for row in it:
                lineno += 1
                if not row:
                    continue
                if len(row) <= need:
                    raise CaptureError(f"{path}:{lineno}: expected at least {need + 1} columns")
                if row[ti].strip().lower() != "data":
                    continue
                name = row[ni].strip()
                direction = names.get(name, False)
                if direction is False:
                    direction = names[name] = (opts.channels.get(name) or guess_direction(name)
                                               or src.direction)
                if direction is None:
                    raise CaptureError(f"{path}:{lineno}: analyzer {name!r} has no direction: "
                                       f"name it TX/RX or pass channels={name}:tx")
                try:
                    t = parse_timestamp(row[si])
                    value, error = parse(row[di])
                except ValueError as exc:
                    raise CaptureError(f"{path}:{lineno}: {exc}") from None
                if ei is not None and ei < len(row):
                    error = _error_kind(row[ei]) or error
                yield direction, value, t, error, f"{path}:{lineno}", name
        except csv.Error as exc:
            raise CaptureError(f"{path}:{lineno}: {exc}") from None


_DEFAULT_NAMES = {Direction.C2S: "Async Serial TX", Direction.S2C: "Async Serial RX"}


def write_saleae_logic2_csv(runs: Iterable[ByteRun], path: str,
                            names: dict[Direction, str] | None = None,
                            baud: int = 9600, bits_per_frame: int = 10) -> None:
    """Write runs as a Logic 2 data table, one analyzer name per direction.

    ``duration`` is one character time (``bits_per_frame / baud``); data as ``0x41``; the
    ``error`` column says ``framing``/``parity`` where a :class:`LineError` points.
    """
    names = {**_DEFAULT_NAMES, **(names or {})}
    duration = f"{bits_per_frame / baud:.9g}"
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("name,type,start_time,duration,data,error\n")
        for run in runs:
            name = '"' + names[run.direction].replace('"', '""') + '"'
            kinds = {e.index: e.kind for e in run.errors}
            for i, b in enumerate(run.data):
                t = run.time_of(i) or 0.0
                f.write(f'{name},"data",{t:.9f},{duration},0x{b:02X},{kinds.get(i, "")}\n')
