"""One severity model for the ``!`` mark, ``-e`` and ``--stats`` (issue 16 item 6)."""

from __future__ import annotations

from dataclasses import replace

from cli_helpers import json_lines, run_cli

from osgpdissect.bytestream import Direction
from osgpdissect.captures import write_hex_text


def _damaged_session(session_runs):
    """The example session with one response digest byte flipped (a digest mismatch)."""
    runs = list(session_runs)
    k = next(i for i, r in enumerate(runs) if r.direction is Direction.S2C and len(r.data) > 60)
    data = bytearray(runs[k].data)
    data[-1] ^= 0x01
    runs[k] = replace(runs[k], data=bytes(data))
    return runs, k


def test_marks_and_errors_filter_agree(tmp_path, session_runs, capsys):
    """issue 16 item 6: a digest mismatch gets ``!`` and is what -e selects; the 0x0C resync
    and the request that follows it get ``~`` (notes) and are not selected."""
    runs, _ = _damaged_session(session_runs)
    path = tmp_path / "s.hex"
    write_hex_text(runs, str(path))
    rc, out, _ = run_cli(capsys, str(path), "-s")
    assert rc == 0
    lines = out.splitlines()
    bang = [ln for ln in lines if ln.endswith(" !")]
    tilde = [ln for ln in lines if ln.endswith(" ~")]
    assert len(bang) == 1 and len(tilde) == 2 and "BT00" in bang[0]
    assert "Invalid sequence number" in tilde[0]
    rc, out, _ = run_cli(capsys, str(path), "--errors", "-O", "json")
    selected = json_lines(out)
    assert len(selected) == 1
    assert "mismatch" in selected[0]["security"]["response_digest"]
    rc, out, _ = run_cli(capsys, str(path), "--stats", "-q", "-O", "json")
    stats = json_lines(out)[-1]
    assert stats["errors"] == {"response digest mismatch": 1}
    assert stats["notes"] == {"0x0C: sequence resync": 1, "sequence after 0x0C": 1}


def test_count_disagreement_is_an_error(tmp_path, capsys):
    """issue 16 item 6: "10 bytes returned for 4 requested" gets ``!`` and is selected by -e."""
    from osgpdissect.bytestream import ByteRun

    req = bytes.fromhex("0014" "3f0017000000" "0004" "00000101") + bytes(8)
    resp = bytes.fromhex("0015" "00000a") + bytes(10) + bytes(8)
    runs = [ByteRun(Direction.C2S, req, 1.0), ByteRun(Direction.S2C, resp, 1.1)]
    path = tmp_path / "c.hex"
    write_hex_text(runs, str(path))
    rc, out, _ = run_cli(capsys, str(path), "-s")
    assert rc == 0 and out.splitlines()[0].endswith(" !")
    rc, out, _ = run_cli(capsys, str(path), "--errors", "-O", "json")
    assert len(json_lines(out)) == 1
