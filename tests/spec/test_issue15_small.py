"""Small spec fixes of issue 15 item 5: RDATE, Appendix C NVM columns, coverage of every
declaration, numeric firmware in ``--dims``, the BT54 TOU Format slip."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from osgpdissect.codec import decode_table
from osgpdissect.lang.spec import load_default_spec
from osgpdissect.layout.device import Device


@pytest.fixture(scope="module")
def spec():
    return load_default_spec()


def _cli(*args: str) -> tuple[int, str, str]:
    from osgpdissect.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


def _calendar_device(spec, recurring: int) -> Device:
    return Device(spec, values={"BT50.nbr_non_recurr_dates": 0, "BT50.nbr_recurr_dates": recurring,
                                "BT50.nbr_tier_switches": 0, "BT50.calendar_func.nbr_seasons": 0})


def test_rdate_yearly_date_decodes_to_its_fields(spec):
    """issue 15 item 5: an RDATE for MONTH 1..13 shows month, offset, weekday and day."""
    # December 25, offset 14, weekday unassigned: MONTH 12 | OFFSET 14 << 4, WEEKDAY 7 | DAY 25 << 3
    data = bytes((0xEC, 0xCF, 0x03)) + (7).to_bytes(4, "little")
    res = decode_table(spec, "BT54", data, device=_calendar_device(spec, 1))
    rd = res.values()["recurr_dates"][0]["recurr_date"]
    assert rd["rdate_byte0"]["month"] == 12
    assert rd["offset"] == 14
    assert rd["rdate_byte1"] == {"weekday": 7, "day": 25}
    assert "period" not in rd
    month = res.find("recurr_dates.[0].recurr_date.rdate_byte0.month")
    assert (month.value, month.enum) == (12, "December")
    weekday = res.find("recurr_dates.[0].recurr_date.rdate_byte1.weekday")
    assert weekday.enum == "unassigned"
    assert res.values()["calendar_id"] == 7 and res.warnings == []


def test_rdate_daily_date_decodes_period_and_delta(spec):
    """issue 15 item 5: an RDATE for MONTH 14 shows PERIOD (6 bits over both bytes) and DELTA."""
    # PERIOD 37 = 0b10_0101, DELTA 10: byte 0 = 14 | 5 << 4, byte 1 = 2 | 10 << 2
    data = bytes((0x5E, 0x2A, 0x00)) + bytes(4)
    rd = decode_table(spec, "BT54", data, device=_calendar_device(spec, 1)).values()[
        "recurr_dates"][0]["recurr_date"]
    assert rd["period"] == 37 and rd["rdate_byte1"]["delta"] == 10
    assert "offset" not in rd and "weekday" not in rd["rdate_byte1"]


def test_bt54_tou_format_has_no_vci(spec):
    """issue 15 item 5: the guide's VCI cell of TOU Format is blank (the spec had `vci H`)."""
    rec = spec.records["CalendarAction"]
    first = rec.body[0].then[0]
    member = next(b for b in first.members if b.id == "tou_format")
    assert member.meta.vci in (None, "")


def test_appendix_c_nvm_columns_in_the_model(spec):
    """issue 15 item 5: Write-NVM / Read-NVM of Appendix C are carried per table."""
    assert spec.find("BT22").header.nvm == ("write", "read")
    assert spec.find("BT23").header.nvm == ()
    assert spec.find("BT54").header.nvm == ("write",)
    assert spec.find("BT24").header.nvm == ("read",)
    assert spec.find("BT66").header.nvm == ("write", "read")
    assert spec.find("EP19").header.nvm is None  # procedures are not in Table C.1


def test_show_prints_the_nvm_columns():
    """issue 15 item 5: `show` says what Appendix C says about NVM."""
    rc, out, err = _cli("show", "BT22")
    assert rc == 0 and err == ""
    assert "NVM (Appendix C): written directly to NVM; read from NVM only" in out
    rc, out, _ = _cli("show", "BT23")
    assert "NVM (Appendix C): writes not to NVM; read from RAM" in out


def test_docs_page_has_the_nvm_field(spec):
    """issue 15 item 5: the docs page of a table carries the NVM columns."""
    from osgpdissect.backends.sphinx import pages as docs_backend

    text = "\n".join(docs_backend._head(spec, "BT22", spec.find("BT22")))
    assert ":NVM: Write - NVM: yes; Read - NVM Only: yes (Appendix C)" in text


def test_coverage_json_has_one_entry_per_declaration(spec):
    """issue 15 item 5: `spec coverage --json` lists every declaration (EP26/32/33/37 too)."""
    rc, out, err = _cli("spec", "coverage", "--json")
    assert rc == 0 and err == ""
    ids = [r["id"] for r in json.loads(out)]
    declared = set(spec.tables) | set(spec.procedures)
    assert len(ids) == len(set(ids))
    assert set(ids) >= declared
    assert {"EP26", "EP32", "EP33", "EP37"} <= set(ids)
    assert len(declared) == 135


@pytest.mark.parametrize("fw,size", [(4.3, 39), (4, 38), ("4.30", 39), ("3.80", 32)])
def test_dims_file_accepts_numeric_firmware(tmp_path, fw, size):
    """issue 15 item 5: `--dims` with `{"fw": 4.3}` lays ET11 out for 4.30 (was "internal
    error: BindError")."""
    dims = tmp_path / "dims.json"
    dims.write_text(json.dumps({"fw": fw}), encoding="utf-8")
    rc, out, err = _cli("show", "ET11", "--dims", str(dims))
    assert rc == 0 and err == ""
    assert f"layout (profile gen3): {size} bytes" in out


def test_dims_file_bad_firmware_is_a_clear_message(tmp_path):
    dims = tmp_path / "dims.json"
    dims.write_text('{"fw": "four"}', encoding="utf-8")
    rc, out, err = _cli("show", "ET11", "--dims", str(dims))
    assert rc != 0 and "firmware version must look like 3.50" in err and "Traceback" not in err


def test_ext_source_id_views_by_type(spec):
    """issue 15 item 4 (F24): the low bits of an extended source id are read by its type:
    0x4001 is M-Bus device 0, MDT 1 (guide l.931); type 0 holds a standard source id."""
    dev = Device(spec, "gen3", values={"BT60.sets.0.nbr_chns_set": 1})
    res = decode_table(spec, "ET66", bytes.fromhex("0140 1600 0000 0000"), device=dev)
    ids = res.values()["extended_source_ids"]  # 4 x BT60.11 (1 channel here)
    first, second = ids[0][0], ids[1][0]
    assert first["mbus_device_index"] == 0 and first["mbus_data_type"] == 1
    assert "standard_source" not in first
    assert second["standard_source"] == 0x16 and "mbus_data_type" not in second
