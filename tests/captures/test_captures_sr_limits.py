"""issue 21 item 5: ``.sr`` files that ended as internal errors: sample rates too low to
decode (ZeroDivisionError), infinite or absurd ones, and the line merge of the project's own
writer's files when both lines carry a byte at the same sample and one has a line error."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from osgpdissect.bytestream import ByteRun, Direction, LineError
from osgpdissect.captures import CaptureError, open_capture
from osgpdissect.captures.sigrok_sr import write_sigrok_sr
from osgpdissect.cli import main


def _session(path: Path) -> Path:
    runs = [ByteRun(Direction.C2S, b"\x41\x42" * 5, 1.0),
            ByteRun(Direction.S2C, b"\x41\x42", 1.5)]
    write_sigrok_sr(runs, str(path))
    return path


def _with_rate(src: Path, rate: str, dst: Path) -> Path:
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w") as zo:
        for name in zi.namelist():
            data = zi.read(name)
            if name == "metadata":
                data = re.sub(rb"samplerate=[^\n]*", b"samplerate=" + rate.encode(), data)
            zo.writestr(name, data)
    return dst


@pytest.mark.parametrize("rate", ["1 Hz", "0.5", "2", "3 Hz"])
def test_samplerate_too_low_is_a_clear_error(tmp_path, capsys, rate):
    """issue 21 item 5: sample rates below ~2 Hz raised ZeroDivisionError (exit 70)."""
    path = _with_rate(_session(tmp_path / "s.sr"), rate, tmp_path / "low.sr")
    with pytest.raises(CaptureError, match="too low to decode a UART"):
        list(open_capture([str(path)]))
    assert main(["decode", str(path)]) == 2
    err = capsys.readouterr().err
    assert "too low" in err and "internal error" not in err


@pytest.mark.parametrize("rate", ["inf", "nan", "1e300", "1e400", "-5", "0", "20 GHz"])
def test_infinite_or_absurd_samplerate_rejected(tmp_path, capsys, rate):
    """issue 21 item 5: an infinite rate ended as "cannot read: OverflowError"; 1e300 Hz was
    accepted with every time 0."""
    path = _with_rate(_session(tmp_path / "s.sr"), rate, tmp_path / "bad.sr")
    with pytest.raises(CaptureError, match="bad samplerate"):
        list(open_capture([str(path)]))
    assert main(["decode", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad samplerate" in err and "OverflowError" not in err


def test_plausible_samplerate_still_reads(tmp_path):
    """issue 21 item 5: the limits leave a real capture alone."""
    runs = list(open_capture([str(_session(tmp_path / "s.sr"))]))
    assert b"".join(r.data for r in runs if r.direction is Direction.C2S) == b"\x41\x42" * 5


def test_same_sample_bytes_one_with_line_error_merge(tmp_path):
    """issue 21 item 5: both lines with a byte at the same sample, only one with a line
    error: the merge compared the error kind with None (TypeError)."""
    runs = [ByteRun(Direction.C2S, b"\x41\x42", 1.0, errors=(LineError(0, "framing"),)),
            ByteRun(Direction.S2C, b"\x41\x42", 1.0)]
    path = tmp_path / "m.sr"
    write_sigrok_sr(runs, str(path))
    got = list(open_capture([str(path)]))
    by_dir = {r.direction: r for r in got}
    assert by_dir[Direction.C2S].errors and by_dir[Direction.C2S].errors[0].kind == "framing"
    assert by_dir[Direction.S2C].data == b"\x41\x42"


def test_unnamed_channels_at_a_samplerate_too_low_for_any_baud(tmp_path, capsys):
    """Review (session 6): with channels chosen by content (D0/D1), a samplerate so low that
    the measured baud rounds to 0 divided by zero (an internal error)."""
    import zipfile

    from osgpdissect.bytestream import ByteRun, Direction
    from osgpdissect.captures import write_sigrok_sr
    from osgpdissect.cli import main

    made = tmp_path / "made.sr"
    runs = [ByteRun(Direction.C2S, bytes(range(40)), 0.01), ByteRun(Direction.S2C, b"\x55" * 40, 0.2)]
    write_sigrok_sr(runs, str(made), names=("D0", "D1"))
    slow = tmp_path / "slow.sr"
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(slow, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "metadata":
                text = data.decode()
                rate = next(ln for ln in text.splitlines() if ln.startswith("samplerate="))
                data = text.replace(rate, "samplerate=1 Hz").encode()
            dst.writestr(info.filename, data)
    status = main(["decode", str(slow), "-f", "sigrok"])
    err = capsys.readouterr().err
    assert status == 2 and "internal error" not in err
    assert "no channel carries UART bytes" in err
