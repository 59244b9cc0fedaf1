"""Untimed per-direction input (raw dumps, untimed sigrok-cli text, hex without times) put in
protocol order, since file order says nothing about how the two lines interleave.

* MEP: each direction is cut into frames on its own; requests and responses are then aligned
  by their shapes (a partial read answered with the count it asked for, a write answered by a
  bare OK, an error code by anything) with a bounded dynamic-programming window.  A response
  answers the oldest outstanding request it fits; alerts (``00 00``) stay aside, after the
  response they followed.  A request that gets no response is left unanswered, a response that
  fits no request stays an orphan: no pairing is made that the shapes do not support.
* Optical (C12.18): a packet is followed by the other side's ACK/NAK; after a NAK or a packet
  with more to come the same side talks again, otherwise the other side.

Runs come out with ``time=None``, one unit (frame, alert run, packet...) per run; an empty run
of the other direction after damaged bytes keeps them from merging with the next unit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.c1218.messages import Alert, Frame, Malformed
from osgpdissect.mep.reassembly import Item, StreamReassembler
from osgpdissect.mep.shapes import request_shape, response_fit, response_shape, shape_fit
from osgpdissect.optical import codes as O
from osgpdissect.optical.packet import next_valid_packet, packet_status

__all__ = ["NOTE", "interleave_untimed", "looks_optical", "response_fit", "shape_fit"]

NOTE = "no timestamps: paired by order"
WINDOW = 32  # frames per direction aligned at once (half of them committed each time)
_PEEK = 4096  # bytes looked at to tell optical from MEP
_MAX_JUNK = 4096  # stray optical bytes held before they are passed on as one unit


@dataclass(slots=True)
class _Unit:
    """A request-side or response-side unit of the MEP alignment, with alerts that follow it."""

    item: Item
    alerts: list[Alert] = field(default_factory=list)
    shape: tuple | None = None  # request_shape / response_shape, computed once
    copies: list[Frame] = field(default_factory=list)  # identical resends


def looks_optical(runs: Iterable[ByteRun]) -> bool:
    """Whether the first bytes hold a C12.18 packet with a valid CRC."""
    buf = bytearray()
    for run in runs:
        buf += run.data[: _PEEK - len(buf)]
        if len(buf) >= _PEEK:
            break
    pos = buf.find(O.STP)
    while pos >= 0:
        if packet_status(buf, pos)[0] == "ok":
            return True
        pos = buf.find(O.STP, pos + 1)
    return False


_BEST_FIT = 4  # the highest score shape_fit gives
_FITS: dict[tuple, int | None] = {}


def _fit(req: tuple | None, resp: tuple | None) -> int | None:
    """:func:`shape_fit`, remembered per pair of shapes (a session has few distinct ones)."""
    key = (req, resp)
    try:
        return _FITS[key]
    except KeyError:
        pass
    value = shape_fit(req, resp)  # type: ignore[arg-type]
    if len(_FITS) < 65536:
        _FITS[key] = value
    return value


def _align(reqs: list[_Unit], resps: list[_Unit]) -> list[tuple[int | None, int | None]]:
    """The best monotone pairing of requests with responses, as steps in stream order:
    ``(i, j)`` a pair, ``(i, None)`` an unanswered request, ``(None, j)`` an orphan.  Ties go
    to the earlier request (the oldest outstanding one)."""
    n, m = len(reqs), len(resps)
    for unit in (*reqs, *resps):
        if unit.shape is None:
            unit.shape = (request_shape if unit.item.direction is Direction.C2S
                          else response_shape)(unit.item)
    k = min(n, m)
    if all(_fit(reqs[i].shape, resps[i].shape) == _BEST_FIT for i in range(k)):
        # every request answered by the response in its place with the best fit there is:
        # what the alignment below finds (its ties go to the pair), without the table
        return [(i, i) for i in range(k)] + [(i, None) for i in range(k, n)] + \
            [(None, j) for j in range(k, m)]
    fit = [[_fit(r.shape, s.shape) for s in resps] for r in reqs]
    # best[i][j]: best score over reqs[i:], resps[j:]
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(m - 1, -1, -1):
            f = fit[i][j]
            pair = f + below[j + 1] if f is not None else -1
            row[j] = max(pair, below[j], row[j + 1])
    steps: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < n and j < m:
        f = fit[i][j]
        if f is not None and f + best[i + 1][j + 1] == best[i][j]:
            steps.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1][j] == best[i][j]:
            steps.append((i, None))  # unanswered
            i += 1
        else:
            steps.append((None, j))  # an orphan
            j += 1
    steps += [(k, None) for k in range(i, n)]
    steps += [(None, k) for k in range(j, m)]
    return steps


class _MepOrder:
    """Aligns the frames of both directions in windows of :data:`WINDOW` units."""

    def __init__(self, sources: dict[Direction, Iterator[ByteRun]]) -> None:
        self.sources = sources
        self.cutters = {d: StreamReassembler(d) for d in Direction}
        self.units: dict[Direction, deque[_Unit]] = {d: deque() for d in Direction}
        self.leading_alerts: list[Alert] = []
        self.held: list[_Unit] = []  # unanswered requests not emitted yet
        self.ended = dict.fromkeys(Direction, False)
        self.last_direction: Direction | None = None
        self.last_malformed = False

    def _add(self, item: Item) -> None:
        units = self.units[item.direction]
        if isinstance(item, Alert) and item.direction is Direction.S2C:
            if units:
                units[-1].alerts.append(item)
            else:
                self.leading_alerts.append(item)
            return
        last = units[-1] if units else None
        if (last is not None and isinstance(item, Frame) and isinstance(last.item, Frame)
                and item.direction is Direction.C2S and last.item.raw == item.raw):
            last.copies.append(item)  # an identical resend: one request, one response
            return
        units.append(_Unit(item))

    @property
    def exhausted(self) -> bool:
        return all(self.ended.values())

    def _fill(self) -> None:
        """Read each direction until it holds a window of units or its input ends."""
        for d, source in self.sources.items():
            while not self.ended[d] and len(self.units[d]) < WINDOW:
                run = next(source, None)
                if run is None:
                    self.ended[d] = True
                    for item in self.cutters[d].close():
                        self._add(item)
                    break
                for item in self.cutters[run.direction].feed(run):
                    self._add(item)

    def __iter__(self) -> Iterator[ByteRun]:
        c2s, s2c = self.units[Direction.C2S], self.units[Direction.S2C]
        while True:
            self._fill()
            reqs = list(islice(c2s, WINDOW))
            resps = list(islice(s2c, WINDOW))
            if not reqs and not resps:
                out: list[ByteRun] = []
                self._emit_alerts(self.leading_alerts, out)
                yield from out
                return
            steps = _align(reqs, resps)
            if not self.exhausted:
                keep = []
                for i, j in steps:  # commit the first half; the rest is aligned again
                    if (i is not None and i >= WINDOW // 2) or (j is not None and j >= WINDOW // 2):
                        break
                    keep.append((i, j))
                steps = keep or steps[:1]
            yield from self._emit(steps, reqs, resps)

    def _emit(self, steps: list[tuple[int | None, int | None]], reqs: list[_Unit],
              resps: list[_Unit]) -> list[ByteRun]:
        """The runs of the committed steps.  An orphan must never follow an unanswered request
        (it would be read as its answer), so unanswered requests wait until the next paired
        request."""
        out: list[ByteRun] = []
        taken_reqs = taken_resps = 0
        for i, j in steps:
            if i is None and j is not None:
                self._unit(resps[j], out)
                taken_resps += 1
            elif j is None and i is not None:
                self.held.append(reqs[i])
                taken_reqs += 1
                if len(self.held) > WINDOW:  # bounded: all but the last are followed by it
                    for unit in self.held[:-1]:
                        self._unit(unit, out)
                    del self.held[:-1]
            elif i is not None and j is not None:
                for unit in self.held:
                    self._unit(unit, out)
                self.held = []
                self._unit(reqs[i], out)
                self._unit(resps[j], out)
                taken_reqs += 1
                taken_resps += 1
        c2s, s2c = self.units[Direction.C2S], self.units[Direction.S2C]
        for _ in range(taken_reqs):
            c2s.popleft()
        for _ in range(taken_resps):
            s2c.popleft()
        if self.exhausted and not c2s and not s2c:
            for unit in self.held:
                self._unit(unit, out)
            self.held = []
        return out

    def _unit(self, unit: _Unit, out: list[ByteRun]) -> None:
        if self.leading_alerts:
            self._emit_alerts(self.leading_alerts, out)
            self.leading_alerts = []
        self._item(unit.item, out)
        for copy in unit.copies:
            self._item(copy, out)
        self._emit_alerts(unit.alerts, out)

    def _emit_alerts(self, alerts: list[Alert], out: list[ByteRun]) -> None:
        for alert in alerts:
            self._item(alert, out)

    def _item(self, item: Item, out: list[ByteRun]) -> None:
        direction = item.direction
        if self.last_malformed and direction is self.last_direction:
            out.append(ByteRun(direction.flipped(), b""))  # a boundary: keep the units apart
        out.append(ByteRun(direction, bytes(item.raw), None, (), (), item.source))
        self.last_direction = direction
        self.last_malformed = isinstance(item, Malformed)


class _OpticalCutter:
    """Cuts one direction's optical bytes into units: a token, or stray bytes plus a packet."""

    def __init__(self, direction: Direction) -> None:
        self.direction = direction
        self.buf = bytearray()
        self.source = ""

    def feed(self, run: ByteRun, final: bool = False) -> Iterator[tuple[bytes, str, int]]:
        """``(bytes, kind, packets still to come)`` units; kind is packet/ack/nak/other."""
        if run.data and not self.source:
            self.source = run.source
        self.buf += run.data
        buf = self.buf
        pos = start = 0
        while pos < len(buf):
            byte = buf[pos]
            if byte in (O.ACK, O.NAK) and pos == start:
                yield bytes(buf[pos : pos + 1]), "ack" if byte == O.ACK else "nak", 0
                pos = start = pos + 1
                continue
            if byte == O.STP:
                status, end = packet_status(buf, pos)
                if status == "truncated" and not final and len(buf) - pos < O.MAX_DATA + 16:
                    break
                if status == "bad_crc":
                    # a damaged packet (cut, a byte lost) whose length field ran into the next
                    # packets: it ends where the first valid one starts (a token just before
                    # that packet is left to the loop)
                    nxt = next_valid_packet(buf, pos + 1, end)
                    if nxt < 0 and not final and _incomplete_inside(buf, pos + 1, end):
                        break  # a packet inside is not all in yet: it may be the valid one
                    if nxt >= 0:
                        if nxt - 1 > pos and buf[nxt - 1] in (O.ACK, O.NAK):
                            nxt -= 1
                        yield bytes(buf[start:nxt]), "other", 0
                        pos = start = nxt
                        continue
                if status in ("ok", "bad_crc"):
                    more = buf[pos + 3] if status == "ok" else 0
                    kind = "packet" if status == "ok" else "other"
                    yield bytes(buf[start:end]), kind, more
                    pos = start = end
                    continue
            pos += 1
            if pos - start > _MAX_JUNK:  # bytes that are nothing: pass them on, bounded
                yield bytes(buf[start:pos]), "other", 0
                start = pos
        if final and start < len(buf):
            yield bytes(buf[start:]), "other", 0
            start = len(buf)
        del buf[:start]


def _incomplete_inside(buf: bytearray, lo: int, hi: int) -> bool:
    """Whether an ``EE`` in ``[lo, hi)`` starts a packet whose bytes are not all in ``buf``."""
    pos = buf.find(O.STP, lo, hi)
    while pos >= 0:
        if packet_status(buf, pos)[0] == "truncated":
            return True
        pos = buf.find(O.STP, pos + 1, hi)
    return False


def _optical_order(sources: dict[Direction, Iterator[ByteRun]]) -> Iterator[ByteRun]:
    cutters = {d: _OpticalCutter(d) for d in Direction}
    queues: dict[Direction, deque[tuple[bytes, str, int]]] = {d: deque() for d in Direction}
    ended = dict.fromkeys(Direction, False)

    def need(d: Direction) -> bool:
        while not queues[d] and not ended[d]:
            run = next(sources[d], None)
            if run is None:
                ended[d] = True
                queues[d].extend(cutters[d].feed(ByteRun(d, b""), final=True))
            else:
                queues[run.direction].extend(cutters[run.direction].feed(run))
        return bool(queues[d])

    def out(d: Direction, unit: tuple[bytes, str, int]) -> ByteRun:
        return ByteRun(d, unit[0], None, (), (), cutters[d].source)

    talker = Direction.C2S
    while need(Direction.C2S) or need(Direction.S2C):
        if not need(talker):
            talker = talker.flipped()
        # the talker's units up to and including its next packet (or damaged bytes)
        more, kind, unit = 0, "ack", (b"", "", 0)
        while need(talker):
            unit = queues[talker].popleft()
            yield out(talker, unit)
            kind, more = unit[1], unit[2]
            if kind in ("packet", "other"):
                break
        while kind == "packet" and need(talker) and queues[talker][0][0] == unit[0]:
            yield out(talker, queues[talker].popleft())  # sent again unchanged: its ACK was lost
        other = talker.flipped()
        last = ""
        if need(other) and queues[other][0][1] in ("ack", "nak"):  # the answer to it
            unit = queues[other].popleft()
            yield out(other, unit)
            last = unit[1]
        if kind in ("packet", "other") and (more or last == "nak"):
            continue  # the same side goes on (next packet or a retransmission)
        talker = other


def interleave_untimed(c2s: Iterable[ByteRun], s2c: Iterable[ByteRun]) -> Iterator[ByteRun]:
    """Runs of both directions, without times, in protocol order (see the module doc).

    ``c2s`` and ``s2c`` are read side by side (each keeps its own order), so memory stays
    bounded by one window whatever the file sizes.
    """
    heads: dict[Direction, list[ByteRun]] = {}
    sources: dict[Direction, Iterator[ByteRun]] = {}
    for d, runs in ((Direction.C2S, c2s), (Direction.S2C, s2c)):
        it = iter(runs)
        head: list[ByteRun] = []
        size = 0
        for run in it:
            head.append(run)
            size += len(run.data)
            if size >= _PEEK or len(head) >= 64:
                break
        heads[d] = head
        sources[d] = chain(head, it)
    if any(looks_optical(h) for h in heads.values()):
        return _optical_order(sources)
    return iter(_MepOrder(sources))
