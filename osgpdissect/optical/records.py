"""Optical exchange records: the MEP :class:`~osgpdissect.c1218.records.Record` with C12.18
readings, the link log, and the password masked.

``to_json()`` keeps the MEP record's keys (``record``, ``index``, ``time``, ``request``,
``response``, ``pairing``, ``security``, ``decoded``, ``procedure``, ``transaction``,
``malformed``, ``warnings``) and adds ``protocol: "optical"``, ``link`` (wake-up/stray token
records) and, inside ``request``/``response``, ``service``, ``fields``, ``checksum``,
``packets`` and ``link_log``.  Record kinds: exchange, unanswered, orphan, malformed, wakeup,
link.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from osgpdissect.c1218 import codes as M
from osgpdissect.c1218.records import Record, split_masked_hex
from osgpdissect.optical import codes as C
from osgpdissect.optical.messages import Message
from osgpdissect.optical.packet import LinkByte
from osgpdissect.optical.services import ServiceRequest, ServiceResponse

__all__ = ["MASK", "OpticalRecord", "mask_packet_hex", "mask_stray_hex", "secret_spans"]

MASK = "********"


def mask_packet_hex(raw: bytes) -> str:
    """Hex of packet bytes with a security request's password and CRC replaced by ``*``."""
    if len(raw) > C.HEADER_LEN and raw[0] == C.STP and raw[C.HEADER_LEN] == C.SECURITY:
        start = C.HEADER_LEN + 1
        return raw[:start].hex() + "**" * max(len(raw) - start, 0)
    return raw.hex()


_SECURITY_TAIL = bytes((0x00, 1 + C.PASSWORD_LEN, C.SECURITY))  # length 21 + code 0x51
_LENGTH_21 = _SECURITY_TAIL[:2]
_SECRET_LEN = C.PASSWORD_LEN + C.CRC_LEN  # what follows a security code
# Writes are the only services whose request can be 21 data bytes long, and such a request
# names its data count: code -> (offset of the count after the code, count left by 21 bytes).
_WRITE_COUNT_AT: dict[int, tuple[int, int]] = {C.FULL_WRITE: (3, 15), C.PARTIAL_WRITE: (6, 12)}


def _is_21_byte_write(raw: bytes, code_at: int) -> bool:
    """Whether the 21-byte packet whose code sits at ``code_at`` reads as a consistent write."""
    where = _WRITE_COUNT_AT.get(raw[code_at])
    if where is None:
        return False
    at = code_at + where[0]
    return raw[at : at + 2] == where[1].to_bytes(2, "big")


def _header_secret(raw: bytes, p: int, strict: bool = False) -> tuple[int, int] | None:
    """``(start, size)`` of what may be a password after a security header at ``raw[p]``
    (an ``EE``), allowing one damaged byte: the code intact (length damaged), the length
    intact (code damaged, unless the packet reads as a write), or a header byte lost (the
    code one byte early, after a length byte).  ``strict`` (bytes that were read as another
    protocol's frame): a code after an ``EE`` counts only with a length byte intact."""
    code_at = p + C.HEADER_LEN
    if code_at >= len(raw):
        return None
    if raw[code_at] == C.SECURITY and (
            not strict or raw[p + 4] == _LENGTH_21[0] or raw[p + 5] == _LENGTH_21[1]):
        return code_at + 1, _SECRET_LEN
    if raw[p + 4 : p + 6] == _LENGTH_21 and not _is_21_byte_write(raw, code_at):
        return code_at, 1 + _SECRET_LEN
    if raw[code_at - 1] == C.SECURITY and raw[p + 4] in _LENGTH_21:
        return code_at, _SECRET_LEN
    return None


def secret_spans(raw: bytes, *, early_at: int | None = 0,
                 strict: bool = False) -> Iterator[tuple[int, int]]:
    """``(start, size)`` of every part of ``raw`` that may hold a password (a C12.18 security
    request body, intact or with one header byte damaged or lost).  ``early_at``: where a
    stretch that may start inside a header begins (a security code among its first
    header-length bytes counts); None when ``raw`` starts at a known boundary.  ``strict``:
    see :func:`_header_secret` (fewer false alarms in frames of another protocol)."""
    # The stretch may start inside a header (lost to tokens, or cut off by the MEP/optical
    # split): a security code among its first header-length bytes.
    early = -1 if early_at is None else raw.find(C.SECURITY, early_at, early_at + C.HEADER_LEN)
    if early >= 0:
        yield early + 1, _SECRET_LEN
    pos = raw.find(_SECURITY_TAIL)
    while pos >= 0:
        yield pos + len(_SECURITY_TAIL), _SECRET_LEN
        pos = raw.find(_SECURITY_TAIL, pos + 1)
    pos = raw.find(C.STP)
    while pos >= 0:
        span = _header_secret(raw, pos, strict)
        if span is not None:
            yield span
        pos = raw.find(C.STP, pos + 1)


def mask_stray_hex(raw: bytes, *, mask_all: bool = False) -> str:
    """Hex of damaged bytes with whatever may be a password shown as ``**``: the 22 bytes
    after each ``00 15 51`` (length 21 + security code) or a ``51`` among the first 6 bytes
    (the stretch starts inside a header), and what follows
    every ``EE`` that reads as a security header with one byte damaged or lost (see
    :func:`_header_secret`).  Linear in ``len(raw)``.  ``mask_all`` (a password is due)
    hides everything but a leading packet header."""
    n = len(raw)
    hide = bytearray(n)  # 1 = hide
    for start, size in secret_spans(raw):
        stop = min(start + size, n)
        hide[start:stop] = b"\x01" * max(stop - start, 0)
    if mask_all:
        keep = min(C.HEADER_LEN if raw[:1] == bytes((C.STP,)) else 0, n)
        hide[keep:] = b"\x01" * (n - keep)
    return "".join("**" if h else f"{b:02x}" for b, h in zip(raw, hide, strict=True))


@dataclass(slots=True)
class OpticalRecord(Record):
    """One optical exchange, link event or malformed stretch."""

    token: LinkByte | None = None
    show_password: bool = False
    mask_all: bool = False  # malformed bytes where a password was due: hide them all

    @property
    def time(self) -> float | None:
        if self.token is not None:
            return self.token.time
        return Record.time.fget(self)  # type: ignore[attr-defined]

    def to_json(self) -> dict[str, Any]:
        out = Record.to_json(self)
        out["protocol"] = "optical"
        if self.malformed is not None and not self.show_password:
            out["malformed"]["hex"] = mask_stray_hex(self.malformed.raw,
                                                       mask_all=self.mask_all)
        out["link"] = (
            {"direction": self.token.direction.value, "time": self.token.time,
             "kind": self.token.kind, "count": self.token.count, "hex": self.token.raw.hex(),
             "source": self.token.source}
            if self.token is not None else None
        )
        return split_masked_hex(out)

    def _request_json(self) -> dict[str, Any]:
        msg, req = self.request_frame, self.request
        assert isinstance(msg, Message)
        out = self._message_json(msg)
        if isinstance(req, ServiceRequest):
            out.update(
                mode=req.mode, code=req.code, code_name=req.service, service=req.service,
                table=M.table_id(req.table) if req.table is not None else None,
                table_number=req.table, table_name=self.table_name, offset=req.offset,
                count=req.count, data=req.data.hex() if req.data else None, seq=None,
                digest=None, checksum=req.checksum, fields=self._fields(req.fields),
                problems=list(req.problems),
            )
        return out

    def _response_json(self) -> dict[str, Any]:
        msg, resp = self.response_frame, self.response
        assert isinstance(msg, Message)
        out = self._message_json(msg)
        if isinstance(resp, ServiceResponse):
            out.update(
                mode=resp.mode, code=resp.code, code_name=resp.code_name,
                code_text=C.response_code_text(resp.code) if resp.code is not None else None,
                count=resp.count, data=resp.data.hex() if resp.data else None, next_seq=None,
                digest=None, checksum=resp.checksum, fields=dict(resp.fields),
                problems=list(resp.problems),
            )
        return out

    def _fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        out = dict(fields)
        if "password" in out:
            pw = out["password"]
            out["password"] = pw.hex() if self.show_password and isinstance(pw, bytes) else MASK
        return out

    def _message_json(self, msg: Message) -> dict[str, Any]:
        hexes = [p.raw.hex() if self.show_password else mask_packet_hex(p.raw) for p in msg.packets]
        return {
            "direction": msg.direction.value,
            "time": msg.time,
            "end_time": msg.end_time,
            "source": msg.source,
            "hex": "".join(hexes),
            "length": msg.length,
            "segments": msg.segments,
            "packets": [
                {"time": p.time, "hex": h, "identity": p.identity, "control": p.control,
                 "flags": p.flags(), "seq": p.seq, "length": p.length}
                for p, h in zip(msg.packets, hexes, strict=True)
            ],
            "link_log": [e.to_json() for e in msg.events],
            "message_problems": list(msg.problems),
        }
