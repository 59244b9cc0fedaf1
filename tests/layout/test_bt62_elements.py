"""BT62 per-element binding (issue 15 item 4): a `[*]`-like array whose element layout uses
``index`` is laid out element by element, each data set with its own channel count."""

from __future__ import annotations

from osgpdissect.codec import decode_table, encode_table
from osgpdissect.layout.device import Device
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
    sets = [n for n in dec.nodes if n.name == "sets"][0].children
    assert [s.name for s in sets] == ["[0]", "[1]"]


def test_bt62_number_of_data_sets_inferred_without_bt61(spec):
    """issue 15 items 1 and 4: with no BT61 read, the data set count comes from BT62's size."""
    ctx = TableContext(spec=spec, device=Device(spec, "gen3"))
    two_sets_of_two = bytes([0, 1, 0, 0, 2, 0, 32]) * 2
    dec = ctx.decode(62, 0, two_sets_of_two, table_size=14)
    assert "dimensions inferred from the 14-byte full read: BT61.sets.#count = 2" in dec.warnings
    sets = [n for n in dec.nodes if n.name == "sets"][0].children
    assert len(sets) == 2


def test_bt23_element_names_from_bt22(spec):
    """issue 15 item 4: BT23's summations are named after the sources BT22 lists, when read."""
    from osgpdissect.codec import decode_table as decode

    dev = Device(spec, "gen3", values={"BT21.flags.demand_reset_ctr": 0})
    before = decode(spec, "BT23", bytes(220), device=dev).find("register_data.totals")
    assert [c.orig_name for c in before.children][:2] == ["Fwd Active Wh L1L2L3", "Rev Active Wh L1L2L3"]
    dev.learn("BT22", 0, bytes([1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
    totals = decode(spec, "BT23", bytes(220), device=dev).find("register_data.totals")
    names = [(c.name, c.orig_name, c.unit) for c in totals.children][:3]
    assert names[0] == ("fwd_active_wh", "Rev Active Wh L1L2L3 (source 1)", None)
    assert names[1] == ("rev_active_wh", "Fwd Active Wh L1L2L3 (source 0)", None)
    assert names[2] == ("import_reactive_varh", "Import Reactive Varh L1L2L3 (source 2)", "VArh")


def test_bt28_element_names_from_bt27(spec):
    """issue 15 item 4: BT28's present values are named after BT27's present value sources."""
    from osgpdissect.codec import decode_table as decode

    dev = Device(spec, "gen3", values={"BT21.nbr_present_demands": 0, "BT21.nbr_present_values": 2})
    dev.learn("BT27", 0, bytes([0x16, 0x14]))  # sources 22 and 20
    res = decode(spec, "BT28", bytes(8), device=dev)
    enum = spec.enums["SourceId"]
    label = {x.lo: x.label for x in enum.entries if x.lo == x.hi}
    assert [n.orig_name for n in res.nodes[1:3]] == [f"{label[22]} (source 22)", f"{label[20]} (source 20)"]


def _transaction(total: int) -> bytes:
    """A 9-byte ET52/ET53 transaction (one empty record) and the unused rest up to ``total``."""
    head = (9).to_bytes(2, "little") + bytes([1]) + (1).to_bytes(2, "little")
    return head + bytes(2) + (1).to_bytes(2, "little") + bytes(total - 9)


def test_et52_et53_tails_run_to_their_own_lengths(spec):
    """issue 15 item 4: `layout ET52(length = ET11.txn_response_len)`: ET53's unused tail runs to
    ET11.9 (1785) bytes, ET52's to ET11.7 (896 on 3.50+)."""
    from osgpdissect.codec import decode_table as decode

    dev = Device(spec, "gen3")
    et53 = decode(spec, "ET53", _transaction(1785), device=dev)
    assert et53.values()["unused_length"] == 1776 and et53.warnings == []
    et52 = decode(spec, "ET52", _transaction(896), device=dev)
    assert et52.values()["unused_length"] == 887 and et52.warnings == []
    # the transaction alone (what reads and writes carry) decodes as well
    assert decode(spec, "ET53", _transaction(9), device=dev).values()["unused_length"] == 1776
