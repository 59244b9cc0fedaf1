"""Every RC4-mode frame of the guide dissects; exchanges pair; tables, ET53, EP17, ET50 decode."""

from __future__ import annotations

import pytest
from helpers import GUIDE_KEY, frame_hex, rc4_frames, runs_of
from scapy.packet import raw

from osgpdissect.backends.scapy import MEPRequest, MEPResponse, dissect_frame
from osgpdissect.mep import Dissector, dissect
from osgpdissect.mep.frames import parse_request, parse_response
from osgpdissect.security import Security
from osgpdissect.security.keys import KeyRing

REQUESTS = [v for v in rc4_frames() if v["direction"] == "request"]
RESPONSES = [v for v in rc4_frames() if v["direction"] == "response"]


def _expected(vector: dict, *suffixes: str):
    for key, value in vector["expected"].items():
        if any(key.endswith(s) or s in key for s in suffixes):
            return value
    return None


def _int(value) -> int:
    if isinstance(value, int):
        return value
    return int(str(value).split()[0], 16 if str(value).startswith("0x") else 10)


@pytest.mark.parametrize("vector", REQUESTS, ids=lambda v: v["id"])
def test_request_fields(vector):
    wire = bytes.fromhex(frame_hex(vector))
    req = parse_request(wire)
    assert req.mode == "rc4" and not req.problems
    assert req.code == _int(_expected(vector, "code>", "code}"))
    assert req.table == _int(_expected(vector, "table_id>", "tableid>", "table_id}"))
    offset = _expected(vector, "table_offset>", "table_offset}")
    assert req.offset == (_int(offset) if offset is not None else 0)
    assert req.count == _int(_expected(vector, "<count>", "{count}"))
    assert req.seq == _int(_expected(vector, "[sequence no.]"))
    assert req.digest.hex().upper() == _expected(vector, "[digest]")
    layer = MEPRequest(wire)
    assert (layer.code, layer.table, layer.seq, layer.digest) == (
        req.code,
        req.table,
        req.seq,
        req.digest,
    )
    assert raw(layer) == wire


@pytest.mark.parametrize("vector", RESPONSES, ids=lambda v: v["id"])
def test_response_fields(vector):
    wire = bytes.fromhex(frame_hex(vector))
    resp = parse_response(wire, None)
    assert resp.code == _int(_expected(vector, "response code", "{read_r}"))
    assert resp.digest.hex().upper() == _expected(vector, "[digest]")
    count = _expected(vector, "<count", "{count}")
    if isinstance(count, int):
        assert resp.count == count and len(resp.data) == count
    layer = dissect_frame(wire, "S->C")
    assert isinstance(layer, MEPResponse) and raw(layer) == wire


def test_guide_session_pairs_every_response():
    vectors = rc4_frames()
    by_id = {v["id"]: v for v in vectors}
    records = list(dissect(runs_of(vectors)))
    paired = {}
    for rec in records:
        if rec.response_frame is not None and rec.request_frame is not None:
            paired[rec.response_frame.source] = rec.request_frame.source
    for v in vectors:
        if v["direction"] == "response":
            want = v["pairs_with"]
            got = paired[v["id"]]
            # the Appendix A and B requests are byte-identical: the second is a retry of the first
            assert got == want or by_id[got]["hex"] == by_id[want]["hex"], v["id"]
    assert not [r for r in records if r.kind in ("malformed", "orphan")]


@pytest.fixture(scope="module")
def keyed_records():
    security = Security(KeyRing(mak=GUIDE_KEY))
    return list(dissect(runs_of(rc4_frames()), security=security))


def _record(records, request_id):
    return next(r for r in records if r.request_frame and r.request_frame.source == request_id)


def test_digests_verify_with_the_guide_key(keyed_records):
    rec = _record(keyed_records, "txn_et53_full_read_req")
    assert rec.security["request_digest"] == "verified with MAK"
    assert rec.security["response_digest"] == "verified with MAK"
    assert rec.security["access_level"] == "MAK"


def test_invalid_sequence_then_retry_is_checked(keyed_records):
    first = _record(keyed_records, "rc4_ex1_read_req_bad_seq")
    assert first.response.next_seq == 0x77635B90
    retry = _record(keyed_records, "rc4_ex1_read_req_retry")
    assert any("follows the 0x0C hint" in w for w in retry.warnings)


def test_et52_write_lists_the_six_commands(keyed_records):
    txn = _record(keyed_records, "txn_multi_write_req").transaction
    assert txn["complete"] and txn["number"] == 1 and txn["type_name"] == "requests"
    got = [(c["table"], c["offset"], c["count"]) for c in txn["commands"]]
    assert got == [
        ("ET11", 0, 10),
        ("BT20", 0, 10),
        ("BT21", 0, 10),
        ("ET04", 55, 1),
        ("ET14", 0, 12),
        ("ET15", 0, 31),
    ]


def _fields(decoded) -> dict:
    return {n.name: n for n in decoded.nodes}


def test_et53_read_decodes_six_responses(keyed_records):
    header = _record(keyed_records, "txn_et53_header_read_req").transaction
    assert header["complete"] is False and header["size"] == 111 and header["number"] == 1
    txn = _record(keyed_records, "txn_et53_full_read_req").transaction
    assert txn["complete"] and txn["number"] == 1 and txn["trailer"] == 1 and not txn["problems"]
    responses = txn["responses"]
    assert [r["command"]["table"] for r in responses] == [
        "ET11",
        "BT20",
        "BT21",
        "ET04",
        "ET14",
        "ET15",
    ]
    assert [r["response"]["data"] for r in responses] == [
        "054224050605020103f9",
        "3f0efd0f08100104081a",
        "3f0e0c0f08000104081a",
        "04",
        "000000000011010001042f00",
        "004200010002014500010002014800010002010300f80302014b0001000201",
    ]
    et11 = _fields(responses[0]["decoded"])
    assert et11["num_devices"].value == 5
    assert et11["config_entry_size"].value == 66
    assert et11["data_entry_size"].value == 517
    assert et11["txn_request_len"].value == 769
    bt21 = _fields(responses[2]["decoded"])
    assert bt21["nbr_summations"].value == 15 and bt21["nbr_tiers"].value == 4
    et04 = _fields(responses[3]["decoded"])
    assert et04["max_te_registers"].value == 4
    et14 = _fields(responses[4]["decoded"])
    assert et14["device_occupancy"].value == 0x11


def test_ep17_call_decoded(keyed_records):
    rec = _record(keyed_records, "ep17_bt07_write_req")
    call = rec.procedure
    assert call["kind"] == "procedure call" and call["procedure"] == "EP17"
    assert call["number"] == 0x811 and call["psn"] == 7 and call["response_handling"] == 0
    assert call["parameters"] == "00f803"  # action 0 = remove, device handle 0x03F8 (LSB first)
    assert rec.table is not None and rec.table.table == "BT07"


def _find(nodes, orig_name):
    for n in nodes:
        if n.orig_name == orig_name:
            return n
        found = _find(n.children, orig_name)
        if found is not None:
            return found
    return None


def test_et50_registration_write(keyed_records):
    rec = _record(keyed_records, "rc4_ex2_write_req")
    assert rec.request.table == 0x0832 and rec.request.offset == 30 and rec.request.data == b"\x01"
    node = _find(rec.table.nodes, "MEP Device Registered")
    assert node is not None and node.value in (1, True)
    assert rec.security["response_digest"].startswith("not informative")


def test_procedure_result_matches_call():
    from helpers import rc4_request, rc4_response

    from osgpdissect.bytestream import ByteRun, Direction

    call = rc4_request(0x40, 7, 1, data=bytes.fromhex("11080700F803"))
    result = rc4_request(0x3F, 0x083B, 2, count=5)
    runs = [
        ByteRun(Direction.C2S, call, 0.0),
        ByteRun(Direction.S2C, rc4_response(), 0.1),
        ByteRun(Direction.C2S, result, 1.0),
        ByteRun(Direction.S2C, rc4_response(0, bytes.fromhex("1108070000")), 1.1),
    ]
    records = list(dissect(runs))
    res = records[1].procedure
    assert res["kind"] == "procedure result" and res["procedure"] == "EP17"
    assert res["result_name"] == "Procedure completed" and res["call_exchange"] == records[0].index
    assert not res["problems"]


def test_ep17_call_and_et59_result_decode_as_a_pair():
    """The guide's EP17 call (BT07 write) and an ET59 result read: one pair, parameters decoded
    by the spec against the capture's Device."""
    from helpers import rc4_request, rc4_response

    from osgpdissect.bytestream import ByteRun, Direction

    call = rc4_request(0x40, 7, 1, data=bytes.fromhex("11080700F803"))
    result = rc4_request(0x3F, 0x083B, 2, count=4)
    runs = [
        ByteRun(Direction.C2S, call, 0.0),
        ByteRun(Direction.S2C, rc4_response(), 0.1),
        ByteRun(Direction.C2S, result, 1.0),
        ByteRun(Direction.S2C, rc4_response(0, bytes.fromhex("11080700")), 1.1),
    ]
    dissector = Dissector()
    records = list(dissector.dissect(runs))
    assert len(records) == 2
    call_rec, res_rec = records
    decoded_call = call_rec.procedure["decoded"]
    assert decoded_call["procedure"] == "EP17" and decoded_call["psn"] == 7
    params = {n["name"]: n for n in decoded_call["parameters"]}
    assert params["action"]["value"] == 0 and params["action"]["offset"] == 3
    assert params["action"]["enum"].startswith("remove device")
    assert params["device_handle"]["value"] == 0x03F8 and params["device_handle"]["offset"] == 4
    assert not decoded_call["warnings"]
    res = res_rec.procedure
    assert res["procedure"] == "EP17" and res["call_exchange"] == call_rec.index
    assert not res["problems"]
    decoded_res = res["decoded"]
    assert decoded_res["matches_call"] is True and decoded_res["result_code"] == 0
    assert decoded_res["result"] == "procedure completed" and not decoded_res["warnings"]


def test_procedure_adapter_passes_the_capture_device(monkeypatch):
    """The spec's procedure decoders get the capture's Device (its learned dimensions), and the
    result is checked against the call object decoded with it."""
    from helpers import rc4_request, rc4_response

    import osgpdissect.c1218.procedures as P
    from osgpdissect.bytestream import ByteRun, Direction

    seen = []
    real_call, real_result = P.decode_procedure_call, P.decode_procedure_result

    def spy_call(spec, data, device=None):
        seen.append(("call", device))
        return real_call(spec, data, device)

    def spy_result(spec, data, call=None, device=None):
        seen.append(("result", device, call))
        return real_result(spec, data, call, device)

    monkeypatch.setattr(P, "decode_procedure_call", spy_call)
    monkeypatch.setattr(P, "decode_procedure_result", spy_result)
    dissector = Dissector()
    runs = [
        ByteRun(Direction.C2S, rc4_request(0x40, 7, 1, data=bytes.fromhex("11080700F803")), 0.0),
        ByteRun(Direction.S2C, rc4_response(), 0.1),
        ByteRun(Direction.C2S, rc4_request(0x3F, 0x083B, 2, count=4), 1.0),
        ByteRun(Direction.S2C, rc4_response(0, bytes.fromhex("11080700")), 1.1),
    ]
    list(dissector.dissect(runs))
    device = dissector.tables.device
    assert [s[0] for s in seen] == ["call", "result"]
    assert seen[0][1] is device and seen[1][1] is device
    assert isinstance(seen[1][2], P.ProcedureCall) and seen[1][2].psn == 7
