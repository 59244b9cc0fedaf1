"""One byte session written in every format and read back; pcap checked with scapy/tshark."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from capture_helpers import make_session

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures import (
    LINKTYPE_USER0,
    CaptureOptions,
    detect_format,
    open_capture,
    write_hex_text,
    write_pcap,
    write_raw,
    write_saleae_logic1_csv,
    write_saleae_logic2_csv,
    write_sigrok_sr,
)

C2S, S2C = Direction.C2S, Direction.S2C


def assert_same(got: list[ByteRun], want: list[ByteRun], tol: float, byte_times: bool) -> None:
    assert [(r.direction, r.data, r.errors) for r in got] == \
        [(r.direction, r.data, r.errors) for r in want]
    for g, w in zip(got, want, strict=True):
        assert g.time == pytest.approx(w.time, abs=tol)
        if byte_times:
            assert g.byte_times == pytest.approx(w.byte_times, abs=tol)


@pytest.mark.parametrize("radix", ["hex", "dec", "bin", "ascii"])
def test_saleae_logic1_all_radixes(tmp_path: Path, session: list[ByteRun], radix: str) -> None:
    tx, rx = tmp_path / "tx.csv", tmp_path / "rx.csv"
    write_saleae_logic1_csv(session, str(tx), radix=radix, direction=C2S)
    write_saleae_logic1_csv(session, str(rx), radix=radix, direction=S2C)
    assert detect_format(str(tx)) == "saleae1"
    got = list(open_capture([f"{tx}:tx", f"{rx}:rx"]))
    assert_same(got, session, 1e-9, True)


def test_saleae_logic2(tmp_path: Path, session: list[ByteRun]) -> None:
    p = tmp_path / "l2.csv"
    write_saleae_logic2_csv(session, str(p))
    assert detect_format(str(p)) == "saleae2"
    assert_same(list(open_capture([str(p)])), session, 1e-9, True)
    write_saleae_logic2_csv(session, str(p), names={C2S: "A", S2C: "B"})
    opts = CaptureOptions(channels={"A": "tx", "B": "rx"})
    assert_same(list(open_capture([str(p)], options=opts)), session, 1e-9, True)


@pytest.mark.parametrize(("baud", "invert", "rate"), [(9600, False, None), (19200, True, 500_000),
                                                       (2400, False, 100_000)])
def test_sigrok_sr(tmp_path: Path, baud: int, invert: bool, rate: int | None) -> None:
    session = make_session(baud=baud)
    p = tmp_path / "s.sr"
    write_sigrok_sr(session, str(p), baud=baud, samplerate=rate, invert=invert)
    assert detect_format(str(p)) == "sigrok"
    samplerate = rate or 200_000
    assert_same(list(open_capture([str(p)])), session, 1.01 / samplerate, True)  # auto baud/invert
    opts = CaptureOptions(baud=baud, invert=invert)
    assert_same(list(open_capture([str(p)], options=opts)), session, 1.01 / samplerate, True)


def test_sigrok_sr_with_parity(tmp_path: Path) -> None:
    session = make_session(n=4)
    bad = ByteRun(S2C, b"\x01\x02\x03", 2.0, (2.0, 2.002, 2.004), (), "x")
    from osgpdissect.bytestream import LineError

    bad = ByteRun(bad.direction, bad.data, bad.time, bad.byte_times, (LineError(1, "parity"),))
    session.append(bad)
    p = tmp_path / "p.sr"
    write_sigrok_sr(session, str(p), parity="even")
    opts = CaptureOptions(parity="even")
    assert_same(list(open_capture([str(p)], options=opts)), session, 1e-5, True)


def test_pcap_rtac(tmp_path: Path, session: list[ByteRun]) -> None:
    p = tmp_path / "s.pcap"
    write_pcap(session, str(p))
    assert detect_format(str(p)) == "pcap"
    assert_same(list(open_capture([str(p)])), session, 1e-6, False)


def test_pcap_user0(tmp_path: Path, session: list[ByteRun]) -> None:
    p = tmp_path / "u.pcap"
    write_pcap(session, str(p), linktype=LINKTYPE_USER0)
    got = list(open_capture([str(p)]))
    assert [(r.direction, r.data) for r in got] == [(r.direction, r.data) for r in session]


def test_pcap_readable_by_scapy(tmp_path: Path, session: list[ByteRun]) -> None:
    from osgpdissect.captures.scapy_rtac import RTACSerial

    p = tmp_path / "s.pcap"
    write_pcap(session, str(p))
    from scapy.utils import rdpcap

    pkts = rdpcap(str(p))
    assert all(pkt.haslayer(RTACSerial) for pkt in pkts)
    first = pkts[0][RTACSerial]
    assert first.event == 0x01 and first.usecs == 100000
    assert bytes(first.payload) == session[0].data
    assert any(pkt[RTACSerial].event == 0x07 for pkt in pkts)  # the framing error event


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_pcap_dissected_by_tshark(tmp_path: Path, session: list[ByteRun]) -> None:
    p = tmp_path / "s.pcap"
    write_pcap(session, str(p))
    out = subprocess.run(["tshark", "-r", str(p), "-T", "fields", "-e", "rtacser.eventtype"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[:2] == ["0x01", "0x02"] and "0x07" in out


def test_hex_text(tmp_path: Path, session: list[ByteRun]) -> None:
    p = tmp_path / "s.txt"
    write_hex_text(session, str(p))
    assert detect_format(str(p)) == "hex"
    assert_same(list(open_capture([str(p)])), session, 1e-6, False)


def test_raw(tmp_path: Path, session: list[ByteRun]) -> None:
    tx, rx = tmp_path / "tx.bin", tmp_path / "rx.bin"
    write_raw(session, str(tx), C2S)
    write_raw(session, str(rx), S2C)
    got = list(open_capture([f"{tx}:tx", f"{rx}:rx"], format="raw"))
    for d in (C2S, S2C):
        assert b"".join(r.data for r in got if r.direction is d) == \
            b"".join(r.data for r in session if r.direction is d)


def test_mixed_formats_merge_in_time_order(tmp_path: Path, session: list[ByteRun]) -> None:
    tx, rx = tmp_path / "tx.csv", tmp_path / "rx.txt"
    write_saleae_logic1_csv(session, str(tx), direction=C2S)
    write_hex_text([r for r in session if r.direction is S2C], str(rx))
    got = list(open_capture([f"{tx}:tx", str(rx)]))
    assert [(r.direction, r.data) for r in got] == [(r.direction, r.data) for r in session]
    swapped = list(open_capture([f"{tx}:tx", str(rx)], options=CaptureOptions(swap=True)))
    assert [r.direction for r in swapped] == [r.direction.flipped() for r in session]


@pytest.mark.skipif(shutil.which("sigrok-cli") is None, reason="sigrok-cli not installed")
def test_sr_decoded_by_sigrok_cli(tmp_path: Path, session: list[ByteRun]) -> None:
    p = tmp_path / "s.sr"
    write_sigrok_sr(session, str(p))
    ann = tmp_path / "tx.txt"
    out = subprocess.run(["sigrok-cli", "-i", str(p), "-P", "uart:baudrate=9600:rx=TX", "-A",
                          "uart=rx-data", "--protocol-decoder-samplenum"],
                         capture_output=True, text=True, check=True).stdout
    ann.write_text(out)
    got = list(open_capture([f"{ann}:tx"], options=CaptureOptions(samplerate=200_000, baud=9600)))
    want = [r for r in session if r.direction is C2S]
    assert_same(got, want, 1.01 / 200_000 + 1e-6, True)
