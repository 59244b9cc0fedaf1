"""The CLI as a process: --version stays light, memory stays flat, progress, demo, protocols."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pytest
from cli_helpers import ROOT, json_lines, run_cli

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures import write_pcap

OPTICAL = ROOT / "tests" / "data" / "optical"


def test_version_does_not_import_scapy_all():
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "osgpdissect", "--version"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.startswith("osgpdissect ")
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "scapy.all" not in modules
    assert not any(m.startswith("scapy") for m in modules)


def _frames(n: int):
    """``n`` frames of a MEP session (reads of ET11 and BT21), generated lazily."""
    digest = bytes(8)
    reads = [(0x080B, bytes.fromhex("054224050605020103F9")),
             (0x0015, bytes.fromhex("3F0E0C0F08000104081A"))]
    t = 0.0
    for i in range(n // 2):
        table, data = reads[i % 2]
        body = bytes([0x3F]) + table.to_bytes(2, "big") + bytes(3) + len(data).to_bytes(2, "big")
        body += (i + 1).to_bytes(4, "big") + digest
        yield ByteRun(Direction.C2S, len(body).to_bytes(2, "big") + body, t)
        resp = b"\x00" + len(data).to_bytes(2, "big") + data + digest
        yield ByteRun(Direction.S2C, len(resp).to_bytes(2, "big") + resp, t + 0.05)
        t += 0.2


def _peak_rss_kb(path: str) -> int:
    code = ("import resource, sys; from osgpdissect.cli import main; "
            "rc = main(['decode', sys.argv[1], '-O', 'json', '--protocol', 'mep']); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, path], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stderr.strip().splitlines()[-1])


def test_memory_is_flat(tmp_path):
    """Peak RSS for 4x the frames grows by less than a few MB (records are never collected)."""
    small, large = tmp_path / "small.pcap", tmp_path / "large.pcap"
    write_pcap(_frames(4_000), str(small))
    write_pcap(_frames(16_000), str(large))
    a, b = _peak_rss_kb(str(small)), _peak_rss_kb(str(large))
    assert b - a < 4_000, (a, b)


def test_mixed_capture_split_automatically(capsys):
    rc, out, _ = run_cli(capsys, str(OPTICAL / "mixed.hex"), "-O", "json", "--stats")
    recs = json_lines(out)
    stats = recs.pop()
    assert rc == 0 and stats["protocols"].keys() == {"mep", "optical"}
    assert [r["index"] for r in recs] == list(range(1, len(recs) + 1))
    times = [r["time"] for r in recs]
    assert times == sorted(times)
    mep = [r for r in recs if r["protocol"] == "mep"]
    assert any(r["request"] and r["request"]["table"] == "BT21" for r in mep)
    assert any(r["record"] == "alert" for r in mep)


def test_protocol_forced(capsys):
    rc, out, _ = run_cli(capsys, str(OPTICAL / "session.hex"), "-O", "json", "-p", "optical")
    recs = json_lines(out)
    assert rc == 0 and recs and {r["protocol"] for r in recs} == {"optical"}
    rc, out, err = run_cli(capsys, str(OPTICAL / "session.hex"), "-O", "json", "-p", "mep")
    assert all(r["protocol"] == "mep" for r in json_lines(out))
    kinds = {r["record"] for r in json_lines(out)}
    assert kinds <= {"malformed", "orphan", "unanswered", "alert"}
    # issue 16 item 3: no frame at all is a clear message and a non-zero exit
    assert rc == (1 if kinds == {"malformed"} else 0)
    assert ("no frame found" in err) == (rc == 1)


def test_optical_text_output(capsys):
    rc, out, _ = run_cli(capsys, str(OPTICAL / "session.hex"), "--summary")
    assert rc == 0 and "optical read BT23" in out


def test_progress_bar_after_a_second(monkeypatch, tmp_path):
    from osgpdissect.cli.progress import Progress

    path = tmp_path / "x.bin"
    path.write_bytes(b"\x00" * 1000)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    off = Progress([str(path)], enabled=False)
    for _ in range(2000):
        off.tick()
    assert off._bar is None
    on = Progress([str(path)], enabled=True)
    for _ in range(600):
        on.tick()
    assert on._bar is None  # not yet a second
    on.start = time.monotonic() - 2
    with open(path, "rb", buffering=0) as f:
        f.read(400)
        for _ in range(600):
            on.tick()
        assert on._bar is not None
        assert on.position() == 400
    on.close()


def test_progress_not_on_a_pipe(capsys):
    # stderr is not a terminal under pytest: nothing but the records
    rc, out, err = run_cli(capsys, str(ROOT / "examples" / "session.pcap"), "--summary")
    assert rc == 0 and err == ""


def test_demo_decodes_the_bundled_capture():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSGP_")}
    proc = subprocess.run([sys.executable, "-m", "osgpdissect", "demo", "--summary"],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln and not ln.startswith("#")]
    assert len(lines) == 14 and "Alert" in lines[5] and "EP17" in lines[-1]
    proc = subprocess.run([sys.executable, "-m", "osgpdissect", "demo"],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert "verified with MAK" in proc.stdout and "01010101" not in proc.stdout


@pytest.mark.parametrize("mode", [["--summary"], ["-O", "json"]])
def test_broken_pipe_is_quiet(mode):
    proc = subprocess.Popen([sys.executable, "-m", "osgpdissect", "decode",
                             str(ROOT / "examples" / "session-logic2.csv"), *mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate()
    assert proc.returncode == 0 and b"Traceback" not in err


def test_optical_json_output_masks_the_password_and_names_services(capsys):
    """Regression: ``decode -O json`` wrote optical records through the MEP template (services
    unnamed, no ``fields``/``link``, the logon password's bytes in the request hex)."""
    rc, out, _ = run_cli(capsys, str(OPTICAL / "session.hex"), "-O", "json", "-p", "optical")
    assert rc == 0
    assert b"s3cret-pw".hex() not in out
    recs = json_lines(out)
    assert all("link" in r for r in recs)
    services = [r["request"]["service"] for r in recs if r["record"] == "exchange"]
    assert "security" in services and "logon" in services
