"""C12.18 services: requests read alone, responses read against the request they answer.

The readings use the attribute names of :class:`osgpdissect.mep.frames.Request`/``Response``
(``code``, ``table``, ``offset``, ``count``, ``data``, ``problems``, ...) so the exchange record
and the table decoding treat both ports alike; table read/write commands are read by the MEP
package's :func:`~osgpdissect.mep.frames.parse_command`.  Nothing here raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from osgpdissect.c1218.messages import parse_command
from osgpdissect.optical import codes as C

__all__ = ["ServiceRequest", "ServiceResponse", "check_checksum", "parse_request",
           "parse_response"]


@dataclass(slots=True)
class ServiceRequest:
    """A request message.  ``fields`` holds service-specific values (a security request's
    ``password`` stays here as bytes; renderers mask it)."""

    code: int | None = None
    service: str = "empty"
    table: int | None = None
    offset: int | None = None
    count: int | None = None
    data: bytes = b""
    checksum: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    body: bytes = b""
    problems: list[str] = field(default_factory=list)
    mode: str = "c12.18"
    seq: int | None = None  # MEP record shape: no sequence numbers or digests on this port
    digest: bytes = b""
    payload: bytes = b""

    @property
    def is_read(self) -> bool:
        return self.code in C.READ_CODES

    @property
    def is_write(self) -> bool:
        return self.code in C.WRITE_CODES


@dataclass(slots=True)
class ServiceResponse:
    code: int | None = None
    count: int | None = None
    data: bytes = b""
    checksum: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    body: bytes = b""
    problems: list[str] = field(default_factory=list)
    mode: str = "c12.18"
    next_seq: int | None = None
    digest: bytes = b""
    payload: bytes = b""

    @property
    def code_name(self) -> str | None:
        return C.response_code_name(self.code) if self.code is not None else None


def check_checksum(data: bytes, checksum: int) -> str | None:
    """``None`` when ``checksum`` is the two's complement of the byte sum of ``data``; else a
    problem naming the convention it matches, if any."""
    want = C.table_checksum(data)
    if checksum == want:
        return None
    total = sum(data) & 0xFF
    other = {(~total) & 0xFF: "one's complement", total: "plain sum"}.get(checksum)
    hint = f" (matches the {other} convention)" if other else ""
    return f"checksum 0x{checksum:02X} wrong: two's complement of the data sum is 0x{want:02X}{hint}"


def parse_request(data: bytes) -> ServiceRequest:
    """Read a request message (the joined data of its packets)."""
    if not data:
        return ServiceRequest(problems=["empty request"])
    code = data[0]
    req = ServiceRequest(code=code, service=C.service_name(code), body=data)
    n = len(data)
    if code in (C.IDENT, C.TERMINATE, C.LOGOFF):
        _expect_len(req, n, 1)
    elif code in C.READ_CODES:
        cmd = parse_command(data, "c12.18")
        req.table, req.offset, req.count = cmd.table, cmd.offset, cmd.count
        req.problems.extend(cmd.problems)
    elif code in C.WRITE_CODES:
        _write(req, data)
    elif code == C.LOGON:
        if _expect_len(req, n, 3 + C.USER_LEN):
            user = data[3:]
            req.fields.update(user_id=(data[1] << 8) | data[2],
                              user=user.decode("latin-1").rstrip(" \x00"), user_raw=user.hex())
    elif code == C.SECURITY:
        if _expect_len(req, n, 1 + C.PASSWORD_LEN):
            req.fields["password"] = data[1:]
    elif C.NEGOTIATE_BASE <= code <= C.NEGOTIATE_LAST:
        nbauds = code - C.NEGOTIATE_BASE
        if _expect_len(req, n, 4 + nbauds):
            req.fields.update(packet_size=(data[1] << 8) | data[2], nbr_packets=data[3],
                              baud_rates=[C.baud_name(b) for b in data[4:]])
    elif code == C.WAIT:
        if _expect_len(req, n, 2):
            req.fields["seconds"] = data[1]
    elif code in C.SERVICES:
        req.problems.append(f"{req.service} (0x{code:02X}) is not decoded")
    else:
        req.problems.append(f"unknown service code 0x{code:02X}")
    return req


def _expect_len(req: ServiceRequest, n: int, want: int) -> bool:
    if n != want:
        req.problems.append(f"{req.service} request is {n} bytes (expected {want})")
    return n == want


def _write(req: ServiceRequest, data: bytes) -> None:
    head = 5 if data[0] == C.FULL_WRITE else 8
    n = len(data)
    if n < head:
        cmd = parse_command(data, "c12.18")
        req.table, req.offset = cmd.table, cmd.offset
        req.problems.append(f"{req.service} header cut short")
        return
    count = (data[head - 2] << 8) | data[head - 1]
    if n == head + count + 1:
        cmd = parse_command(data[:-1], "c12.18")
        req.checksum = data[-1]
        problem = check_checksum(cmd.data, data[-1])
        if problem:
            req.problems.append(problem)
    else:
        cmd = parse_command(data, "c12.18")
        if n == head + count:
            cmd.problems = ["write without a checksum byte"]
    req.table, req.offset, req.count, req.data = cmd.table, cmd.offset, cmd.count, cmd.data
    req.problems.extend(cmd.problems)


def parse_response(data: bytes, request: ServiceRequest | None) -> ServiceResponse:
    """Read a response message against the request it answers (``None`` when unknown)."""
    if not data:
        return ServiceResponse(problems=["empty response"])
    code = data[0]
    resp = ServiceResponse(code=code, body=data)
    rest = data[1:]
    if code not in C.RESPONSE_CODES:
        resp.problems.append(f"unknown response code 0x{code:02X}")
        return resp
    if code != C.OK:
        if rest:
            resp.problems.append(f"{len(rest)} unexpected bytes after {resp.code_name}")
        return resp
    service = request.service if request is not None else _guess(rest)
    if service == "ident":
        _ident(resp, rest)
    elif service == "negotiate":
        if len(rest) != 4:
            resp.problems.append(f"negotiate response carries {len(rest)} bytes (expected 4)")
        if len(rest) >= 4:
            resp.fields.update(packet_size=(rest[0] << 8) | rest[1], nbr_packets=rest[2],
                               baud_rate=C.baud_name(rest[3]))
    elif service.startswith("read"):
        _read(resp, rest, request)
    elif rest:
        resp.problems.append(f"{len(rest)} unexpected bytes after ok")
    return resp


def _guess(rest: bytes) -> str:
    if len(rest) >= 3 and ((rest[0] << 8) | rest[1]) == len(rest) - 3:
        return "read"
    return "unknown"


def _read(resp: ServiceResponse, rest: bytes, request: ServiceRequest | None) -> None:
    if len(rest) < 2:
        resp.problems.append("read response without a count")
        return
    resp.count = (rest[0] << 8) | rest[1]
    body = rest[2:]
    if len(body) == resp.count + 1:
        resp.data, resp.checksum = body[:-1], body[-1]
        problem = check_checksum(resp.data, body[-1])
        if problem:
            resp.problems.append(problem)
    else:
        resp.data = body[: resp.count]
        have = len(body)
        resp.problems.append(
            f"count says {resp.count} data bytes + checksum, response has {have} bytes"
        )
    if request is not None and request.code == C.PARTIAL_READ and request.count is not None:
        if resp.count != request.count:
            resp.problems.append(f"{resp.count} bytes returned for {request.count} requested")


def _ident(resp: ServiceResponse, rest: bytes) -> None:
    if len(rest) < 3:
        resp.problems.append("ident response shorter than std, ver, rev")
        return
    std, ver, rev = rest[0], rest[1], rest[2]
    resp.fields.update(std=std, std_name=C.STANDARDS.get(std, f"unknown 0x{std:02X}"),
                       ver=ver, rev=rev)
    features: list[dict[str, Any]] = []
    pos, n = 3, len(rest)
    ended = False
    while pos < n:
        code = rest[pos]
        if code == 0x00:
            ended = True
            pos += 1
            break
        size = {0x06: 3}.get(code)
        if code == 0x07 and pos + 3 < n:
            size = 4 + rest[pos + 3]
        if size is None or pos + size > n:
            features.append({"code": code, "name": C.FEATURES.get(code, "unknown"),
                             "raw": rest[pos:].hex()})
            resp.problems.append(f"feature 0x{code:02X} not understood: rest kept raw")
            pos = n
            break
        features.append({"code": code, "name": C.FEATURES[code], "raw": rest[pos : pos + size].hex()})
        pos += size
    resp.fields["features"] = features
    if not ended and pos >= n and not resp.problems:
        resp.problems.append("feature list without end-of-list (0x00)")
    if pos < n:
        resp.problems.append(f"{n - pos} bytes after the feature list")
