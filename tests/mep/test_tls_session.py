"""End to end: the security engineer's TLS vectors (tests/data/tls) through the MEP dissector
with a KeyRing holding the test-only PSK: every table read inside the session decodes with field
values; the wrong-PSK capture says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.mep import Dissector, TableContext
from osgpdissect.security import KeyRing, PskEntry, Security
from osgpdissect.security.tls import DECRYPTION_FAILED

DATA = Path(__file__).resolve().parents[1] / "data" / "tls"


def _runs(name: str) -> list[ByteRun]:
    runs = []
    for i, line in enumerate((DATA / f"{name}.hex").read_text().splitlines()):
        if not line.strip():
            continue
        tag, hexa = line.split(None, 1)
        direction = Direction.C2S if tag == "C->S" else Direction.S2C
        runs.append(ByteRun(direction, bytes.fromhex(hexa), 0.3 * i, source=f"{name}:{i + 1}"))
    return runs


def _sidecar(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def _keys(side: dict, key: str = "psk_hex") -> Security:
    entry = PskEntry(bytes.fromhex(side["psk_identity_hex"]), bytes.fromhex(side[key]))
    return Security(KeyRing(psk=[entry]))


@pytest.mark.parametrize("name", ["session_ems", "session_no_ems"])
def test_every_table_read_in_the_session_decodes(name):
    side = _sidecar(name)
    # The session reads ET70.142 (the MEP port), which exists on 4.0+ meters: a gen4 profile.
    tables = TableContext(profile="gen4")
    records = list(Dissector(security=_keys(side), tables=tables).dissect(_runs(name)))
    assert all(r.kind != "malformed" for r in records)
    inner = [i for r in records for i in (r.security or {}).get("inner", [])]
    requests = [i["request"] for i in inner if "request" in i]
    responses = [i["response"] for i in inner if "response" in i]
    wanted = side["exchanges"]
    assert len(requests) == len(wanted) and len(responses) == len(wanted)
    decoded = [r.table for r in records if r.table is not None]
    reads = [x for x in wanted if x["request"].startswith(("3F", "30"))]
    assert [t.table for t in decoded] == ["ET11", "BT20", "BT21", "ET70", "ET50"]
    assert len([t for t in decoded if t.table != "ET50"]) == len(reads)
    by_table = {t.table: t for t in decoded}
    et11 = {n.name: n for n in by_table["ET11"].nodes}
    assert et11["num_devices"].value == 5 and et11["config_entry_size"].value == 66
    # BT20 is "referenced" in the spec (dims only, no layout): its bytes are shown raw.
    assert [n.name for n in by_table["BT20"].nodes] == ["_extra"]
    bt21 = {n.name: n for n in by_table["BT21"].nodes}
    assert bt21["nbr_summations"].value == 15 and bt21["nbr_tiers"].value == 4
    for t in decoded:
        if t.table == "BT20":
            continue
        assert _has_value(t.nodes), (t.table, t.nodes)
    et70 = {n.name: n for n in by_table["ET70"].nodes}
    assert et70["current_comm_channel_index"].value == 2
    assert et70["current_comm_channel_index"].enum == "port for MEP client 2 (MEP2)"
    et50 = by_table["ET50"]  # the registration write inside TLS
    assert _find(et50.nodes, "MEP Device Registered").value in (1, True)


def test_default_profile_infers_gen4_from_et70_beyond_its_layout():
    """ET70 read past the default (3.X) profile's 142-byte layout: issue 15 item 2 infers a
    newer firmware from those bytes instead of showing them as "beyond the layout"."""
    side = _sidecar("session_ems")
    records = list(Dissector(security=_keys(side)).dissect(_runs("session_ems")))
    et70 = next(r.table for r in records if r.table is not None and r.table.table == "ET70")
    assert "firmware >= 4.00 inferred from the 143-byte ET70" in et70.warnings
    assert not any("beyond" in w for w in et70.warnings)


def _has_value(nodes) -> bool:
    return any(n.value is not None or _has_value(n.children) for n in nodes)


def _find(nodes, orig_name):
    for n in nodes:
        if n.orig_name == orig_name:
            return n
        found = _find(n.children, orig_name)
        if found is not None:
            return found
    return None


def test_wrong_psk_says_so():
    side = _sidecar("wrong_psk")
    records = list(Dissector(security=_keys(side, "server_psk_hex")).dissect(_runs("wrong_psk")))
    events = [e for r in records for e in (r.security or {}).get("events", [])]
    assert any(DECRYPTION_FAILED in e for e in events), events
    assert not any(r.table for r in records)


def test_wrong_psk_capture_with_the_clients_key_shows_the_servers_alert():
    """With the client's PSK the client's Finished decrypts; the server (other PSK) rejects it
    with a bad_record_mac alert: no table is decoded and nothing claims success."""
    side = _sidecar("wrong_psk")
    records = list(Dissector(security=_keys(side)).dissect(_runs("wrong_psk")))
    events = [e for r in records for e in (r.security or {}).get("events", [])]
    assert any("bad_record_mac" in e for e in events), events
    assert not any(r.table for r in records)
