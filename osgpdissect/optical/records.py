"""Optical exchange records: the MEP :class:`~osgpdissect.mep.records.Record` with C12.18
readings, the link log, and the password masked.

``to_json()`` keeps the MEP record's keys (``record``, ``index``, ``time``, ``request``,
``response``, ``pairing``, ``security``, ``decoded``, ``procedure``, ``transaction``,
``malformed``, ``warnings``) and adds ``protocol: "optical"``, ``link`` (wake-up/stray token
records) and, inside ``request``/``response``, ``service``, ``fields``, ``checksum``,
``packets`` and ``link_log``.  Record kinds: exchange, unanswered, orphan, malformed, wakeup,
link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from osgpdissect.jsontext import dumps
from osgpdissect.mep import codes as M
from osgpdissect.mep.records import Record
from osgpdissect.optical import codes as C
from osgpdissect.optical.messages import Message
from osgpdissect.optical.packet import LinkByte
from osgpdissect.optical.services import ServiceRequest, ServiceResponse

__all__ = ["MASK", "OpticalRecord", "mask_packet_hex", "mask_stray_hex"]

MASK = "********"


def mask_packet_hex(raw: bytes) -> str:
    """Hex of packet bytes with a security request's password and CRC replaced by ``*``."""
    if len(raw) > C.HEADER_LEN and raw[0] == C.STP and raw[C.HEADER_LEN] == C.SECURITY:
        start = C.HEADER_LEN + 1
        return raw[:start].hex() + "**" * max(len(raw) - start, 0)
    return raw.hex()


_SECURITY_TAIL = bytes((0x00, 1 + C.PASSWORD_LEN, C.SECURITY))  # length 21 + code 0x51


def mask_stray_hex(raw: bytes) -> str:
    """Hex of damaged bytes, masking whatever may be a password: the 22 bytes after each
    ``00 15 51`` (length 21 + security code) or after a leading ``51``, and the data of a
    damaged 21-byte packet whose service code is unknown."""
    masked = bytearray(b"\x00" * len(raw))  # 1 = hide
    pos = raw.find(_SECURITY_TAIL)
    if raw[:1] == bytes((C.SECURITY,)):  # header lost (its bytes read as tokens): code first
        for k in range(1, min(1 + C.PASSWORD_LEN + C.CRC_LEN, len(raw))):
            masked[k] = 1
    while pos >= 0:
        for k in range(pos + 3, min(pos + 3 + C.PASSWORD_LEN + C.CRC_LEN, len(raw))):
            masked[k] = 1
        pos = raw.find(_SECURITY_TAIL, pos + 1)
    if (len(raw) > C.HEADER_LEN and raw[0] == C.STP and raw[4:6] == _SECURITY_TAIL[:2]
            and raw[C.HEADER_LEN] not in C.SERVICES):
        for k in range(C.HEADER_LEN, len(raw)):
            masked[k] = 1
    return "".join("**" if hide else f"{b:02x}" for b, hide in zip(raw, masked, strict=True))


@dataclass(slots=True)
class OpticalRecord(Record):
    """One optical exchange, link event or malformed stretch."""

    token: LinkByte | None = None
    show_password: bool = False

    @property
    def time(self) -> float | None:
        if self.token is not None:
            return self.token.time
        return Record.time.fget(self)  # type: ignore[attr-defined]

    def to_json(self) -> dict[str, Any]:
        out = Record.to_json(self)
        out["protocol"] = "optical"
        if self.malformed is not None and not self.show_password:
            out["malformed"]["hex"] = mask_stray_hex(self.malformed.raw)
        out["link"] = (
            {"direction": self.token.direction.value, "time": self.token.time,
             "kind": self.token.kind, "count": self.token.count, "hex": self.token.raw.hex(),
             "source": self.token.source}
            if self.token is not None else None
        )
        return out

    def to_json_line(self) -> str:
        """``json.dumps(self.to_json())``: the MEP record's template knows no optical fields
        (and would show a logon password's bytes)."""
        return dumps(self.to_json())

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
