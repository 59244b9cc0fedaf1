"""issue 21 item 5: inputs that ended as internal errors (exit 70) are clear errors now:
``table --profile nope``, ``show --dims`` with a huge dimension, ``spec check`` on a spec file
that is not UTF-8 (and ``decode --profile nope``, which silently dropped table decoding)."""

from __future__ import annotations

import json
import shutil

import pytest
from cli_helpers import EXAMPLES, ROOT

from osgpdissect.cli import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.mark.parametrize("argv", [
    ["table", "BT01", "--profile", "nope", "--hex", "00"],
    ["show", "BT01", "--profile", "nope"],
    ["decode", "--profile", "nope", str(EXAMPLES / "session.pcap")],
])
def test_unknown_profile(capsys, argv):
    """issue 21 item 5: ``table --profile nope`` was a KeyError (exit 70)."""
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and "unknown" in err and "'nope'" in err and "gen3" in err
    assert "internal error" not in err and err.count("\n") == 1 and out == ""


@pytest.mark.parametrize("value", [99999999999999999999, 4294967296, -5, 1e308])
@pytest.mark.parametrize("command", [["show", "BT22"], ["table", "BT22", "--hex", "0001"]])
def test_huge_or_negative_dimension(capsys, tmp_path, value, command):
    """issue 21 item 5: ``show --dims`` with a huge dimension raised BindError (exit 70);
    ``table`` with one ran without end."""
    dims = tmp_path / "dims.json"
    dims.write_text(json.dumps({"BT21.nbr_summations": value}))
    rc, _, err = _run(capsys, *command, "--dims", str(dims))
    assert rc == 2 and "out of range" in err and "internal error" not in err
    assert len(err) < 200


def test_sane_dimension_still_used(capsys, tmp_path):
    """issue 21 item 5: a dimension in range is still honoured."""
    dims = tmp_path / "dims.json"
    dims.write_text(json.dumps({"BT21.nbr_summations": 2}))
    rc, out, _ = _run(capsys, "table", "BT22", "--hex", "0001", "--dims", str(dims))
    assert rc == 0 and "BT22" in out


@pytest.mark.parametrize("where", ["tables/bt01.osgp", "ERRATA.md"])
def test_spec_check_non_utf8_file(capsys, tmp_path, where):
    """issue 21 item 5: ``spec check`` on a non-UTF-8 spec file was a UnicodeDecodeError."""
    root = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", root)
    target = root / where
    lines = target.read_bytes().count(b"\n")
    target.write_bytes(target.read_bytes() + b"caf\xe9\n")
    rc, out, err = _run(capsys, "spec", "check", "--root", str(root))
    assert rc == 1 and "internal error" not in err
    assert f"{where}:{lines + 1}:4: not UTF-8 text (byte 0xe9)" in out + err
