"""issue 21 (secrets scan): every bundled and test capture (tests/data, examples/, plus a
late optical session that auto detection takes for MEP), decoded in every output mode (tree,
summary, JSON, and the bytes of a pcap written with ``--mask-passwords``) with known keys,
shows neither a key nor an optical password: hex in both cases, spaced, ASCII, base64."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cli_secrets"))

from test_cli_optical_passwords import mep_then_optical  # noqa: E402

from osgpdissect.cli import main  # noqa: E402

GUIDE_MAK = bytes([1] * 16)  # the guide examples' key: the RC4 frames verify with it
MBK_TEXT = "TestOnlyMbkNotReal!!"  # made up
TLS_MAK_TEXT = "TestOnlyMakNotReal!!"  # tests/data/tls: its first 16 bytes are the PSK
PASSWORD = b"s3cret-pw".ljust(20, b" ")  # tests/data/optical (synthetic)

SECRETS = [GUIDE_MAK, MBK_TEXT.encode()[:16], TLS_MAK_TEXT.encode()[:16], PASSWORD]
TEXTS = [MBK_TEXT, TLS_MAK_TEXT, PASSWORD.rstrip().decode()]


def spellings(secret: bytes) -> list[str]:
    """Hex (lower, upper, spaced, colon-separated), ASCII and base64 of a secret, and of its
    part before padding spaces (an optical password)."""
    out: list[str] = []
    for raw in {secret, secret.rstrip(b" ")}:
        out += [raw.hex(), raw.hex().upper(), raw.hex(" "), raw.hex(" ").upper(),
                raw.hex(":"), base64.b64encode(raw).decode().rstrip("="),
                base64.b64encode(raw).decode()]
        if raw.isascii() and raw.decode().isprintable() and len(raw) >= 4:
            out.append(raw.decode())
    return out


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        for form in spellings(secret):
            assert form not in text, f"{where}: a secret shows as {form!r}"
    for form in TEXTS:
        assert form not in text, f"{where}: a secret shows as {form!r}"


def _captures(tmp: Path) -> list[tuple[str, list[str]]]:
    """(name, decode arguments) of every capture to scan."""
    out: list[tuple[str, list[str]]] = []
    for path in sorted((ROOT / "tests" / "data" / "captures").iterdir()):
        args = [str(path)]
        if path.suffix == ".sr":
            args += ["-o", "channels=D0:tx,D1:rx"]
        elif "_rx" in path.name or "_tx" in path.name:
            args = [f"{path}:{'rx' if '_rx' in path.name else 'tx'}"]
        out.append((path.name, args))
    for path in sorted((ROOT / "tests" / "data" / "optical").glob("*.hex")):
        out.append((f"optical/{path.name}", [str(path)]))
    for path in sorted((ROOT / "tests" / "data" / "tls").glob("*.hex")):
        out.append((f"tls/{path.name}", [str(path)]))
    for path in sorted((ROOT / "examples").glob("session*")):
        out.append((f"examples/{path.name}", [str(path)]))
    frames = json.loads((ROOT / "tests" / "data" / "guide-frames.json").read_text())
    guide = tmp / "guide-rc4.hex"
    guide.write_text("".join(
        ("C->S " if v["direction"] == "request" else "S->C ") + v["hex"] + "\n"
        for v in frames if v["kind"] == "frame" and v.get("transport") == "RC4"))
    out.append(("guide-rc4.hex", [str(guide)]))
    for timed in (True, False):
        late = mep_then_optical(tmp, timed=timed)
        out.append((late.name, [str(late)]))
        out.append((late.name + " -p mep", [str(late), "-p", "mep"]))
    return out


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[Path, Path, list[tuple[str, list[str]]]]:
    tmp = tmp_path_factory.mktemp("scan")
    keys = tmp / "keys.toml"
    keys.write_text(f'mak = "{GUIDE_MAK.hex()}"\nmbk = "{MBK_TEXT}"\n\n[[psk]]\n'
                    f'identity = "654301"\nkey = "{TLS_MAK_TEXT.encode()[:16].hex()}"\n')
    keys.chmod(0o600)
    return tmp, keys, _captures(tmp)


def _decode(capsys, monkeypatch, *argv: str) -> tuple[int, str]:
    for var in ("OSGP_MAK", "OSGP_MBK", "OSGP_RC4_KEY"):
        monkeypatch.delenv(var, raising=False)
    rc = main(["decode", *argv])
    cap = capsys.readouterr()
    return rc, cap.out + cap.err


MODES = {"tree": [], "summary": ["--summary"], "json": ["-O", "json"],
         "stats": ["--stats", "-O", "json"]}


def test_every_capture_every_mode_shows_no_secret(capsys, monkeypatch, setup):
    """issue 21: the secrets scan over every capture and output mode."""
    tmp, keys, captures = setup
    assert len(captures) >= 20
    decoded_with_keys = set()
    runs = 0
    for name, args in captures:
        for mode, extra in MODES.items():
            rc, out = _decode(capsys, monkeypatch, *args, "--keys", str(keys), *extra)
            # exit 1: no frame at all (issue 16 item 3), e.g. an optical session read as MEP
            assert rc == 0 or (rc == 1 and "no frame found" in out), f"{name} {mode}: exit {rc}: {out[-300:]}"
            assert_clean(out, f"{name} {mode}")
            runs += 1
            if "verified with MAK" in out or "(decrypted)" in out:
                decoded_with_keys.add(name)
        pcap = tmp / "out.pcap"
        rc, out = _decode(capsys, monkeypatch, *args, "--keys", str(keys), "-O", "pcap",
                          str(pcap), "--mask-passwords", "--force")
        assert rc == 0 or (rc == 1 and "no frame found" in out), f"{name} pcap: {out[-300:]}"
        assert_clean(out, f"{name} pcap messages")
        data = pcap.read_bytes()
        for secret in SECRETS:
            assert secret.rstrip(b" ") not in data, f"{name}: a secret in the masked pcap"
        runs += 1
    assert runs == len(captures) * (len(MODES) + 1)
    # the keys were really used: the guide frames verify, the TLS sessions decrypt
    assert {"guide-rc4.hex", "tls/session_ems.hex", "tls/session_no_ems.hex"} <= decoded_with_keys


def test_the_scan_finds_what_it_looks_for():
    """The check itself: each spelling of each secret is caught."""
    for secret in SECRETS:
        for form in spellings(secret):
            with pytest.raises(AssertionError):
                assert_clean(f"x {form} y", "self-test")
