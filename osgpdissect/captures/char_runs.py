"""Byte runs built from decoded UART characters, a block of characters at a time.

Per direction a run ends at a gap longer than ``gap`` seconds between byte start times, at
``max_run`` bytes, or where the bytes switch to another line of the same direction (the rules
of :class:`~osgpdissect.captures.base.RunAssembler`, applied to arrays).  Runs come out in
start-time order; a finished run waits only while a run that started earlier is still open.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from osgpdissect.bytestream import ByteRun, Direction, LineError
from osgpdissect.captures.uart_edges import ERROR_KINDS, Chars

__all__ = ["Line", "CharRuns"]


@dataclass(frozen=True)
class Line:
    """One decoded line: its direction, the ``source`` and ``channel`` its runs carry."""

    direction: Direction
    source: str
    channel: str


@dataclass
class _Open:
    line: int
    start: float
    last: float
    length: int = 0
    times: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    errors: list[np.ndarray] = field(default_factory=list)


class CharRuns:
    """Turns per-line :class:`Chars` into :class:`ByteRun` values (see the module doc)."""

    def __init__(self, lines: list[Line], samplerate: float, gap: float, max_run: int) -> None:
        self.lines = lines
        self.rate = samplerate
        self.gap = gap
        self.max_run = max_run
        self._open: dict[Direction, _Open] = {}
        self._done: list[tuple[float, int, int, ByteRun]] = []
        self._seq = 0
        self._by_direction: dict[Direction, list[int]] = {}
        for k, line in enumerate(lines):
            self._by_direction.setdefault(line.direction, []).append(k)

    def add(self, chars: list[Chars], cutoff: int | None) -> list[ByteRun]:
        """Add every line's characters (all starting before sample ``cutoff``; None: the last
        call) and return the runs that are ready."""
        for direction, ks in self._by_direction.items():
            self._add_direction(direction, ks, chars)
        for direction, cur in list(self._open.items()):
            if (cutoff is None or cur.length >= self.max_run
                    or cutoff / self.rate - cur.last > self.gap):
                self._close(direction)  # no later byte can extend it
        limit = min((c.start for c in self._open.values()), default=None)
        out = []
        while self._done and (limit is None or self._done[0][0] <= limit):
            out.append(heapq.heappop(self._done)[3])
        return out

    def _add_direction(self, direction: Direction, ks: list[int], chars: list[Chars]) -> None:
        parts = [(k, chars[k]) for k in ks if len(chars[k])]
        if not parts:
            return
        if len(parts) == 1:
            (k, c), = parts
            samples, values, errors = c.samples, c.values, c.errors
            lines = np.full(len(c), k, np.int64)
        else:
            samples = np.concatenate([c.samples for _, c in parts])
            values = np.concatenate([c.values for _, c in parts])
            errors = np.concatenate([c.errors for _, c in parts])
            lines = np.concatenate([np.full(len(c), k, np.int64) for k, c in parts])
            order = np.lexsort((lines, samples))
            samples, values, errors, lines = (samples[order], values[order], errors[order],
                                              lines[order])
        times = samples / self.rate
        m = len(times)
        breaks = np.zeros(m, bool)
        breaks[1:] = (np.diff(times) > self.gap) | (lines[1:] != lines[:-1])
        cur = self._open.get(direction)
        breaks[0] = cur is None or times[0] - cur.last > self.gap or int(lines[0]) != cur.line
        bounds = np.flatnonzero(breaks).tolist() + [m]
        a = 0
        for b in bounds:
            while a < b:  # bytes a..b-1 go to the open run, then to new runs
                cur = self._open.get(direction)
                if breaks[a] or cur is None or cur.length >= self.max_run:
                    if cur is not None:
                        self._close(direction)
                    cur = _Open(int(lines[a]), float(times[a]), float(times[a]))
                    self._open[direction] = cur
                    breaks[a] = False
                take = min(b - a, self.max_run - cur.length)
                cur.times.append(times[a:a + take])
                cur.values.append(values[a:a + take])
                cur.errors.append(errors[a:a + take])
                cur.length += take
                cur.last = float(times[a + take - 1])
                a += take

    def _close(self, direction: Direction) -> None:
        cur = self._open.pop(direction)
        times = np.concatenate(cur.times)
        errors = np.concatenate(cur.errors)
        line = self.lines[cur.line]
        flagged = np.flatnonzero(errors)
        run = ByteRun(direction, np.concatenate(cur.values).tobytes(), cur.start,
                      tuple(times.tolist()),
                      tuple(LineError(i, ERROR_KINDS[errors[i]]) for i in flagged.tolist()),
                      line.source, line.channel)
        self._seq += 1
        heapq.heappush(self._done, (cur.start, cur.line, self._seq, run))
