"""The optical pipeline: byte runs → link items → messages → paired, decoded records.

Pairing follows C12.18's half-duplex order: the client sends one request, the meter answers
it.  A message's role comes from its first byte (service codes 0x20.. vs response codes
0x00..0x0A, which never overlap); a direction that disagrees costs a warning.  Table data of
reads and writes is decoded through the MEP package's :class:`~osgpdissect.mep.TableContext`
(the project's one way into the codec), so both ports share one ``Device``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.c1218 import codes as M
from osgpdissect.c1218.messages import Malformed
from osgpdissect.c1218.records import Retry
from osgpdissect.c1218.tables import TableContext
from osgpdissect.c1218.tracker import ProcedureTracker
from osgpdissect.optical import codes as C
from osgpdissect.optical.chunks import ChunkOptions
from osgpdissect.optical.link import LinkItem, scan_link
from osgpdissect.optical.messages import Message, MessageItem, assemble
from osgpdissect.optical.packet import LinkByte, Packet
from osgpdissect.optical.records import OpticalRecord
from osgpdissect.optical.services import ServiceRequest, parse_request, parse_response

__all__ = ["OpticalDissector", "decode_optical_runs"]

log = logging.getLogger(__name__)


class OpticalDissector:
    """State of one optical capture: table context, procedures, logon state."""

    def __init__(self, tables: TableContext | None = None, *, show_password: bool = False,
                 options: ChunkOptions | None = None, response_timeout: float = 2.0) -> None:
        self.tables = tables if tables is not None else TableContext()
        self.show_password = show_password
        self.options = options
        self.response_timeout = response_timeout
        # The MEP client PSN range (5..9, guide l.1421) is a MEP port rule, not an optical one.
        self.procedures = ProcedureTracker(self.tables, client_psn_range=None)
        self.user: dict[str, Any] = {}
        self.password_due = False  # a logon seen, no security answered OK since
        self._last_request: int | None = None  # service code of the client's last packet
        self._index = 0
        self._outstanding: OpticalRecord | None = None

    def dissect(self, runs: Iterable[ByteRun]) -> Iterator[OpticalRecord]:
        for item in assemble(self._watch(scan_link(runs, self.options))):
            for rec in self.feed(item):
                yield self.interpret(rec)
        for rec in self.close():
            yield self.interpret(rec)

    # -- pairing ----------------------------------------------------------------------------
    def feed(self, item: MessageItem) -> Iterator[OpticalRecord]:
        if isinstance(item, Message):
            yield from self._message(item)
        elif isinstance(item, LinkByte):
            rec = self._record("wakeup" if item.kind == "wakeup" else "link")
            rec.token = item
            if item.kind == "wakeup" and item.direction is Direction.S2C:
                rec.warnings.append("wake-up bytes from the meter")
            elif item.kind != "wakeup":
                rec.warnings.append(f"{item.kind.upper()} with no packet to answer")
            yield rec
        elif isinstance(item, Malformed):
            rec = self._record("malformed")
            rec.malformed = item
            rec.mask_all = item.direction is Direction.C2S and self.password_due
            yield rec

    def close(self) -> Iterator[OpticalRecord]:
        if self._outstanding is not None:
            rec, self._outstanding = self._outstanding, None
            rec.kind = "unanswered"
            rec.warnings.append("no response before the end of the capture")
            yield rec

    # -- password watch ---------------------------------------------------------------------
    def _watch(self, items: Iterable[LinkItem]) -> Iterator[LinkItem]:
        """Pass link items through, following logon and security as their packets go by.

        Packets are watched here, not in :meth:`interpret`: the assembler holds a message
        until the other side talks, so a damaged packet reaches :meth:`feed` before the
        exchanges around it are known."""
        for item in items:
            if isinstance(item, Packet) and item.data and (item.first or not item.multi):
                self._note_packet(item.direction, item.data[0])
            yield item

    def _note_packet(self, direction: Direction, code: int) -> None:
        """A logon makes a password due (damaged client bytes are then masked whole, but for
        a leading packet header: the password may sit anywhere in them); a security request
        answered OK, a logoff or a terminate ends that.  A refused password may be retried."""
        if direction is Direction.C2S:
            self._last_request = code
            if code == C.LOGON:
                self.password_due = True
            elif code in (C.LOGOFF, C.TERMINATE):
                self.password_due = False
        elif self._last_request == C.SECURITY and code == C.OK:
            self.password_due = False

    def _record(self, kind: str) -> OpticalRecord:
        return OpticalRecord(kind, show_password=self.show_password)

    def _message(self, msg: Message) -> Iterator[OpticalRecord]:
        first = msg.data[0] if msg.data else None
        if first in C.RESPONSE_CODES:
            role = "response"
        elif first in C.SERVICES:
            role = "request"
        else:
            role = "request" if msg.direction is Direction.C2S else "response"
        warning = None
        if (role == "request") != (msg.direction is Direction.C2S):
            warning = f"{role} on the {'client' if msg.direction is Direction.C2S else 'meter'} line: taken as a {role}"
        if role == "request":
            if self._outstanding is not None:
                pending, self._outstanding = self._outstanding, None
                pending.kind = "unanswered"
                pending.warnings.append("no response before the next request")
                yield pending
            rec = self._record("exchange")
            rec.request_frame = msg  # type: ignore[assignment]
            self._outstanding = rec
        else:
            rec = self._outstanding
            if rec is None:
                rec = self._record("orphan")
                rec.warnings.append("response without an outstanding request")
            self._outstanding = None
            rec.response_frame = msg  # type: ignore[assignment]
            latency = rec.latency
            if latency is not None and latency > self.response_timeout:
                rec.warnings.append(f"response {latency:.1f} s after the request")
        if warning:
            rec.warnings.append(warning)
        if role == "response":
            yield rec

    # -- interpretation ---------------------------------------------------------------------
    def interpret(self, rec: OpticalRecord) -> OpticalRecord:
        """Read services, decode tables, note link problems; never raises."""
        self._index += 1
        rec.index = self._index
        try:
            self._interpret(rec)
        except Exception as exc:  # a bug here must cost one record, not the capture
            log.debug("interpreting optical record %d failed", rec.index, exc_info=True)
            rec.warnings.append(f"internal error while decoding: {type(exc).__name__}: {exc}")
        return rec

    def _interpret(self, rec: OpticalRecord) -> None:
        req_msg, resp_msg = rec.request_frame, rec.response_frame
        req = parse_request(req_msg.data) if isinstance(req_msg, Message) else None
        resp = parse_response(resp_msg.data, req) if isinstance(resp_msg, Message) else None
        rec.request, rec.response = req, resp  # type: ignore[assignment]
        for msg in (req_msg, resp_msg):
            if isinstance(msg, Message):
                self._link_notes(rec, msg)
        if req is None:
            return
        self._session_state(rec, req, resp)
        if req.table is not None:
            self._decode_tables(rec, req, resp)

    def _link_notes(self, rec: OpticalRecord, msg: Message) -> None:
        rec.warnings.extend(msg.problems)
        side = "request" if msg.direction is Direction.C2S else "response"
        identities = sorted({p.identity for p in msg.packets if p.identity})
        if identities:
            shown = ", ".join(f"0x{i:02X}" for i in identities)
            rec.warnings.append(f"{side}: identity byte {shown}, not 0 (kept; the packet is decoded as usual)")
        for event in msg.events:
            if event.kind == "retransmission":
                rec.retries.append(Retry(event.time, f"{side}: {event.detail}"))
            elif event.kind == "nak":
                rec.warnings.append(f"{side} packet NAKed at {event.time}")
            elif event.kind == "damaged packet":
                rec.warnings.append(f"{side}: {event.detail}")

    def _session_state(self, rec: OpticalRecord, req: ServiceRequest, resp: Any) -> None:
        ok = resp is not None and resp.code == C.OK
        if req.service == "logon":
            self.user = {"user_id": req.fields.get("user_id"), "user": req.fields.get("user"),
                         "logged_on": ok}
        elif req.service == "logoff" and ok:
            self.user = {}
        if req.service in ("logon", "security", "logoff", "terminate"):
            sec: dict[str, Any] = {"mode": "c12.18", **self.user}
            if req.service == "security":
                pw = req.fields.get("password")
                sec["password"] = (pw.hex() if self.show_password and isinstance(pw, bytes)
                                   else "masked")
                sec["access"] = "granted" if ok else ("refused" if resp is not None else None)
            rec.security = sec

    def _decode_tables(self, rec: OpticalRecord, req: ServiceRequest, resp: Any) -> None:
        table = req.table
        assert table is not None
        rec.table_name = self.tables.name_of(table)
        ok = resp is not None and resp.code == C.OK
        offset = req.offset or 0
        if req.is_read and ok and resp.data:
            whole = req.code == C.FULL_READ  # the response is the whole table
            rec.table = self.tables.decode(table, offset, resp.data,
                                           table_size=len(resp.data) if whole else None)
            rec.warnings.extend(rec.table.problems)
            if table in M.PROCEDURE_RESPONSE_TABLES:
                rec.procedure = self.procedures.on_result(table, offset, resp.data)
        elif req.is_write and req.data:
            rec.table = self.tables.decode(table, offset, req.data, learn=ok)
            if not ok:
                rec.table.warnings.append("write not acknowledged: not learned as device state")
            if table == M.BT07 and offset == 0:
                rec.procedure = self.procedures.on_call(req.data, rec.index)


def decode_optical_runs(
    runs: Iterable[ByteRun],
    device: Any = None,
    *,
    spec: Any = None,
    tables: TableContext | None = None,
    show_password: bool = False,
    options: ChunkOptions | None = None,
) -> Iterator[OpticalRecord]:
    """Records of an optical capture, decoded with ``device`` (an ``osgpdissect.layout.device.Device``;
    one per meter, shared with the MEP side) or an explicit ``tables`` context.  The password
    of security requests is masked unless ``show_password``."""
    if tables is None:
        tables = TableContext(spec=spec if spec is not None else getattr(device, "spec", None),
                              device=device)
    return OpticalDissector(tables, show_password=show_password, options=options).dissect(runs)
