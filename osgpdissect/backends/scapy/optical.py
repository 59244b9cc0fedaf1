"""scapy layers for ANSI C12.18 (optical port) packets and services.

One class per PDU; lengths, counts, checksums and the CRC fill themselves on build::

    raw(C1218Packet(data=raw(C1218Read(table=23))))     # EE 00 00 00 00 03 30 00 17 <crc>
    C1218Packet(wire_bytes).crc_ok()                    # dissect + check
    C1218Packet(wire_bytes).service("request").show()   # the service layer of its data

The password of a security request shows as ``********`` unless
:func:`set_show_password` is called with ``True``.  Only ``scapy.packet``/``scapy.fields``
are imported.
"""

from __future__ import annotations

from typing import Any

from scapy.fields import (
    BitField,
    ByteEnumField,
    ByteField,
    FieldLenField,
    FieldListField,
    ShortField,
    StrField,
    StrFixedLenField,
    StrLenField,
    ThreeBytesField,
    XByteField,
    XLEShortField,
    XShortField,
)
from scapy.packet import Packet, Raw

from osgpdissect.backends.scapy.tables import MEPTableData
from osgpdissect.backends.scapy.truncated import StrictPacket, TruncatedLayerError
from osgpdissect.optical import codes as C
from osgpdissect.optical.crc import crc16

__all__ = [
    "C1218Ident", "C1218IdentResponse", "C1218Link", "C1218Logoff", "C1218Logon",
    "C1218Negotiate", "C1218NegotiateResponse", "C1218Packet", "C1218PartialRead",
    "C1218PartialWrite", "C1218Read", "C1218ReadResponse", "C1218Response", "C1218Security",
    "C1218Terminate", "C1218Wait", "C1218Write", "REQUEST_LAYERS", "dissect_packet",
    "dissect_service",
    "set_show_password",
]

_SHOW_PASSWORD = False
_RESPONSE_NAMES = {code: name for code, (name, _) in C.RESPONSE_CODES.items()}
_SERVICE_NAMES = {code: name for code, name in C.SERVICES.items()}
_BAUD_NAMES = {code: C.baud_name(code) for code in C.BAUD_CODES}


def set_show_password(show: bool) -> None:
    """Show security-request passwords in ``show()``/``repr`` (masked by default)."""
    global _SHOW_PASSWORD
    _SHOW_PASSWORD = bool(show)


class _MaskedField(StrFixedLenField):
    def i2repr(self, pkt: Packet | None, x: Any) -> str:
        return super().i2repr(pkt, x) if _SHOW_PASSWORD else "'********'"


class _ChecksumMixin:
    """Fill a trailing two's-complement checksum byte over the ``data`` field."""

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if getattr(self, "checksum", 0) is None:
            pkt = pkt[:-1] + bytes((C.table_checksum(self.data),))  # type: ignore[attr-defined]
        return pkt + pay

    def checksum_ok(self) -> bool:
        return C.table_checksum(self.data) == self.checksum  # type: ignore[attr-defined]


class _CrcField(XLEShortField):
    """The packet's CRC; ``show()`` says whether it matches the header and data."""

    def i2repr(self, pkt: Packet | None, x: Any) -> str:
        text = super().i2repr(pkt, x)
        if x is None or not isinstance(pkt, C1218Packet):
            return text
        want = pkt.expected_crc()
        return f"{text} (ok)" if want == x else f"{text} (BAD: expected 0x{want:04x})"


class C1218Packet(StrictPacket):
    """``EE | identity | control | sequence | length | data | CRC16 (X-25, LSB first)``.

    The data is the payload: ``C1218Packet(seq_nbr=1) / C1218Read(table=1)``; ``length`` and
    ``crc`` left unset are computed on build; on dissect the payload is the service layer its
    code names and ``crc_ok()`` checks the CRC (``show()`` and ``summary()`` say it).  The
    CRC trails the data on the wire; while dissecting it is read before the payload."""

    name = "C12.18 packet"
    fields_desc = [
        XByteField("stp", C.STP),
        XByteField("identity", 0),
        BitField("multi_packet", 0, 1),
        BitField("first_packet", 0, 1),
        BitField("toggle", 0, 1),
        BitField("reserved", 0, 3),
        BitField("data_format", 0, 2),
        ByteField("seq_nbr", 0),
        ShortField("length", None),
        _CrcField("crc", None),
    ]

    def __init__(self, _pkt: bytes = b"", *args: Any, data: bytes | None = None,
                 **kwargs: Any) -> None:
        super().__init__(_pkt, *args, **kwargs)
        if data is not None:  # the data as bytes: read as the service layer it holds
            self.add_payload(dissect_service(bytes(data), _role(bytes(data))))

    def pre_dissect(self, s: bytes) -> bytes:
        if len(s) < _HEADER:
            return s  # too short: the fields raise TruncatedLayerError
        n = int.from_bytes(s[_HEADER - 2:_HEADER], "big")
        if len(s) < _HEADER + n + 2:
            raise TruncatedLayerError(f"{self.name}: {len(s)} bytes are too short for a "
                                      f"{n}-byte packet and its CRC")
        return s[:_HEADER] + s[_HEADER + n:_HEADER + n + 2] + s[_HEADER:_HEADER + n] + \
            s[_HEADER + n + 2:]

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
        n = self.length or 0
        return s[:n], s[n:]

    def guess_payload_class(self, payload: bytes) -> type[Packet]:
        if self.multi_packet and not self.first_packet:
            return Raw  # a continuation: the service started in an earlier packet
        return type(dissect_service(payload, _role(payload)))

    def do_build(self) -> bytes:
        if not self.explicit:
            self = next(iter(self))
        head = self.self_build()[:_HEADER]
        data, after = self._data_and_after()
        if self.length is None:
            head = head[:_HEADER - 2] + len(data).to_bytes(2, "big")
        crc = crc16(head + data) if self.crc is None else self.crc
        return head + data + crc.to_bytes(2, "little") + after

    def build_padding(self) -> bytes:
        return b""  # do_build placed it: after the CRC

    def _data_and_after(self) -> tuple[bytes, bytes]:
        """The data (the payload with what its layers left as padding) and the bytes that
        followed the packet when it was dissected."""
        full = self.payload.build() if self.payload else b""
        n = len(full) if self.length is None else self.length
        return full[:n], full[n:]

    @property
    def data(self) -> bytes:
        """The packet's data bytes."""
        return self._data_and_after()[0]

    def expected_crc(self) -> int:
        """The CRC the header and data call for."""
        head = self.self_build()[:_HEADER]
        if self.length is None:
            head = head[:_HEADER - 2] + len(self.data).to_bytes(2, "big")
        return crc16(head + self.data)

    def crc_ok(self) -> bool:
        return self.crc is None or self.crc == self.expected_crc()

    def mysummary(self) -> str:
        crc = "" if self.crc is None else (" crc ok" if self.crc_ok() else " BAD CRC")
        return f"C12.18 packet seq {self.seq_nbr} length {len(self.data)}{crc}"

    def service(self, role: str = "request", request: Packet | None = None) -> Packet:
        """The data as a service layer (``role`` ``"request"`` or ``"response"``)."""
        return dissect_service(self.data, role, request)

    def answers(self, other: Packet) -> int:
        if not isinstance(other, C1218Packet):
            return 0
        return int(_role(self.data) == "response" and _role(other.data) == "request")


_HEADER = 6  # EE, identity, control, sequence, length (2)


def _role(data: bytes) -> str:
    """Requests have service codes from 0x20 up, responses below (C12.18)."""
    return "response" if data and data[0] < 0x20 else "request"


class C1218Link(StrictPacket):
    """A single link byte: ACK, NAK, the 0x00 NES meters send as ACK, or 0x55 wake-up."""

    name = "C12.18 link byte"
    fields_desc = [ByteEnumField("token", C.ACK, {C.ACK: "ACK", C.NAK: "NAK",
                                                  C.ACK_ZERO: "ACK (0x00)", C.WAKE_UP: "wake-up"})]


# -- requests -------------------------------------------------------------------------------
class _Request(StrictPacket):
    def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
        return b"", s


class C1218Ident(_Request):
    name = "C12.18 identification"
    fields_desc = [ByteEnumField("code", C.IDENT, _SERVICE_NAMES)]


class C1218Terminate(_Request):
    name = "C12.18 terminate"
    fields_desc = [ByteEnumField("code", C.TERMINATE, _SERVICE_NAMES)]


class C1218Logoff(_Request):
    name = "C12.18 logoff"
    fields_desc = [ByteEnumField("code", C.LOGOFF, _SERVICE_NAMES)]


class C1218Wait(_Request):
    name = "C12.18 wait"
    fields_desc = [ByteEnumField("code", C.WAIT, _SERVICE_NAMES), ByteField("seconds", 0)]


class C1218Read(_Request):
    name = "C12.18 full read"
    fields_desc = [ByteEnumField("code", C.FULL_READ, _SERVICE_NAMES), XShortField("table", 0)]


class C1218PartialRead(_Request):
    name = "C12.18 partial read"
    fields_desc = [
        ByteEnumField("code", C.PARTIAL_READ, _SERVICE_NAMES),
        XShortField("table", 0),
        ThreeBytesField("offset", 0),
        ShortField("count", 0),
    ]


class C1218Write(_ChecksumMixin, _Request):
    name = "C12.18 full write"
    fields_desc = [
        ByteEnumField("code", C.FULL_WRITE, _SERVICE_NAMES),
        XShortField("table", 0),
        FieldLenField("count", None, length_of="data", fmt="!H"),
        StrLenField("data", b"", length_from=lambda p: p.count),
        XByteField("checksum", None),
    ]


class C1218PartialWrite(_ChecksumMixin, _Request):
    name = "C12.18 partial write"
    fields_desc = [
        ByteEnumField("code", C.PARTIAL_WRITE, _SERVICE_NAMES),
        XShortField("table", 0),
        ThreeBytesField("offset", 0),
        FieldLenField("count", None, length_of="data", fmt="!H"),
        StrLenField("data", b"", length_from=lambda p: p.count),
        XByteField("checksum", None),
    ]


class C1218Logon(_Request):
    name = "C12.18 logon"
    fields_desc = [
        ByteEnumField("code", C.LOGON, _SERVICE_NAMES),
        ShortField("user_id", 0),
        StrFixedLenField("user", b" " * C.USER_LEN, C.USER_LEN),
    ]


class C1218Security(_Request):
    name = "C12.18 security"
    fields_desc = [
        ByteEnumField("code", C.SECURITY, _SERVICE_NAMES),
        _MaskedField("password", b" " * C.PASSWORD_LEN, C.PASSWORD_LEN),
    ]


class C1218Negotiate(_Request):
    name = "C12.18 negotiate"
    fields_desc = [
        ByteEnumField("code", C.NEGOTIATE_BASE, _SERVICE_NAMES),
        ShortField("packet_size", 256),
        ByteField("nbr_packets", 1),
        FieldListField("baud_rates", [], ByteEnumField("baud", 6, _BAUD_NAMES),
                       count_from=lambda p: max(p.code - C.NEGOTIATE_BASE, 0)),
    ]

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        code = C.NEGOTIATE_BASE + min(len(self.baud_rates or []), 11)
        return bytes((code,)) + pkt[1:] + pay


# -- responses ------------------------------------------------------------------------------
class C1218Response(_Request):
    """A bare response code (ok, err, sns, isc, onp, iar, bsy, dnr, dlk, rno, isss)."""

    name = "C12.18 response"
    fields_desc = [ByteEnumField("code", C.OK, _RESPONSE_NAMES)]


class C1218ReadResponse(_ChecksumMixin, _Request):
    name = "C12.18 read response"
    fields_desc = [
        ByteEnumField("code", C.OK, _RESPONSE_NAMES),
        FieldLenField("count", None, length_of="data", fmt="!H"),
        StrLenField("data", b"", length_from=lambda p: p.count),
        XByteField("checksum", None),
    ]

    def do_build_payload(self) -> bytes:
        if isinstance(self.payload, MEPTableData):
            return b""  # the table layer is a view of ``data``, already built
        return super().do_build_payload()


class C1218IdentResponse(_Request):
    name = "C12.18 identification response"
    fields_desc = [
        ByteEnumField("code", C.OK, _RESPONSE_NAMES),
        ByteEnumField("std", 0, C.STANDARDS),
        ByteField("ver", 2),
        ByteField("rev", 0),
        StrField("features", b"\x00"),  # feature list + end-of-list 0x00
    ]


class C1218NegotiateResponse(_Request):
    name = "C12.18 negotiate response"
    fields_desc = [
        ByteEnumField("code", C.OK, _RESPONSE_NAMES),
        ShortField("packet_size", 256),
        ByteField("nbr_packets", 1),
        ByteEnumField("baud", 6, _BAUD_NAMES),
    ]


# -- bindings (data, one place) ---------------------------------------------------------------
REQUEST_LAYERS: dict[int, type[Packet]] = {
    C.IDENT: C1218Ident,
    C.TERMINATE: C1218Terminate,
    C.LOGOFF: C1218Logoff,
    C.WAIT: C1218Wait,
    C.FULL_READ: C1218Read,
    C.PARTIAL_READ: C1218PartialRead,
    C.FULL_WRITE: C1218Write,
    C.PARTIAL_WRITE: C1218PartialWrite,
    C.LOGON: C1218Logon,
    C.SECURITY: C1218Security,
    **{code: C1218Negotiate for code in range(C.NEGOTIATE_BASE, C.NEGOTIATE_LAST + 1)},
}
RESPONSE_LAYERS: dict[str, type[Packet]] = {
    "ident": C1218IdentResponse,
    "negotiate": C1218NegotiateResponse,
    "read": C1218ReadResponse,
    "read_partial": C1218ReadResponse,
}


def dissect_service(data: bytes, role: str = "request", request: Packet | None = None) -> Packet:
    """Service bytes as a scapy layer; a response is read against its request when given.
    Unknown codes give :class:`~scapy.packet.Raw`; never raises."""
    if not data:
        return Raw(b"")
    try:
        if role == "request":
            return REQUEST_LAYERS.get(data[0], Raw)(data)
        cls: type[Packet] = C1218Response
        if data[0] == C.OK and request is not None:
            service = C.service_name(int(request.getfieldval("code")))
            cls = RESPONSE_LAYERS.get(service, C1218Response)
        return cls(data)
    except Exception:  # scapy raises on some short inputs: keep the bytes
        return Raw(data)


def dissect_packet(raw: bytes) -> Packet:
    """Wire bytes as :class:`C1218Packet` (a single link byte as :class:`C1218Link`); bytes
    scapy cannot dissect come back as :class:`~scapy.packet.Raw`.  Never raises."""
    try:
        if len(raw) == 1:
            return C1218Link(raw)
        return C1218Packet(raw)
    except Exception:  # scapy raises struct.error on cut packets
        return Raw(raw)
