"""Saleae Logic 2 analyzer data-table export.

Header ``name,type,start_time,duration,data`` plus optional columns (``error``, other
analyzers' fields); rows like ``"Async Serial","data",0.4,8.3e-05,0x41``.  Several analyzers
share one file: the ``name`` column tells them apart and maps to a direction by
``options.channels``, by a name containing TX/RX, C->S, meter, client..., or, when the names
do not decide (``Client TX``/``Meter TX``, ``Async Serial``/``Async Serial [1]``), by the
content of each analyzer's first bytes (:mod:`osgpdissect.captures.direction`).  ``start_time`` may
be seconds or an ISO 8601 date-time.  A non-empty ``error`` column marks a framing error
unless it says parity/break/overrun.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from itertools import chain, islice

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures.base import (
    CaptureError,
    CaptureOptions,
    Source,
    assemble,
    bounded_lines,
    file_direction,
    guess_direction,
    parse_timestamp,
)
from osgpdissect.captures.direction import content_votes, resolve_lines, split_by_content
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
            header = next(csv.reader(bounded_lines(f, src.path)), [])
    except (OSError, csv.Error) as exc:
        raise CaptureError(f"{src.path}: cannot read: {exc}") from None
    cols = [c.strip().lower() for c in header]
    if cols:
        cols[0] = cols[0].lstrip("\ufeff")
    missing = {"name", "type", "start_time", "data"} - set(cols)
    if missing:
        raise CaptureError(f"{src.path}:1: not a Saleae Logic 2 data table (no {', '.join(sorted(missing))})")
    shared: set[str] = set()
    runs = assemble(_events(src, opts, cols, shared), opts.run_gap, opts.max_run)
    return _split_shared(runs, shared, src, opts)


def _split_shared(runs: Iterator[ByteRun], shared: set[str], src: Source,
                  opts: CaptureOptions) -> Iterator[ByteRun]:
    """Runs as read, or given directions run by run when one analyzer name carries both sides
    (``shared`` is filled by the first rows, before the first run comes out)."""
    first = next(runs, None)
    if first is None:
        return
    if not shared:
        yield first
        yield from runs
        return
    name = next(iter(shared))
    opts.notes.append(f"{src.path}: analyzer {name!r} carries both sides (two analyzers with "
                      "one name?): each burst's direction taken from its content")
    yield from split_by_content(chain([first], runs), src.path, opts.notes)


def _events(src: Source, opts: CaptureOptions, cols: list[str],
            shared: set[str]) -> Iterator[tuple]:
    path = src.path
    ni, ti, si, di = (cols.index(c) for c in ("name", "type", "start_time", "data"))
    ei = cols.index("error") if "error" in cols else None
    need = max(ni, ti, si, di)
    names: dict[str, Direction | None] = {}
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        rows = csv.reader(bounded_lines(f, path))
        try:
            next(rows)
            head = list(islice(rows, _LOOKAHEAD))
        except csv.Error as exc:
            raise CaptureError(f"{path}:{rows.line_num}: {exc}") from None
        ascii_mode = opts.radix == "ascii" or (opts.radix == "auto" and guess_ascii(
            r[di] for r in head if len(r) > need and r[ti].strip().lower() == "data"))
        parse = ValueParser(opts.radix, ascii_mode)
        names.update(_head_directions(src, opts, head, (ni, ti, di, need), parse, shared))
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
                    direction = names[name] = _late_direction(name, names, opts, src)
                if direction is None:
                    raise CaptureError(f"{path}:{lineno}: analyzer {name!r} has no direction: "
                                       f"pass -o channels={name}:tx (or :rx)")
                try:
                    stamp = row[si]
                    try:
                        t = float(stamp)  # the common case, without a call
                    except ValueError:
                        t = parse_timestamp(stamp)  # ISO 8601
                    if t - t != 0:
                        raise ValueError(f"bad time {stamp.strip()!r}")
                    value, error = parse(row[di])
                except ValueError as exc:
                    raise CaptureError(f"{path}:{lineno}: {exc}") from None
                if ei is not None and ei < len(row) and row[ei]:
                    error = _error_kind(row[ei]) or error
                yield direction, value, t, error, f"{path}:{lineno}", name
        except csv.Error as exc:
            raise CaptureError(f"{path}:{lineno}: {exc}") from None


def _head_directions(src: Source, opts: CaptureOptions, head: list[list[str]],
                     cols: tuple[int, int, int, int],
                     parse: ValueParser, shared: set[str]) -> dict[str, Direction | None]:
    """Directions of the analyzers seen in the first rows: by name, else by content.  A lone
    nameless analyzer whose bytes hold both requests and responses goes into ``shared``."""
    ni, ti, di, need = cols
    lines: dict[str, bytearray] = {}
    for row in head:
        if len(row) <= need or row[ti].strip().lower() != "data":
            continue
        try:
            value, _ = parse(row[di])
        except ValueError:
            continue
        lines.setdefault(row[ni].strip(), bytearray()).append(value)
    if not lines:
        return {}
    if src.direction is not None and len(lines) == 1:
        return {name: opts.channels.get(name) or src.direction for name in lines}
    if len(lines) == 1:
        name, data = next(iter(lines.items()))
        client, meter = content_votes(bytes(data))
        if (client and meter and name not in opts.channels and guess_direction(name) is None
                and file_direction(src.path) is None):
            shared.add(name)
            return {name: Direction.C2S}  # directions set run by run (_split_shared)
    found = resolve_lines(src.path, {k: bytes(v) for k, v in lines.items()}, opts.channels,
                          opts.notes, "analyzer", os.path.basename(src.path))
    return dict(found)


def _late_direction(name: str, names: dict[str, Direction | None], opts: CaptureOptions,
                    src: Source) -> Direction | None:
    """An analyzer first seen after the look-ahead: by name, else the other line's opposite."""
    d = opts.channels.get(name) or guess_direction(name)
    if d is not None:
        return d
    known = [v for v in names.values() if v is not None]
    if len(known) == 1:
        return known[0].flipped()
    return src.direction


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
