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
    RunAssembler,
    Source,
    bounded_lines,
    file_direction,
    guess_direction,
    line_blocks,
    parse_iso_time,
    parse_timestamp,
    stretches,
)
from osgpdissect.captures.direction import content_votes, resolve_lines, split_by_content
from osgpdissect.captures.values import ValueParser, ValueTable, guess_ascii

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
    runs = _events(src, opts, cols, shared)
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


def _head(src: Source, opts: CaptureOptions, cols: list[str], need: int,
          shared: set[str]) -> tuple[ValueParser, dict[str, Direction | None]]:
    """The value parser (radix guessed from the first rows) and the analyzers' directions."""
    path = src.path
    ni, ti, di = (cols.index(c) for c in ("name", "type", "data"))
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
    return parse, _head_directions(src, opts, head, (ni, ti, di, need), parse, shared)


def _events(src: Source, opts: CaptureOptions, cols: list[str],
            shared: set[str]) -> Iterator[ByteRun]:
    """The runs of the file, read in blocks of lines: a block of regular rows goes to the run
    assembler column by column, any other block row by row (same messages)."""
    path = src.path
    ni, ti, si, di = (cols.index(c) for c in ("name", "type", "start_time", "data"))
    ei = cols.index("error") if "error" in cols else None
    need = max(ni, ti, si, di)
    parse, names = _head(src, opts, cols, need, shared)
    table = ValueTable(parse)
    asm = RunAssembler(opts.run_gap, opts.max_run)
    where = (ni, ti, si, di, ei, need)
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        blocks = line_blocks(f, path)
        for lineno, lines in blocks:
            if lineno == 1:
                lineno, lines = 2, lines[1:]  # the header
            if not lines:
                continue
            try:
                rows = list(csv.reader(lines))
            except csv.Error:
                rows = []
            if len(rows) != len(lines) or _open_quote(lines[-1]):
                # a quoted field over several lines: the csv module reads the rest
                rest = chain((ln + "\n" for ln in lines),
                             (ln + "\n" for _, block in blocks for ln in block))
                for ev in _rows(csv.reader(rest), lineno, src, opts, where, parse, names):
                    yield from asm.add(*ev) or ()
                break
            fast = _bulk(rows, lineno, src, opts, where, table, names)
            if fast is None:
                for ev in _rows(iter(rows), lineno, src, opts, where, parse, names):
                    yield from asm.add(*ev) or ()
                continue
            for d, data, times, errors, first, channel in fast:
                yield from asm.add_run(d, data, times, errors, f"{path}:{first[0]}", channel,
                                       where=lambda i, first=first: f"{path}:{first[i]}")
    yield from asm.finish()


def _open_quote(line: str) -> bool:
    """Whether ``line`` ends inside a quoted field (or is not plain CSV: the row-by-row reader
    then says what is wrong)."""
    if '"' not in line:
        return False
    try:
        next(csv.reader((line,), strict=True), None)
    except csv.Error:
        return True
    return False


def _stamp(text: str) -> float:
    if ":" in text:  # no number of seconds has one
        return parse_iso_time(text.strip())
    try:
        return float(text)
    except ValueError:
        return parse_timestamp(text)


def _bulk(rows: list[list[str]], lineno: int, src: Source, opts: CaptureOptions,
          where: tuple, table: ValueTable,
          names: dict[str, Direction | None]) -> list[tuple] | None:
    """``(direction, bytes, times, errors, line numbers, analyzer)`` per same-analyzer
    stretch of a block of regular rows, or None when a row needs the row-by-row reader."""
    ni, ti, si, di, ei, need = where
    width = len(rows[0])
    if width <= need or min(map(len, rows)) != width or max(map(len, rows)) != width:
        return None
    columns = list(zip(*rows, strict=True))
    lines = range(lineno, lineno + len(rows))
    types = columns[ti]
    if not all(map("data".__eq__, types)):
        keep = [i for i, kind in enumerate(types) if kind.strip().lower() == "data"]
        if not keep:
            return []
        columns = [[col[i] for i in keep] for col in columns]
        lines = [lineno + i for i in keep]
    try:
        try:
            times = list(map(float, columns[si]))
        except ValueError:
            times = list(map(_stamp, columns[si]))
    except ValueError:
        return None
    total = sum(times)
    if total - total != 0:  # inf or nan somewhere
        return None
    decoded = table.decode(list(columns[di]))
    if decoded is None:
        return None
    data, value_errors = decoded
    kinds = dict(value_errors)
    if ei is not None and ei < width and any(columns[ei]):
        for i, text in enumerate(columns[ei]):
            if text:
                kinds[i] = _error_kind(text) or kinds.get(i)
    errors = sorted((i, k) for i, k in kinds.items() if k)
    chans = columns[ni]
    if any(name != name.strip() for name in set(chans)):
        chans = list(map(str.strip, chans))
    for name in dict.fromkeys(chans):
        if names.get(name, False) is False:
            names[name] = _late_direction(name, names, opts, src)
        if names[name] is None:
            return None  # the row-by-row reader names the line
    out = []
    for a, b in stretches(chans):
        errs = [(i - a, k) for i, k in errors if a <= i < b] if errors else []
        out.append((names[chans[a]], data[a:b], times[a:b], errs, lines[a:b], chans[a]))
    return out


def _rows(rows: Iterator[list[str]], lineno: int, src: Source, opts: CaptureOptions,
          where: tuple, parse: ValueParser,
          names: dict[str, Direction | None]) -> Iterator[tuple]:
    """``(direction, byte, time, error, source, analyzer)`` of each row, checked one by one;
    ``lineno`` numbers the first row."""
    ni, ti, si, di, ei, need = where
    path = src.path
    lineno -= 1
    try:
        for row in rows:
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
