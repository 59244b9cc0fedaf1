"""issue 21 item 2: ``-O pcap`` never destroys a file: not an input, not an existing file
without ``--force``, and no partial file after a failure."""

from __future__ import annotations

import os

import pytest
from cli_helpers import EXAMPLES, run_cli

from osgpdissect.cli import outputs

CSV = str(EXAMPLES / "session-logic2.csv")


def _copy(src, dst):
    dst.write_bytes(src.read_bytes())
    return dst


@pytest.mark.parametrize("name", ["session.pcap", "session-logic2.csv"])
def test_pcap_onto_its_input_refused(capsys, tmp_path, name):
    """issue 21 item 2: ``decode X -O pcap X`` truncated X (pcap) or destroyed it (CSV)."""
    path = _copy(EXAMPLES / name, tmp_path / name)
    before = path.read_bytes()
    for extra in ([], ["--force"]):
        rc, out, err = run_cli(capsys, str(path), "-O", "pcap", str(path), *extra)
        assert rc == 2 and "capture input" in err and err.count("\n") == 1
        assert path.read_bytes() == before


def test_pcap_onto_a_direction_input_refused(capsys, tmp_path):
    """issue 21 item 2: an input given as ``FILE:tx`` or ``--rx FILE`` is an input too."""
    path = _copy(EXAMPLES / "session-logic2.csv", tmp_path / "s.csv")
    before = path.read_bytes()
    rc, _, err = run_cli(capsys, f"{path}:tx", "-O", "pcap", str(path), "--force")
    assert rc == 2 and "capture input" in err
    rc, _, err = run_cli(capsys, "--rx", str(path), "-O", "pcap", str(path), "--force")
    assert rc == 2 and "capture input" in err
    assert path.read_bytes() == before


def test_existing_file_needs_force(capsys, tmp_path):
    """issue 21 item 2: ``decode -O pcap a.pcap b.pcap`` silently replaced a.pcap."""
    target = tmp_path / "a.pcap"
    target.write_bytes(b"precious")
    rc, _, err = run_cli(capsys, "-O", "pcap", str(target), CSV)
    assert rc == 2 and "--force" in err and target.read_bytes() == b"precious"
    rc, _, err = run_cli(capsys, "-O", "pcap", str(target), CSV, "--force")
    assert rc == 0 and err == "" and target.read_bytes()[:4] == bytes.fromhex("d4c3b2a1")
    assert sorted(os.listdir(tmp_path)) == ["a.pcap"]  # no temporary file left


def test_failed_write_leaves_no_partial_file(capsys, tmp_path, monkeypatch):
    """issue 21 item 2: a write that fails half-way leaves neither the target nor a
    temporary file behind, and exits 2 with one line."""
    import osgpdissect.captures as captures

    real = captures.write_pcap

    def failing(runs, path, *a, **kw):
        def some():
            for i, run in enumerate(runs):
                if i == 5:
                    raise OSError(28, "No space left on device")
                yield run
        real(some(), path, *a, **kw)

    monkeypatch.setattr(captures, "write_pcap", failing)
    target = tmp_path / "out.pcap"
    rc, _, err = run_cli(capsys, "-O", "pcap", str(target), CSV)
    assert rc == 2 and "No space left" in err and err.count("\n") == 1
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("stats", [[], ["--stats"]], ids=["convert", "decode"])
def test_failed_read_leaves_no_partial_file(capsys, tmp_path, stats):
    """issue 21 item 2: a capture that fails to read after thousands of rows (in a plain
    conversion, or while decoding with ``--stats``) leaves no pcap behind."""
    bad = tmp_path / "bad.csv"
    rows = "".join(f"{i / 1000:.3f},0x41\n" for i in range(1, 3001))
    bad.write_text("Time [s],Value\n" + rows + "not,a,row\n")
    target = tmp_path / "out.pcap"
    rc, _, err = run_cli(capsys, "-O", "pcap", str(target), f"{bad}:rx", *stats)
    assert rc == 2 and "bad time" in err and err.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == ["bad.csv"]


def test_pcap_tee_renames_only_when_complete(tmp_path):
    """issue 21 item 2: the target appears only at ``close``."""
    target = tmp_path / "t.pcap"
    tee = outputs.PcapTee(str(target))
    assert not target.exists()
    tee.close()
    assert target.exists() and len(os.listdir(tmp_path)) == 1


def test_pcap_into_a_pipe_needs_no_force(capsys, tmp_path):
    """issue 21 item 2: a FIFO (or /dev/stdout) is written directly: nothing is destroyed,
    and no temporary file is renamed over it."""
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    rc, _, err = run_cli(capsys, "-O", "pcap", str(fifo), CSV)
    reader.join()
    assert rc == 0 and err == ""
    assert got[0][:4] == bytes.fromhex("d4c3b2a1") and len(got[0]) > 1000
    assert sorted(os.listdir(tmp_path)) == ["pipe"] and fifo.is_fifo()
