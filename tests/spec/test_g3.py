"""Group g3 tables: ET55 ET57 ET58 ET59 ET61 ET62 ET66 ET70 ET71 ET74 ET75 ET79 ET80 ET81 ET85.

Every table is built from chosen values (encode -> bytes -> decode -> same values, same bytes);
where the guide gives example data (ET57 l.935, ET66 l.931, ET70 via the TLS example l.438-443)
the guide's bytes are decoded to the documented values.
"""

from __future__ import annotations

import json

import pytest
from spec_vectors import VECTORS

from osgpdissect.codec import Device, decode_table, encode_table, table_size
from osgpdissect.lang.spec import load_default_spec


@pytest.fixture(scope="module")
def spec():
    return load_default_spec()


def roundtrip(spec, table, values, device):
    """encode -> decode -> re-encode: the same bytes, and the decoded values build them again."""
    data = encode_table(spec, table, values, device)
    size = table_size(spec, table, device)
    if size is not None:
        assert len(data) == size
    result = decode_table(spec, table, data, device=device)
    assert not result.warnings, result.warnings
    assert encode_table(spec, table, result.values(), device) == data
    again = decode_table(spec, table, data, device=device)
    assert again.values() == result.values()
    return data, result


def value(result, path):
    node = result.find(path)
    assert node is not None, path
    return node.value


def enum(result, path):
    node = result.find(path)
    assert node is not None, path
    return node.enum


def guide_vector(vid):
    if not VECTORS.exists():
        pytest.skip("guide vectors not available")
    for v in json.loads(VECTORS.read_text(encoding="utf-8")):
        if v["id"] == vid:
            return v
    pytest.skip(f"vector {vid} not found")


# ---------------------------------------------------------------------------- ET55


def _et55_values(gen4: bool) -> dict:
    vals = {
        "tariff_enable_flags": {"consumption_tariff_enabled": 1, "step_tariff_enabled": 1},
        "delta_time_adjust_increment": 16,
        "signal_strength_threshold": 84,
        "plc_active_timeout": 60,
        "lcd_message_id": b"P01 " + (b" " if gen4 else b""),
        "lcd_message_id_dp_state": 0x02,
        "lcd_message_text": b"HELLO   ",
        "message_override_control": {"disable_message_override": 1, "message_overridden": 0,
                                     "disable_message_in_scroll_list": 1},
        "phase_loss_threshold": 10,
        "tariff_disable_flags": {"reserved_bit0": 1, "disable_consumption_tariff": 0,
                                 "disable_step_tariff": 0},
        "over_power_threshold": 12000,
        "over_power_time_threshold": 30,
        "over_power_threshold_tier": 2,
        "over_power_source": 1,
        "ct_secondary_rated_current": 5,
        "clock_error_calendar_id": 0x01020304,
        "over_power_calendar_id": 0x0A0B0C0D,
        "general_crdt": 10,
        "pq_crdt": 10,
        "cover_tamper_pq_mask": {"phase_loss": 1, "preceding_outage": 1},
        "primary_lp_index": 1,
        "hf_noise_threshold": -300,
        "broken_mv_time_threshold": 600,
        "zero_fault_time_threshold": 10,
        "normal_voltage_upper_limit": 115,
        "normal_voltage_lower_limit": 85,
        "low_voltage_higher_limit": 60,
        "voltage_fluctuation_limit": 5,
        "prepay_tier_5_8_rates": [1000, 2000, 3000, 1000000],
        "reverse_energy_current_threshold": 1000,
        "step_tariff_thresholds": [100, 200, 0],
        "step_tariff_source": 3,
        "step_tariff_tou_id": 77,
        "step_tariff_reset_day": 28,
        "step_tariff_reset_hour": 23,
        "step_tariff_reset_minute": 59,
        "step_tariff_reset_second": 30,
        "rms_mains_cycles": 15,
        "avg_rms_seconds": 600,
        "nbr_avg_rms_for_nlc_nlp": 1008,
        "delta_adsup": 1, "delta_adinf": 2, "delta_prsup": 3, "delta_prinf": 4,
        "mvd_time_lower": 1, "mvd_time_upper": 180,
        "mvd_sag_low": 10, "mvd_sag_high": 90, "mvd_swell_low": 110,
        "energy_register_unit": 10,
    }
    if gen4:
        vals.update({
            "mep_flags": {"house_icon_control": 2, "mbus_discovery_auto_confirm": 1},
            "optical_config": {"enable_optical_dos_timer": 1, "disable_optical_port": 0},
            "optical_session_timeout": 600,
            "optical_session_holdoff": 300,
            "external_tamper_status": {"ext_tamper_1_in_use": 1, "ext_tamper_2_in_use": 1},
            "tamper_adc": [-100, 200, 300],
            "ext_tamper_duration": 5,
            "general_crdt_gen4": 10,
            "magnetic_tamper_duration": 10,
            "va_calc_method": 1,
            "locked_flags": {"bev_lp_lock_mode": 1},
            "reverse_energy_threshold_msb": 1,
        })
    return vals


def test_et55_gen3_roundtrip(spec):
    dev = Device(spec, "gen3")
    data, r = roundtrip(spec, "ET55", _et55_values(False), dev)
    assert len(data) == 186 + 4 * (4 - 1)  # A + 40, A = 146 + 4 * (BT20.7 - 1), BT20.7 = 4
    assert r.find("step_tariff_source").offset == 146 + 4 * 3  # symbol A (3.X)
    assert r.find("energy_register_unit").offset == 146 + 12 + 39
    assert r.find("prepay_tier_5_8_rates").offset == 128
    assert value(r, "over_power_threshold") == 12000
    assert r.find("over_power_threshold").offset == 81
    assert enum(r, "over_power_source") == "forward power"
    assert enum(r, "primary_lp_index") == "data set 2"
    assert enum(r, "energy_register_unit") == "10 Wh/varh"
    assert enum(r, "step_tariff_source") == "Fwd - Rev Active Wh L1L2L3"
    assert enum(r, "tariff_enable_flags.step_tariff_enabled") == "step tariff enabled"
    assert value(r, "hf_noise_threshold") == -300
    assert value(r, "lcd_message_id") == "P01"
    assert r.find("mep_flags") is None  # Gen 4 only


def test_et55_gen4_roundtrip(spec):
    dev = Device(spec, "gen4")
    data, r = roundtrip(spec, "ET55", _et55_values(True), dev)
    a = 147 + 4 * 3
    assert len(data) == a + 62
    assert r.find("step_tariff_source").offset == a
    assert r.find("lcd_message_id").size == 5  # Array [4 + X]
    assert r.find("lcd_message_id_dp_state").offset == 57
    assert r.find("phase_loss_threshold").offset == 79
    assert r.find("mep_flags").offset == a + 40
    assert r.find("reverse_energy_threshold_msb").offset == a + 61
    assert enum(r, "mep_flags.house_icon_control") == "MEP client 2 (MEP2)"
    assert enum(r, "va_calc_method") == "VA = sqrt(W*W + var*var)"
    assert [c.value for c in r.find("tamper_adc").children] == [-100, 200, 300]
    # F26: 1000 mA low word + MSB 1 -> 0x0103E8
    assert value(r, "reverse_energy_threshold_ma") == 1000 + 65536


# ---------------------------------------------------------------------------- ET57


def test_et57_guide_example_mdt1(spec):
    """l.931-937: MDT 1, DRH 0C 93 3A, Special False (M-Bus base entry byte 0 = 0x05)."""
    vec = guide_vector("et57_mdt1_drh")
    dev = Device(spec, "gen3")
    entry = bytes.fromhex("05") + bytes.fromhex(vec["expected"]["DRH"].replace(" ", ""))
    r = decode_table(spec, "ET57", entry + bytes(60), device=dev)
    assert value(r, "mdt_entries.[0].entry_info.mdt") == vec["expected"]["MDT"] == 1
    assert enum(r, "mdt_entries.[0].entry_info.entry_type") == "M-Bus base entry"
    assert enum(r, "mdt_entries.[0].entry_info.special") == "not special"
    assert value(r, "mdt_entries.[0].drh") == "0C 93 3A"
    assert enum(r, "mdt_entries.[1].entry_info.entry_type") == "empty"


def test_et57_roundtrip_base_mep_extension(spec):
    dev = Device(spec, "gen3")
    entries = [
        {"entry_info": {"entry_type": 1, "mdt": 1, "special": 0}, "drh": bytes.fromhex("0C933A")},
        {"entry_info": {"entry_type": 1, "mdt": 1, "special": 1}, "drh": bytes.fromhex("0C933B")},
        {"entry_info": {"entry_type": 2, "mdt": 5, "special": 0},
         "drh": {"msg_offset": 4, "compare_length": 2, "compare_command": 0x81}},
        {"entry_info": {"entry_type": 3, "mdt": 0, "special": 0}, "drh": bytes.fromhex("827F00")},
    ]
    data, r = roundtrip(spec, "ET57", {"mdt_entries": entries}, dev)
    assert len(data) == 64
    assert data[:4] == bytes.fromhex("050C933A")
    assert data[4] == 0x85  # special bit 7
    assert value(r, "mdt_entries.[2].drh.compare_command") == 0x81
    assert enum(r, "mdt_entries.[3].entry_info.entry_type") == "extension of previous entry"


# ---------------------------------------------------------------------------- ET58


@pytest.mark.parametrize("profile,count", [("gen3", 5), ("gen4", 6)])
def test_et58_roundtrip(spec, profile, count):
    dev = Device(spec, profile)
    statuses = [{"control_status": i + 1} for i in range(count)]
    data, r = roundtrip(spec, "ET58", {"device_status": statuses}, dev)
    assert len(data) == 20 * count
    assert value(r, f"device_status.[{count - 1}].control_status") == count
    assert r.find("device_status.[1].control_status").offset == 20


# ---------------------------------------------------------------------------- ET59 / ET85


@pytest.mark.parametrize("table", ["ET59", "ET85"])
def test_procedure_response_ep17(spec, table):
    """EP17 (0x811) completed, PSN 7 (the PSN of the guide's EP17 example, l.1438-1450)."""
    dev = Device(spec, "gen4")
    data = bytes.fromhex("11 08 07 00")
    r = decode_table(spec, table, data, device=dev)
    assert value(r, "header.proc.procedure_number") == 0x811
    assert enum(r, "header.proc.procedure_number") == "EP17"
    assert value(r, "header.psn") == 7
    assert enum(r, "header.result_code") == "procedure completed"
    assert encode_table(spec, table, r.values(), dev) == data


def test_et59_response_data_roundtrip(spec):
    """EP19 posts its 'Entry index UINT8 4' as response data (l.4932)."""
    dev = Device(spec, "gen3")
    data = bytes.fromhex("13 08 05 00 03")
    r = decode_table(spec, "ET59", data, device=dev)
    assert enum(r, "header.proc.procedure_number") == "EP19"
    assert r.find("response_data").offset == 4
    assert encode_table(spec, "ET59", r.values(), dev) == data
    r6 = decode_table(spec, "ET59", bytes.fromhex("3D 08 09 06"), device=dev)
    assert enum(r6, "header.result_code") == "unrecognized procedure, procedure ignored"


# ---------------------------------------------------------------------------- ET61


def test_et61_roundtrip(spec):
    dev = Device(spec, "gen3")
    relay1 = [{"switch_time": {"relay_state": 1, "minute": 30, "hour": 6}},
              {"switch_time": {"relay_state": 0, "minute": 0, "hour": 22}}]
    data, r = roundtrip(spec, "ET61", {"relay_control": [{"relay_switches": relay1}]}, dev)
    assert len(data) == 320
    # UINT16 LSB first: state bit 0, minute bits 5..10, hour bits 11..15
    assert data[0:2] == ((6 << 11) | (30 << 5) | 1).to_bytes(2, "little")
    assert enum(r, "relay_control.[0].relay_switches.[0].switch_time.relay_state") == "closed"
    assert value(r, "relay_control.[0].relay_switches.[1].switch_time.hour") == 22
    assert r.find("relay_control.[1].relay_switches.[0]").offset == 160


# ---------------------------------------------------------------------------- ET62


def _et62_values(gen4: bool, nch: int = 16) -> dict:
    pad = b" " if gen4 else b""
    return {
        "flags": {"display_local_time": 1, "use_all_channel_id_chars": 0, "disable_lp_display": 0},
        "lp_list_id_code": b"P01 " + pad,
        "lp_list_id_dp_state": 4,
        "lp_date_id_code": b"DATE" + pad,
        "interval_time_id_code": b"TIME" + pad,
        "ext_status_id_code": b"STAT" + pad,
        "code_word": [{"channel_id_code": f"CH{i + 1:02d}".encode() + pad, "channel_id_dp_state": 0,
                       "data_format": {"fields_after_dp": 3, "fields_before_dp": 5, "zero_suppression": 1}}
                      for i in range(nch)],
        "power_outage_number_id_code": b"NUM " + pad,
    }


@pytest.mark.parametrize("profile,size,po_ofs", [("gen3", 127, 117), ("gen4", 149, 137)])
def test_et62_roundtrip(spec, profile, size, po_ofs):
    dev = Device(spec, profile)
    data, r = roundtrip(spec, "ET62", _et62_values(profile == "gen4"), dev)
    assert len(data) == size
    assert value(r, "lp_date_id_code") == "DATE"
    assert value(r, "code_word.[15].channel_id_code") == "CH16"
    assert value(r, "code_word.[0].data_format.fields_before_dp") == 5
    assert enum(r, "flags.display_local_time") == "display load profile data in local time"
    assert enum(r, "code_word.[0].data_format.zero_suppression") == "hide leading zeros"
    assert "4th character" not in (enum(r, "lp_list_id_dp_state") or "")
    assert "3rd character" in enum(r, "lp_list_id_dp_state")
    assert r.find("power_outage_list_id_code").offset == po_ofs
    assert value(r, "power_outage_number_id_code") == "NUM"


# ---------------------------------------------------------------------------- ET66


def test_et66_guide_example_0x4001(spec):
    """l.931-933: mapped source 112 -> ET66 entry 0 = extended source ID 0x4001 (M-Bus device 0, MDT 1)."""
    vec = guide_vector("et42_mbus_extended_source_id")
    dev = Device(spec, "gen3")
    data = bytes.fromhex(vec["hex"]) + bytes(126)
    r = decode_table(spec, "ET66", data, device=dev)
    sid = "extended_source_ids.[0].[0].ext_source_id"
    assert value(r, sid + ".source_type") == vec["expected"]["bits 15..12 (type)"] == 4
    assert value(r, sid + ".source_index") == 0
    assert value(r, sid + ".source_low") & 0x1F == vec["expected"]["bits 4..0 (MDT)"] == 1
    assert encode_table(spec, "ET66", r.values(), dev) == data


def test_et66_roundtrip(spec):
    dev = Device(spec, "gen3")
    rows = [[{"ext_source_id": {"source_low": 112 + 16 * s + c if s == 0 else c, "source_index": 0,
                                "source_type": 0}} for c in range(16)] for s in range(4)]
    rows[0][1] = {"ext_source_id": {"source_low": 1, "source_index": 0, "source_type": 4}}
    data, r = roundtrip(spec, "ET66", {"extended_source_ids": rows}, dev)
    assert len(data) == 128
    assert data[2:4] == bytes.fromhex("0140")


# ---------------------------------------------------------------------------- ET70


def test_et70_guide_tls_example(spec):
    """TLS example 2 (l.438-443): partial read of ET70 offset 142, count 1 -> 02 = MEP2."""
    vec = guide_vector("tls2_table_read_request")
    assert vec["expected"]["unencrypted_decoded"]["offset"] == 142
    dev = Device(spec, "gen4")
    r = decode_table(spec, "ET70", bytes([2]), offset=142, device=dev)
    assert value(r, "current_comm_channel_index") == 2
    assert enum(r, "current_comm_channel_index") == "port for MEP client 2 (MEP2)"


@pytest.mark.parametrize("profile,size", [("gen3", 142), ("gen4", 156)])
def test_et70_roundtrip(spec, profile, size):
    dev = Device(spec, profile)
    vals = {"current_comm_channel_index": 1} if profile == "gen4" else {}
    data, r = roundtrip(spec, "ET70", vals, dev)
    assert len(data) == size
    if profile == "gen4":
        assert data[142] == 1
        assert enum(r, "current_comm_channel_index") == "port for MEP client 1 (MEP1)"


# ---------------------------------------------------------------------------- ET71


def test_et71_roundtrip(spec):
    dev = Device(spec, "gen3")
    entries = [{"monitor_source": 0, "configured_delta": 100, "comparison_value": 123456,
                "sampled_value": -5, "status": {"source_id_invalid": 0, "spares": 0}}]
    entries += [{"monitor_source": 255} for _ in range(9)]
    entries[1]["status"] = {"source_id_invalid": 1, "spares": 0}
    data, r = roundtrip(spec, "ET71", {"delta_data": entries}, dev)
    assert len(data) == 130
    assert value(r, "delta_data.[0].comparison_value") == 123456
    assert value(r, "delta_data.[0].sampled_value") == -5
    assert enum(r, "delta_data.[5].monitor_source") == "entry not in use"
    assert value(r, "delta_data.[1].status.source_id_invalid") in (1, True)
    assert r.find("delta_data.[1].status").offset == 13 + 12


# ---------------------------------------------------------------------------- ET74


def test_et74_header_only(spec):
    """ET54 'ET74 Entry Count' defaults to 0: the table is the 9-byte LogHeader16."""
    dev = Device(spec, "gen3")
    vals = {"header": {"list_flags": {"order": 0, "overflow": 1, "list_type": 1, "inhibit_overflow": 0},
                       "nbr_valid_entries": 300, "last_entry_element": 299, "last_entry_seq_nbr": 65535,
                       "nbr_unread_entries": 2}}
    data, r = roundtrip(spec, "ET74", vals, dev)
    assert data == bytes([0x06]) + b"".join(v.to_bytes(2, "little") for v in (300, 299, 65535, 2))
    assert value(r, "header.nbr_valid_entries") == 300


def test_et74_roundtrip_mep_entry(spec):
    dev = Device(spec, "gen3", values={"ET54.et74_entry_count": 2})
    size = table_size(spec, "ET74", dev)
    assert size == 9 + 2 * 525  # entry size = ET45's ET36 entry size (default 525)
    first = decode_table(spec, "ET74", bytes(size), device=dev).values()
    entry = dict(first["log_entries"][0])
    entry.update({"length": 10, "handle": 1000, "execution_status": 2, "result": 4})
    vals = {"header": {"list_flags": {"order": 0, "overflow": 0, "list_type": 1, "inhibit_overflow": 0},
                       "nbr_valid_entries": 1, "last_entry_element": 0, "last_entry_seq_nbr": 513,
                       "nbr_unread_entries": 1},
            "log_entries": [entry, first["log_entries"][1]]}
    data, r = roundtrip(spec, "ET74", vals, dev)
    assert data[9:11] == (10).to_bytes(2, "little")
    assert data[13:15] == (1000).to_bytes(2, "little")
    assert value(r, "header.last_entry_seq_nbr") == 513
    assert enum(r, "header.list_flags.list_type") == "circular queue"
    assert enum(r, "log_entries.[0].execution_status") == "delayed (entry is a power-up backfill)"
    assert enum(r, "log_entries.[0].result") == "success"
    assert r.find("log_entries.[0].data").offset == 17
    assert r.find("log_entries.[1].length").offset == 9 + 525


# ---------------------------------------------------------------------------- ET75


@pytest.mark.parametrize("profile,entry", [("gen3", 143), ("gen4", 159)])
def test_et75_roundtrip(spec, profile, entry):
    dev = Device(spec, profile, values={"ET36.entries.5.current_entries": 2})
    size = table_size(spec, "ET75", dev)
    assert size == 6 + 2 * entry
    pad = b" " if profile == "gen4" else b""
    e0 = {"timestamp": {"year": 22, "month": 3, "day": 1, "hour": 12, "minute": 15},
          "ext_source_ids": [{"ext_source_id": {"source_low": c, "source_index": 0, "source_type": 0}}
                             for c in range(16)],
          "demand_sources": [0, 1, 6, 7, 8, 9, 10, 11],
          "demand_sub_interval": 15, "demand_interval_multiplier": 1,
          "lp_display_config": [{"id_code": f"CH{c + 1:02d}".encode() + pad, "id_dp_state": 0,
                                 "data_format": {"fields_after_dp": 2, "fields_before_dp": 6,
                                                 "zero_suppression": 0}} for c in range(16)]}
    base = decode_table(spec, "ET75", bytes(size), device=dev).values()
    vals = {"header": base["header"], "log_entries": [e0, base["log_entries"][1]]}
    data, r = roundtrip(spec, "ET75", vals, dev)
    assert data[6:11] == bytes([22, 3, 1, 12, 15])
    assert value(r, "log_entries.[0].timestamp") == "2022-03-01 12:15"
    assert enum(r, "log_entries.[0].demand_sources.[2]") == "Fwd+Rev Active Wh L1L2L3"
    assert r.find("log_entries.[0].demand_sub_interval").offset == 51
    assert r.find("log_entries.[0].lp_display_config").offset == 53
    assert r.find("log_entries.[0].lp_display_config.[0].data_format").offset == 58 + (profile == "gen4")
    assert value(r, "log_entries.[0].lp_display_config.[15].id_code") == "CH16"
    assert r.find("log_entries.[1].timestamp").offset == 6 + entry


# ---------------------------------------------------------------------------- ET79


def test_et79_roundtrip(spec):
    dev = Device(spec, "gen3", values={"BT71.nbr_history_entries": 3, "BT71.history_data_length": 4})
    size = table_size(spec, "ET79", dev)
    assert size == 11 + 3 * (12 + 4)
    base = decode_table(spec, "ET79", bytes(size), device=dev).values()
    recs = base["history_records"]
    recs[0] = dict(recs[0], seq_nbr=0x1234, user_id=0xFFFD, event={"event_id": 0x7FF},
                   argument=[1, 2, 3, 4])
    recs[1] = dict(recs[1], user_id=0xFFFF)
    vals = {"header": dict(base["header"], last_entry_seq_nbr=0x00011234, nbr_valid_entries=2),
            "history_records": recs}
    data, r = roundtrip(spec, "ET79", vals, dev)
    assert data[5:9] == (0x00011234).to_bytes(4, "little")
    assert enum(r, "history_records.[0].user_id") == "MEP client operation being processed"
    assert enum(r, "history_records.[1].user_id") == "no user logged in"
    assert value(r, "history_records.[0].event.event_id") == 0x7FF
    assert r.find("history_records.[0].argument").offset == 23
    assert r.find("history_records.[1].event_time").offset == 27


# ---------------------------------------------------------------------------- ET80


def test_et80_roundtrip(spec):
    dev = Device(spec, "gen3")
    vals = {"average_power_enabled": 1, "sub_interval": 60, "interval_multiplier": 15,
            "disconnect_threshold": 7500}
    data, r = roundtrip(spec, "ET80", vals, dev)
    assert data == bytes([1]) + (60).to_bytes(2, "little") + bytes([15]) + (7500).to_bytes(4, "little")
    assert enum(r, "average_power_enabled") == "average power calculations enabled"
    assert r.find("sub_interval").unit == "s"


def test_et80_defaults(spec):
    """Missing fields take the guide's values: 0, 1, 15, 0."""
    dev = Device(spec, "gen3")
    assert encode_table(spec, "ET80", {}, dev) == bytes([0, 1, 0, 15, 0, 0, 0, 0])


# ---------------------------------------------------------------------------- ET81


def test_et81_roundtrip(spec):
    dev = Device(spec, "gen3", values={"ET36.entries.6.current_entries": 2})
    size = table_size(spec, "ET81", dev)
    assert size == 6 + 2 * 12
    base = decode_table(spec, "ET81", bytes(size), device=dev).values()
    hdr = dict(base["header"], nbr_valid_entries=1, last_entry_element=0, last_entry_seq_nbr=7,
               nbr_unread_entries=1)
    data, r = roundtrip(spec, "ET81", dict(base, header=hdr), dev)
    assert r.find("log_entries.[0].start_time").offset == 6
    assert r.find("log_entries.[0].end_time").offset == 12
    assert r.find("log_entries.[1].start_time").offset == 18
    assert value(r, "header.last_entry_seq_nbr") == 7
