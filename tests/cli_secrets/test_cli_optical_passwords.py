"""issue 21 item 1: an optical password never reaches an output, whatever protocol its bytes
were decoded as (auto detection that saw only MEP, ``-p mep``), in text, summary and JSON, and
``-O pcap`` says when it writes passwords (``--mask-passwords`` masks them)."""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cli"))
sys.path.insert(0, str(ROOT / "tests" / "optical"))

from cli_helpers import make_examples  # noqa: E402
from optical_helpers import PASSWORD, session_runs  # noqa: E402

from osgpdissect.bytestream import ByteRun, Direction  # noqa: E402
from osgpdissect.c1218.messages import Frame, Malformed  # noqa: E402
from osgpdissect.c1218.records import Record  # noqa: E402
from osgpdissect.captures import open_capture  # noqa: E402
from osgpdissect.captures.hextext import write_hex_text  # noqa: E402
from osgpdissect.cli import main  # noqa: E402
from osgpdissect.cli.redact import SecretMasker  # noqa: E402

SECRET = PASSWORD.encode().ljust(20, b" ")


def spellings(secret: bytes) -> list[str]:
    """The forms a leaked password could take in an output (the part that is not spaces)."""
    core = secret.rstrip(b" ")
    return [core.hex(), core.hex().upper(), core.hex(" "), core.hex(" ").upper(),
            core.decode(), base64.b64encode(secret).decode()]


def assert_clean(text: str) -> None:
    for form in spellings(SECRET):
        assert form not in text, f"password leaked as {form!r}"


def _shift(runs: list[ByteRun], dt: float, *, timed: bool = True) -> list[ByteRun]:
    if not timed:
        return [replace(r, time=None, byte_times=()) for r in runs]
    return [replace(r, time=(r.time or 0.0) + dt,
                    byte_times=tuple(t + dt for t in r.byte_times)) for r in runs]


def mep_then_optical(tmp_path: Path, *, timed: bool = True) -> Path:
    """Over 512 MEP runs (so auto detection sees MEP only), then an optical session."""
    mep = make_examples().session()
    runs: list[ByteRun] = []
    for i in range(18):
        runs += _shift(mep, 6.0 * i, timed=timed)
    assert len(runs) > 512
    runs += _shift(session_runs(), 6.0 * 18 + 1.0, timed=timed)
    path = tmp_path / ("late-optical.hex" if timed else "late-optical-untimed.hex")
    write_hex_text(runs, str(path))
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["decode", *argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.mark.parametrize("timed", [True, False], ids=["timed", "untimed"])
@pytest.mark.parametrize("protocol", ["auto", "mep"])
@pytest.mark.parametrize("mode", [[], ["--summary"], ["-O", "json"]], ids=["tree", "summary",
                                                                          "json"])
def test_late_optical_password_masked(capsys, tmp_path, timed, protocol, mode):
    """issue 21 item 1: auto detection decided MEP (or -p mep): the optical security packet
    comes out as MEP records, its password masked in every output mode."""
    path = mep_then_optical(tmp_path, timed=timed)
    assert SECRET.hex(" ") in path.read_text()  # the capture holds it
    rc, out, err = _run(capsys, "-p", protocol, str(path), *mode)
    assert rc == 0
    assert_clean(out + err)
    if mode and mode[0] == "-O":
        for line in out.splitlines():
            json.loads(line)
    if not mode:
        assert "** ** **" in out  # the masked bytes are shown as such


def test_password_cut_between_two_records_masked():
    """issue 21 item 1: a MEP frame boundary right after the security code: the next record
    starts with bare password bytes, recognised through the direction's context."""
    masker = SecretMasker()
    head = bytes.fromhex("ee0020000015") + b"\x51"
    first = Record("malformed", malformed=Malformed(Direction.C2S, head, "garbage"))
    second = Record("exchange", request_frame=Frame(Direction.C2S, SECRET + b"\x38\x86"))
    masker.redact(first)
    masker.redact(second)
    assert second.request_frame is not None
    assert second.request_frame.hex == "**" * 22
    assert second.warnings and "masked" in second.warnings[0]
    assert_clean(json.dumps(second.to_json()) + second.to_json_line())


def test_plain_mep_records_untouched():
    """issue 21 item 1: records without security request bytes are shown as decoded."""
    masker = SecretMasker()
    frame = Frame(Direction.C2S, bytes.fromhex("000f3f00150000000000080000000100"))
    rec = Record("exchange", request_frame=frame, warnings=["w"])
    assert masker.redact(rec) is rec and frame.shown_hex is None and rec.warnings == ["w"]


def test_pcap_notice_and_mask_passwords(capsys, tmp_path):
    """issue 21 item 1: -O pcap is byte exact and says it holds a password;
    --mask-passwords writes ``*`` over it (and says nothing)."""
    src = ROOT / "tests" / "data" / "optical" / "session.hex"
    clear = tmp_path / "clear.pcap"
    rc, out, err = _run(capsys, str(src), "-O", "pcap", str(clear))
    assert rc == 0 and "passwords in clear" in err and "--mask-passwords" in err
    assert SECRET in clear.read_bytes()
    masked = tmp_path / "masked.pcap"
    rc, out, err = _run(capsys, str(src), "-O", "pcap", str(masked), "--mask-passwords")
    assert rc == 0 and err == ""
    data = masked.read_bytes()
    assert PASSWORD.encode() not in data and b"*" * 22 in data
    assert len(data) == len(clear.read_bytes())
    runs = list(open_capture([str(masked)]))
    assert sum(len(r.data) for r in runs) == sum(len(r.data) for r in open_capture([str(src)]))
    rc, out, _ = _run(capsys, str(masked))
    assert rc == 0 and "**" in out
    assert_clean(out)


def test_pcap_without_passwords_has_no_notice(capsys, tmp_path):
    """issue 21 item 1: the notice only when passwords are there (an MEP session)."""
    out_path = tmp_path / "mep.pcap"
    rc, _, err = _run(capsys, str(ROOT / "examples" / "session-logic2.csv"), "-O", "pcap",
                      str(out_path))
    assert rc == 0 and err == ""


@pytest.mark.parametrize("protocol", ["auto", "mep"])
def test_line_error_on_a_password_byte_hides_its_value(capsys, tmp_path, protocol):
    """issue 21 item 1: a line error names its byte's value: on a password byte that value
    is masked too (text and JSON)."""
    src = (ROOT / "tests" / "data" / "optical" / "session.hex").read_text()
    assert "15 51 73 33" in src
    path = tmp_path / "err.hex"
    path.write_text(src.replace("15 51 73 33", "15 51 73!f 33"))
    rc, out, err = _run(capsys, "-p", protocol, str(path))
    assert rc == (1 if protocol == "mep" else 0)  # read as MEP: no frame at all (issue 16)
    assert "framing error" in out + err
    assert "0x73" not in out + err and "masked" in out
    rc, out, _ = _run(capsys, "-p", protocol, "-O", "json", str(path))
    hits = [h for line in out.splitlines() for h in json.loads(line)["line_errors"]]
    assert hits and all(h["value"] is None for h in hits if h["direction"] == "C->S")


def test_random_frames_are_not_taken_for_passwords():
    """issue 21 item 1: the rule on decoded frames is strict enough that random (encrypted)
    MEP frames keep their decode: none of 20 000 seeded random frames is masked."""
    import random

    rng = random.Random(5)
    masker = SecretMasker()
    for _ in range(20000):
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(10, 120)))
        assert not any(masker.hidden(Direction.C2S, raw))


@pytest.mark.parametrize("damage", [4, 5, 6, 3])
def test_one_damaged_header_byte_inside_a_frame_still_masked(damage):
    """issue 21 item 1: a security packet with one header byte damaged, read as (part of) a
    MEP frame, is still masked."""
    packet = bytearray(bytes.fromhex("ee0020000015") + b"\x51" + SECRET + b"\x38\x86")
    packet[damage] ^= 0x40
    frame = Frame(Direction.C2S, b"\x00\x30" + bytes(packet))
    rec = Record("exchange", request_frame=frame)
    SecretMasker().redact(rec)
    assert frame.shown_hex is not None
    assert_clean(frame.shown_hex + rec.to_json_line())


def test_a_frame_after_damage_is_not_taken_for_a_damaged_header():
    """Regression (issue 21 item 1 follow-up): an ``EE`` in a damaged stretch, then a frame whose
    own length prefix is ``00 15`` (a 21-byte BT21 read response), read as a security header
    with its code damaged: the intact frame was masked and lost its decode."""
    masker = SecretMasker()
    stretch = Record("malformed", malformed=Malformed(Direction.S2C, bytes.fromhex("ee5b4e42"), "garbage"))
    response = bytes.fromhex("00150000 0a3f0e0c0f08000104081a 386e17298d164318".replace(" ", ""))
    frame = Frame(Direction.S2C, response)
    rec = Record("exchange", response_frame=frame, warnings=[])
    masker.redact(stretch)
    assert masker.redact(rec) is rec and frame.shown_hex is None and rec.warnings == []
