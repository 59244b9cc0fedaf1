"""An optical-port (ANSI C12.18) client as a scapy SuperSocket over a serial line.

Wake-up, ident, negotiate (packet size and count, optional baud switch), logon, security,
reads (multi-packet answers joined), writes, logoff, terminate; the packet link underneath
ACKs, NAKs, retries and keeps the toggle bit (:class:`osgpdissect.talk.packet_link.PacketLink`).
Reads are decoded against the meter through the codec and the device context::

    with C1218Socket("/dev/ttyUSB0", password="...") as s:
        s.start()            # wake-up, ident, negotiate, logon, security
        s.read("ET11")
        s.stop()             # logoff, terminate
"""

from __future__ import annotations

import time
from typing import Any

import serial
from scapy.packet import Packet

from osgpdissect.backends.scapy.optical import C1218Packet, dissect_service
from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.c1218.tables import TableContext, TableDecoding
from osgpdissect.errors import OsgpError
from osgpdissect.optical import builders as B
from osgpdissect.optical import codes as C
from osgpdissect.talk.mep_socket import _number
from osgpdissect.talk.packet_link import LinkError, PacketLink
from osgpdissect.talk.serial_socket import SerialSuperSocket

__all__ = ["C1218Error", "C1218Socket"]

RESPONSE_TIMEOUT = 2.0  # C12.18 response timeout (seconds)


class C1218Error(OsgpError):
    """The meter answered with an error code (``code``) or the link failed."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class C1218Socket(SerialSuperSocket):
    """An optical-port client on ``port`` (a device path or a pyserial URL)."""

    desc = "ANSI C12.18 client over a serial line"
    nonblocking_socket = True

    def __init__(self, port: str, password: str | bytes = b"", *, user_id: int = 2,
                 user: str = "osgpdissect", baud: int = 9600, timeout: float = RESPONSE_TIMEOUT,
                 packet_size: int = 64, context: TableContext | None = None,
                 line: Any = None) -> None:
        self.password = password
        self.user_id, self.user = user_id, user[: C.USER_LEN]
        self.ser = line if line is not None else serial.serial_for_url(
            port, baudrate=baud, timeout=timeout)
        self.ins = self.outs = None  # type: ignore[assignment]
        self.runs: list[ByteRun] = []  # the line as this client saw it, host-timed (for a pcap)
        self.link = PacketLink(_Recorded(self.ser, self.runs), packet_size)
        self.context = context or TableContext()
        self.messages: list[tuple[bytes, bytes]] = []  # (request, response) data

    # ------------------------------------------------------------------ services
    def request(self, data: bytes) -> bytes:
        """Send one request's data, return the response's data (error codes raise)."""
        try:
            self.link.send(data)
            answer = self.link.receive()
        except LinkError as exc:
            raise C1218Error(f"optical link: {exc}") from None
        self.messages.append((data, answer))
        if not answer or answer[0] != C.OK:
            code = answer[0] if answer else None
            name = C.response_code_text(code) if code is not None else "empty answer"
            raise C1218Error(f"the meter answered {name}", code)
        return answer

    def start(self, negotiate: bool = True, packet_size: int = 64, nbr_packets: int = 8,
              baud: int | None = None) -> None:
        """Wake-up, ident, negotiate, logon and security (when a password is set)."""
        self.link.line.write(bytes((C.WAKE_UP,)))
        self.request(B.service_data(B.ident()))
        if negotiate:
            answer = self.request(B.service_data(B.negotiate(packet_size, nbr_packets, baud)))
            self.link.packet_size = (answer[1] << 8) | answer[2]
            if baud is not None and hasattr(self.ser, "baudrate"):
                self.ser.baudrate = baud
        self.request(B.service_data(B.logon(self.user_id, self.user)))
        if self.password:
            self.request(B.service_data(B.security(self.password)))

    def stop(self) -> None:
        """Logoff, then terminate."""
        self.request(B.service_data(B.logoff()))
        self.request(B.service_data(B.terminate()))

    def read(self, table: str, offset: int | None = None, count: int | None = None
             ) -> TableDecoding:
        """Read a table (full, or ``count`` bytes at ``offset``), decoded against the meter."""
        number = _number(table)
        answer = self.request(B.service_data(B.read(number, offset, count)))
        size = (answer[1] << 8) | answer[2]
        data, checksum = answer[3 : 3 + size], answer[3 + size : 4 + size]
        if len(data) != size or checksum != bytes((C.table_checksum(data),)):
            raise C1218Error(f"{table}: the read answer's count or checksum is wrong")
        full = offset is None and count is None
        return self.context.decode(number, offset or 0, data,
                                   table_size=size if full else None)

    def write(self, table: str, data: bytes, offset: int | None = None) -> None:
        """Write table bytes (full, or at ``offset``)."""
        number = _number(table)
        self.request(B.service_data(B.write(number, data, offset)))
        self.context.learn(table.upper(), offset or 0, data)

    # ------------------------------------------------------------------ scapy
    def sr1(self, *args: Any, **kwargs: Any) -> Packet:
        """Send one service layer (``C1218Read(table=23)``, or a ``C1218Packet`` holding one)
        and return the answer's service layer (read against the request); error codes are
        answers here, not exceptions."""
        request = args[0]
        data = bytes(request.data) if isinstance(request, C1218Packet) else bytes(request)
        try:
            self.link.send(data)
            answer = self.link.receive()
        except LinkError as exc:
            raise C1218Error(f"optical link: {exc}") from None
        self.messages.append((data, answer))
        if isinstance(request, C1218Packet):
            request = dissect_service(data, "request")
        return dissect_service(answer, "response", request)


class _Recorded:
    """The serial line, with every write and read kept as a host-timed :class:`ByteRun`."""

    def __init__(self, ser: Any, runs: list[ByteRun]) -> None:
        self.ser, self.runs = ser, runs

    def write(self, data: bytes) -> object:
        self.runs.append(ByteRun(Direction.C2S, bytes(data), time.time(), source="client"))
        return self.ser.write(data)

    def read(self, n: int) -> bytes:
        data = self.ser.read(n)
        if data:
            self.runs.append(ByteRun(Direction.S2C, data, time.time(), source="client"))
        return data
