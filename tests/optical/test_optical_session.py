"""A synthetic optical session made with the builders dissects into a readable session."""

from __future__ import annotations

import json

from optical_helpers import BT01, PASSWORD, device, session_runs, table_image, timed

from osgpdissect.bytestream import Direction
from osgpdissect.optical import builders as B
from osgpdissect.optical import decode_optical_runs


def _records(**kw):
    return [r.to_json() for r in decode_optical_runs(session_runs(), device(), **kw)]


def test_session_dissects_into_exchanges():
    recs = _records()
    assert [r["record"] for r in recs] == ["wakeup"] + ["exchange"] * 10
    services = [r["request"]["service"] for r in recs[1:]]
    assert services == ["ident", "negotiate", "logon", "security", "read", "read", "read", "read",
                        "logoff", "terminate"]
    assert all(r["response"]["code_name"] == "ok" for r in recs[1:])
    assert all(r["warnings"] == [] for r in recs), [r["warnings"] for r in recs]
    assert [r["index"] for r in recs] == list(range(1, 12))
    assert all(r["protocol"] == "optical" for r in recs)
    assert recs[0]["link"]["kind"] == "wakeup"


def test_every_table_decoded():
    recs = {r["request"]["table"]: r for r in _records()[1:] if r["request"]["table"]}
    assert set(recs) == {"BT00", "BT01", "BT21", "BT23"}
    for table, rec in recs.items():
        decoded = rec["decoded"]
        assert decoded["table"] == table
        assert decoded["fields"] and decoded["fields"][0]["name"] != "data", table
        assert not any("failed" in w or "unavailable" in w for w in decoded["warnings"]), decoded["warnings"]
        assert rec["request"]["table_name"]
    assert recs["BT01"]["decoded"]["size"] == len(BT01)
    assert recs["BT23"]["decoded"]["size"] == len(table_image("BT23"))


def test_bt23_arrives_as_a_multi_packet_response():
    bt23 = next(r for r in _records()[1:] if r["request"]["table"] == "BT23")
    packets = bt23["response"]["packets"]
    assert len(packets) > 1
    assert [p["seq"] for p in packets] == list(range(len(packets) - 1, -1, -1))
    assert packets[0]["flags"][:2] == ["multi", "first"]
    assert bt23["response"]["segments"] == len(packets)
    assert bt23["response"]["checksum"] is not None and bt23["response"]["problems"] == []
    acks = [e for e in bt23["response"]["link_log"] if e["kind"] == "ack"]
    assert len(acks) == len(packets)


def test_ident_negotiate_logon_readable():
    recs = _records()
    ident, neg, logon = recs[1], recs[2], recs[3]
    assert ident["response"]["fields"]["std_name"] == "ANSI C12.18"
    assert neg["request"]["fields"]["packet_size"] == 256
    assert neg["response"]["fields"]["baud_rate"] == "9600"
    assert logon["request"]["fields"]["user"] == "reader"
    assert logon["security"]["logged_on"] is True


def test_password_masked_by_default():
    text = json.dumps(_records())
    secret_hex = PASSWORD.encode().hex()
    assert PASSWORD not in text and secret_hex not in text
    sec = _records()[4]
    assert sec["request"]["fields"]["password"] == "********"
    assert sec["security"]["password"] == "masked"
    assert sec["request"]["hex"] is None and "**" in sec["request"]["masked_hex"]


def test_password_shown_on_request():
    sec = _records(show_password=True)[4]
    assert PASSWORD.encode().hex() in sec["request"]["fields"]["password"]
    assert PASSWORD.encode().hex() in sec["request"]["hex"]


def test_nes_zero_ack_accepted():
    runs = B.session([(B.ident(), B.ident_response()), (B.read(1), B.read_response(BT01))], ack=0x00)
    recs = [r.to_json() for r in decode_optical_runs(runs, device())]
    assert [r["record"] for r in recs] == ["wakeup", "exchange", "exchange"]
    assert all(r["warnings"] == [] for r in recs)
    kinds = [e["kind"] for e in recs[1]["request"]["link_log"]]
    assert "ack0" in kinds


def test_device_learns_across_reads():
    dev = device()
    list(decode_optical_runs(session_runs(), dev))
    assert dev.known("BT00", 0, 4) == table_image("BT00")[:4]


def test_directions_and_times():
    recs = _records()
    read = recs[5]
    assert read["request"]["direction"] == Direction.C2S.value
    assert read["response"]["direction"] == Direction.S2C.value
    assert read["pairing"]["latency"] > 0


def test_password_masked_in_damaged_packets():
    runs = B.session([B.Exchange(B.security(PASSWORD), B.ok(), request_naks=1)])
    stray = B.security(PASSWORD)[1:]  # start byte lost: shows up as garbage
    runs.append(timed(Direction.C2S, stray, 5.0))
    text = json.dumps([r.to_json() for r in decode_optical_runs(runs, device())])
    assert "malformed" in text
    assert PASSWORD.encode().hex() not in text


def test_json_line_is_the_optical_record_not_the_mep_template():
    """Regression: ``to_json_line`` (the ``decode -O json`` path) went through the MEP record
    template, which drops the optical fields and printed the logon packet's password bytes."""
    for show in (False, True):
        for rec in decode_optical_runs(session_runs(), device(), show_password=show):
            assert json.loads(rec.to_json_line()) == json.loads(json.dumps(rec.to_json()))
    lines = [r.to_json_line() for r in decode_optical_runs(session_runs(), device())]
    assert not [line for line in lines if PASSWORD.encode().hex() in line]
