"""Hex text as people paste it: one frame per line.

A line is ``[timestamp] [direction] hex-bytes [# comment]`` (timestamp and direction in either
order).  Bytes: ``00 14 3f``, ``00:14:3F``, ``0x00,0x14``, ``0014 3F00``, ``00143f``; a byte
token may end in ``!`` (framing error), ``!p`` (parity), ``!b`` (break) or ``!o`` (overrun).
Timestamps: ``12.345``, ``[12.345]``, ``2024-01-02 10:11:12.123`` (UTC), ``10:11:12.123``
(seconds since midnight).  Directions: ``>``/``<``, ``TX``/``RX``, ``C->S``/``S->C``,
``C2S``/``S2C`` (optionally followed by ``:``).

Direction rule for unmarked lines: until the first marked line, unmarked lines alternate
C->S, S->C, C->S... (starting with ``options.start_direction``), as in a pasted
request/response list; after a marked line, unmarked lines continue that line's direction (a
long frame wrapped over several lines).  A file given as ``FILE:tx``/``FILE:rx`` is all that
direction unless lines say otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from typing import TextIO

from osgpdissect.bytestream import ByteRun, Direction, LineError
from osgpdissect.captures.base import (
    CaptureError,
    CaptureOptions,
    Source,
    line_blocks,
    parse_timestamp,
)

__all__ = ["read", "sniff", "parse_line", "write_hex_text"]

_TS = (r"(?:\[\s*(?P<bts>[^\]]+?)\s*\]"
       r"|(?P<dts>\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"
       r"|(?P<tod>\d{1,2}:\d{2}:\d{2}[.,]\d+)"
       r"|(?P<num>\d+\.\d+)s?)")
_DIR = r"(?P<dir>C->S|S->C|C2S|S2C|TX|RX|>|<)"
_LINE = re.compile(
    rf"^\s*(?:{_TS}\s*:?(?:\s+|$))?(?:{_DIR}(?::|\s+|$|(?=[0-9a-fA-F])))?\s*(?:(?P<ts2>{_TS.replace('?P<', '?P<x')})\s*:?(?:\s+|$))?(?P<hex>.*?)\s*$",
    re.I)
_DIRS = {"c->s": Direction.C2S, "c2s": Direction.C2S, "tx": Direction.C2S, ">": Direction.C2S,
         "s->c": Direction.S2C, "s2c": Direction.S2C, "rx": Direction.S2C, "<": Direction.S2C}
_ERRS = {"": "framing", "p": "parity", "b": "break", "o": "overrun", "f": "framing"}
_FAST = re.compile(r"^[ \t]*(?:(\d+\.\d+)[ \t]+)?(?:(C->S|S->C|TX|RX|>|<):?[ \t]+)?"
                   r"([0-9A-Fa-f]{2}(?: [0-9A-Fa-f]{2})*)[ \t]*\r?\n?$")
_SEP = re.compile(r"[\s,;:\-]+")
_COMMENT = re.compile(r"(?:^|\s)(?:#|//)")


class _BadLine(ValueError):
    pass


def _time(m: re.Match[str], prefix: str) -> float | None:
    bts, dts, tod, num = (m.group(prefix + k) for k in ("bts", "dts", "tod", "num"))
    if num is not None:
        return float(num)
    if dts is not None:
        return parse_timestamp(dts)
    if tod is not None:
        h, mi, s = tod.replace(",", ".").split(":")
        return int(h) * 3600 + int(mi) * 60 + float(s)
    if bts is not None:
        inner = bts.replace(",", ".") if re.fullmatch(r"\d+,\d+", bts) else bts
        if re.fullmatch(r"\d{1,2}:\d{2}:\d{2}(?:\.\d+)?", inner):
            h, mi, s = inner.split(":")
            return int(h) * 3600 + int(mi) * 60 + float(s)
        return parse_timestamp(inner)
    return None


def _bytes(text: str) -> tuple[bytes, list[LineError]]:
    try:
        return bytes.fromhex(text), []
    except ValueError:
        pass
    out = bytearray()
    errors: list[LineError] = []
    for tok in _SEP.split(text.replace("0x", " ").replace("0X", " ").replace("\\x", " ")):
        if not tok:
            continue
        kind = None
        if "!" in tok:
            tok, _, flag = tok.partition("!")
            kind = _ERRS.get(flag.lower())
            if kind is None or len(tok) > 2:
                raise _BadLine(f"bad error mark in {tok + '!' + flag!r}")
        if len(tok) <= 2:
            try:
                out.append(int(tok, 16))
            except ValueError:
                raise _BadLine(f"not hex: {tok[:20]!r}") from None
        elif len(tok) % 2 == 0:
            try:
                out += bytes.fromhex(tok)
            except ValueError:
                raise _BadLine(f"not hex: {tok[:20]!r}") from None
        else:
            raise _BadLine(f"odd number of hex digits in {tok[:20]!r}")
        if kind:
            errors.append(LineError(len(out) - 1, kind))
    return bytes(out), errors


_MARKS = {mark + colon: d for mark, d in (("C->S", Direction.C2S), ("S->C", Direction.S2C),
                                          ("TX", Direction.C2S), ("RX", Direction.S2C),
                                          (">", Direction.C2S), ("<", Direction.S2C))
          for colon in ("", ":")}


def _quick(line: str) -> tuple[float, Direction, bytes, list[LineError]] | None:
    """``12.345 C->S 00 14 3f`` (what :func:`write_hex_text` writes) without a regular
    expression; None for any other line."""
    parts = line.split(None, 2)
    if len(parts) != 3:
        return None
    stamp, mark, hexs = parts
    direction = _MARKS.get(mark)
    whole, dot, frac = stamp.partition(".")
    if direction is None or not dot or not stamp.isascii() or not whole.isdigit() \
            or not frac.isdigit():
        return None
    try:  # takes hex digit pairs and ASCII white space only: no comment, no error mark
        data = bytes.fromhex(hexs)
    except ValueError:
        return None
    return float(stamp), direction, data, []


def parse_line(line: str) -> tuple[float | None, Direction | None, bytes, list[LineError]] | None:
    """Parse one line; None for blank/comment lines.  Raises ValueError for garbage."""
    quick = _quick(line)
    if quick is not None:
        return quick
    return _parse_slow(line)


def _parse_slow(line: str) -> tuple[float | None, Direction | None, bytes, list[LineError]] | None:
    """:func:`parse_line` for a line that is not in the writer's own form."""
    m = _FAST.match(line)
    if m:
        t, d, hexs = m.groups()
        return (float(t) if t else None, _DIRS[d.lower()] if d else None, bytes.fromhex(hexs), [])
    if "#" in line or "//" in line:
        m = _COMMENT.search(line)
        if m:
            line = line[: m.start()]
    if not line.strip():
        return None
    m = _LINE.match(line)
    if not m:  # pragma: no cover - the pattern matches any line
        raise _BadLine("unreadable line")
    t = _time(m, "")
    if t is None and m.group("ts2"):
        t = _time(m, "x")
    d = m.group("dir")
    direction = _DIRS[d.lower()] if d else None
    data, errors = _bytes(m.group("hex"))
    return t, direction, data, errors



def sniff(head: str) -> bool:
    """True when the first data lines of ``head`` parse as hex text."""
    seen = 0
    lines = head.splitlines()
    if len(lines) > 1 and not head.endswith("\n"):
        lines = lines[:-1]  # the last line may be cut
    for line in lines[:20]:
        try:
            parsed = parse_line(line)
        except ValueError:
            return False
        if parsed is None:
            continue
        if not parsed[2]:
            return False
        seen += 1
    return seen > 0


def read(src: Source, opts: CaptureOptions) -> Iterator[ByteRun]:
    """Read a hex text file; each non-empty line is one run."""
    try:
        with open(src.path, "rb"):
            pass
    except OSError as exc:
        raise CaptureError(f"{src.path}: cannot read: {exc.strerror or exc}") from None
    return _runs(src, opts)


def _runs(src: Source, opts: CaptureOptions) -> Iterator[ByteRun]:
    path = src.path
    marked = False
    current = src.direction or opts.start_direction
    alternate = src.direction is None
    first = True
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in _numbered(f, path):
            parsed = _quick(line)
            if parsed is None:
                try:
                    parsed = _parse_slow(line)
                except ValueError as exc:
                    raise CaptureError(f"{path}:{lineno}: {exc}") from None
            if parsed is None:
                continue
            t, d, data, errors = parsed
            if t is not None and not math.isfinite(t):  # hundreds of digits: inf
                raise CaptureError(f"{path}:{lineno}: time {line.strip()[:20]!r}... is not a "
                                   "finite number of seconds")
            if d is not None:
                marked = True
                current = d
            elif alternate and not marked and not first:
                current = current.flipped()
            first = False
            if not data:
                continue
            yield ByteRun(current, data, t, (), tuple(errors) if errors else (),
                          f"{path}:{lineno}")


def _numbered(f: TextIO, path: str) -> Iterator[tuple[int, str]]:
    for first, lines in line_blocks(f, path):
        yield from enumerate(lines, first)


def write_hex_text(runs: Iterable[ByteRun], path: str) -> None:
    """Write ``<time> <C->S|S->C> <hex bytes>`` lines (``!`` marks bytes with line errors)."""
    marks = {"framing": "!", "parity": "!p", "break": "!b", "overrun": "!o"}
    with open(path, "w", encoding="utf-8") as f:
        f.write("# osgpdissect hex capture: time direction bytes\n")
        for run in runs:
            if run.errors:
                kinds = {e.index: e.kind for e in run.errors}
                hexs = " ".join(f"{b:02x}{marks.get(kinds[i], '!') if i in kinds else ''}"
                                for i, b in enumerate(run.data))
            else:
                hexs = run.data.hex(" ")
            stamp = f"{run.time:.6f} " if run.time is not None else ""
            f.write(f"{stamp}{run.direction.value} {hexs}\n")
