"""A polling session whose table bytes change from read to read, as a meter's do.

The client reads the dimension tables once (BT00, ET11, BT21), then polls: BT23 full reads (register
values moving on), BT28 full reads (present values), the BT52 clock (ticking), BT23 partial reads
of one tier at its offset, and ET13 partial reads of one device entry (a new entry each time).
Every frame has its own sequence number and digest.  No two consecutive responses of one table
carry the same bytes.

The dimensions are not the spec's defaults: 11 summations, no demands, no demand-reset counter,
4 tiers, no present demands, 26 present values (BT23: 220 bytes, BT28: 104 bytes).
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator

from osgpdissect.bytestream import ByteRun, Direction

BT00, ET11, ET13, BT21, BT23, BT28, BT52 = 0x0000, 0x080B, 0x080D, 0x0015, 0x0017, 0x001C, 0x0034
# BT00 of the bundled example session (examples/session.pcap): INT32 non-integer formats
BT00_BYTES = bytes.fromhex("020a884e455320020010400100080a02050000ff3fb0000000e0ffffffff3f00fe0f"
                           "000000ff07ff3f000000000080000000000000000c000000700e0000")
ET11_BYTES = bytes.fromhex("0442240506050201" + "03F9")  # 4 devices, 66-byte config entries
# flags 0 (no demand-reset counter, no date/time, no cumulative demands), self-read flags 0,
# 0 self reads, 11 summations, 0 demands, 0 coincidents, 0 occurrences, 4 tiers,
# 0 present demands, 26 present values
BT21_BYTES = bytes([0x00, 0x00, 0, 11, 0, 0, 0, 4, 0, 26])
SUMMATIONS = 11
TIERS = 4
PRESENT_VALUES = 26
BT23_SIZE = 4 * SUMMATIONS * (1 + TIERS)
BT28_SIZE = 4 * PRESENT_VALUES
ET13_ENTRY = 66
CYCLE = ("BT23", "BT28", "BT52", "BT23.tier", "ET13.entry")


def _digest(seq: int, salt: int) -> bytes:
    """A stand-in digest that differs frame to frame (the bench has no keys)."""
    return ((seq * 0x9E3779B1 + salt) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")


def _read(table: int, offset: int | None, count: int, seq: int) -> bytes:
    if offset is None:
        body = bytes([0x30]) + table.to_bytes(2, "big")
    else:
        body = bytes([0x3F]) + table.to_bytes(2, "big") + offset.to_bytes(3, "big") + count.to_bytes(2, "big")
    body += seq.to_bytes(4, "big") + _digest(seq, 1)
    return len(body).to_bytes(2, "big") + body


def _ok(seq: int, data: bytes) -> bytes:
    body = b"\x00" + len(data).to_bytes(2, "big") + data + _digest(seq, 2)
    return len(body).to_bytes(2, "big") + body


class Meter:
    """Register values that move on between reads."""

    def __init__(self, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.energy = [self.rng.randrange(10**6, 10**8) for _ in range(SUMMATIONS * (1 + TIERS))]
        self.present = [self.rng.randrange(0, 10**6) for _ in range(PRESENT_VALUES)]
        self.entries = [bytearray(self.rng.randbytes(ET13_ENTRY)) for _ in range(4)]
        self.seconds = 0

    def bt23(self) -> bytes:
        self.energy = [v + self.rng.randrange(1, 500) for v in self.energy]
        return struct.pack(f"<{len(self.energy)}i", *self.energy)

    def bt28(self) -> bytes:
        self.present = [max(0, v + self.rng.randrange(-900, 900)) for v in self.present]
        return struct.pack(f"<{PRESENT_VALUES}i", *self.present)

    def bt52(self) -> bytes:
        self.seconds += 13
        s = self.seconds
        day = (s // 86400) % 28
        return bytes((26, 12, 1 + day, (s // 3600) % 24, (s // 60) % 60, s % 60, 0x10 | (day % 7)))

    def et13_entry(self, k: int) -> bytes:
        entry = self.entries[k]
        entry[self.rng.randrange(ET13_ENTRY)] = self.rng.randrange(256)
        return bytes(entry)


def session(frames: int, seed: int = 11) -> Iterator[ByteRun]:
    """``frames`` frames (requests and responses alternating), made lazily, µs time resolution."""
    meter = Meter(seed)
    seq = 0x5B4E4200
    t = 0.0

    def exchange(table: int, offset: int | None, data: bytes) -> Iterator[ByteRun]:
        nonlocal seq, t
        t = round(t + 0.2, 6)
        yield ByteRun(Direction.C2S, _read(table, offset, len(data), seq), t)
        yield ByteRun(Direction.S2C, _ok(seq, data), round(t + 0.05, 6))
        seq += 1

    yield from exchange(BT00, None, BT00_BYTES)
    yield from exchange(ET11, None, ET11_BYTES)
    yield from exchange(BT21, None, BT21_BYTES)
    for i in range(max(frames // 2 - 3, 0)):
        kind = CYCLE[i % len(CYCLE)]
        if kind == "BT23":
            yield from exchange(BT23, None, meter.bt23())
        elif kind == "BT28":
            yield from exchange(BT28, None, meter.bt28())
        elif kind == "BT52":
            yield from exchange(BT52, None, meter.bt52())
        elif kind == "BT23.tier":
            tier = (i // len(CYCLE)) % TIERS
            offset = 4 * SUMMATIONS * (1 + tier)
            yield from exchange(BT23, offset, meter.bt23()[offset:offset + 4 * SUMMATIONS])
        else:
            k = (i // len(CYCLE)) % 4
            yield from exchange(ET13, k * ET13_ENTRY, meter.et13_entry(k))
