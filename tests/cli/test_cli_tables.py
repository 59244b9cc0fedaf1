"""The core CLI: tables, show, spec check, spec coverage, table, --version, start-up imports."""

from __future__ import annotations

import json
import re

import pytest
from core_helpers import cli, run_cli, vectors

from osgpdissect import __version__
from osgpdissect.layout.coverage import DEFINED, REFERENCED

BASE_KEYS = ["name", "orig_name", "offset", "size", "value", "raw"]
OPTIONAL_KEYS = {"enum", "unit", "partial", "children"}


def _json(*args):
    r = cli(*args)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return json.loads(r.stdout)


def test_tables_lists_et61_and_ep61():
    r = run_cli("tables")
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    et61 = [ln for ln in lines if ln.startswith("ET61 ")]
    ep61 = [ln for ln in lines if ln.startswith("EP61 ")]
    assert et61 == ["ET61   2109  0x083D  Time-Based Relay Control Calendar"]
    assert ep61 == ["EP61   2109  0x083D  MEP Transaction Lock Control"]
    assert any(ln.startswith("BT67     67  0x0043  Load Profile Data Set") for ln in lines)
    rows = _json("tables", "--json")
    ids = [x["id"] for x in rows]
    assert len(ids) == len(set(ids)) == len(lines)
    assert {"ET61", "EP61", "ET11", "BT64", "BT65", "BT66", "BT67"} <= set(ids)
    by = {x["id"]: x for x in rows}
    assert by["ET11"] == {"id": "ET11", "number": 2059, "hex": "0x080B", "name": "MFG Dimension Table",
                          "status": "defined"}


def test_show_et13():
    r = cli("show", "ET13")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0] == "ET13 — MEP/M-Bus Device Configuration (2061, 0x080D)"
    assert "  layout (profile gen3): 330 bytes" in out
    assert "  dimensions from spec defaults: ET11.num_devices, ET11.config_entry_size" in out
    assert any(re.match(r"\s+0\s+330\s+variants\[5\]\s+device_config \"Device Config\"", ln) for ln in out)
    assert any(re.match(r"\s+8\s+20\s+CHAR\[20\]\s+customer_id", ln) for ln in out)
    assert any(re.match(r"\s+9\s+57\s+UINT8\[57\]\s+downlink_data", ln) for ln in out)
    assert any("alert_flags" in ln for ln in out) and any("4=2400 (M-Bus default)" in ln for ln in out)
    r4 = cli("show", "ET13", "--profile", "gen4")
    assert "  layout (profile gen4): 396 bytes" in r4.stdout.splitlines()


def test_show_unknown_table():
    r = cli("show", "ET99")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == ["osgpdissect: unknown table or procedure 'ET99' (see `osgpdissect tables`)"]


def test_spec_check_shipped_spec():
    r = cli("spec", "check")
    assert r.returncode == 0, r.stderr
    m = re.fullmatch(r"spec ok: (\d+) tables/procedures, (\d+) stated offsets checked, (\d+) mismatches "
                     r"explained in ERRATA\n", r.stdout)
    assert m, r.stdout
    assert int(m[1]) >= 100 and int(m[2]) >= 1000


@pytest.fixture(scope="module")
def coverage_rows():
    return _json("spec", "coverage", "--json")


def test_coverage_every_layout_transcribed(coverage_rows):
    rows = {r["id"]: r for r in coverage_rows}
    # issue 15 item 5: every declaration has its row (also EP26/32/33/37, named in other text)
    assert set(rows) == set(DEFINED) | set(REFERENCED) | {"EP26", "EP32", "EP33", "EP37"}
    for tid in DEFINED:
        r = rows[tid]
        assert r["status"] == "transcribed", r
        assert r["guide_line"] == DEFINED[tid]
        assert r["errors"] == 0, r
        assert set(r) == {"id", "name", "guide_line", "status", "offsets_checked", "mismatches_excused",
                          "errors", "errata"}
    assert len(DEFINED) == 74  # BT64..BT67 counted one by one


LAYOUT_SHARED = {"ET53": "ET52", "ET85": "ET59"}


def test_coverage_offsets_checked(coverage_rows):
    rows = {r["id"]: r for r in coverage_rows}
    for tid in DEFINED:
        if tid in LAYOUT_SHARED:
            continue
        assert rows[tid]["offsets_checked"] > 0, tid
    for tid in REFERENCED:
        assert rows[tid]["status"].startswith("referenced")
        if "partially described" not in rows[tid]["status"]:
            assert rows[tid]["offsets_checked"] == 0, tid
    assert rows["EP39"]["offsets_checked"] > 0  # partially described: its stated offsets are checked
    # the shared layouts are checked where they are written
    assert all(rows[src]["offsets_checked"] > 0 for src in LAYOUT_SHARED.values())


def test_coverage_layout_tables_report_checked_offsets(coverage_rows):
    rows = {r["id"]: r for r in coverage_rows}
    assert all(rows[t]["offsets_checked"] > 0 for t in LAYOUT_SHARED)


def test_coverage_text_summary():
    r = cli("spec", "coverage")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == f"{len(DEFINED)}/{len(DEFINED)} layouts the guide defines are transcribed"


def _walk(nodes):
    for n in nodes:
        yield n
        yield from _walk(n.get("children", []))


def _check_shape(nodes):
    seen_optional = set()
    for n in _walk(nodes):
        keys = list(n)
        assert keys[:6] == BASE_KEYS, keys
        assert set(keys[6:]) <= OPTIONAL_KEYS, keys
        seen_optional |= set(keys[6:])
        assert isinstance(n["offset"], int) and isinstance(n["size"], int) and isinstance(n["raw"], str)
        if "partial" in n:
            assert n["partial"] is True
        if "children" in n:
            assert n["children"]
    return seen_optional


def test_table_json_node_shape_et11():
    hexdata = vectors()["et11_first10"]["hex"]
    out = _json("table", "ET11", "--hex", hexdata, "--json")
    assert list(out) == ["table", "name", "offset", "size", "fields", "defaults_used", "warnings"]
    assert (out["table"], out["name"], out["offset"], out["size"]) == ("ET11", "MFG Dimension Table", 0, 10)
    seen = _check_shape(out["fields"])
    assert seen == {"partial"}
    first = out["fields"][0]
    assert first == {"name": "num_devices", "orig_name": "Number of Devices", "offset": 0, "size": 1,
                     "value": 5, "raw": "05"}
    assert out["fields"][-1] == {"name": "txn_response_len", "orig_name": "Transaction Response Length",
                                 "offset": 9, "size": 2, "value": None, "raw": "F9", "partial": True}


def test_table_json_enum_unit_children():
    hexdata = vectors()["et14_first12"]["hex"]
    out = _json("table", "ET14", "--hex", hexdata, "--json")
    seen = _check_shape(out["fields"])
    assert {"enum", "children"} <= seen
    status = next(n for n in out["fields"] if n["name"] == "status")
    e0 = next(c for c in status["children"] if c["name"] == "[0]")
    ds = next(c for c in e0["children"] if c["name"] == "device_status")
    assert ds == {"name": "device_status", "orig_name": "Device Status", "offset": 8, "size": 1, "value": 1,
                  "raw": "01", "enum": "M-Bus device active (Up)"}
    brl = next(c for c in e0["children"] if c["name"] == "billing_read_length")
    assert brl["unit"] == "bytes" and brl["value"] == 47
    assert out["defaults_used"] == ["ET11.num_devices", "ET11.status_entry_size"]


def test_table_offset_partial():
    out = _json("table", "ET04", "--offset", "55", "--hex", "04", "--json")
    assert out["offset"] == 55 and out["size"] == 1
    assert out["fields"] == [{"name": "max_te_registers", "orig_name": out["fields"][0]["orig_name"],
                              "offset": 55, "size": 1, "value": 4, "raw": "04"}]
    cut = _json("table", "ET11", "--offset", "6", "--hex", "02 01 03", "--json")
    assert [(n["name"], n["offset"], n.get("partial", False), n["raw"]) for n in cut["fields"]] == [
        ("data_entry_size", 5, True, "02"), ("txn_request_len", 7, False, "01 03")]
    assert cut["fields"][1]["value"] == 0x0301


def test_table_text_output():
    r = cli("table", "BT52", "--hex", vectors()["bt52_clock_calendar"]["hex"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "BT52 UTC Clock @0 (6 bytes)"
    assert lines[1] == "    Clock Calendar @0 = 2004-02-16 15:59:55"


@pytest.mark.parametrize(("args", "message"), [
    (("table", "ET11", "--hex", "zz"), "osgpdissect: --hex: not hex bytes: 'zz'"),
    (("table", "ET11", "--hex", "123"), "osgpdissect: --hex: not hex bytes: '123'"),
    (("table", "XT11", "--hex", "00"),
     "osgpdissect: bad table 'XT11': expected e.g. ET13, BT23, EP17, 2061 or 0x080D"),
    (("table", "ET11", "--hex", "00", "--dims", "/nonexistent/dims.json"), None),
])
def test_table_bad_input(args, message):
    r = run_cli(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    if message:
        assert lines[0] == message
    else:
        assert lines[0].startswith("osgpdissect: /nonexistent/dims.json: cannot read dimensions file")
    assert "Traceback" not in r.stderr


def test_table_with_dims_file(tmp_path):
    dims = tmp_path / "dims.json"
    dims.write_text(json.dumps({"profile": "gen4", "ET11.num_devices": 2, "ET11.config_entry_size": 20}))
    out = _json("table", "ET13", "--hex", "00" * 40, "--dims", str(dims), "--json")
    dc = next(n for n in out["fields"] if n["name"] == "device_config")
    assert [c["name"] for c in dc["children"]] == ["[0]", "[1]"]
    assert dc["size"] == 40 and out["defaults_used"] == []


def test_version():
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout == f"osgpdissect {__version__}\n" and r.stderr == ""


def test_version_does_not_import_scapy():
    r = run_cli("--version", python_flags=("-X", "importtime"))
    assert r.returncode == 0, r.stderr
    modules = []
    for ln in r.stderr.splitlines():
        if ln.startswith("import time:") and "|" in ln:
            modules.append(ln.rsplit("|", 1)[1].strip())
    assert "osgpdissect" in modules and "osgpdissect.cli" in modules  # the parse really saw imports
    assert "scapy.all" not in modules
    assert not [x for x in modules if x.startswith("scapy")]
