"""issue 21 (session 6 audit): a .sr whose sample member (``logic-1-1``) is marked encrypted
or holds damaged deflate data is refused with a clear message naming the member, whether
channels are named or chosen by content.  (An unsupported ZIP version is refused when the
archive is opened: test_captures_sr_zip_kinds.py.)"""

import zipfile
from pathlib import Path

import pytest

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures import write_sigrok_sr
from osgpdissect.cli import main

_MEMBER = b"logic-1-1"


def _patch_member(data: bytearray, offset: int, value: bytes) -> None:
    """Set the 2 bytes at ``offset`` of the sample member's local header (and the matching
    field of its central-directory entry, which sits 2 bytes further on)."""
    for start in range(len(data)):
        if data[start:start + 4] == b"PK\x03\x04" and data[start + 30:start + 39] == _MEMBER:
            data[start + offset:start + offset + 2] = value
        if data[start:start + 4] == b"PK\x01\x02" and data[start + 46:start + 55] == _MEMBER:
            data[start + offset + 2:start + offset + 4] = value


def _session(tmp_path: Path, names: tuple[str, str] = ("TX", "RX")) -> Path:
    path = tmp_path / "in.sr"
    runs = [ByteRun(Direction.C2S, b"\x00\x01\x02\x03" * 8, 0.01),
            ByteRun(Direction.S2C, b"\x00\x55\xaa" * 8, 0.1)]
    write_sigrok_sr(runs, str(path), names=names)
    return path


@pytest.mark.parametrize("names", [("TX", "RX"), ("D0", "D1")])  # D0/D1: chosen by content
def test_encrypted_sample_member_is_a_clear_error(tmp_path: Path, capsys, names) -> None:
    path = _session(tmp_path, names)
    data = bytearray(path.read_bytes())
    _patch_member(data, 6, b"\x01\x00")  # general-purpose flag bit 0: encrypted
    path.write_bytes(bytes(data))
    status = main(["decode", str(path), "-f", "sigrok"])
    err = capsys.readouterr().err
    assert status == 2
    assert "internal error" not in err
    assert "cannot read sigrok member logic-1-1" in err and str(path) in err


def test_damaged_deflate_data_is_a_clear_error(tmp_path: Path, capsys) -> None:
    path = _session(tmp_path)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("logic-1-1")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    data = bytearray(path.read_bytes())
    body = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[body:body + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    status = main(["decode", str(path), "-f", "sigrok", "-o", "channels=TX:tx,RX:rx"])
    err = capsys.readouterr().err
    assert status == 2
    assert "internal error" not in err and "logic-1-1" in err
