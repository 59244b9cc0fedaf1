"""Text renderings of optical records (one-line summary, tree), passwords masked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from osgpdissect.c1218.codes import table_id
from osgpdissect.c1218.render import table_lines
from osgpdissect.c1218.severity import mark
from osgpdissect.optical import codes as C

__all__ = ["summary_line", "tree_lines"]


def _t(time: float | None) -> str:
    return f"{time:12.6f}" if time is not None else " " * 12


def summary_line(rec: Any) -> str:
    """One line per record."""
    head = f"{rec.index:6d} {_t(rec.time)} "
    blob = rec.to_json()
    if rec.token is not None:
        tok = rec.token
        count = f" x{tok.count}" if tok.count > 1 else ""
        return head + f"{tok.direction.value}  optical {tok.kind}{count}" + mark(rec)
    if blob["malformed"] is not None:
        bad = blob["malformed"]
        return head + f"{bad['direction']}  MALFORMED {len(rec.malformed.raw)} bytes: {bad['reason']}"  # type: ignore[union-attr]
    parts = []
    req, resp = blob["request"], blob["response"]
    if req is not None:
        what = req.get("service") or "?"
        if req.get("table"):
            where = f" @{req['offset']}" if req.get("offset") else ""
            count = f" x{req['count']}" if req.get("count") is not None else ""
            what += f" {req['table']}{' ' + rec.table_name if rec.table_name else ''}{where}{count}"
        parts.append(what)
    if resp is not None and resp.get("code_name"):
        parts.append("-> " + resp["code_name"])
    elif rec.kind == "unanswered":
        parts.append("-> (no response)")
    if rec.retries:
        parts.append(f"({len(rec.retries)} retransmission{'s' if len(rec.retries) > 1 else ''})")
    return head + f"{rec.kind:10s} optical " + " ".join(parts) + mark(rec)


def tree_lines(rec: Any) -> Iterator[str]:
    """The record as an indented tree."""
    blob = rec.to_json()
    yield summary_line(rec)
    if blob["malformed"] is not None:
        bad = blob["malformed"]
        yield f"    Malformed ({bad['reason']}), source {bad['source'] or '-'}"
        yield f"        bytes: {bad['hex'] or bad.get('masked_hex')}"
    for title, part in (("Request", blob["request"]), ("Response", blob["response"])):
        if part is not None:
            yield from _message_lines(title, part)
    for retry in rec.retries:
        yield f"    Retransmission at {_t(retry.time).strip()}: {retry.kind}"
    if rec.latency is not None:
        yield f"    Response latency: {rec.latency * 1000:.1f} ms"
    if rec.security:
        yield "    Session"
        for key, value in rec.security.items():
            if value not in (None, "", []):
                yield f"        {key}: {value}"
    if rec.table is not None:
        yield f"    {rec.table.label} @{rec.table.offset} ({len(rec.table.data)} bytes)"
        yield from table_lines(rec.table)
    if rec.procedure:
        yield "    Procedure"
        for key, value in rec.procedure.items():
            if value not in (None, "", []) and key != "raw":
                yield f"        {key}: {value}"
    for w in rec.warnings:
        yield f"    Warning: {w}"


def _message_lines(title: str, part: dict[str, Any]) -> Iterator[str]:
    seg = f", {part['segments']} packets" if part.get("segments", 1) > 1 else ""
    at = f" at {part['time']:.6f}" if part.get("time") is not None else ""
    yield f"    {title} {part['direction']}{at}, {part['length']} data bytes{seg}"
    code = part.get("code")
    if code is not None:
        name = part.get("service") or part.get("code_name")
        text = f", {part['code_text']}" if part.get("code_text") else ""
        yield f"        Code: 0x{code:02X} ({name}{text})"
    if part.get("table_number") is not None:
        yield f"        Table: 0x{part['table_number']:04X} ({table_id(part['table_number'])})"
    for key in ("offset", "count", "checksum"):
        if part.get(key) is not None and not (key == "offset" and part.get("code") == C.FULL_READ):
            yield f"        {key.capitalize()}: {part[key]}"
    for key, value in (part.get("fields") or {}).items():
        yield f"        {key}: {value}"
    for p in part.get("problems") or []:
        yield f"        Problem: {p}"
    for p in part.get("message_problems") or []:
        yield f"        Link problem: {p}"
    for e in part.get("link_log") or []:
        detail = f" {e['detail']}" if e.get("detail") else ""
        yield f"        link {_t(e['time']).strip()} {e['direction']} {e['kind']}{detail}"


