"""The one error the scapy layers raise on bytes too short for their fields (issue 21 item
10): a clear :class:`TruncatedLayerError` instead of scapy's raw ``struct.error``."""

from __future__ import annotations

import struct
from typing import Any

from scapy.packet import Packet

__all__ = ["StrictPacket", "TruncatedLayerError"]


class TruncatedLayerError(ValueError):
    """Bytes too short for a layer's fields."""


class StrictPacket(Packet):
    """A scapy packet whose dissection of cut bytes raises :class:`TruncatedLayerError`."""

    def do_dissect(self, s: bytes) -> Any:
        try:
            return super().do_dissect(s)
        except struct.error:
            n = len(s)
            raise TruncatedLayerError(
                f"{self.name}: {n} byte{' is' if n == 1 else 's are'} too short for its "
                "fields") from None
