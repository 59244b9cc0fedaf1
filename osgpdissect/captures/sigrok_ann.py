"""sigrok-cli UART annotation text (``-P uart:... -A uart=rx-data``).

Lines look like ``uart-1: 3F`` (hex format, the default), ``uart-1: [0A]`` / ``uart-1: A``
(``format=ascii``), decimal or binary, optionally prefixed by sample numbers
(``--protocol-decoder-samplenum``: ``2021-2188 uart-1: 3F``).  ``Frame error`` and ``Parity
error`` lines mark the byte before them.  Other annotations (``Start bit``, ``Stop bit``, data
bits, ``Break condition``) are skipped.  sigrok-cli does not print which class (rx/tx) a line
belongs to, so one decoder instance is one direction: the instance name (``uart-1``) maps by
``options.channels``, else the file's ``FILE:tx``/``FILE:rx`` direction applies, else the
content of each instance's first bytes decides (:mod:`osgpdissect.captures.direction`).  With
sample numbers and ``options.samplerate`` runs get times (minus one bit time when
``options.baud`` is given, since sigrok's data annotation starts after the start bit);
otherwise times are None, and a file holding both directions is read once per direction and
put in protocol order (:mod:`osgpdissect.captures.order`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import replace
from itertools import chain, islice

from osgpdissect.bytestream import ByteRun, Direction, LineError
from osgpdissect.captures import order
from osgpdissect.captures.base import (
    CaptureError,
    CaptureOptions,
    RunAssembler,
    Source,
    bounded_lines,
    guess_direction,
)
from osgpdissect.captures.direction import resolve_lines

__all__ = ["read", "sniff"]

_LINE = re.compile(r"^\s*(?:(\d+)-(\d+)\s+)?([A-Za-z0-9_.]+-\d+): ?(.*?)[\r\n]*$")
_SKIP = {"start bit", "stop bit", "break condition", "idle"}


def sniff(head: str) -> bool:
    """True when the first lines look like ``uart-1: 3F`` annotations."""
    lines = [ln for ln in head.splitlines()[:10] if ln.strip()]
    if len(lines) > 1 and not head.endswith("\n"):
        lines = lines[:-1]
    return bool(lines) and all(_LINE.match(ln) for ln in lines)


def _value(text: str, bits_shown: bool) -> int | None:
    if len(text) == 4 and text[0] == "[" and text[3] == "]":
        return int(text[1:3], 16)
    if len(text) == 2:
        return int(text, 16)
    if len(text) == 8 and set(text) <= {"0", "1"}:
        return int(text, 2)
    if len(text) == 1:
        if bits_shown and text in "01":
            return None  # a data-bit annotation
        return ord(text) if ord(text) < 256 else None
    if text.isdigit() and len(text) <= 3:
        v = int(text)
        return v if v < 256 else None
    return None


def read(src: Source, opts: CaptureOptions) -> Iterator[ByteRun]:
    """Read sigrok-cli annotation text."""
    try:
        with open(src.path, "rb"):
            pass
    except OSError as exc:
        raise CaptureError(f"{src.path}: cannot read: {exc.strerror or exc}") from None
    instances, timed = _survey(src, opts)
    undecided = [i for i in instances if opts.channels.get(i) is None and guess_direction(i) is None]
    if undecided and (len(instances) > 1 or src.direction is None):
        found = resolve_lines(src.path, instances, opts.channels, opts.notes, "decoder",
                              os.path.basename(src.path))
        opts = replace(opts, channels={**opts.channels, **found})
    directions = {opts.channels.get(i) or guess_direction(i) or src.direction for i in instances}
    if not timed and len(directions) == 2:  # both lines, untimed: put them in protocol order
        opts.notes.append(order.NOTE)
        return order.interleave_untimed(_runs(src, opts, Direction.C2S),
                                        _runs(src, opts, Direction.S2C))
    return _runs(src, opts)


def _survey(src: Source, opts: CaptureOptions) -> tuple[dict[str, bytes], bool]:
    """The decoder instances of the first lines with their bytes, and whether they have
    times (sample numbers and a samplerate)."""
    found: dict[str, bytearray] = {}
    timed = False
    with open(src.path, encoding="utf-8", errors="replace") as f:
        head = list(islice(bounded_lines(f, src.path), _SURVEY))
    bits_shown = any("Start bit" in ln for ln in head[:200])
    for line in head:
        m = _LINE.match(line)
        if not m:
            continue
        start, _end, inst, text = m.groups()
        value = None if text.lower() in _SKIP else _value(text, bits_shown)
        if value is None:
            continue
        timed = timed or (start is not None and bool(opts.samplerate))
        found.setdefault(inst, bytearray()).append(value)
    return {k: bytes(v) for k, v in found.items()}, timed


_SURVEY = 4000  # lines looked at to name the decoders' directions


def _other(dirs: dict[str, Direction | None]) -> Direction | None:
    """A decoder first seen late: the opposite of the one other decoder's direction."""
    known = {d for d in dirs.values() if d is not None}
    return known.pop().flipped() if len(known) == 1 else None


def _runs(src: Source, opts: CaptureOptions, only: Direction | None = None) -> Iterator[ByteRun]:
    """Runs of the file (of direction ``only`` when given: one pass per direction)."""
    path = src.path
    rate = opts.samplerate
    bit = 1 / opts.baud if opts.baud else 0.0  # sample numbers start after the start bit
    dirs: dict[str, Direction | None] = {}
    last: dict[str, list] = {}  # instance -> [direction, value, time, error, source]
    asm = RunAssembler(opts.run_gap, opts.max_run)
    untimed: dict[str, list] = {}  # instance -> [bytearray, errors, source, direction]
    with open(path, encoding="utf-8", errors="replace") as f:
        lines_of_f = bounded_lines(f, path)
        head = list(islice(lines_of_f, 200))
        bits_shown = any("Start bit" in ln for ln in head)
        for lineno, line in enumerate(chain(head, lines_of_f), 1):
            if not line.strip():
                continue
            m = _LINE.match(line)
            if not m:
                raise CaptureError(f"{path}:{lineno}: not a sigrok annotation line")
            start, _end, inst, text = m.groups()
            low = text.lower()
            if low in ("frame error", "parity error"):
                prev = last.get(inst)
                if prev is not None:
                    prev[3] = "framing" if low.startswith("frame") else "parity"
                continue
            if low in _SKIP:
                continue
            value = _value(text, bits_shown)
            if value is None:
                continue
            d = dirs.get(inst, False)
            if d is False:
                d = dirs[inst] = (opts.channels.get(inst) or guess_direction(inst)
                                  or src.direction or _other(dirs))
            if d is None:
                raise CaptureError(f"{path}:{lineno}: decoder {inst!r} has no direction: give the "
                                   f"file as {path}:tx or pass channels={inst}:tx")
            if only is not None and d is not only:
                continue
            t = int(start) / rate - bit if (start is not None and rate) else None
            prev = last.get(inst)
            last[inst] = [d, value, t, None, f"{path}:{lineno}"]
            if prev is not None:
                yield from _emit(asm, untimed, inst, prev, opts.max_run)
        for inst, prev in last.items():
            yield from _emit(asm, untimed, inst, prev, opts.max_run)
    yield from asm.finish()
    for data, errors, source, d in untimed.values():
        if data:
            yield ByteRun(d, bytes(data), None, (), tuple(errors), source)


def _emit(asm: RunAssembler, untimed: dict[str, list], inst: str, ev: list,
          max_run: int) -> Iterator[ByteRun]:
    d, value, t, error, source = ev
    if t is not None:
        ready = asm.add(d, value, t, error, source, inst)
        if ready:
            yield from ready
        return
    cur = untimed.get(inst)
    if cur is None or len(cur[0]) >= max_run:
        if cur is not None:
            yield ByteRun(cur[3], bytes(cur[0]), None, (), tuple(cur[1]), cur[2])
        cur = untimed[inst] = [bytearray(), [], source, d]
    if error:
        cur[1].append(LineError(len(cur[0]), error))
    cur[0].append(value)
