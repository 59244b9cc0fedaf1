"""Group g4 tables (ET89 ET90 ET97 BT00 BT01 BT15 BT20 BT21-BT28; sources.osgp, registers.osgp).

Each table is built from chosen values (encode -> bytes -> decode -> same values, same bytes);
where the guide prints example data (shared/vectors/guide-frames.json), the guide's bytes are
decoded and compared with the guide's own decoding.  BT23 is decoded under several BT21
configurations and BT28 under firmware before and after 3.10, with offsets computed by hand from
the guide's symbols (A = demand-reset byte, B = A + 4*BT21.3, C = B + BT21.4*DmdRcd,
D = C + BT21.5*CoinRcd; BT28: present values at (A+4)*BT21.8 + 4*N).
"""

from __future__ import annotations

import pytest
from spec_vectors import _sub, _vector

from osgpdissect.codec import decode_table, encode_table, table_size
from osgpdissect.lang.spec import load_default_spec
from osgpdissect.layout.device import Device

# The guide's example BT21 (l.1350) and BT20 (l.1342), from the ET53 transaction response.
BT21_GUIDE = bytes.fromhex("3F0E0C0F08000104081A")
BT20_GUIDE = bytes.fromhex("3F0EFD0F08100104081A")


@pytest.fixture(scope="module")
def spec():
    return load_default_spec()






def device(spec, profile="gen3", fw=None, **tables) -> Device:
    dev = Device(spec, profile, fw=fw) if fw else Device(spec, profile)
    for tid, data in tables.items():
        dev.learn(tid, 0, data)
    return dev


def roundtrip(spec, table: str, values: dict, dev: Device, size: int | None = None, static: bool = True):
    """``static``: the size follows from the dimensions alone (not from the table's own bytes)."""
    data = encode_table(spec, table, values, device=dev)
    if size is not None:
        assert len(data) == size
        assert table_size(spec, table, dev) == (size if static else None)
    res = decode_table(spec, table, data, device=dev)
    assert not res.warnings, res.warnings
    _sub(values, res.values())
    assert encode_table(spec, table, res.values(), device=dev) == data
    return data, res


def offset(res, path: str) -> int:
    node = res.find(path)
    assert node is not None, path
    return node.offset


# ---------------------------------------------------------------------------- BT00


def test_bt00_roundtrip_gen4(spec):
    dev = device(spec, "gen4")
    values = {
        "format_control_1": {"data_order": 0, "char_format": 1},
        "format_control_2": {"time_format": 2, "data_access_method": 1, "id_format": 1, "int_format": 0},
        "format_control_3": {"ni_format1": 8, "ni_format2": 8},
        "manufacturer": b"ELON",
        "nameplate_type": 2, "default_set_used": 0, "max_proc_parm_length": 255, "max_resp_data_len": 12,
        "std_version_no": 1, "std_revision_no": 0,
        "dim_std_tbls_used": 10, "dim_mfg_tbls_used": 20, "dim_std_proc_used": 2, "dim_mfg_proc_used": 12,
        "dim_mfg_status_used": 9, "nbr_pending": 4,
        "std_tbls_used": bytes([0x03, 0x00, 0xE0, 0x1F]) + bytes(6),
    }
    # 19 documented bytes + SETs of 10 + 20 + 2 + 12 + 10 + 20 (C12.19 tail, erratum E401)
    data, res = roundtrip(spec, "BT00", values, dev, size=93, static=False)
    assert data[:3] == bytes([0x02, 0x2A, 0x88])
    assert res.find("format_control_3.ni_format1").enum == "4-byte signed integer (INT32)"
    assert res.find("format_control_1.char_format").enum == "ASCII per ISO/IEC 646:1991"
    assert res.find("format_control_2.id_format").enum == "BCD"
    assert res.find("nameplate_type").enum == "electric"
    # the guide's symbols: A = 10, B = 30, C = 32, D = 44 -> sets at 19, 29, 49, 51, 63, 73
    for path, ofs in [("std_tbls_used", 19), ("mfg_tbls_used", 29), ("std_proc_used", 49),
                      ("mfg_proc_used", 51), ("std_tbls_write", 63), ("mfg_tbls_write", 73)]:
        assert offset(res, path) == ofs, path
    assert res.find("std_tbls_used").value[:4] == [0, 1, 21, 22]


def test_bt00_gen3_extended_tables_set(spec):
    dev = device(spec, "gen3")
    data, res = roundtrip(spec, "BT00", {"dim_std_tbls_used": 10, "dim_mfg_tbls_used": 13,
                                         "dim_std_proc_used": 2, "dim_mfg_proc_used": 12}, dev)
    assert len(data) == 19 + 2 * (10 + 13) + 2 + 12


# ---------------------------------------------------------------------------- BT01


@pytest.mark.parametrize("vid, version", [("bt01_fw_version_3_00_24", (3, 0, 24)),
                                          ("bt01_fw_version_3_10_21", (3, 10, 21))])
def test_bt01_guide_fw_versions(spec, vid, version):
    """Guide l.3868: 3.00.24 = 0x3018, 3.10.21 = 0x3155, high byte at offset 14."""
    v = _vector(vid)
    res = decode_table(spec, "BT01", bytes.fromhex(v["hex"]), offset=v["offset"])
    fw = res.values()["fw_version"]
    assert (fw["major"], fw["minor"], fw["build"]) == version
    assert res.find("fw_version").value == int(v["expected"]["value"], 16)


def test_bt01_roundtrip(spec):
    dev = device(spec)
    values = {"manufacturer": b"ELON", "model": b"MT382\x00\x00\x00",
              "fw_version": {"major": 4, "minor": 60, "build": 7}, "reserved_16": bytes(range(8))}
    data, res = roundtrip(spec, "BT01", values, dev)
    assert len(data) == 24
    assert data[14:16] == bytes([0x47, 0x87])  # 4 << 12 | 60 << 5 | 7 = 0x4787, MSB first
    assert offset(res, "reserved_16") == 16


# ---------------------------------------------------------------------------- BT15


def test_bt15_roundtrip(spec):
    values = {"multiplier": 1, "offset_adj": -25, "set_flags": {"applied": 1}, "ct_ratio": 200, "vt_ratio": 1}
    data, res = roundtrip(spec, "BT15", values, device(spec), size=17)
    assert data[4:8] == (-25).to_bytes(4, "little", signed=True)
    assert data[8] == 0x01
    assert offset(res, "vt_ratio") == 13


# ---------------------------------------------------------------------------- BT20 / BT21


def test_bt20_dims_match_guide_example(spec):
    """BT20 is referenced only; its dims' defaults are the guide's example bytes (l.1342)."""
    dev = device(spec)
    from osgpdissect.lang import model as m

    names = ["reg_func1_flags", "reg_func2_flags", "nbr_self_reads", "nbr_summations", "nbr_demands",
             "nbr_coin_values", "nbr_occur", "nbr_tiers", "nbr_present_demands", "nbr_present_values"]
    got = bytes(dev.remote(m.Ref(("BT20", n)), (n,)) for n in names)
    assert got == bytes.fromhex(_vector("bt20_first10")["hex"]) == BT20_GUIDE


def test_bt21_guide_example(spec):
    v = _vector("bt21_first10")
    res = decode_table(spec, "BT21", bytes.fromhex(v["hex"]))
    assert not res.warnings
    d = v["derived"]
    vals = res.values()
    flags = vals["flags"]
    assert [flags[k] for k in ("season_info", "date_time_field", "demand_reset_ctr", "demand_reset_lock",
                               "cum_demand", "cont_cum_demand", "time_remaining")] == [1, 1, 1, 1, 1, 1, 0]
    sr = vals["self_read_flags"]
    assert (sr["self_read_inhibit_overflow"], sr["self_read_seq_nbr"], sr["daily_self_read"],
            sr["weekly_self_read"], sr["self_read_demand_reset"]) == (0, 1, 1, 1, 0)
    assert vals["nbr_self_reads"] == d["Number of Self-reads"] == 12
    assert vals["nbr_summations"] == d["Number of Summations"] == 15
    assert vals["nbr_demands"] == 8 and vals["nbr_coin_values"] == 0 and vals["nbr_occur"] == 1
    assert vals["nbr_tiers"] == 4 and vals["nbr_present_demands"] == 8 and vals["nbr_present_values"] == 26
    assert res.find("self_read_flags.self_read_demand_reset").enum.startswith("no self-read")
    assert encode_table(spec, "BT21", vals) == BT21_GUIDE


def test_bt21_defaults_reproduce_guide_example(spec):
    """Without BT21 bytes, the dimensions come from the spec defaults = the guide's example."""
    from osgpdissect.lang import model as m

    dev = device(spec, "gen3")
    paths = [("flags", "season_info"), ("flags", "date_time_field"), ("flags", "demand_reset_ctr"),
             ("flags", "demand_reset_lock"), ("flags", "cum_demand"), ("flags", "cont_cum_demand"),
             ("flags", "time_remaining")]
    byte0 = sum(dev.remote(m.Ref(("BT21",) + p), p) << i for i, p in enumerate(paths))
    paths1 = [("self_read_flags", "self_read_inhibit_overflow"), ("self_read_flags", "self_read_seq_nbr"),
              ("self_read_flags", "daily_self_read"), ("self_read_flags", "weekly_self_read")]
    byte1 = sum(dev.remote(m.Ref(("BT21",) + p), p) << i for i, p in enumerate(paths1))
    counts = [dev.remote(m.Ref(("BT21", n)), (n,)) for n in
              ("nbr_self_reads", "nbr_summations", "nbr_demands", "nbr_coin_values", "nbr_occur",
               "nbr_tiers", "nbr_present_demands", "nbr_present_values")]
    assert bytes([byte0, byte1, *counts]) == BT21_GUIDE
    # and the default layout of BT23 is the guide's 981 bytes
    assert table_size(spec, "BT23", dev) == 981


# ---------------------------------------------------------------------------- BT22 / BT27


def test_bt22_roundtrip(spec):
    bt21 = bytes.fromhex("3F0E0C0F0802010408 1A".replace(" ", ""))  # 15 sums, 8 demands, 2 coincidents
    dev = device(spec, BT21=bt21)
    values = {
        "summation_sources": [0, 1, 2, 3, 4, 5, 6, 7, 26, 27, 28, 108, 109, 110, 111],
        "demand_select": [8, 9, 10, 11, 185, 186, 187, 20],
        "min_max_flags": bytes([0xFF]),
        "coincident_select": [15, 16],
        "coin_demand_assoc": bytes([0, 1]),
    }
    data, res = roundtrip(spec, "BT22", values, dev, size=15 + 8 + 1 + 2 * 2)
    assert offset(res, "demand_select") == 15
    assert offset(res, "min_max_flags") == 23
    assert offset(res, "coincident_select") == 24
    assert offset(res, "coin_demand_assoc") == 26
    assert res.find("summation_sources.[0]").enum == "Fwd Active Wh L1L2L3"
    assert res.find("summation_sources.[8]").enum == "Channel 0 Pulse Input"
    assert res.find("demand_select.[4]").enum == "Fwd Active W L1"
    assert res.find("min_max_flags").value == list(range(8))


def test_source_id_enum(spec):
    """Mapped sources 112..163 get computed labels; footnote availability is in the label."""
    bt21 = bytes.fromhex("3F0E0C0F00000104081A")  # 15 summations, no demands
    dev = device(spec, BT21=bt21)
    data = encode_table(spec, "BT22", {"summation_sources": [112, 163, 216, 233, 236, 40, 72, 182, 0, 0, 0, 0, 0, 0, 0]},
                        device=dev)
    res = decode_table(spec, "BT22", data, device=dev)
    labels = [res.find(f"summation_sources.[{i}]").enum for i in range(8)]
    assert labels[0].startswith("Mapped Source 0")
    assert labels[1].startswith("Mapped Source 51")
    assert labels[2] == "Apparent Power Q1 VA L1L2L3 [fw 4.0+]"
    assert labels[3] == "Average RMS Current mA L1 [fw 4.10+]"
    assert labels[4].startswith("Voltage Angle A to B")
    assert labels[5] == "T1 Fwd Active Wh L1L2L3"
    assert labels[6] == "T3 Error Counter"
    assert labels[7] == "Max reverse active power L1 Post CT/VT Ratio"


def test_bt27_roundtrip(spec):
    dev = device(spec, BT21=BT21_GUIDE)  # 8 present demands, 26 present values
    values = {"present_demand_sources": [88, 89, 90, 91, 92, 93, 94, 95],
              "present_value_sources": list(range(8, 26)) + [81, 82, 83, 84, 104, 105, 106, 107]}
    data, res = roundtrip(spec, "BT27", values, dev, size=34)
    assert offset(res, "present_value_sources") == 8
    assert res.find("present_demand_sources.[0]").enum == "Present Dmd 1"
    assert res.find("present_value_sources.[11]").enum == "Frequency"


# ---------------------------------------------------------------------------- BT23


def _demand(occ, t=True, cum=True, cont=True, base=0):
    d = {"demand": [base + 100 + i for i in range(occ)]}
    if t:
        d["event_time"] = [{"year": 24, "month": 3, "day": 1 + i, "hour": 12, "minute": 30} for i in range(occ)]
    if cum:
        d["cum_demand"] = base + 50
    if cont:
        d["cont_cum_demand"] = base + 60
    return d


def test_bt23_guide_example_config(spec):
    """BT21 = 3F 0E 0C 0F 08 00 01 04 08 1A: A=1, B=61, DmdRcd=17, C=D=197, size 981."""
    dev = device(spec, BT21=BT21_GUIDE)
    block = {"fwd_active_wh": 123456, "rev_active_wh": 7, "fwd_minus_rev_active_wh": 123449,
             "reactive_varh_q4": 99, "demands": [_demand(1, base=k) for k in range(8)]}
    values = {"register_data": {"nbr_demand_resets": 3, "totals": block,
                                "tiers": [{"fwd_active_wh": 1000 * (t + 1)} for t in range(4)]}}
    data, res = roundtrip(spec, "BT23", values, dev, size=981)
    assert data[0] == 3
    assert data[1:5] == (123456).to_bytes(4, "little")
    rd = "register_data"
    assert offset(res, f"{rd}.totals.fwd_active_wh") == 1                 # A
    assert offset(res, f"{rd}.totals.reactive_varh_q4") == 1 + 56          # A+56 (summation 14)
    assert res.find(f"{rd}.totals.apparent_vah_q1") is None                # only 15 summations
    assert offset(res, f"{rd}.totals.demands.[0].event_time") == 61        # B
    assert offset(res, f"{rd}.totals.demands.[0].cum_demand") == 66        # B + 5*BT21.6
    assert offset(res, f"{rd}.totals.demands.[0].cont_cum_demand") == 70   # B + 5*BT21.6 + 4
    assert offset(res, f"{rd}.totals.demands.[0].demand") == 74            # B + 5*BT21.6 + 8
    assert offset(res, f"{rd}.totals.demands.[7].demand") == 61 + 7 * 17 + 13
    assert offset(res, f"{rd}.tiers.[0].fwd_active_wh") == 197             # D
    assert offset(res, f"{rd}.tiers.[3].fwd_active_wh") == 197 + 3 * 196
    assert res.values()[rd]["tiers"][2]["fwd_active_wh"] == 3000
    assert res.find(f"{rd}.totals.fwd_active_wh").unit == "Wh"


def test_bt23_no_demand_config(spec):
    """BT21 flags all off, 11 summations, 2 demands, 4 coincidents, 1 occurrence, 4 tiers.

    A = 0; DmdRcd = 4 (demand only); B = 44; C = 44 + 2*4 = 52; CoinRcd = 4; D = 52 + 16 = 68;
    size = D + 4*(D - A) = 340.
    """
    bt21 = bytes.fromhex("0000000B0204010400 16".replace(" ", ""))
    dev = device(spec, BT21=bt21)
    values = {"register_data": {
        "totals": {"fwd_active_wh": 1, "error_counter": 2,
                   "demands": [{"demand": [-5]}, {"demand": [6]}],
                   "coincidents": [{"coincidents": [i]} for i in range(4)]},
        "tiers": [{"rev_active_wh": t} for t in range(4)]}}
    data, res = roundtrip(spec, "BT23", values, dev, size=340)
    rd = "register_data"
    assert res.find(f"{rd}.nbr_demand_resets") is None
    assert offset(res, f"{rd}.totals.fwd_active_wh") == 0                  # A = 0
    assert offset(res, f"{rd}.totals.error_counter") == 40                 # summation 10
    assert res.find(f"{rd}.totals.reactive_varh_q1") is None               # only 11 summations
    assert res.find(f"{rd}.totals.demands.[0].event_time") is None
    assert res.find(f"{rd}.totals.demands.[0].cum_demand") is None
    assert offset(res, f"{rd}.totals.demands.[1].demand") == 48            # B + 4
    assert offset(res, f"{rd}.totals.coincidents.[0]") == 52               # C
    assert offset(res, f"{rd}.totals.coincidents.[3].coincidents") == 64
    assert offset(res, f"{rd}.tiers.[0]") == 68                            # D
    assert offset(res, f"{rd}.tiers.[1].demands.[0].demand") == 68 + 68 + 44
    assert data[44:48] == (-5).to_bytes(4, "little", signed=True)


def test_bt23_gen4_two_occurrences_eight_tiers(spec):
    """flags 0x27 (season, date/time, demand reset ctr, contin. cum; no cum demand), 19 summations,
    2 demands, 4 coincidents, 2 occurrences, 8 tiers.

    A = 1; B = 1 + 76 = 77; DmdRcd = 5*2 + 4 + 4*2 = 22; C = 77 + 44 = 121; CoinRcd = 8;
    D = 121 + 32 = 153; size = 153 + 8*152 = 1369.
    """
    bt21 = bytes.fromhex("270E021302040208025 4".replace(" ", ""))
    dev = device(spec, "gen4", BT21=bt21)
    values = {"register_data": {
        "nbr_demand_resets": 9,
        "totals": {"apparent_vah_q4": 18, "demands": [_demand(2, cum=False), _demand(2, cum=False, base=1)],
                   "coincidents": [{"coincidents": [i, -i]} for i in range(4)]},
        "tiers": [{"apparent_vah_q4": t} for t in range(8)]}}
    data, res = roundtrip(spec, "BT23", values, dev, size=1369)
    rd = "register_data"
    assert offset(res, f"{rd}.totals.apparent_vah_q4") == 1 + 72           # A+72 (summation 18)
    assert offset(res, f"{rd}.totals.demands.[0].event_time") == 77        # B
    assert res.find(f"{rd}.totals.demands.[0].cum_demand") is None
    assert offset(res, f"{rd}.totals.demands.[0].cont_cum_demand") == 87   # B + 5*2
    assert offset(res, f"{rd}.totals.demands.[0].demand") == 91
    assert offset(res, f"{rd}.totals.demands.[1]") == 99
    assert offset(res, f"{rd}.totals.coincidents.[0]") == 121              # C
    assert offset(res, f"{rd}.totals.coincidents.[1]") == 129
    assert offset(res, f"{rd}.tiers.[0]") == 153                           # D
    assert offset(res, f"{rd}.tiers.[7].apparent_vah_q4") == 153 + 7 * 152 + 72
    assert res.values()[rd]["totals"]["demands"][1]["event_time"][1]["day"] == 2


def test_bt23_more_summations_than_named(spec):
    bt21 = bytes.fromhex("000000150000010100 00".replace(" ", ""))  # 21 summations, 1 tier
    dev = device(spec, BT21=bt21)
    values = {"register_data": {"totals": {"apparent_vah_q4": 4, "more_summations": [19, 20]},
                                "tiers": [{"more_summations": [1, 2]}]}}
    data, res = roundtrip(spec, "BT23", values, dev, size=2 * 21 * 4)
    assert offset(res, "register_data.totals.more_summations") == 76


# ---------------------------------------------------------------------------- BT24 / BT25 / BT26


@pytest.mark.parametrize("table, tfield", [("BT24", "time_date"), ("BT25", "date_time")])
def test_bt24_bt25_roundtrip(spec, table, tfield):
    dev = device(spec, BT21=BT21_GUIDE)
    values = {tfield: {"year": 23, "month": 10, "day": 1, "hour": 0, "minute": 0}, "season": 2,
              "register_data": {"nbr_demand_resets": 1, "totals": {"fwd_active_wh": 42}}}
    data, res = roundtrip(spec, table, values, dev, size=6 + 981)
    assert offset(res, "season") == 5
    assert offset(res, "register_data.totals.fwd_active_wh") == 7
    assert data[7:11] == (42).to_bytes(4, "little")


def test_bt24_without_date_and_season(spec):
    """BT21 Date/Time and Season flags off: both fields are skipped (BT21 l.3917-3918)."""
    bt21 = bytes([0x3C]) + BT21_GUIDE[1:]
    dev = device(spec, BT21=bt21)
    data, res = roundtrip(spec, "BT24", {"register_data": {"totals": {"fwd_active_wh": 5}}}, dev)
    assert res.find("season") is None
    assert offset(res, "register_data") == 0
    # DmdRcd loses its event time: 17 - 5 = 12 bytes, D = 1 + 60 + 96 = 157, size 157 + 4*156
    assert len(data) == 157 + 4 * 156


def test_bt26_roundtrip(spec):
    """2 self-reads with demand configured: entry = BIDN 2 + STIME_DATE 5 + season 1 + 981."""
    bt21 = BT21_GUIDE[:2] + bytes([2]) + BT21_GUIDE[3:]
    dev = device(spec, BT21=bt21)
    entry = {"bidn": 0x1234, "time_date": {"year": 24, "month": 1, "day": 31, "hour": 0, "minute": 5},
             "season": 1, "register_data": {"totals": {"fwd_active_wh": 777}}}
    values = {"header": {"list_flags": {"order": 0, "list_type": 1}, "nbr_valid_entries": 2,
                         "last_entry_element": 1, "last_entry_seq_nbr": 300, "nbr_unread_entries": 1},
              "entries": [entry, dict(entry, bidn=0x1235)]}
    data, res = roundtrip(spec, "BT26", values, dev, size=6 + 2 * 989)
    assert offset(res, "entries.[0].bidn") == 6
    assert offset(res, "entries.[0].time_date") == 8
    assert offset(res, "entries.[0].season") == 13
    assert offset(res, "entries.[0].register_data") == 14
    assert offset(res, "entries.[1].bidn") == 6 + 989
    assert data[0] == 0x04 and data[3:5] == (300).to_bytes(2, "little")


def test_bt26_without_bidn(spec):
    """BT21.4 = 0: no BIDN; the entry starts with the time and date."""
    bt21 = bytes.fromhex("3F0E010F00000104001A")  # 1 self-read, 15 summations, no demands
    dev = device(spec, BT21=bt21)
    data, res = roundtrip(spec, "BT26", {"entries": [{"season": 3}]}, dev)
    assert res.find("entries.[0].bidn") is None
    assert offset(res, "entries.[0].time_date") == 6
    assert offset(res, "entries.[0].season") == 11
    # body: A = 1, 15 summations, no demands/coincidents, 4 tiers -> 1 + 5*60
    assert len(data) == 6 + 6 + 1 + 5 * 60


# ---------------------------------------------------------------------------- BT28


def test_bt28_before_fw_3_10(spec):
    """fw 3.00, BT21 example (8 present demands, 26 values, no time remaining): A = 0.

    Present values start at (A+4)*8 = 32; 22 are named before 3.10, the other 4 stay unnamed.
    """
    dev = device(spec, "gen3", fw="3.00", BT21=BT21_GUIDE)
    values = {"present_demands": [{"demand_value": 1000 + i} for i in range(8)],
              "fwd_active_w": 2300, "rms_voltage_l1": 230123, "frequency": 50012,
              "export_reactive_var_ctvt": -7, "other_present_values": [1, 2, 3, 4]}
    data, res = roundtrip(spec, "BT28", values, dev, size=32 + 4 * 26)
    assert offset(res, "present_demands.[1].demand_value") == 4
    assert offset(res, "fwd_active_w") == 32
    assert offset(res, "frequency") == 32 + 4 * 11
    assert offset(res, "export_reactive_var_ctvt") == 32 + 4 * 21
    assert offset(res, "other_present_values") == 32 + 4 * 22
    assert res.find("q1_reactive_var") is None
    assert res.find("rms_voltage_l1").unit == "mV"


def test_bt28_from_fw_3_10(spec):
    """fw 3.10: present values 22..25 are the quadrant reactive powers."""
    dev = device(spec, "gen3", fw="3.10", BT21=BT21_GUIDE)
    values = {"q1_reactive_var": 11, "q4_reactive_var": 44}
    data, res = roundtrip(spec, "BT28", values, dev, size=32 + 4 * 26)
    assert offset(res, "q1_reactive_var") == 32 + 4 * 22
    assert offset(res, "q4_reactive_var") == 32 + 4 * 25
    assert res.find("other_present_values") is None
    assert res.find("fwd_active_w_l1") is None  # 3.50 and later, and beyond BT21.9 anyway


def test_bt28_gen4_with_time_remaining(spec):
    """fw 4.60, flags 0x7F (time remaining on): A = 3, 2 present demands, 84 present values.

    Present values at (3+4)*2 = 14 + 4*N; size 14 + 336 = 350.
    """
    bt21 = bytes.fromhex("7F0E0C130804010802 54".replace(" ", ""))
    dev = device(spec, "gen4", BT21=bt21)
    values = {"present_demands": [{"time_remaining": {"hour": 0, "minute": 7, "second": 30}, "demand_value": 5}] * 2,
              "voltage_angle_ab": 12340, "exp_reactive_var_c": -1}
    data, res = roundtrip(spec, "BT28", values, dev, size=350)
    assert offset(res, "present_demands.[0].demand_value") == 3
    assert offset(res, "present_demands.[1]") == 7
    assert offset(res, "fwd_active_w") == 14
    assert offset(res, "apparent_va_q3_l2") == 14 + 4 * 65
    assert offset(res, "voltage_angle_ab") == 14 + 4 * 75
    assert offset(res, "exp_reactive_var_c") == 14 + 4 * 83
    assert res.find("other_present_values") is None
    node = res.find("voltage_angle_ab")
    assert node.value == 12340 and node.unit == "deg"


# ---------------------------------------------------------------------------- ET89 / ET90 / ET97


def test_et89_gen4_roundtrip(spec):
    dev = device(spec, "gen4")
    mode = {"op_mode": {"current_op_mode": 3},
            "maintenance": {"maint_time_remaining": 262143, "maint_no_expire": 0, "maint_state": 2},
            "locked": {"locked_state": 2}, "remote": {"remote_state": 2},
            "local": {"local_no_expire": 1, "local_state": 0}}
    values = {"prior_mep1_handle": 2001, "prior_mep1_id": bytes(range(30)), "mep1_reregister_requests": 4,
              "status_flags_0": {"h1_device_present": 1, "plc_disabled": 0},
              "op_mode_status": [mode, dict(mode, op_mode={"current_op_mode": 1})],
              "image_validation_key_ids": [1, 2], "key_status": {"key1_invalidated": 1},
              "last_validation_error": 17, "signature": bytes(8),
              "disconnect_flags": {"block_remote_unblock": 1},
              "pending_security": [{"alarm_id": 0x123, "argument": 1, "count": 2, "minutes_to_report": 15}],
              "tls_port_status": [{"port_state": {"session_state": s, "tls_state": 0}, "tls_error": 0,
                                   "tls_session_count": s} for s in (3, 4, 1)]}
    data, res = roundtrip(spec, "ET89", values, dev, size=155)
    assert offset(res, "op_mode_status.[0].maintenance") == 76
    assert offset(res, "op_mode_status.[1].op_mode") == 92
    assert offset(res, "image_validation_key_ids") == 109
    assert offset(res, "disconnect_flags") == 131                       # 130 + A
    assert offset(res, "pending_security.[0].minutes_to_report") == 138  # 137 + A
    assert offset(res, "tls_port_status.[0].tls_error") == 141           # 139 + B
    assert offset(res, "tls_port_status.[2].tls_session_count") == 153
    assert res.find("op_mode_status.[0].op_mode.current_op_mode").enum == "Local"
    assert res.find("op_mode_status.[1].op_mode.current_op_mode").enum == "Locked"
    assert res.find("op_mode_status.[0].maintenance.maint_state").enum == "unknown"
    assert res.find("last_validation_error").enum == "Invalid signature length"
    assert res.find("tls_port_status.[1].port_state.session_state").enum == "TLS"
    assert data[76:80] == (262143 | 2 << 20).to_bytes(4, "little")


def test_et89_before_4_50(spec):
    dev = device(spec, "gen4", fw="4.30")
    data, res = roundtrip(spec, "ET89", {"prior_mep2_handle": 2050, "mep2_reregister_allowed": 1}, dev, size=68)
    assert offset(res, "mep2_reregister_allowed") == 67


def test_et90_gen4_defaults(spec):
    dev = device(spec, "gen4")
    values = {"ip_address_len": 50, "urgent_alarm_bitmask_len": 20, "connection_reason_bitmap_len": 2,
              "modem_apn_len": 64, "modem_sim_pin_len": 5, "modem_operator_name_len": 40,
              "nbr_ftz_messages": 3, "modem_at_reply_len": 200, "modem_sim_iccid_len": 23}
    data, res = roundtrip(spec, "ET90", values, dev, size=20)
    assert data == encode_table(spec, "ET90", {}, device=dev)  # the values are the guide's Value column
    assert offset(res, "nbr_ftz_messages") == 16
    assert offset(res, "modem_sim_iccid_len") == 19


def test_et90_fw_4_02(spec):
    """4.02: the 4.10 fields are reserved bytes; Number of FTz Messages stays at 16."""
    dev = device(spec, "gen4", fw="4.02")
    data, res = roundtrip(spec, "ET90", {"nbr_ftz_messages": 5}, dev, size=17)
    assert offset(res, "nbr_ftz_messages") == 16
    assert res.find("ip_address_len") is None


def test_et97_gen4(spec):
    """ET90.16 = 3: A = 24; with the UINT16 Security Log Interval the table is A + 102 (E420)."""
    dev = device(spec, "gen4")
    relay = {"group_ids": [1, 2, 3, 0, 0], "relay_mode": {"mode": 1, "require_explicit_hb": 1},
             "heartbeat_interval": 15, "maint_mode": {"maint_mode_entry": 1, "maint_mode_display": 2,
                                                      "maint_mode_open": 1, "maint_mode_exit": 2},
             "maint_mode_exit_delay": 30, "maint_mode_exit_time": bytes([22, 15])}
    values = {"ftz_messages": [b"12345 kW", bytes(8), bytes(8)], "mep1_id_comparison_mode": 1,
              "mep1_id_mask": b"\xff" * 30, "mep2_id_comparison_mode": 3,
              "ln_flags": {"power_boost_relay_ln": 1, "mbus_ad_300_baud": 1},
              "relays": [relay, relay], "security_log_interval": 60,
              "tls_optical": {"require_tls_optical": 1}, "tls_mep2": {"require_tls_mep2": 1}}
    data, res = roundtrip(spec, "ET97", values, dev, size=24 + 102)
    assert offset(res, "mep1_id_comparison_mode") == 24                 # A
    assert offset(res, "mep2_id_mask") == 24 + 32                       # A+32
    assert offset(res, "ln_flags") == 24 + 62                           # A+62
    assert offset(res, "relays.[0].relay_mode") == 24 + 73              # A+73
    assert offset(res, "relays.[1].maint_mode_exit_time") == 24 + 78 + 17
    assert offset(res, "security_log_interval") == 24 + 97              # A+97
    assert offset(res, "tls_optical") == 24 + 99                        # guide: A+98 (E420)
    assert res.find("mep1_id_comparison_mode").enum == "mask comparison"
    assert res.find("relays.[0].relay_mode.mode").enum == "Load Management"
    assert res.find("relays.[0].maint_mode.maint_mode_exit").enum == "terminal cover replaced, at specified time"
    assert data[24 + 62] == 0x03


def test_et97_follows_et90_ftz_count(spec):
    et90 = encode_table(spec, "ET90", {"nbr_ftz_messages": 5}, device=device(spec, "gen4"))
    dev = device(spec, "gen4", ET90=et90)
    data, res = roundtrip(spec, "ET97", {"mep1_id_comparison_mode": 2}, dev, size=40 + 102)
    assert offset(res, "mep1_id_comparison_mode") == 40


# ---------------------------------------------------------------------------- ExtSourceId


def test_ext_source_id_guide_example(spec):
    """Guide l.888-893, l.931: 0x4001 = M-Bus (type 4), ET13 index 0, MDT 1; read from ET66."""
    v = _vector("et42_mbus_extended_source_id")
    res = decode_table(spec, "ET66", bytes.fromhex(v["hex"]), offset=0)
    ext = res.find("extended_source_ids.[0].[0].ext_source_id")
    assert ext.value == 0x4001
    parts = {c.name: c for c in ext.children}
    assert parts["source_type"].value == v["expected"]["bits 15..12 (type)"]
    assert parts["source_type"].enum.startswith("M-Bus")
    assert parts["source_index"].value == v["expected"]["bits 11..8 (ET13 index)"]
    assert parts["source_low"].value % 32 == v["expected"]["bits 4..0 (MDT)"]
