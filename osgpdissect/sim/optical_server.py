"""The simulated meter's optical port: C12.18 services over the packet link.

Ident, negotiate (packet size and count; the baud code is echoed, a pty has no baud), logon,
security (the password from the image), full and partial reads and writes of the image (reads
after logon, writes after security), logoff, terminate.  Responses longer than the negotiated
packet size go out as multi-packet messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from osgpdissect.c1218 import codes as MC
from osgpdissect.optical import codes as C
from osgpdissect.sim.image import MeterImage
from osgpdissect.talk.packet_link import Line, LinkError, PacketLink

__all__ = ["OpticalServer"]

ERR, SNS, ISC, ONP, ISSS = 0x01, 0x02, 0x03, 0x04, 0x0A
DEFAULT_PACKET = 64
MAX_PACKET = 1024


@dataclass
class _State:
    identified: bool = False
    logged_on: bool = False
    secured: bool = False


class OpticalServer:
    """An optical-port session server over a :class:`MeterImage`."""

    def __init__(self, image: MeterImage, password: bytes | str | None = None,
                 max_packet: int = MAX_PACKET) -> None:
        self.image = image
        password = image.password if password is None else password
        raw = password.encode("latin-1") if isinstance(password, str) else bytes(password)
        self.password = raw.ljust(C.PASSWORD_LEN, b" ")[: C.PASSWORD_LEN]
        self.max_packet = max_packet
        self.state = _State()
        self.link: PacketLink | None = None
        self.services: list[int] = []  # service codes answered, in order

    def serve(self, line: Line) -> None:
        """Answer sessions until the line ends (its ``read`` raises)."""
        while True:
            self.session(line)

    def session(self, line: Line) -> None:
        """Answer messages until a terminate has been answered."""
        self.link = PacketLink(line, DEFAULT_PACKET)
        while True:
            try:
                request = self.link.receive()
            except LinkError:
                continue
            self.services.append(request[0] if request else -1)
            response = self.answer(request)
            try:
                self.link.send(response)
            except LinkError:
                continue
            if request[:1] == bytes((C.TERMINATE,)):
                return

    def answer(self, req: bytes) -> bytes:
        """The response data to one request's data."""
        if not req:
            return bytes((ERR,))
        code, st = req[0], self.state
        if code == C.IDENT:
            self.state = _State(identified=True)
            return bytes((C.OK, 0, 2, 0, 0))
        if code == C.TERMINATE:
            self.state = _State()
            self._packet_size(DEFAULT_PACKET)
            return bytes((C.OK,))
        if not st.identified:
            return bytes((ISSS,))
        if C.NEGOTIATE_BASE <= code <= C.NEGOTIATE_LAST:
            return self._negotiate(req)
        if code == C.LOGON:
            st.logged_on = len(req) == 13
            return bytes((C.OK if st.logged_on else ERR,))
        if code == C.SECURITY:
            if not st.logged_on:
                return bytes((ISSS,))
            st.secured = req[1:] == self.password
            return bytes((C.OK if st.secured else ERR,))
        if code == C.LOGOFF:
            st.logged_on = st.secured = False
            return bytes((C.OK,))
        if code in C.READ_CODES:
            return self._read(req) if st.logged_on else bytes((ISSS,))
        if code in C.WRITE_CODES:
            return self._write(req) if st.secured else bytes((ISC,))
        return bytes((SNS,))

    def _packet_size(self, size: int) -> None:
        if self.link is not None:
            self.link.packet_size = size

    def _negotiate(self, req: bytes) -> bytes:
        if len(req) < 4:
            return bytes((ERR,))
        size = min(max((req[1] << 8) | req[2], 16), self.max_packet)
        count = req[3]
        baud = req[4] if len(req) > 4 else 0x06
        self._packet_size(size)
        return bytes((C.OK,)) + size.to_bytes(2, "big") + bytes((count, baud))

    def _read(self, req: bytes) -> bytes:
        if len(req) < 3:
            return bytes((ERR,))
        data = self.image.get(MC.table_id((req[1] << 8) | req[2]))
        if data is None:
            return bytes((ONP,))
        if req[0] == C.PARTIAL_READ:
            if len(req) != 8:
                return bytes((ERR,))
            offset, count = int.from_bytes(req[3:6], "big"), (req[6] << 8) | req[7]
            if offset + count > len(data):
                return bytes((ONP,))
            data = data[offset : offset + count]
        chunk = bytes(data)
        return (bytes((C.OK,)) + len(chunk).to_bytes(2, "big") + chunk
                + bytes((C.table_checksum(chunk),)))

    def _write(self, req: bytes) -> bytes:
        full = req[0] == C.FULL_WRITE
        head = 5 if full else 8
        if len(req) < head + 1:
            return bytes((ERR,))
        table = MC.table_id((req[1] << 8) | req[2])
        offset = 0 if full else int.from_bytes(req[3:6], "big")
        count = (req[head - 2] << 8) | req[head - 1]
        data, checksum = req[head : head + count], req[head + count : head + count + 1]
        if len(data) != count or checksum != bytes((C.table_checksum(data),)):
            return bytes((ERR,))
        current = self.image.get(table)
        if current is None or offset + count > len(current) or (full and count != len(current)):
            return bytes((ONP,))
        self.image.put(table, offset, data)
        return bytes((C.OK,))
