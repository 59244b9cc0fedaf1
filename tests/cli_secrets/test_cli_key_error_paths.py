"""issue 21 item 10: error paths never quote key material: a key file that is not UTF-8, a key
typed after ``--keys`` (or an abbreviation: ``--key``, ``--ke=``), a key written as a TOML
name; and a warning when the key file can be read by others."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from osgpdissect.cli import main

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = str(ROOT / "examples" / "session.pcap")
KEY = "Qm7pZx2Lw9Rt4Yv8Nc3K"  # made up: 20 ASCII characters
KEY_HEX = "5EC0DE5EC0DE00112233445566778899"


def _leaks(text: str, key: str) -> list[str]:
    raw = key.encode()
    forms = {key, key[:16], raw.hex(), raw.hex().upper(), raw[:16].hex(), raw.hex(" "),
             base64.b64encode(raw).decode(), key.lower(), key.upper()}
    # any 6 consecutive characters of the key count as a leak
    forms |= {key[i:i + 6] for i in range(len(key) - 5)}
    return sorted(f for f in forms if f in text)


def _run(capsys, monkeypatch, *argv: str) -> tuple[int, str]:
    for var in ("OSGP_MAK", "OSGP_MBK", "OSGP_RC4_KEY"):
        monkeypatch.delenv(var, raising=False)
    rc = main(["decode", *argv])
    cap = capsys.readouterr()
    return rc, cap.out + cap.err


@pytest.mark.parametrize("flag", ["--keys", "--key", "--ke"])
@pytest.mark.parametrize("key", [KEY, KEY_HEX])
@pytest.mark.parametrize("joined", [False, True], ids=["space", "equals"])
def test_key_typed_after_keys_is_not_echoed(capsys, monkeypatch, tmp_path, flag, key, joined):
    """issue 21 item 10: ``--keys <key>`` said "No such file: <key>"."""
    monkeypatch.chdir(tmp_path)
    argv = [f"{flag}={key}"] if joined else [flag, key]
    rc, out = _run(capsys, monkeypatch, *argv, CAPTURE)
    assert rc == 2 and "cannot read" in out and "No such file" in out
    assert _leaks(out, key) == []


def test_non_utf8_key_file_discloses_nothing(capsys, monkeypatch, tmp_path):
    """issue 21 item 10: the codec error quoted one key byte and its position."""
    path = tmp_path / "keys.toml"
    path.write_bytes(b'mak = "' + KEY[:10].encode() + b"\xe9" + KEY[11:].encode() + b'"\n')
    path.chmod(0o600)
    rc, out = _run(capsys, monkeypatch, "--keys", str(path), CAPTURE)
    assert rc == 2 and "not UTF-8" in out
    assert "0xe9" not in out and "position" not in out and "\\xe9" not in out
    assert _leaks(out, KEY) == []


@pytest.mark.parametrize("content", [f'{KEY} = "x"\n', f'"{KEY_HEX}" = 1\n',
                                     f'[{KEY}]\nmak = "x"\n', f'mak = "{KEY}"\n{KEY} = 2\n'])
def test_key_as_toml_name_is_not_echoed(capsys, monkeypatch, tmp_path, content):
    """issue 21 item 10: a key written as a TOML name came back as "unknown entries <key>"."""
    path = tmp_path / "keys.toml"
    path.write_text(content)
    path.chmod(0o600)
    rc, out = _run(capsys, monkeypatch, "--keys", str(path), CAPTURE)
    assert rc == 2 and "unknown entr" in out and "allowed: mak" in out
    assert _leaks(out, KEY) == [] and _leaks(out, KEY_HEX) == []


@pytest.mark.parametrize("mode,who", [(0o644, "everyone"), (0o640, "its group"),
                                      (0o600, None)])
def test_shared_key_file_warned(capsys, monkeypatch, tmp_path, mode, who):
    """issue 21 item 10: a world-readable key file loaded without a warning."""
    path = tmp_path / "keys.toml"
    path.write_text(f'mak = "{KEY}"\n')
    path.chmod(mode)
    rc, out = _run(capsys, monkeypatch, "--keys", str(path), "--summary", CAPTURE)
    assert rc == 0
    if who is None:
        assert "warning" not in out
    else:
        assert f"can be read by {who}" in out and "chmod 600" in out
    assert _leaks(out, KEY) == []


@pytest.mark.parametrize("option", ["--mak", "--mbk", "--key-file", "-K"])
def test_key_at_a_mistyped_option_is_not_echoed(capsys, option):
    """issue 21 item 10: ``--mak=<key>`` (no such option) came back in argparse's
    "unrecognized arguments" line; the option is named, its value is not."""
    rc = main(["decode", f"{option}={KEY}", CAPTURE])
    err = capsys.readouterr().err
    assert rc == 2 and "unrecognized arguments" in err and f"{option}=..." in err
    assert _leaks(err, KEY) == []
