"""The output model: one :class:`Record` per exchange, alert or malformed stretch.

``Record.to_json()`` is the JSON-lines schema of ``osgpdissect decode --output json``::

    {"record": "exchange" | "unanswered" | "orphan" | "alert" | "malformed",
     "index": int, "time": float|null,
     "request":  {"direction", "time", "end_time", "source", "hex", "length", "mode",
                  "code", "code_name", "table", "table_number", "table_name", "offset", "count",
                  "data", "seq", "digest", "problems"} | null,
     "response": {"direction", "time", "end_time", "source", "hex", "length", "mode", "code",
                  "code_name", "count", "data", "next_seq", "digest", "segments",
                  "problems"} | null,
     "pairing":  {"rule", "latency", "retries": [{"time", "kind"}], "extra_responses": [hex]},
     "security": {"request_digest", "response_digest", "access_level", "encrypted", "notes"},
     "decoded":  {"table", "name", "offset", "size", "fields": [node], "defaults_used",
                  "warnings"} | null,
     "procedure": {...} | null, "transaction": {...} | null,
     "malformed": {"direction", "time", "end_time", "source", "hex", "reason"} | null,
     "warnings": [str]}

``node`` is the decoded-field shape of ``osgpdissect.codec.Node.to_json``: name, orig_name,
offset, size, value, raw (hex), enum, unit, partial, children.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.messages import Alert, Frame, Malformed, Request, Response
from osgpdissect.c1218.tables import TableDecoding
from osgpdissect.jsontext import dumps, jsonable

__all__ = ["Record", "Retry", "split_masked_hex"]


_NODE_TREES = frozenset({"fields", "children"})  # decoded-field lists: no ``hex`` keys


def split_masked_hex(data: Any) -> Any:
    """Keep every ``hex`` key pure hex: where bytes are masked (``**``, a password), ``hex``
    becomes null and the masked text moves to ``masked_hex``.  Rewrites ``data`` in place.

    Decoded-field trees (``fields``, ``children``: :meth:`Node.to_json`, keyed ``raw``) are not
    walked: they hold no ``hex`` key, and a table read holds hundreds of nodes."""
    if isinstance(data, dict):
        text = data.get("hex")
        if isinstance(text, str) and "*" in text:
            data["hex"] = None
            data["masked_hex"] = text
        for key, value in data.items():
            if isinstance(value, dict | list) and key not in _NODE_TREES:
                split_masked_hex(value)
    elif isinstance(data, list):
        for value in data:
            if isinstance(value, dict | list):
                split_masked_hex(value)
    return data


@dataclass(slots=True)
class Retry:
    time: float | None
    kind: str  # "identical resend"


@dataclass(slots=True)
class Record:
    kind: str
    index: int = 0
    request_frame: Frame | None = None
    response_frame: Frame | None = None
    request: Request | None = None
    response: Response | None = None
    retries: list[Retry] = field(default_factory=list)
    extra_responses: list[Frame] = field(default_factory=list)
    security: dict[str, Any] | None = None
    table: TableDecoding | None = None
    table_name: str = ""
    procedure: dict[str, Any] | None = None
    transaction: dict[str, Any] | None = None
    alert: Alert | None = None
    malformed: Malformed | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def time(self) -> float | None:
        for item in (self.request_frame, self.response_frame, self.alert, self.malformed):
            if item is not None:
                return item.time
        return None

    @property
    def latency(self) -> float | None:
        req, resp = self.request_frame, self.response_frame
        if req is None or resp is None or req.end_time is None or resp.time is None:
            return None
        return round(resp.time - req.end_time, 9)  # ns: no float noise (0.04104199999999991)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"record": self.kind, "index": self.index, "time": self.time}
        out["request"] = self._request_json() if self.request_frame is not None else None
        out["response"] = self._response_json() if self.response_frame is not None else None
        out["pairing"] = (
            {
                "rule": "order",
                "latency": self.latency,
                "retries": [{"time": r.time, "kind": r.kind} for r in self.retries],
                "extra_responses": [f.hex for f in self.extra_responses],
            }
            if self.kind in ("exchange", "unanswered", "orphan")
            else None
        )
        out["security"] = self.security
        out["decoded"] = self.table.to_json() if self.table is not None else None
        out["procedure"] = self.procedure
        out["transaction"] = jsonable(self.transaction)
        out["malformed"] = _malformed_json(self.malformed) if self.malformed else None
        if self.alert is not None:
            out["alert"] = {
                "direction": self.alert.direction.value,
                "time": self.alert.time,
                "source": self.alert.source,
            }
        out["warnings"] = list(self.warnings)
        return out

    def to_json_line(self) -> str:
        """The record as one JSON line (bytes as hex)."""
        return dumps(self.to_json())

    def _json_mode(self, mode: str) -> str:
        """The frame's mode as JSON says it: an RC4-mode frame is ``"rc4"`` only when the
        exchange was encrypted, else ``"plain"`` (digest-authenticated, readable as sent)."""
        if mode != "rc4":
            return mode
        return "rc4" if (self.security or {}).get("encrypted") else "plain"

    def _request_json(self) -> dict[str, Any]:
        frame, req = self.request_frame, self.request
        assert frame is not None
        out = _frame_json(frame)
        if req is None:
            return out
        out.update(
            mode=self._json_mode(req.mode),
            code=req.code,
            code_name=C.request_code_name(req.code) if req.code is not None else None,
            table=C.table_id(req.table) if req.table is not None else None,
            table_number=req.table,
            table_name=self.table_name,
            offset=req.offset,
            count=req.count,
            data=req.data.hex() if req.data else None,
            seq=req.seq,
            digest=req.digest.hex() if req.digest else None,
            problems=list(req.problems),
        )
        if req.payload:
            out["payload"] = req.payload.hex()
        return out

    def _response_json(self) -> dict[str, Any]:
        frame, resp = self.response_frame, self.response
        assert frame is not None
        out = _frame_json(frame)
        if resp is None:
            return out
        tls = resp.mode == "tls"
        out.update(
            mode=self._json_mode(resp.mode),
            code=resp.code,
            code_name=C.response_code_name(resp.code, tls) if resp.code is not None else None,
            count=resp.count,
            data=resp.data.hex() if resp.data else None,
            next_seq=resp.next_seq,
            digest=resp.digest.hex() if resp.digest else None,
            problems=list(resp.problems),
        )
        if resp.payload:
            out["payload"] = resp.payload.hex()
        return out


def _frame_json(frame: Frame) -> dict[str, Any]:
    return _with_masked_hex({
        "direction": frame.direction.value,
        "time": frame.time,
        "end_time": frame.end_time,
        "source": frame.source,
        "hex": frame.hex,
        "length": frame.length,
        "segments": frame.segments,
    })


def _malformed_json(bad: Malformed) -> dict[str, Any]:
    return _with_masked_hex({
        "direction": bad.direction.value,
        "time": bad.time,
        "end_time": bad.end_time,
        "source": bad.source,
        "hex": bad.hex,
        "reason": bad.reason,
    })


def _with_masked_hex(part: dict[str, Any]) -> dict[str, Any]:
    """``part`` as :func:`split_masked_hex` leaves it: masked bytes (``**``) moved from ``hex``
    to ``masked_hex``.  Frames and stretches are the only parts of a MEP record with bytes
    that the secrets rule masks, so the record is not walked."""
    if "*" in part["hex"]:
        part["masked_hex"] = part["hex"]
        part["hex"] = None
    return part
