"""Serial link types for ``rdpcap``/``wrpcap``: ``LINKTYPE_RTAC_SERIAL`` (250) and this
project's ``LINKTYPE_USER0`` (147, a direction byte then the line bytes).

Importing :mod:`osgpdissect.backends.scapy` registers both, so ``rdpcap`` of the project's
pcaps gives :class:`RTACSerialLink` (or :class:`User0Link`) over MEP or C12.18 layers, and a
read response carries its table as a :class:`~osgpdissect.backends.scapy.tables.MEPTableData`
layer.  A response has no table id: packets are read in capture order and a response is read
against the last request of the capture (:func:`reset_link_state` forgets it).  A frame cut
into several packets (a segmented response) shows as :class:`MEPSegment` layers.

``wrpcap(path, [RTACSerialLink() / MEPRequest(...), ...])`` writes link type 250; the event
(DATA_TX_START or DATA_RX_START) follows the layer above when left unset, and
:func:`rtac` wraps bare MEP/C12.18 layers that way.
"""

from __future__ import annotations

from typing import Any

from scapy.config import conf
from scapy.fields import ByteEnumField, StrField
from scapy.packet import Packet, Raw

from osgpdissect.backends.scapy import mep as M
from osgpdissect.backends.scapy import optical as O
from osgpdissect.backends.scapy.tables import table_layer
from osgpdissect.c1218 import codes as C
from osgpdissect.captures.pcap import LINKTYPE_RTAC_SERIAL, LINKTYPE_USER0
from osgpdissect.captures.scapy_rtac import RTACSerial

__all__ = ["MEPSegment", "RTACSerialLink", "User0Link", "line_layer", "register_link_types",
           "reset_link_state", "rtac"]

_TX_EVENTS = {0x01, 0x03}  # DATA_TX_START/END: client -> meter
_RX_EVENTS = {0x02, 0x04}
_REQUESTS = (M.MEPRequest, M.MEPTLSRequest)


class MEPSegment(Packet):
    """Bytes of a MEP frame cut into several packets.  The packet that completes the frame
    has ``frame``: the whole frame's layer (a response with its table), which is what it
    ``answers()`` with."""

    name = "MEP frame segment"
    fields_desc = [StrField("load", b"")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.frame: Packet | None = None

    def mysummary(self) -> str:
        done = f", completes {type(self.frame).__name__}" if self.frame is not None else ""
        return f"MEP frame segment ({len(self.load)} bytes{done})"

    def answers(self, other: Packet) -> int:
        return self.frame.answers(other) if self.frame is not None else 0


class _LinkState:
    """What reading in capture order remembers: the last request and frames still open."""

    def __init__(self) -> None:
        self.request: Packet | None = None
        self.optical_request: Packet | None = None
        self.missing: dict[str, int] = {"C->S": 0, "S->C": 0}  # bytes a cut frame still owes
        self.partial: dict[str, bytes] = {"C->S": b"", "S->C": b""}  # its bytes so far


_STATE = _LinkState()


def reset_link_state() -> None:
    """Forget the last request and open frames (before reading an unrelated capture)."""
    global _STATE
    _STATE = _LinkState()


def line_layer(direction: str, data: bytes) -> Packet:
    """The layer of one packet's line bytes going ``direction`` (``C->S``/``S->C``)."""
    state = _STATE
    if not data:
        return Raw(data)
    owed = state.missing.get(direction, 0)
    if owed:
        state.missing[direction] = max(owed - len(data), 0)
        state.partial[direction] += data
        segment = MEPSegment(load=data)
        if not state.missing[direction]:
            segment.frame = _frame(direction, state.partial.pop(direction))
            state.partial[direction] = b""
        return segment
    if data[0] == 0xEE or len(data) == 1:
        return _optical(direction, data)
    need = 2 + int.from_bytes(data[:2], "big") if len(data) >= 2 else 0
    if need > len(data):
        state.missing[direction] = need - len(data)
        state.partial[direction] = data
        return MEPSegment(load=data)
    return _frame(direction, data)


def _frame(direction: str, data: bytes) -> Packet:
    """One whole MEP frame's layer; a request is remembered, a response gets its table."""
    state = _STATE
    frame = M.dissect_frame(data, direction, tls=isinstance(state.request, M.MEPTLSRequest))
    if type(frame) in _REQUESTS:
        state.request = frame
    elif isinstance(frame, M.MEPResponse):
        _attach_table(frame, state.request)
    return frame


def _attach_table(resp: Packet, req: Packet | None) -> None:
    if resp.payload:
        return  # stray bytes after the frame: kept as they are
    if (isinstance(req, M.MEPRequest) and req.code in C.READ_CODES and resp.code == C.OK
            and resp.getfieldval("data")):
        resp.add_payload(table_layer(req.table, req.getfieldval("offset") or 0, resp.data))


def _optical(direction: str, data: bytes) -> Packet:
    """A C12.18 packet; a response's service is read against the last request, a read
    response gets its table layer (single-packet responses)."""
    pkt = O.dissect_packet(data)
    if not isinstance(pkt, O.C1218Packet) or (pkt.multi_packet and not pkt.first_packet):
        return pkt
    if direction == "C->S":
        if not isinstance(pkt.payload, Raw):
            _STATE.optical_request = pkt.payload
        return pkt
    req = _STATE.optical_request
    if req is None:
        return pkt
    answer = O.dissect_service(pkt.data, "response", req)
    code = int(req.getfieldval("code"))
    if (isinstance(answer, O.C1218ReadResponse) and answer.data and not pkt.multi_packet
            and code in (0x30, 0x3F)):
        offset = req.getfieldval("offset") if code == 0x3F else 0
        answer.add_payload(table_layer(int(req.table), offset or 0, answer.data))
    pkt.remove_payload()
    pkt.add_payload(answer)
    return pkt


def _direction_of(layer: Packet) -> str:
    if isinstance(layer, M.MEPResponse | M.MEPTLSResponse | M.MEPAlert):
        return "S->C"
    if isinstance(layer, O.C1218Packet) and O._role(layer.data) == "response":
        return "S->C"
    return "C->S"


class RTACSerialLink(RTACSerial):
    """:class:`~osgpdissect.captures.scapy_rtac.RTACSerial` whose payload is a MEP or C12.18
    layer; ``event`` left unset follows the payload's direction on build."""

    match_subclass = True  # ``RTACSerial in pkt`` and ``pkt[RTACSerial]`` find it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._event_set = "event" in kwargs or bool(args and args[0])

    def do_dissect_payload(self, s: bytes) -> None:
        if self.event in _TX_EVENTS or self.event in _RX_EVENTS:
            direction = "C->S" if self.event in _TX_EVENTS else "S->C"
            layer = line_layer(direction, s)
            self.add_payload(layer)
            layer.underlayer = self
        else:
            super().do_dissect_payload(s)

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if not self._event_set and self.payload:
            event = 0x02 if _direction_of(self.payload) == "S->C" else 0x01
            pkt = pkt[:8] + bytes((event,)) + pkt[9:]
        return pkt + pay

    def answers(self, other: Packet) -> int:
        if isinstance(other, RTACSerial) and self.payload and other.payload:
            return self.payload.answers(other.payload)
        return 0


class User0Link(Packet):
    """``LINKTYPE_USER0`` (147): a direction byte (0 = C->S, 1 = S->C), then the line bytes."""

    name = "Serial direction"
    fields_desc = [ByteEnumField("line", 0, {0: "C->S", 1: "S->C"})]  # ("direction" is
    # a scapy Packet attribute already)

    def do_dissect_payload(self, s: bytes) -> None:
        layer = line_layer("C->S" if self.line == 0 else "S->C", s)
        self.add_payload(layer)
        layer.underlayer = self

    def answers(self, other: Packet) -> int:
        if isinstance(other, User0Link) and self.payload and other.payload:
            return self.payload.answers(other.payload)
        return 0


def rtac(layer: Packet, time: float | None = None) -> RTACSerialLink:
    """``layer`` (a MEP or C12.18 layer) under an RTAC serial header, ready for ``wrpcap``."""
    if time is None:
        return RTACSerialLink() / layer
    usecs = round(time * 1e6)
    pkt = RTACSerialLink(secs=usecs // 1_000_000, usecs=usecs % 1_000_000) / layer
    pkt.time = time
    return pkt


def register_link_types() -> None:
    """Register 250 and 147 for ``rdpcap``/``wrpcap`` (idempotent)."""
    if conf.l2types.get(LINKTYPE_RTAC_SERIAL) is not RTACSerialLink:
        conf.l2types.register(LINKTYPE_RTAC_SERIAL, RTACSerialLink)
    if conf.l2types.get(LINKTYPE_USER0) is not User0Link:
        conf.l2types.register(LINKTYPE_USER0, User0Link)
