"""decode outputs: tree, --summary, JSON lines, colour, --stats, filters; errors are one line."""

from __future__ import annotations

import json

import pytest
from cli_helpers import EXAMPLES, json_lines, run_cli

CSV = str(EXAMPLES / "session-logic2.csv")


def test_json_lines_schema(capsys):
    rc, out, err = run_cli(capsys, CSV, "--output", "json")
    assert rc == 0 and err == ""
    recs = json_lines(out)
    assert [r["index"] for r in recs] == list(range(1, 15))
    keys = {"record", "index", "time", "protocol", "request", "response", "pairing", "security",
            "decoded", "procedure", "transaction", "malformed", "line_errors", "warnings"}
    assert all(keys <= r.keys() for r in recs)
    assert [r["record"] for r in recs].count("alert") == 1
    assert {r["protocol"] for r in recs} == {"mep"}
    tables = [r["request"]["table"] for r in recs if r["request"]]
    assert tables == ["ET11", "ET11", "BT00", "BT21", "ET50", "ET13", "BT23", "BT28", "ET52",
                      "ET53", "ET53", "BT07", "ET59"]
    assert recs[0]["response"]["code_name"] == "Invalid sequence number"
    assert all(r["security"]["request_digest"] == "verified with MAK" for r in recs if r["request"])
    assert recs[13]["procedure"]["procedure"] == "EP17"
    assert recs[11]["transaction"]["number"] == 1


def test_tree_is_summary_line_then_tree(capsys):
    rc, out, _ = run_cli(capsys, CSV)
    assert rc == 0
    blocks = [b for b in out.split("\n\n") if b.strip()]
    assert len(blocks) == 14
    first = blocks[0].splitlines()
    assert "ET11" in first[0] and first[1].startswith("    Request C->S")
    assert "\x1b[" not in out  # not a terminal: no colour
    assert "Alert Flags @272 = 2" in out and "On-demand Request in ET15 @272 = True" in out


def test_summary_one_line_each(capsys):
    rc, out, _ = run_cli(capsys, CSV, "--summary")
    assert rc == 0 and len(out.splitlines()) == 14


def test_colour_on_request(capsys):
    rc, out, _ = run_cli(capsys, CSV, "--summary", "--color", "always")
    assert rc == 0 and out.count("\x1b[0m") == 14


def test_stats_text_and_json(capsys):
    rc, out, _ = run_cli(capsys, CSV, "--stats", "-q")
    assert rc == 0
    assert "exchanges: 13" in out and "ET53 2" in out and "ET50 1" in out
    assert "request: verified with MAK 13" in out and "time span: 0.500000" in out
    rc, out, _ = run_cli(capsys, CSV, "--stats", "-O", "json")
    lines = json_lines(out)
    stats = lines[-1]
    assert len(lines) == 15 and stats["record"] == "stats"
    assert stats["exchanges"] == 13 and stats["tables_written"] == {"BT07": 1, "ET50": 1,
                                                                      "ET52": 1}
    # issue 16 item 6: the 0x0C resync and the request after it are notes, not errors
    assert stats["errors"] == {}
    assert stats["notes"] == {"0x0C: sequence resync": 1, "sequence after 0x0C": 1}
    assert stats["span"] == pytest.approx(4.407, abs=1e-3)


@pytest.mark.parametrize("argv,expected", [
    (["--table", "ET13"], ["ET13"]),
    (["--table", "bt23", "-t", "0x001C"], ["BT23", "BT28"]),
    (["--table", "2059"], ["ET11", "ET11", "ET52", "ET53"]),  # queued in ET52, answered in ET53
    (["--errors"], []),  # issue 16 item 6: the 0x0C resync is a note, not an error
    (["--direction", "s2c"], [None]),
    (["--direction", "c2s", "--table", "BT07"], ["BT07"]),
])
def test_filters(capsys, argv, expected):
    rc, out, _ = run_cli(capsys, CSV, "-O", "json", *argv)
    assert rc == 0
    got = [r["request"]["table"] if r["request"] else None for r in json_lines(out)]
    assert got == expected


@pytest.mark.parametrize("argv,needle", [
    (["/nonexistent/capture.csv"], "cannot read"),
    (["--table", "XX9", CSV], "bad table"),
    (["-o", "baud=fast", CSV], "bad option baud"),
    (["-o", "nonsense=1", CSV], "unknown option"),
    (["--format", "vcd", CSV], "unknown capture format"),
    (["--output", "pcap"], "needs a file name"),
    (["--output", "xml", CSV], "bad --output"),
    ([], "no capture files"),
    (["--max-gap", "0", CSV], "bad --max-gap"),
])
def test_errors_are_one_line_exit_2(capsys, argv, needle):
    rc, out, err = run_cli(capsys, *argv)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_unknown_format_by_content(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello world, this is no capture\n")
    rc, _, err = run_cli(capsys, str(bad))
    assert rc == 2 and "unknown capture format" in err and err.count("\n") == 1


def test_bad_argparse_option_exit_2(capsys):
    rc, _, err = run_cli(capsys, CSV, "--direction", "sideways")
    assert rc == 2 and "invalid choice" in err


def test_output_is_a_directory(tmp_path, capsys):
    rc, _, err = run_cli(capsys, CSV, "--output", "pcap", str(tmp_path))
    assert rc == 2 and err.count("\n") == 1


def test_json_stats_line_is_json(capsys):
    rc, out, _ = run_cli(capsys, CSV, "-O", "json", "--stats", "--table", "ET13")
    last = json.loads(out.splitlines()[-1])
    assert last["records"] == 14 and last["shown"] == 1
