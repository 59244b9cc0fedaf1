"""issue 21 item 9: JSON output is always valid JSON (never ``NaN`` / ``Infinity``), times
that go backwards are warned about, and non-finite times stop a decode clearly."""

from __future__ import annotations

import json

import pytest
from cli_helpers import run_cli

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.c1218.messages import Malformed
from osgpdissect.c1218.records import Record
from osgpdissect.cli.pipeline import Decoded, TimeCheck
from osgpdissect.mep import dissect


def _strict(line: str) -> dict:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in JSON output")

    return json.loads(line, parse_constant=refuse)


@pytest.mark.parametrize("t", [float("nan"), float("inf"), float("-inf")])
def test_json_line_never_holds_nan_or_infinity(t):
    """issue 21 item 9: a record with a non-finite time (from a library caller) still gives
    valid JSON: the time is null."""
    rec = Record("malformed", malformed=Malformed(Direction.C2S, b"\x01", "garbage", time=t))
    for line in (rec.to_json_line(), Decoded(rec).to_json_line()):
        assert _strict(line)["time"] is None


def test_json_latency_overflow_is_null():
    """issue 21 item 9: finite times whose difference overflows: latency null, not Infinity."""
    req = bytes.fromhex("00143F083500000000055B4E42E7489775DAD853E3A3")
    resp = bytes.fromhex("00100000056F00010100974B99CAA3314519")
    runs = [ByteRun(Direction.C2S, req, -1e308), ByteRun(Direction.S2C, resp, 1e308)]
    (rec,) = [r for r in dissect(runs) if r.kind == "exchange"]
    assert _strict(rec.to_json_line())["pairing"]["latency"] is None


def test_backwards_times_warned(capsys, tmp_path):
    """issue 21 item 9: backwards times lost pairing with no warning."""
    path = tmp_path / "back.hex"
    path.write_text("2.0 C->S 00 01\n1.0 S->C 02\n3.0 C->S 05 06\n0.5 C->S 05\n")
    rc, out, err = run_cli(capsys, "-O", "json", str(path))
    assert rc == 1 and "no frame found" in err  # its bytes are no MEP frame (issue 16 item 3)
    assert "times go backwards at" in err and "back.hex:2" in err and "2 times in all" in err
    for line in out.splitlines():
        _strict(line)


def test_ordered_times_not_warned(capsys, tmp_path):
    path = tmp_path / "ok.hex"
    path.write_text("1.0 C->S 00 14 3F 08 0B 00 00 00 00 0A 5B 4E 42 00 00 00 00 00 00 00 00 00\n"
                    "2.0 S->C 00 09 00 00 00 00 00 00 00 00 00\n")
    rc, _, err = run_cli(capsys, str(path))
    assert rc == 0 and "backwards" not in err


def test_time_check_refuses_non_finite():
    """issue 21 item 9: whatever the reader, a non-finite time stops the decode clearly."""
    check = TimeCheck()
    with pytest.raises(ValueError, match="not a finite number"):
        list(check.observe([ByteRun(Direction.C2S, b"\x00", float("nan"), source="s:1")]))


def test_logic1_nan_time_exit_2(capsys, tmp_path):
    """issue 21 item 9: through the CLI, one line, exit 2."""
    path = tmp_path / "l1.csv"
    path.write_text("Time [s],Value\n0.1,0x41\nnan,0x42\n")
    rc, out, err = run_cli(capsys, "-O", "json", f"{path}:rx")
    assert rc == 2 and "not a finite number" in err and err.count("\n") == 1
