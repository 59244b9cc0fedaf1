"""No key material in any CLI output (issue 6): text, summary, JSON and error messages.

The MAK is the guide examples' key (sixteen 0x01 bytes, so the guide's frames verify); the MBK
is a made-up 20-character ASCII key.  Frames: the guide's RC4 examples (tests/data).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAK_HEX = "01" * 16
MBK_ASCII = "TestOnlyMbkNotReal!!"
SECRETS = [
    MAK_HEX, MAK_HEX.upper(), " ".join(["01"] * 16),
    MBK_ASCII, MBK_ASCII[:16], MBK_ASCII[:16].encode().hex(), MBK_ASCII[:16].encode().hex().upper(),
    " ".join(f"{b:02x}" for b in MBK_ASCII[:16].encode()),
    " ".join(f"{b:02X}" for b in MBK_ASCII[:16].encode()),
]


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    frames = json.loads((ROOT / "tests/data/guide-frames.json").read_text())
    lines = [
        ("C->S " if v["direction"] == "request" else "S->C ") + v["hex"]
        for v in frames
        if v["kind"] == "frame" and v.get("transport") == "RC4" and not v["id"].startswith(("appA", "appB", "txn_read"))
    ]
    path = tmp_path_factory.mktemp("cap") / "guide.hex"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def keyfile(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "keys.toml"
    path.write_text(f'mak = "{MAK_HEX}"\nmbk = "{MBK_ASCII}"\n')
    return path


def _run(*args: str) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "osgpdissect", *args], capture_output=True, text=True, cwd=ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def _assert_clean(out: str) -> None:
    for secret in SECRETS:
        assert secret not in out, "key material in CLI output"


@pytest.mark.parametrize("mode", [[], ["--summary"], ["--output", "json"]], ids=["tree", "summary", "json"])
def test_decode_outputs_carry_no_key(capture, keyfile, mode):
    rc, out = _run("decode", "--format", "hex", "--keys", str(keyfile), str(capture), *mode)
    assert rc == 0
    if "--summary" not in mode:
        assert "verified with MAK" in out  # the keys were really used
    _assert_clean(out)


def test_bad_key_file_error_names_no_key(tmp_path, capture):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'mak = "{MBK_ASCII[:7]}"\nmbk = "{MBK_ASCII}"\n')
    rc, out = _run("decode", "--format", "hex", "--keys", str(bad), str(capture))
    assert rc == 2
    assert "Traceback" not in out
    _assert_clean(out)
    assert MBK_ASCII[:7] not in out


def test_environment_keys_not_echoed(capture):
    import os

    env = dict(os.environ, OSGP_MAK=MAK_HEX, OSGP_MBK=MBK_ASCII)
    proc = subprocess.run([sys.executable, "-m", "osgpdissect", "decode", "--format", "hex", str(capture),
                           "--output", "json"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0
    assert "verified with MAK" in proc.stdout  # OSGP_MAK was picked up
    _assert_clean(proc.stdout + proc.stderr)
