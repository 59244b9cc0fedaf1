"""Issue 18 item 2: ``-O pcap`` combines with text/JSON output; pcapng carries direction flags;
capture timestamps are kept."""

from __future__ import annotations

import shutil
import subprocess

from cli_helpers import EXAMPLES, json_lines, run_cli

from osgpdissect.captures import CaptureOptions, open_capture


def test_json_and_pcap_together(capsys, tmp_path):
    """Issue 18: ``-O json pcap FILE`` prints the JSON records and writes the same pcap as
    ``-O pcap FILE`` alone."""
    src = str(EXAMPLES / "session.pcap")
    rc, out, _ = run_cli(capsys, src, "-O", "json", "pcap", str(tmp_path / "tee.pcap"))
    assert rc == 0
    rc2, alone_out, _ = run_cli(capsys, src, "-O", "json")
    assert json_lines(out) == json_lines(alone_out) and len(json_lines(out)) == 14
    run_cli(capsys, src, "-O", "pcap", str(tmp_path / "alone.pcap"))
    assert (tmp_path / "tee.pcap").read_bytes() == (tmp_path / "alone.pcap").read_bytes()


def test_text_and_pcap_together(capsys, tmp_path):
    """Issue 18: ``-O text pcap FILE`` prints the text records and writes the pcap."""
    rc, out, _ = run_cli(capsys, str(EXAMPLES / "session.pcap"), "-O", "text", "pcap",
                         str(tmp_path / "tee.pcap"), "-s")
    assert rc == 0 and "Full Table Read ET11" in out
    assert (tmp_path / "tee.pcap").stat().st_size > 24


def test_pcapng_keeps_times_and_directions(capsys, tmp_path):
    """Issue 18: a ``.pcapng`` target gets pcapng with EPB direction flags; reading it back
    gives the runs, times and directions of the source."""
    src = str(EXAMPLES / "session.pcap")
    target = tmp_path / "session.pcapng"
    rc, _, _ = run_cli(capsys, src, "-O", "pcap", str(target))
    assert rc == 0
    assert target.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    want = [(r.direction, r.data, r.time) for r in open_capture(src, options=CaptureOptions())]
    got = [(r.direction, r.data, r.time) for r in open_capture(str(target),
                                                                options=CaptureOptions())]
    assert got == want
    tshark = shutil.which("tshark")
    assert tshark, "tshark is missing: apt-get install tshark (.ci/run installs it)"
    res = subprocess.run([tshark, "-r", str(target), "-T", "fields", "-e", "frame.p2p_dir",
                          "-e", "frame.time_epoch"], capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in res.stdout.splitlines()]
    assert [r[0] for r in rows[:4]] == ["0", "1", "0", "1"]  # sent (C->S), received (S->C)
    assert float(rows[0][1]) == 0.5
