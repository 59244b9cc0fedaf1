"""ANSI C12.18 (optical port): packets, services, builders, reassembly and session pairing.

``decode_optical_runs(runs, device)`` turns :class:`~osgpdissect.bytestream.ByteRun` values
into :class:`OpticalRecord` values shaped like the MEP dissector's records.
"""

from osgpdissect.optical import builders
from osgpdissect.optical.chunks import ChunkOptions
from osgpdissect.optical.crc import crc16, crc_bytes
from osgpdissect.optical.link import scan_link
from osgpdissect.optical.messages import Message, assemble
from osgpdissect.optical.packet import LinkByte, Packet, build_packet, control_byte
from osgpdissect.optical.records import OpticalRecord
from osgpdissect.optical.services import (
    ServiceRequest,
    ServiceResponse,
    parse_request,
    parse_response,
)
from osgpdissect.optical.session import OpticalDissector, decode_optical_runs

__all__ = [
    "ChunkOptions",
    "LinkByte",
    "Message",
    "OpticalDissector",
    "OpticalRecord",
    "Packet",
    "ServiceRequest",
    "ServiceResponse",
    "assemble",
    "build_packet",
    "builders",
    "control_byte",
    "crc16",
    "crc_bytes",
    "decode_optical_runs",
    "parse_request",
    "parse_response",
    "scan_link",
]
