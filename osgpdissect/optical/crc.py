"""CRC-16/X-25 as C12.18 uses it: reflected poly 0x8408, init 0xFFFF, final XOR 0xFFFF,
sent low byte first.  Check: ``EE 00 00 00 00 01 20`` → CRC bytes ``13 10``."""

from __future__ import annotations

__all__ = ["crc16", "crc_bytes"]


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc16(data: bytes) -> int:
    """CRC-16/X-25 of ``data`` (as an integer; on the wire it goes low byte first)."""
    crc = 0xFFFF
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF


def crc_bytes(data: bytes) -> bytes:
    """The two CRC bytes to append to ``data``, in wire order."""
    return crc16(data).to_bytes(2, "little")
