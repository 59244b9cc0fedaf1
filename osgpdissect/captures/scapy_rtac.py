"""A scapy layer for ``LINKTYPE_RTAC_SERIAL`` (250) so ``rdpcap`` shows RTAC serial packets.

Importing this module imports scapy and registers the layer; the rest of
:mod:`osgpdissect.captures` never imports scapy.
"""

from __future__ import annotations

from scapy.config import conf
from scapy.fields import ByteEnumField, FlagsField, IntField, XShortField
from scapy.packet import Packet

from osgpdissect.captures.pcap import LINKTYPE_RTAC_SERIAL

__all__ = ["RTACSerial", "register"]

EVENT_TYPES = {
    0x00: "STATUS_CHANGE", 0x01: "DATA_TX_START", 0x02: "DATA_RX_START", 0x03: "DATA_TX_END",
    0x04: "DATA_RX_END", 0x05: "CAPTURE_DATA_LOST", 0x06: "CAPTURE_COMPLETE",
    0x07: "FRAMING_ERROR", 0x08: "PARITY_ERROR", 0x09: "SERIAL_BREAK_EVENT",
    0x0A: "SERIAL_OVERFLOW_EVENT",
}


class RTACSerial(Packet):
    """RTAC serial line header (12 bytes); the line bytes follow as payload."""

    name = "RTAC Serial"
    fields_desc = [
        IntField("secs", 0),
        IntField("usecs", 0),
        ByteEnumField("event", 0x01, EVENT_TYPES),
        FlagsField("control", 0, 8, ["CTS", "DCD", "DSR", "RTS", "DTR", "RING", "MBOK", "b7"]),
        XShortField("footer", 0),
    ]


def register() -> type[RTACSerial]:
    """Register :class:`RTACSerial` for link type 250 unless a subclass of it is registered
    (``osgpdissect.backends.scapy`` registers one that reads MEP/C12.18 layers); idempotent."""
    known = conf.l2types.get(LINKTYPE_RTAC_SERIAL)
    if not (isinstance(known, type) and issubclass(known, RTACSerial)):  # keep a subclass
        conf.l2types.register(LINKTYPE_RTAC_SERIAL, RTACSerial)
    return RTACSerial


register()
