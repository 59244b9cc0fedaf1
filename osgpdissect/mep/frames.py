"""MEP frames: what the reassembler cuts, and their request/response readings.

A frame is ``<length BE16> <length bytes>``.  What the bytes mean depends on the security mode
and, for responses, on the request they answer (a response carries no table id or code echo),
so reading is separate from cutting: :func:`parse_request` reads a frame alone,
:func:`parse_response` reads one against the request it answers.  Both are plain ``struct``-free
byte slicing (the hot path) and never raise: problems go into ``problems``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from osgpdissect.bytestream import Direction
from osgpdissect.c1218 import codes as C

__all__ = [
    "Alert",
    "Frame",
    "Malformed",
    "Request",
    "Response",
    "looks_like_frame",
    "parse_command",
    "parse_request",
    "parse_response",
]


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


def parse_request(raw: bytes) -> Request:
    """Read a request frame (length prefix included).  Unknown codes give ``mode="opaque"``
    (an RC4-encrypted request looks like this until it is decrypted)."""
    n = len(raw)
    if n < 3:
        return Request("opaque", problems=["frame too short for a request"])
    code = raw[2]
    if code == C.PARTIAL_READ and n == 22:  # the common frame, read without slicing twice
        return Request(
            "rc4",
            code,
            (raw[3] << 8) | raw[4],
            (raw[5] << 16) | (raw[6] << 8) | raw[7],
            (raw[8] << 8) | raw[9],
            b"",
            int.from_bytes(raw[10:14], "big"),
            raw[14:],
            raw[2:14],
        )
    if code in C.TLS_REQUEST_CODES:
        return Request("tls", code=code, body=raw[2:], payload=raw[3:])
    if len(raw) < 2 + 1 + C.SEQ_LEN + C.DIGEST_LEN:
        return Request("opaque", code=code, body=raw[2:], problems=["too short for an RC4 request"])
    req = parse_rc4_request_body(raw[2 : -C.DIGEST_LEN])
    req.digest = raw[-C.DIGEST_LEN :]
    return req


def parse_rc4_request_body(body: bytes) -> Request:
    """Read ``code .. sequence number`` of an RC4-mode request (plaintext)."""
    if not body or body[0] not in C.REQUEST_CODES or len(body) < 1 + C.SEQ_LEN:
        return Request("opaque", code=body[0] if body else None, body=body)
    req = parse_command(body[: -C.SEQ_LEN], "rc4")
    req.body = body
    req.seq = int.from_bytes(body[-C.SEQ_LEN :], "big")
    return req


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


def parse_response(raw: bytes, request: Request | None) -> Response:
    """Read a response frame against the request it answers (``None`` when unknown)."""
    if len(raw) < 3:
        return Response("opaque", problems=["frame too short for a response"])
    if request is not None and request.mode == "tls":
        return Response("tls", code=raw[2], body=raw[2:], payload=raw[3:])
    if len(raw) < 2 + 1 + C.DIGEST_LEN:
        if request is None and raw[2] in C.TLS_RESPONSE_CODES:
            return Response("tls", code=raw[2], body=raw[2:], payload=raw[3:])
        return Response(
            "opaque", code=raw[2], body=raw[2:], problems=["too short for an RC4 response"]
        )
    n = len(raw)
    if (
        raw[2] == C.OK
        and request is not None
        and request.mode == "rc4"
        and request.code in C.READ_CODES
        and n >= 13
        and ((raw[3] << 8) | raw[4]) == n - 13
        and (request.code == C.FULL_READ or request.count == n - 13)
    ):  # the common frame: a read answered in full
        return Response("rc4", 0, n - 13, raw[5:-8], None, raw[-8:], raw[2:-8])
    resp = parse_rc4_response_body(raw[2 : -C.DIGEST_LEN], request)
    resp.digest = raw[-C.DIGEST_LEN :]
    return resp


def parse_rc4_response_body(body: bytes, request: Request | None) -> Response:
    """Read ``code .. data`` of an RC4-mode response (plaintext) against its request."""
    code = body[0]
    resp = Response("rc4", code=code, body=body)
    rest = len(body) - 1
    if request is not None and request.mode == "opaque":
        resp.mode = "opaque"  # sealed exchange: the response is ciphertext too
        return resp
    if code not in C.RESPONSE_CODES:
        resp.mode = "opaque"
        resp.problems.append(f"unknown response code 0x{code:02X}")
        return resp
    if code == C.INVALID_SEQUENCE:
        if rest != 4:
            resp.problems.append(f"0x0C carries {rest} bytes (expected a 4-byte sequence number)")
        if rest >= 4:
            resp.next_seq = int.from_bytes(body[1:5], "big")
    elif code == C.OK:
        reading = request.is_read if request is not None else rest >= 2
        if reading:
            if rest < 2:
                resp.problems.append("read response without a count")
                return resp
            resp.count = (body[1] << 8) | body[2]
            resp.data = body[3:]
            if len(resp.data) != resp.count:
                resp.problems.append(
                    f"count says {resp.count} data bytes, frame has {len(resp.data)}"
                )
            elif (
                request is not None and request.code == C.PARTIAL_READ and request.count is not None
            ):
                if resp.count != request.count:
                    resp.problems.append(
                        f"{resp.count} bytes returned for {request.count} requested"
                    )
        elif rest:
            resp.problems.append(f"{rest} unexpected bytes after the OK code")
    elif rest:
        resp.problems.append(f"{rest} unexpected bytes after error code 0x{code:02X}")
    return resp


def looks_like_frame(body: bytes) -> bool:
    """Strict shape check of a frame body (bytes after the length) for resynchronisation.

    True when the body is a structurally consistent plaintext RC4 request or response, or a
    TLS-mode frame whose records fit exactly.  Encrypted RC4 frames do not pass (they are
    accepted only while the stream is in sync).
    """
    n = len(body)
    if n == 0:
        return False
    code = body[0]
    if code in C.TLS_REQUEST_CODES or code in C.TLS_RESPONSE_CODES:
        if _tls_records_fit(body, 1):
            return True
    if code in C.REQUEST_CODES:
        return _request_shape_ok(body)
    if code in C.RESPONSE_CODES:
        rest = n - C.DIGEST_LEN - 1
        if code == C.INVALID_SEQUENCE:
            return rest == 4
        if code == C.OK:
            return rest == 0 or (rest >= 2 and (body[1] << 8 | body[2]) == rest - 2)
        return rest == 0
    return False


def _request_shape_ok(body: bytes) -> bool:
    """Whether ``parse_rc4_request_body(body[:-8])`` would find no problem (without building
    the request): the command's length agrees with its code and count."""
    m = len(body) - C.SEQ_LEN - C.DIGEST_LEN  # the C12.18 command: code .. data
    if m < 3:
        return False
    code = body[0]
    if code == C.FULL_READ:
        return m == 3 or m == 5
    if code == C.PARTIAL_READ:
        return m == 8
    head = 5 if code == C.FULL_WRITE else 8
    return m >= head and ((body[head - 2] << 8) | body[head - 1]) == m - head


def _tls_records_fit(body: bytes, pos: int) -> bool:
    n = len(body)
    if pos >= n:
        return False
    while pos < n:
        if pos + 5 > n or body[pos] not in C.TLS_RECORD_TYPES or body[pos + 1] != 3:
            return False
        pos += 5 + ((body[pos + 3] << 8) | body[pos + 4])
    return pos == n
