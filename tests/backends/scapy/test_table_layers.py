"""Table payloads as scapy layers, decoded and built by the codec (issue 14)."""

from __future__ import annotations

from scapy.config import conf
from scapy.packet import raw

from osgpdissect.backends.scapy import MEPRequest, MEPResponse, MEPTableData, dissect_exchange
from osgpdissect.backends.scapy.tables import table_class, table_layer

ET11_GUIDE = bytes.fromhex("054224050605020103F9")  # the guide's ET11 example (first 10 bytes)


def test_a_table_payload_builds_from_values_and_dissects_back():
    et11 = table_class("ET11")
    built = raw(et11(num_devices=6, config_entry_size=66, status_entry_size=36))
    assert built[:3] == bytes([6, 66, 36])
    back = et11(built)
    assert (back.num_devices, back.config_entry_size, back.status_entry_size) == (6, 66, 36)
    assert raw(back) == built


def test_setting_a_value_changes_the_built_bytes():
    et11 = table_class("ET11")
    pkt = et11(raw(et11()))
    pkt.num_devices = 9
    assert raw(pkt)[0] == 9


def test_one_class_per_table_whatever_the_traffic():
    req = MEPRequest(code=0x3F, table=0x080D, offset=272, count=1, seq=0x5B4E4205)
    resp = MEPResponse(code=0, data=b"\x02")
    dissect_exchange(raw(req), raw(resp))
    before = len(conf.layers)
    for k in range(40):
        _, r = dissect_exchange(raw(req), raw(MEPResponse(code=0, data=bytes([k]))))
        assert MEPTableData in r
    assert len(conf.layers) == before
    assert table_class("ET13") is table_class("et13")


def test_a_partial_read_builds_back_to_its_window():
    layer = table_layer(0x0017, 44, bytes(range(44)))  # BT23, one tier's totals
    assert raw(layer) == bytes(range(44))
    assert layer.table_offset == 44 and layer.decoded is not None


def test_an_edited_partial_read_builds_the_same_window_of_the_table():
    data = bytes(10)
    layer = table_layer(0x080B, 0, data)  # ET11 shortened: decoded as a window
    layer.num_devices = 3
    assert raw(layer)[0] == 3


def test_unknown_tables_stay_bytes():
    layer = table_layer(0x0100, 0, b"\x01\x02")  # BT256: not in the spec
    assert type(layer) is MEPTableData and raw(layer) == b"\x01\x02"


def test_show_names_the_guide_field_and_offset(capsys):
    table_class("ET11")(ET11_GUIDE + bytes(22)).show()
    out = capsys.readouterr().out
    assert "num_devices= 5  [Number of Devices @0]" in out
