"""Device-class gates (issue 15 item 3): every guide condition that names Control Point/OSGP
Module (CPM) versions is written with ``cpm`` in the spec, so a module decodes with its own
layout and a meter with the meter's.  One test per gate, meter side and module side.

A gate case: (table, field, meter fw with the field, meter fw without it, module fw with it,
module fw without it); ``None`` when that side never has the field.
"""

from __future__ import annotations

import pytest

from osgpdissect.lang.spec import load_default_spec
from osgpdissect.layout.binder import LBits, walk_static
from osgpdissect.layout.device import Device


@pytest.fixture(scope="module")
def spec():
    return load_default_spec()


def _device(spec, fw: str, cpm: int) -> Device:
    generation = 4 if not cpm and fw.startswith("4") else 3
    return Device(spec, "gen3", fw=fw, generation=generation, settings={"cpm": cpm})


GATES = [
    # ET21 l.2157: Max Memory Length (3.50) and Flags (meters 3.60, modules 1.20).
    ("ET21", "max_memory_length", "3.50", "3.40", "1.20", "1.11"),
    ("ET21", "flags", "3.60", "3.50", "1.20", "1.11"),
    # ET46 l.2614: meters 3.70, modules 1.20.
    ("ET46", "prepay_negative_credit", "3.70", "3.60", "1.20", "1.11"),
    # ET42 l.2540/2544: the Required Section (3.60) and its 3.70/1.20 fields.
    ("ET42", "required_length", "3.60", "3.50", "1.20", "1.11"),
    ("ET42", "energy_register_unit", "3.70", "3.60", "1.20", "1.11"),
    # ET54 l.2851: ET74 Entry Count, meters 3.60, modules 1.20.
    ("ET54", "et74_entry_count", "3.60", "3.50", "1.20", "1.11"),
    # ET54 l.2863: key usage counts, OSGP meters 3.13 and 3.80+ only.
    ("ET54", "unicast_key_usage_count", "3.80", "3.70", None, "1.40"),
    # ET54 l.2871: 4.0 fields, never on modules.
    ("ET54", "mep_tx_lock_channel", "4.0", "3.80", None, "1.40"),
    # ET04 l.1657: OSGP meters 3.13 and 3.80+ only.
    ("ET04", "fcm_message_count", "3.80", "3.70", None, "1.40"),
    # ET55 l.3042: meters 3.70, modules 1.20.
    ("ET55", "prepay_tier_5_8_rates", "3.70", "3.60", "1.20", "1.11"),
    # ET62 l.3233: meters 3.70, modules 1.20.
    ("ET62", "power_outage_list_id_code", "3.70", "3.60", "1.20", "1.11"),
    # ET90 l.3729: FTz count on meters 3.82 and 4.02+, modules 1.31+.
    ("ET90", "nbr_ftz_messages", "3.82", "3.81", "1.31", "1.30"),
    # ET90 l.3711: the modem lengths are for meters 4.10+ only.
    ("ET90", "ip_address_len", "4.10", "4.02", None, "1.40"),
    # ET97 l.3737: the table's content on meters 3.82 and 4.02+, modules 1.31+.
    ("ET97", "ftz_messages", "4.02", "4.01", "1.31", "1.30"),
    # ET09 l.1769: 3.70 fields not applicable to modules.
    ("ET09", "drp_drc_records", "3.70", "3.60", None, "1.40"),
    # ET11 l.1859: 4.0 fields on OSGP meters only.
    ("ET11", "mep_channel_count", "4.0", "3.80", None, "1.40"),
    # BT28 l.4266/4271/4289/4329: present value groups.
    ("BT28", "q1_reactive_var", "3.10", "3.00", "1.00", None),
    ("BT28", "fwd_active_w_l1", "3.50", "3.40", "1.20", "1.11"),
    ("BT28", "rms_voltage_l1_cont", "3.70", "3.60", "1.20", "1.11"),
    ("BT28", "apparent_va_q1", "4.0", "3.90", None, "1.40"),
    ("BT28", "voltage_angle_ab", "4.30", "4.21", "1.32", "1.31"),
]


@pytest.mark.parametrize("table,field,meter_on,meter_off,cpm_on,cpm_off", GATES,
                         ids=[f"{g[0]}.{g[1]}" for g in GATES])
def test_gate_meter_and_module_sides(spec, table, field, meter_on, meter_off, cpm_on, cpm_off):
    """issue 15 item 3: each guide gate naming module versions is decided per device class."""
    if table == "BT28":  # every named present value exists when BT21 counts them all
        spec_values = {"BT21.nbr_present_values": 84, "BT21.nbr_present_demands": 0}
    else:
        spec_values = {}

    def ids(fw, cpm):
        dev = _device(spec, fw, cpm)
        dev.values.update(spec_values)
        root = dev.bound(table).root
        found: set[str] = set()
        for node, _o, _p in walk_static(root):
            found.add(node.id)
            if isinstance(node, LBits):
                found.update(mb.id for mb in node.members)
        return found

    assert field in ids(meter_on, 0)
    assert field not in ids(meter_off, 0)
    if cpm_on is not None:
        assert field in ids(cpm_on, 1)
    if cpm_off is not None:
        assert field not in ids(cpm_off, 1)


def test_ep19_switchover_gate(spec):
    """issue 15 item 3: EP19's download switchover (l.4926) is for meters 3.80+, modules 1.30+."""
    def has(fw, cpm):
        return "image_length" in repr(_device(spec, fw, cpm).bound("EP19", "request").root).lower()

    assert has("3.80", 0) and not has("3.70", 0)
    assert has("1.30", 1) and not has("1.20", 1)


@pytest.mark.parametrize("key,meter,module", [
    # ET11 l.1839: 896 for meters 3.50+ and modules 1.20+, else 768.
    ("ET11.txn_request_len", {"3.50": 896, "3.40": 768}, {"1.20": 896, "1.11": 768}),
    # ET11 l.1851: 20 MEP data sources on modules 1.11+, 6 on every other device.
    ("ET11.num_mep_data_sources", {"3.80": 6, "4.30": 6}, {"1.11": 20, "1.10": 6}),
    # BT50 l.4438/4440: 12 seasons, 25 non-recurring dates on meters 3.50+ and modules 1.20+.
    ("BT50.nbr_non_recurr_dates", {"3.50": 25, "3.40": 0}, {"1.20": 25, "1.11": 0}),
])
def test_default_gates(spec, key, meter, module):
    """issue 15 item 3: defaults that depend on meter/module versions follow the device class."""
    from osgpdissect.lang import model as m

    table, name = key.split(".")
    for cpm, cases in ((0, meter), (1, module)):
        for fw, want in cases.items():
            dev = _device(spec, fw, cpm)
            assert dev.remote(m.Ref((table, name)), (name,)) == want, (cpm, fw)


def test_module_bt28_132_values_follow_value_54(spec):
    """issue 15 item 3: on a 1.32 module the voltage angles follow present value 54 (no 4.0/4.10
    groups on modules), so 64 present values are all named."""
    dev = _device(spec, "1.32", 1)
    dev.values.update({"BT21.nbr_present_values": 64, "BT21.nbr_present_demands": 0})
    offsets = {n.id: off for n, off, _ in walk_static(dev.bound("BT28").root)}
    assert offsets["voltage_angle_ab"] == 55 * 4
    assert "other_present_values" not in offsets
    assert dev.bound("BT28").size == 64 * 4
