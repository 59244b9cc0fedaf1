"""pcap and pcapng with serial link types: a small streaming reader and a pcap writer.

``LINKTYPE_RTAC_SERIAL`` (250), as Wireshark's rtacser dissector reads it: a 12-byte header
(big-endian seconds and microseconds, event type, EIA-232 control lines, 2-byte footer) then
the line bytes.  Event 0x01 DATA_TX_START is C->S, 0x02 DATA_RX_START is S->C (also 0x03/0x04
DATA_*_END when they carry bytes).  Events 0x07 FRAMING_ERROR, 0x08 PARITY_ERROR, 0x09 BREAK,
0x0A OVERFLOW carry the bytes received in error; they belong to the direction of the data
event before them (or the pcapng EPB direction flag: inbound = S->C, outbound = C->S).
Consecutive packets of one direction with the same timestamp form one run; the writer uses
this to keep a run whole around errored bytes, writing a zero-length data event first when a
run starts with one.

``LINKTYPE_USER0`` (147), this project's convention: payload byte 0 is the direction (0x00 =
C->S, 0x01 = S->C), the line bytes follow; no error information.  Older RTAC exports used
USER0 with the 12-byte RTAC header: a payload of 12+ bytes whose first byte is not 0/1 and
whose byte 8 is an RTAC event type (<= 0x0A) is read that way.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from osgpdissect.bytestream import ByteRun, Direction, LineError
from osgpdissect.captures.base import CaptureError, CaptureOptions, Source

__all__ = ["read", "sniff", "write_pcap", "LINKTYPE_RTAC_SERIAL", "LINKTYPE_USER0"]

LINKTYPE_USER0 = 147
LINKTYPE_RTAC_SERIAL = 250
_PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_PCAPNG = b"\x0a\x0d\x0d\x0a"
_ERROR_EVENTS = {0x07: "framing", 0x08: "parity", 0x09: "break", 0x0A: "overrun"}
_DATA_EVENTS = {0x01: Direction.C2S, 0x02: Direction.S2C, 0x03: Direction.C2S, 0x04: Direction.S2C}
_MAX_BLOCK = 1 << 26


def sniff(head: bytes) -> bool:
    """True for a pcap or pcapng file header."""
    return head[:4] in _PCAP_MAGICS or head[:4] == _PCAPNG


def read(src: Source, opts: CaptureOptions) -> Iterator[ByteRun]:
    """Read serial-line packets from a pcap/pcapng file."""
    try:
        with open(src.path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise CaptureError(f"{src.path}: cannot read: {exc.strerror or exc}") from None
    if not sniff(magic):
        raise CaptureError(f"{src.path}: not a pcap or pcapng file")
    return _runs(src.path, opts.max_run)


class _Blocks:
    """A binary file read in 1 MiB blocks: ``read(n)`` as a file's, without a system call or a
    buffered-reader call per record."""

    __slots__ = ("f", "buf", "pos")

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.buf = b""
        self.pos = 0

    def read(self, n: int) -> bytes:
        pos, end = self.pos, self.pos + n
        if end > len(self.buf):
            self.buf = self.buf[pos:] + self.f.read(max(n, _READ_BLOCK))
            pos, end = 0, n
        self.pos = min(end, len(self.buf))
        return self.buf[pos:end]

    def seek(self, offset: int) -> None:
        self.f.seek(offset)
        self.buf, self.pos = b"", 0


_READ_BLOCK = 1 << 20


def _packets(f: _Blocks, path: str) -> Iterator[tuple[int, float, bytes, Direction | None, int]]:
    """Yield ``(linktype, time, payload, epb_direction, record_number)``."""
    magic = f.read(4)
    if magic in _PCAP_MAGICS:
        endian, unit = _PCAP_MAGICS[magic]
        hdr = f.read(20)
        if len(hdr) < 20:
            raise CaptureError(f"{path}: truncated pcap header")
        linktype = struct.unpack(endian + "HHiIII", hdr)[5] & 0xFFFF
        rec = struct.Struct(endian + "IIII")
        per_second = 1_000_000 if unit == 1e-6 else 1_000_000_000
        n = 0
        while True:
            buf, pos = f.buf, f.pos
            if pos + 16 <= len(buf):  # the common case, straight from the buffer
                sec, frac, incl, _orig = rec.unpack_from(buf, pos)
                end = pos + 16 + incl
                if incl <= _MAX_BLOCK and end <= len(buf):
                    n += 1
                    f.pos = end
                    yield linktype, (sec * per_second + frac) / per_second, buf[pos + 16:end], \
                        None, n
                    continue
            h = f.read(16)
            if not h:
                return
            n += 1
            if len(h) < 16:
                raise CaptureError(f"{path}: record {n}: truncated header")
            sec, frac, incl, _orig = rec.unpack(h)
            if incl > _MAX_BLOCK:
                raise CaptureError(f"{path}: record {n}: bad length {incl}")
            data = f.read(incl)
            if len(data) < incl:
                raise CaptureError(f"{path}: record {n}: truncated data")
            yield linktype, (sec * per_second + frac) / per_second, data, None, n
    else:
        f.seek(0)
        yield from _pcapng(f, path)


def _options(body: bytes, endian: str) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos + 4 <= len(body):
        code, length = struct.unpack_from(endian + "HH", body, pos)
        if code == 0:
            return
        yield code, body[pos + 4: pos + 4 + length]
        pos += 4 + length + (-length % 4)


_FLAG_DIRECTIONS = {1: Direction.S2C, 2: Direction.C2S}


_EPB_HEAD = {e: struct.Struct(e + "IIIIIII") for e in "<>"}


def _buffered_epbs(f: _Blocks, endian: str, ifaces: list[tuple[int, int]]
                   ) -> Iterator[tuple[int, float, bytes, Direction | None]]:
    """The common case read straight from the buffer: ``(linktype, time, data, direction)``
    of the next blocks while each is a whole, sound enhanced packet block of a known
    interface; the rest is read the general way."""
    buf, pos = f.buf, f.pos
    size = len(buf)
    head = _EPB_HEAD[endian]
    directions: dict[bytes, Direction | None] = {}  # per options field seen: its direction
    while ifaces and pos + 28 <= size:
        btype, total, iface, hi, lo, caplen, _orig = head.unpack_from(buf, pos)
        end = pos + 28 + caplen
        stop = pos + total - 4
        if (btype != 6 or total % 4 or total > _MAX_BLOCK or pos + total > size
                or iface >= len(ifaces) or end > stop):
            return
        opts = buf[end + (-caplen % 4):stop]
        try:
            direction = directions[opts]
        except KeyError:
            direction = _epb_direction(opts, endian)
            if len(directions) < 16:  # a capture repeats a few options fields
                directions[opts] = direction
        linktype, per_second = ifaces[iface]
        data = buf[pos + 28:end]
        pos = f.pos = pos + total
        yield linktype, ((hi << 32) | lo) / per_second, data, direction


def _epb_direction(options: bytes, endian: str) -> Direction | None:
    """The direction an enhanced packet's epb_flags option gives (inbound S->C, outbound C->S)."""
    direction = None
    for code, value in _options(options, endian):
        if code == 2 and len(value) == 4:
            flags = struct.unpack(endian + "I", value)[0] & 3
            direction = _FLAG_DIRECTIONS.get(flags)
    return direction


def _check_block(total: int, path: str) -> None:
    """A block's length is checked before its body is read (a 4 GiB length must not be)."""
    if total < 12 or total % 4 or total > _MAX_BLOCK:
        raise CaptureError(f"{path}: bad pcapng block length {total}")


def _pcapng(f: _Blocks, path: str) -> Iterator[tuple[int, float, bytes, Direction | None, int]]:
    endian = "<"
    ifaces: list[tuple[int, int]] = []  # link type, time stamp units per second
    n = 0
    first = True
    while True:
        for linktype, t, data, direction in _buffered_epbs(f, endian, ifaces):
            n += 1
            yield linktype, t, data, direction, n
        h = f.read(8)
        if not h:
            return
        if len(h) < 8:
            raise CaptureError(f"{path}: truncated pcapng block")
        btype = struct.unpack("<I", h[:4])[0]
        if btype == 0x0A0D0D0A:
            bom = f.read(4)
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                raise CaptureError(f"{path}: bad pcapng byte-order magic")
            total = struct.unpack(endian + "I", h[4:])[0]
            _check_block(total, path)
            body = bom + f.read(max(0, total - 12))
            ifaces = []
        else:
            if first:
                raise CaptureError(f"{path}: pcapng does not start with a section header")
            btype, total = struct.unpack(endian + "II", h)
            _check_block(total, path)
            body = f.read(max(0, total - 8))
        first = False
        if total < 12 or total % 4 or total > _MAX_BLOCK or len(body) < total - 8:
            raise CaptureError(f"{path}: bad pcapng block length {total}")
        body = body[:-4]
        if btype == 1:  # interface description
            if len(body) < 8:
                raise CaptureError(f"{path}: short interface block")
            linktype = struct.unpack_from(endian + "H", body)[0]
            per_second = 1_000_000  # if_tsresol: 10^-r s, or 2^-r s with the high bit set
            for code, value in _options(body[8:], endian):
                if code == 9 and value:
                    r = value[0]
                    per_second = 2 ** (r & 0x7F) if r & 0x80 else 10 ** r
            ifaces.append((linktype, per_second))
        elif btype in (2, 6):  # (obsolete) packet / enhanced packet
            n += 1
            if btype == 6:
                if len(body) < 20:
                    raise CaptureError(f"{path}: packet {n}: short block")
                iface, hi, lo, caplen, _orig = struct.unpack_from(endian + "IIIII", body)
            else:
                if len(body) < 20:
                    raise CaptureError(f"{path}: packet {n}: short block")
                iface, _drops, hi, lo, caplen, _orig = struct.unpack_from(endian + "HHIIII", body)
            if iface >= len(ifaces) or 20 + caplen > len(body):
                raise CaptureError(f"{path}: packet {n}: bad interface or length")
            linktype, per_second = ifaces[iface]
            data = body[20: 20 + caplen]
            direction = _epb_direction(body[20 + caplen + (-caplen % 4):], endian)
            yield linktype, ((hi << 32) | lo) / per_second, data, direction, n
        elif btype == 3:  # simple packet
            n += 1
            if not ifaces or len(body) < 4:
                raise CaptureError(f"{path}: packet {n}: simple packet without interface")
            yield ifaces[0][0], 0.0, body[4:], None, n


def _decode(linktype: int, data: bytes, path: str, n: int
            ) -> tuple[Direction | None, bytes, str | None] | None:
    """Return (direction or None = 'previous', bytes, error kind) or None to skip."""
    if linktype == LINKTYPE_USER0 and not (len(data) >= 12 and data[0] not in (0, 1)
                                           and data[8] <= 0x0A):
        if not data:
            return None
        if data[0] not in (0, 1):
            raise CaptureError(f"{path}: packet {n}: USER0 direction byte {data[0]:#04x} is not 0/1")
        return (Direction.C2S if data[0] == 0 else Direction.S2C), data[1:], None
    if linktype in (LINKTYPE_RTAC_SERIAL, LINKTYPE_USER0):
        if len(data) < 12:
            raise CaptureError(f"{path}: packet {n}: RTAC serial packet shorter than 12 bytes")
        event = data[8]
        if event in _DATA_EVENTS:
            return _DATA_EVENTS[event], data[12:], None
        if event in _ERROR_EVENTS:
            return None, data[12:], _ERROR_EVENTS[event]
        return None
    raise CaptureError(f"{path}: packet {n}: unsupported link type {linktype} "
                       f"(expected {LINKTYPE_RTAC_SERIAL} RTAC serial or {LINKTYPE_USER0} USER0)")


def _runs(path: str, max_run: int) -> Iterator[ByteRun]:
    last_dir: Direction | None = None
    # the run being gathered: its direction, time, first record, payloads, size, line errors
    run_dir: Direction | None = None
    run_time = 0.0
    first = 0
    parts: list[bytes] = []
    size = 0
    errors: list[LineError] = []
    data_events = _DATA_EVENTS
    with open(path, "rb") as raw:
        for linktype, t, data, epb_dir, n in _packets(_Blocks(raw), path):
            if linktype == LINKTYPE_RTAC_SERIAL and len(data) >= 12 and data[8] in data_events:
                direction, payload, error = data_events[data[8]], data[12:], None
            else:
                decoded = _decode(linktype, data, path, n)
                if decoded is None:
                    continue
                direction, payload, error = decoded
            if direction is None:
                direction = epb_dir or last_dir or Direction.C2S
            last_dir = direction
            if direction is not run_dir or t != run_time or size >= max_run:
                if size:
                    yield ByteRun(run_dir, parts[0] if len(parts) == 1 else b"".join(parts),
                                  run_time, (), tuple(errors) if errors else (),
                                  f"{path}#{first}")
                run_dir, run_time, first = direction, t, n
                parts, size, errors = [], 0, []
            if error:
                errors.extend(LineError(size + i, error) for i in range(len(payload)))
            parts.append(payload)
            size += len(payload)
    if size:
        yield ByteRun(run_dir, parts[0] if len(parts) == 1 else b"".join(parts), run_time, (),
                      tuple(errors) if errors else (), f"{path}#{first}")


def _rtac(t: float, event: int, payload: bytes) -> bytes:
    sec = int(t)
    usec = int(round((t - sec) * 1e6))
    if usec >= 1_000_000:
        sec, usec = sec + 1, usec - 1_000_000
    return struct.pack(">IIBBH", sec, usec, event, 0, 0) + payload


_MAX_PCAP_TIME = 2.0**32 - 1  # seconds: a classic pcap stamps 32-bit seconds


def _pcap_time(run: ByteRun) -> float:
    """The run's time as a pcap stamps it (unknown or negative: 0)."""
    t = run.time or 0.0
    if not t < _MAX_PCAP_TIME:  # also NaN
        raise ValueError(f"{run.source or 'run'}: time {t:g} s does not fit a classic pcap "
                         "(32-bit seconds: before 4294967295 s, the year 2106)")
    return max(t, 0.0)


def write_pcap(runs: Iterable[ByteRun], path: str, linktype: int = LINKTYPE_RTAC_SERIAL,
               pcapng: bool = False) -> None:
    """Write runs as a classic little-endian microsecond pcap (RTAC serial or USER0), or as
    pcapng (``pcapng=True``) whose packets carry direction flags (C->S outbound, S->C inbound).

    Each run becomes DATA_TX_START (C->S) / DATA_RX_START (S->C) packets stamped with the run's
    time; bytes with a :class:`LineError` go into FRAMING/PARITY/BREAK/OVERFLOW event packets
    with the same stamp.  Times before 0 or unknown are written as 0; a time a classic pcap
    cannot hold (2**32 s or more, not a number) raises ValueError.
    """
    if linktype not in (LINKTYPE_RTAC_SERIAL, LINKTYPE_USER0):
        raise ValueError(f"unsupported link type {linktype}")
    codes = {v: k for k, v in _ERROR_EVENTS.items()}
    rec = struct.Struct("<IIII")
    with open(path, "wb") as f:
        if pcapng:
            f.write(_pcapng_headers(linktype))
        else:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        direction = Direction.C2S

        def put(t: float, payload: bytes) -> None:
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            if usec >= 1_000_000:
                sec, usec = sec + 1, usec - 1_000_000
            if pcapng:
                f.write(_epb(sec * 1_000_000 + usec, payload, direction))
                return
            f.write(rec.pack(sec, usec, len(payload), len(payload)))
            f.write(payload)

        for run in runs:
            t = _pcap_time(run)
            direction = run.direction
            if linktype == LINKTYPE_USER0:
                for i in range(0, max(len(run.data), 1), 65000):
                    put(t, bytes([run.direction is Direction.S2C]) + run.data[i:i + 65000])
                continue
            event = 0x01 if run.direction is Direction.C2S else 0x02
            kinds = {e.index: e.kind for e in run.errors}
            pieces: list[tuple[int, bytes]] = []
            start = 0
            for i in sorted(kinds):
                if i >= len(run.data):
                    continue
                if i > start or not pieces:
                    pieces.append((event, run.data[start:i]))
                pieces.append((codes.get(kinds[i], 0x07), run.data[i:i + 1]))
                start = i + 1
            if start < len(run.data) or not pieces:
                pieces.append((event, run.data[start:]))
            for ev, chunk in pieces:
                for j in range(0, max(len(chunk), 1), 65000):
                    put(t, _rtac(t, ev, chunk[j:j + 65000]))


def _block(btype: int, body: bytes) -> bytes:
    body += bytes(-len(body) % 4)
    total = len(body) + 12
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def _pcapng_headers(linktype: int) -> bytes:
    """Section header (little-endian, version 1.0) and one interface (microsecond stamps)."""
    shb = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = _block(1, struct.pack("<HHI", linktype, 0, 65535))
    return shb + idb


def _epb(stamp_us: int, payload: bytes, direction: Direction) -> bytes:
    """An enhanced packet block with the epb_flags option: inbound (1) S->C, outbound (2) C->S."""
    flags = 1 if direction is Direction.S2C else 2
    options = struct.pack("<HHI", 2, 4, flags) + struct.pack("<HH", 0, 0)
    data = payload + bytes(-len(payload) % 4)
    body = struct.pack("<IIIII", 0, stamp_us >> 32, stamp_us & 0xFFFFFFFF, len(payload),
                       len(payload)) + data + options
    return _block(6, body)
