"""The C12.18 packet link both ends of the optical port run: packets, ACK/NAK, toggle bit,
CRC, retries and multi-packet messages.

``line`` is anything with ``read(n) -> bytes`` (fewer bytes on a timeout) and ``write(data)``:
a pyserial port on the client, a pty or socket reader on the simulator.  A message is sent as
one packet or, beyond the negotiated packet size, as a multi-packet message; each packet waits
for its ACK (a NAK or a timeout resends it, at most ``retries`` times).  A received packet with
a bad CRC is NAKed; a copy of the last packet (same toggle bit, same bytes) is ACKed and dropped.
"""

from __future__ import annotations

from typing import Protocol

from osgpdissect.optical import codes as C
from osgpdissect.optical.builders import packets
from osgpdissect.optical.crc import crc16

__all__ = ["LinkError", "Line", "PacketLink"]

RETRIES = 3  # C12.18: a packet is retried at most 3 times


class LinkError(Exception):
    """The peer did not take or give a packet within the retries."""


class Line(Protocol):
    def read(self, n: int) -> bytes: ...

    def write(self, data: bytes) -> object: ...


class PacketLink:
    """One end of the packet link; ``packet_size`` is the whole packet (header and CRC)."""

    def __init__(self, line: Line, packet_size: int = 64, retries: int = RETRIES,
                 accept_zero_ack: bool = True) -> None:
        self.line = line
        self.packet_size = packet_size
        self.retries = retries
        self.accept_zero_ack = accept_zero_ack
        self._send_toggle = False
        self._last: tuple[bool, tuple[int, int, bytes]] | None = None
        self.naks_sent = 0
        self.resends = 0

    # ------------------------------------------------------------------ sending
    def send(self, data: bytes) -> None:
        """Send one message and wait for each packet's ACK."""
        frames = packets(data, self.packet_size, self._send_toggle)
        for packet in frames:
            self._send_packet(packet)
        self._send_toggle ^= len(frames) % 2 == 1  # the toggle flips with every packet

    def _send_packet(self, packet: bytes) -> None:
        for attempt in range(self.retries + 1):
            if attempt:
                self.resends += 1
            self.line.write(packet)
            answer = self.line.read(1)
            if answer == bytes((C.ACK,)) or (self.accept_zero_ack and answer == b"\x00"):
                return
        raise LinkError(f"no ACK after {self.retries + 1} tries")

    # ------------------------------------------------------------------ receiving
    def receive(self) -> bytes:
        """The next message's data (multi-packet messages joined)."""
        parts: list[bytes] = []
        failures = 0
        while True:
            packet = self._read_packet()
            if packet is None:
                failures += 1
                if failures > self.retries:
                    raise LinkError(f"no good packet after {failures} tries")
                continue
            control, seq, data = packet
            toggle = bool(control & C.CTRL_TOGGLE)
            multi, first = bool(control & C.CTRL_MULTI), bool(control & C.CTRL_FIRST)
            self.line.write(bytes((C.ACK,)))
            if (toggle, packet) == self._last:
                continue  # the peer did not hear our ACK: the same packet again
            self._last = (toggle, packet)
            if multi and first:
                parts = []
            parts.append(data)
            if not multi or seq == 0:
                return b"".join(parts)

    def _read_packet(self) -> tuple[int, int, bytes] | None:
        """One packet (control, sequence, data); None after NAKing a damaged one.  Bytes
        before ``EE`` (wake-ups, noise) are skipped."""
        while True:
            byte = self.line.read(1)
            if not byte:
                return None
            if byte[0] == C.STP:
                break
        head = self.line.read(5)
        if len(head) < 5:
            return self._nak()
        length = (head[3] << 8) | head[4]
        if length > C.MAX_DATA:
            return self._nak()
        rest = self.line.read(length + C.CRC_LEN)
        if len(rest) < length + C.CRC_LEN:
            return self._nak()
        body = bytes((C.STP,)) + head + rest[:length]
        if crc16(body) != rest[-2] | (rest[-1] << 8):
            return self._nak()
        return head[1], head[2], rest[:length]

    def _nak(self) -> None:
        self.naks_sent += 1
        self.line.write(bytes((C.NAK,)))
        return None

