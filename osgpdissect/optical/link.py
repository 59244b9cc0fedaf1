"""Cut chunks into link items: packets, single-byte tokens and malformed stretches.

Rules:

* ``EE`` + header + data + valid CRC is a packet wherever it starts;
* in sync (after a packet or a token, or at a chunk start) ``06``/``15``/``00`` are tokens and
  runs of ``55`` are wake-up; an ``EE`` whose CRC fails is a *damaged packet* when what follows
  it looks like a packet or token; an ``EE`` cut by the chunk end is a *truncated packet*;
* anything else is garbage, up to the next valid packet (a token directly before it, or at the
  chunk end, is split off).  Nothing is dropped: every byte lands in exactly one item.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from osgpdissect.bytestream import ByteRun
from osgpdissect.c1218.messages import Malformed
from osgpdissect.optical import codes as C
from osgpdissect.optical.chunks import Chunk, ChunkOptions, chunks
from osgpdissect.optical.packet import LinkByte, Packet, next_valid_packet, packet_status

__all__ = ["LinkItem", "scan_chunk", "scan_link"]

LinkItem = Packet | LinkByte | Malformed
_STARTS = frozenset({C.STP, *C.LINK_BYTES})


def scan_chunk(chunk: Chunk) -> Iterator[LinkItem]:
    """Items of one chunk, in order; never raises."""
    buf = chunk.data
    n = len(buf)
    pos = 0
    junk = -1
    while pos < n:
        byte = buf[pos]
        if byte == C.STP:
            status, end = packet_status(buf, pos)
            if status == "ok":
                if junk >= 0:
                    yield _malformed(chunk, junk, pos, "garbage between packets")
                    junk = -1
                yield Packet(chunk.direction, bytes(buf[pos:end]), chunk.time_at(pos),
                             chunk.time_at(end - 1), chunk.source_at(pos))
                pos = end
                continue
            if junk < 0 and status in ("bad_crc", "truncated") and next_valid_packet(buf, pos + 1, end) < 0:
                if status == "truncated":
                    yield _malformed(chunk, pos, n, f"truncated packet ({n - pos} bytes)")
                    pos = n
                    continue
                if end == n or buf[end] in _STARTS:
                    yield _malformed(chunk, pos, end, _crc_reason(buf, pos, end))
                    pos = end
                    continue
        elif byte in C.LINK_BYTES and (junk < 0 or _token_ends_junk(buf, pos)):
            if junk >= 0:
                yield _malformed(chunk, junk, pos, "garbage between packets")
                junk = -1
            count = 1
            if byte == C.WAKE_UP:
                while pos + count < n and buf[pos + count] == C.WAKE_UP:
                    count += 1
            yield LinkByte(chunk.direction, C.LINK_BYTES[byte], chunk.time_at(pos),
                           chunk.source_at(pos), count)
            pos += count
            continue
        if junk < 0:
            junk = pos
            nxt = next_valid_packet(buf, pos + 1, n)
            stop = n if nxt < 0 else nxt
            # leave a token directly before the next packet (or the chunk end) to the loop
            if stop - 1 > pos and buf[stop - 1] in C.LINK_BYTES:
                stop -= 1
            pos = stop
            continue
        pos += 1
    if junk >= 0:
        yield _malformed(chunk, junk, n, "garbage between packets")


def _token_ends_junk(buf: bytearray, pos: int) -> bool:
    nxt = pos + 1
    return nxt == len(buf) or (buf[nxt] == C.STP and packet_status(buf, nxt)[0] == "ok")


def _crc_reason(buf: bytearray, pos: int, end: int) -> str:
    from osgpdissect.optical.crc import crc16

    got = buf[end - 2] | (buf[end - 1] << 8)
    want = crc16(bytes(buf[pos : end - 2]))
    return f"damaged packet: CRC {got:04X} on the wire, {want:04X} computed"


def _malformed(chunk: Chunk, start: int, end: int, reason: str) -> Malformed:
    return Malformed(chunk.direction, bytes(chunk.data[start:end]), reason,
                     chunk.time_at(start), chunk.time_at(end - 1), chunk.source_at(start))


def scan_link(runs: Iterable[ByteRun], options: ChunkOptions | None = None) -> Iterator[LinkItem]:
    """Link items of both directions in stream order."""
    for chunk in chunks(runs, options):
        yield from scan_chunk(chunk)
