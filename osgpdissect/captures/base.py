"""Shared pieces of the capture readers: the error type, options, direction names, run grouping."""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from itertools import compress, islice
from operator import ne, sub
from typing import TextIO

from osgpdissect.bytestream import ByteRun, Direction, LineError

__all__ = [
    "CaptureError",
    "CaptureOptions",
    "Source",
    "RunAssembler",
    "parse_direction",
    "guess_direction",
]


class CaptureError(Exception):
    """A capture file cannot be read: unreadable, unknown format, bad content or bad option."""


_EXACT_DIRECTIONS: dict[str, Direction] = {}
for _name in ("tx", "c2s", "c->s", "c>s", "client", "request", "req", "host", "master", ">", "txd"):
    _EXACT_DIRECTIONS[_name] = Direction.C2S
for _name in ("rx", "s2c", "s->c", "s>c", "server", "meter", "response", "resp", "device",
              "slave", "<", "rxd"):
    _EXACT_DIRECTIONS[_name] = Direction.S2C

_GUESS_C2S = re.compile(r"(?<![a-z])(tx|txd|c->s|c2s|client|master|host|reader|request)(?![a-z])", re.I)
_GUESS_S2C = re.compile(r"(?<![a-z])(rx|rxd|s->c|s2c|server|meter|slave|device|response)(?![a-z])", re.I)


def parse_direction(text: str | Direction) -> Direction | None:
    """Return the direction an exact token names (``tx``, ``rx``, ``C->S``, ``meter``...), else None."""
    if isinstance(text, Direction):
        return text
    return _EXACT_DIRECTIONS.get(text.strip().lower())


def guess_direction(name: str) -> Direction | None:
    """Guess a direction from a channel or analyzer name containing TX/RX, C->S, meter, client...

    Returns None when the name says nothing or says both.
    """
    exact = parse_direction(name)
    if exact is not None:
        return exact
    c2s = bool(_GUESS_C2S.search(name))
    s2c = bool(_GUESS_S2C.search(name))
    if c2s != s2c:
        return Direction.C2S if c2s else Direction.S2C
    return None


def file_direction(path: str) -> Direction | None:
    """A direction from a file name: its last ``tx``/``rx``-like token first
    (``meter_session_tx.csv``), else :func:`guess_direction` on the whole name."""
    import os

    stem = os.path.splitext(os.path.basename(path))[0]
    for token in reversed(re.split(r"[^a-z0-9]+", stem.lower())):
        if token in ("tx", "txd", "rx", "rxd"):
            return _EXACT_DIRECTIONS[token]
    return guess_direction(stem)


MAX_LINE = 1 << 20  # characters in one line of a text capture


def bounded_lines(f: Iterable[str] | TextIO, path: str, limit: int = MAX_LINE,
                  first_lineno: int = 1) -> Iterator[str]:
    """The lines of text file ``f``, refusing (CaptureError) a line longer than ``limit``: the
    file is read in blocks, so one with no line breaks is never held whole."""
    read = getattr(f, "read", None)
    if read is None:  # already lines
        yield from f
        return
    lineno = first_lineno
    carry = ""
    while True:
        block = read(_TEXT_BLOCK)
        if not block:
            break
        parts = (carry + block).split("\n") if carry else block.split("\n")
        carry = parts.pop()
        for k, part in enumerate(parts):
            if len(part) >= limit:
                raise _too_long(path, lineno + k, limit)
        lineno += len(parts)
        for part in parts:
            yield part + "\n"
        if len(carry) > limit:
            raise _too_long(path, lineno, limit)
    if carry:
        yield carry


_TEXT_BLOCK = 1 << 14
_BULK_BLOCK = 1 << 13


def line_blocks(f: TextIO, path: str, limit: int = MAX_LINE,
                first_lineno: int = 1) -> Iterator[tuple[int, list[str]]]:
    """``(number of the first line, lines)`` of text file ``f`` in blocks of about 8 KiB, lines
    without their ``\\n``; the same line-length limit and messages as :func:`bounded_lines`."""
    lineno = first_lineno
    carry = ""
    while True:
        block = f.read(_BULK_BLOCK)
        if not block:
            break
        parts = (carry + block).split("\n") if carry else block.split("\n")
        carry = parts.pop()
        if parts:
            if max(map(len, parts)) >= limit:
                k = next(k for k, part in enumerate(parts) if len(part) >= limit)
                raise _too_long(path, lineno + k, limit)
            yield lineno, parts
            lineno += len(parts)
        if len(carry) > limit:
            raise _too_long(path, lineno, limit)
    if carry:
        yield lineno, [carry]


def _too_long(path: str, lineno: int, limit: int) -> CaptureError:
    return CaptureError(f"{path}:{lineno}: a line longer than {limit} characters: not a capture "
                        "format this reader knows (name the format with -f)")


_PARITIES = ("none", "even", "odd", "mark", "space")


@dataclass
class CaptureOptions:
    """Reader options.  All have defaults; :meth:`parse` builds one from ``key=value`` strings.

    ``tx``/``rx``: extra per-direction input files.  ``baud`` (None = estimate), ``data_bits``,
    ``parity``, ``stop_bits``, ``invert`` (None = detect by idle level): UART decoding of ``.sr``
    samples.  ``channels``: channel/analyzer name -> direction, overriding name guessing.
    ``swap``: exchange C->S and S->C everywhere.  ``run_gap``: a run of per-byte timed data
    ends at a gap longer than this (seconds); ``max_run`` caps a run's length.
    ``start_direction``: direction of the first unmarked hex-text line.  ``radix``: Saleae
    value radix (``auto``, ``hex``, ``dec``, ``bin``, ``ascii``).  ``samplerate``: turns sample
    numbers of sigrok-cli annotation text into seconds.  ``max_samples``: the most samples per
    channel a ``.sr`` file may hold (a limit against ZIP bombs; raise it for longer captures).
    """

    tx: str | None = None
    rx: str | None = None
    baud: int | None = None
    data_bits: int = 8
    parity: str = "none"
    stop_bits: float = 1.0
    invert: bool | None = None
    channels: dict[str, Direction] = field(default_factory=dict)
    swap: bool = False
    run_gap: float = 0.01
    max_run: int = 4096
    start_direction: Direction = Direction.C2S
    radix: str = "auto"
    samplerate: float | None = None
    max_samples: int = 1 << 33
    notes: list[str] = field(default_factory=list, repr=False, compare=False)  # for the user

    def __post_init__(self) -> None:
        if self.baud is not None and not 1 <= self.baud <= 100_000_000:
            raise CaptureError(f"bad option baud={self.baud}: must be 1..100000000")
        if not 5 <= self.data_bits <= 8:
            raise CaptureError(f"bad option data_bits={self.data_bits}: must be 5..8")
        if self.parity not in _PARITIES:
            raise CaptureError(f"bad option parity={self.parity}: one of {', '.join(_PARITIES)}")
        if self.stop_bits not in (1, 1.5, 2):
            raise CaptureError(f"bad option stop_bits={self.stop_bits}: must be 1, 1.5 or 2")
        if self.samplerate is not None and not self.samplerate > 0:
            raise CaptureError(f"bad option samplerate={self.samplerate}: must be > 0")
        if not self.run_gap > 0:
            raise CaptureError(f"bad option run_gap={self.run_gap}: must be > 0")
        self.run_gap = float(self.run_gap)  # (an int's __lt__ does not compare with floats)
        if self.max_samples < 1:
            raise CaptureError(f"bad option max_samples={self.max_samples}: must be >= 1")
        if self.max_run < 1:
            raise CaptureError(f"bad option max_run={self.max_run}: must be >= 1")
        if self.radix not in ("auto", "hex", "dec", "bin", "ascii"):
            raise CaptureError(f"bad option radix={self.radix}: auto, hex, dec, bin or ascii")
        chans: dict[str, Direction] = {}
        for name, value in dict(self.channels).items():
            d = parse_direction(value)
            if d is None:
                raise CaptureError(f"bad option channels: {name}={value} is not a direction (tx/rx)")
            chans[name] = d
        self.channels = chans
        d = parse_direction(self.start_direction)
        if d is None:
            raise CaptureError(f"bad option start_direction={self.start_direction}")
        self.start_direction = d

    @classmethod
    def parse(cls, items: Iterable[str] | Mapping[str, str]) -> CaptureOptions:
        """Build options from ``key=value`` strings (``baud=9600``, ``channels=D0:tx,D1:rx``)."""
        pairs = list(items.items()) if isinstance(items, Mapping) else []
        if not isinstance(items, Mapping):
            for item in items:
                key, sep, value = item.partition("=")
                if not sep:
                    raise CaptureError(f"bad option {item!r}: expected key=value")
                pairs.append((key.strip(), value.strip()))
        known = {f.name for f in fields(cls)} - {"notes"}
        kwargs: dict[str, object] = {}
        for key, value in pairs:
            key = key.replace("-", "_")
            if key not in known:
                raise CaptureError(f"unknown option {key!r} (known: {', '.join(sorted(known))})")
            try:
                converted = _convert(key, value)
            except ValueError as exc:
                raise CaptureError(f"bad option {key}={value}: {exc}") from None
            if key == "channels" and isinstance(kwargs.get(key), dict):
                converted = {**kwargs[key], **converted}  # type: ignore[dict-item]
            kwargs[key] = converted  # repeated -o channels=... combine
        return cls(**kwargs)  # type: ignore[arg-type]


def _convert(key: str, value: str) -> object:
    if key in ("tx", "rx", "parity", "radix"):
        return value.lower() if key in ("parity", "radix") else value
    if key in ("baud", "data_bits", "max_run", "max_samples"):
        return int(value)
    if key in ("stop_bits", "run_gap", "samplerate"):
        return float(value)
    if key in ("invert", "swap"):
        low = value.lower()
        if key == "invert" and low in ("auto", ""):
            return None
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected true/false")
    if key == "start_direction":
        d = parse_direction(value)
        if d is None:
            raise ValueError("expected tx or rx")
        return d
    if key == "channels":
        out: dict[str, str] = {}
        for part in value.split(","):
            name, sep, d = part.rpartition(":")
            if not sep or not name:
                raise ValueError("expected NAME:tx,NAME:rx")
            out[name.strip()] = d.strip()
        return out
    raise ValueError("unsupported")  # pragma: no cover


@dataclass(frozen=True)
class Source:
    """One input file and the direction its path suffix (``FILE:tx``) or option gave it."""

    path: str
    direction: Direction | None = None

    @property
    def name(self) -> str:
        return self.path


class RunAssembler:
    """Groups timed bytes of one or several directions into :class:`ByteRun` values.

    A run ends at a gap longer than ``gap`` seconds or at ``max_run`` bytes.  Finished runs are
    released in start-time order: a run waits while a run of another direction that started
    earlier is still open.
    """

    __slots__ = ("gap", "max_run", "_open", "_done", "_seq")

    def __init__(self, gap: float, max_run: int) -> None:
        self.gap = gap
        self.max_run = max_run
        # direction -> [data, times, errors, source, channel, last_time]
        self._open: dict[Direction, list] = {}
        self._done: list[tuple[float, int, ByteRun]] = []
        self._seq = 0

    def add(self, direction: Direction, value: int, time: float, error: str | None = None,
            source: str = "", channel: str = "") -> list[ByteRun] | None:
        """Add one byte; returns runs that became ready (or None)."""
        cur = self._open.get(direction)
        ready = None
        if cur is not None and (time - cur[5] > self.gap or len(cur[0]) >= self.max_run
                                or channel != cur[4]):
            self._close(direction)
            ready = self._release()
            cur = None
        if cur is None:
            cur = [bytearray(), [], [], source, channel, time]
            self._open[direction] = cur
        if error:
            cur[2].append(LineError(len(cur[0]), error))
        cur[0].append(value)
        cur[1].append(time)
        cur[5] = time
        return ready

    def add_run(self, direction: Direction, data: bytes | bytearray, times: Sequence[float],
                errors: Iterable[tuple[int, str]] = (), source: str = "", channel: str = "",
                where: Callable[[int], str] | None = None) -> list[ByteRun]:
        """Add consecutive bytes of one direction at once: the same runs, in the same order,
        as :meth:`add` called once per byte, but split at gaps in one pass over ``times``.

        ``errors``: ``(index, kind)`` pairs sorted by index; ``where(i)`` names the source of
        byte ``i`` for a run that starts there (default: ``source``).  Returns ready runs.
        """
        n = len(data)
        if n == 0:
            return []
        gap, max_run = self.gap, self.max_run
        out: list[ByteRun] = []
        cur = self._open.get(direction)
        if cur is not None and (times[0] - cur[5] > gap or len(cur[0]) >= max_run
                                or channel != cur[4]):
            self._close(direction)
            out += self._release()
            cur = None
        cuts = gap_indexes(times, gap)
        cuts.append(n)
        errs = [e for e in errors if e[1]]
        ci = ei = pos = 0
        while True:
            if cur is None:
                cur = [bytearray(), [], [], where(pos) if where else source, channel, times[pos]]
                self._open[direction] = cur
            while cuts[ci] <= pos:
                ci += 1
            end = min(cuts[ci], pos + max_run - len(cur[0]))
            base = len(cur[0]) - pos
            while ei < len(errs) and errs[ei][0] < end:
                cur[2].append(LineError(base + errs[ei][0], errs[ei][1]))
                ei += 1
            cur[0] += data[pos:end]
            cur[1] += times[pos:end]
            cur[5] = times[end - 1]
            if end >= n:
                return out
            pos = end
            self._close(direction)
            out += self._release()
            cur = None

    def _close(self, direction: Direction) -> None:
        data, times, errors, source, channel, _ = self._open.pop(direction)
        run = ByteRun(direction, bytes(data), times[0], tuple(times), tuple(errors), source, channel)
        self._seq += 1
        heapq.heappush(self._done, (times[0], self._seq, run))

    def _release(self) -> list[ByteRun]:
        limit = min((c[1][0] for c in self._open.values()), default=None)
        out = []
        while self._done and (limit is None or self._done[0][0] <= limit):
            out.append(heapq.heappop(self._done)[2])
        return out

    def finish(self) -> list[ByteRun]:
        """Close every open run and return all remaining runs in time order."""
        for d in list(self._open):
            self._close(d)
        return self._release()


def gap_indexes(times: Sequence[float], gap: float) -> list[int]:
    """Indexes ``i`` where ``times[i] - times[i - 1] > gap``, ascending, found by C-level
    iterators (no Python step per byte)."""
    steps = map(sub, islice(times, 1, None), times)
    return list(compress(range(1, len(times)), map(gap.__lt__, steps)))


def stretches(keys: Sequence[object]) -> list[tuple[int, int]]:
    """``(start, end)`` of each stretch of equal consecutive keys (analyzer names)."""
    n = len(keys)
    cuts = [0, *compress(range(1, n), map(ne, islice(keys, 1, None), keys)), n]
    return list(zip(cuts, cuts[1:], strict=False)) if n else []


def assemble(events: Iterable[tuple[Direction, int, float, str | None, str, str]],
             gap: float, max_run: int) -> Iterator[ByteRun]:
    """Feed ``(direction, byte, time, error, source, channel)`` events through a RunAssembler."""
    asm = RunAssembler(gap, max_run)
    add = asm.add
    for ev in events:
        ready = add(*ev)
        if ready:
            yield from ready
    yield from asm.finish()


def _whole_seconds(date: str, hh: str, mm: str, ss: str) -> float:
    import calendar
    from datetime import datetime

    dt = datetime.strptime(f"{date} {hh}:{mm}:{ss}", "%Y-%m-%d %H:%M:%S")
    return float(calendar.timegm(dt.timetuple()))


@lru_cache(maxsize=1024)
def _minute_start(date: str, hh: str, mm: str) -> int:
    """Seconds since the epoch at ``date hh:mm:00`` UTC (ValueError when no such time)."""
    import calendar
    from datetime import datetime

    dt = datetime.strptime(f"{date} {hh}:{mm}:00", "%Y-%m-%d %H:%M:%S")
    return calendar.timegm(dt.timetuple())


_ISO = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$")


def parse_timestamp(text: str) -> float:
    """Seconds from ``12.345`` or an ISO date-time (``2024-01-02 10:11:12.123[+01:00]``).

    Date-times without a zone are taken as UTC; the result is then seconds since the epoch.
    Raises ValueError.
    """
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"bad time {text!r}")
        return value
    return parse_iso_time(text)


def parse_iso_time(text: str) -> float:
    """The ISO date-time part of :func:`parse_timestamp` (``text`` already stripped); the
    date, hour and minute are converted once per minute (a capture repeats them row after
    row), with the same result as converting the whole date-time each time."""
    m = _ISO.match(text)
    if not m:
        raise ValueError(f"bad time {text!r}")
    date, hh, mm, ss, frac, zone = m.groups()
    if text.isascii() and int(ss) <= 59:
        try:
            secs = float(_minute_start(date, hh, mm) + int(ss))
        except ValueError:
            secs = _whole_seconds(date, hh, mm, ss)  # raises with the whole date-time
    else:
        secs = _whole_seconds(date, hh, mm, ss)
    if frac:
        secs += int(frac) / 10 ** len(frac)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        z = zone[1:].replace(":", "")
        secs -= sign * (int(z[:2]) * 3600 + int(z[2:]) * 60)
    return secs
