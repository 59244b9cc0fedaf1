"""The simulated meter's MEP server: one request frame in, one response frame out.

Pure protocol, no I/O (serving is ``osgpdissect.sim.serve``).  As the guide describes it:
the digest is checked with the MAK, then the MBK (the key that verifies sets the access level;
none → ``0x0B``, never encrypted); an exchange that verifies only after RC4 decryption is
answered encrypted; the sequence number must be ahead of the last one by 1..8, else ``0x0C``
carries the current number; reads and writes go to the image (access per the spec's table
header); a BT07 write runs the procedure and posts the result in ET59 (``ET50.mep_flags``
"ET59 Response" set) or BT08; an ET52 image, once complete, is executed and answered in ET53;
:meth:`MEPServer.alerting` says when ET13's alert flags call for the alert sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.messages import parse_command
from osgpdissect.c1218.procedures import call_header, result_bytes
from osgpdissect.c1218.tracker import ET59_RESPONSE_FLAG
from osgpdissect.codec import DecodeError, decode_table
from osgpdissect.mep.transactions import (
    RESPONSES,
    TableImage,
    build_transaction,
    parse_transaction,
)
from osgpdissect.security.digest import digest
from osgpdissect.security.rc4 import exchange_cipher
from osgpdissect.sim.image import MeterImage

__all__ = ["MEPServer", "ServerLog"]

UNRECOGNIZED = 0x01
NO_PERMISSION = 0x03
NOT_POSSIBLE = 0x04
AUTH_FAILURE = 0x0B
SEQ_WINDOW = 8  # "accepts up to 8 increments ahead"
DEFAULT_SEQ = 0x77635B90  # the guide's example meter's number
_HEAD = 2 + 1 + C.SEQ_LEN + C.DIGEST_LEN


@dataclass
class ServerLog:
    """What the server did, for tests and the ``simulate`` output."""

    requests: int = 0
    auth_failures: int = 0
    seq_errors: int = 0
    encrypted: int = 0
    resends: int = 0
    procedures: list[tuple[int, int]] = field(default_factory=list)  # (number, result code)


class MEPServer:
    """The MEP side of a simulated meter over a :class:`MeterImage`."""

    def __init__(self, image: MeterImage, seq: int | None = None,
                 force: dict[int, int] | None = None) -> None:
        self.image = image
        if seq is None:
            seq = image.seq if image.seq is not None else DEFAULT_SEQ
        self.seq = seq  # the last sequence number accepted
        self.force = dict(force or {})  # request index (from 1) -> forced 0x0B / 0x0C
        self.log = ServerLog()
        self._et52 = TableImage()
        self._last: tuple[bytes, bytes] | None = None  # (request, response): a resend's answer

    # ------------------------------------------------------------------ frames
    def handle(self, frame: bytes) -> bytes:
        """The response frame (length included) to one request frame.  An identical resend of
        the last request (same sequence number and digest) gets the same answer again."""
        if self._last is not None and frame == self._last[0]:
            self.log.resends += 1
            return self._last[1]
        answer = self._handle(frame)
        self._last = (frame, answer)
        return answer

    def _handle(self, frame: bytes) -> bytes:
        self.log.requests += 1
        if len(frame) < _HEAD:
            return _frame(bytes([UNRECOGNIZED]), bytes(C.DIGEST_LEN))
        wire, req_digest = frame[2 : -C.DIGEST_LEN], frame[-C.DIGEST_LEN :]
        found = self._authenticate(wire, req_digest)
        forced = self.force.get(self.log.requests)
        if found is None or forced == AUTH_FAILURE:
            self.log.auth_failures += 1
            keys = self.image.keys.auth_keys()
            tag = digest(keys[0][1], wire + b"\x0b") if keys else bytes(C.DIGEST_LEN)
            return _frame(bytes([AUTH_FAILURE]), tag)
        label, key, plain, cipher = found
        seq = int.from_bytes(plain[-C.SEQ_LEN :], "big")
        ahead = (seq - self.seq) & 0xFFFFFFFF
        if forced == C.INVALID_SEQUENCE and 1 <= ahead <= SEQ_WINDOW:
            self.seq = seq  # a forced 0x0C: the number is used up, the client moves past it
        if forced == C.INVALID_SEQUENCE or not 1 <= ahead <= SEQ_WINDOW:
            self.log.seq_errors += 1
            body = bytes([C.INVALID_SEQUENCE]) + self.seq.to_bytes(4, "big")
        else:
            self.seq = seq
            body = self.execute(plain[: -C.SEQ_LEN], label)
        tag = digest(key, plain + body)
        if cipher is not None:
            self.log.encrypted += 1
            body = cipher.crypt(body)
        return _frame(body, tag)

    def _authenticate(self, wire: bytes, tag: bytes):
        """(label, key, plaintext body, cipher or None) of the first key that verifies."""
        keys = self.image.keys
        for label, key in keys.auth_keys():
            if digest(key, wire) == tag:
                return label, key, wire, None
        for label, key in keys.auth_keys():
            enc_key = keys.encryption_key(label)
            if enc_key is None:
                continue
            cipher = exchange_cipher(enc_key, tag)
            plain = cipher.crypt(wire)
            if digest(key, plain) == tag:
                return label, key, plain, cipher
        return None

    def alerting(self) -> bool:
        """Whether a MEP client entry of ET13 has an alert flag set (the meter then sends the
        alert sequence, guide l.549-565).  ET13 is read through the codec."""
        data = self.image.tables.get("ET13")
        if not data:
            return False
        try:
            values = decode_table(self.image.spec, "ET13", bytes(data), 0,
                                  self.image.device).values()
        except DecodeError:
            return False
        entries = values.get("device_config") or []
        return any(isinstance(e, dict) and any(_flags(e.get("alert_flags"))) for e in entries)

    # ------------------------------------------------------------------ C12.18 requests
    def execute(self, command: bytes, label: str) -> bytes:
        """The response body (code .. data) to a bare C12.18 request."""
        req = parse_command(command, "rc4")
        if req.mode == "opaque" or req.problems or req.table is None:
            return bytes([UNRECOGNIZED])
        table = C.table_id(req.table)
        if req.is_read:
            return self._read(table, req.offset or 0, req.count, req.code == C.FULL_READ, label)
        return self._write(table, req.offset or 0, req.data, req.code == C.FULL_WRITE, label)

    def _read(self, table: str, offset: int, count: int | None, full: bool, label: str) -> bytes:
        if label not in self.image.access(table, "read"):
            return bytes([NO_PERMISSION])
        data = self.image.get(table)
        if data is None:
            return bytes([NOT_POSSIBLE])
        if full:
            chunk = bytes(data)
            if count is not None and len(chunk) > count:
                return bytes([NOT_POSSIBLE])
        else:
            if count is None or offset + count > len(data):
                return bytes([NOT_POSSIBLE])
            chunk = bytes(data[offset : offset + count])
        if 1 + 2 + len(chunk) + C.DIGEST_LEN > C.MAX_MESSAGE:
            return bytes([NOT_POSSIBLE])
        return bytes([C.OK]) + len(chunk).to_bytes(2, "big") + chunk

    def _write(self, table: str, offset: int, data: bytes, full: bool, label: str) -> bytes:
        if label not in self.image.access(table, "write"):
            return bytes([NO_PERMISSION])
        if table == "BT07":
            return self._procedure(data, label) if full else bytes([NOT_POSSIBLE])
        if table == "ET52":
            return self._transaction_part(offset, data, label)
        current = self.image.get(table)
        if current is None:
            return bytes([NOT_POSSIBLE])
        if (full and len(data) != len(current)) or offset + len(data) > len(current):
            return bytes([NOT_POSSIBLE])
        self.image.put(table, offset, data)
        return bytes([C.OK])

    def _procedure(self, data: bytes, label: str) -> bytes:
        """Run a BT07 call: the result goes to ET59 or BT08 (guide l.1387)."""
        if len(data) < 3:
            return bytes([NOT_POSSIBLE])
        number, _handling, psn = call_header(self.image.spec, data)
        proc = self.image.spec.procedure_by_number(number)
        if proc is None:
            code = 6
        else:
            allowed = next((a.keys for a in proc.header.access if a.op == "call"), ("MAK", "MBK"))
            code = 0 if label in allowed else 5
        self.log.procedures.append((number, code))
        result = result_bytes(self.image.spec, number, psn, code)
        table = "ET59" if self._et59_response() else "BT08"
        self.image.tables[table] = bytearray()
        self.image.put(table, 0, result)
        return bytes([C.OK])

    def _et59_response(self) -> bool:
        et50 = self.image.get("ET50")
        if et50 is None:
            return False
        image = self.image
        flag = decode_table(image.spec, "ET50", bytes(et50), 0, image.device).find(ET59_RESPONSE_FLAG)
        return flag is not None and bool(flag.value)

    def _transaction_part(self, offset: int, data: bytes, label: str) -> bytes:
        """Collect ET52 writes; once the image is complete, run it and post ET53."""
        if offset == 0:
            self._et52.reset()
        self._et52.put(offset, data)
        size = self._et52.complete_size()
        if size is None:
            return bytes([C.OK])
        txn = parse_transaction(bytes(self._et52.data[:size]), self.image.spec)
        self._et52.reset()
        if txn.problems:
            return bytes([NOT_POSSIBLE])
        responses = [self.execute(msg, label) for msg in txn.messages]
        et53 = build_transaction(RESPONSES, txn.number, responses, spec=self.image.spec)
        self.image.tables["ET53"] = bytearray()
        self.image.put("ET53", 0, et53)
        return bytes([C.OK])


def _flags(value: object) -> list[bool]:
    if isinstance(value, dict):
        return [bool(v) for k, v in value.items() if not k.startswith("_")]
    return [bool(value)]


def _frame(body: bytes, tag: bytes) -> bytes:
    return (len(body) + len(tag)).to_bytes(2, "big") + body + tag
