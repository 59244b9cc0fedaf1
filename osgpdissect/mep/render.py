"""Text renderings of records: a tshark -V-like tree and one-line summaries (pure functions)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.records import Record
from osgpdissect.c1218.render import decoded_lines, table_lines
from osgpdissect.c1218.severity import mark

__all__ = ["summary_line", "tree_lines"]


def _t(time: float | None) -> str:
    return f"{time:12.6f}" if time is not None else " " * 12


def _table(number: int | None, name: str) -> str:
    if number is None:
        return "?"
    return f"{C.table_id(number)}{' ' + name if name else ''}"


def summary_line(rec: Record) -> str:
    """One line per record."""
    head = f"{rec.index:6d} {_t(rec.time)} "
    if rec.kind == "alert":
        return head + "S->C  Alert (00 00)"
    if rec.kind == "malformed" and rec.malformed is not None:
        bad = rec.malformed
        return head + f"{bad.direction.value}  MALFORMED {len(bad.raw)} bytes: {bad.reason}"
    req, resp = rec.request, rec.response
    parts = []
    if req is not None:
        if req.table is not None:
            where = f" @{req.offset}" if req.offset else ""
            count = f" x{req.count}" if req.count is not None else ""
            parts.append(
                f"{C.request_code_name(req.code or 0)} {_table(req.table, rec.table_name)}{where}{count}"
            )
        elif req.mode == "tls":
            parts.append(C.request_code_name(req.code or 0))
        else:
            parts.append("encrypted/unknown request")
    if resp is not None and resp.code is not None:
        parts.append("-> " + C.response_code_name(resp.code, resp.mode == "tls"))
    elif rec.kind == "unanswered":
        parts.append("-> (no response)")
    if rec.procedure:
        p = rec.procedure
        if p.get("kind") == "procedure call":
            parts.append(f"[call {p.get('procedure')} PSN {p.get('psn')}]")
        else:
            parts.append(
                f"[result {p.get('procedure')} PSN {p.get('psn')}: {p.get('result_name')}]"
            )
    if rec.transaction:
        t = rec.transaction
        parts.append(f"[transaction {t.get('number')} {t.get('type_name', '')}]")
    if rec.retries:
        parts.append(f"({len(rec.retries)} retr{'y' if len(rec.retries) == 1 else 'ies'})")
    return head + f"{rec.kind:10s} " + " ".join(parts) + mark(rec)


def tree_lines(rec: Record) -> Iterator[str]:
    """The record as an indented tree."""
    yield summary_line(rec)
    if rec.malformed is not None:
        bad = rec.malformed
        yield f"    Malformed ({bad.reason}), source {bad.source or '-'}"
        shown = bad.hex
        yield f"        bytes: {' '.join(shown[i : i + 2] for i in range(0, len(shown), 2))}"
    if rec.request_frame is not None:
        yield from _frame_lines("Request", rec, rec.request_frame, _request_fields(rec))
    if rec.response_frame is not None:
        yield from _frame_lines("Response", rec, rec.response_frame, _response_fields(rec))
    if rec.retries:
        for retry in rec.retries:
            yield f"    Retry at {_t(retry.time).strip()}: {retry.kind}"
    if rec.latency is not None:
        yield f"    Response latency: {rec.latency * 1000:.1f} ms"
    if rec.security:
        yield "    Security"
        for key, value in rec.security.items():
            if value in (None, [], ""):
                continue
            if key == "inner":
                yield from _inner_lines(value)
            elif isinstance(value, list):
                for v in value:
                    yield f"        {key}: {v}"
            else:
                yield f"        {key}: {value}"
    if rec.table is not None:
        yield f"    {rec.table.label} @{rec.table.offset} ({len(rec.table.data)} bytes)"
        yield from table_lines(rec.table)
    if rec.procedure:
        yield from _mapping("Procedure", rec.procedure, 1)
    if rec.transaction:
        yield from _transaction(rec.transaction)
    for w in rec.warnings:
        yield f"    Warning: {w}"


def _request_fields(rec: Record) -> list[str]:
    req = rec.request
    if req is None:
        return []
    out = [
        f"Code: 0x{req.code:02X} ({C.request_code_name(req.code)})"
        if req.code is not None
        else "Code: ?"
    ]
    if req.table is not None:
        out.append(f"Table: 0x{req.table:04X} ({_table(req.table, rec.table_name)})")
    if req.offset is not None and req.code in (C.PARTIAL_READ, C.PARTIAL_WRITE):
        out.append(f"Offset: {req.offset}")
    if req.count is not None:
        label = "Max length" if req.code == C.FULL_READ else "Count"
        out.append(f"{label}: {req.count}")
    if req.data:
        out.append(f"Data: {req.data.hex(' ')}")
    if req.payload:
        out.append(f"TLS records: {len(req.payload)} bytes")
    if req.seq is not None:
        out.append(f"Sequence number: 0x{req.seq:08X}")
    if req.digest:
        out.append(f"Digest: {req.digest.hex(' ')}")
    out.extend(f"Problem: {p}" for p in req.problems)
    return out


def _response_fields(rec: Record) -> list[str]:
    resp = rec.response
    if resp is None:
        return []
    tls = resp.mode == "tls"
    out = []
    if resp.code is not None:
        out.append(f"Code: 0x{resp.code:02X} ({C.response_code_name(resp.code, tls)})")
    if resp.next_seq is not None:
        out.append(f"Sequence number: 0x{resp.next_seq:08X}")
    if resp.count is not None:
        out.append(f"Count: {resp.count}")
    if resp.data:
        out.append(f"Data: {resp.data.hex(' ')}")
    if resp.payload:
        out.append(f"TLS records: {len(resp.payload)} bytes")
    if resp.digest:
        out.append(f"Digest: {resp.digest.hex(' ')}")
    out.extend(f"Problem: {p}" for p in resp.problems)
    return out


def _frame_lines(title: str, rec: Record, frame: Any, fields: list[str]) -> Iterator[str]:
    seg = f", {frame.segments} segments" if frame.segments > 1 else ""
    at = f" at {frame.time:.6f}" if frame.time is not None else ""
    yield f"    {title} {frame.direction.value}{at}, length {frame.length}{seg}"
    if frame.shown_hex is not None:  # masked bytes: shown instead of decoded fields
        shown = frame.shown_hex
        yield f"        bytes: {' '.join(shown[i : i + 2] for i in range(0, len(shown), 2))}"
    for line in fields:
        yield f"        {line}"


def _inner_lines(inner: list[dict[str, Any]]) -> Iterator[str]:
    """The C12.18 messages carried inside TLS application data, one line each."""
    for item in inner:
        for side, msg in item.items():
            parts = [f"{msg.get('code_name')} (0x{msg.get('code', 0):02X})"]
            if msg.get("table"):
                parts.append(str(msg["table"]))
            for key in ("offset", "count"):
                if msg.get(key) is not None:
                    parts.append(f"{key} {msg[key]}")
            if msg.get("data"):
                parts.append(f"data {msg['data']}")
            parts += [f"problem: {p}" for p in msg.get("problems") or []]
            yield f"        Inner {side}: {', '.join(parts)}"


def _mapping(title: str, data: dict[str, Any], depth: int) -> Iterator[str]:
    pad = "    " * depth
    yield f"{pad}{title}"
    for key, value in data.items():
        if key in ("raw",) or value in (None, [], ""):
            continue
        if isinstance(value, dict):
            yield from _mapping(key, value, depth + 1)
        elif isinstance(value, list):
            for v in value:
                yield f"{pad}    {key}: {v}"
        else:
            yield f"{pad}    {key}: {value}"


def _transaction(txn: dict[str, Any]) -> Iterator[str]:
    yield (
        f"    Transaction {txn.get('number')} ({txn.get('kind')}, type {txn.get('type_name')}, "
        f"size {txn.get('size')}{'' if txn.get('complete') else ', incomplete'})"
    )
    for p in txn.get("problems") or []:
        yield f"        problem: {p}"
    for i, cmd in enumerate(txn.get("commands") or []):
        yield f"        Command {i}: {_command(cmd)}"
    for item in txn.get("responses") or []:
        cmd = item.get("command")
        resp = item.get("response") or {}
        yield f"        Response {item['index']}: {resp.get('code_name')}" + (
            f" to {_command(cmd)}" if cmd else ""
        )
        if resp.get("data"):
            yield f"            data: {resp['data']}"
        decoded = item.get("decoded")
        if decoded is not None:
            yield f"            {decoded.label}"
            yield from decoded_lines(decoded.nodes, 4)


def _command(cmd: dict[str, Any]) -> str:
    where = f" @{cmd['offset']}" if cmd.get("offset") else ""
    count = f" x{cmd['count']}" if cmd.get("count") is not None else ""
    return f"{cmd.get('code_name')} {cmd.get('table')}{where}{count}"
