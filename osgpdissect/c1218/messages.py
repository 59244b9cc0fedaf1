"""C12.18 messages as both ports carry them: requests and responses read from their bytes,
frames as cut from one direction's stream, alerts, and bytes that are not a message.

:func:`parse_command` reads a bare C12.18 table request (code .. data), as the optical port
sends it, as ET52 transactions carry it and as the MEP port wraps it (``osgpdissect.mep.frames``
adds the length, sequence number and digest).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from osgpdissect.bytestream import Direction
from osgpdissect.c1218 import codes as C

__all__ = ["Alert", "Frame", "Malformed", "Request", "Response", "parse_command"]


@dataclass(slots=True)
class Frame:
    """One length-prefixed frame as cut from one direction's byte stream."""

    direction: Direction
    raw: bytes  # length prefix included
    time: float | None = None  # first byte
    end_time: float | None = None  # last byte
    source: str = ""
    segments: int = 1  # pieces separated by gaps (117-byte segmentation, l.626)
    shown_hex: str | None = None  # the hex to print when some bytes are masked ("**")

    @property
    def length(self) -> int:
        return len(self.raw) - 2

    @property
    def hex(self) -> str:
        """The bytes as hex, as they may be shown (masked bytes as ``**``)."""
        return self.shown_hex if self.shown_hex is not None else self.raw.hex()


@dataclass(slots=True)
class Alert:
    """The server's ``00 00`` alert sequence (l.549-565)."""

    direction: Direction
    time: float | None = None
    source: str = ""
    raw: bytes = b"\x00\x00"


@dataclass(slots=True)
class Malformed:
    """Bytes that are not a frame: garbage, a truncated frame, or a frame with stray bytes."""

    direction: Direction
    raw: bytes
    reason: str
    time: float | None = None
    end_time: float | None = None
    source: str = ""
    shown_hex: str | None = None  # the hex to print when some bytes are masked ("**"): a password

    @property
    def hex(self) -> str:
        """The bytes as hex, as they may be shown (masked bytes as ``**``)."""
        return self.shown_hex if self.shown_hex is not None else self.raw.hex()


@dataclass(slots=True)
class Request:
    """A request read from a frame.  ``mode`` is ``"rc4"``, ``"tls"`` or ``"opaque"``."""

    mode: str
    code: int | None = None
    table: int | None = None
    offset: int | None = None
    count: int | None = None  # 0x30: the max reply length when present
    data: bytes = b""
    seq: int | None = None
    digest: bytes = b""
    body: bytes = b""  # code .. sequence number (RC4) / code .. records (TLS)
    payload: bytes = b""  # TLS records after the code
    problems: list[str] = field(default_factory=list)

    @property
    def is_read(self) -> bool:
        return self.code in C.READ_CODES

    @property
    def is_write(self) -> bool:
        return self.code in C.WRITE_CODES

    @property
    def command(self) -> bytes:
        """The C12.18 part (code .. data), what a retry with a new sequence repeats."""
        return self.body[: -C.SEQ_LEN] if self.mode == "rc4" else self.body


@dataclass(slots=True)
class Response:
    """A response read against its request."""

    mode: str
    code: int | None = None
    count: int | None = None
    data: bytes = b""
    next_seq: int | None = None
    digest: bytes = b""
    body: bytes = b""  # code .. data (RC4) / code .. records (TLS)
    payload: bytes = b""
    problems: list[str] = field(default_factory=list)


def parse_command(c12: bytes, mode: str = "c12.18") -> Request:
    """Read a bare C12.18 request (code .. data, no sequence number or digest), as carried in
    ET52 transactions and inside TLS."""
    if not c12 or c12[0] not in C.REQUEST_CODES:
        return Request(
            "opaque",
            code=c12[0] if c12 else None,
            body=c12,
            problems=["not a C12.18 table request"],
        )
    code = c12[0]
    req = Request(mode, code=code, body=c12)
    n = len(c12)
    if n < 3:
        req.problems.append(f"{C.REQUEST_CODES[code]} without a table id")
        return req
    req.table = (c12[1] << 8) | c12[2]
    if code == C.FULL_READ:
        req.offset = 0
        if n == 5:
            req.count = (c12[3] << 8) | c12[4]
        elif n != 3:
            req.problems.append(f"full read has {n - 3} bytes after the table id (expected 0 or 2)")
    elif code == C.PARTIAL_READ:
        if n != 8:
            req.problems.append(f"partial read is {n} bytes (expected 8)")
        if n >= 6:
            req.offset = int.from_bytes(c12[3:6], "big")
        if n >= 8:
            req.count = (c12[6] << 8) | c12[7]
    else:
        head = 5 if code == C.FULL_WRITE else 8
        if code == C.FULL_WRITE:
            req.offset = 0
        elif n >= 6:
            req.offset = int.from_bytes(c12[3:6], "big")
        if n < head:
            req.problems.append(f"{C.REQUEST_CODES[code]} header cut short")
            return req
        req.count = (c12[head - 2] << 8) | c12[head - 1]
        req.data = c12[head:]
        if len(req.data) != req.count:
            req.problems.append(f"count says {req.count} data bytes, frame has {len(req.data)}")
    return req
