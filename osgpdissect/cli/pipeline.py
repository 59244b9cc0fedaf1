"""The decode pipeline between capture readers and outputs: protocol choice (MEP, optical, or
a mixed stream split in bounded windows) and UART line errors attached to the frames they hit.

Everything is a generator; the only buffers are a bounded peek at the capture's start (auto
protocol detection), one mixed-stream window and the line errors not yet claimed by a record.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.jsontext import dumps

__all__ = ["Decoded", "LineErrorHit", "LineErrorTracker", "TimeCheck", "decode_records",
           "detect_protocol", "finish_records"]

_PEEK_RUNS = 512
_PEEK_BYTES = 256 * 1024
_RECENT = 64  # runs per direction remembered to place frame starts
_HORIZON = 30.0  # seconds after which an unclaimed line error is given up


@dataclass(frozen=True, slots=True)
class LineErrorHit:
    """A UART error (``framing``, ``parity``, ``break``, ``overrun``) on one received byte.
    ``frame`` (``request``/``response``/``alert``/``malformed``) and ``index`` (byte position
    in that frame, when the byte timing allows it) are set once a record claims it."""

    direction: Direction
    time: float | None
    kind: str
    value: int | None  # None: masked (the byte may be part of a password)
    source: str = ""
    frame: str = ""
    index: int | None = None
    offset: int = -1  # position in its direction's byte stream

    def to_json(self) -> dict[str, Any]:
        return {"direction": self.direction.value, "time": self.time, "kind": self.kind,
                "value": self.value, "frame": self.frame or None, "index": self.index}

    def text(self) -> str:
        where = f" of the {self.frame}" if self.frame else ""
        at = f" byte {self.index}" if self.index is not None else " a byte"
        t = f" at {self.time:.6f}" if self.time is not None else ""
        shown = "masked" if self.value is None else f"0x{self.value:02x}"
        return f"{self.kind} error on{at}{where} ({shown}, {self.direction.value}){t}"


@dataclass(slots=True)
class Decoded:
    """One record with what the CLI adds: its protocol and the line errors it claimed."""

    record: Any
    protocol: str = "mep"
    line_errors: list[LineErrorHit] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = self.record.to_json()
        out["protocol"] = self.protocol
        out["line_errors"] = [e.to_json() for e in self.line_errors]
        return out

    def to_json_line(self) -> str:
        """The record as one JSON line."""
        return dumps(self.to_json())


class LineErrorTracker:
    """Notes the line errors of runs as they stream past and hands each to the record whose
    frame (same direction, time inside the frame) holds the errored byte."""

    def __init__(self, byte_time: float = 10 / 9600) -> None:
        self.byte_time = byte_time
        self.pending: deque[LineErrorHit] = deque()
        self.unclaimed: list[LineErrorHit] = []
        self.seen = 0
        self._offset = dict.fromkeys(Direction, 0)
        # the last runs of each direction with their stream offsets, to place a frame's start
        self._recent: dict[Direction, deque[tuple[ByteRun, int]]] = {
            d: deque(maxlen=_RECENT) for d in Direction}

    @property
    def bytes_seen(self) -> dict[Direction, int]:
        """Bytes of each direction that streamed past."""
        return dict(self._offset)

    def observe(self, runs: Iterable[ByteRun]) -> Iterator[ByteRun]:
        offset = self._offset
        recent = self._recent
        for run in runs:
            d = run.direction
            base = offset[d]
            recent[d].append((run, base))
            if run.errors:
                self._note(run, base)
            offset[d] = base + len(run.data)
            yield run

    def _note(self, run: ByteRun, base: int) -> None:
        times = run.byte_times if len(run.byte_times) == len(run.data) else ()
        for err in run.errors:
            if not 0 <= err.index < len(run.data):
                continue
            if times:
                t: float | None = times[err.index]
            else:
                t = None if run.time is None else run.time + err.index * self.byte_time
            self.pending.append(LineErrorHit(run.direction, t, err.kind, run.data[err.index],
                                             run.source, offset=base + err.index))
            self.seen += 1

    def claim(self, rec: Any) -> list[LineErrorHit]:
        """Line errors inside ``rec``'s frames (removed from the pending ones)."""
        if not self.pending:
            return []
        frames = [(name, getattr(rec, attr, None)) for name, attr in (
            ("request", "request_frame"), ("response", "response_frame"), ("alert", "alert"),
            ("malformed", "malformed"), ("link", "token"))]
        got: list[LineErrorHit] = []
        keep: deque[LineErrorHit] = deque()
        for hit in self.pending:
            placed = None
            for name, frame in frames:
                if frame is not None and frame.direction is hit.direction:
                    index = self._index_in(frame, hit)
                    if index is not False:
                        placed = replace(hit, frame=name, index=index)
                        break
            if placed is not None:
                got.append(placed)
            else:
                keep.append(hit)
        self.pending = keep
        self._expire(rec.time)
        return got

    def _index_in(self, frame: Any, hit: LineErrorHit) -> int | None | bool:
        """The byte index of ``hit`` in ``frame`` (None: inside but unknown), or False."""
        start, t = frame.time, hit.time
        if t is None or start is None:
            return False
        end = getattr(frame, "end_time", None)
        end = start if end is None else end
        eps = self.byte_time / 2
        if not start - eps <= t <= end + eps:
            return False
        n = len(frame.raw) if hasattr(frame, "raw") else 0
        first = self._stream_offset(hit.direction, start)
        if first is not None and 0 <= hit.offset - first < max(n, 1):
            return hit.offset - first
        if n <= 1 or getattr(frame, "segments", 1) != 1:
            return None
        step = (end - start) / (n - 1) if end > start else self.byte_time
        return max(0, min(n - 1, round((t - start) / step)))

    def _stream_offset(self, direction: Direction, t: float) -> int | None:
        """Stream offset of the byte of ``direction`` sent at time ``t``, when still known."""
        eps = self.byte_time / 2
        for run, base in reversed(self._recent[direction]):
            if run.time is None or run.time > t + eps:
                continue
            times = run.byte_times if len(run.byte_times) == len(run.data) else ()
            k = bisect_left(times, t - eps) if times else round((t - run.time) / self.byte_time)
            return base + k if 0 <= k < len(run.data) else None
        return None

    def _expire(self, now: float | None) -> None:
        if now is None:
            return
        while self.pending and self.pending[0].time is not None and \
                self.pending[0].time < now - _HORIZON:
            self.unclaimed.append(self.pending.popleft())

    def finish(self) -> list[LineErrorHit]:
        """Errors no record claimed (reported by ``--stats`` and as a warning)."""
        self.unclaimed.extend(self.pending)
        self.pending.clear()
        return self.unclaimed


class TimeCheck:
    """Watches run times as they stream past (issue 21 item 9): a time that is not a finite
    number stops the decode (ValueError: no JSON number, no order); a time earlier than the
    one before is counted, and the first one described in ``first_backwards``."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.backwards = 0
        self.first_backwards = ""

    def observe(self, runs: Iterable[ByteRun]) -> Iterator[ByteRun]:
        for run in runs:
            t = run.time
            if t is not None:
                if not math.isfinite(t):
                    raise ValueError(f"{run.source or 'capture'}: time {t} is not a finite "
                                     "number of seconds")
                if self.last is not None and t < self.last:
                    self.backwards += 1
                    if not self.first_backwards:
                        self.first_backwards = (
                            f"{run.source or 'capture'}: {t:.6f} s after {self.last:.6f} s")
                self.last = t if self.last is None else max(self.last, t)
            yield run

    def warning(self) -> str | None:
        """One line for stderr when times went backwards, else None."""
        if not self.backwards:
            return None
        more = f" ({self.backwards} times in all)" if self.backwards > 1 else ""
        return (f"warning: times go backwards at {self.first_backwards}{more}: requests and "
                "responses may be paired wrongly from there")


def finish_records(records: Iterable[Decoded], errors: LineErrorTracker,
                   masker: Any) -> Iterator[Decoded]:
    """What every output does to a decoded record: claim its line errors, then mask secrets
    (a :class:`osgpdissect.cli.redact.SecretMasker`) in it and in those errors."""
    from osgpdissect.cli.redact import mask_line_errors

    for item in records:
        item.line_errors = errors.claim(item.record)
        item.record = masker.redact(item.record)
        item.line_errors = mask_line_errors(item.line_errors, masker.secret_directions)
        yield item


def _peek(runs: Iterable[ByteRun]) -> tuple[list[ByteRun], Iterator[ByteRun]]:
    it = iter(runs)
    head: list[ByteRun] = []
    size = 0
    for run in it:
        head.append(run)
        size += len(run.data)
        if len(head) >= _PEEK_RUNS or size >= _PEEK_BYTES:
            break
    return head, it


def detect_protocol(head: list[ByteRun]) -> str:
    """``"mixed"`` when the runs hold a valid C12.18 packet (``EE`` ... CRC), else ``"mep"``.
    A capture with optical packets only is still split: its MEP half is simply empty."""
    from osgpdissect.mixed import iter_split

    for seg in iter_split(head):
        if seg.protocol == "optical" and seg.run.data[:1] == b"\xee" and not seg.note:
            return "mixed"
    return "mep"


def decode_records(runs: Iterable[ByteRun], protocol: str = "auto", *, security: Any = None,
                   tables: Any = None, reassembly: Any = None) -> Iterator[Decoded]:
    """Records of ``runs`` as :class:`Decoded` values, in capture order."""
    if protocol == "auto":
        head, rest = _peek(runs)
        protocol = detect_protocol(head)
        runs = itertools.chain(head, rest)
    if protocol == "mep":
        from osgpdissect.mep import Dissector

        dis = Dissector(security=security, tables=tables, reassembly=reassembly)
        return (Decoded(rec) for rec in dis.dissect(runs))
    if protocol == "optical":
        from osgpdissect.optical import OpticalDissector

        return (Decoded(rec, "optical") for rec in OpticalDissector(tables).dissect(runs))
    if protocol == "mixed":
        return _mixed(runs, security, tables, reassembly)
    raise ValueError(f"unknown protocol {protocol!r} (auto, mep, optical)")


def _mixed(runs: Iterable[ByteRun], security: Any, tables: Any,
           reassembly: Any) -> Iterator[Decoded]:
    from osgpdissect.mixed import iter_mixed

    return (Decoded(rec, protocol) for rec, protocol in
            iter_mixed(runs, tables=tables, security=security, reassembly=reassembly))
