"""issue 21 fuzz (make fuzz, session 5): a .sr whose metadata member is marked encrypted or
needs an unsupported ZIP version is refused with a clear message, not an internal error."""

from pathlib import Path

import pytest

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures import write_sigrok_sr
from osgpdissect.cli import main


@pytest.mark.parametrize("patch", [(6, b"\x01\x00"), (4, b"\x54\x00")])
def test_odd_zip_member_is_a_clear_error(tmp_path: Path, capsys, patch) -> None:
    path = tmp_path / "in.sr"
    write_sigrok_sr([ByteRun(Direction.C2S, b"\x00\x01", 0.01)], str(path))
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x03\x04", 1)  # the metadata member's local header
    offset, value = patch
    data[at + offset:at + offset + 2] = value
    for start in range(len(data)):
        if data[start:start + 4] == b"PK\x01\x02" and data[start + 46:start + 54] == b"metadata":
            data[start + offset + 2:start + offset + 4] = value  # central directory copy
    path.write_bytes(bytes(data))
    status = main(["decode", str(path), "-f", "sigrok", "-o", "channels=TX:tx,RX:rx"])
    err = capsys.readouterr().err
    assert status == 2
    assert "internal error" not in err and "cannot read sigrok session" in err
