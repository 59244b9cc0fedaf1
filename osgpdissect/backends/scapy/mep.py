"""scapy layers for MEP frames (guide Tables 2.1-2.7).

One class per PDU; lengths and counts fill themselves on build::

    raw(MEPRequest(code=0x3F, table=0x0017, offset=0, count=44, seq=0x77635B91))
    MEPResponse(b"\\x00\\x09\\x00...")          # dissect
    dissect_exchange(request_bytes, response_bytes)   # response decoded against its request

A response carries no table id, so its table payload (a :class:`MEPTableData` subclass, decoded
and built by the codec: ``osgpdissect.backends.scapy.tables``) is attached by
:func:`dissect_exchange`; a write request gets it on dissection.  Only ``scapy.packet``/``scapy.fields`` are imported (never ``scapy.all``).
"""

from __future__ import annotations

import logging
import struct
from typing import Any

from scapy.fields import (
    ByteEnumField,
    ConditionalField,
    ShortField,
    StrLenField,
    ThreeBytesField,
    XIntField,
    XShortField,
    XStrFixedLenField,
)
from scapy.packet import Packet, Raw

from osgpdissect.backends.scapy.tables import (
    MEPTableData,
    set_table_context,
    table_context,
    table_layer,
)
from osgpdissect.backends.scapy.truncated import StrictPacket
from osgpdissect.c1218 import codes as C

__all__ = [
    "MEPAlert",
    "MEPRequest",
    "MEPResponse",
    "MEPTableData",
    "MEPTLSRequest",
    "MEPTLSResponse",
    "dissect_exchange",
    "dissect_frame",
    "set_table_context",
    "table_layer",
]

log = logging.getLogger(__name__)


class TableIdField(XShortField):
    """A 2-byte MSB table id shown as ``0x080B (ET11 MFG Dimension Table)``."""

    def i2repr(self, pkt: Packet | None, x: Any) -> str:
        if x is None:
            return "None"
        name = table_context().name_of(x)
        return f"0x{x:04X} ({C.table_id(x)}{' ' + name if name else ''})"


def _has_count(p: Packet) -> bool:
    if p.code in (C.PARTIAL_READ, C.FULL_WRITE, C.PARTIAL_WRITE):
        return True
    if p.code != C.FULL_READ:
        return False
    if p.length is not None:  # dissecting: the length tells whether 0x30 carries a count
        return p.length == 1 + 2 + 2 + C.SEQ_LEN + C.DIGEST_LEN
    return p.fields.get("count") is not None


class _MEPFrame(StrictPacket):
    """A length-prefixed MEP frame whose table payload (if any) is a view of its data."""

    def with_length(self, pkt: bytes) -> bytes:
        """``pkt`` with the length prefix filled in when the field was left unset."""
        if self.length is None:
            return (len(pkt) - 2).to_bytes(2, "big") + pkt[2:]
        return pkt

    def do_build_payload(self) -> bytes:
        if isinstance(self.payload, MEPTableData):
            return b""  # the table payload is a view of ``data``, already built
        return super().do_build_payload()  # bytes after the frame, kept


class MEPRequest(_MEPFrame):
    """RC4-mode request: length, C12.18 request, sequence number BE32, digest."""

    name = "MEP Request"
    fields_desc = [
        ShortField("length", None),
        ByteEnumField("code", C.PARTIAL_READ, C.REQUEST_CODES),
        TableIdField("table", 0),
        ConditionalField(
            ThreeBytesField("offset", 0), lambda p: p.code in (C.PARTIAL_READ, C.PARTIAL_WRITE)
        ),
        ConditionalField(ShortField("count", None), _has_count),
        ConditionalField(
            StrLenField("data", b"", length_from=lambda p: p.count or 0),
            lambda p: p.code in C.WRITE_CODES,
        ),
        XIntField("seq", 0),
        XStrFixedLenField("digest", b"\x00" * C.DIGEST_LEN, C.DIGEST_LEN),
    ]

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.code in C.WRITE_CODES and self.count is None:
            at = 5 if self.code == C.FULL_WRITE else 8
            pkt = pkt[:at] + len(self.data or b"").to_bytes(2, "big") + pkt[at + 2 :]
        return self.with_length(pkt) + pay

    def post_dissection(self, pkt: Packet) -> None:
        if self.code in C.WRITE_CODES and self.data:
            self.add_payload(table_layer(self.table, self.getfieldval("offset") or 0, self.data))

    def mysummary(self) -> str:
        return f"MEP {C.request_code_name(self.code)} {C.table_id(self.table)} seq=0x{self.seq:08X}"

    def answers(self, other: Packet) -> int:
        return 0  # a request answers nothing


def _has_read_data(p: Packet) -> bool:
    if p.code != C.OK:
        return False
    if p.length is not None:
        return p.length > 1 + C.DIGEST_LEN
    return p.fields.get("count") is not None or bool(p.fields.get("data"))


class MEPResponse(_MEPFrame):
    """RC4-mode response: length, code, [next seq | count + data], digest."""

    name = "MEP Response"
    fields_desc = [
        ShortField("length", None),
        ByteEnumField("code", C.OK, C.RESPONSE_CODES),
        ConditionalField(XIntField("next_seq", 0), lambda p: p.code == C.INVALID_SEQUENCE),
        ConditionalField(ShortField("count", None), _has_read_data),
        ConditionalField(
            StrLenField("data", b"", length_from=lambda p: p.count or 0), _has_read_data
        ),
        XStrFixedLenField("digest", b"\x00" * C.DIGEST_LEN, C.DIGEST_LEN),
    ]

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if _has_read_data(self) and self.count is None:
            pkt = pkt[:3] + len(self.data or b"").to_bytes(2, "big") + pkt[5:]
        return self.with_length(pkt) + pay

    def mysummary(self) -> str:
        return f"MEP Response {C.response_code_name(self.code)}"

    def answers(self, other: Packet) -> int:
        """A response answers an RC4-mode request (MEP frames carry no id to match)."""
        return int(type(other) is MEPRequest)


class MEPTLSRequest(StrictPacket):
    """TLS-mode request: length, TLS code, TLS records (opaque here)."""

    name = "MEP TLS Request"
    fields_desc = [
        ShortField("length", None),
        ByteEnumField("code", C.TLS_TABLE, C.TLS_REQUEST_CODES),
        StrLenField("records", b"", length_from=lambda p: max((p.length or 1) - 1, 0)),
    ]

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        return self.with_length(pkt) + pay

    def answers(self, other: Packet) -> int:
        return 0  # a request answers nothing


class MEPTLSResponse(MEPTLSRequest):
    """TLS-mode response: length, response code, TLS records (opaque here)."""

    def answers(self, other: Packet) -> int:
        return int(type(other) is MEPTLSRequest)

    name = "MEP TLS Response"
    fields_desc = [
        ShortField("length", None),
        ByteEnumField("code", 0, C.TLS_RESPONSE_CODES),
        StrLenField("records", b"", length_from=lambda p: max((p.length or 1) - 1, 0)),
    ]


class MEPAlert(StrictPacket):
    """The meter's alert sequence: a zero length (l.549-565)."""

    name = "MEP Alert"
    fields_desc = [ShortField("length", 0)]

    def answers(self, other: Packet) -> int:
        return 0  # unsolicited


def dissect_frame(raw: bytes, direction: str = "C->S", tls: bool = False) -> Packet:
    """The layer for one frame; ``direction`` is ``"C->S"`` or ``"S->C"``.  Bytes that no MEP
    layer can hold (shorter than a length field, cut inside a field) come back as ``Raw``."""
    try:
        return _dissect_frame(raw, direction, tls)
    except (struct.error, ValueError, IndexError, TypeError) as exc:
        log.debug("not a MEP frame (%s): %s", exc, raw.hex())
        return Raw(raw)


def _dissect_frame(raw: bytes, direction: str, tls: bool) -> Packet:
    if direction in ("S->C", "rx"):
        if raw[:2] == b"\x00\x00" and len(raw) == 2:
            return MEPAlert(raw)
        return MEPTLSResponse(raw) if tls else MEPResponse(raw)
    if len(raw) > 2 and raw[2] in C.TLS_REQUEST_CODES:
        return MEPTLSRequest(raw)
    return MEPRequest(raw)


def dissect_exchange(request: bytes, response: bytes) -> tuple[Packet, Packet]:
    """Both frames of an exchange; a read response gets its table payload layer."""
    req = dissect_frame(request, "C->S")
    resp = dissect_frame(response, "S->C", tls=isinstance(req, MEPTLSRequest))
    if isinstance(resp, Raw):
        return req, resp
    if (
        isinstance(req, MEPRequest)
        and isinstance(resp, MEPResponse)
        and req.code in C.READ_CODES
        and resp.code == C.OK
        and resp.getfieldval("data")
    ):
        offset = req.getfieldval("offset") or 0
        resp.add_payload(table_layer(req.table, offset, resp.data))
    return req, resp
