"""Join packets into service messages (multi-packet reassembly) and attach link events.

* A multi-packet message starts with a *first* packet whose sequence number counts the packets
  still to come; each next packet carries one less; the last carries 0.
* A packet repeating the previous packet of its direction byte for byte (toggle bit unchanged)
  is a retransmission: shown, its data not added twice.
* ``06``/``00``/``15`` answer the last packet of the *other* direction and are logged on the
  message that packet belongs to; damaged packets are logged on the message of their direction
  (and reported as malformed records by the caller).
* A message stays open until the other side sends a packet (half duplex), so its
  retransmissions and the peer's ACK still reach it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from osgpdissect.bytestream import Direction
from osgpdissect.c1218.messages import Malformed
from osgpdissect.optical import codes as C
from osgpdissect.optical.link import LinkItem
from osgpdissect.optical.packet import LinkByte, Packet

__all__ = ["LinkEvent", "Message", "MessageItem", "assemble"]


@dataclass(slots=True)
class LinkEvent:
    """One line of a message's link log."""

    time: float | None
    direction: Direction
    kind: str  # packet | retransmission | damaged packet | ack | ack0 | nak
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"time": self.time, "direction": self.direction.value, "kind": self.kind,
                "detail": self.detail}


@dataclass(slots=True)
class Message:
    """A service message of one direction, as its accepted packets carry it."""

    direction: Direction
    packets: list[Packet] = field(default_factory=list)
    events: list[LinkEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    retransmissions: list[Packet] = field(default_factory=list)
    expected_seq: int | None = None  # next sequence number of a multi-packet message

    @property
    def complete(self) -> bool:
        return self.expected_seq is None

    @property
    def data(self) -> bytes:
        return b"".join(p.data for p in self.packets)

    @property
    def raw(self) -> bytes:
        return b"".join(p.raw for p in self.packets)

    @property
    def time(self) -> float | None:
        return self.packets[0].time if self.packets else None

    @property
    def end_time(self) -> float | None:
        return self.packets[-1].end_time if self.packets else None

    @property
    def source(self) -> str:
        return self.packets[0].source if self.packets else ""

    @property
    def segments(self) -> int:
        return len(self.packets)

    @property
    def length(self) -> int:
        return len(self.data)


MessageItem = Message | LinkByte | Malformed


class _Assembler:
    def __init__(self) -> None:
        self.open: dict[Direction, Message] = {}
        self.last: dict[Direction, Packet] = {}
        self.pending: dict[Direction, list[LinkEvent]] = {d: [] for d in Direction}
        self.pending_tokens: dict[Direction, list[LinkByte]] = {d: [] for d in Direction}

    def feed(self, item: LinkItem) -> Iterator[MessageItem]:
        if isinstance(item, Packet):
            yield from self._packet(item)
        elif isinstance(item, LinkByte):
            yield from self._token(item)
        else:
            self._log(item.direction, LinkEvent(item.time, item.direction, "damaged packet"
                                                if item.reason.startswith(("damaged", "truncated"))
                                                else "garbage", item.reason))
            yield item

    def close(self) -> Iterator[MessageItem]:
        for d in Direction:
            msg = self.open.pop(d, None)
            if msg is not None:
                yield self._finish(msg)
        for d in Direction:
            yield from self.pending_tokens[d]  # answered damaged packets never resent
            self.pending_tokens[d].clear()

    # -- steps ------------------------------------------------------------------------------
    def _packet(self, pkt: Packet) -> Iterator[MessageItem]:
        d = pkt.direction
        other = self.open.pop(d.flipped(), None)
        if other is not None:
            yield self._finish(other)
        prev = self.last.get(d)
        msg = self.open.get(d)
        if prev is not None and prev.raw == pkt.raw and msg is not None:
            naked = any(e.kind == "nak" for e in msg.events[-2:])
            kind = "resend after NAK" if naked else "retransmission (toggle bit unchanged)"
            msg.retransmissions.append(pkt)
            msg.events.append(LinkEvent(pkt.time, d, "retransmission", kind))
            return
        if d is Direction.C2S and pkt.data[:1] == bytes((C.IDENT,)) and (pkt.first or not pkt.multi):
            # Identify (re)starts the link (after a Terminate, say): toggle bits start afresh.
            self.last.clear()
            prev = None
        note = ""
        if prev is not None and prev.toggle == pkt.toggle:
            note = "toggle bit not flipped although the contents differ"
        self.last[d] = pkt
        if pkt.multi and not pkt.first and msg is not None and msg.expected_seq is not None:
            if pkt.seq != msg.expected_seq:
                msg.problems.append(f"packet sequence {pkt.seq}, expected {msg.expected_seq}")
            self._add(msg, pkt, note)
            return
        if msg is not None:  # a new message from the same side: the open one is done
            del self.open[d]
            yield self._finish(msg)
        msg = self.open[d] = Message(d)
        msg.events.extend(self.pending[d])
        self.pending[d].clear()
        self.pending_tokens[d].clear()
        if pkt.multi and not pkt.first:
            msg.problems.append("continuation packet without a first packet")
        elif not pkt.multi and pkt.seq != 0:
            msg.problems.append(f"single packet with sequence number {pkt.seq} (expected 0)")
        if pkt.first and not pkt.multi:
            msg.problems.append("first-packet bit set on a single packet")
        self._add(msg, pkt, note)

    def _add(self, msg: Message, pkt: Packet, note: str) -> None:
        msg.packets.append(pkt)
        detail = f"seq {pkt.seq}, {pkt.length} bytes" + (f" [{', '.join(pkt.flags())}]" if pkt.flags() else "")
        if note:
            detail += f"; {note}"
        msg.events.append(LinkEvent(pkt.time, pkt.direction, "packet", detail))
        msg.expected_seq = pkt.seq - 1 if pkt.multi and pkt.seq > 0 else None

    def _token(self, tok: LinkByte) -> Iterator[MessageItem]:
        if tok.kind == "wakeup":
            yield tok
            return
        target = tok.direction.flipped()
        event = LinkEvent(tok.time, tok.direction, tok.kind)
        if tok.kind == "ack0":
            event.detail = "0x00 taken as ACK (NES meters send it)"
        msg = self.open.get(target)
        if msg is not None:
            msg.events.append(event)
        elif self.pending[target] and tok.kind != "ack0":
            self.pending[target].append(event)  # answers a damaged packet: resend expected
            self.pending_tokens[target].append(tok)
        else:
            yield tok  # nothing to answer: a stray token

    def _log(self, d: Direction, event: LinkEvent) -> None:
        msg = self.open.get(d)
        if msg is not None and not msg.complete:
            msg.events.append(event)
        else:
            self.pending[d].append(event)

    def _finish(self, msg: Message) -> Message:
        if msg.expected_seq is not None:
            msg.problems.append(
                f"multi-packet message incomplete: packets {msg.expected_seq}..0 missing"
            )
        return msg


def assemble(items: Iterable[LinkItem]) -> Iterator[MessageItem]:
    """Messages, wake-ups, stray tokens and malformed items in stream order."""
    asm = _Assembler()
    for item in items:
        yield from asm.feed(item)
    yield from asm.close()
