"""Features F01-F34 of the layout language (seed inventory §b), each decoded from hand-made bytes.

Most features are proven on the small spec ``tests/lang/specs/features`` (one table per
feature, named after it: ET01 = F01, ...); those whose real tables are simple enough are
proven on the shipped spec as well or instead (ET11, ET13, BT21/BT23, BT00, BT64, ET36/ET41,
ET50, ET57, EP17, EP19, ET61/EP61).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import REPO, SPECS

from osgpdissect.c1218.procedures import decode_procedure_call, decode_procedure_result
from osgpdissect.codec import Device, decode_table, encode_table, table_size
from osgpdissect.lang import model as m
from osgpdissect.layout.validate import load_and_validate


@pytest.fixture(scope="module")
def fs():
    """The feature test spec; it must validate cleanly."""
    spec, report = load_and_validate(SPECS / "features")
    assert report.diagnostics == []
    return spec


def dec(spec, table, hexdata, offset=0, device=None, **kw):
    res = decode_table(spec, table, bytes.fromhex(hexdata), offset, device, **kw)
    assert not [w for w in res.warnings if "beyond" in w], res.warnings
    return res


def node(res, path):
    n = res.find(path)
    assert n is not None, path
    return n


def rebuild(spec, table, res, device=None):
    return encode_table(spec, table, res.values(), device)


# ---------------------------------------------------------------------------- F01 integers


def test_f01_lsb_integers(fs):
    data = "81" "3412" "123456" "FEFF" "FDFFFF" "EFBEADDE" "80" "060504030201"
    res = dec(fs, "ET01", data)
    assert res.values() == {
        "u8": 0x81, "u16": 0x1234, "u24": 0x563412, "i16": -2, "i24": -3,
        "u32": 0xDEADBEEF, "i8": -128, "u48": 0x010203040506,
    }
    assert [(n.name, n.offset, n.size) for n in res.nodes] == [
        ("u8", 0, 1), ("u16", 1, 2), ("u24", 3, 3), ("i16", 6, 2), ("i24", 8, 3),
        ("u32", 11, 4), ("i8", 15, 1), ("u48", 16, 6)]
    assert node(res, "u24").raw == "12 34 56"
    assert rebuild(fs, "ET01", res) == bytes.fromhex(data)


def test_f01_real_signed_int16(spec):
    """BT53 Time Zone Offset INT16 (guide l.4493) decodes signed."""
    size = table_size(spec, "BT53")
    assert size is not None
    vals = decode_table(spec, "BT53", encode_table(spec, "BT53", {})).values()
    ints = [k for k, v in vals.items() if isinstance(v, int)]
    assert ints
    res = decode_table(spec, "BT53", bytes.fromhex("C4FF"), 4)  # -60 minutes at @4
    n = [x for x in res.nodes if x.offset == 4 and x.size == 2]
    assert n and n[0].value == -60


# ---------------------------------------------------------------------------- F02 / F03 bits


def test_f02_bit_fields(fs):
    res = dec(fs, "ET02", "5A1FAB")
    assert res.values() == {
        "ptr": {"write_ptr": 0xA, "read_ptr": 5},
        "word": {"flag0": 1, "signed4": -1, "_fill_5_7": 0, "hi": 0xAB},
    }
    word = node(res, "word")
    assert word.value == 0xAB1F
    assert [(c.name, c.offset, c.value) for c in word.children] == [
        ("flag0", 1, True), ("signed4", 1, -1), ("hi", 2, 0xAB)]  # FILL 0 is not shown
    assert rebuild(fs, "ET02", res) == bytes.fromhex("5A1FAB")


def test_f03_bit_space_over_byte_array(fs):
    res = dec(fs, "ET03", "01F28A")
    assert res.values()["hw"] == {"b0": 1, "b9": 1, "mid": 0xAF, "b23": 1}
    hw = node(res, "hw")
    assert hw.size == 3 and hw.value == 0x8AF201
    assert {c.name: c.offset for c in hw.children} == {"b0": 0, "b9": 1, "mid": 1, "b23": 2}
    assert dec(fs, "ET03", "000000").values()["hw"] == {"b0": 0, "b9": 0, "mid": 0, "b23": 0}
    assert rebuild(fs, "ET03", res) == bytes.fromhex("01F28A")


def test_f03_real_et29_hardware_options(spec):
    res = decode_table(spec, "ET29", bytes.fromhex("000080"), 0)
    hw = res.nodes[0]
    assert hw.size == 3
    on = [c for c in hw.children if c.value is True]
    assert len(on) == 1 and on[0].offset == 2  # bit 23 lies in byte 2


# ---------------------------------------------------------------------------- F04 SET


def test_f04_set_with_computed_size(fs):
    res = dec(fs, "ET04", "0C" "0508" "0100")
    assert node(res, "set_bits").size == 2
    assert node(res, "set_bits").value == [0, 2, 11]
    # the remote count: ET01.u8 defaults to 9 -> (9 + 7) / 8 = 2 bytes
    assert node(res, "remote_flags").size == 2 and node(res, "remote_flags").value == [0]
    assert res.defaults_used == ["ET01.u8"]
    dev = Device(fs)
    dev.learn("ET01", 0, bytes([17]))
    res = dec(fs, "ET04", "0C" "0508" "000001", device=dev)
    assert node(res, "remote_flags").size == 3 and node(res, "remote_flags").value == [16]
    assert res.defaults_used == []
    assert dec(fs, "ET04", "01" "FF").values()["set_bits"] == b"\xff"  # n = 1 -> 1 byte


def test_f04_real_bt22_min_max_flags(spec):
    dev = Device(spec)
    dev.learn("BT21", 0, bytes.fromhex("3F0E0C0F11000104081A"))  # 17 demands -> 3 bytes
    assert table_size(spec, "BT22") == 15 + 8 + 1  # defaults: 15 summations, 8 demands
    assert table_size(spec, "BT22", dev) == 15 + 17 + 3
    res = decode_table(spec, "BT22", bytes(32) + bytes([0x01, 0x00, 0x01]), device=dev)
    mm = node(res, "min_max_flags")
    assert (mm.offset, mm.size, mm.value) == (32, 3, [0, 16])


# ---------------------------------------------------------------------------- F05 / F06 text, BCD


def test_f05_char(fs):
    res = dec(fs, "ET05", "4142000020204E455320")
    assert node(res, "label").value == "AB" and node(res, "mfr").value == "NES"
    assert res.values()["label"] == b"AB\x00\x00  "
    assert rebuild(fs, "ET05", res).hex().upper() == "4142000020204E455320"


def test_f06_bcd_and_mfg_code(fs):
    res = dec(fs, "ET06", "78563412" "1234" "9315")
    assert node(res, "serial").value == 12345678
    assert node(res, "msb_bcd").value == 1234
    assert node(res, "mfg").value == "ELS"  # (5 * 32 + 12) * 32 + 19 = 0x1593
    assert res.values()["mfg"] == 0x1593
    assert rebuild(fs, "ET06", res) == bytes.fromhex("785634121234" "9315")


# ---------------------------------------------------------------------------- F07 arrays


def test_f07_two_dimensional_and_nested(fs):
    data = "0100020003000400050006000708090A0B0C0D0E"
    res = dec(fs, "ET07", data)
    vals = res.values()
    assert vals["m"] == [[1, 2, 3], [4, 5, 6]]  # outer dimension first
    assert vals["outer"] == [{"inner": b"\x07\x08", "k": 9}, {"inner": b"\x0a\x0b", "k": 12}]
    assert vals["tail"] == b"\x0d\x0e"
    assert node(res, "m.[1]").offset == 6
    assert [c.offset for c in node(res, "m.[1]").children] == [6, 8, 10]
    assert node(res, "outer.[1].k").offset == 17
    assert rebuild(fs, "ET07", res) == bytes.fromhex(data)


# ---------------------------------------------------------------------------- F08 remote dimensions


def test_f08_counts_and_sizes_from_another_table(spec):
    base = decode_table(spec, "ET13", bytes(330))
    assert len(base.values()["device_config"]) == 5
    assert base.defaults_used == ["ET11.num_devices", "ET11.config_entry_size"]
    dev = Device(spec)
    dev.learn("ET11", 0, bytes([2, 20]))  # 2 devices, 20-byte entries
    assert table_size(spec, "ET13", dev) == 40
    res = decode_table(spec, "ET13", bytes(40), device=dev)
    assert res.defaults_used == []
    assert len(res.values()["device_config"]) == 2
    assert node(res, "device_config.[1]").offset == 20
    assert node(res, "device_config.[1]").size == 20
    # the element is padded to ET11.1 bytes: 8 + 20 (CHAR) + ... would be 66; with 20 it is cut
    dev4 = Device(spec, "gen4")
    assert table_size(spec, "ET13", dev4) == 396  # 6 x 66 from the gen4 default


# ---------------------------------------------------------------------------- F09 sibling counts


def test_f09_sibling_dependent_count(fs):
    res = dec(fs, "ET09", "04AABBCC07")
    assert res.values() == {"len_l": 4, "data": b"\xaa\xbb\xcc", "after": 7}
    assert node(res, "after").offset == 4
    res = dec(fs, "ET09", "0107")
    assert res.values() == {"len_l": 1, "data": b"", "after": 7}
    assert table_size(fs, "ET09") is None  # depends on its own bytes
    assert rebuild(fs, "ET09", dec(fs, "ET09", "04AABBCC07")) == bytes.fromhex("04AABBCC07")


# ---------------------------------------------------------------------------- F10 expression offsets


@pytest.mark.parametrize(("profile", "size", "last_at"), [("gen3", 9, 8), ("gen4", 10, 9)])
def test_f10_let_sizeof_offsets(fs, profile, size, last_at):
    dev = Device(fs, profile)
    assert table_size(fs, "ET10", dev) == size
    data = bytes(range(1, size + 1))
    res = decode_table(fs, "ET10", data, device=dev)
    assert node(res, "after").offset == 6  # k * sizeof(Pair)
    assert node(res, "last").offset == last_at
    assert res.values()["pairs"][1] == {"a": 4, "b": 0x0605}


def test_f10_real_bt23_symbols(spec):
    dev = Device(spec)
    dev.learn("BT21", 0, bytes.fromhex("3F0E0C0F08000104081A"))
    assert table_size(spec, "BT23", dev) == 981  # the guide's D + BT21.7 * (D - A)


# ---------------------------------------------------------------------------- F11 absolute offsets


def test_f11_stated_absolute(fs, tmp_path):
    data = bytes(range(18))
    res = decode_table(fs, "ET11", data)
    assert node(res, "entries.[0].handle").offset == 3
    assert node(res, "entries.[1].handle").offset == 6
    assert node(res, "entries.[2].st").offset == 11
    assert node(res, "rel.[2].y").offset == 17
    assert res.values()["entries"][1] == {"handle": 0x0706, "st": 8}
    # the same stated offsets without `stated absolute` are wrong for element 0 (3 != 0)
    text = (SPECS / "features" / "arrays.osgp").read_text(encoding="utf-8")
    folder = tmp_path / "rel"
    folder.mkdir()
    (folder / "profiles.osgp").write_text((SPECS / "features" / "profiles.osgp").read_text())
    (folder / "a.osgp").write_text(text.replace('record[3] entries "Entries" stated absolute',
                                                'record[3] entries "Entries"'))
    (folder / "b.osgp").write_text((SPECS / "features" / "scalars.osgp").read_text())
    _, report = load_and_validate(folder)
    msgs = [d.message for d in report.diagnostics]
    assert any(x.startswith("ET11.entries.handle: computed offset 0, the guide states 3") for x in msgs), msgs


def test_f11_real_et14_absolute(spec):
    res = decode_table(spec, "ET14", bytes(186))
    assert node(res, "status.[0].device_handle").offset == 6
    assert node(res, "status.[1].device_handle").offset == 42


# ---------------------------------------------------------------------------- F12 switch index


def test_f12_et13_variants_by_index(spec):
    entry = bytearray(66)
    mep = bytearray(66)
    entry[8:12] = b"CUST"
    mep[8] = 0b00011011  # alert flags
    mep[9:12] = b"\x01\x02\x03"
    data = bytes(entry) * 4 + bytes(mep)
    res = decode_table(spec, "ET13", data)
    vals = res.values()["device_config"]
    assert vals[0]["customer_id"] == b"CUST" + bytes(16)
    assert "alert_flags" not in vals[3]
    assert vals[4]["alert_flags"] == {
        "scheduled_read_alert": 1, "on_demand_request": 1, "reserved_2": 0, "mbus_change": 1,
        "delta_data_alert": 1, "unused": 0}
    alert = node(res, "device_config.[4].alert_flags")
    assert alert.offset == 4 * 66 + 8
    assert [(c.name, c.value) for c in alert.children] == [
        ("scheduled_read_alert", True), ("on_demand_request", True), ("reserved_2", False),
        ("mbus_change", True), ("delta_data_alert", True)]
    assert node(res, "device_config.[4].downlink_data").size == 57
    assert node(res, "device_config.[0].customer_id").value == "CUST"
    assert encode_table(spec, "ET13", res.values()) == data


# ---------------------------------------------------------------------------- F13 discriminator


@pytest.mark.parametrize(("hexdata", "vals", "tail_at"), [
    ("01341207", {"kind": 1, "a": 0x1234, "tail": 7}, 3),
    ("030A0B07", {"kind": 3, "b": 10, "c": 11, "tail": 7}, 3),
    ("090102030407", {"kind": 9, "d": 0x04030201, "tail": 7}, 5),
])
def test_f13_discriminator_switch(fs, hexdata, vals, tail_at):
    res = dec(fs, "ET13", hexdata)
    assert res.values() == vals
    assert node(res, "tail").offset == tail_at
    assert rebuild(fs, "ET13", res) == bytes.fromhex(hexdata)


# ---------------------------------------------------------------------------- F14 remote conditions


def test_f14_bt23_under_two_bt21_configs(spec):
    with_ctr = Device(spec)
    with_ctr.learn("BT21", 0, bytes.fromhex("3F0E0C0F08000104081A"))
    without = Device(spec)
    without.learn("BT21", 0, bytes.fromhex("3B0E0C0F08000104081A"))  # demand reset counter off
    assert table_size(spec, "BT23", with_ctr) == 981
    assert table_size(spec, "BT23", without) == 980
    data = bytes([7]) + (1234).to_bytes(4, "little") + bytes(976)
    a = decode_table(spec, "BT23", data, device=with_ctr)
    assert node(a, "register_data.nbr_demand_resets").value == 7
    assert node(a, "register_data.totals.fwd_active_wh").offset == 1
    assert node(a, "register_data.totals.fwd_active_wh").value == 1234
    b = decode_table(spec, "BT23", data[1:], device=without)
    assert node(b, "register_data.totals.fwd_active_wh").offset == 0
    assert node(b, "register_data.totals.fwd_active_wh").value == 1234
    assert "nbr_demand_resets" not in b.values()["register_data"]


def test_f14_condition_on_other_table_in_test_spec(fs):
    assert table_size(fs, "ET32") == 4  # 3 items (ET30.entries[2].count default) + end
    dev = Device(fs)
    dev.learn("ET02", 1, b"\x01\x00")  # word.flag0 = 1
    assert table_size(fs, "ET32", dev) == 5
    res = decode_table(fs, "ET32", bytes([1, 2, 3, 9, 8]), device=dev)
    assert res.values() == {"items": [{"v": 1}, {"v": 2}, {"v": 3}], "opt": 9, "end": 8}


# ---------------------------------------------------------------------------- F15 named records, layout


def test_f15_named_records_and_layout(fs):
    data = "010200" "030400" "050600" "09"
    a = dec(fs, "ET12", data)
    assert a.values() == {"first": {"a": 1, "b": 2}, "more": [{"a": 3, "b": 4}, {"a": 5, "b": 6}], "end": 9}
    assert node(a, "more.[1].b").offset == 7
    b = dec(fs, "ET14", data)  # `layout ET12`
    assert b.values() == a.values()
    assert b.table_id == "ET14" and b.name == "Same layout"
    assert table_size(fs, "ET14") == 10


def test_f15_real_register_data_reused(spec):
    rec = spec.records["DataBlock"]
    users = [t for t in ("BT23", "BT24", "BT25") if t in spec.tables]
    assert len(users) >= 2
    assert rec.name == "DataBlock"
    dev = Device(spec)
    root = dev.bound("BT23").root
    reg = root.children[0]
    kinds = {c.id: c for c in reg.children}
    assert kinds["totals"].named and kinds["tiers"].element.named
    assert kinds["tiers"].element.size == kinds["totals"].size
    assert spec.tables["ET53"].header.layout_of == "ET52"


# ---------------------------------------------------------------------------- F16 reserved


def test_f16_reserved_and_filler(fs):
    res = dec(fs, "ET16", "01" "000000" "0000" "03" "09")
    assert node(res, "res").value == "00 00 00" and node(res, "res").size == 3
    assert node(res, "res2").value == 0
    f = node(res, "f")
    assert [(c.name, c.value) for c in f.children] == [("on", True), ("_fill_1_7", 1)]  # non-zero filler shown
    assert [c.name for c in node(dec(fs, "ET16", "01000000000001" "09"), "f").children] == ["on"]
    item = fs.tables["ET16"].body[1]
    assert item.meta.markers == (("reserved", "Do not overwrite"),)
    assert node(res, "z").offset == 7


# ---------------------------------------------------------------------------- F17 gates


def test_f17_et11_size_by_profile(spec):
    assert table_size(spec, "ET11", Device(spec, "gen3")) == 32
    assert table_size(spec, "ET11", Device(spec, "gen4")) == 39
    assert table_size(spec, "ET11", Device(spec, "gen4", fw="4.10")) == 38  # before the 4.30 field
    assert table_size(spec, "ET11", Device(spec, "gen3", fw="4.0")) == 38
    gen4 = decode_table(spec, "ET11", bytes(39), device=Device(spec, "gen4"))
    assert node(gen4, "error_screen_count").offset == 38
    gen3 = decode_table(spec, "ET11", bytes(32), device=Device(spec, "gen3"))
    assert "mep_channel_count" not in gen3.values()


def test_f17_gates_and_dual_columns(fs):
    assert table_size(fs, "ET17", Device(fs, "gen3")) == 3
    assert table_size(fs, "ET17", Device(fs, "gen4")) == 5
    assert table_size(fs, "ET17", Device(fs, "gen3", fw="3.40")) == 4  # before fw 3.50 block
    assert table_size(fs, "ET17", Device(fs, "gen4", fw="3.90")) == 4  # X = 1, no 4.0 block
    r3 = decode_table(fs, "ET17", bytes([1, 2, 3]), device=Device(fs, "gen3"))
    r4 = decode_table(fs, "ET17", bytes([1, 2, 3, 4, 5]), device=Device(fs, "gen4"))
    assert node(r3, "b").offset == 2 and node(r4, "b").offset == 3
    assert r4.values() == {"a": 1, "gen_dep": b"\x02\x03", "b": 4, "new4": 5}
    stated = fs.tables["ET17"].body[2].meta.stated
    assert [(s.profile, s.start.value) for s in stated] == [(None, 2), ("gen4", 3)]


# ---------------------------------------------------------------------------- F18 enums


@pytest.mark.parametrize(("hexdata", "labels"), [
    ("01" "05" "0501" "FF", {"baud": "19200", "season": "season 2", "opts": "Euro, Date, negative", "slot": "unused"}),
    ("07" "02" "0000" "03", {"baud": "reserved", "season": "fixed", "opts": "none", "slot": None}),
    ("00" "0E" "0200" "FE", {"baud": "9600", "season": "season 11", "opts": "Dollar", "slot": None}),
    ("00" "0F" "0800" "00", {"baud": "9600", "season": None, "opts": None, "slot": None}),
])
def test_f18_enums(fs, hexdata, labels):
    res = dec(fs, "ET18", hexdata)
    assert {n.name: n.enum for n in res.nodes} == labels


def test_f18_real_enum_labels(spec):
    res = decode_table(spec, "ET13", bytes([5, 0, 0, 0, 0, 0, 4]), 0)
    assert node(res, "device_config.[0].billing_read_time.day").enum == "day 5 of the month"
    assert node(res, "device_config.[0].baud_rate").enum is not None
    assert "2400" in node(res, "device_config.[0].baud_rate").enum


# ---------------------------------------------------------------------------- F19 units


def test_f19_units(fs):
    res = dec(fs, "ET19", "D2040000")
    assert node(res, "current").unit == "mA" and node(res, "current").value == 1234
    assert node(res, "freq").unit == "mHz"
    assert fs.tables["ET19"].body[0].meta.scale == 0.1
    assert res.to_json()["fields"][0]["unit"] == "mA"


def test_f19_real_unit(spec):
    res = decode_table(spec, "ET13", bytes(66))
    assert node(res, "device_config.[0].status_read_frequency").unit == "min"


# ---------------------------------------------------------------------------- F20 dates


def test_f20_date_time_types(fs):
    ad = 24 | (3 << 7) | (15 << 11)
    data = "0F3B37" "0402100F3B" "180C1F173B3B" "180102" "3412" + ad.to_bytes(2, "little").hex()
    res = dec(fs, "ET20", data)
    assert node(res, "t").value == "15:59:55"
    assert node(res, "sd").value == "2004-02-16 15:59"
    assert node(res, "ld").value == "2024-12-31 23:59:59"
    assert node(res, "d").value == "2024-01-02"
    assert node(res, "rd").size == 2 and res.values()["rd"] == 0x1234
    assert node(res, "ad").value == "2024-03-15"
    assert res.values()["ld"] == {"year": 24, "month": 12, "day": 31, "hour": 23, "minute": 59, "second": 59}
    assert rebuild(fs, "ET20", res) == bytes.fromhex(data)


# ---------------------------------------------------------------------------- F21 NI_FMAT


def test_f21_ni_fmat_through_bt00(spec):
    dev = Device(spec)
    dev.learn("BT21", 0, bytes.fromhex("3F0E0C0F08000104081A"))
    default = decode_table(spec, "BT23", bytes(981), device=dev)
    assert node(default, "register_data.totals.fwd_active_wh").size == 4
    wide = Device(spec)
    wide.learn("BT21", 0, bytes.fromhex("3F0E0C0F08000104081A"))
    wide.learn("BT00", 2, bytes([0x99]))  # NI format 1 and 2 = 9: 8-byte integers
    assert wide.setting("ni_format1") == 9
    size = table_size(spec, "BT23", wide)
    assert size > 981
    data = bytes([1]) + (-5).to_bytes(8, "little", signed=True) + bytes(size - 9)
    res = decode_table(spec, "BT23", data, device=wide)
    n = node(res, "register_data.totals.fwd_active_wh")
    assert (n.offset, n.size, n.value) == (1, 8, -5)
    assert node(res, "register_data.totals.rev_active_wh").offset == 9


# ---------------------------------------------------------------------------- F22 log headers


def test_f22_log_header(spec):
    dev = Device(spec)
    # ET36 with one entry describing ET41: 2 current entries of 20 bytes
    et36 = bytes([1]) + (41 | 0x800).to_bytes(2, "little") + (20).to_bytes(2, "little") \
        + (8).to_bytes(2, "little") + (2).to_bytes(2, "little") + b"\x00"
    dev.learn("ET36", 0, et36)
    assert table_size(spec, "ET41", dev) == 6 + 2 * 20
    hdr = bytes([0b0110, 2, 1]) + (300).to_bytes(2, "little") + bytes([1])
    res = decode_table(spec, "ET41", hdr + bytes(40), device=dev)
    assert res.values()["header"] == {
        "list_flags": {"order": 0, "overflow": 1, "list_type": 1, "inhibit_overflow": 0, "_fill_4_7": 0},
        "nbr_valid_entries": 2, "last_entry_element": 1, "last_entry_seq_nbr": 300, "nbr_unread_entries": 1}
    assert node(res, "header.list_flags.list_type").enum == "circular queue"
    # F30 at the same time: the entry count and size came from ET36 by key 41
    assert len(res.values()["entries"]) == 2
    assert node(res, "entries.[1]").offset == 26


# ---------------------------------------------------------------------------- F23 length-prefixed


def test_f23_length_prefixed_records(fs):
    data = "02" "02AABB" "01CC" "070809"
    res = dec(fs, "ET23", data)
    assert res.values() == {
        "n": 2,
        "recs": [{"len_l": 2, "body": b"\xaa\xbb"}, {"len_l": 1, "body": b"\xcc"}],
        "rest": [{"tag": 7}, {"tag": 8}, {"tag": 9}],
    }
    assert node(res, "recs.[1].body").offset == 5
    assert node(res, "rest.[2].tag").offset == 8
    assert rebuild(fs, "ET23", res) == bytes.fromhex(data)


def test_f23_real_et52_records_via_construct(spec):
    from osgpdissect.codec import parse_values

    data = bytes.fromhex("110000020008003F0017000000002C0200")  # guide l.1167
    vals = parse_values(Device(spec).bound("ET52").root, data)
    assert vals["record_list"]["records"] == [{"length_l": 8, "message": bytes.fromhex("3F0017000000002C")}]
    assert vals["transaction_number_end"] == 2


# ---------------------------------------------------------------------------- F24 source ids


def test_f24_source_ids(spec):
    src = spec.enums["SourceId"]
    assert next(e.label for e in src.entries if e.matches(0)) == "Fwd Active Wh L1L2L3"
    assert next(e.label for e in src.entries if e.matches(12)) == "RMS Current L1"
    ext = spec.records["ExtSourceId"]
    assert ext.meta.stated_length == ((None, 2),)
    # the guide's example 0x4001 (l.931): type 4 (M-Bus), ET13 index 0, MDT 1 -- through ET66
    users = [tid for tid, t in spec.tables.items() if "ExtSourceId" in _uses(t.body)]
    assert users, "ExtSourceId is used by no table"


def _uses(items) -> set[str]:
    out: set[str] = set()
    for it in items:
        if isinstance(it, m.RecordField):
            if it.uses:
                out.add(it.uses)
            out |= _uses(it.body)
        elif isinstance(it, m.Field):
            out.add(it.type.name)
        elif isinstance(it, m.If):
            out |= _uses(it.then) | _uses(it.other)
        elif isinstance(it, m.Switch):
            for c in it.cases:
                out |= _uses(c.body)
    return out


def test_f24_ext_source_id_example(tmp_path):
    folder = tmp_path / "ext"
    folder.mkdir()
    root = REPO / "spec" / "common"
    (folder / "sources.osgp").write_text((root / "sources.osgp").read_text(encoding="utf-8"))
    (folder / "t.osgp").write_text('table ET01 "T" {\n    record src "Src" = ExtSourceId @0\n}\n')
    spec, report = load_and_validate(folder)
    assert report.diagnostics == []
    res = decode_table(spec, "ET01", bytes.fromhex("0140"))  # guide-frames et42_mbus_extended_source_id
    assert res.values()["src"]["ext_source_id"] == {"source_low": 1, "source_index": 0, "source_type": 4}
    assert node(res, "src.ext_source_id.source_type").enum.startswith("M-Bus data")


# ---------------------------------------------------------------------------- F25 nibbles


def test_f25_nibbles(fs):
    res = dec(fs, "ET25", "0F345F")
    n = node(res, "nibs")
    assert n.value == [0, 15, 3, 4, 5]
    assert [(c.name, c.offset, c.enum) for c in n.children] == [
        ("[0]", 0, "ok"), ("[1]", 0, "bad"), ("[2]", 1, "code 3"), ("[3]", 1, "code 4"), ("[4]", 2, "code 5")]
    assert rebuild(fs, "ET25", res) == bytes.fromhex("0F345F")


def test_f25_real_bt64_channel_status(spec):
    data = bytearray(encode_table(spec, "BT64", {}))
    path = "lp_data_set.[0].lp_int.[0].extended_int_status.channel_status"
    n = node(decode_table(spec, "BT64", bytes(data)), path)
    assert (n.offset, n.size, n.value) == (18, 1, [0])  # defaults: 2 channels -> 1 nibble
    data[18] = 0x10  # the high nibble of byte 18 is channel 1
    n = node(decode_table(spec, "BT64", bytes(data)), path)
    assert n.value == [1] and n.children[0].enum is not None
    assert n.children[0].enum != node(decode_table(spec, "BT64", bytes(9770)), path).children[0].enum


# ---------------------------------------------------------------------------- F26 derived


def test_f26_derived(fs):
    res = dec(fs, "ET26", "020001")
    t = node(res, "threshold")
    assert (t.value, t.size, t.unit) == (65538, 0, "mA")
    assert res.values()["threshold"] == 65538
    assert rebuild(fs, "ET26", res) == bytes.fromhex("020001")  # derived is not on the wire


# ---------------------------------------------------------------------------- F27 byte order


def test_f27_msb(fs):
    res = dec(fs, "ET27", "1234" "01020304" "3155")
    assert res.values() == {"be16": 0x1234, "be32": 0x01020304,
                            "fw": {"major": 3, "minor": 10, "build": 21}}
    assert rebuild(fs, "ET27", res).hex().upper() == "1234010203043155"


def test_f27_real_bt01_and_et52_mixed(spec):
    res = decode_table(spec, "BT01", bytes.fromhex("3018"), 14)
    assert res.values()["fw_version"] == {"major": 3, "minor": 0, "build": 24}


# ---------------------------------------------------------------------------- F28 metadata


def test_f28_metadata(fs, spec):
    t = fs.tables["ET28"]
    assert t.header.ram_only is True
    assert [(a.op, a.keys, a.clients) for a in t.header.access] == [
        ("read", ("MBK", "MAK"), ("osgp", "cpm0600")), ("write", ("MAK",), ())]
    x, key, y = t.body
    assert (x.meta.value, x.meta.vci, x.meta.doc, x.meta.note) == ("5", "P", "five by default", "a note")
    assert key.meta.markers == (("writeonly", "read back as zeros"),) and key.meta.vci == "H"
    assert (y.meta.value, y.meta.vci, y.meta.valid_range) == ("7 or 8", "H/M", (0, 100))
    assert y.meta.has_marker("deprecated")
    # build defaults: a numeric `value`, else the literal `default`
    assert encode_table(fs, "ET28", {}) == bytes([5, 0, 0, 0, 0, 8, 0])
    sk = [i for i in spec.tables["ET13"].body[0].body if isinstance(i, m.Switch)][0].cases[0].body[3]
    assert sk.id == "security_key" and sk.meta.has_marker("writeonly")


# ---------------------------------------------------------------------------- F29 family parameter


def test_f29_family_param(fs):
    assert [table_size(fs, t) for t in ("ET40", "ET41", "ET42", "ET43")] == [1, 2, 3, 4]
    assert fs.tables["ET40"] is fs.tables["ET43"]
    res = dec(fs, "ET42", "010203")
    assert res.values() == {"data": b"\x01\x02\x03"} and res.table_id == "ET42"


def test_f29_real_bt64_family(spec):
    t = spec.tables["BT64"]
    assert t.family_end == "BT67" and t.family_param == "n"
    assert all(spec.tables[x] is t for x in ("BT65", "BT66", "BT67"))
    dev = Device(spec)
    for n, x in enumerate(("BT64", "BT65", "BT66", "BT67")):
        b = dev.bound(x)
        assert b.table_id == x and b.size == 9770
        # n = number - 64 picks the data set: BT61.sets[n]
        assert b.defaults_used[0] == f"BT61.sets.{n}.nbr_blks_set"


# ---------------------------------------------------------------------------- F30 lookup


def test_f30_lookup(fs):
    assert table_size(fs, "ET31") == 2  # key 7 is entry 1 by default (count 2)
    dev = Device(fs)
    dev.learn("ET30", 0, bytes([7, 5, 1, 1, 2, 2]))  # key 7 now at entry 0, count 5
    assert table_size(fs, "ET31", dev) == 5
    dev.learn("ET30", 0, bytes([1, 5, 2, 1, 3, 2]))  # no key 7: a clear error, not a crash
    from osgpdissect.errors import DecodeError

    with pytest.raises(DecodeError, match=r"lookup\(\): no element of ET30.entries has key == 7"):
        table_size(fs, "ET31", dev)


# ---------------------------------------------------------------------------- F31 namespaces


def test_f31_et61_and_ep61(spec):
    et, ep = spec.find("ET61"), spec.find("EP61")
    assert isinstance(et, m.Table) and isinstance(ep, m.Procedure)
    assert et.number == ep.number == 2109
    assert spec.table_by_number(2109) is et and spec.procedure_by_number(2109) is ep
    assert et.name == "Time-Based Relay Control Calendar"
    assert ep.name == "MEP Transaction Lock Control"


# ---------------------------------------------------------------------------- F32 procedures


def test_f32_procedure_offsets(spec):
    req = decode_table(spec, "EP17", bytes.fromhex("00F803"), part="request")
    assert [(n.name, n.offset, n.size) for n in req.nodes] == [("action", 3, 1), ("device_handle", 4, 2)]
    assert req.values() == {"action": 0, "device_handle": 1016}
    call = decode_procedure_call(spec, bytes.fromhex("11080700F803"))
    assert (call.id, call.psn, call.parameters.values()) == ("EP17", 7, {"action": 0, "device_handle": 1016})
    result = decode_procedure_result(spec, bytes.fromhex("13080900" "03"), call=bytes.fromhex("130809"))
    assert (result.id, result.psn, result.result_code) == ("EP19", 9, 0)
    assert result.matches_call is True
    assert [(n.name, n.offset) for n in result.data.nodes] == [("entry_index", 4)]
    assert result.data.values() == {"entry_index": 3}
    assert spec.procedures["EP17"].results.entries[2].label == "invalid Action specified"


# ---------------------------------------------------------------------------- F33 / F34


def test_f33_extension_entries_chain_into_the_base_entry(spec):
    """ET57 `chain drh while entry_info.entry_type == 3`: extension DRH bytes join the base entry's."""
    # entry 0: M-Bus base (type 1, MDT 1) DRH 0C 93 3A; entries 1-2: extensions; entry 3: a new base
    data = bytes.fromhex("050C933A" "07112233" "07445566" "090A0B0C") + bytes(48)
    res = decode_table(spec, "ET57", data)
    e0, e1 = res.values()["mdt_entries"][:2]
    assert e0["entry_info"] == {"entry_type": 1, "mdt": 1, "special": 0}
    assert e0["drh"] == bytes.fromhex("0C933A")
    assert e1["entry_info"]["entry_type"] == 3 and e1["drh"] == bytes.fromhex("112233")
    joined = node(res, "mdt_entries.[0].drh_chain")
    assert joined.value == "0C 93 3A 11 22 33 44 55 66"
    assert (joined.offset, joined.size) == (1, 9)
    assert res.find("mdt_entries.[1].drh_chain") is None  # only the base entry carries the chain
    assert res.find("mdt_entries.[3].drh_chain") is None  # a base entry with no extension
    assert node(res, "mdt_entries.[1].entry_info.entry_type").enum == "extension of previous entry"
    assert encode_table(spec, "ET57", res.values()) == data  # the chain is a view, not wire data


def test_f34_structure_inside_opaque_field(spec):
    mep_id = bytes([0x80, 0x12, 0x34, 7, 4, 1, 2, 3, 4, 2, 0xAA, 0xBB]) + bytes(18)
    res = decode_table(spec, "ET50", mep_id, 0)
    v = res.values()["mep_inbound_config"][0]["mep_id"]
    assert v["mfg_id"] == {"mfg_code": 0x1234, "osgp_format": 1}
    assert (v["device_class"], v["program_id_len"]) == (7, 4)
    assert v["program_id"] == {"device_type": 1, "device_sub_type": 2, "interface_version": 3,
                               "implementation_version": 4}
    assert (v["unique_id_len"], v["unique_id"]) == (2, b"\xaa\xbb")
    assert node(res, "mep_inbound_config.[0].mep_id.unique_id").offset == 10
    other = decode_table(spec, "ET50", bytes([0x00, 0x12, 0x34]) + bytes(27), 0)
    ov = other.values()["mep_inbound_config"][0]["mep_id"]
    assert ov["mfg_id"]["osgp_format"] == 0 and len(ov["other_format"]) == 27


def test_feature_spec_files_exist():
    assert sorted(p.name for p in (SPECS / "features").glob("*.osgp")) == [
        "arrays.osgp", "blobs.osgp", "profiles.osgp", "scalars.osgp"]
    assert Path(SPECS / "features").is_dir()


def test_f17_device_class_and_ports_context(spec):
    """`cpm` and `two_mep_ports` are layout-context names: profiles default them, a capture overrides."""
    from osgpdissect.lang.loader import parse_text
    from osgpdissect.layout.binder import Binder

    gate = parse_text('table ET01 "x" { UINT8[(if (cpm == 0 and fw >= 3.70) or (cpm == 1 and fw >= 1.20) '
                      'then 1 else 0) + two_mep_ports] a "A" }', "t.osgp")[0].body[0].type.dims[0]
    meter = Device(spec, "gen3")
    old_module = Device(spec, "gen3", fw="1.11", settings={"cpm": 1})
    new_module = Device(spec, "gen3", fw="1.20", settings={"cpm": 1, "two_mep_ports": 1})
    assert Binder(spec, meter).peval(gate) == 1
    assert Binder(spec, old_module).peval(gate) == 0
    assert Binder(spec, new_module).peval(gate) == 2
