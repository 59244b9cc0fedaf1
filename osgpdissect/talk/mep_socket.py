"""A MEP client as a scapy SuperSocket over a serial line (pyserial ``serial_for_url``).

It frames requests, fills the sequence number and digest (MAK or MBK), keeps the sequence in
step (learns the meter's from a ``0x0C`` reply and retries once), verifies response digests,
RC4-encrypts exchanges when asked and the key is known, counts alerts (``00 00``), and decodes
each read against the request's table through the codec and the device context (dimension
tables are learned as they are read)::

    with MEPSocket("/dev/ttyUSB0", keys=KeyRing(mak="...")) as s:
        s.read("ET11"); s.read("ET13")
        s.sr1(MEPRequest(code=0x3F, table=0x17, offset=0, count=44))
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import serial
from scapy.packet import Packet

from osgpdissect.backends.scapy.mep import MEPRequest, dissect_exchange
from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.procedures import ProcedureResult, call_bytes, decode_procedure_result
from osgpdissect.c1218.tables import TableContext, TableDecoding
from osgpdissect.c1218.tracker import ET59_RESPONSE_FLAG
from osgpdissect.codec import decode_table, encode_table
from osgpdissect.errors import OsgpError
from osgpdissect.mep.transactions import (
    REQUESTS,
    build_transaction,
    parse_transaction,
    transaction_size,
)
from osgpdissect.security.digest import digest
from osgpdissect.security.keys import KeyRing
from osgpdissect.security.rc4 import exchange_cipher
from osgpdissect.talk.serial_socket import SerialSuperSocket

__all__ = ["Exchange", "MEPError", "MEPSocket", "MEPTimeout"]


class MEPError(OsgpError):
    """The meter answered with an error code (``code``), or the answer could not be trusted."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class MEPTimeout(MEPError):  # code None: the request is resent
    """No complete answer within the line timeout."""


@dataclass
class Exchange:
    """One request and its answer as the line carried them, with the plaintexts."""

    request: bytes  # frame as sent (length included)
    response: bytes  # frame as received
    request_plain: bytes  # code .. sequence number
    response_plain: bytes  # code .. data
    sent: float
    received: float

    @property
    def code(self) -> int:
        return self.response_plain[0]

    @property
    def data(self) -> bytes:
        """The data of a read answer (after code and count)."""
        return self.response_plain[3:]


class MEPSocket(SerialSuperSocket):
    """A MEP client on ``port`` (a device path or any pyserial URL such as ``socket://``)."""

    desc = "MEP client over a serial line"
    nonblocking_socket = True

    def __init__(self, port: str, keys: KeyRing, *, key: str = "MAK", seq: int = 1,
                 encrypt: bool = False, baud: int = 9600, timeout: float = 2.0,
                 retries: int = 2, context: TableContext | None = None,
                 line: Any = None) -> None:
        auth = dict(keys.auth_keys())
        if key not in auth:
            raise MEPError(f"no {key} in the key ring")
        self.key_label = key
        self._key = auth[key]
        self._enc_key = keys.encryption_key(key) if encrypt else None
        if encrypt and self._enc_key is None:
            raise MEPError(f"encryption asked for, but no RC4 encryption key for the {key}")
        self.seq = seq  # the next sequence number to send
        self.timeout = timeout
        self.retries = retries  # identical resends after a lost or damaged answer
        self.ser = line if line is not None else serial.serial_for_url(
            port, baudrate=baud, timeout=timeout)
        self.ins = self.outs = None  # type: ignore[assignment]
        self.context = context or TableContext()
        self.alerts: list[float] = []
        self.exchanges: list[Exchange] = []
        self.failures: list[str] = []  # answers lost or damaged (each followed by a resend)
        self.runs: list[ByteRun] = []  # the line as this client saw it, host-timed (for a pcap)
        self.psn = 0
        self._last: Packet | None = None
        self._procedure_table: str | None = None

    # ------------------------------------------------------------------ the line
    def exchange(self, command: bytes, retry: bool = True) -> Exchange:
        """Send one C12.18 request (code .. data) and return its verified answer; a ``0x0C``
        teaches the meter's sequence number and the request is sent once more."""
        plain = command + self.seq.to_bytes(4, "big")
        tag = digest(self._key, plain)
        cipher = exchange_cipher(self._enc_key, tag) if self._enc_key is not None else None
        wire = cipher.crypt(plain) if cipher is not None else plain
        frame = (len(wire) + len(tag)).to_bytes(2, "big") + wire + tag
        self.seq = (self.seq + 1) & 0xFFFFFFFF
        for attempt in range(self.retries + 1):
            try:
                ex = self._once(frame, plain, tag)
                break
            except MEPError as exc:
                if exc.code is not None or attempt == self.retries:
                    raise
                self.failures.append(str(exc))
                self.ser.reset_input_buffer()  # what is left of a damaged answer
        if ex.code == C.INVALID_SEQUENCE and len(ex.response_plain) == 5:
            self.seq = (int.from_bytes(ex.response_plain[1:5], "big") + 1) & 0xFFFFFFFF
            if retry:
                return self.exchange(command, retry=False)
        if ex.code != C.OK:
            raise MEPError(f"the meter answered 0x{ex.code:02X} "
                           f"({C.response_code_name(ex.code)})", ex.code)
        return ex

    def _once(self, frame: bytes, plain: bytes, tag: bytes) -> Exchange:
        """Send a frame (again: identical bytes) and read and verify its answer."""
        cipher = exchange_cipher(self._enc_key, tag) if self._enc_key is not None else None
        if cipher is not None:
            cipher.crypt(plain)  # the answer continues the request's keystream
        sent = time.time()
        self.ser.write(frame)
        self.runs.append(ByteRun(Direction.C2S, frame, sent, source="client"))
        response = self._read_frame()
        received = time.time()
        self.runs.append(ByteRun(Direction.S2C, response, received, source="client"))
        body, rtag = response[2 : -C.DIGEST_LEN], response[-C.DIGEST_LEN :]
        answer = cipher.crypt(body) if cipher is not None else body
        if digest(self._key, plain + answer) != rtag:
            if body == b"\x0b":  # never encrypted, and its digest cannot verify
                self.exchanges.append(Exchange(frame, response, plain, body, sent, received))
                raise MEPError(f"authentication failure (0x0B): the meter did not accept the "
                               f"{self.key_label} digest", 0x0B)
            raise MEPError("the response digest does not verify with the "
                           f"{self.key_label}: answer not trusted", None)
        ex = Exchange(frame, response, plain, answer, sent, received)
        self.exchanges.append(ex)
        return ex

    def _read_frame(self) -> bytes:
        """One response frame; alerts (``00 00``) before it are counted.  Bytes of a frame cut
        short are recorded in :attr:`runs` too."""
        while True:
            head = self._read_exact(2, b"")
            length = (head[0] << 8) | head[1]
            if length == 0:
                self.alerts.append(time.time())
                self.runs.append(ByteRun(Direction.S2C, head, self.alerts[-1], source="client"))
                continue
            if not 1 + C.DIGEST_LEN <= length <= C.MAX_MESSAGE:
                self.runs.append(ByteRun(Direction.S2C, head, time.time(), source="client"))
                raise MEPError(f"a response length of {length} bytes is impossible: damaged")
            return head + self._read_exact(length, head)

    def _read_exact(self, n: int, before: bytes) -> bytes:
        data = self.ser.read(n)
        if len(data) < n:
            if before or data:
                self.runs.append(ByteRun(Direction.S2C, before + data, time.time(),
                                         source="client"))
            raise MEPTimeout(f"no complete answer within {self.timeout} s "
                             f"({len(before + data)} bytes)")
        return data

    # ------------------------------------------------------------------ helpers
    def read(self, table: str, offset: int | None = None, count: int | None = None,
             max_count: int | None = None) -> TableDecoding:
        """Read a table (full, or ``count`` bytes at ``offset``), decoded against the meter."""
        number = _number(table)
        if offset is None and count is None:
            command = bytes([C.FULL_READ]) + number.to_bytes(2, "big")
            if max_count is not None:
                command += max_count.to_bytes(2, "big")
        else:
            if count is None:
                raise MEPError("a partial read needs a count")
            command = (bytes([C.PARTIAL_READ]) + number.to_bytes(2, "big")
                       + (offset or 0).to_bytes(3, "big") + count.to_bytes(2, "big"))
        ex = self.exchange(command)
        full = offset is None and count is None
        return self.context.decode(number, offset or 0, ex.data,
                                   table_size=len(ex.data) if full else None)

    def write(self, table: str, data: bytes | dict, offset: int | None = None) -> Exchange:
        """Write table bytes, or values built through the codec (a full write)."""
        number = _number(table)
        if isinstance(data, dict):
            data = encode_table(self.context.spec, table.upper(), data, self.context.device)
        if offset is None:
            command = bytes([C.FULL_WRITE]) + number.to_bytes(2, "big")
        else:
            command = (bytes([C.PARTIAL_WRITE]) + number.to_bytes(2, "big")
                       + offset.to_bytes(3, "big"))
        ex = self.exchange(command + len(data).to_bytes(2, "big") + data)
        self.context.learn(C.table_id(number), offset or 0, data)
        return ex

    def call(self, procedure: str, params: bytes | dict = b"", result_table: str | None = None,
             psn: int | None = None) -> ProcedureResult:
        """Call a procedure (BT07 write), then read its result: from ``result_table``, else by
        the guide's rule for MEP client 1 (ET59 when ET50's "ET59 Response" flag is set, else
        BT08; ET50 is read once to know)."""
        spec = self.context.spec
        proc = spec.find(procedure)
        if proc is None:
            raise MEPError(f"unknown procedure {procedure}")
        if isinstance(params, dict):
            params = encode_table(spec, proc.id, params, self.context.device, part="request")
        table = result_table or self._result_table()
        self.psn = psn if psn is not None else (self.psn % 250) + 1
        call = call_bytes(spec, proc.header.number, self.psn, params)
        self.write("BT07", call)
        result = self.exchange(bytes([C.FULL_READ]) + _number(table).to_bytes(2, "big"))
        return decode_procedure_result(spec, result.data, call, self.context.device)

    def _result_table(self) -> str:
        if self._procedure_table is None:
            et50 = self.read("ET50")
            flag = decode_table(self.context.spec, "ET50", et50.data, 0,
                                self.context.device).find(ET59_RESPONSE_FLAG)
            self._procedure_table = "ET59" if flag is not None and flag.value else "BT08"
        return self._procedure_table

    def transaction(self, commands: list[bytes], number: int = 1) -> list[bytes]:
        """Run bare C12.18 requests as one ET52 transaction; returns ET53's response bodies."""
        spec = self.context.spec
        self.write("ET52", build_transaction(REQUESTS, number, commands, spec=spec), offset=0)
        head = self.exchange(_partial(C.ET53, 0, 5)).data
        size = transaction_size(head, spec)
        if size is None:
            raise MEPError(f"ET53: {len(head)} bytes: no transaction size")
        reply = self.exchange(_partial(C.ET53, 0, size)).data
        txn = parse_transaction(reply, spec)
        if txn.problems:
            raise MEPError("ET53: " + "; ".join(txn.problems))
        return txn.messages

    # ------------------------------------------------------------------ scapy
    def send(self, x: Packet) -> int:
        """Send a :class:`MEPRequest` (its sequence number and digest are filled here)."""
        raw = bytes(x)
        command = raw[2 : -(C.SEQ_LEN + C.DIGEST_LEN)]
        try:
            ex = self.exchange(command)
        except MEPError as exc:
            if not self.exchanges or exc.code is None:
                raise
            ex = self.exchanges[-1]
        req, resp = dissect_exchange(_clear(ex.request, ex.request_plain),
                                     _clear(ex.response, ex.response_plain))
        x.sent_time = ex.sent
        resp.time = ex.received
        self._last = resp
        return len(ex.request)

    def recv(self, x: int = 0, **kwargs: Any) -> Packet | None:
        last, self._last = self._last, None
        return last

    def sr1(self, *args: Any, **kwargs: Any) -> Packet | None:
        """Send one :class:`MEPRequest` and return the response layer (table payload decoded)."""
        self.send(args[0])
        return self.recv()

    def sr(self, *args: Any, **kwargs: Any):
        pkts = args[0] if isinstance(args[0], list) else [args[0]]
        return [(p, self.sr1(p)) for p in pkts], []


def _number(table: str) -> int:
    t = table.upper()
    if t[:2] in ("ET", "EP"):
        return 2048 + int(t[2:])
    if t[:2] in ("BT", "BP"):
        return int(t[2:])
    raise MEPError(f"not a table id: {table}")


def _partial(number: int, offset: int, count: int) -> bytes:
    return (bytes([C.PARTIAL_READ]) + number.to_bytes(2, "big") + offset.to_bytes(3, "big")
            + count.to_bytes(2, "big"))


def _clear(frame: bytes, plain: bytes) -> bytes:
    """The frame with its body in plaintext (what a decrypted exchange shows)."""
    return frame[:2] + plain + frame[2 + len(plain) :]


__all__ += ["MEPRequest"]
