"""Saleae Logic 1.x (and Logic 2 "legacy") async-serial analyzer export.

Header ``Time [s],Value,Parity Error,Framing Error``, one row per byte, error columns hold
``Error`` when set.  Also read: the multi-processor variant ``Time [s],Packet ID,Address,Data,
Framing Error`` and decoded-protocol tables with an ``Analyzer Name`` column and values such
as ``0x41 (framing error)``.  Logic 1 never quotes fields (a comma value is ``COMMA``), so rows
are split on commas, not parsed with the csv module.  One file holds one direction unless it
has an ``Analyzer Name`` column.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from itertools import islice, repeat

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
    stretches,
)
from osgpdissect.captures.values import ValueParser, ValueTable, format_value, guess_ascii

__all__ = ["read", "sniff", "write_saleae_logic1_csv"]

_VALUE_COLS = ("value", "data", "decoded protocol result", "result")
_LOOKAHEAD = 2000


def sniff(head: str) -> bool:
    """True when the text starts with a Logic 1 analyzer export header."""
    first = head.lstrip("\ufeff").split("\n", 1)[0].strip().lower()
    return first.startswith("time [s]") and any(c in first for c in _VALUE_COLS)


def _columns(header: str, path: str) -> tuple[int, int, int | None, int | None, int | None, int]:
    cols = [c.strip().lower() for c in header.lstrip("\ufeff").rstrip("\r\n").split(",")]
    if not cols or not cols[0].startswith("time"):
        raise CaptureError(f"{path}:1: not a Saleae Logic 1 export (header {header.strip()[:60]!r})")
    vi = next((cols.index(c) for c in _VALUE_COLS if c in cols), None)
    if vi is None:
        raise CaptureError(f"{path}:1: Saleae export header has no Value/Data column")
    ai = cols.index("analyzer name") if "analyzer name" in cols else None
    pi = cols.index("parity error") if "parity error" in cols else None
    fi = cols.index("framing error") if "framing error" in cols else None
    return 0, vi, ai, pi, fi, len(cols)


def read(src: Source, opts: CaptureOptions) -> Iterator[ByteRun]:
    """Read one Logic 1 export; needs a direction unless it names analyzers."""
    try:
        with open(src.path, encoding="utf-8", errors="replace", newline="") as f:
            header = next(bounded_lines(f, src.path), "")
    except OSError as exc:
        raise CaptureError(f"{src.path}: cannot read: {exc.strerror or exc}") from None
    cols = _columns(header, src.path)
    if cols[2] is None and src.direction is None:
        named = file_direction(src.path)
        if named is None:
            raise CaptureError(f"{src.path}: a Saleae Logic 1 export holds one direction: "
                               f"give it as {src.path}:tx or {src.path}:rx")
        opts.notes.append(f"{src.path}: taken as {named.value} from the file name")
        src = Source(src.path, named)
    return _runs(src, opts, cols)


def _runs(src: Source, opts: CaptureOptions, cols: tuple) -> Iterator[ByteRun]:
    """The file read in blocks of lines: a block whose rows are all regular goes to the run
    assembler column by column; any other block is read row by row (same messages)."""
    vi, ncols = cols[1], cols[5]
    path = src.path
    names: dict[str, Direction | None] = {}
    state: list = [src.direction, ""]  # the last row's direction and analyzer
    asm = RunAssembler(opts.run_gap, opts.max_run)
    parse = ValueParser(opts.radix, _ascii_mode(path, opts, vi, ncols))
    table = ValueTable(parse)
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        for lineno, lines in line_blocks(f, path):
            if lineno == 1:
                lineno, lines = 2, lines[1:]  # the header
            if not lines:
                continue
            fast = _bulk(lines, lineno, src, opts, cols, table, names)
            if fast is None:
                for row in _rows(lines, lineno, src, opts, cols, parse, names, state):
                    ready = asm.add(*row)
                    if ready:
                        yield from ready
                continue
            state[:] = fast[-1][0], fast[-1][5]
            for d, data, times, errors, first, channel in fast:
                yield from asm.add_run(d, data, times, errors, f"{path}:{first}", channel,
                                       where=lambda i, first=first: f"{path}:{first + i}")
    yield from asm.finish()


def _ascii_mode(path: str, opts: CaptureOptions, vi: int, ncols: int) -> bool:
    """Whether values are in the ASCII radix: the option, else a look at the first rows."""
    if opts.radix != "auto":
        return opts.radix == "ascii"
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        lines = bounded_lines(f, path)
        next(lines, None)
        head = list(islice(lines, _LOOKAHEAD))
    return guess_ascii(_split(line, vi, ncols)[vi] for line in head
                       if line.strip() and line.count(",") >= vi)


def _bulk(lines: list[str], lineno: int, src: Source, opts: CaptureOptions, cols: tuple,
          table: ValueTable, names: dict[str, Direction | None]) -> list[tuple] | None:
    """``(direction, bytes, times, errors, first line, channel)`` per same-analyzer stretch
    of a block of regular rows, or None when a row needs the row-by-row reader."""
    ti, vi, ai, pi, fi, ncols = cols
    counts = list(map(str.count, lines, repeat(",")))
    if min(counts) != ncols - 1 or max(counts) != ncols - 1:
        return None
    cells = ",".join(lines).split(",")  # row-major: column c of every row is cells[c::ncols]
    try:
        times = list(map(float, cells[ti::ncols]))
    except ValueError:
        return None
    total = sum(times)
    if total - total != 0:  # inf or nan somewhere
        return None
    decoded = table.decode(cells[vi::ncols])
    if decoded is None:
        return None
    data, value_errors = decoded
    kinds = dict(value_errors)
    for col, kind in ((pi, "parity"), (fi, "framing")):
        if col is not None:
            flags = cells[col::ncols]
            if any(flags):
                for i, flag in enumerate(flags):
                    if flag and flag.strip():
                        kinds[i] = kind
    errors = sorted(kinds.items())
    if ai is None:
        return [(src.direction, data, times, errors, lineno, "")]
    chans = [name.strip() for name in cells[ai::ncols]]
    for name in set(chans).difference(names):
        names[name] = opts.channels.get(name) or guess_direction(name) or src.direction
    if any(names[name] is None for name in set(chans)):
        return None  # the row-by-row reader names the line
    out = []
    for a, b in stretches(chans):
        errs = [(i - a, k) for i, k in errors if a <= i < b] if errors else []
        out.append((names[chans[a]], data[a:b], times[a:b], errs, lineno + a, chans[a]))
    return out


def _rows(lines: list[str], first: int, src: Source, opts: CaptureOptions, cols: tuple,
          parse: ValueParser, names: dict[str, Direction | None],
          state: list) -> Iterator[tuple]:
    """``(direction, byte, time, error, source, channel)`` of each row, checked one by one."""
    ti, vi, ai, pi, fi, ncols = cols
    path = src.path
    direction, channel = state
    for lineno, line in enumerate(lines, first):
        if not line.strip():
            continue
        parts = _split(line, vi, ncols)
        if len(parts) <= vi:
            raise CaptureError(f"{path}:{lineno}: expected {ncols} columns")
        try:
            t = float(parts[ti])
        except ValueError:
            raise CaptureError(f"{path}:{lineno}: bad time {parts[ti][:30]!r}") from None
        if not math.isfinite(t):  # nan / inf: no JSON number, no order
            raise CaptureError(f"{path}:{lineno}: bad time {parts[ti][:30]!r}: not a "
                               "finite number of seconds")
        try:
            value, error = parse(parts[vi])
        except ValueError as exc:
            raise CaptureError(f"{path}:{lineno}: {exc}") from None
        if pi is not None and pi < len(parts) and parts[pi].strip():
            error = "parity"
        if fi is not None and fi < len(parts) and parts[fi].strip():
            error = "framing"
        if ai is not None and ai < len(parts):
            channel = parts[ai].strip()
            if channel not in names:
                names[channel] = opts.channels.get(channel) or guess_direction(channel) \
                    or src.direction
            direction = names[channel]
            if direction is None:
                raise CaptureError(f"{path}:{lineno}: analyzer {channel!r} has no direction: "
                                   f"name it TX/RX or pass channels={channel}:tx")
        state[:] = direction, channel
        yield direction, value, t, error, f"{path}:{lineno}", channel


def _split(line: str, vi: int, ncols: int) -> list[str]:
    parts = line.rstrip("\r\n").split(",")
    if len(parts) > ncols and parts[vi] == "" and parts[vi + 1] == "":
        parts[vi: vi + 2] = [","]  # an unescaped comma value
    return parts


def write_saleae_logic1_csv(runs: Iterable[ByteRun], path: str, radix: str = "hex",
                            direction: Direction | None = None) -> None:
    """Write runs of one direction (all runs when ``direction`` is None) as a Logic 1 export.

    ``radix`` is ``hex``, ``dec``, ``bin`` or ``ascii``; times get 15 decimals like Logic 1.
    """
    format_value(0, radix)  # validates radix
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("Time [s],Value,Parity Error,Framing Error\n")
        for run in runs:
            if direction is not None and run.direction is not direction:
                continue
            kinds = {e.index: e.kind for e in run.errors}
            for i, b in enumerate(run.data):
                t = run.time_of(i) or 0.0
                kind = kinds.get(i)
                parity = "Error" if kind == "parity" else ""
                framing = "Error" if kind is not None and kind != "parity" else ""
                f.write(f"{t:.15f},{format_value(b, radix)},{parity},{framing}\n")
