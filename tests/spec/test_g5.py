"""Group g5: procedure headers (BT07/BT08), EP17/EP19/EP61, the TOU and load-profile tables, BT74.

Every table gets an encode -> bytes -> decode round trip from values chosen here; the guide's
own bytes (bt07_payload_ep17, bt52_clock_calendar) must decode to the documented values.
"""

from __future__ import annotations

import json

import pytest
from spec_vectors import VECTORS

from osgpdissect.codec import decode_table, encode_table, table_size
from osgpdissect.lang.spec import load_default_spec
from osgpdissect.layout.device import Device


@pytest.fixture(scope="module")
def spec():
    return load_default_spec()


def vector(vid: str) -> dict:
    if not VECTORS.exists():
        pytest.skip("guide vectors not available")
    return next(v for v in json.loads(VECTORS.read_text()) if v["id"] == vid)


def roundtrip(spec, table, values, device=None, part="table"):
    """encode -> bytes -> decode -> same values -> same bytes; returns (bytes, result)."""
    data = encode_table(spec, table, values, device=device, part=part)
    res = decode_table(spec, table, data, device=device, part=part)
    assert not res.warnings, res.warnings
    assert encode_table(spec, table, res.values(), device=device, part=part) == data
    return data, res


def subset(expected, actual):
    """Every value in ``expected`` appears in ``actual`` (decoded values also carry fillers)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), actual
        for k, v in expected.items():
            assert k in actual, (k, actual)
            subset(v, actual[k])
    elif isinstance(expected, list):
        assert len(expected) == len(actual), (expected, actual)
        for e, a in zip(expected, actual, strict=True):
            subset(e, a)
    else:
        assert expected == actual, (expected, actual)


# ------------------------------------------------------------------ BT07 / BT08 / procedures


def test_bt07_guide_example_ep17(spec):
    v = vector("bt07_payload_ep17")
    data = bytes.fromhex(v["hex"])
    res = decode_table(spec, "BT07", data)
    assert res.find("header.proc.procedure_number").value == 0x811
    assert res.find("header.proc.procedure_number").enum == "EP17"
    assert res.find("header.proc.response_handling").value == 0
    assert res.find("header.psn").value == 7
    params = res.values()["parameters"]
    assert params == bytes.fromhex("00F803")
    # the parameters are EP17's request block (offsets from BT07 start: action @3, handle @4)
    req = decode_table(spec, "EP17", params, part="request")
    assert req.values() == {"action": 0, "device_handle": 0x03F8}
    assert req.find("action").enum == "remove device and re-assign primary address = 0"
    assert req.find("action").offset == 3 and req.find("device_handle").offset == 4
    # and back: header + EP17 parameters give the guide's bytes
    p = encode_table(spec, "EP17", {"action": 0, "device_handle": 0x03F8}, part="request")
    assert encode_table(spec, "BT07", {"header": {"proc": {"procedure_number": 2065, "response_handling": 0}, "psn": 7},
                                       "parameters": p}) == data


def test_bt07_roundtrip_ep61_lock(spec):
    p = encode_table(spec, "EP61", {"lock": 1}, part="request")
    assert p == b"\x01"
    data, res = roundtrip(spec, "BT07", {"header": {"proc": {"procedure_number": 2109, "response_handling": 0}, "psn": 5},
                                         "parameters": p})
    assert data == bytes.fromhex("3D 08 05 01")
    assert res.find("header.proc.procedure_number").enum == "EP61"
    req = decode_table(spec, "EP61", res.values()["parameters"], part="request")
    assert req.find("lock").enum == "lock"
    _, unlock = roundtrip(spec, "EP61", {"lock": 0}, part="request")
    assert unlock.find("lock").enum == "unlock"


def test_bt08_response_ep19_entry_index(spec):
    body = encode_table(spec, "EP19", {"entry_index": 3}, part="response")
    assert body == b"\x03"
    data, res = roundtrip(spec, "BT08", {"header": {"proc": {"procedure_number": 2067}, "psn": 6, "result_code": 0},
                                         "data": body})
    assert data == bytes.fromhex("13 08 06 00 03")
    assert res.find("header.proc.procedure_number").enum == "EP19"
    assert res.find("header.result_code").enum == "procedure completed"
    resp = decode_table(spec, "EP19", res.values()["data"], part="response")
    assert resp.values() == {"entry_index": 3}
    assert resp.find("entry_index").offset == 4


def test_bt08_response_result_codes(spec):
    data, res = roundtrip(spec, "BT08", {"header": {"proc": {"procedure_number": 2065}, "psn": 7, "result_code": 1},
                                         "data": b""})
    assert data == bytes.fromhex("11 08 07 01")
    assert res.find("header.result_code").enum == "procedure accepted but not fully completed"
    assert spec.find("EP17") is not None


def test_ep17_remove_all(spec):
    data, res = roundtrip(spec, "EP17", {"action": 1, "device_handle": 0xFFFF}, part="request")
    assert data == bytes.fromhex("01 FF FF")
    assert res.find("device_handle").enum == "remove all devices"
    assert res.find("action").enum == "remove device and re-assign primary address = 250"


@pytest.mark.parametrize("rtype,name", [
    (0, "reserved for internal use"),
    (1, "M-Bus application reset"),
    (2, "billing read"),
    (3, "status read"),
    (5, "time sync"),
])
def test_ep19_request_types_without_data(spec, rtype, name):
    data, res = roundtrip(spec, "EP19", {"transaction_nbr": 0x0401, "device_handle": 1000, "request_type": rtype},
                          part="request")
    assert data == bytes([0x01, 0x04, 0xE8, 0x03, rtype])
    assert res.find("request_type").enum == name
    assert res.find("transaction_nbr").enum == "MEP applications"
    assert res.find("request_type").offset == 7


@pytest.mark.parametrize("rtype,handle,name", [
    (4, 1000, "write user data"),
    (6, 0xFFFF, "multicast to specified devices"),
    (10, 0x0002, "write user data by index"),
])
def test_ep19_write_requests(spec, rtype, handle, name):
    telegram = bytes.fromhex("53 FE 51 01 7A")
    values = {"transaction_nbr": 0x0402, "device_handle": handle, "request_type": rtype,
              "write_data_len": len(telegram), "write_data": telegram}
    data, res = roundtrip(spec, "EP19", values, part="request")
    assert data == bytes([0x02, 0x04]) + handle.to_bytes(2, "little") + bytes([rtype, len(telegram)]) + telegram
    assert res.find("request_type").enum == name
    assert res.values()["write_data"] == telegram
    assert res.find("write_data_len").offset == 8 and res.find("write_data").offset == 9


def test_ep19_write_data_padded_to_capacity(spec):
    # a client may write the whole ARRAY[ET11.20 - 1] (64 bytes); only Write Data Length bytes are data
    telegram = bytes.fromhex("40 FE")
    raw = bytes.fromhex("02 04 E8 03 04") + bytes([len(telegram)]) + telegram + bytes(62)
    res = decode_table(spec, "EP19", raw, part="request")
    assert res.values()["write_data"] == telegram
    assert res.values()["write_data_pad"] == bytes(62)


def test_ep19_download_switchover(spec):
    mac = bytes(range(16))
    values = {"transaction_nbr": 0x0403, "device_handle": 1000, "request_type": 9,
              "image_length": 123456, "image_mac": mac}
    data, res = roundtrip(spec, "EP19", values, part="request")
    assert len(data) == 25  # BT07 offsets 3..27
    assert res.find("image_length").offset == 8
    assert res.find("image_mac").offset == 12
    assert res.find("request_type").enum == "MEP download switchover"
    assert res.values()["image_length"] == 123456


# ------------------------------------------------------------------ display, TOU, clocks


def test_bt30_defaults(spec):
    values = {"disp_flag_bfld": {"on_time_flag": 1, "off_time_flag": 0, "hold_time_flag": 0},
              "nbr_disp_sources": 962, "width_disp_sources": 2, "nbr_pri_disp_list_items": 30,
              "nbr_pri_disp_lists": 1, "nbr_sec_disp_list_items": 0, "nbr_sec_disp_lists": 0}
    data, res = roundtrip(spec, "BT30", values)
    assert data == bytes.fromhex("01 C2 03 02 1E 00 01 00 00 00")
    subset(values, res.values())


def test_bt33_primary_display_list(spec):
    sources = [0x2000, 0x2001] + [0] * 28
    values = {"pri_disp_list": [{"disp_scroll": {"on_time": 6, "off_time": 0},
                                 "disp_hold": {"hold_time": 0, "default_list": 1},
                                 "nbr_list_items": 3, "disp_sources": sources}]}
    data, res = roundtrip(spec, "BT33", values)
    assert len(data) == 63 and data[:7] == bytes.fromhex("06 10 03 00 20 01 20")
    subset(values, res.values())
    assert res.find("pri_disp_list.[0].disp_scroll.on_time").enum == "6 seconds"
    assert res.find("pri_disp_list.[0].disp_hold.default_list").enum == "Normal display"


def test_bt50_defaults(spec):
    values = {"time_func_flag1": {"tou_self_read_flag": 1, "season_self_read_flag": 1},
              "time_func_flag2": {"sort_tier_switches_flag": 1, "cap_tm_zn_offset_flag": 1},
              "calendar_func": {"nbr_seasons": 12, "nbr_special_sched": 2},
              "nbr_non_recurr_dates": 25, "nbr_recurr_dates": 23, "nbr_tier_switches": 200,
              "calendar_tbl_size": 808}
    data, res = roundtrip(spec, "BT50", values)
    assert data == bytes.fromhex("03 18 2C 19 17 C8 00 28 03")
    subset(values, res.values())


def test_bt52_guide_example(spec):
    v = vector("bt52_clock_calendar")
    res = decode_table(spec, "BT52", bytes.fromhex(v["hex"]))
    cc = res.values()["clock_calendar"]
    assert (cc["year"], cc["month"], cc["day"], cc["hour"], cc["minute"], cc["second"]) == (4, 2, 16, 15, 59, 55)


def test_bt52_roundtrip(spec):
    values = {"clock_calendar": {"year": 24, "month": 3, "day": 31, "hour": 1, "minute": 2, "second": 3},
              "time_date_qual": {"day_of_week": 0, "dst_flag": 1, "gmt_flag": 1, "tm_zn_applied_flag": 0,
                                 "dst_applied_flag": 0}}
    data, res = roundtrip(spec, "BT52", values)
    assert data == bytes.fromhex("18 03 1F 01 02 03 18")
    assert res.find("time_date_qual.day_of_week").enum == "Sunday"
    subset(values, res.values())


def test_bt53_roundtrip(spec):
    values = {"dst_time_eff": {"hour": 2, "minute": 0, "second": 0}, "dst_time_amt": 60, "time_zone_offset": -300}
    data, res = roundtrip(spec, "BT53", values)
    assert data == bytes.fromhex("02 00 00 3C D4 FE")
    subset(values, res.values())


def test_bt54_calendar(spec):
    nonrec = [{"non_recurr_date": 0, "calendar_action": {"action_bits": {"action": 19}}}] * 25
    rec = [{"recurr_date": 0, "calendar_action": {"action_bits": {"action": 3 + (i % 12), "tou_format": int(i == 0)}}}
           for i in range(23)]
    switches = [{"tier_switch": {"new_tier": i % 4, "switch_min": 30, "switch_hour": i % 24}, "day_sch_num": i // 10}
                for i in range(200)]
    seasons = [{"saturday": 1, "sunday": 2, "weekday": 0, "special_schedule_0": 3, "special_schedule_1": 4}] * 12
    values = {"non_recurr_dates": nonrec, "recurr_dates": rec, "tier_switches": switches,
              "sea_schedules": seasons, "calendar_id": 0x12345678}
    data, res = roundtrip(spec, "BT54", values)
    assert len(data) == 808
    assert data[-4:] == bytes.fromhex("78 56 34 12")
    assert res.find("recurr_dates.[0].calendar_action.action_bits.action").enum == "select season 0"
    assert res.find("recurr_dates.[5].calendar_action.action_bits.action").enum == "select season 5"
    assert res.find("non_recurr_dates.[0].calendar_action.action_bits.action").enum == "special schedule 0"
    assert res.find("recurr_dates").offset == 75
    assert res.find("tier_switches").offset == 144
    assert res.find("sea_schedules").offset == 744
    assert res.values()["tier_switches"][199]["day_sch_num"] == 19


def test_bt55_roundtrip(spec):
    values = {"clock_calendar": {"year": 24, "month": 7, "day": 1, "hour": 12, "minute": 0, "second": 0},
              "time_date_qual": {"day_of_week": 1, "dst_flag": 1, "tm_zn_applied_flag": 1, "dst_applied_flag": 1},
              "clock_status": {"curr_tier": 2, "tier_drive": 1, "special_schd_active": 0, "season": 5}}
    data, res = roundtrip(spec, "BT55", values)
    assert len(data) == 9
    assert data[7:] == (2 | (1 << 6) | (5 << 12)).to_bytes(2, "little")
    assert res.find("clock_status.tier_drive").enum == "set manually with hold off (until the next scheduled tier switch)"
    assert res.find("time_date_qual.day_of_week").enum == "Monday"
    subset(values, res.values())


# ------------------------------------------------------------------ load profile


def _bt61(spec, sets, end_readings=False):
    return encode_table(spec, "BT61", {
        "memory_len": 104832,
        "lp_flags": {"blk_end_read_flag": int(end_readings), "extended_int_status_flag": 1, "simple_int_status_flag": 1},
        "lp_fmats": {"inv_int32_flag": 1},
        "sets": sets})


def test_bt60_roundtrip(spec):
    values = {"memory_len": 104832,
              "lp_flags": {"extended_int_status_flag": 1, "simple_int_status_flag": 1},
              "lp_fmats": {"inv_int32_flag": 1},
              "sets": [{"nbr_blks_set": 9530, "nbr_blk_ints_set": 1440, "nbr_chns_set": 16, "max_int_time_set": 255}]}
    data, res = roundtrip(spec, "BT60", values)
    assert data == bytes.fromhex("80 99 01 00 00 0C 20 3A 25 A0 05 10 FF")
    subset(values, res.values())


def test_bt61_two_data_sets_from_read_length(spec):
    sets = [{"nbr_blks_set": 10, "nbr_blk_ints_set": 96, "nbr_chns_set": 2, "max_int_time_set": 15},
            {"nbr_blks_set": 5, "nbr_blk_ints_set": 24, "nbr_chns_set": 4, "max_int_time_set": 84}]
    data = _bt61(spec, sets)
    assert len(data) == 7 + 6 * 2
    res = decode_table(spec, "BT61", data)
    subset(sets, res.values()["sets"])
    assert res.find("sets.[0].max_int_time_set").enum == "15 minutes"
    assert res.find("sets.[1].max_int_time_set").enum == "24 hours"
    assert encode_table(spec, "BT61", res.values()) == data


def test_bt62_channels_and_scalars(spec):
    dev = Device(spec, "gen3")
    dev.learn("BT61", 0, _bt61(spec, [{"nbr_blks_set": 10, "nbr_blk_ints_set": 96, "nbr_chns_set": 2,
                                       "max_int_time_set": 15}]))
    values = {"sets": [{"lp_sel_set": [{"chnl_flag": {"end_rdg_flag": 0}, "lp_source_sel": 0, "end_blk_rdg_source_select": 0},
                                       {"chnl_flag": {"end_rdg_flag": 0}, "lp_source_sel": 112, "end_blk_rdg_source_select": 0}],
                        "int_fmt_cde": 32}]}
    data, res = roundtrip(spec, "BT62", values, device=dev)
    assert data == bytes.fromhex("00 00 00 00 70 00 20")
    assert res.find("sets.[0].int_fmt_cde").enum == "INT32 (snapshot mode)"
    assert res.find("sets.[0].int_fmt_cde").offset == 6
    # with BT60.4.6 (Set 1 Scalar Divisor Enable) set, scalars and divisors follow
    dev.learn("BT60", 4, bytes.fromhex("40 00"))
    values["sets"][0]["scalars_set"] = [1, 10]
    values["sets"][0]["divisor_set"] = [1000, 1]
    data, res = roundtrip(spec, "BT62", values, device=dev)
    assert len(data) == 7 + 8
    assert res.find("sets.[0].scalars_set").offset == 7
    assert res.find("sets.[0].divisor_set").offset == 11


def test_bt63_status(spec):
    values = {"sets": [{"lp_set_status_flags": {"block_order": 0, "overflow_flag": 0, "list_type": 1,
                                                "interval_order": 0, "active_mode_flag": 1},
                        "nbr_valid_blocks": 4, "last_block_element": 3, "last_block_seq_nbr": 1234,
                        "nbr_unread_blocks": 1, "nbr_valid_int": 17}]}
    data, res = roundtrip(spec, "BT63", values)
    assert data == bytes.fromhex("24 04 00 03 00 D2 04 00 00 01 00 11 00")
    assert res.find("sets.[0].lp_set_status_flags.list_type").enum == "circular queue"
    assert res.find("sets.[0].lp_set_status_flags.active_mode_flag").enum == "data set is presently collecting data"
    subset(values, res.values())


def _lp_values(nblk, nint, nch):
    def interval(i):
        return {"extended_int_status": {"status_byte0": {"common_status": 0b0010, "channel0_status": 10},
                                        "channel_status": bytes([0x10] + [0x00] * ((nch - 1 + 1) // 2 - 1))},
                "int_data": [1000 * i + c for c in range(nch)]}
    blocks = []
    for b in range(nblk):
        blocks.append({"blk_end_time": {"year": 24, "month": 1, "day": 1 + b, "hour": 23, "minute": 45},
                       "simple_int_status": bytes([0xFF] * (nint // 8) + ([(1 << (nint % 8)) - 1] if nint % 8 else [])),
                       "lp_int": [interval(i) for i in range(nint)]})
    return {"lp_data_set": blocks}


@pytest.mark.parametrize("nch", [2, 16])
def test_bt64_channels(spec, nch):
    nblk, nint = 2, 4
    dev = Device(spec, "gen3")
    dev.learn("BT61", 0, _bt61(spec, [{"nbr_blks_set": nblk, "nbr_blk_ints_set": nint, "nbr_chns_set": nch,
                                       "max_int_time_set": 15}]))
    ext = nch // 2 + 1
    block = 5 + (nint + 7) // 8 + nint * (ext + 4 * nch)
    assert table_size(spec, "BT64", dev) == nblk * block
    data, res = roundtrip(spec, "BT64", _lp_values(nblk, nint, nch), device=dev)
    assert len(data) == nblk * block
    first = res.find("lp_data_set.[0].lp_int.[0]")
    assert first.offset == 6
    st = res.find("lp_data_set.[0].lp_int.[0].extended_int_status")
    assert st.size == ext
    assert st.find("status_byte0.common_status").enum == "power fail within interval"
    assert st.find("status_byte0.channel0_status").enum == "M-Bus/MEP device missing (precedence 6)"
    assert st.find("channel_status.[0]").enum == "overflow (precedence 10)"
    assert len(st.find("channel_status").value) == nch - 1
    assert res.find("lp_data_set.[0].lp_int.[0].int_data").offset == 6 + ext
    assert res.values()["lp_data_set"][1]["lp_int"][3]["int_data"] == [3000 + c for c in range(nch)]
    assert res.find("lp_data_set.[1]").offset == block
    assert res.find("lp_data_set.[0].simple_int_status").value == [0, 1, 2, 3]


def test_bt64_end_readings(spec):
    nch = 2
    dev = Device(spec, "gen3")
    dev.learn("BT61", 0, _bt61(spec, [{"nbr_blks_set": 1, "nbr_blk_ints_set": 8, "nbr_chns_set": nch,
                                       "max_int_time_set": 15}], end_readings=True))
    values = _lp_values(1, 8, nch)
    values["lp_data_set"][0]["end_readings"] = [111, 222]
    data, res = roundtrip(spec, "BT64", values, device=dev)
    # with End Readings present the guide's offsets hold: Simple Status at 5 + 4*BT61.11N
    assert res.find("lp_data_set.[0].simple_int_status").offset == 5 + 4 * nch
    assert res.find("lp_data_set.[0].lp_int.[0].extended_int_status").offset == 5 + 4 * nch + 1
    assert res.find("lp_data_set.[0].lp_int.[0].int_data").offset == 5 + 4 * nch + 1 + (nch // 2 + 1)


def test_bt65_uses_data_set_2(spec):
    dev = Device(spec, "gen4")
    dev.learn("BT61", 0, _bt61(spec, [
        {"nbr_blks_set": 2, "nbr_blk_ints_set": 4, "nbr_chns_set": 2, "max_int_time_set": 15},
        {"nbr_blks_set": 3, "nbr_blk_ints_set": 8, "nbr_chns_set": 3, "max_int_time_set": 60}]))
    assert table_size(spec, "BT65", dev) == 3 * (5 + 1 + 8 * (2 + 12))
    roundtrip(spec, "BT65", _lp_values(3, 8, 3), device=dev)


# ------------------------------------------------------------------ event log


def test_bt74_history_log(spec):
    dev = Device(spec, "gen3", values={"BT71.nbr_history_entries": 2, "BT71.history_data_length": 2})
    entries = [{"history_time": {"year": 24, "month": 5, "day": 6, "hour": 7, "minute": 8, "second": 9},
                "seq_nbr": 0x0102 + i, "user_id": 0xFFFD, "event": {"event_id": 0x7A0 + i},
                "argument": bytes([i, 0xE0])} for i in range(2)]
    values = {"header": {"list_flags": {"order": 0, "overflow": 0, "list_type": 1, "inhibit_overflow": 0},
                         "nbr_valid_entries": 2, "last_entry_element": 1, "last_entry_seq_nbr": 0x00010103,
                         "nbr_unread_entries": 2},
              "history_records": entries}
    data, res = roundtrip(spec, "BT74", values, device=dev)
    assert len(data) == 11 + 2 * (12 + 2)
    assert res.find("history_records.[0].user_id").enum == "MEP client operation being processed"
    assert res.find("history_records.[0].history_time").offset == 11
    assert res.find("history_records.[0].argument").offset == 23
    assert res.find("history_records.[1]").offset == 25
    subset(values, res.values())


def test_bt74_default_dimensions(spec):
    # without BT71, the documented defaults apply: 40 entries of 12 + 4 bytes
    assert table_size(spec, "BT74", Device(spec, "gen3")) == 11 + 40 * 16


# ------------------------------------------------------------------ procedure API (BT07 call -> result)


def test_procedure_call_ep17_guide_example(spec):
    from osgpdissect.c1218.procedures import decode_procedure_call

    call = decode_procedure_call(spec, bytes.fromhex(vector("bt07_payload_ep17")["hex"]))
    assert (call.id, call.number, call.name, call.psn, call.response_handling) == ("EP17", 0x811, "Remove MEP Device", 7, 0)
    assert not call.warnings
    assert call.parameters.values() == {"action": 0, "device_handle": 0x03F8}
    assert call.parameters.find("action").enum == "remove device and re-assign primary address = 0"


@pytest.mark.parametrize("code,meaning", [
    (1, "not complete: returned until all requested devices have been removed"),
    (3, "requested device handle to remove does not match an installed device"),
    (4, "a remove request is already in progress"),
])
def test_procedure_result_ep17_codes(spec, code, meaning):
    from osgpdissect.c1218.procedures import decode_procedure_result

    res = decode_procedure_result(spec, bytes([0x11, 0x08, 0x07, code]), call=bytes.fromhex("11080700F803"))
    assert res.id == "EP17" and res.result == meaning and res.matches_call


def test_procedure_ep19_call_and_result(spec):
    from osgpdissect.c1218.procedures import decode_procedure_call, decode_procedure_result

    params = encode_table(spec, "EP19", {"transaction_nbr": 0x0410, "device_handle": 1000, "request_type": 2},
                          part="request")
    bt07 = bytes.fromhex("13 08 08") + params
    call = decode_procedure_call(spec, bt07)
    assert call.id == "EP19" and call.parameters.find("request_type").enum == "billing read"
    res = decode_procedure_result(spec, bytes.fromhex("13 08 08 00 02"), call=call)
    assert res.matches_call and res.result == "procedure completed"
    assert res.data.values() == {"entry_index": 2}
    full = decode_procedure_result(spec, bytes.fromhex("13 08 08 07"), call=call)
    assert full.result == "on-demand request queue is full"


def test_procedure_ep61_conflict(spec):
    from osgpdissect.c1218.procedures import decode_procedure_call, decode_procedure_result

    call = decode_procedure_call(spec, bytes.fromhex("3D 08 09 01"))
    assert call.id == "EP61" and call.parameters.find("lock").enum == "lock"
    res = decode_procedure_result(spec, bytes.fromhex("3D 08 09 03"), call=call)
    assert res.result == "T08_CONFLICT: the other MEP client has already locked the channel"


def test_procedure_ep39_is_partial(spec):
    from osgpdissect.c1218.procedures import decode_procedure_call

    call = decode_procedure_call(spec, bytes.fromhex("27 08 05 0C"))
    assert call.id == "EP39" and call.name == "Post MEP Data"
    assert call.parameters.values() == {"parameters": b"\x0c"}
