"""Issue 18: the generated plugin on every bundled and test capture, checked against
``osgpdissect decode -O json`` field by field."""

from __future__ import annotations

import json

import pytest
from ws_compare import osgp_reads, subtree_fields, tshark_reads
from ws_helpers import CAPTURE_NAMES


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_no_lua_error(runs, name):
    """Issue 18: tshark runs the plugin on the capture without a Lua error."""
    res = runs.tshark(name, "-T", "json")
    assert res.returncode == 0, res.stderr
    assert "Lua Error" not in res.stdout and "Lua Error" not in res.stderr
    assert "osgp" in res.stdout


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_table_fields_equal_osgpdissect(runs, name):
    """Issue 18: every decoded table field tshark shows equals osgpdissect's, in order."""
    ours = osgp_reads(runs.osgp_json(name))
    theirs = tshark_reads(runs.json(name), subtree_fields(runs.plugin.read_text()))
    assert [t for t, _ in theirs] == [t for t, _ in ours]
    for (table, want), (_, got) in zip(ours, theirs, strict=True):
        assert got == want, table


def test_session_decodes_every_table(runs):
    """Issue 18: the example session's twelve table reads and writes all decode (ET52/ET53
    through the layouts its own ET11 selects), with no field missing."""
    theirs = tshark_reads(runs.json("session.pcap"), subtree_fields(runs.plugin.read_text()))
    assert [t for t, _ in theirs] == ["ET11", "BT00", "BT21", "ET50", "ET13", "BT23", "BT28",
                                      "ET52", "ET53", "ET53", "BT07", "ET59"]
    assert sum(len(leaves) for _, leaves in theirs) > 200


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_no_malformed_where_osgpdissect_is_clean(runs, name):
    """Issue 18: a capture osgpdissect decodes without malformed bytes gives the plugin none."""
    records = [json.loads(line) for line in runs.osgp_json(name).splitlines()]
    if any(r["record"] == "malformed" or r.get("malformed") for r in records):
        return  # the capture has malformed bytes: the plugin may flag them differently
    assert runs.frames(name, "osgp.malformed || _ws.malformed") == []


def test_user0_pcap_decodes_like_rtac(runs, tmp_path):
    """Issue 18: the same session written as a USER0 pcap (link type 147) decodes to the same
    table fields (the plugin is registered for USER0 in "wtap_encap")."""
    import subprocess

    from ws_compare import subtree_fields
    from ws_helpers import SESSION, tshark

    from osgpdissect.captures import CaptureOptions, open_capture
    from osgpdissect.captures.pcap import LINKTYPE_USER0, write_pcap

    user0 = tmp_path / "session-user0.pcap"
    write_pcap(open_capture(str(SESSION), options=CaptureOptions()), str(user0), LINKTYPE_USER0)
    res = subprocess.run([tshark(), "-n", "-X", f"lua_script:{runs.plugin}", "-r", str(user0),
                          "-2", "-T", "json"], capture_output=True, text=True, check=True)
    assert "Lua Error" not in res.stdout
    subtrees = subtree_fields(runs.plugin.read_text())
    assert tshark_reads(res.stdout, subtrees) == tshark_reads(runs.json("session.pcap"), subtrees)


def test_without_context_a_mismatched_layout_shows_bytes(pcaps, tmp_path):
    """Issue 18: a plugin generated without the session as context cannot lay out ET52 for the
    session's ET11 (769-byte transactions, 896 by default): it shows the bytes with a note,
    never values, and the tables the defaults fit still decode."""
    import subprocess

    from ws_helpers import cli, tshark

    rc, _ = cli("wireshark", "--out", str(tmp_path))
    assert rc == 0
    cmd = [tshark(), "-n", "-X", f"lua_script:{tmp_path / 'osgp.lua'}", "-r",
           str(pcaps["session.pcap"]), "-2", "-T", "fields", "-e", "frame.number", "-Y"]
    unknown = subprocess.run([*cmd, "osgp.layout_unknown"], capture_output=True, text=True,
                             check=True).stdout.split()
    et52 = subprocess.run([*cmd, "osgp.et52.transaction_size"], capture_output=True, text=True,
                          check=True).stdout.split()
    et11 = subprocess.run([*cmd, "osgp.et11.num_devices == 5"], capture_output=True, text=True,
                          check=True).stdout.split()
    assert "20" in unknown and et52 == [] and et11 == ["4"]
