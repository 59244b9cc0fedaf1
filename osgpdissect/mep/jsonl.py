"""One MEP record → one JSON line, without building the record's dict first.

``record_json_line(rec)`` is byte for byte ``json.dumps(rec.to_json(), default=json_default)``
(the test suite holds it to that on every kind of record); it exists because the bulk path of
``decode --output json`` spends most of its time encoding.  Frames are poured into fixed
templates, the decoded fields arrive as JSON text from the table decoder, and only the parts
whose shape varies (procedures, transactions, TLS notes) go through ``json.dumps``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from osgpdissect.bytestream import Direction
from osgpdissect.jsontext import dumps, json_str, json_value, str_list
from osgpdissect.mep import codes as C
from osgpdissect.mep.frames import Alert, Frame, Malformed, Request, Response

if TYPE_CHECKING:
    from osgpdissect.mep.records import Record

__all__ = ["record_json_line"]


def _hex_or_null(b: bytes | None) -> str:
    return '"' + b.hex() + '"' if b else "null"


def _num(v: Any) -> str:
    """``json_value`` with the common finite float first."""
    return float.__repr__(v) if type(v) is float and v - v == 0 else json_value(v)


_EMPTY = '""'
_Q = '"'
_HEADS = {d: f'{{"direction": "{d.value}", "time": ' for d in Direction}


def _frame_head(frame: Frame) -> str:
    """``{"direction" .. "segments": n`` (no closing brace)."""
    raw = frame.raw
    return (
        f'{_HEADS[frame.direction]}{_num(frame.time)}, "end_time": {_num(frame.end_time)}, '
        f'"source": {json_str(frame.source) if frame.source else _EMPTY}, "hex": "{raw.hex()}", '
        f'"length": {len(raw) - 2}, "segments": {json_value(frame.segments)}'
    )


# The parts of a request or response that repeat from frame to frame, by what they depend on.
class _Texts(dict[tuple[Any, ...], str]):
    """JSON pieces by what they depend on; dropped whole when full, so memory stays flat."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: tuple[Any, ...], text: str) -> str:
        if len(self) >= self.limit:
            self.clear()
        self[key] = text
        return text


_REQUEST_MIDDLES = _Texts(4096)
_RESPONSE_MIDDLES = _Texts(256)


def _request_middle(mode: str, code: int | None, table: int | None, table_name: str) -> str:
    key = (mode, code, table, table_name)
    hit = _REQUEST_MIDDLES.get(key)
    if hit is None:
        hit = _REQUEST_MIDDLES.put(
            key,
            f', "mode": {json_str(mode)}, "code": {json_value(code)}, '
            f'"code_name": {json_str(C.request_code_name(code)) if code is not None else "null"}, '
            f'"table": {json_str(C.table_id(table)) if table is not None else "null"}, '
            f'"table_number": {json_value(table)}, "table_name": {json_str(table_name)}, '
            '"offset": ',
        )
    return hit


def _response_middle(mode: str, code: int | None) -> str:
    key = (mode, code)
    hit = _RESPONSE_MIDDLES.get(key)
    if hit is None:
        name = C.response_code_name(code, mode == "tls") if code is not None else None
        hit = _RESPONSE_MIDDLES.put(
            key,
            f', "mode": {json_str(mode)}, "code": {json_value(code)}, '
            f'"code_name": {json_str(name) if name is not None else "null"}, "count": ',
        )
    return hit


def _request(frame: Frame, req: Request | None, table_name: str) -> str:
    head = _frame_head(frame)
    if req is None:
        return head + "}"
    seq = req.seq
    out = (
        f"{head}{_request_middle(req.mode, req.code, req.table, table_name)}"
        f'{json_value(req.offset)}, "count": {json_value(req.count)}, '
        f'"data": {_hex_or_null(req.data)}, "seq": {int.__repr__(seq) if seq is not None else "null"}, '
        f'"digest": {_hex_or_null(req.digest)}, '
        f'"problems": {str_list(req.problems) if req.problems else "[]"}'
    )
    if req.payload:
        out += f', "payload": "{req.payload.hex()}"'
    return out + "}"


def _response(frame: Frame, resp: Response | None) -> str:
    head = _frame_head(frame)
    if resp is None:
        return head + "}"
    out = (
        f"{head}{_response_middle(resp.mode, resp.code)}"
        f'{json_value(resp.count)}, "data": {_hex_or_null(resp.data)}, '
        f'"next_seq": {json_value(resp.next_seq)}, "digest": {_hex_or_null(resp.digest)}, '
        f'"problems": {str_list(resp.problems) if resp.problems else "[]"}'
    )
    if resp.payload:
        out += f', "payload": "{resp.payload.hex()}"'
    return out + "}"


_RC4_SECURITY_KEYS = ("request_digest", "response_digest", "access_level", "encrypted", "notes")
_SECURITY_TEXTS = _Texts(256)


def _security(sec: dict[str, Any] | None) -> str:
    if sec is None:
        return "null"
    if tuple(sec) != _RC4_SECURITY_KEYS:
        return dumps(sec)
    notes = sec["notes"]
    if notes:
        return (
            f'{{"request_digest": {json_value(sec["request_digest"])}, '
            f'"response_digest": {json_value(sec["response_digest"])}, '
            f'"access_level": {json_value(sec["access_level"])}, '
            f'"encrypted": {json_value(sec["encrypted"])}, "notes": {str_list(notes)}}}'
        )
    key = (sec["request_digest"], sec["response_digest"], sec["access_level"], sec["encrypted"])
    hit = _SECURITY_TEXTS.get(key)
    if hit is None:
        hit = _SECURITY_TEXTS.put(
            key,
            f'{{"request_digest": {json_value(key[0])}, "response_digest": {json_value(key[1])}, '
            f'"access_level": {json_value(key[2])}, "encrypted": {json_value(key[3])}, '
            '"notes": []}',
        )
    return hit


_DECODED_HEADS = _Texts(4096)


def _decoded(rec: Record) -> str:
    t = rec.table
    if t is None:
        return "null"
    key = (t.table, t.name, t.offset, len(t.data))
    head = _DECODED_HEADS.get(key)
    if head is None:
        head = _DECODED_HEADS.put(
            key,
            f'{{"table": {json_str(t.table)}, "name": {json_str(t.name)}, '
            f'"offset": {json_value(t.offset)}, "size": {key[3]}, "fields": ',
        )
    defaults, warnings = t.defaults_used, t.warnings
    return (
        f"{head}{t.fields_json}, "
        f'"defaults_used": {str_list(defaults) if defaults else "[]"}, '
        f'"warnings": {str_list(warnings) if warnings else "[]"}}}'
    )


def _pairing(rec: Record) -> str:
    retries, extra = rec.retries, rec.extra_responses
    retries_text = (
        "[" + ", ".join(f'{{"time": {_num(r.time)}, "kind": {json_str(r.kind)}}}' for r in retries) + "]"
        if retries
        else "[]"
    )
    extra_text = str_list([f.raw.hex() for f in extra]) if extra else "[]"
    return (
        f'{{"rule": "order", "latency": {_num(rec.latency)}, "retries": {retries_text}, '
        f'"extra_responses": {extra_text}}}'
    )


def _malformed(bad: Malformed) -> str:
    return (
        f'{{"direction": "{bad.direction.value}", "time": {_num(bad.time)}, '
        f'"end_time": {_num(bad.end_time)}, "source": {json_str(bad.source)}, '
        f'"hex": "{bad.hex}", "reason": {json_str(bad.reason)}}}'
    )


def _alert(a: Alert) -> str:
    return (
        f', "alert": {{"direction": "{a.direction.value}", "time": {_num(a.time)}, '
        f'"source": {json_str(a.source)}}}'
    )


_PAIRED = frozenset(("exchange", "unanswered", "orphan"))


def record_json_line(rec: Record) -> str:
    """``json.dumps(rec.to_json(), default=json_default)``, fast (no newline)."""
    line = _plain_exchange_line(rec)
    if line is not None:
        return line
    req_frame, resp_frame = rec.request_frame, rec.response_frame
    procedure, transaction, warnings = rec.procedure, rec.transaction, rec.warnings
    return (
        f'{{"record": {json_str(rec.kind)}, "index": {json_value(rec.index)}, '
        f'"time": {_num(rec.time)}, "request": '
        f"{_request(req_frame, rec.request, rec.table_name) if req_frame is not None else 'null'}"
        f', "response": {_response(resp_frame, rec.response) if resp_frame is not None else "null"}'
        f', "pairing": {_pairing(rec) if rec.kind in _PAIRED else "null"}'
        f', "security": {_security(rec.security)}, "decoded": {_decoded(rec)}'
        f', "procedure": {dumps(procedure) if procedure is not None else "null"}'
        f', "transaction": {dumps(transaction) if transaction is not None else "null"}'
        f', "malformed": {_malformed(rec.malformed) if rec.malformed else "null"}'
        f"{_alert(rec.alert) if rec.alert is not None else ''}"
        f', "warnings": {str_list(warnings) if warnings else "[]"}}}'
    )


def _plain_exchange_line(rec: Record) -> str | None:
    """The commonest record, an answered plaintext exchange with nothing unusual, in one
    template (None: not that record; :func:`record_json_line` takes the general path)."""
    qf, sf, req, resp = rec.request_frame, rec.response_frame, rec.request, rec.response
    if (
        rec.kind != "exchange"
        or qf is None
        or sf is None
        or req is None
        or resp is None
        or req.problems
        or resp.problems
        or req.payload
        or resp.payload
        or rec.retries
        or rec.extra_responses
        or rec.procedure is not None
        or rec.transaction is not None
        or rec.malformed is not None
        or rec.alert is not None
    ):
        return None
    qt, qe, st, se = qf.time, qf.end_time, sf.time, sf.end_time
    if not (type(qt) is float and type(qe) is float and type(st) is float and type(se) is float):
        return None
    if qt - qt or qe - qe or st - st or se - se:  # not finite
        return None
    latency = round(st - qe, 9)  # as Record.latency
    if latency - latency or type(qf.segments) is not int or type(sf.segments) is not int:
        return None  # (finite times can still differ by more than a float holds)
    qraw, sraw = qf.raw, sf.raw
    warnings = rec.warnings
    seq, count, rcount, offset, next_seq = req.seq, req.count, resp.count, req.offset, resp.next_seq
    qdata, qdigest, sdata, sdigest = req.data, req.digest, resp.data, resp.digest
    time = float.__repr__(qt)
    return (
        f'{{"record": "exchange", "index": {int.__repr__(rec.index)}, "time": {time}, '
        f'"request": {_HEADS[qf.direction]}{time}, "end_time": {float.__repr__(qe)}, '
        f'"source": {json_str(qf.source) if qf.source else _EMPTY}, "hex": "{qraw.hex()}", '
        f'"length": {len(qraw) - 2}, "segments": {int.__repr__(qf.segments)}'
        f"{_request_middle(req.mode, req.code, req.table, rec.table_name)}"
        f'{int.__repr__(offset) if offset is not None else "null"}, '
        f'"count": {int.__repr__(count) if count is not None else "null"}, '
        f'"data": {_Q + qdata.hex() + _Q if qdata else "null"}, '
        f'"seq": {int.__repr__(seq) if seq is not None else "null"}, '
        f'"digest": {_Q + qdigest.hex() + _Q if qdigest else "null"}, "problems": []}}, '
        f'"response": {_HEADS[sf.direction]}{float.__repr__(st)}, "end_time": {float.__repr__(se)}, '
        f'"source": {json_str(sf.source) if sf.source else _EMPTY}, "hex": "{sraw.hex()}", '
        f'"length": {len(sraw) - 2}, "segments": {int.__repr__(sf.segments)}'
        f"{_response_middle(resp.mode, resp.code)}"
        f'{int.__repr__(rcount) if rcount is not None else "null"}, '
        f'"data": {_Q + sdata.hex() + _Q if sdata else "null"}, '
        f'"next_seq": {int.__repr__(next_seq) if next_seq is not None else "null"}, '
        f'"digest": {_Q + sdigest.hex() + _Q if sdigest else "null"}, "problems": []}}, '
        f'"pairing": {{"rule": "order", "latency": {float.__repr__(latency)}, "retries": [], '
        f'"extra_responses": []}}, "security": {_security(rec.security)}, '
        f'"decoded": {_decoded(rec)}, "procedure": null, "transaction": null, "malformed": null, '
        f'"warnings": {str_list(warnings) if warnings else "[]"}}}'
    )
