"""Dimensions and firmware from evidence (issue 15 items 1 and 2).

Synthetic MEP captures of full reads (BT23, BT28, ET13, ET16, ET11) built with the project's
frame builders from dimension sets that differ from the spec defaults; the capture holds no
BT21 or ET11 read, so only the sizes of the bytes can tell the dissector the dimensions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mep"))

from helpers import chunk_runs, rc4_request, rc4_response  # noqa: E402

from osgpdissect.codec import encode_table  # noqa: E402
from osgpdissect.lang import model as m  # noqa: E402
from osgpdissect.layout.device import Device  # noqa: E402
from osgpdissect.mep import TableContext  # noqa: E402
from osgpdissect.mep.dissector import Dissector  # noqa: E402
from osgpdissect.mep.render import summary_line, tree_lines  # noqa: E402
from osgpdissect.optical import builders as B  # noqa: E402
from osgpdissect.optical import decode_optical_runs  # noqa: E402

NUMBERS = {"BT23": 23, "BT28": 28, "ET13": 2061, "ET16": 2064, "ET11": 2059, "BT21": 21}

# Dimension sets the meters really had; each differs from the spec defaults (gen3 profile).
DIM_SETS = {
    # the NES meters of the issue: no demand-reset byte, no demands, no present demands
    "no_demand": {"BT21.flags.demand_reset_ctr": 0, "BT21.nbr_summations": 11,
                  "BT21.nbr_demands": 0, "BT21.nbr_present_demands": 0,
                  "BT21.nbr_present_values": 55, "ET11.num_devices": 3},
    "two_tiers_two_demands": {"BT21.nbr_tiers": 2, "BT21.nbr_demands": 2,
                              "BT21.nbr_present_demands": 2, "ET11.num_devices": 6},
    "one_tier_time_remaining": {"BT21.nbr_tiers": 1, "BT21.nbr_demands": 1,
                                "BT21.nbr_present_demands": 1, "BT21.flags.time_remaining": 1,
                                "ET11.num_devices": 7},
}
VALUES = {
    "BT23": {"register_data": {"totals": {"fwd_active_wh": 123456, "rev_active_wh": 654},
                               "tiers": [{"fwd_active_wh": 1001}]}},
    "BT28": {"fwd_active_w": 2300, "rev_active_w": 17},
    "ET13": {"device_config": [{"billing_read_frequency": 3}]},
    "ET16": {},
}


def _pattern(n: int, salt: int) -> bytes:
    return bytes((i * 7 + salt) & 0xFF for i in range(n))


def _table_bytes(spec, truth: Device, table: str) -> bytes:
    """The table's bytes under the true dimensions: the chosen values over a byte pattern."""
    built = encode_table(spec, table, VALUES[table], truth)
    if table == "ET16":
        return _pattern(len(built), 3)
    return built


def _capture(reads: list[tuple[str, bytes]]):
    wires = []
    for seq, (table, data) in enumerate(reads, 1):
        wires += [(True, rc4_request(0x30, NUMBERS[table], seq)), (False, rc4_response(0, data))]
    return chunk_runs(wires)


def _dissect(spec, reads, port: str = "mep"):
    """Records with a decoded table, from a MEP capture (frames of at most 476 bytes) or an
    optical C12.18 session (multi-packet responses)."""
    context = TableContext(spec=spec, device=Device(spec, "gen3"))
    if port == "mep":
        records = list(Dissector(tables=context).dissect(_capture(reads)))
    else:
        exchanges = [(B.ident(), B.ident_response())]
        exchanges += [(B.read(NUMBERS[t]), B.read_response(data)) for t, data in reads]
        runs = B.session(exchanges, packet_size=256)
        records = list(decode_optical_runs(runs, tables=context))
    return [r for r in records if getattr(r, "table", None) is not None], context


@pytest.mark.parametrize("port", ["mep", "optical"])
@pytest.mark.parametrize("name", sorted(DIM_SETS))
def test_full_reads_decode_with_inferred_dimensions(spec, name, port):
    """issue 15 item 1: BT23/BT28/ET13/ET16 full reads, no BT21/ET11 in the capture, decode to
    the values the capture was built from, and each record says what was inferred.  (A MEP
    message holds at most 476 bytes, so ET16 is read over the optical port only.)"""
    truth = Device(spec, "gen3", values=DIM_SETS[name])
    reads = [(t, _table_bytes(spec, truth, t)) for t in ("BT23", "BT28", "ET13", "ET16")]
    if port == "mep":  # a response message: code, count, data, digest (476 bytes at most)
        reads = [(t, data) for t, data in reads if len(data) + 11 <= 476]
    tables = [t for t, _ in reads]
    assert "BT28" in tables and "ET13" in tables
    records, context = _dissect(spec, reads, port)
    assert [r.table.table for r in records] == tables
    expected = TableContext(spec=spec, device=truth)
    for rec, (table, data) in zip(records, reads, strict=True):
        want = expected.decode(NUMBERS[table], 0, data, learn=False)
        assert rec.table.nodes == want.nodes, f"{name}: {table} decoded differently"
        assert not any("beyond" in w for w in rec.table.warnings)
        said = " ".join(rec.table.warnings)
        assert "inferred" in said, f"{name}: {table} does not say what was inferred"
        assert rec.warnings == [] and rec.table.problems == []
        if all(" inferred " in w for w in rec.table.warnings):  # (ET16's test bytes overrun)
            assert not summary_line(rec).endswith("!")
    # the inferred values are kept for later frames
    inferred = {**context.device.inferred}
    for key, value in DIM_SETS[name].items():
        got = context.device.lookup(m.Ref(tuple(key.split("."))), tuple(key.split(".")[1:]))
        assert got == value, (key, inferred)


def test_no_demand_meter_record_text(spec):
    """issue 15 item 1: the record text names the size and the inferred values."""
    truth = Device(spec, "gen3", values=DIM_SETS["no_demand"])
    bt23 = _table_bytes(spec, truth, "BT23")
    assert len(bt23) == 220
    records, _ = _dissect(spec, [("BT23", bt23)])
    text = "\n".join(tree_lines(records[0]))
    assert "dimensions inferred from the 220-byte full read: BT21.flags.demand_reset_ctr = 0" in text
    assert "BT21.nbr_summations = 11" in text and "BT21.nbr_demands = 0" in text
    assert "Fwd Active Wh L1L2L3 @0 = 123456 Wh" in text


def test_dimension_table_read_later_wins(spec):
    """issue 15 item 1: what was inferred stays until the real dimension table is read."""
    truth = Device(spec, "gen3", values=DIM_SETS["no_demand"])
    bt23 = _table_bytes(spec, truth, "BT23")
    bt21 = bytes.fromhex("3F0E0C0F08000104081A")  # the guide's BT21: demand configured
    records, context = _dissect(spec, [("BT23", bt23), ("BT21", bt21), ("BT23", bt23)])
    dev = context.device
    assert dev.inferred == {}
    assert dev.lookup(m.Ref(("BT21", "nbr_summations")), ("nbr_summations",)) == 15
    # the same 220 bytes no longer fit the real dimensions: shown as a problem, not re-inferred
    assert any("220-byte full read of BT23 fits no dimension set" in w for w in records[-1].warnings)
    assert dev.inferred == {}


def test_size_fitting_nothing_is_a_visible_problem(spec):
    """issue 15 item 1: a size that fits no dimension set or firmware keeps the defaults and
    raises a problem (`!` on the record, a problem line)."""
    records, context = _dissect(spec, [("ET11", _pattern(35, 1))])
    rec = records[0]
    assert any("35-byte full read of ET11 fits no dimension set" in w for w in rec.warnings)
    assert summary_line(rec).endswith("!")
    assert any("Warning:" in line and "fits no dimension set" in line for line in tree_lines(rec))
    assert context.device.inferred_fw is None


def test_et11_longer_than_the_assumed_firmware(spec):
    """issue 15 item 2: a 39-byte ET11 means firmware 4.30+: every field it carries decodes."""
    et11 = encode_table(spec, "ET11", {"num_devices": 6, "mep_channel_count": 2,
                                       "error_screen_count": 3}, Device(spec, fw="4.30", generation=4))
    assert len(et11) == 39
    records, context = _dissect(spec, [("ET11", et11)])
    table = records[0].table
    assert "firmware >= 4.30 inferred from the 39-byte ET11 (full read)" in table.warnings
    values = {n.name: n.value for n in table.nodes}
    assert values["error_screen_count"] == 3 and values["mep_channel_count"] == 2
    assert all(n.value is not None for n in table.nodes)
    assert not any(n.name == "_extra" for n in table.nodes)
    assert context.device.setting("generation") == 4


def test_bytes_beyond_the_layout_in_a_partial_read(spec):
    """issue 15 item 2: a partial read reaching past the assumed firmware's layout means a newer
    firmware, too."""
    dev = Device(spec, "gen3")
    inference = dev.infer("ET11", 30, bytes(9), None)
    assert inference.notes == ["firmware >= 4.30 inferred from the 39-byte ET11"]
    assert dev.bound("ET11").size == 39


def test_explicit_firmware_is_never_overridden(spec):
    """issue 15 item 2: a firmware the user gave is kept (the decoder shows the extra bytes)."""
    dev = Device(spec, "gen3", fw="3.80")
    inference = dev.infer("ET11", 0, bytes(39), 39)
    assert dev.setting("fw") == m.Version(3, 80)
    assert inference.notes == [] and dev.inferred_fw is None and dev.bound("ET11").size == 32


def test_several_fits_listed(spec):
    """issue 15 item 1: when several dimension sets fit, the first by preference is used and
    the others are listed."""
    dev = Device(spec, "gen3")
    inference = dev.infer("BT28", 0, bytes(140), 140)  # 8 present demands (32) + 27 values, or ...
    note = inference.notes[0]
    assert note.startswith("dimensions inferred from the 140-byte full read: "
                           "BT21.nbr_present_values = 27")
    assert "also fitting: " in note


def test_a_vain_search_is_not_repeated(spec, monkeypatch):
    """issue 15 item 1: the same size that fitted nothing is reported again without searching
    (a capture with many such reads stays fast)."""
    import osgpdissect.layout.inference as inference

    dev = Device(spec, "gen3")
    first = dev.infer("ET11", 0, bytes(35), 35)
    assert first.problems and dev.inference_misses
    calls = []
    original = inference._Search.size
    monkeypatch.setattr(inference._Search, "size",
                        lambda self, values, fw=None: calls.append(1) or original(self, values, fw))
    again = dev.infer("ET11", 0, bytes(35), 35)
    assert again.problems == first.problems and calls == []
