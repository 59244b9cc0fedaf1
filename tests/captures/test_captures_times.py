"""issue 21 item 9: times and encodings the readers got wrong: Logic 1 ``nan``/``inf`` times,
a time of 400 digits (``inf``), pcap stamps of 2**32 s or more, a CSV that is not UTF-8 read
as raw serial bytes, UTF-16 exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures import CaptureError, detect_format, open_capture, write_pcap

EXAMPLE_CSV = Path(__file__).resolve().parents[2] / "examples" / "session-logic2.csv"


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "NaN", "1e999"])
def test_logic1_non_finite_time_rejected(tmp_path, bad):
    """issue 21 item 9: the Logic 1 reader accepted nan/inf times (JSON then held NaN)."""
    path = tmp_path / "l1.csv"
    path.write_text(f"Time [s],Value\n0.1,0x41\n{bad},0x42\n")
    with pytest.raises(CaptureError, match=r"l1.csv:3: bad time .*not a finite number"):
        list(open_capture([f"{path}:rx"]))


def test_hex_time_of_400_digits_rejected(tmp_path):
    """issue 21 item 9: a 400-digit timestamp became ``inf``."""
    path = tmp_path / "t.hex"
    path.write_text("0.5 C->S 00 01\n" + "1" * 400 + ".0 S->C 02\n")
    assert detect_format(str(path)) == "hex"
    with pytest.raises(CaptureError, match=r"t.hex:2: time .* not a finite number"):
        list(open_capture([str(path)]))


def test_pcap_time_beyond_32_bits(tmp_path):
    """issue 21 item 9: the pcap writer failed (struct.error) at times >= 2**32 s; now a
    clear ValueError, and times just below still write."""
    ok = tmp_path / "ok.pcap"
    write_pcap([ByteRun(Direction.C2S, b"\x01", 2.0**32 - 2)], str(ok))
    assert ok.stat().st_size > 24
    for t in (2.0**32, 1e300, float("nan")):
        with pytest.raises(ValueError, match="does not fit a classic pcap"):
            write_pcap([ByteRun(Direction.C2S, b"\x01", t, source="x")], str(tmp_path / "b"))


def test_non_utf8_csv_is_not_raw_serial_bytes(tmp_path):
    """issue 21 item 9: a Latin-1 CSV was detected as raw binary and decoded as serial bytes
    with exit 0."""
    text = EXAMPLE_CSV.read_text().replace("name", "nom é", 1)
    path = tmp_path / "latin1.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(CaptureError, match="not UTF-8"):
        detect_format(str(path))
    # a forced raw read still takes the bytes as they are
    runs = list(open_capture([f"{path}:tx"], format="raw"))
    assert sum(len(r.data) for r in runs) == len(text.encode("latin-1"))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_export_refused_clearly(tmp_path, encoding):
    """issue 21 item 9: UTF-16 exports were not recognised (read as raw bytes)."""
    path = tmp_path / "u16.csv"
    path.write_bytes(EXAMPLE_CSV.read_text().encode(encoding))
    with pytest.raises(CaptureError, match="UTF-16 text: convert it to UTF-8"):
        detect_format(str(path))


def test_binary_captures_still_raw(tmp_path):
    """issue 21 item 9: real raw serial bytes (MEP frames, random bytes) are still raw."""
    path = tmp_path / "cap.bin"
    path.write_bytes(bytes.fromhex("00143F083500000000055B4E42E7489775DAD853E3A3") * 20
                     + bytes(range(256)))
    assert detect_format(str(path)) == "raw"


def _pcapng_ns(stamp: int) -> bytes:
    """A little-endian pcapng: section header, an RTAC-serial interface with if_tsresol 9
    (nanoseconds), one enhanced packet block (a C->S data event carrying ``01 02``)."""
    import struct

    shb_body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
    shb = struct.pack("<II", 0x0A0D0D0A, 12 + len(shb_body)) + shb_body + \
        struct.pack("<I", 12 + len(shb_body))
    idb_body = struct.pack("<HHI", 250, 0, 0) + struct.pack("<HHB3x", 9, 1, 9) + bytes(4)
    idb = struct.pack("<II", 1, 12 + len(idb_body)) + idb_body + struct.pack("<I", 12 + len(idb_body))
    data = bytes(8) + b"\x01\x00\x00\x00" + b"\x01\x02"
    data = data + bytes(-len(data) % 4)
    epb_body = struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, 14, 14) + data
    epb = struct.pack("<II", 6, 12 + len(epb_body)) + epb_body + struct.pack("<I", 12 + len(epb_body))
    return shb + idb + epb


def test_pcapng_nanosecond_epoch_stamp_is_exact(tmp_path):
    """A pcapng nanosecond stamp at an epoch time was scaled by ``1e-9`` after turning the
    64-bit count into a float: the time could be off by one step of the float (bench work,
    session 6).  Now it is the float nearest the exact stamp."""
    stamp = 1_764_800_000_123_456_789
    path = tmp_path / "ns.pcapng"
    path.write_bytes(_pcapng_ns(stamp))
    (run,) = list(open_capture([str(path)]))
    assert run.data == b"\x01\x02" and run.direction is Direction.C2S
    assert run.time == stamp / 10**9
    assert round(stamp * 1e-9, 9) != stamp / 10**9  # the old reading differed for this stamp


def test_hex_line_with_a_time_and_no_bytes_is_skipped(tmp_path):
    """Review (session 6): lines are read without their newline since the bulk reader, and a
    line holding only a time (``12.400``, ``[12.4]``, ``TX 12.4``) was taken for hex and
    stopped the decode ("not hex")."""
    path = tmp_path / "t.hex"
    lines = ["12.345 C->S 00 05 01 02 03 04 05"] * 21 + ["12.400", "[12.45]", "12.47:",
                                                         "TX 12.48", "12.500 S->C 00 01 00"]
    path.write_text("\n".join(lines) + "\n")
    assert detect_format(str(path)) == "hex"
    runs = list(open_capture([str(path)]))
    assert [r.data for r in runs][-1] == b"\x00\x01\x00" and len(runs) == 22
