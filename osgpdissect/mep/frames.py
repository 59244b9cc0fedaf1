"""MEP frames: the readings of what the reassembler cuts (the message types are C12.18's,
``osgpdissect.c1218.messages``).

A frame is ``<length BE16> <length bytes>``.  What the bytes mean depends on the security mode
and, for responses, on the request they answer (a response carries no table id or code echo),
so reading is separate from cutting: :func:`parse_request` reads a frame alone,
:func:`parse_response` reads one against the request it answers.  Both are plain ``struct``-free
byte slicing (the hot path) and never raise: problems go into ``problems``.
"""

from __future__ import annotations

from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.messages import Request, Response, parse_command

__all__ = ["looks_like_frame", "parse_request", "parse_response"]


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
    if code in _RC4_REQUEST:
        if _request_shape_ok(body):
            return True
    elif code in _RC4_RESPONSE:
        rest = n - C.DIGEST_LEN - 1
        if code == C.OK:
            if rest == 0 or (rest >= 2 and (body[1] << 8 | body[2]) == rest - 2):
                return True
        elif rest == (4 if code == C.INVALID_SEQUENCE else 0):
            return True
    return code in _TLS_CODES and _tls_records_fit(body, 1)


_RC4_REQUEST = frozenset(C.REQUEST_CODES)
_RC4_RESPONSE = frozenset(C.RESPONSE_CODES)
_TLS_CODES = frozenset(C.TLS_REQUEST_CODES) | frozenset(C.TLS_RESPONSE_CODES)


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
