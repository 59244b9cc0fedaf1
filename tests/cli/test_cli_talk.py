"""``read``, ``simulate`` and ``twin`` (issue 17): the CLI against the simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from osgpdissect.captures import open_capture
from osgpdissect.cli import main
from osgpdissect.security import Security
from osgpdissect.security.keys import KeyRing
from osgpdissect.sim.image import MeterImage
from osgpdissect.sim.mep_server import MEPServer
from osgpdissect.sim.serve import Simulator
from osgpdissect.sim.twin import windows_read
from osgpdissect.talk.mep_socket import MEPSocket
from tests.cli.cli_helpers import EXAMPLES, GUIDE_MAK, ROOT, json_lines

CAPTURE = EXAMPLES / "session-logic2.csv"


def _keys(tmp_path):
    path = tmp_path / "keys.toml"
    path.write_text(f'mak = "{GUIDE_MAK}"\n')
    path.chmod(0o600)
    return path


def _twin(tmp_path, capsys):
    image = tmp_path / "meter.toml"
    assert main(["twin", str(CAPTURE), "--keys", str(_keys(tmp_path)), "-o", str(image)]) == 0
    assert "8 tables" in capsys.readouterr().out
    return image


def test_twin_of_the_bundled_capture_reads_back_its_bytes(tmp_path, capsys, spec):
    """Issue 17: twin CAPTURE, served by the simulator, read back: the capture's table bytes."""
    image_path = _twin(tmp_path, capsys)
    assert "[keys]\n" not in image_path.read_text()  # keys are never written into an image
    assert GUIDE_MAK not in image_path.read_text()
    keys = KeyRing(mak=GUIDE_MAK)
    windows, _, _ = windows_read(open_capture([str(CAPTURE)]), Security(keys))
    image = MeterImage.load(image_path, spec)
    image.keys = keys
    latest = {(t, o, len(d)): d for t, o, d, _ in windows}  # the last read of each window
    with Simulator(MEPServer(image)) as sim, MEPSocket(sim.open_pty(), keys, timeout=30.0) as s:
        for (table, offset, count), data in latest.items():
            assert s.read(table, offset, count).data == data, (table, offset)


def test_simulate_and_read_from_the_command_line(tmp_path, capsys):
    """Issue 17: `simulate` prints its pty, `read` gets ET11 and ET13 from it and writes the
    exchange to a pcap; `decode` of that pcap gives the values `read` printed; Ctrl-C ends
    `simulate` with its statistics."""
    image_path, keys = _twin(tmp_path, capsys), _keys(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "osgpdissect", "simulate", "--image", str(image_path), "--keys",
         str(keys)], stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving MEP on /dev/pts/"), line
        pcap = tmp_path / "read.pcap"
        rc = main(["read", "ET11", "ET13", "--port", line.split()[-1], "--keys", str(keys),
                   "-O", "json", "pcap", str(pcap)])
        read_out = json_lines(capsys.readouterr().out)
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate()
    assert rc == 0 and proc.returncode == 0
    assert "requests 3," in rest  # ET11 after a 0x0C, then ET13
    assert [r["table"] for r in read_out] == ["ET11", "ET13"]
    assert main(["decode", str(pcap), "--keys", str(keys), "-O", "json"]) == 0
    decoded = [r["decoded"] for r in json_lines(capsys.readouterr().out) if r.get("decoded")]
    assert [json.dumps(d["fields"]) for d in decoded] == [
        json.dumps(r["fields"]) for r in read_out]


def test_read_without_a_key_is_a_usage_error(tmp_path, capsys, monkeypatch):
    """Issue 17: no key → a clear message, exit status 2, no traceback."""
    for var in ("OSGP_MAK", "OSGP_MBK", "OSGP_RC4_KEY"):
        monkeypatch.delenv(var, raising=False)
    assert main(["read", "ET11", "--port", "socket://127.0.0.1:9"]) == 2
    assert "no key" in capsys.readouterr().err


def test_read_optical_writes_a_pcap_that_decode_reads_back(tmp_path, capsys, monkeypatch, spec):
    """Issue 17: `read --optical` (password from OSGP_PASSWORD) prints ET11 and ET13 and saves
    the session; `decode` of the pcap gives the same tables."""
    from osgpdissect.sim.optical_server import OpticalServer
    from tests.talk.conftest import IMAGE

    image = MeterImage.from_mapping({**IMAGE, "optical": {"password": "pw-123"}}, spec)
    monkeypatch.setenv("OSGP_PASSWORD", "pw-123")
    pcap = tmp_path / "optical.pcap"
    with Simulator(OpticalServer(image)) as sim:
        rc = main(["read", "ET11", "ET13", "--optical", "--port", sim.open_pty(), "-O", "json",
                   "pcap", str(pcap)])
    read_out = json_lines(capsys.readouterr().out)
    assert rc == 0 and [r["size"] for r in read_out] == [39, 132]
    assert "pw-123" not in json.dumps(read_out)
    assert main(["decode", str(pcap), "-O", "json", "--mask-passwords"]) == 0
    decoded = [r["decoded"] for r in json_lines(capsys.readouterr().out) if r.get("decoded")]
    assert [d["fields"] for d in decoded] == [r["fields"] for r in read_out]
