"""Group g2 tables (ET29 ET31 ET34 ET36 ET41 ET42 ET45 ET46 ET47 ET50 ET51 ET52 ET53 ET54).

Each table is built from chosen values (encode -> bytes -> decode -> same values, same bytes);
where the guide prints example data (shared/vectors/guide-frames.json), the guide's bytes are
decoded and compared with the guide's own decoding.
"""

from __future__ import annotations

import pytest
from spec_vectors import _sub, _vector

from osgpdissect.codec import decode_table, encode_table, table_size
from osgpdissect.lang.spec import load_default_spec
from osgpdissect.layout.device import Device


@pytest.fixture(scope="module")
def spec():
    return load_default_spec()






def roundtrip(spec, table: str, values: dict, profile: str = "gen3", size: int | None = None):
    dev = Device(spec, profile)
    data = encode_table(spec, table, values, device=dev)
    if size is not None:
        assert len(data) == size
    res = decode_table(spec, table, data, device=dev)
    assert not res.warnings, res.warnings
    _sub(values, res.values())
    assert encode_table(spec, table, res.values(), device=dev) == data
    return data, res


# ---------------------------------------------------------------------------- ET52 / ET53


def _records(res) -> list:
    return res.values()["record_list"]["records"]


def test_et52_guide_read_bt23(spec):
    """Guide l.1167-1186: one partial read of BT23 (offset 0, 44 bytes), transaction 2."""
    v = _vector("et52_payload_read_bt23")
    res = decode_table(spec, "ET52", bytes.fromhex(v["hex"]))
    vals = res.values()
    assert vals["transaction_size"] == 17
    assert res.find("transaction_type").enum == "requests"
    assert vals["transaction_number"] == 2
    recs = _records(res)
    assert len(recs) == 1
    assert recs[0]["length_l"] == 8
    # the bare C12.18 message: code 3F, table id / offset / count MSB first
    assert recs[0]["message"] == bytes.fromhex("3F0017000000002C")
    assert vals["transaction_number_end"] == 2


def test_et52_guide_multi(spec):
    """Guide l.1203-1257: six partial reads (ET11, BT20, BT21, ET04@55, ET14, ET15), transaction 1."""
    v = _vector("et52_payload_multi")
    res = decode_table(spec, "ET52", bytes.fromhex(v["hex"]))
    vals = res.values()
    assert (vals["transaction_size"], vals["transaction_type"], vals["transaction_number"]) == (67, 0, 1)
    msgs = [r["message"] for r in _records(res)]
    want = [(0x080B, 0, 10), (0x0014, 0, 10), (0x0015, 0, 10), (0x0804, 55, 1), (0x080E, 0, 12), (0x080F, 0, 31)]
    assert len(msgs) == len(want)
    for m, (tid, off, cnt) in zip(msgs, want, strict=True):
        assert m[0] == 0x3F
        assert (int.from_bytes(m[1:3], "big"), int.from_bytes(m[3:6], "big"), int.from_bytes(m[6:8], "big")) == (tid, off, cnt)
    assert vals["transaction_number_end"] == 1


def test_et53_guide_header(spec):
    """Guide l.1294: the first 5 bytes of ET53 (size 111, responses, transaction 1)."""
    v = _vector("et53_payload_header")
    res = decode_table(spec, "ET53", bytes.fromhex(v["hex"]))
    vals = res.values()
    assert (vals["transaction_size"], vals["transaction_type"], vals["transaction_number"]) == (111, 1, 1)
    assert res.find("transaction_type").enum == "responses"


def test_et53_guide_full(spec):
    """Guide l.1322-1369: six responses (code 00, count, data) pairing with et52_payload_multi."""
    v = _vector("et53_payload_full")
    res = decode_table(spec, "ET53", bytes.fromhex(v["hex"]))
    vals = res.values()
    assert (vals["transaction_size"], vals["transaction_type"], vals["transaction_number"]) == (111, 1, 1)
    recs = _records(res)
    exp = v["expected"]["responses"]
    assert len(recs) == len(exp)
    for r, e in zip(recs, exp, strict=True):
        assert r["length_l"] == e["<length>"]
        m = r["message"]
        assert m[0] == 0x00
        assert int.from_bytes(m[1:3], "big") == e["<count>"]
        assert m[3:] == bytes.fromhex(e["<table_data>"])
    assert vals["transaction_number_end"] == 1


def test_et52_roundtrip_group_broadcast(spec):
    """A type-3 (group broadcast) transaction carries the Group ID list (GL = 2 * count + 1)."""
    msg = bytes.fromhex("3F0017000000002C")
    size = 5 + 1 + 2 * 2 + 2 + len(msg) + 2
    values = {
        "transaction_size": size,
        "transaction_type": 3,
        "transaction_number": 7,
        "group_id_count": 2,
        "group_ids": [{"group_id": {"sub_group": 0xFF, "group": 0x12}}, {"group_id": {"sub_group": 0x34, "group": 0xFF}}],
        "record_list": {"records": [{"length_l": len(msg), "message": msg}]},
        "transaction_number_end": 7,
    }
    data, res = roundtrip(spec, "ET52", values)
    assert data[:11] == bytes.fromhex("16 00 03 07 00 02 FF 12 34 FF 08 00".replace(" ", ""))[:11]
    assert res.find("transaction_type").enum == "group broadcast request"
    assert res.find("group_ids").children[0].find("group_id.sub_group").enum == "all sub-groups"


@pytest.mark.parametrize("table, vid", [("ET52", "et52_payload_read_bt23"), ("ET52", "et52_payload_multi"),
                                        ("ET53", "et53_payload_full")])
def test_et52_et53_guide_examples_construct(spec, table, vid):
    """The guide's transaction bytes through the construct backend (parse, then build the same bytes)."""
    from osgpdissect.codec import parse_values

    v = _vector(vid)
    data = bytes.fromhex(v["hex"])
    dev = Device(spec, "gen3")
    vals = parse_values(dev.bound(table).root, data)
    exp = v["expected"]
    assert vals["transaction_size"] == len(data) == exp["<transaction size>"]
    assert vals["transaction_number"] == vals["transaction_number_end"] == exp["<transaction number>"]
    recs = vals["record_list"]["records"]
    if table == "ET53":
        assert [(r["length_l"], int.from_bytes(r["message"][1:3], "big"), r["message"][3:].hex().upper()) for r in recs] == \
            [(e["<length>"], e["<count>"], e["<table_data>"]) for e in exp["responses"]]
    else:
        cmds = exp.get("commands") or [exp["<first command>"]]
        assert [r["length_l"] for r in recs] == [c["<length>"] for c in cmds]
        assert [int.from_bytes(r["message"][6:8], "big") for r in recs] == [c["<count>"] for c in cmds]
    assert encode_table(spec, table, vals, device=dev) == data
    # issue 15 item 4: the table's own length (ET11.7 = 896 for ET52, ET11.9 = 1785 for ET53)
    assert vals["unused_length"] == (896 if table == "ET52" else 1785) - len(data)


# ---------------------------------------------------------------------------- ET50


def test_et50_guide_rc4_ex2_registered(spec):
    """Guide l.520-529 (RC4 Example 2): partial write of 01 at ET50 offset 30 = MEP Device Registered."""
    v = _vector("rc4_ex2_write_req")
    frame = bytes.fromhex(v["hex"])
    assert frame[2] == 0x4F and int.from_bytes(frame[3:5], "big") == 0x0832
    offset, count = int.from_bytes(frame[5:8], "big"), int.from_bytes(frame[8:10], "big")
    res = decode_table(spec, "ET50", frame[10 : 10 + count], offset=offset)
    flags = res.values()["mep_inbound_config"][0]["mep_flags"]
    assert flags["mep_device_registered"] == 1
    assert (flags["et59_response"], flags["mbus_alerts"], flags["delta_data_alerts"]) == (0, 0, 0)
    assert res.find("mep_inbound_config.[0].mep_flags.et59_response").enum == "BT08"


def test_et50_roundtrip_gen4_two_clients(spec):
    mep_id = {
        "mfg_id": {"mfg_code": 0x00ABCD, "osgp_format": 1},
        "device_class": 5,
        "program_id_len": 6,
        "program_id": {"device_type": 1, "device_sub_type": 2, "sub_type_version": 3,
                       "interface_major_version": 4, "fw_version": 5, "fw_revision": 6},
        "unique_id_len": 4,
        "unique_id": bytes.fromhex("DEADBEEF"),
    }
    client = {
        "mep_id": mep_id,
        "mep_flags": {"mep_device_registered": 1, "et59_response": 1, "mbus_alerts": 0, "delta_data_alerts": 1},
        "icon_display_control": [0x21, 0x0108, 0, 0, 0, 0x40],
        "display_lp_data": [1000, -5, 0, 0, 7, 0],
        "mep_icon_control_0": {"house_icon": 2, "short_bar": 0},
        "mep_icon_control_1": {"medium_bar": 0, "long_bar": 1},
    }
    other = {"mep_id": {"mfg_id": {"mfg_code": 0x123456, "osgp_format": 0}}, "mep_flags": {"mep_device_registered": 0}}
    data, res = roundtrip(spec, "ET50", {"mep_inbound_config": [client, other]}, "gen4", size=142)
    assert data[0] == 0x80 and data[1:3] == bytes.fromhex("ABCD")  # bit 7 of byte 0 = OSGP format flag
    assert res.find("mep_inbound_config.[0].mep_id.device_class").enum == "OSGP"
    assert res.find("mep_inbound_config.[0].icon_display_control.[0]").enum == "Euro, kWh"
    assert res.find("mep_inbound_config.[0].icon_display_control.[1]").enum == "Time, negative (-)"
    assert res.find("mep_inbound_config.[0].mep_icon_control_0.house_icon").enum.startswith("FLASH")
    assert table_size(spec, "ET50", Device(spec, "gen3")) == 71


# ---------------------------------------------------------------------------- ET29 ET34 ET36


def test_et29_roundtrip_gen4(spec):
    values = {
        "hardware_options": {"s0_kyz_output": 1, "disconnect_and_buzzer": 1, "mep1_port_enabled": 1,
                             "two_line_disconnect": 1, "mep2_port_enabled": 1},
        "internal_configuration": {"single_phase": 1, "power_boost_relay": 1},
        "comm_matrix_1": [{"board": 2, "port": 1, "sequence_number": 1}, {"board": 2, "port": 1, "sequence_number": 2},
                          {"board": 3, "port": 3, "sequence_number": 0}],
        "extended_hardware_options": {"disconnect_toggle_button": 1, "battery_type": 3, "buzzer": 1},
        "current_sensors": {"line": 1, "neutral": 2},
        "comm_matrix_2": [{"board": 4, "port": 4, "logical_port_number": 1}, {"board": 0, "port": 5, "logical_port_number": 2}],
    }
    data, res = roundtrip(spec, "ET29", values, "gen4", size=54)
    assert data[0:3] == bytes([0x21, 0x44, 0x80])
    assert res.find("extended_hardware_options.battery_type").enum == "Supercap"
    assert res.find("comm_matrix_1.[0].board").enum == "Wired Board"
    assert res.find("comm_matrix_2.[0].board").enum == "Modem Board"
    assert res.find("current_sensors.neutral").enum == "Earth Fault Transformer"
    assert table_size(spec, "ET29", Device(spec, "gen3")) == 20


def test_et34_roundtrip(spec):
    entry = {"group_mask": bytes([0x05]), "lp_poll_rate": 60, "control_mdt": 3, "command_monitor_mdt": 0,
             "time_stamp_mdt": 4, "hour_locator": {"start_bit": 9, "bit_count": 5},
             "minute_locator": {"start_bit": 1, "bit_count": 6}, "lp_poll_wait": 30,
             "lp_poll_retry_attempts": 3, "lp_poll_retry_wait": 10}
    data, res = roundtrip(spec, "ET34", {"device_config": [entry] * 5}, "gen3", size=110)
    assert data[4:6] == bytes([60, 0]) and data[22 + 9] == (5 << 5) | 9
    assert res.find("device_config.[0].group_mask").value == [0, 2]
    assert res.find("device_config.[0].command_monitor_mdt").enum == "none"
    assert table_size(spec, "ET34", Device(spec, "gen4")) == 132


def test_et36_roundtrip_default_list(spec):
    order = [31, 32, 38, 41, 45, 75, 81]
    entries = [{"table_id": {"tbl_proc_nbr": n, "std_vs_mfg_flag": 1}, "entry_size": s, "max_entries": 255,
                "current_entries": c, "entry_flags": {"length_included": int(n == 45)}}
               for n, s, c in zip(order, [1000, 60, 20, 992, 525, 143, 12], [2, 8, 10, 0, 0, 0, 0], strict=True)]
    values = {"count": 7, "entries": entries, "unread_entries_bitmap": bytes([0b0000001])}
    data, res = roundtrip(spec, "ET36", values, size=121)
    assert data[1:3] == bytes([31, 0x08])  # TABLE_ID 31 | extended-table flag (bit 11)
    assert res.find("entries.[4].table_id.std_vs_mfg_flag").enum == "extended table"
    assert res.find("unread_entries_bitmap").value == [0]
    assert res.find("unread_entries_bitmap").offset == 1 + 7 * 17


# ---------------------------------------------------------------------------- the logs


def _et36_with(spec, profile: str, table: int, current: int, entry_size: int) -> Device:
    """A device that has read ET36 (the default list, with ``table``'s entry changed)."""
    order = [31, 32, 38, 41, 45, 75, 81]
    entries = [{"table_id": {"tbl_proc_nbr": n, "std_vs_mfg_flag": 1},
                "entry_size": entry_size if n == table else 12,
                "current_entries": current if n == table else 0} for n in order]
    dev = Device(spec, profile)
    dev.learn("ET36", 0, encode_table(spec, "ET36", {"count": 7, "entries": entries, "unread_entries_bitmap": b"\x00"}, device=dev))
    return dev


def test_et31_roundtrip(spec):
    dev = Device(spec, "gen3")  # BT21 defaults: 12 self reads, demands configured (BIDN present)
    n = table_size(spec, "ET31", dev)
    header = {"list_flags": {"order": 0, "overflow": 1, "list_type": 1}, "nbr_valid_entries": 2,
              "last_entry_element": 1, "last_entry_seq_nbr": 513, "nbr_unread_entries": 1}
    entry = {"bidn": 0x1234, "time_and_date": {"year": 24, "month": 3, "day": 1, "hour": 12, "minute": 30}, "season": 2}
    values = {"header": header, "entries": [entry, dict(entry, season=3)]}
    data = encode_table(spec, "ET31", values, device=dev)
    assert len(data) == n
    res = decode_table(spec, "ET31", data, device=dev)
    assert not res.warnings
    got = res.values()
    _sub(header, got["header"])
    _sub(values["entries"], got["entries"][:2])
    assert encode_table(spec, "ET31", got, device=dev) == data
    assert data[6:8] == bytes([0x34, 0x12]) and data[8:13] == bytes([24, 3, 1, 12, 30])
    assert res.find("header.list_flags.list_type").enum == "circular queue"
    assert res.find("entries.[0].time_and_date").value == "2024-03-01 12:30"
    assert res.find("entries.[1].register_data").offset == 6 + (n - 6) // len(got["entries"]) + 8


def test_et41_roundtrip(spec):
    probe = Device(spec, "gen3")
    body = table_size(spec, "BT23", probe)
    dev = _et36_with(spec, "gen3", 41, 2, 11 + body)
    entry = {"length_l": 11 + body, "reset_reason": 2, "bidn": 7,
             "time_and_date": {"year": 25, "month": 12, "day": 31, "hour": 23, "minute": 59}, "season": 1}
    values = {"header": {"nbr_valid_entries": 1, "last_entry_seq_nbr": 9}, "entries": [entry, dict(entry, reset_reason=0)]}
    data = encode_table(spec, "ET41", values, device=dev)
    assert len(data) == 6 + 2 * (11 + body)
    res = decode_table(spec, "ET41", data, device=dev)
    _sub(values, res.values())
    assert encode_table(spec, "ET41", res.values(), device=dev) == data
    assert res.find("entries.[0].reset_reason").enum == "Push button"
    assert res.find("entries.[1].reset_reason").enum == "Scheduled"


def _et45_mep_entry() -> bytes:
    """One 525-byte ET45 entry of MEP client 1 (handle 1000), built by hand from the guide's layout."""
    mbr = bytes([24, 5, 17, 6, 0, 0]) + b"\x00" + (3).to_bytes(2, "little") + (4).to_bytes(2, "little") + b"\x01\x02\x03\x04"
    entry = ((6 + len(mbr)).to_bytes(2, "little") + (5 | 2 << 11).to_bytes(2, "little") + (1000).to_bytes(2, "little")
             + bytes([2, 4]) + mbr)
    return entry + bytes(525 - len(entry))


def test_et45_decode_mep_entry(spec):
    dev = _et36_with(spec, "gen3", 45, 1, 525)
    header = bytes([0x04, 1, 0, 9, 0, 1])  # circular queue, 1 valid entry, last element 0, seq 9, 1 unread
    res = decode_table(spec, "ET45", header + _et45_mep_entry(), device=dev)
    assert not res.warnings
    e = res.values()["entries"][0]
    _sub({"length_l": 21, "identifier_namespace": {"identifier": 5, "namespace": 2}, "handle": 1000,
          "execution_status": 2, "result": 4,
          "data": {"timestamp": {"year": 24, "month": 5, "day": 17, "hour": 6, "minute": 0, "second": 0},
                   "read_count": 3, "length_l": 4, "data": bytes([1, 2, 3, 4])}}, e)
    assert res.find("entries.[0].identifier_namespace.namespace").enum == "OSGP"
    assert res.find("entries.[0].execution_status").enum.startswith("Delayed")
    assert res.find("entries.[0].result").enum == "Success"
    assert res.find("header.nbr_valid_entries").value == 1


def test_et45_roundtrip_mep_entry(spec):
    dev = _et36_with(spec, "gen3", 45, 1, 525)
    data = bytes([0x04, 1, 0, 9, 0, 1]) + _et45_mep_entry()
    res = decode_table(spec, "ET45", data, device=dev)
    assert encode_table(spec, "ET45", res.values(), device=dev) == data


# ---------------------------------------------------------------------------- ET42


def test_et42_roundtrip(spec):
    dev = Device(spec, "gen4")
    values = {
        "table_length": 0, "fsl": 41, "lls": 7,
        "interface_compatibility": {"ics_ica_nak": 1},
        "bidn": 0x0102, "billing_flags": {"demand_reset_counter": 1, "unread_log_entries_bitmap_enabled": 1},
        "nbr_self_reads": 2, "nbr_summations": 4, "nbr_demands": 2, "nbr_coincident": 2, "nbr_tiers": 4,
        "lp_block_size": 1000, "lp_nbr_blocks": 40, "lp_nbr_channels": 2, "lp_interval_duration": 15,
        "history_log_count": 200, "history_log_entry_size": 8,
        "otr_log_count": 2, "otr_entry_size": 1000, "power_outage_log_count": 10, "power_outage_entry_size": 12,
        "demand_sources": [0, 1], "coincident_sources": [2, 3],
        "lp_ext_sources": [{"ext_source_id": {"source_low": 0, "source_type": 0}},
                           {"ext_source_id": {"source_low": 1, "source_index": 0, "source_type": 4}}],
        "mdtt_current_entries": 1, "mdtt_entries": [bytes.fromhex("21040203")],
        "required_length": 9,
        "required_section": {"et74_entry_count": 5, "et77_entry_count": 0, "et79_entry_count": 100,
                             "energy_register_unit": 10, "accumulator_rollover_digit": 6},
    }
    size = 41 + 21 + 2 + 2 + 4 + 1 + 4 + 9
    values["table_length"] = size
    data = encode_table(spec, "ET42", values, device=dev)
    assert len(data) == size
    res = decode_table(spec, "ET42", data, device=dev)
    _sub(values, res.values())
    assert encode_table(spec, "ET42", res.values(), device=dev) == data
    assert res.find("demand_sources").offset == 41 + 21
    assert res.find("lp_ext_sources.[1].ext_source_id").raw == "01 40"  # 0x4001: M-Bus device 0, MDT 1 (l.931)
    assert res.find("required_section.energy_register_unit").enum == "10 Wh/varh"


# ---------------------------------------------------------------------------- ET46 ET47 ET51 ET54


def test_et46_roundtrip(spec):
    values = {"disconnect_control_type": 1, "prepay_negative_credit": -2500,
              "max_power_disconnect_open_time": {"year": 23, "month": 6, "day": 2, "hour": 8, "minute": 0, "second": 5}}
    data, res = roundtrip(spec, "ET46", values, size=23)
    assert data[13:17] == (-2500).to_bytes(4, "little", signed=True)
    assert res.find("disconnect_control_type").enum == "Current measurements"


def test_et47_roundtrip(spec):
    values = {"tariff": 3, "cancellation": 2, "override_duration": 3600,
              "cancellation_time": {"year": 0, "month": 0, "day": 0, "hour": 0, "minute": 0, "second": 0},
              "calendar_id": 0x01020304}
    data, res = roundtrip(spec, "ET47", values, size=16)
    assert data[:6] == bytes([3, 2]) + (3600).to_bytes(4, "little")
    assert res.find("tariff").enum == "tariff 3"
    assert res.find("cancellation").enum.startswith("after the Override Duration")
    _, res = roundtrip(spec, "ET47", dict(values, tariff=255))
    assert res.find("tariff").enum.startswith("cancel")


def test_et51_roundtrip_gen4(spec):
    cfg = {"mep_flags": {"enable_optical_dos_timer": 1, "monitor_mep_health": 1, "disable_mep": 0},
           "mep_health_timeout": 60, "od_otr_timeout": 30, "optical_session_timeout": 60,
           "optical_session_hold_off": 300, "mep_down_reset_duration": 1, "han_flags": {"deactivate_han": 1}}
    data, res = roundtrip(spec, "ET51", {"mep_device_config": [cfg, dict(cfg, mep_down_reset_duration=0)]}, "gen4", size=20)
    assert data[:10] == bytes([0x03, 60, 0, 30, 60, 0, 0x2C, 0x01, 1, 1])
    assert res.find("mep_device_config.[0].han_flags.deactivate_han").enum == "HAN should be deactivated"
    assert res.find("mep_device_config.[1].mep_down_reset_duration").enum == "1 second"


def test_et54_roundtrip(spec):
    common = {
        "interface_compatibility": {"multiple_lp_data_sets": 1, "energy_unit_change": 1, "multiple_mep_clients": 1},
        "flags_19": {"load_profile_disabled": 1},
        "tier_drive": {"step_tariff_in_use": 1},
        "cr1_random_op_pending": 1, "cr1_random_duration": 120, "cr1_random_start_duration": 300,
        "miswiring_reason": 6, "et74_entry_count": 5,
        "sync_status": {"welmec_11_2": 1, "delta_time_sync_status": 2, "push_button_close_locked": 1},
        "time_adjustment": -3, "date_last_step_tariff_reset": {"year": 24, "month": 1, "day": 1},
        "et79_entry_count": 100, "unicast_key_usage_count": 42,
        "supported_security_modes": {"rc4": 1, "osgp_aes_128_psk": 1},
    }
    data, res = roundtrip(spec, "ET54", common, "gen3", size=91)
    assert data[90] == 0x05 and data[71] == 0b01000101
    assert res.find("miswiring_reason").enum == "High voltage detected on a phase, Two or more phases in phase"
    assert res.find("sync_status.delta_time_sync_status").enum == "synchronization done"
    gen4 = dict(common, mep_tx_locked=1, mep_tx_lock_channel=2,
                proc_ext_failure_code={"procedure_number": 0x0811, "failure_code": 3},
                cr2_random_op_pending=1, cr2_random_duration=10, cr2_random_start_duration=20)
    data, res = roundtrip(spec, "ET54", gen4, "gen4", size=150)
    assert data[141:145] == bytes([3, 0, 0x11, 0x08])
    assert res.find("mep_tx_lock_channel").enum == "MEP client 2 (MEP2)"
    assert res.find("cr2_random_op_pending").enum.startswith("randomized")
