"""The decode subcommand: tree, summary and JSON lines from pasted hex; errors are one line."""

from __future__ import annotations

import argparse
import json

import pytest

from osgpdissect.cli import decode

HEX = """\
# RC4 example 1 of the guide, then an alert and junk
> 00 14 3f 00 17 00 00 00 00 2C 01 02 03 04 74 86 1F 6D 76 58 DD 56
< 00 0D 0C 77 63 5B 90 35 86 3C 1D F5 B9 14 82
> 0017400007000611080700F8035B4E4309697AB201497E9CF7
< 000900697AB201497E9CF7
< 00 00
> ff fe fd
"""


def _run(argv):
    parser = argparse.ArgumentParser()
    decode.add_parser(parser.add_subparsers())
    args = parser.parse_args(["decode", *argv])
    return args.func(args)


@pytest.fixture
def capture(tmp_path):
    path = tmp_path / "guide.txt"
    path.write_text(HEX)
    return str(path)


def test_json_lines(capture, capsys):
    assert _run([capture, "--format", "hex", "--output", "json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    kinds = [x["record"] for x in lines]
    assert kinds == ["exchange", "exchange", "alert", "malformed"]
    assert lines[0]["response"]["next_seq"] == 0x77635B90
    assert lines[1]["procedure"]["procedure"] == "EP17"


def test_tree_and_summary(capture, capsys, monkeypatch):
    monkeypatch.setenv("OSGP_MAK", "01" * 16)  # keys come from the environment or a key file only
    assert _run([capture, "--format", "hex"]) == 0
    out = capsys.readouterr().out
    assert "Table: 0x0017 (BT23" in out and "verified with MAK" in out and "MALFORMED" in out
    assert _run([capture, "--summary"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_missing_file_is_one_line(capsys):
    assert _run(["/nonexistent/capture.txt"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
