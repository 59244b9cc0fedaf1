"""A MEP session with the faults that break pairing by file order, built so that every
request knows the response it was given (``expected``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from osgpdissect.bytestream import ByteRun, Direction

BYTE = 10 / 9600


def request(code: int, table: int, seq: int, offset: int = 0, count: int = 0,
            data: bytes = b"") -> bytes:
    """A plaintext RC4-mode request (zero digest: no key needed to pair it)."""
    body = bytes([code]) + table.to_bytes(2, "big")
    if code in (0x3F, 0x4F):
        body += offset.to_bytes(3, "big")
    if code in (0x40, 0x4F):
        body += len(data).to_bytes(2, "big") + data
    elif code == 0x3F or count:
        body += count.to_bytes(2, "big")
    body += seq.to_bytes(4, "big") + bytes(8)
    return len(body).to_bytes(2, "big") + body


def response(code: int = 0, data: bytes | None = None, tail: bytes = b"") -> bytes:
    body = bytes([code])
    if data is not None:
        body += len(data).to_bytes(2, "big") + data
    body += tail + bytes(8)
    return len(body).to_bytes(2, "big") + body


@dataclass
class Corpus:
    runs: list[ByteRun] = field(default_factory=list)
    expected: dict[bytes, bytes | None] = field(default_factory=dict)  # request -> response
    t: float = 0.5
    seq: int = 0x100

    def send(self, direction: Direction, wire: bytes, delay: float = 0.05) -> None:
        self.t += delay
        times = tuple(round(self.t + i * BYTE, 6) for i in range(len(wire)))
        self.runs.append(ByteRun(direction, wire, times[0], times, (), "corpus"))
        self.t = times[-1] + BYTE

    def exchange(self, req: bytes, resp: bytes | None, *, damaged: str = "",
                 resend: bool = False) -> None:
        """``resp`` None: unanswered; ``damaged="drop"``: the response loses a byte (then the
        request counts as answered by nothing), ``"flip"``: a data bit flips (the length still
        cuts it, so it stays that request's response); ``resend``: no answer to the first copy,
        an identical second copy gets ``resp``."""
        self.seq += 1
        self.send(Direction.C2S, req)
        if resend:
            self.t += 0.6
            self.send(Direction.C2S, req)
        if resp is not None and damaged == "flip":
            resp = resp[:-9] + bytes([resp[-9] ^ 0x10]) + resp[-8:]
        if resp is not None and damaged == "drop":
            self.send(Direction.S2C, resp[:5] + resp[6:])
            self.expected[req] = None
        elif resp is not None:
            self.send(Direction.S2C, resp)
            self.expected[req] = resp
        else:
            self.t += 0.6
            self.expected[req] = None
        self.t += 0.1

    def poll(self, table: int, size: int, **kw) -> None:
        data = bytes((table + k) & 0xFF for k in range(size))
        self.exchange(request(0x3F, table, self.seq, 0, size), response(0, data), **kw)

    def write(self, table: int, data: bytes, **kw) -> None:
        self.exchange(request(0x4F, table, self.seq, 0, data=data), response(0), **kw)

    def alert(self) -> None:
        self.send(Direction.S2C, b"\x00\x00", 0.3)


def build(damage: str = "drop") -> Corpus:
    """Polls, writes, an unanswered request, damaged responses followed by a poll of the same
    table, an identical resend, a 0x0C and alerts.  Untimed input cannot see a dropped byte
    where the frame's shape still fits (no pause ends the frame), so untimed tests use
    ``damage="flip"``."""
    c = Corpus()
    c.exchange(request(0x30, 2048 + 11, c.seq, count=0x200), response(0x0C, tail=b"\x00\x00\x02\x00"))
    c.seq = 0x201
    for k in range(3):
        c.poll(23, 20 + k)
        c.poll(28, 40)
    c.write(2048 + 50, b"\x80\x01\x07")
    c.poll(23, 12, damaged=damage)
    c.poll(23, 12)  # the next poll of the same table keeps its own response
    c.alert()
    c.poll(21, 10)
    c.write(7, b"\x11\x08\x07\x00\xf8\x03", damaged=damage)
    c.write(7, b"\x11\x08\x07\x00\xf8\x03")
    c.poll(28, 40, resend=True)
    c.exchange(request(0x3F, 0, c.seq, 0, 30), None)  # never answered
    c.poll(1, 16)
    c.alert()
    for k in range(70):  # more than one alignment window
        c.poll(23 if k % 3 else 28, 8 + k % 5)
    c.write(2048 + 52, bytes(range(40)))
    c.poll(2048 + 53, 5)
    return c


def direction_runs(runs: list[ByteRun], direction: Direction) -> list[ByteRun]:
    return [r for r in runs if r.direction is direction]
