"""Shared data for the codec tests: the tables and procedure parts of the shipped spec, hand-made
values for layouts that depend on their own bytes and the guide's vectors."""

from __future__ import annotations

import json
from pathlib import Path

from osgpdissect.codec import Device, encode_table
from osgpdissect.lang.spec import load_default_spec

SPEC = load_default_spec()
PROFILES = ("gen3", "gen4")
REPO = Path(__file__).resolve().parents[2]

TXN = {
    "transaction_size": 17,
    "transaction_type": 0,
    "transaction_number": 2,
    "record_list": {
        "records": [{"length_l": 8, "message": bytes.fromhex("3F0017000000002C")}],
        "_pad": b"",
    },
    "transaction_number_end": 2,
}
HAND_MADE: dict[str, dict] = {
    "ET42": {"required_length": 8},
    "ET52": TXN,
    "ET53": {**TXN, "transaction_type": 1},
}


def _tables() -> list[str]:
    return [
        tid
        for tid, t in sorted(SPEC.tables.items())
        if not (t.header.status == "referenced" or (not t.body and not t.header.layout_of))
    ]


TABLES = _tables()
PROC_PARTS = [
    (pid, part)
    for pid, p in sorted(SPEC.procedures.items())
    for part, items in (("request", p.request), ("response", p.response))
    if items
]
ALL_PARTS = [(t, "table") for t in TABLES] + PROC_PARTS


def guide_vectors() -> list[tuple[str, str, bytes, int]]:
    """(id, table, bytes, offset) of the guide's example table payloads the spec lays out."""
    data = json.loads((REPO / "tests" / "data" / "guide-frames.json").read_text(encoding="utf-8"))
    return [
        (v["id"], v["table"], bytes.fromhex(v["hex"]), v.get("offset") or 0)
        for v in data
        if v.get("table") in TABLES and v.get("hex")
    ]


def defaults(table: str, profile: str, part: str = "table") -> bytes:
    """The table's bytes from spec defaults (hand-made values where the layout needs them)."""
    return encode_table(SPEC, table, HAND_MADE.get(table, {}), Device(SPEC, profile), part=part)
