"""One C12.18 packet: ``EE | identity | control | sequence | length BE16 | data | CRC16``.

Plain byte slicing (the hot path); the scapy layer in :mod:`osgpdissect.backends.scapy.optical`
builds and dissects the same bytes.  Nothing here raises on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass

from osgpdissect.bytestream import Direction
from osgpdissect.optical import codes as C
from osgpdissect.optical.crc import crc16, crc_bytes

__all__ = ["LinkByte", "Packet", "build_packet", "control_byte", "next_valid_packet", "packet_status"]


def control_byte(*, multi: bool = False, first: bool = False, toggle: bool = False,
                 data_format: int = 0) -> int:
    """The control byte from its named bits."""
    return ((C.CTRL_MULTI if multi else 0) | (C.CTRL_FIRST if first else 0)
            | (C.CTRL_TOGGLE if toggle else 0) | (data_format & C.CTRL_FORMAT))


def build_packet(data: bytes, *, control: int = 0, seq: int = 0, identity: int = 0,
                 crc: int | None = None) -> bytes:
    """A complete packet; ``crc`` overrides the computed CRC (to build damaged packets)."""
    body = bytes((C.STP, identity & 0xFF, control & 0xFF, seq & 0xFF)) + len(data).to_bytes(2, "big") + data
    return body + (crc_bytes(body) if crc is None else crc.to_bytes(2, "little"))


def packet_status(buf: bytes | bytearray, pos: int) -> tuple[str, int]:
    """What an ``EE`` at ``pos`` starts: ``("ok"|"bad_crc"|"truncated"|"implausible", end)``.

    ``end`` is where the packet its length field announces would end (``len(buf)`` when cut).
    """
    n = len(buf)
    if pos + C.HEADER_LEN > n:
        return "truncated", n
    length = (buf[pos + 4] << 8) | buf[pos + 5]
    if length > C.MAX_DATA:
        return "implausible", pos + 1
    end = pos + C.HEADER_LEN + length + C.CRC_LEN
    if end > n:
        return "truncated", n
    got = buf[end - 2] | (buf[end - 1] << 8)
    return ("ok" if crc16(bytes(buf[pos : end - 2])) == got else "bad_crc"), end


def next_valid_packet(buf: bytes | bytearray, lo: int, hi: int) -> int:
    """First ``EE`` in ``[lo, hi)`` that starts a packet with a valid CRC (-1 if none): where
    to resynchronise after a damaged packet whose length field swallowed what follows it."""
    pos = buf.find(C.STP, lo, hi)
    while pos >= 0:
        if packet_status(buf, pos)[0] == "ok":
            return pos
        pos = buf.find(C.STP, pos + 1, hi)
    return -1


@dataclass(slots=True)
class Packet:
    """A packet cut from one direction's bytes (CRC already found valid by the scanner)."""

    direction: Direction
    raw: bytes
    time: float | None = None
    end_time: float | None = None
    source: str = ""

    @property
    def identity(self) -> int:
        return self.raw[1]

    @property
    def control(self) -> int:
        return self.raw[2]

    @property
    def seq(self) -> int:
        return self.raw[3]

    @property
    def length(self) -> int:
        return (self.raw[4] << 8) | self.raw[5]

    @property
    def data(self) -> bytes:
        return self.raw[C.HEADER_LEN : -C.CRC_LEN]

    @property
    def crc(self) -> int:
        return self.raw[-2] | (self.raw[-1] << 8)

    @property
    def crc_ok(self) -> bool:
        return crc16(self.raw[:-2]) == self.crc

    @property
    def multi(self) -> bool:
        return bool(self.control & C.CTRL_MULTI)

    @property
    def first(self) -> bool:
        return bool(self.control & C.CTRL_FIRST)

    @property
    def toggle(self) -> bool:
        return bool(self.control & C.CTRL_TOGGLE)

    def flags(self) -> list[str]:
        names = [n for n, on in (("multi", self.multi), ("first", self.first),
                                 ("toggle", self.toggle)) if on]
        if self.control & C.CTRL_FORMAT:
            names.append(f"format={self.control & C.CTRL_FORMAT}")
        return names


@dataclass(slots=True)
class LinkByte:
    """A single-byte link token: ``ack`` 0x06, ``nak`` 0x15, ``ack0`` 0x00 (NES meters'
    ACK), ``wakeup`` 0x55 (``count`` of them in a row)."""

    direction: Direction
    kind: str
    time: float | None = None
    source: str = ""
    count: int = 1

    @property
    def value(self) -> int:
        return {"ack": C.ACK, "nak": C.NAK, "ack0": C.ACK_ZERO, "wakeup": C.WAKE_UP}[self.kind]

    @property
    def raw(self) -> bytes:
        return bytes((self.value,)) * self.count
