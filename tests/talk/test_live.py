"""Live sniffing from two serial taps (ptys here): `LiveCapture` and `decode --live`
(issue 17)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import tty

from osgpdissect.bytestream import Direction
from osgpdissect.c1218.tables import TableContext
from osgpdissect.cli import main
from osgpdissect.cli.pipeline import decode_records
from osgpdissect.security import Security
from osgpdissect.security.keys import KeyRing
from osgpdissect.sim.image import MeterImage
from osgpdissect.sim.mep_server import MEPServer
from osgpdissect.sim.serve import Simulator
from osgpdissect.talk.live import LiveCapture
from osgpdissect.talk.mep_socket import MEPSocket
from tests.talk.conftest import IMAGE, MAK, SERVER_SEQ

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _Taps:
    """Two ptys standing for the two USB-UART taps: the test writes what the line carries into
    their masters; the sniffer opens their slaves."""

    def __init__(self) -> None:
        self.fds = {}
        self.paths = {}
        for d in Direction:
            master, slave = os.openpty()
            tty.setraw(slave)
            self.fds[d] = (master, slave)
            self.paths[d] = os.ttyname(slave)
        self.specs = [f"{self.paths[Direction.C2S]}:tx", f"{self.paths[Direction.S2C]}:rx"]

    def write(self, direction: Direction, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fds[direction][0], view) :]

    def close(self) -> None:
        for master, slave in self.fds.values():
            os.close(master)
            os.close(slave)


class _Counter:
    """Bytes the sniffer has read per direction; ``wait`` blocks until a count is reached."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.seen = {d: 0 for d in Direction}

    def __call__(self, direction: Direction, n: int) -> None:
        with self.cond:
            self.seen[direction] += n
            self.cond.notify_all()

    def wait(self, direction: Direction, total: int) -> None:
        with self.cond:
            self.cond.wait_for(lambda: self.seen[direction] >= total)


def test_live_capture_decodes_what_the_client_saw(spec):
    """Issue 17: client <-> simulator, both lines tapped; the live decode gives the values the
    client read (ET11, ET13 laid out by it, a BT23 window, an RC4 exchange)."""
    taps, counter = _Taps(), _Counter()
    live = LiveCapture(taps.specs, on_read=counter)
    sent = {d: 0 for d in Direction}

    def tap(direction: str, data: bytes) -> None:  # the line, copied to the taps in order
        d = Direction.C2S if direction == "rx" else Direction.S2C
        taps.write(d, data)
        sent[d] += len(data)
        counter.wait(d, sent[d])  # the sniffer has it before the line goes on

    keys = KeyRing(mak=MAK, rc4_key=IMAGE["keys"]["rc4_key"])
    client_saw = []

    def conversation() -> None:
        sim = Simulator(MEPServer(MeterImage.from_mapping(IMAGE, spec), seq=SERVER_SEQ), tap)
        try:
            with MEPSocket(sim.open_pty(), keys, seq=SERVER_SEQ + 1, timeout=30.0) as s:
                client_saw.extend(s.read(t).to_json() for t in ("ET11", "ET13"))
                client_saw.append(s.read("BT23", 40, 30).to_json())
                context = s.context  # the same meter: what was learned carries over
            with MEPSocket(sim.path, keys, seq=SERVER_SEQ + 4, encrypt=True, timeout=30.0,
                           context=context) as s:
                client_saw.append(s.read("BT23", 0, 8).to_json())
        finally:
            sim.stop()
            live.stop()

    worker = threading.Thread(target=conversation)
    worker.start()
    records = [d.record for d in decode_records(live, "mep", security=Security(keys),
                                                tables=TableContext(spec))]
    worker.join()
    taps.close()
    decoded = [r.table.to_json() for r in records if r.table is not None]
    assert len(client_saw) == 4
    assert json.dumps(decoded) == json.dumps(client_saw)
    assert all(r.kind == "exchange" for r in records)


def test_decode_live_cli_ends_on_ctrl_c_with_statistics_and_a_pcap(tmp_path, capsys):
    """Issue 17: `decode --live A:tx B:rx --stats -O pcap FILE`: Ctrl-C ends it cleanly with
    the statistics; the pcap holds the exchange, which `decode` reads back."""
    taps = _Taps()
    pcap = tmp_path / "live.pcap"
    keys = tmp_path / "keys.toml"
    keys.write_text(f'mak = "{MAK}"\n')
    keys.chmod(0o600)
    proc = subprocess.Popen(
        [sys.executable, "-m", "osgpdissect", "decode", "--live", *taps.specs, "--keys",
         str(keys), "--stats", "-O", "pcap", str(pcap)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT})
    try:
        assert "listening on" in proc.stderr.readline()
        # the guide's RC4 example 2: a write and its answer
        taps.write(Direction.C2S, bytes.fromhex("00154F083200001E00010177636e2f86e50e2667d1e63c"))
        taps.write(Direction.S2C, bytes.fromhex("00090086e50e2667d1e63c"))
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate()
        taps.close()
    assert proc.returncode == 0, err
    assert "exchange" in out.lower()
    assert main(["decode", str(pcap), "--keys", str(keys), "-O", "json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["record"], r["request"]["table"]) for r in lines] == [("exchange", "ET50")]
