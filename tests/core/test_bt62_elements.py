"""BT62 per-element binding (issue 15 item 4): a `[*]`-like array whose element layout uses
``index`` is laid out element by element, each data set with its own channel count."""

from __future__ import annotations

from osgpdissect.decode import decode_table, encode_table
from osgpdissect.device import Device
from osgpdissect.mep import TableContext

SETS = [{"nbr_blks_set": 10, "nbr_blk_ints_set": 96, "nbr_chns_set": 2, "max_int_time_set": 15},
        {"nbr_blks_set": 5, "nbr_blk_ints_set": 24, "nbr_chns_set": 4, "max_int_time_set": 84}]
# set 1: channels 1, 2; set 2: channels 11..14; INT32 format each
BT62 = bytes([0, 1, 0, 0, 2, 0, 32]) + bytes([0, 11, 0, 0, 12, 0, 0, 13, 0, 0, 14, 0, 32])


def _device(spec) -> Device:
    dev = Device(spec, "gen3")
    dev.learn("BT61", 0, encode_table(spec, "BT61", {"memory_len": 1, "sets": SETS}))
    return dev


def test_bt62_data_sets_with_unequal_channel_counts(spec):
    """issue 15 item 4: set 1 = 2 channels, set 2 = 4: a 20-byte read decodes set 2 with its
    own 4 channels and invents no third set."""
    res = decode_table(spec, "BT62", BT62, device=_device(spec))
    sets = res.values()["sets"]
    assert len(sets) == 2
    assert [c["lp_source_sel"] for c in sets[0]["lp_sel_set"]] == [1, 2]
    assert [c["lp_source_sel"] for c in sets[1]["lp_sel_set"]] == [11, 12, 13, 14]
    assert sets[1]["int_fmt_cde"] == 32
    assert res.find("sets.[1].int_fmt_cde").offset == 19
    assert res.warnings == []


def test_bt62_scalars_per_data_set(spec):
    """issue 15 item 4: BT60's scalar/divisor bit of data set 2 only adds scalars to set 2."""
    dev = _device(spec)
    dev.learn("BT60", 4, bytes.fromhex("80 00"))  # BT60.4 bit 7: Set 2 Scalar Divisor Enable
    scalars = bytes(range(1, 9)) + bytes(range(11, 19))  # 4 scalars, 4 divisors
    data = BT62 + scalars
    res = decode_table(spec, "BT62", data, device=dev)
    sets = res.values()["sets"]
    assert "scalars_set" not in sets[0]
    assert sets[1]["scalars_set"] == [0x0201, 0x0403, 0x0605, 0x0807]
    assert sets[1]["divisor_set"] == [0x0C0B, 0x0E0D, 0x100F, 0x1211]
    assert res.warnings == []
    assert encode_table(spec, "BT62", res.values(), dev) == data


def test_bt62_full_read_through_the_table_context(spec):
    """issue 15 item 4: in a capture (BT61 read, then a full read of BT62) nothing is inferred
    and nothing is left over."""
    dev = _device(spec)
    ctx = TableContext(spec=spec, device=dev)
    dec = ctx.decode(62, 0, BT62, table_size=len(BT62))
    assert dec.warnings == [] and dec.problems == []
    sets = [n for n in dec.nodes if n["name"] == "sets"][0]["children"]
    assert [s["name"] for s in sets] == ["[0]", "[1]"]


def test_bt62_number_of_data_sets_inferred_without_bt61(spec):
    """issue 15 items 1 and 4: with no BT61 read, the data set count comes from BT62's size."""
    ctx = TableContext(spec=spec, device=Device(spec, "gen3"))
    two_sets_of_two = bytes([0, 1, 0, 0, 2, 0, 32]) * 2
    dec = ctx.decode(62, 0, two_sets_of_two, table_size=14)
    assert "dimensions inferred from the 14-byte full read: BT61.sets.#count = 2" in dec.warnings
    sets = [n for n in dec.nodes if n["name"] == "sets"][0]["children"]
    assert len(sets) == 2
