"""Serial capture formats in and out: readers yield :class:`~osgpdissect.bytestream.ByteRun`
values in time order; writers produce the same formats from byte sessions.

Readers: Saleae Logic 1 and Logic 2 CSV exports, sigrok ``.sr`` sessions (UART decoded here),
sigrok-cli annotation text, pcap/pcapng (RTAC serial link type 250, USER0 147), raw binary and
hex text.  ``open_capture(paths, format=None, options=CaptureOptions())`` detects formats by
content and merges all inputs by time.  Nothing here imports scapy; import
:mod:`osgpdissect.captures.scapy_rtac` for a scapy layer of link type 250.
"""

from osgpdissect.captures.base import CaptureError, CaptureOptions, guess_direction, parse_direction
from osgpdissect.captures.hextext import write_hex_text
from osgpdissect.captures.pcap import LINKTYPE_RTAC_SERIAL, LINKTYPE_USER0, write_pcap
from osgpdissect.captures.rawbin import write_raw
from osgpdissect.captures.registry import (
    READERS,
    Reader,
    detect_format,
    open_capture,
    register_reader,
    split_path,
)
from osgpdissect.captures.saleae1 import write_saleae_logic1_csv
from osgpdissect.captures.saleae2 import write_saleae_logic2_csv
from osgpdissect.captures.sigrok_sr import write_sigrok_sr

__all__ = [
    "CaptureError",
    "CaptureOptions",
    "LINKTYPE_RTAC_SERIAL",
    "LINKTYPE_USER0",
    "READERS",
    "Reader",
    "detect_format",
    "guess_direction",
    "open_capture",
    "parse_direction",
    "register_reader",
    "split_path",
    "write_hex_text",
    "write_pcap",
    "write_raw",
    "write_saleae_logic1_csv",
    "write_saleae_logic2_csv",
    "write_sigrok_sr",
]
