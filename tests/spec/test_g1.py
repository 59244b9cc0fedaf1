"""Group g1 tables: ET03 ET04 ET09 ET13 ET14 ET15 ET16 ET21 ET23 (guide l.1516-2194).

Every table is built from chosen values (encode -> bytes -> decode -> same values, same bytes);
where the guide prints example bytes (guide-frames.json: et04_offset55, et14_first12,
et15_first31) they are decoded to the documented values.
"""

from __future__ import annotations

import pytest
from spec_vectors import _vector

from osgpdissect.codec import Device, decode_table, encode_table, table_size
from osgpdissect.lang.spec import load_default_spec


@pytest.fixture(scope="module")
def spec():
    return load_default_spec()




def roundtrip(spec, table: str, values: dict, profile: str = "gen3"):
    """encode -> decode -> the same values -> the same bytes; returns (bytes, DecodeResult)."""
    dev = Device(spec, profile)
    data = encode_table(spec, table, values, dev)
    result = decode_table(spec, table, data, device=dev)
    assert not result.warnings, result.warnings
    assert encode_table(spec, table, result.values(), Device(spec, profile)) == data
    again = decode_table(spec, table, data, device=Device(spec, profile))
    assert again.values() == result.values()
    return data, result


def enum_of(result, path: str) -> str | None:
    node = result.find(path)
    assert node is not None, path
    return node.enum


def value_of(result, path: str):
    node = result.find(path)
    assert node is not None, path
    return node.value


# ---------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("table", "gen3", "gen4"),
    [
        ("ET03", 143, 143),
        ("ET04", 129, 140),
        ("ET09", 657, 699),
        ("ET13", 330, 396),
        ("ET14", 186, 222),
        ("ET15", 221, 221),
        ("ET16", 2585, 3102),
        ("ET23", 186, 218),
    ],
)
def test_sizes(spec, table, gen3, gen4):
    assert table_size(spec, table, Device(spec, "gen3")) == gen3
    assert table_size(spec, table, Device(spec, "gen4")) == gen4


# ---------------------------------------------------------------------------- ET03


def test_et03_roundtrip(spec):
    data, r = roundtrip(
        spec, "ET03", {"utility_serial_number": b"UTIL-000123\x00", "image_crc": 0xBEEF}
    )
    assert len(data) == 143
    assert value_of(r, "utility_serial_number") == "UTIL-000123"
    assert data[137:139] == b"\xef\xbe"
    # erratum E101: the reserved bytes after the CRC are 139..142
    assert r.find("reserved_138").offset == 139 and r.find("reserved_138").size == 4


# ---------------------------------------------------------------------------- ET04


def test_et04_guide_offset55(spec):
    v = _vector("et04_offset55")
    r = decode_table(spec, "ET04", bytes.fromhex(v["hex"]), offset=v["offset"])
    assert value_of(r, "max_te_registers") == 4


def test_et04_roundtrip_gen3(spec):
    values = {
        "sequence_number": 123456,
        "transceiver_id": bytes.fromhex("0102030405A6"),
        "subnet_id": 3,
        "node_id": 17,
        "neuron_control": {"explicit_msg_received": 1, "neuron_phase": 2},
        "rated_frequency": 50,
        "max_power_outages": 10,
        "inactive_phases": {"voltage_l2": 1, "voltage_l3": 1},
        "dst_off_time_delta": -60,
        "self_read_hour": 23,
        "self_read_minute": 59,
        "stop_mode_config": 255,
        "neuron_state": 140,
        "phase_rotation_changed": 1,
        "reverse_energy_current_threshold": 1000,
        "plc_signal_quality": 6,
        "events_outage_threshold": 0xFFFF,
        "meter_form": ord("S"),
        "max_key_usage_count": 1_000_000,
        "security_mode": 2,
    }
    data, r = roundtrip(spec, "ET04", values, "gen3")
    assert len(data) == 129
    assert enum_of(r, "neuron_control.neuron_phase") == "plus 120 degrees inverted"
    assert enum_of(r, "inactive_phases.voltage_l2") == "phase is not present"
    assert enum_of(r, "subnet_id") == "commissioned (subnet 3)"
    assert enum_of(r, "neuron_state") == "configured, in bypass mode"
    assert enum_of(r, "stop_mode_config") == "immediately go to stop mode"
    assert enum_of(r, "meter_form") == "S-base ('S')"
    assert enum_of(r, "security_mode") == "OSGP-AES-128-PSK"
    assert value_of(r, "dst_off_time_delta") == -60
    assert data[12] == 0b010_00001  # neuron phase in bits 5..7
    assert r.find("mep_sequence_numbers") is None  # 4.0+ only


def test_et04_roundtrip_gen4_tail(spec):
    values = {
        "mep_sequence_numbers": [7, 9],
        "reverse_energy_time_ms": 250,
        "reverse_energy_time_s": 10,
    }
    data, r = roundtrip(spec, "ET04", values, "gen4")
    assert len(data) == 140
    assert data[129:137] == bytes.fromhex("0700000009000000")
    assert data[137] == 250 and data[138:140] == b"\x0a\x00"
    assert value_of(r, "reverse_energy_time_threshold") == 10_250  # derived: s * 1000 + ms


# ---------------------------------------------------------------------------- ET09


def _ltd(y, mo, d, h=0, mi=0, s=0):
    return {"year": y, "month": mo, "day": d, "hour": h, "minute": mi, "second": s}


def test_et09_roundtrip_gen4(spec):
    outages = [
        {
            "power_on": _ltd(24, 3, 1, 12, 0, 5),
            "reset_cause": 3,
            "power_off": _ltd(24, 3, 1, 11, 58, 0),
            "power_off_duration": 125,
        }
    ] + [{} for _ in range(9)]
    values = {
        "sag1_threshold": 10,
        "surge_threshold": 10,
        "power_outage_records": outages,
        "min_frequency": 49_950,
        "phase_loss": {"l2_loss": 1},
        "short_outage_count": 4,
        "thd_records": [
            {"thd_threshold": 50, "thd_event_records": [{"event_count": 2}, {}, {}]},
            {},
            {},
        ],
        "drp_drc_records": [{"drp": 123, "drc": 45}] + [{} for _ in range(11)],
        "sag2_threshold": 255,
        "avg_current_interval": 600,
        "options": {"early_sag_surge_event": 1},
    }
    data, r = roundtrip(spec, "ET09", values, "gen4")
    assert len(data) == 699
    a = 10 * 18 + 357
    assert enum_of(r, "power_outage_records.[0].reset_cause") == "power failure"
    assert value_of(r, "power_outage_records.[0].power_off_duration") == 125
    assert r.find("l1_recent_sag1").offset == 10 * 18 + 6
    assert r.find("short_outage_count").offset == 10 * 18 + 135
    assert r.find("thd_records.[0].thd_event_records.[0].event_count").offset == 10 * 18 + 151
    assert (
        r.find("thd_records.[1]").offset == 10 * 18 + 147 + 70
    )  # erratum E110: 22-byte event records
    assert r.find("drp_drc_records.[0].drp").offset == a
    assert r.find("sag2_time").offset == a + 10 * 12
    assert r.find("options").offset == a + 10 * 12 + 41
    assert enum_of(r, "phase_loss.l2_loss") == "phase loss"


def test_et09_gen3_has_no_4x_fields(spec):
    data, r = roundtrip(spec, "ET09", {"long_outage_threshold": 0}, "gen3")
    assert len(data) == 657
    assert r.find("sag2_time") is None and r.find("drp_drc_records") is not None
    assert enum_of(r, "long_outage_threshold").startswith("every outage longer than about 250 ms")


# ---------------------------------------------------------------------------- ET13


def test_et13_roundtrip_mbus_and_mep_entries(spec):
    mbus = {
        "billing_read_time": {"day": 34, "hour": 6, "minute": 30},
        "billing_read_frequency": 2,
        "status_read_frequency": 60,
        "baud_rate": 4,
        "customer_id": b"CUSTOMER-42".ljust(20, b"\x00"),
        "security_key_length": 16,
        "security_key": bytes(8) + bytes(range(1, 25)),
        "ta": 11,
        "to": 20,
    }
    mep = {
        "baud_rate": 0,
        "alert_flags": {"scheduled_read_alert": 1, "delta_data_alert": 1},
        "downlink_data": b"\xaa" * 57,
    }
    values = {"device_config": [mbus, {}, {}, {}, mep, {}]}
    data, r = roundtrip(spec, "ET13", values, "gen4")
    assert len(data) == 6 * 66
    assert enum_of(r, "device_config.[0].billing_read_time.day") == "Tuesday"
    assert enum_of(r, "device_config.[0].billing_read_frequency") == "weekly"
    assert enum_of(r, "device_config.[0].baud_rate") == "2400 (M-Bus default)"
    assert value_of(r, "device_config.[0].customer_id") == "CUSTOMER-42"
    assert enum_of(r, "device_config.[0].security_key_length") == "16-byte key"
    assert r.find("device_config.[0].to").offset == 64
    assert enum_of(r, "device_config.[4].baud_rate") == "9600 (MEP default)"
    assert data[4 * 66 + 8] == 0b1_0001
    assert r.find("device_config.[4].downlink_data").size == 66 - 9
    assert r.find("device_config.[5].alert_flags") is not None  # MEP client 2 on Gen 4
    assert enum_of(r, "device_config.[1].billing_read_time.day") == "first day of the month"


# ---------------------------------------------------------------------------- ET14


def test_et14_guide_first12(spec):
    v = _vector("et14_first12")
    r = decode_table(spec, "ET14", bytes.fromhex(v["hex"]), offset=v["offset"])
    assert value_of(r, "mode") == 0
    assert value_of(r, "reserved_1") == 0
    assert value_of(r, "device_occupancy") == 0x11
    assert enum_of(r, "device_occupancy.device_1") == "occupied"
    assert enum_of(r, "device_occupancy.device_5") == "occupied"
    assert enum_of(r, "device_occupancy.device_2") == "empty"
    assert value_of(r, "status.[0].device_handle") == 1
    assert enum_of(r, "status.[0].device_handle") == "M-Bus device"
    assert enum_of(r, "status.[0].device_status") == "M-Bus device active (Up)"
    assert enum_of(r, "status.[0].baud_rate") == "2400 (M-Bus default)"
    assert value_of(r, "status.[0].billing_read_length") == 47


def test_et14_roundtrip(spec):
    entries = [
        {
            "device_handle": 1,
            "device_status": 1,
            "baud_rate": 4,
            "billing_read_length": 47,
            "read_attempts": 100,
            "read_answers": 98,
            "mep_alarms": {"billing_data_collected": 1, "fw_switchover_failure": 1},
            "last_read_attempt": _ltd(24, 5, 6, 7, 8, 9),
        },
        {},
        {},
        {},
        {"device_handle": 1016, "device_status": 3, "baud_rate": 0},
    ]
    data, r = roundtrip(
        spec, "ET14", {"device_occupancy": {"device_1": 1, "device_5": 1}, "status": entries}
    )
    assert len(data) == 186
    assert data[20:22] == b"\x81\x00"
    assert enum_of(r, "status.[4].device_handle") == "MEP client 1"
    assert enum_of(r, "status.[4].device_status") == "MEP client active (Up)"
    assert r.find("status.[4]").offset == 6 + 4 * 36
    assert r.find("status.[0].last_read_attempt").offset == 36


# ---------------------------------------------------------------------------- ET15


def test_et15_guide_first31(spec):
    v = _vector("et15_first31")
    r = decode_table(spec, "ET15", bytes.fromhex(v["hex"]), offset=v["offset"])
    assert value_of(r, "pointers.write_pointer") == 0
    assert value_of(r, "pointers.read_pointer") == 0
    queue = v["derived"]["Request Queue (5 x 6 bytes)"]
    for i, entry in enumerate(queue):
        assert value_of(r, f"request_queue.[{i}].transaction_nbr") == entry["Transaction Nbr"]
        assert value_of(r, f"request_queue.[{i}].device_handle") == entry["Device Handle"]
        assert value_of(r, f"request_queue.[{i}].request_type") == 2
        assert value_of(r, f"request_queue.[{i}].result") == 1
        assert enum_of(r, f"request_queue.[{i}].request_type") == "billing read (data requested)"
        assert enum_of(r, f"request_queue.[{i}].result") == "success"
    assert value_of(r, "request_queue.[3].device_handle") == 1016


def test_et15_roundtrip(spec):
    values = {
        "pointers": {"write_pointer": 2, "read_pointer": 1},
        "request_queue": [
            {"transaction_nbr": 66, "device_handle": 1016, "request_type": 4, "result": 0},
            {"transaction_nbr": 67, "device_handle": 0xFFFF, "request_type": 6, "result": 3},
            {},
            {},
            {},
        ],
        "write_messages": [
            {"write_data_length": 3, "write_data": b"\x01\x02\x03" + bytes(21)},
            {},
            {},
            {},
            {},
        ],
        "multicast_data_length": 56,
        "multicast_data": bytes(range(64)),
    }
    data, r = roundtrip(spec, "ET15", values)
    assert len(data) == 221
    assert data[0] == 0x12
    assert r.find("write_messages.[0].write_data_length").offset == 5 * 6 + 1
    assert r.find("multicast_data_length").offset == 5 * (6 + 25) + 1
    assert (
        enum_of(r, "request_queue.[1].device_handle") == "all commissioned devices (request type 6)"
    )
    assert enum_of(r, "request_queue.[1].result") == "request failed"
    assert enum_of(r, "request_queue.[0].request_type").startswith("write data")


# ---------------------------------------------------------------------------- ET16


KAM = (ord("K") - 64) * 32 * 32 + (ord("A") - 64) * 32 + (ord("M") - 64)


def test_et16_roundtrip_variable_fixed_and_mep(spec):
    variable = {
        "timestamp": _ltd(24, 5, 1, 0, 15, 0),
        "response_info": {"response_type": 0, "decryption": 1},
        "length_l": 20,
        "serial_nbr": bytes.fromhex("78563412"),
        "mfg_id": KAM,
        "version": 1,
        "medium": 7,
        "access_number": 9,
        "status": {"application_status": 1, "power_low": 1},
        "data_records": bytes.fromhex("0C13785634"),
        "terminator": 0,
    }
    fixed = {
        "timestamp": _ltd(24, 5, 1, 0, 15, 0),
        "response_info": {"response_type": 1, "data_order": 0},
        "length_l": 16,
        "serial_nbr": bytes.fromhex("21436587"),
        "access_number": 3,
        "status": {"counters_binary": 1},
        "medium_unit": 0x1234,
        "counter_1": -5,
        "counter_2": 100_000,
    }
    mep = {
        "timestamp": _ltd(24, 5, 2, 1, 0, 0),
        "read_count": 12,
        "length_l": 4,
        "data": b"\xde\xad\xbe\xef",
    }
    values = {"device_table": [variable, fixed, {}, {}, mep]}
    data, r = roundtrip(spec, "ET16", values, "gen3")
    assert len(data) == 5 * 517
    assert value_of(r, "device_table.[0].serial_nbr") == 12345678
    assert value_of(r, "device_table.[0].mfg_id") == "KAM"
    assert enum_of(r, "device_table.[0].medium") == "Water"
    assert enum_of(r, "device_table.[0].status.application_status") == "application busy"
    assert enum_of(r, "device_table.[0].response_info.response_type") == "variable data structure"
    assert r.find("device_table.[0].data_records").offset == 20
    assert r.find("device_table.[0].data_records").size == 20 - 13
    assert value_of(r, "device_table.[1].counter_1") == -5
    assert value_of(r, "device_table.[1].serial_nbr") == 87654321
    assert data[517 + 14 : 517 + 16] == b"\x34\x12"  # Medium/Unit always LSB first
    assert r.find("device_table.[4]").offset == 4 * 517
    assert value_of(r, "device_table.[4].read_count") == 12
    assert r.find("device_table.[4].data").offset == 4 * 517 + 11
    assert data[4 * 517 + 11 : 4 * 517 + 15] == b"\xde\xad\xbe\xef"


def test_et16_all_zero_entries_decode(spec):
    """Empty slots (all zeros): L = 0 telegrams and MEP entries without data decode cleanly."""
    dev = Device(spec, "gen4")
    r = decode_table(spec, "ET16", bytes(6 * 517), device=dev)
    assert not r.warnings
    assert r.find("device_table.[0].short_telegram").size == 0
    assert r.find("device_table.[0].further_telegrams").size == 517 - 8
    assert value_of(r, "device_table.[5].length_l") == 0


def test_et16_fixed_bcd_counters_msb_first(spec):
    fixed = {
        "response_info": {"response_type": 1, "data_order": 1},
        "length_l": 16,
        "status": {"counters_binary": 0},
        "counter_1": bytes.fromhex("00012345"),
        "counter_2": bytes.fromhex("00000099"),
    }
    data, r = roundtrip(spec, "ET16", {"device_table": [fixed, {}, {}, {}, {}]}, "gen3")
    assert value_of(r, "device_table.[0].counter_1") == 12345
    assert value_of(r, "device_table.[0].counter_2") == 99
    assert enum_of(r, "device_table.[0].status.counters_binary") == "counters coded BCD"


# ---------------------------------------------------------------------------- ET21


def test_et21_roundtrip_two_data_sets(spec):
    ds = {
        "block_size": 4096,
        "nbr_channels": 2,
        "interval_time": 15,
        "sources": bytes([0, 1, 0, 0, 0, 0, 0, 0]),
        "placeholders": [0, -1, 2, 3, 4, 5, 6, 7],
        "interval_end_utc": _ltd(24, 5, 1, 12, 15, 0),
        "interval_end_local": _ltd(24, 5, 1, 14, 15, 0),
        "max_memory_length": 65536,
        "flags": {"nvmf_occurred": 1},
        "lp_options": {"ansi_compliance": 1},
    }
    data, r = roundtrip(spec, "ET21", {"data_sets": [ds, dict(ds, nbr_channels=4)]})
    assert len(data) == 2 * 131
    assert (
        r.find("data_sets.[0].interval_end_local").offset == 101
    )  # erratum E118: byte 100 undocumented
    assert r.find("data_sets.[0].reserved_112").offset == 112
    assert r.find("data_sets.[1]").offset == 131
    assert value_of(r, "data_sets.[1].nbr_channels") == 4
    assert list(r.values()["data_sets"][0]["placeholders"]) == [0, -1, 2, 3, 4, 5, 6, 7]
    assert enum_of(r, "data_sets.[0].lp_options.ansi_compliance") == "ANSI-compliant"
    assert enum_of(r, "data_sets.[0].interval_in_progress") == "no interval pending"


# ---------------------------------------------------------------------------- ET23


@pytest.mark.parametrize(("profile", "size"), [("gen3", 186), ("gen4", 218)])
def test_et23_roundtrip(spec, profile, size):
    values = {
        "lontalk_msgs_received": 1000,
        "lontalk_msgs_validated": 990,
        "disconnect_internal_status": 2,
        "active_calendar_id": 0xCAFE,
    }
    data, r = roundtrip(spec, "ET23", values, profile)
    assert len(data) == size
    assert enum_of(r, "disconnect_internal_status") == "opened"
    assert r.find("active_calendar_id").offset == 95
    assert r.find("reserved_99").size == size - 99
