"""Split one UART stream carrying both MEP and optical (C12.18) traffic (Gen 2.X/3.X meters
share one UART between the two ports), then dissect each half.

Split rule, applied to each chunk (one direction, no long pause, no word from the other side):

* ``EE`` + header + data + valid CRC → an optical packet (MEP lengths never start with 0xEE);
* ``<length BE16> <body>`` with length ≤ 476 and a body shaped like a MEP request/response
  (:func:`osgpdissect.mep.frames.looks_like_frame`) → a MEP frame; a length-fitting frame of
  unknown code (RC4-encrypted) counts too when it ends the chunk or another item follows it.
  A frame followed by no certain item, with a MEP frame or valid optical packet inside it that
  is, lost bytes and swallowed that item's start: its bytes up to the item are *unknown*;
* ``00 00`` → the MEP alert, except where an optical ACK is due (the other side's last item
  was an optical packet): there the first ``00`` is the NES meters' 0x00 ACK, and the pair is
  reported as ambiguous;
* ``06``/``15``/``55``/``00`` → optical link bytes; an ``EE`` with a bad CRC or cut by the
  chunk end → optical (its dissector reports it as damaged/truncated);
* anything else → *unknown* bytes up to the next item.  Every byte lands in exactly one
  segment: nothing is dropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.c1218 import codes as M
from osgpdissect.c1218.messages import Malformed
from osgpdissect.mep.frames import looks_like_frame
from osgpdissect.optical import codes as C
from osgpdissect.optical.chunks import Chunk, ChunkOptions, chunks
from osgpdissect.optical.packet import packet_status

__all__ = ["MixedSplit", "Segment", "decode_mixed", "iter_mixed", "iter_split", "split_mixed"]

MEP, OPTICAL, UNKNOWN = "mep", "optical", "unknown"
_MIN_OPAQUE = 1 + M.DIGEST_LEN


@dataclass(frozen=True, slots=True)
class Segment:
    """Bytes of one protocol (``"mep"``, ``"optical"`` or ``"unknown"``); ``note`` says why
    the choice was not clear-cut (empty when it was)."""

    protocol: str
    run: ByteRun
    note: str = ""


@dataclass(slots=True)
class MixedSplit:
    segments: list[Segment] = field(default_factory=list)

    @property
    def mep_runs(self) -> list[ByteRun]:
        return [s.run for s in self.segments if s.protocol == MEP]

    @property
    def optical_runs(self) -> list[ByteRun]:
        return [s.run for s in self.segments if s.protocol == OPTICAL]

    @property
    def unknown(self) -> list[Segment]:
        return [s for s in self.segments if s.protocol == UNKNOWN]

    @property
    def ambiguous(self) -> list[Segment]:
        return [s for s in self.segments if s.note and s.protocol != UNKNOWN]


class _Splitter:
    def __init__(self) -> None:
        self.ack_due: dict[Direction, bool] = {d: False for d in Direction}

    def chunk(self, ch: Chunk) -> Iterator[Segment]:
        buf, n, pos, junk = ch.data, len(ch.data), 0, -1
        d = ch.direction
        while pos < n:
            hit = self._item(buf, pos, self.ack_due[d])
            if hit is None:
                if junk < 0:
                    junk = pos
                pos += 1
                continue
            proto, end, note = hit
            if junk >= 0:
                yield Segment(UNKNOWN, ch.run(junk, pos), "neither a MEP frame nor an optical packet")
                junk = -1
            self.ack_due[d] = False
            # only an intact packet is ACKed (a damaged one is NAKed or not answered at all)
            self.ack_due[d.flipped()] = (proto == OPTICAL and buf[pos] == C.STP
                                         and packet_status(buf, pos)[0] == "ok")
            yield Segment(proto, ch.run(pos, end), note)
            pos = end
        if junk >= 0:
            yield Segment(UNKNOWN, ch.run(junk, n), "neither a MEP frame nor an optical packet")

    def _item(self, buf: bytearray, pos: int, ack_due: bool) -> tuple[str, int, str] | None:
        n = len(buf)
        byte = buf[pos]
        if byte == C.ACK_ZERO and ack_due:
            if pos + 1 < n and buf[pos + 1] == 0x00:
                return OPTICAL, pos + 1, "00 00 where an optical ACK is due: first 00 read as the 0x00 ACK, not a MEP alert"
            return OPTICAL, pos + 1, ""
        if byte == C.STP:
            status, end = packet_status(buf, pos)
            if status == "ok":
                return OPTICAL, end, ""
            if status == "truncated" and pos + C.HEADER_LEN <= n:
                return OPTICAL, n, ""
            if status == "bad_crc" and (end == n or self._strong(buf, end)):
                return OPTICAL, end, ""
            return None
        mep = self._mep(buf, pos)
        if mep is not None:
            return mep
        if byte in C.LINK_BYTES:
            end = pos + 1
            if byte == C.WAKE_UP:
                while end < n and buf[end] == C.WAKE_UP:
                    end += 1
            return OPTICAL, end, ""
        return None

    def _mep(self, buf: bytearray, pos: int) -> tuple[str, int, str] | None:
        n = len(buf)
        if pos + 2 > n or buf[pos] > 0x01:
            return None
        length = (buf[pos] << 8) | buf[pos + 1]
        if length == 0:
            return MEP, pos + 2, ""
        end = pos + 2 + length
        if length > M.MAX_MESSAGE or end > n:
            return None
        body = bytes(buf[pos + 2 : end])
        if looks_like_frame(body):
            cut = self._overrun(buf, pos, end)
            if cut > 0:
                return UNKNOWN, cut, (f"damaged MEP frame: its length ({length}) runs past the "
                                      f"item that starts {cut - pos} bytes in")
            return MEP, end, ""
        if length >= _MIN_OPAQUE and (end == n or self._strong(buf, end)):
            return MEP, end, "frame of unknown code (RC4-encrypted?) taken as MEP by its length"
        return None

    def _overrun(self, buf: bytearray, pos: int, end: int) -> int:
        """Where the MEP frame ``[pos, end)`` really ends when its length ran past it (-1: it
        does not).  A frame that lost bytes swallows the start of what follows it, so what
        comes after its length is no certain item; then it ends at the earliest MEP frame or
        valid optical packet inside it that is itself followed by a certain item or the end."""
        n = len(buf)
        if end == n or self._strong(buf, end):
            return -1
        for q in range(pos + 1, end):
            stop = self._certain_end(buf, q)
            if stop > 0 and (stop == n or self._strong(buf, stop)):
                return q
        return -1

    def _certain_end(self, buf: bytearray, pos: int) -> int:
        """End of a well-formed MEP frame or a valid optical packet at ``pos`` (-1: none)."""
        if buf[pos] == C.STP:
            status, end = packet_status(buf, pos)
            return end if status == "ok" else -1
        if pos + 2 > len(buf) or buf[pos] > 0x01:
            return -1
        length = (buf[pos] << 8) | buf[pos + 1]
        end = pos + 2 + length
        if 0 < length <= M.MAX_MESSAGE and end <= len(buf) \
                and looks_like_frame(bytes(buf[pos + 2 : end])):
            return end
        return -1

    def _strong(self, buf: bytearray, pos: int) -> bool:
        """A certain item starts at ``pos``: a valid optical packet, a MEP frame or link byte."""
        if buf[pos] == C.STP:
            return packet_status(buf, pos)[0] == "ok"
        if buf[pos] in (C.ACK, C.NAK, C.WAKE_UP):
            return True
        if pos + 2 <= len(buf) and buf[pos] <= 0x01:
            length = (buf[pos] << 8) | buf[pos + 1]
            end = pos + 2 + length
            return length == 0 or (length <= M.MAX_MESSAGE and end <= len(buf)
                                   and looks_like_frame(bytes(buf[pos + 2 : end])))
        return False


def iter_split(runs: Iterable[ByteRun], options: ChunkOptions | None = None) -> Iterator[Segment]:
    """Segments of a mixed stream in stream order (streaming)."""
    splitter = _Splitter()
    for ch in chunks(runs, options):
        yield from splitter.chunk(ch)


def split_mixed(runs: Iterable[ByteRun], options: ChunkOptions | None = None) -> MixedSplit:
    """Split a mixed MEP/optical stream into its two protocols (and unknown bytes)."""
    return MixedSplit(list(iter_split(runs, options)))


# A window of segments is decoded together, then both dissectors flush what they hold, so a
# window ends only where no exchange is open (:class:`_Idle`): at a pause longer than
# _WINDOW_GAP (both response timeouts), or once it holds _WINDOW_SOFT segments or
# _WINDOW_BYTES bytes.  _WINDOW_HARD segments (or 8x the bytes) end it wherever it is, so
# memory stays bounded even on a stream that never comes to rest.
_WINDOW_GAP = 3.0
_WINDOW_SOFT = 2000
_WINDOW_BYTES = 1 << 17
_WINDOW_HARD = 20000


class _Idle:
    """Watches segments go by and says when no exchange is open: after an optical ACK from
    the client to the meter's last packet of a response, or after a MEP response frame."""

    __slots__ = ("packets_left",)

    def __init__(self) -> None:
        self.packets_left = -1  # packets still to come in the meter's optical response

    def after(self, seg: Segment) -> bool:
        data, d = seg.run.data, seg.run.direction
        if seg.protocol == OPTICAL:
            if data[:1] == bytes((C.STP,)) and len(data) > 3:
                self.packets_left = data[3] if d is Direction.S2C else -1
                return False
            return d is Direction.C2S and data == bytes((C.ACK,)) and self.packets_left == 0
        return seg.protocol == MEP and d is Direction.S2C and data[:2] != b"\x00\x00"


def iter_mixed(
    runs: Iterable[ByteRun],
    *,
    tables: Any,
    security: Any = None,
    reassembly: Any = None,
    show_password: bool = False,
) -> Iterator[tuple[Any, str]]:
    """``(record, protocol)`` of a mixed MEP/optical stream, in time order, numbered 1..N:
    MEP records, optical records and one ``malformed`` record per unknown stretch
    (``protocol`` ``"unknown"``).  The stream is split and decoded window by window (cut at
    pauses, or where no exchange is open once a window is full: see :class:`_Idle`) by one
    MEP and one optical dissector that keep their state across windows; both decode tables
    through ``tables`` (one ``Device``)."""
    from osgpdissect.mep import Dissector
    from osgpdissect.optical import OpticalDissector

    mep = Dissector(security=security, tables=tables, reassembly=reassembly)
    opt = OpticalDissector(tables, show_password=show_password)
    window: list[Segment] = []
    size = 0  # bytes in the window
    idle = _Idle()
    at_rest = False  # the window's last segment closed every exchange
    last: float | None = None
    counter = itertools.count(1)
    for seg in iter_split(runs):
        t = seg.run.time
        if window:
            gap = t - last if t is not None and last is not None else 0.0
            full = len(window) >= _WINDOW_SOFT or size >= _WINDOW_BYTES
            if gap > _WINDOW_GAP or (full and (at_rest or gap > 0.6)) \
                    or len(window) >= _WINDOW_HARD or size >= 8 * _WINDOW_BYTES:
                yield from _window(window, mep, opt, counter, show_password)
                window, size = [], 0
        window.append(seg)
        size += len(seg.run.data)
        at_rest = idle.after(seg)
        end = seg.run.byte_times[-1] if seg.run.byte_times else t
        if end is not None:
            last = end if last is None else max(last, end)
    if window:
        yield from _window(window, mep, opt, counter, show_password)


def _window(segments: list[Segment], mep: Any, opt: Any, counter: Iterator[int],
            show_password: bool) -> Iterator[tuple[Any, str]]:
    from osgpdissect.c1218.records import Record

    out: list[tuple[Any, str]] = [
        (r, "mep") for r in mep.dissect([s.run for s in segments if s.protocol == "mep"])]
    out += [(r, "optical") for r in opt.dissect([s.run for s in segments if s.protocol == "optical"])]
    out += [(Record("malformed", malformed=unknown_malformed(s, show_password)), "unknown")
            for s in segments if s.protocol == "unknown"]
    out.sort(key=lambda item: _time_key(item[0]))
    records = [rec for rec, _ in out]
    _attach_ambiguity(records, [s for s in segments if s.note and s.protocol != "unknown"],
                      show_password)
    for rec, protocol in out:
        rec.index = next(counter)
        yield rec, protocol


def decode_mixed(
    runs: Iterable[ByteRun],
    device: Any = None,
    *,
    spec: Any = None,
    tables: Any = None,
    security: Any = None,
    show_password: bool = False,
) -> list[Any]:
    """The records of :func:`iter_mixed` as a list (a table context is made from ``device``
    or ``spec`` when none is given)."""
    from osgpdissect.c1218.tables import TableContext

    if tables is None:
        tables = TableContext(spec=spec if spec is not None else getattr(device, "spec", None),
                              device=device)
    return [rec for rec, _ in iter_mixed(runs, tables=tables, security=security,
                                         show_password=show_password)]


def unknown_malformed(seg: Segment, show_password: bool = False) -> Malformed:
    """An unknown stretch as a malformed item.  Unless ``show_password``, bytes that may be an
    optical logon password (a damaged security packet) are shown as ``**``."""
    r = seg.run
    end = r.byte_times[-1] if r.byte_times else r.time
    bad = Malformed(r.direction, r.data, seg.note, r.time, end, r.source)
    if not show_password:
        shown = shown_hex(r.data)
        bad.shown_hex = shown if shown != r.data.hex() else None
    return bad


def shown_hex(raw: bytes, show_password: bool = False) -> str:
    """``raw`` as hex, with what may be an optical password masked unless ``show_password``."""
    if show_password:
        return raw.hex()
    from osgpdissect.optical.records import mask_stray_hex

    return mask_stray_hex(raw)


def _time_key(rec: Any) -> float:
    t = rec.time
    return t if t is not None else float("-inf")


def _attach_ambiguity(records: list[Any], ambiguous: list[Segment], show_password: bool = False) -> None:
    """Put each ambiguity note on the first record at or after the ambiguous bytes."""
    for seg in ambiguous:
        t = seg.run.time
        target = next((r for r in records if t is None or (r.time is not None and r.time >= t)),
                      None)
        if target is not None:
            target.warnings.append(
                f"ambiguous bytes {shown_hex(seg.run.data, show_password)} at {t}: {seg.note}"
            )
