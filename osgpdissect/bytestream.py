"""The hand-off between capture readers and dissectors: timestamped, direction-tagged bytes.

Every capture reader (Saleae, sigrok, pcap, raw, hex text) yields :class:`ByteRun` values in
time order; every dissector (MEP, optical, mixed) consumes them.  Nothing here imports a
third-party package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Direction(StrEnum):
    """Who sent the bytes.  The guide writes these as ``C->S`` and ``S->C``."""

    C2S = "C->S"  # client (MEP client / optical reader) to server (meter)
    S2C = "S->C"  # server (meter) to client

    def flipped(self) -> Direction:
        return Direction.S2C if self is Direction.C2S else Direction.C2S


@dataclass(frozen=True, slots=True)
class LineError:
    """A UART-level error reported by the analyzer for the byte at ``index`` of a run."""

    index: int
    kind: str  # "framing" | "parity" | "break" | "overrun"


@dataclass(slots=True, unsafe_hash=True)  # not frozen (5x cheaper to build); never mutated
class ByteRun:
    """Bytes seen on one direction of a serial line.

    ``time`` is the start time of the first byte in seconds (capture-relative or epoch, as the
    source gives it; ``None`` when unknown).  ``byte_times`` optionally gives one start time per
    byte so reassembly can see inter-byte gaps; readers that only know one time per run leave
    it empty.  ``source`` names where the run came from (file and line/record) for messages.
    """

    direction: Direction
    data: bytes
    time: float | None = None
    byte_times: tuple[float, ...] = ()
    errors: tuple[LineError, ...] = ()
    source: str = ""
    channel: str = field(default="", compare=False)  # analyzer channel name when known

    def time_of(self, index: int) -> float | None:
        """Start time of byte ``index`` (falls back to the run's time)."""
        if self.byte_times and 0 <= index < len(self.byte_times):
            return self.byte_times[index]
        return self.time
