"""Capture files as users have them, through the CLI: pipes, empty input, no frame, untimed
per-direction dumps (issue 16 items 2 and 3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli_helpers import ROOT, json_lines, run_cli

from osgpdissect.bytestream import Direction
from osgpdissect.captures import write_hex_text, write_raw

PY = [sys.executable, "-m", "osgpdissect", "decode"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _hex_file(tmp_path: Path, session_runs) -> Path:
    path = tmp_path / "mep.hex"
    write_hex_text(session_runs, str(path))
    return path


def test_dash_reads_stdin_with_detection(tmp_path, session_runs, capsys):
    """issue 16 item 3: ``-`` is stdin; its format is detected from the piped bytes."""
    path = _hex_file(tmp_path, session_runs)
    rc, expected, _ = run_cli(capsys, str(path), "-O", "json")
    assert rc == 0
    for name in ("-", "/dev/stdin"):
        with open(path, "rb") as f:
            proc = subprocess.run([*PY, name, "-O", "json"], stdin=f, capture_output=True,
                                  env=_env(), check=False)
        assert proc.returncode == 0, proc.stderr
        got = json_lines(proc.stdout.decode())
        assert [r["record"] for r in got] == [r["record"] for r in json_lines(expected)]
        assert got[0]["request"]["source"].startswith(f"{name}:")  # not the temporary copy
        assert len(got) > 10


def test_pipe_reads_with_detection(tmp_path, session_runs):
    """issue 16 item 3: ``cat mep.hex | osgpdissect decode /dev/stdin`` is not empty."""
    path = _hex_file(tmp_path, session_runs)
    cat = subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE)
    proc = subprocess.run([*PY, "/dev/stdin", "-s"], stdin=cat.stdout, capture_output=True,
                          env=_env(), check=False)
    cat.wait()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().count("\n") > 10


def test_empty_input_says_no_bytes(tmp_path, capsys):
    """issue 16 item 3: an empty file is "no bytes", not "raw binary has no direction"."""
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    rc, out, err = run_cli(capsys, str(empty))
    assert rc == 2 and out == ""
    assert "no bytes" in err and "direction" not in err
    proc = subprocess.run([*PY, "-"], stdin=subprocess.DEVNULL, capture_output=True,
                          env=_env(), check=False)
    assert proc.returncode == 2 and b"no bytes" in proc.stderr


def test_capture_without_frames_exits_non_zero(tmp_path, capsys):
    """issue 16 item 3: a capture that yields no frame ends with a message and exit 1."""
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(0x60, 0x90)) * 3)
    rc, _, err = run_cli(capsys, f"{junk}:rx")
    assert rc == 1
    assert "no frame found" in err and "junk.bin" in err


def test_untimed_dumps_note_paired_by_order(tmp_path, session_runs, capsys):
    """issue 16 item 2: two raw dumps decode to the same exchanges as the timed session and
    the CLI says "no timestamps: paired by order"."""
    tx, rx = tmp_path / "tx.bin", tmp_path / "rx.bin"
    write_raw(session_runs, str(tx), Direction.C2S)
    write_raw(session_runs, str(rx), Direction.S2C)
    hexfile = _hex_file(tmp_path, session_runs)
    rc, timed, _ = run_cli(capsys, str(hexfile), "-O", "json")
    assert rc == 0
    rc, untimed, err = run_cli(capsys, f"{rx}:rx", f"{tx}:tx", "-O", "json")
    assert rc == 0
    assert "no timestamps: paired by order" in err

    def pairs(text: str) -> list[tuple]:
        return [(r["record"], r.get("request", {}) and r["request"].get("hex"),
                 r.get("response", {}) and r["response"].get("hex"))
                for r in json_lines(text)]

    assert pairs(untimed) == pairs(timed)
    assert all(r["record"] in ("exchange", "alert") for r in json_lines(untimed))


def test_wrong_format_hint_names_the_detected_one(tmp_path, session_runs, capsys):
    """issue 16 item 4: a wrong -f gets a hint that is a command (-f with the detected format)."""
    from osgpdissect.captures import write_pcap, write_saleae_logic2_csv

    pcap = tmp_path / "s.pcap"
    write_pcap(session_runs, str(pcap))
    rc, _, err = run_cli(capsys, str(pcap), "-f", "hex")
    assert "try -f pcap" in err
    csv = tmp_path / "s.csv"
    write_saleae_logic2_csv(session_runs, str(csv))
    rc, out, err = run_cli(capsys, str(csv), "-f", "raw")
    assert rc == 2 and "try -f saleae2" in err and out == ""


def test_one_direction_only_is_one_line(tmp_path, session_runs, capsys):
    """issue 16 item 4: one direction only ends with one line saying which is missing."""
    tx = tmp_path / "tx.bin"
    write_raw(session_runs, str(tx), Direction.C2S)
    rc, out, err = run_cli(capsys, f"{tx}:tx", "-s")
    assert rc == 0 and "unanswered" in out
    lines = [ln for ln in err.splitlines() if "line is missing" in ln]
    assert len(lines) == 1 and "meter's (S->C) line is missing" in lines[0]
    assert "FILE:rx" in lines[0]


def test_wrong_baud_hint_from_bit_timing(tmp_path, session_runs, capsys):
    """issue 16 item 4: a wrong forced baud rate on a .sr says which rate the bits measure."""
    from osgpdissect.captures import write_sigrok_sr

    sr = tmp_path / "s.sr"
    write_sigrok_sr(session_runs[:10], str(sr), baud=9600)
    rc, _, err = run_cli(capsys, str(sr), "-o", "baud=19200", "-s")
    assert "the bit timing measures 9600 baud, not the 19200 given: try -o baud=9600" in err
    assert "UART errors" in err
    rc, out, err = run_cli(capsys, str(sr), "-o", "baud=9600", "-s")
    assert rc == 0 and "measures" not in err and "UART errors" not in err


def test_time_display_modes(tmp_path, session_runs, capsys):
    """issue 16 item 5: wall-clock times print as ISO 8601; --time relative|delta like
    tshark's -t r / -t d."""
    from dataclasses import replace

    from osgpdissect.captures import write_saleae_logic2_csv

    epoch = 1_704_190_272.0  # 2024-01-02T10:11:12Z
    runs = [replace(r, time=r.time + epoch, byte_times=tuple(t + epoch for t in r.byte_times))
            for r in session_runs]
    path = tmp_path / "wall.csv"
    write_saleae_logic2_csv(runs, str(path))
    rc, out, _ = run_cli(capsys, str(path), "-s")
    assert rc == 0
    first = out.splitlines()[0].split()
    assert first[1] == "2024-01-02T10:11:12.500000Z"
    rc, out, _ = run_cli(capsys, str(path), "-s", "--time", "relative")
    times = [float(line.split()[1]) for line in out.splitlines()]
    assert times[0] == 0.0 and abs(times[-1] - 4.407) < 1e-3
    rc, out, _ = run_cli(capsys, str(path), "-s", "--time", "delta")
    deltas = [float(line.split()[1]) for line in out.splitlines()]
    assert deltas[0] == 0.0 and abs(sum(deltas) - times[-1]) < 1e-5
    rc, out, _ = run_cli(capsys, str(ROOT / "examples" / "session.pcap"), "-s")
    assert out.splitlines()[0].split()[1] == "0.500000"  # capture-relative: seconds


def test_json_times_without_float_noise(capsys):
    """issue 16 item 5: JSON times keep the capture's resolution (pcap: microseconds) and
    latencies carry no float noise (0.04104199999999991)."""
    import re

    rc, out, _ = run_cli(capsys, str(ROOT / "examples" / "session.pcap"), "-O", "json")
    assert rc == 0
    stamps = re.findall(r'"(time|end_time|latency)": (-?[0-9.e-]+)', out)
    assert len(stamps) > 50
    for key, text in stamps:
        decimals = len(text.split(".")[1]) if "." in text else 0
        assert decimals <= (6 if key == "time" else 9), (key, text)
    assert '"latency": 0.041042' in out
