"""Reading hand-written and real-tool capture files of every format."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from osgpdissect.bytestream import Direction, LineError
from osgpdissect.captures import CaptureError, CaptureOptions, detect_format, open_capture

C2S, S2C = Direction.C2S, Direction.S2C


def flat(runs):
    """(direction, bytes, errors as absolute positions per direction)."""
    out = {C2S: bytearray(), S2C: bytearray()}
    errs = []
    for r in runs:
        errs += [(r.direction, len(out[r.direction]) + e.index, e.kind) for e in r.errors]
        out[r.direction] += r.data
    return bytes(out[C2S]), bytes(out[S2C]), errs


# --- Saleae Logic 1 ------------------------------------------------------------------------


def test_logic1_hex_framing_error_mid_frame(data_dir: Path) -> None:
    runs = list(open_capture([f"{data_dir}/logic1_hex_tx.csv:tx"]))
    assert len(runs) == 1
    run = runs[0]
    assert run.direction is C2S
    assert run.data == bytes.fromhex("00093000 01d4")
    assert run.errors == (LineError(3, "framing"),)
    assert run.time == pytest.approx(0.04290976)
    assert run.byte_times[5] == pytest.approx(0.04295976)
    assert run.source.endswith("logic1_hex_tx.csv:2")


def test_logic1_ascii_radix(data_dir: Path) -> None:
    (run,) = open_capture([f"{data_dir}/logic1_ascii_rx.csv:rx"])
    assert run.direction is S2C
    assert run.data == b"A ,\r\n5'\x00\t"
    assert run.errors == (LineError(7, "parity"),)


def test_logic1_decimal_and_binary(data_dir: Path) -> None:
    runs = list(open_capture([f"{data_dir}/logic1_dec_tx.csv:tx", f"{data_dir}/logic1_bin_rx.csv:rx"]))
    tx, rx, errs = flat(runs)
    assert tx == rx == bytes([0, 9, 48, 255])
    assert errs == [(S2C, 3, "framing")]


def test_logic1_analyzer_name_column(data_dir: Path) -> None:
    runs = list(open_capture([f"{data_dir}/logic1_analyzers.csv"]))
    assert [(r.direction, r.data) for r in runs] == [(C2S, b"\x00\x02"), (S2C, b"\x00\x00\x06")]
    assert runs[1].errors == (LineError(1, "framing"),)
    assert runs[1].channel == "Async Serial RX"


def test_logic1_multiprocessor_variant(data_dir: Path) -> None:
    (run,) = open_capture([f"{data_dir}/logic1_mp_tx.csv:tx"], format="saleae1")
    assert run.data == b"\xee\x00\x20"
    assert run.errors == (LineError(2, "framing"),)


def test_logic1_needs_direction(data_dir: Path, tmp_path: Path) -> None:
    """issue 16 item 1: a ``_tx`` file name gives the direction; a name without one does not."""
    capture = open_capture([f"{data_dir}/logic1_hex_tx.csv"])
    assert {run.direction for run in capture} == {C2S}
    assert capture.notes == [f"{data_dir}/logic1_hex_tx.csv: taken as C->S from the file name"]
    plain = tmp_path / "capture.csv"
    plain.write_bytes((data_dir / "logic1_hex_tx.csv").read_bytes())
    with pytest.raises(CaptureError, match="capture.csv.*:tx"):
        open_capture([str(plain)])


def test_logic1_tx_rx_options(data_dir: Path) -> None:
    opts = CaptureOptions.parse([f"tx={data_dir}/logic1_dec_tx.csv", f"rx={data_dir}/logic1_bin_rx.csv"])
    tx, rx, _ = flat(open_capture([], options=opts))
    assert tx == rx == bytes([0, 9, 48, 255])


def test_logic1_bad_value_reports_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("Time [s],Value,Parity Error,Framing Error\n0.1,0x41,,\n0.2,0xZZ,,\n")
    with pytest.raises(CaptureError, match=r"bad.csv:3"):
        list(open_capture([f"{p}:tx"]))


# --- Saleae Logic 2 ------------------------------------------------------------------------


def test_logic2_two_analyzers(data_dir: Path) -> None:
    runs = list(open_capture([f"{data_dir}/logic2_table.csv"]))
    assert [(r.direction, r.data) for r in runs] == [(C2S, b"\xee\x00\x20"), (S2C, b"A\x06B\x15")]
    assert runs[1].errors == (LineError(1, "framing"),)
    assert runs[1].time == pytest.approx(0.45)


def test_logic2_iso_times_and_mapping(data_dir: Path) -> None:
    runs = list(open_capture([f"{data_dir}/logic2_iso.csv"]))
    assert [(r.direction, r.data) for r in runs] == [(S2C, b"\x00\x0b"), (C2S, b"\x30")]
    assert runs[0].errors == (LineError(1, "parity"),)
    assert runs[0].time == pytest.approx(1704190272.0)
    assert runs[0].byte_times[1] - runs[0].time == pytest.approx(0.000104166, abs=1e-6)
    swapped = list(open_capture([f"{data_dir}/logic2_iso.csv"],
                                options=CaptureOptions.parse(["channels=Meter:tx,Client:rx"])))
    assert [r.direction for r in swapped] == [C2S, S2C]


def test_logic2_unknown_analyzer_name(tmp_path: Path) -> None:
    p = tmp_path / "l2.csv"
    p.write_text('name,type,start_time,duration,data\n"Async Serial","data",0.1,0.001,0x41\n')
    with pytest.raises(CaptureError, match="Async Serial.*channels="):
        list(open_capture([str(p)]))
    (run,) = open_capture([f"{p}:rx"])
    assert run.direction is S2C and run.data == b"A"


# --- sigrok --------------------------------------------------------------------------------


def test_sigrok_sr_inverted_19200_written_by_libsigrok(data_dir: Path) -> None:
    """A .sr re-saved by sigrok-cli: probes D0/D1, idle-low (inverted) lines at 19200 baud."""
    path = data_dir / "sigrok_inverted_19200_d0d1.sr"
    assert detect_format(str(path)) == "sigrok"
    with pytest.raises(CaptureError, match="bytes score alike.*-o channels=D0:tx,D1:rx"):
        open_capture([str(path)])  # issue 16 item 1: the refusal names the option to pass
    opts = CaptureOptions.parse(["channels=D0:tx,D1:rx"])  # baud and inversion detected
    runs = list(open_capture([str(path)], options=opts))
    tx, rx, errs = flat(runs)
    assert tx == bytes.fromhex("0009300001020012345678")
    assert rx == bytes.fromhex("000c0000040102030412345678abcd")
    assert errs == [(S2C, 5, "framing")]
    assert runs[0].time == pytest.approx(0.01, abs=1 / 250000)
    forced = CaptureOptions.parse(["channels=D0:tx,D1:rx", "baud=19200", "invert=true"])
    assert flat(open_capture([str(path)], options=forced)) == (tx, rx, errs)


def test_sigrok_annotation_text_with_sample_numbers(data_dir: Path) -> None:
    path = f"{data_dir}/sigrok_ann_tx_samplenum.txt"
    assert detect_format(path) == "sigrok-ann"
    runs = list(open_capture([path + ":tx"], options=CaptureOptions(samplerate=200000, baud=9600)))
    assert runs[0].direction is C2S
    assert runs[0].data[:3] == b"\x20\x82\x3c"
    assert runs[0].time == pytest.approx(0.1, abs=1e-5)


def test_sigrok_annotation_ascii_and_frame_error(data_dir: Path) -> None:
    path = f"{data_dir}/sigrok_ann_rx_ascii.txt"
    runs = list(open_capture([path], options=CaptureOptions.parse(["channels=uart-1:rx"])))
    _, rx, errs = flat(runs)
    assert rx[:4] == b"\xc2k0\xf9"
    assert rx[30] == ord(",")
    assert errs == [(S2C, 30, "framing")]
    assert all(r.time is None for r in runs)


def test_sigrok_binary_output_is_raw(tmp_path: Path) -> None:
    p = tmp_path / "rx.bin"
    p.write_bytes(bytes(range(256)) * 40)
    assert detect_format(str(p)) == "raw"
    runs = list(open_capture([f"{p}:rx"], format="sigrok-bin"))
    assert b"".join(r.data for r in runs) == bytes(range(256)) * 40
    assert {r.direction for r in runs} == {S2C}
    with pytest.raises(CaptureError, match="no direction"):
        open_capture([str(p)])


# --- hex text ------------------------------------------------------------------------------


def test_hex_paste_direction_rule(data_dir: Path) -> None:
    runs = list(open_capture([f"{data_dir}/hex_paste.txt"]))
    assert [r.direction for r in runs] == [C2S, S2C, C2S, C2S, S2C, S2C, C2S]
    assert runs[0].data == bytes.fromhex("0009300001020012345678")
    assert runs[1].data == bytes.fromhex("000C0000040102030412345678")
    assert runs[3].data == runs[0].data and runs[3].time == 12.5
    assert runs[5].data == bytes.fromhex("0102030412345678")
    assert runs[6].time == pytest.approx(1704190272.123)
    assert runs[4].source.endswith("hex_paste.txt:8")


def test_hex_bad_line(tmp_path: Path) -> None:
    p = tmp_path / "h.txt"
    p.write_text("00 14 3f\n00 1g\n")
    with pytest.raises(CaptureError, match=r"h.txt:2"):
        list(open_capture([str(p)], format="hex"))


# --- pcap ----------------------------------------------------------------------------------


def _pcapng(packets: list[tuple[int, bytes, int | None]], linktype: int) -> bytes:
    """A pcapng with one interface (microseconds) and EPBs ``(usec, payload, epb_flags)``."""
    def block(btype: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        total = len(body) + 12
        return struct.pack("<II", btype, total) + body + struct.pack("<I", total)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", linktype, 0, 65535))
    for usec, payload, flags in packets:
        body = struct.pack("<IIIII", 0, usec >> 32, usec & 0xFFFFFFFF, len(payload), len(payload))
        body += payload + b"\0" * (-len(payload) % 4)
        if flags is not None:
            body += struct.pack("<HHI", 2, 4, flags) + struct.pack("<HH", 0, 0)
        out += block(6, body)
    return out


def _rtac(event: int, payload: bytes) -> bytes:
    return struct.pack(">IIBBH", 0, 0, event, 0x11, 0) + payload


def test_pcapng_rtac_with_epb_flags(tmp_path: Path) -> None:
    p = tmp_path / "c.pcapng"
    p.write_bytes(_pcapng([
        (1_000_000, _rtac(0x01, b"\x00\x02\x21\x00"), 2),
        (1_050_000, _rtac(0x02, b"\x00\x01"), 1),
        (1_050_000, _rtac(0x07, b"\xff"), 1),   # framing error byte, same stamp: joins the run
        (1_050_000, _rtac(0x02, b"\x00"), 1),
        (2_000_000, _rtac(0x08, b"\x55"), 2),   # parity error, direction from the EPB flag
        (2_100_000, _rtac(0x00, b""), None),    # status change: skipped
    ], 250))
    assert detect_format(str(p)) == "pcap"
    runs = list(open_capture([str(p)]))
    assert [(r.direction, r.data, r.time) for r in runs] == [
        (C2S, b"\x00\x02\x21\x00", 1.0), (S2C, b"\x00\x01\xff\x00", 1.05), (C2S, b"\x55", 2.0)]
    assert runs[1].errors == (LineError(2, "framing"),)
    assert runs[2].errors == (LineError(0, "parity"),)


def test_pcap_user0_convention(tmp_path: Path) -> None:
    p = tmp_path / "u.pcapng"
    p.write_bytes(_pcapng([(10, b"\x00\x01\x02", None), (20, b"\x01\x03", None)], 147))
    runs = list(open_capture([str(p)]))
    assert [(r.direction, r.data) for r in runs] == [(C2S, b"\x01\x02"), (S2C, b"\x03")]


def test_pcap_unsupported_linktype(tmp_path: Path) -> None:
    p = tmp_path / "eth.pcapng"
    p.write_bytes(_pcapng([(10, b"\x00" * 20, None)], 1))
    with pytest.raises(CaptureError, match="link type 1"):
        list(open_capture([str(p)]))


# --- registry ------------------------------------------------------------------------------


def test_detection_of_fixtures(data_dir: Path) -> None:
    expect = {
        "logic1_hex_tx.csv": "saleae1", "logic1_ascii_rx.csv": "saleae1",
        "logic1_analyzers.csv": "saleae1", "logic1_mp_tx.csv": "saleae1",
        "logic2_table.csv": "saleae2", "logic2_iso.csv": "saleae2", "hex_paste.txt": "hex",
        "sigrok_ann_rx_ascii.txt": "sigrok-ann", "sigrok_inverted_19200_d0d1.sr": "sigrok",
    }
    for name, fmt in expect.items():
        assert detect_format(str(data_dir / name)) == fmt, name
        assert detect_format(f"{data_dir / name}:rx") == fmt


def test_errors_are_capture_errors(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="missing.csv: cannot read"):
        open_capture([str(tmp_path / "missing.csv")])
    text = tmp_path / "prose.txt"
    text.write_text("Dear diary, today the meter said nothing.\n")
    with pytest.raises(CaptureError, match="prose.txt: unknown capture format"):
        open_capture([str(text)])
    with pytest.raises(CaptureError, match="unknown capture format 'nope'"):
        open_capture([str(text)], format="nope")
    with pytest.raises(CaptureError, match="bad option baud"):
        CaptureOptions.parse(["baud=fast"])
    with pytest.raises(CaptureError, match="unknown option 'bogus'"):
        CaptureOptions.parse(["bogus=1"])
    with pytest.raises(CaptureError, match="parity"):
        CaptureOptions(parity="sometimes")
    with pytest.raises(CaptureError, match="channels"):
        CaptureOptions.parse(["channels=D0"])


def test_import_does_not_load_scapy() -> None:
    import subprocess
    import sys

    code = "import sys, osgpdissect.captures; print('scapy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
