"""The MEP pipeline: byte runs → frames → exchanges → decoded records.

``dissect(runs)`` is the whole thing as one generator.  :class:`Dissector` keeps the state of
one capture (one meter): the table context (``Device``), the last 0x0C sequence number, the
procedure and transaction trackers, the TLS tracker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.messages import Request, Response, parse_command
from osgpdissect.c1218.records import Record
from osgpdissect.c1218.tables import TableContext
from osgpdissect.c1218.tracker import ProcedureTracker
from osgpdissect.mep.frames import (
    parse_rc4_request_body,
    parse_rc4_response_body,
    parse_request,
    parse_response,
)
from osgpdissect.mep.pairing import Pairer
from osgpdissect.mep.reassembly import ReassemblyOptions, reassemble
from osgpdissect.mep.transactions import TransactionTracker, command_json, response_json

__all__ = ["Dissector", "dissect"]

log = logging.getLogger(__name__)

NO_KEY = "no key"
_SEQ_WINDOW = 8  # the server accepts up to 8 increments ahead (l.341)


class Dissector:
    """Decodes paired records of one capture.  ``security`` is an
    ``osgpdissect.security.Security`` (or None: digests are then "no key")."""

    def __init__(
        self,
        security: Any = None,
        tables: TableContext | None = None,
        reassembly: ReassemblyOptions | None = None,
        response_timeout: float = 0.5,
    ) -> None:
        self.security = security
        self.tables = tables if tables is not None else TableContext()
        self.reassembly = reassembly
        self.response_timeout = response_timeout
        self.procedures = ProcedureTracker(self.tables)
        self.transactions = TransactionTracker()
        self._tls: Any = None
        self._expected_seq: int | None = None  # from the last 0x0C
        self._last_seq: int | None = None
        self._index = 0

    def dissect(self, runs: Iterable[ByteRun]) -> Iterator[Record]:
        pairer = Pairer(self.response_timeout)
        feed, interpret = pairer.feed, self.interpret
        for item in reassemble(runs, self.reassembly):
            for rec in feed(item):
                yield interpret(rec)
        for rec in pairer.close():
            yield interpret(rec)

    def interpret(self, rec: Record) -> Record:
        """Fill in readings, security, sequence checks and table decodes; never raises."""
        self._index += 1
        rec.index = self._index
        try:
            self._interpret(rec)
        except Exception as exc:  # a bug here must cost one record, not the capture
            log.debug("interpreting record %d failed", rec.index, exc_info=True)
            rec.warnings.append(f"internal error while decoding: {type(exc).__name__}: {exc}")
        return rec

    # -- steps ------------------------------------------------------------------------------
    def _interpret(self, rec: Record) -> None:
        if rec.request_frame is None and rec.response_frame is None:
            return
        req = parse_request(rec.request_frame.raw) if rec.request_frame else None
        resp = parse_response(rec.response_frame.raw, req) if rec.response_frame else None
        if req is not None and req.mode == "tls" or (req is None and resp and resp.mode == "tls"):
            self._tls_exchange(rec, req, resp)
        else:
            req, resp = self._rc4_exchange(rec, req, resp)
        rec.request, rec.response = req, resp
        if req is None or req.mode != "rc4":
            return
        self._check_sequence(rec, req, resp)
        self._decode_tables(rec, req, resp)

    def _rc4_exchange(
        self, rec: Record, req: Request | None, resp: Response | None
    ) -> tuple[Request | None, Response | None]:
        req_raw = rec.request_frame.raw if rec.request_frame else None
        resp_raw = rec.response_frame.raw if rec.response_frame else None
        sec: dict[str, Any] = {
            "request_digest": NO_KEY if req_raw else None,
            "response_digest": NO_KEY if resp_raw else None,
            "access_level": None,
            "encrypted": False,
            "notes": [],
        }
        rec.security = sec
        if req is not None and req.mode == "opaque" and not req.problems:
            sec["notes"].append("request code unknown: RC4-encrypted?")
        if (
            resp is not None
            and req is not None
            and resp.body
            and not resp.body.strip(b"\x00")  # digested: the request's bytes plus zeros
            and resp.digest == req.digest
        ):
            sec["notes"].append(
                "response digest repeats the request digest (all-zero reply: not informative)"
            )
        if self.security is None or req_raw is None or len(req_raw) < 2 + C.DIGEST_LEN + 1:
            return req, resp
        try:
            opened = self.security.open_rc4_exchange(
                req_raw[2 : -C.DIGEST_LEN],
                req_raw[-C.DIGEST_LEN :],
                resp_raw[2 : -C.DIGEST_LEN] if resp_raw and len(resp_raw) > 10 else None,
                resp_raw[-C.DIGEST_LEN :] if resp_raw and len(resp_raw) > 10 else None,
            )
        except Exception as exc:  # the security layer must not stop the dissector
            log.debug("open_rc4_exchange failed", exc_info=True)
            sec["notes"].append(f"security check failed: {type(exc).__name__}: {exc}")
            return req, resp
        sec.update(
            request_digest=opened.request_check.status,
            response_digest=opened.response_check.status if opened.response_check else None,
            access_level=opened.access_level,
            encrypted=opened.encrypted,
            notes=list(opened.notes),
        )
        for check in (opened.request_check, opened.response_check):
            if check is not None and check.detail:
                sec["notes"].append(check.detail)
        if opened.encrypted and opened.access_level is not None:
            plain = parse_rc4_request_body(opened.request_body)
            plain.digest = req_raw[-C.DIGEST_LEN :]
            req = plain
            if opened.response_body is not None and resp is not None:
                digest = resp.digest
                resp = parse_rc4_response_body(opened.response_body, plain)
                resp.digest = digest
        return req, resp

    def _tls_exchange(self, rec: Record, req: Request | None, resp: Response | None) -> None:
        sec: dict[str, Any] = {"mode": "tls", "events": [], "inner": []}
        rec.security = sec
        if self.security is None:
            sec["notes"] = ["no keys: TLS records shown opaque"]
            return
        if self._tls is None:
            self._tls = self.security.tls_tracker()
        inner_req: Request | None = None
        for frame, reading in ((rec.request_frame, req), (rec.response_frame, resp)):
            if frame is None or reading is None or reading.code is None:
                continue
            try:
                events = self._tls.feed(frame.direction.value, reading.code, reading.payload)
            except Exception as exc:  # the TLS tracker must not stop the dissector
                sec["events"].append(f"TLS tracker failed: {type(exc).__name__}: {exc}")
                continue
            for event in events:
                sec["events"].append(_event_text(event))
                _note_session_facts(sec, event)
                plaintext = getattr(event, "plaintext", None)
                if plaintext is None:
                    continue
                if frame.direction is Direction.C2S:
                    inner_req = parse_command(bytes(plaintext), "tls")
                    sec["inner"].append({"request": command_json(inner_req)})
                else:
                    inner = (
                        parse_rc4_response_body(bytes(plaintext), inner_req) if plaintext else None
                    )
                    if inner is not None:
                        sec["inner"].append({"response": response_json(inner)})
                        self._decode_inner(rec, inner_req, inner)

    def _decode_inner(self, rec: Record, req: Request | None, resp: Response) -> None:
        if req is None or req.table is None or resp.code != C.OK:
            return
        self._decode_tables(rec, req, resp)

    def _check_sequence(self, rec: Record, req: Request, resp: Response | None) -> None:
        seq = req.seq
        if seq is None:
            return
        expected = self._expected_seq
        if expected is not None:
            ahead = (seq - expected) & 0xFFFFFFFF
            if ahead == 0:
                rec.warnings.append(
                    f"sequence 0x{seq:08X} follows the 0x0C hint (0x{expected - 1:08X} + 1)"
                )
            elif ahead < _SEQ_WINDOW:
                rec.warnings.append(f"sequence 0x{seq:08X} is {ahead} past the 0x0C hint + 1")
            else:
                rec.warnings.append(
                    f"sequence 0x{seq:08X} does not follow the 0x0C hint: expected 0x{expected:08X}"
                )
            self._expected_seq = None
        elif self._last_seq is not None and not rec.retries:
            step = (seq - self._last_seq) & 0xFFFFFFFF
            if step == 0 and "identical resend of an answered request" not in rec.warnings:
                rec.warnings.append(f"sequence 0x{seq:08X} reused: the meter answers 0x0C")
            elif step > _SEQ_WINDOW and step < 0x80000000:
                rec.warnings.append(f"sequence jumps by {step} (the meter accepts up to 8 ahead)")
        self._last_seq = seq
        if resp is not None and resp.code == C.INVALID_SEQUENCE and resp.next_seq is not None:
            self._expected_seq = (resp.next_seq + 1) & 0xFFFFFFFF
            rec.warnings.append(
                f"invalid sequence number: meter says 0x{resp.next_seq:08X}, "
                f"next request should carry 0x{self._expected_seq:08X}"
            )

    def _decode_tables(self, rec: Record, req: Request, resp: Response | None) -> None:
        if req.table is None:
            return
        tables = self.tables
        rec.table_name = tables.name_of(req.table)
        ok = resp is not None and resp.code == C.OK
        offset = req.offset or 0
        if req.is_read:
            if not ok or resp is None or not resp.data:
                return
            whole = req.code == C.FULL_READ and (req.count is None or len(resp.data) < req.count)
            rec.table = tables.decode(req.table, offset, resp.data,
                                      table_size=len(resp.data) if whole else None)
            rec.warnings.extend(rec.table.problems)
            self._track_read(rec, req.table, offset, resp.data)
        elif req.is_write and req.data:
            rec.table = tables.decode(req.table, offset, req.data, learn=ok)
            if not ok:
                rec.table.warnings.append("write not acknowledged: not learned as device state")
            self._track_write(rec, req.table, offset, req.data, ok)

    def _track_read(self, rec: Record, table: int, offset: int, data: bytes) -> None:
        if table == C.ET53:
            rec.transaction = self.transactions.on_et53_read(offset, data, self.tables)
        elif table in C.PROCEDURE_RESPONSE_TABLES:
            rec.procedure = self.procedures.on_result(table, offset, data)
        elif table == C.ET50:
            self.procedures.on_et50(rec.table)

    def _track_write(self, rec: Record, table: int, offset: int, data: bytes, ok: bool) -> None:
        if table == C.ET52:
            rec.transaction = self.transactions.on_et52_write(offset, data)
        elif table == C.BT07 and offset == 0:
            rec.procedure = self.procedures.on_call(data, rec.index)
            if not ok:
                rec.procedure.setdefault("problems", []).append("call not acknowledged")
        elif table == C.ET50 and ok:
            self.procedures.on_et50(rec.table)


def dissect(
    runs: Iterable[ByteRun],
    security: Any = None,
    tables: TableContext | None = None,
    reassembly: ReassemblyOptions | None = None,
) -> Iterator[Record]:
    """Records of a capture: exchanges, unanswered requests, orphans, alerts, malformed."""
    return Dissector(security, tables, reassembly).dissect(runs)


def _event_text(event: Any) -> str:
    """One TLS event as a line: direction, then what happened (errors say so)."""
    prefix = "error: " if type(event).__name__ == "TlsError" else ""
    fields = dict(getattr(event, "fields", ()) or ())
    extra = ""
    if getattr(event, "what", "") == "ServerHello" and "cipher_suite" in fields:
        extra = f": cipher suite {fields['cipher_suite']}"
    elif getattr(event, "what", "") == "ClientKeyExchange" and "psk_identity" in fields:
        extra = f": PSK identity {bytes.fromhex(fields['psk_identity']).hex(' ').upper()}"
    return f"{event.direction} {prefix}{event.text}{extra}"


def _note_session_facts(sec: dict[str, Any], event: Any) -> None:
    """The negotiated cipher suite (ServerHello) and the PSK identity as the client sent it
    (ClientKeyExchange, hex bytes) as keys of the record's security view."""
    fields = dict(getattr(event, "fields", ()) or ())
    what = getattr(event, "what", "")
    if what == "ServerHello" and "cipher_suite" in fields:
        sec["cipher_suite"] = fields["cipher_suite"]
    elif what == "ClientKeyExchange" and "psk_identity" in fields:
        ident = bytes.fromhex(fields["psk_identity"])
        sec["psk_identity"] = ident.hex(" ").upper()
        if "mep_client_id" in fields:
            sec["psk_identity"] += (f" (client {fields['mep_client_id']}, key id "
                                    f"{fields.get('mep_key_id', '?')})")
