"""Flat rows of the archive tables, from decoded records (plain dicts: no pyarrow here).

An ``exchanges`` row is one record of the JSON-lines output, flattened (the same masking of
passwords, since it is made from ``Decoded.to_json()``).  ``fields`` rows come from the codec's
decoded tree (:class:`osgpdissect.codec.Node`): one row per field that holds a value, its path
the node names joined with dots (``register_data.totals.fwd_active_wh``, array entries as
``[4]``), as :meth:`osgpdissect.codec.DecodeResult.find` takes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from osgpdissect.c1218.severity import classify
from osgpdissect.jsontext import dumps

__all__ = ["exchange_row", "field_rows", "part_name", "value_columns"]

_INT64 = (-(2**63), 2**63 - 1)


def part_name(capture: str) -> str:
    """The file name of a capture's part in each table folder: the same capture always lands
    in the same part, whatever the order or the worker that decoded it."""
    return "part-" + hashlib.sha1(capture.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def exchange_row(capture: str, item: Any) -> dict[str, Any]:
    """One ``exchanges`` row of a :class:`osgpdissect.cli.pipeline.Decoded` item."""
    rec = item.record
    out = item.to_json()
    req = out.get("request") or {}
    resp = out.get("response") or {}
    bad = out.get("malformed") or {}
    sec = out.get("security") or {}
    dec = out.get("decoded") or {}
    pairing = out.get("pairing") or {}
    first = req or resp or bad or out.get("alert") or out.get("link") or {}
    errors, notes = classify(rec, item.line_errors)
    return {
        "capture": capture,
        "record": out["index"],
        "kind": out["record"],
        "protocol": out.get("protocol"),
        "time": out["time"],
        "direction": first.get("direction"),
        "request_time": req.get("time"),
        "response_time": resp.get("time"),
        "latency": pairing.get("latency"),
        "code": req.get("code"),
        "code_name": req.get("code_name"),
        "response_code": resp.get("code"),
        "response_code_name": resp.get("code_name"),
        "table": req.get("table") or dec.get("table"),
        "table_number": req.get("table_number"),
        "table_name": req.get("table_name") or dec.get("name") or None,
        "offset": req.get("offset"),
        "count": req.get("count"),
        "seq": req.get("seq"),
        "next_seq": resp.get("next_seq"),
        "request_digest": sec.get("request_digest"),
        "response_digest": sec.get("response_digest"),
        "request_hex": req.get("hex"),
        "response_hex": resp.get("hex"),
        "malformed_hex": bad.get("hex"),
        "malformed_reason": bad.get("reason"),
        "errors": errors,
        "notes": notes,
        "warnings": list(out.get("warnings") or ()),
        "line_errors": [hit.text() for hit in item.line_errors],
        "defaults_used": list(dec.get("defaults_used") or ()),
        "table_warnings": list(dec.get("warnings") or ()),
    }


def field_rows(capture: str, record: int, decoding: Any) -> Iterator[dict[str, Any]]:
    """``fields`` rows of a table decoding (``TableDecoding`` or ``DecodeResult``): every node
    with a value or without children, depth first, in tree order."""
    if decoding is None:
        return
    table = getattr(decoding, "table", None) or getattr(decoding, "table_id", "")
    dims = dimensions(decoding)
    stack = [(node, node.name) for node in reversed(decoding.nodes)]
    while stack:
        node, path = stack.pop()
        if node.value is not None or not node.children:
            row = {"capture": capture, "record": record, "table": table, "path": path,
                   "name": node.orig_name, "offset": node.offset, "size": node.size}
            row.update(value_columns(node.value))
            row.update(unit=node.unit, enum=node.enum, raw=node.raw or None,
                       partial=bool(node.partial), dimensions=dims)
            yield row
        stack.extend((child, f"{path}.{child.name}") for child in reversed(node.children))


def dimensions(decoding: Any) -> str | None:
    """``"defaulted"`` (the layout used spec defaults for a dimension the capture did not
    show), ``"inferred"`` (dimensions inferred from table sizes) or None (from the device's
    own dimension tables, or the table has none)."""
    if decoding.defaults_used:
        return "defaulted"
    if any(w.startswith("dimensions inferred") for w in decoding.warnings):
        return "inferred"
    return None


def value_columns(value: Any) -> dict[str, Any]:
    """A node value as ``value_num`` (float), ``value_int`` (exact integers) and
    ``value_text`` (its JSON-output text: strings as they are, booleans ``true``/``false``)."""
    num: float | None = None
    exact: int | None = None
    if isinstance(value, bool):
        num, exact, text = float(value), int(value), "true" if value else "false"
    elif isinstance(value, int):
        num, text = float(value), str(value)
        exact = value if _INT64[0] <= value <= _INT64[1] else None
    elif isinstance(value, float):
        num, text = value, dumps(value)
    elif isinstance(value, str):
        text = value
    elif value is None:
        text = None
    else:
        text = dumps(value)
        text = text[1:-1] if text.startswith('"') else text
    return {"value_num": num, "value_int": exact, "value_text": text}
