"""Hostile files meet explicit reader limits under a memory cap (issue 21 item 4): each is
refused with a clear message and exit 2, in a child process limited with ``setrlimit``."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CAP = 400 << 20  # address space of the child: a reader that loads the file whole fails
_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from osgpdissect.cli import main
sys.exit(main(["decode", *sys.argv[1:]]))
"""


def _decode_capped(*argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", _CHILD.format(cap=CAP), *argv],
                          capture_output=True, text=True, env=env, check=False)


def _write_repeated(path: Path, piece: bytes, size: int) -> None:
    block = piece * (1 << 20 // len(piece))
    with open(path, "wb") as f:
        for _ in range(size // len(block)):
            f.write(block)


@pytest.mark.parametrize("name,piece,fmt", [
    ("one-line.hex", b"00", "hex"),
    ("one-line.csv", b"name,type,start_time,duration,data" + b"x" * 30, "saleae2"),
    ("one-line-logic1.csv", b"Time [s],Value" + b"9" * 30, "saleae1"),
    ("one-line.txt", b"uart-1: 41 ", "sigrok-ann"),
])
def test_line_without_breaks_is_refused(tmp_path, name, piece, fmt):
    """issue 21 item 4: a 64 MiB text file with no line break is refused at the line limit,
    not read whole (the hex reader took ~15x the line in memory)."""
    path = tmp_path / name
    _write_repeated(path, piece, 64 << 20)
    proc = _decode_capped(f"{path}:tx", "-f", fmt)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "a line longer than 1048576 characters" in proc.stderr
    assert "MemoryError" not in proc.stderr and "Traceback" not in proc.stderr


def test_sr_metadata_bomb_is_refused(tmp_path):
    """issue 21 item 4: a .sr whose metadata member inflates to 512 MiB is refused unread."""
    path = tmp_path / "bomb.sr"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("version", "2")
        with zf.open("metadata", "w", force_zip64=True) as member:
            head = b"[device 1]\ncapturefile=logic-1\nsamplerate=1 MHz\nprobe1=TX\nunitsize=1\n#"
            member.write(head)
            block = b" " * (1 << 20)
            for _ in range(512):
                member.write(block)
        zf.writestr("logic-1-1", b"\x01" * 100)
    assert path.stat().st_size < 4 << 20
    proc = _decode_capped(str(path))
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "member 'metadata' is larger than 1024 KiB" in proc.stderr


def test_sr_sample_limit(tmp_path):
    """issue 21 item 4: samples past max_samples end with a message naming the option."""
    path = tmp_path / "long.sr"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("version", "2")
        zf.writestr("metadata", "[device 1]\ncapturefile=logic-1\nsamplerate=1 MHz\n"
                                "probe1=TX\nprobe2=RX\nunitsize=1\n")
        zf.writestr("logic-1-1", b"\x03" * (4 << 20))  # idle lines
    proc = _decode_capped(str(path), "-o", "max_samples=1000000", "-o", "baud=9600")
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "more than 1000000 samples per channel" in proc.stderr
    assert "-o max_samples=N" in proc.stderr


def test_pcapng_block_length_checked_before_reading(tmp_path):
    """issue 21 item 4: a pcapng block claiming ~4 GiB is refused before any read of it."""
    import struct

    shb = struct.pack("<II", 0x0A0D0D0A, 28) + b"\x4d\x3c\x2b\x1a" + struct.pack(
        "<HHq", 1, 0, -1) + struct.pack("<I", 28)
    bad = struct.pack("<II", 6, 0xFFFFFFF0) + bytes(64)
    path = tmp_path / "huge-block.pcapng"
    path.write_bytes(shb + bad)
    proc = _decode_capped(str(path))
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "bad pcapng block length 4294967280" in proc.stderr


_CHILD_ANY = _CHILD.replace('main(["decode", *sys.argv[1:]])', "main(sys.argv[1:])")


@pytest.mark.parametrize("argv,message", [
    (["show", "BT23", "--dims", "/dev/zero"], "/dev/zero: larger than 1048576 bytes: not a "
                                              "dimensions file"),
    (["table", "BT21", "--hex", "00", "--dims", "/dev/zero"], "not a dimensions file"),
    (["decode", str(ROOT / "examples" / "session.pcap"), "--keys", "/dev/zero"],
     "key file: larger than 1048576 bytes: not a key file"),
])
def test_dev_zero_as_keys_or_dims_is_refused(argv, message):
    """issue 21 item 4: ``--dims /dev/zero`` ended in MemoryError (exit 70) under a memory cap;
    ``--keys /dev/zero`` is refused at its size limit."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", _CHILD_ANY.format(cap=CAP), *argv],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert message in proc.stderr
    assert "MemoryError" not in proc.stderr and "internal error" not in proc.stderr


def test_deeply_nested_dims_json_is_a_clear_error(tmp_path):
    """Found by fuzzing: ``--dims`` JSON nested 200 000 deep raised RecursionError (exit 70)."""
    dims = tmp_path / "deep.json"
    dims.write_text("[" * 200_000)
    proc = subprocess.run([sys.executable, "-c", _CHILD_ANY.format(cap=CAP), "show", "BT23",
                           "--dims", str(dims)], capture_output=True, text=True, check=False,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "cannot read dimensions file (nested too deeply)" in proc.stderr
