"""Build C12.18 requests, responses and whole sessions (for clients, tests and examples).

Every request/response builder returns one complete packet (CRC included, control 0,
sequence 0); :func:`session` re-frames their data into packets of a negotiated size, flips the
toggle bits, adds ACKs, wake-up bytes and realistic timing, and returns byte runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.optical import codes as C
from osgpdissect.optical.packet import build_packet, control_byte, packet_status

__all__ = [
    "Exchange", "error", "ident", "ident_response", "logoff", "logon", "negotiate",
    "negotiate_response", "ok", "packets", "read", "read_response", "security", "service_data",
    "session", "terminate", "wait", "write",
]

_BAUD_CODE = {rate: code for code, rate in C.BAUD_CODES.items() if rate is not None}


def _pkt(data: bytes) -> bytes:
    return build_packet(data)


def _u16(value: int) -> bytes:
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"{value} does not fit 16 bits")
    return value.to_bytes(2, "big")


def _text(value: str | bytes, size: int, what: str) -> bytes:
    raw = value.encode("latin-1") if isinstance(value, str) else bytes(value)
    if len(raw) > size:
        raise ValueError(f"{what} is {len(raw)} bytes (at most {size})")
    return raw.ljust(size, b" ")


# -- requests -------------------------------------------------------------------------------
def ident() -> bytes:
    return _pkt(bytes((C.IDENT,)))


def terminate() -> bytes:
    return _pkt(bytes((C.TERMINATE,)))


def logoff() -> bytes:
    return _pkt(bytes((C.LOGOFF,)))


def wait(seconds: int) -> bytes:
    return _pkt(bytes((C.WAIT, seconds & 0xFF)))


def logon(user_id: int, name: str | bytes = b"") -> bytes:
    """Logon with a user id and a user name (space-padded to 10 bytes)."""
    return _pkt(bytes((C.LOGON,)) + _u16(user_id) + _text(name, C.USER_LEN, "user name"))


def security(password: str | bytes) -> bytes:
    """Security with a password (space-padded to 20 bytes)."""
    return _pkt(bytes((C.SECURITY,)) + _text(password, C.PASSWORD_LEN, "password"))


def negotiate(packet_size: int = 256, nbr_packets: int = 1, baud: int | None = None) -> bytes:
    """Negotiate (0x60 without a baud rate, 0x61 with one; ``baud`` in bit/s)."""
    bauds = b"" if baud is None else bytes((_BAUD_CODE[baud],))
    return _pkt(bytes((C.NEGOTIATE_BASE + len(bauds),)) + _u16(packet_size)
                + bytes((nbr_packets & 0xFF,)) + bauds)


def read(table: int, offset: int | None = None, count: int | None = None) -> bytes:
    """Full read (0x30) without ``offset``/``count``, else partial read (0x3F)."""
    if offset is None and count is None:
        return _pkt(bytes((C.FULL_READ,)) + _u16(table))
    if count is None:
        raise ValueError("a partial read needs a count")
    return _pkt(bytes((C.PARTIAL_READ,)) + _u16(table) + (offset or 0).to_bytes(3, "big")
                + _u16(count))


def write(table: int, data: bytes, offset: int | None = None, checksum: int | None = None) -> bytes:
    """Full write (0x40) without ``offset``, else partial write (0x4F); checksum computed."""
    cks = C.table_checksum(data) if checksum is None else checksum
    head = (bytes((C.FULL_WRITE,)) + _u16(table) if offset is None
            else bytes((C.PARTIAL_WRITE,)) + _u16(table) + offset.to_bytes(3, "big"))
    return _pkt(head + _u16(len(data)) + data + bytes((cks,)))


# -- responses ------------------------------------------------------------------------------
def ok() -> bytes:
    return _pkt(bytes((C.OK,)))


def error(code: int | str) -> bytes:
    """A bare response code, by number or C12.18 name (``"isc"``)."""
    if isinstance(code, str):
        code = next(k for k, (name, _) in C.RESPONSE_CODES.items() if name == code)
    return _pkt(bytes((code,)))


def ident_response(std: int = 0, ver: int = 2, rev: int = 0, features: bytes = b"") -> bytes:
    return _pkt(bytes((C.OK, std, ver, rev)) + features + b"\x00")


def negotiate_response(packet_size: int = 256, nbr_packets: int = 1, baud: int = 9600) -> bytes:
    return _pkt(bytes((C.OK,)) + _u16(packet_size) + bytes((nbr_packets, _BAUD_CODE[baud])))


def read_response(data: bytes, checksum: int | None = None) -> bytes:
    cks = C.table_checksum(data) if checksum is None else checksum
    return _pkt(bytes((C.OK,)) + _u16(len(data)) + data + bytes((cks,)))


# -- packets and sessions -------------------------------------------------------------------
def service_data(message: bytes) -> bytes:
    """The service bytes of a builder's packet (bytes that are not a packet pass through)."""
    if message[:1] == bytes((C.STP,)) and packet_status(message, 0) == ("ok", len(message)):
        return message[C.HEADER_LEN : -C.CRC_LEN]
    return message


def packets(data: bytes, packet_size: int | None = None, toggle: bool = False) -> list[bytes]:
    """Frame ``data`` as one packet or, when it exceeds ``packet_size`` (whole packet, header
    and CRC included), as a multi-packet message; toggle bits alternate from ``toggle``."""
    room = None if packet_size is None else packet_size - C.HEADER_LEN - C.CRC_LEN
    if room is not None and room < 1:
        raise ValueError(f"packet size {packet_size} leaves no room for data")
    if room is None or len(data) <= room:
        return [build_packet(data, control=control_byte(toggle=toggle))]
    parts = [data[i : i + room] for i in range(0, len(data), room)]
    out = []
    for k, part in enumerate(parts):
        ctrl = control_byte(multi=True, first=k == 0, toggle=toggle ^ bool(k % 2))
        out.append(build_packet(part, control=ctrl, seq=len(parts) - 1 - k))
    return out


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its response (builder packets or bare service data).

    ``request_naks``/``response_naks``: how many times the first packet goes out damaged and
    is NAKed before a good copy; ``lost_ack``: the first packet's ACK is lost, so it is sent
    again unchanged (a toggle-bit retransmission)."""

    request: bytes
    response: bytes | None
    request_naks: int = 0
    response_naks: int = 0
    lost_ack: bool = False


class _Clock:
    def __init__(self, start: float, baud: int) -> None:
        self.now = start
        self.byte_time = 10 / baud
        self.runs: list[ByteRun] = []

    def send(self, direction: Direction, data: bytes, delay: float) -> None:
        self.now += delay
        times = tuple(self.now + k * self.byte_time for k in range(len(data)))
        self.runs.append(ByteRun(direction, data, self.now, times, (), "synthetic"))
        self.now = times[-1] + self.byte_time


def session(
    exchanges: Iterable[Exchange | tuple[bytes, bytes | None]],
    *,
    start: float = 0.0,
    baud: int = 9600,
    packet_size: int | None = None,
    wakeup: int = 1,
    ack: int = C.ACK,
    turnaround: float = 0.005,
    response_delay: float = 0.040,
) -> list[ByteRun]:
    """Byte runs of a whole optical session, timed at ``baud`` (one run per transmission).

    ``ack`` is the byte the meter answers good packets with (``0x00`` for NES meters);
    ``packet_size`` splits long messages into multi-packet messages."""
    clock = _Clock(start, baud)
    toggles = {Direction.C2S: False, Direction.S2C: False}
    acks = {Direction.C2S: bytes((C.ACK,)), Direction.S2C: bytes((ack,))}
    if wakeup:
        clock.send(Direction.C2S, bytes((C.WAKE_UP,)) * wakeup, 0.0)
    for item in exchanges:
        ex = item if isinstance(item, Exchange) else Exchange(item[0], item[1])
        _transmit(clock, Direction.C2S, service_data(ex.request), ex.request_naks, ex.lost_ack,
                  packet_size, toggles, acks, turnaround)
        if ex.response is not None:
            clock.now += response_delay
            _transmit(clock, Direction.S2C, service_data(ex.response), ex.response_naks, False,
                      packet_size, toggles, acks, turnaround)
        clock.now += turnaround
    return clock.runs


def _transmit(clock: _Clock, d: Direction, data: bytes, naks: int, lost_ack: bool,
              packet_size: int | None, toggles: dict[Direction, bool],
              acks: dict[Direction, bytes], turnaround: float) -> None:
    peer = d.flipped()
    frames = packets(data, packet_size, toggles[d])
    for k, frame in enumerate(frames):
        if k == 0:
            for _ in range(naks):
                bad = frame[:-2] + bytes((frame[-2] ^ 0xFF, frame[-1]))
                clock.send(d, bad, turnaround)
                clock.send(peer, bytes((C.NAK,)), turnaround)
            if lost_ack:
                clock.send(d, frame, turnaround)
                clock.now += 0.6  # no ACK: the sender times out and retransmits
        clock.send(d, frame, turnaround)
        clock.send(peer, acks[peer], turnaround)
    toggles[d] = toggles[d] ^ (len(frames) % 2 == 1)
