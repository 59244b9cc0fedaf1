"""The bulk CSV readers (issue 16 item 7) read every file as the row-by-row reader does:
same runs (bytes, times, errors, sources, channels), same notes, same error messages."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from capture_helpers import make_session
from hypothesis import given, settings
from hypothesis import strategies as st

from osgpdissect.bytestream import Direction
from osgpdissect.captures import CaptureError, CaptureOptions, open_capture, saleae1, saleae2
from osgpdissect.captures.base import line_blocks
from osgpdissect.captures.saleae1 import write_saleae_logic1_csv
from osgpdissect.captures.saleae2 import write_saleae_logic2_csv


def _read(paths: list[str], options: list[str] = ()) -> tuple[list, list[str]] | str:
    opts = CaptureOptions.parse(options)
    try:
        cap = open_capture(paths, options=opts)
        runs = [(r.direction, r.data, r.time, r.byte_times, r.errors, r.source, r.channel)
                for r in cap]
    except CaptureError as exc:
        return str(exc)
    return runs, cap.notes


def _both(monkeypatch: pytest.MonkeyPatch, paths: list[str], options: list[str] = ()):
    """(bulk result, row-by-row result)."""
    bulk = _read(paths, options)
    with monkeypatch.context() as m:
        m.setattr(saleae1, "_bulk", lambda *a, **k: None)
        m.setattr(saleae2, "_bulk", lambda *a, **k: None)
        rows = _read(paths, options)
    return bulk, rows


def _long_session(n: int = 400, seed: int = 3) -> list:
    runs = []
    t0 = 0.1
    for k in range(0, n, 40):
        part = make_session(40, seed=seed + k, t0=t0)
        runs += part
        t0 = part[-1].byte_times[-1] + 0.2
    return runs


def _edit(path: Path, seed: int, edits: int, kinds: list[str]) -> None:
    """Odd rows put into a file at random places (the header stays)."""
    lines = path.read_text().split("\n")
    rng = random.Random(seed)
    for _ in range(edits):
        i = rng.randrange(1, len(lines) - 1)
        kind = rng.choice(kinds)
        if kind == "blank":
            lines.insert(i, "")
        elif kind == "cr":
            lines[i] += "\r"
        elif kind == "comment-row":
            lines.insert(i, lines[i].replace('"data"', '"frame"', 1))
        elif kind == "suffix":
            lines[i] = lines[i].replace(",0x", ",0x", 1) + ""
            cells = lines[i].split(",")
            if len(cells) > 1 and cells[1].startswith("0x"):
                cells[1] += " (framing error)"
                lines[i] = ",".join(cells)
    path.write_text("\n".join(lines))


@pytest.mark.parametrize("seed", range(4))
def test_saleae1_bulk_equals_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  seed: int) -> None:
    """issue 16 item 7: Logic 1 exports with errors, blank lines, CR line ends, value
    suffixes and comma values read the same in bulk as row by row."""
    runs = _long_session(seed=seed)
    radix = ("hex", "dec", "ascii", "bin")[seed]
    tx, rx = tmp_path / "a_tx.csv", tmp_path / "a_rx.csv"
    write_saleae_logic1_csv(runs, str(tx), radix=radix, direction=Direction.C2S)
    write_saleae_logic1_csv(runs, str(rx), radix=radix, direction=Direction.S2C)
    _edit(tx, seed, 25, ["blank", "cr", "suffix"])
    bulk, rows = _both(monkeypatch, [f"{tx}:tx", f"{rx}:rx"])
    assert isinstance(bulk, tuple) and bulk == rows
    assert sum(len(r[1]) for r in bulk[0]) > 1000


def test_saleae1_analyzer_column_bulk_equals_rows(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 16 item 7: a Logic 1 table with an Analyzer Name column (both sides in one file)."""
    p = tmp_path / "table.csv"
    lines = ["Time [s],Analyzer Name,Decoded Protocol Result"]
    t = 0.0
    for k, run in enumerate(_long_session()):
        name = "TX" if run.direction is Direction.C2S else "RX"
        for i, b in enumerate(run.data):
            t = run.byte_times[i]
            value = f"0x{b:02X}" + (" (framing error)" if (k + i) % 97 == 0 else "")
            lines.append(f"{t:.9f},{name},{value}")
    p.write_text("\n".join(lines) + "\n")
    bulk, rows = _both(monkeypatch, [str(p)])
    assert isinstance(bulk, tuple) and bulk == rows
    assert {r[0] for r in bulk[0]} == set(Direction)


@pytest.mark.parametrize("seed", range(3))
def test_saleae2_bulk_equals_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  seed: int) -> None:
    """issue 16 item 7: Logic 2 tables with error columns, non-data rows, blank lines and CR
    line ends read the same in bulk as row by row (names decided by content included)."""
    runs = _long_session(seed=seed)
    p = tmp_path / "s2.csv"
    names = ({}, {Direction.C2S: "Client TX", Direction.S2C: "Meter TX"},
             {Direction.C2S: "Async Serial", Direction.S2C: "Async Serial [1]"})[seed]
    write_saleae_logic2_csv(runs, str(p), names=names)
    _edit(p, seed, 25, ["blank", "cr", "comment-row"])
    bulk, rows = _both(monkeypatch, [str(p)])
    assert bulk == rows
    if seed < 2:  # random bytes: two nameless analyzers are refused, with the same message
        assert isinstance(bulk, tuple) and any(r[4] for r in bulk[0])
    else:
        assert "pass -o channels=" in bulk


def test_saleae2_iso_times_and_quoted_newline(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 16 item 7: ISO start times, and a quoted field over two lines (the csv module
    reads the rest of the file), read the same in bulk as row by row."""
    lines = ["name,type,start_time,duration,data,error"]
    for i in range(3000):
        side = "TX" if (i // 20) % 2 == 0 else "RX"
        stamp = f"2024-01-02T10:11:{12 + i // 1000:02d}.{i % 1000:03d}000+01:00"
        lines.append(f'"{side}","data",{stamp},0.00104,0x{i & 0xFF:02X},')
    iso = tmp_path / "iso.csv"
    iso.write_text("\n".join(lines) + "\n")
    bulk, rows = _both(monkeypatch, [str(iso)])
    assert isinstance(bulk, tuple) and bulk == rows
    lines[2500] += '"framing\nerror"'
    quoted = tmp_path / "quoted.csv"
    quoted.write_text("\n".join(lines) + "\n")
    bulk, rows = _both(monkeypatch, [str(quoted)])
    assert isinstance(bulk, tuple) and bulk == rows


def test_saleae2_quoted_field_open_at_a_block_end_with_a_quote_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review (session 6): a block's last line holding a literal ``"`` in an unquoted field
    and then a quoted field that goes on over the next line had an even count of quotes, so
    the bulk reader missed the open field ("expected at least 5 columns").  Each padding
    puts that line's end at another place, one of them a block's end."""
    head = "name,type,start_time,duration,data,error\n"
    rows = "".join(f"TX,data,0.{k + 1:09d},0.001,0x41,\n" for k in range(240))
    tail = 'RX,data,0.5,0.0"01,0x42,"multi\nline"\nTX,data,0.6,0.001,0x44,\n'
    base = len(head) + len(rows)
    for pad in range(8192 - base - tail.index("\n") - 40, 8192 - base - tail.index("\n") + 40):
        path = tmp_path / f"q{pad}.csv"
        path.write_text(head + rows + "TX,data,0.4,0.001,0x43," + "x" * pad + "\n" + tail)
        bulk, by_rows = _both(monkeypatch, [str(path)])
        assert isinstance(bulk, tuple) and bulk == by_rows, pad


@pytest.mark.parametrize("bad, expect", [
    ("0.5x,0x41,,", "bad time"), ("inf,0x41,,", "finite"), ("0.5,0x4100,,", "out of byte"),
    ("0.5", "expected 4 columns"),
])
def test_saleae1_bad_row_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str,
                                 expect: str) -> None:
    """issue 16 item 7: a bad row deep in a Logic 1 file stops the bulk reader with the same
    message and line number as the row-by-row reader."""
    lines = ["Time [s],Value,Parity Error,Framing Error"]
    lines += [f"{i * 0.001:.6f},0x{i & 0xFF:02X},," for i in range(5000)]
    lines[4321] = bad
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(lines) + "\n")
    bulk, rows = _both(monkeypatch, [f"{p}:rx"])
    assert bulk == rows and expect in bulk and ":4322:" in bulk


@pytest.mark.parametrize("bad, expect", [
    ('"RX","data",zz,0.001,0x41,', "bad time"), ('"RX","data",0.5,0.001,0x4100,', "out of"),
    ('"RX","data"', "expected at least 5 columns"),
    ('"Other","data",0.5,0.001,0x41,', "has no direction"),
])
def test_saleae2_bad_row_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str,
                                 expect: str) -> None:
    """issue 16 item 7: a bad row deep in a Logic 2 file: the same message and line number."""
    lines = ["name,type,start_time,duration,data,error"]
    lines += [f'"{"TX" if (i // 10) % 2 else "RX"}","data",{i * 0.001:.6f},0.001,'
              f'0x{i & 0xFF:02X},' for i in range(5000)]
    lines[4321] = bad
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(lines) + "\n")
    bulk, rows = _both(monkeypatch, [str(p)])
    assert bulk == rows and expect in bulk and ":4322:" in bulk


def test_line_blocks_numbers_and_limit(tmp_path: Path) -> None:
    """issue 16 item 7: line blocks cover every line once, numbered, and refuse a long line
    with its number as bounded_lines does."""
    p = tmp_path / "t.txt"
    p.write_text("".join(f"line {i}\n" for i in range(5000)) + "last")
    with open(p) as f:
        got = [(n + k, ln) for n, block in line_blocks(f, str(p)) for k, ln in enumerate(block)]
    assert got[0] == (1, "line 0") and got[-1] == (5001, "last") and len(got) == 5001
    p.write_text("a\nb\n" + "c" * 5000 + "\nd\n")
    with open(p) as f, pytest.raises(CaptureError, match=r":3: a line longer than 1000"):
        list(line_blocks(f, str(p), limit=1000))


_LINES = st.builds(
    lambda t, sep, mark, colon, hexs, tail: f"{t}{sep}{mark}{colon}{sep}{hexs}{tail}",
    st.sampled_from(["12.345", "0.5", "1e3", "12", "١.5", "3.25s", "[1.5]", ".5", "7."]),
    st.sampled_from([" ", "\t", "  ", "\x0b"]),
    st.sampled_from(["C->S", "S->C", "TX", "RX", ">", "<", "tx", "c2s"]),
    st.sampled_from(["", ":"]),
    st.sampled_from(["00 14 3f", "0014 3F00", "00143f", "0 14", "00 1g", "00 14!", "ff",
                     "00:14", "0x00,0x14", "00 14 # note", "00\x0c14"]),
    st.sampled_from(["", "\n", "\r\n", " ", "\t\n"]),
)


@settings(max_examples=300, deadline=None)
@given(_LINES)
def test_hex_quick_path_equals_regex(line: str) -> None:
    """issue 16 item 7: the hex reader's quick split gives what the regular expressions give
    for every line it takes, and leaves the others to them."""
    from osgpdissect.captures import hextext

    quick = hextext._quick(line)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(hextext, "_quick", lambda _line: None)
        try:
            want = hextext.parse_line(line)
        except ValueError as exc:
            want = str(exc)
    if quick is not None:
        assert quick == want
    assert hextext._quick("12.5 C->S 00 14 3f\n") == (12.5, Direction.C2S, b"\x00\x14\x3f", [])


@pytest.mark.parametrize("pcapng", [False, True])
def test_pcap_block_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               pcapng: bool) -> None:
    """issue 16 item 7: pcap/pcapng records read from blocks give the same runs whatever the
    block size (records cut by every block boundary), errored bytes included."""
    from osgpdissect.captures import pcap

    p = tmp_path / ("s.pcapng" if pcapng else "s.pcap")
    pcap.write_pcap(_long_session(120), str(p), pcapng=pcapng)
    whole = _read([str(p)])
    assert isinstance(whole, tuple) and any(r[4] for r in whole[0])
    for size in (1, 7, 100):
        monkeypatch.setattr(pcap, "_READ_BLOCK", size)
        assert _read([str(p)]) == whole


def _iso_by_strptime(text: str) -> float | str:
    """The ISO conversion as it was: strptime of the whole date-time, every time."""
    import calendar
    import re
    from datetime import datetime

    from osgpdissect.captures.base import _ISO

    m = _ISO.match(text.strip())
    if not m:
        return "no match"
    date, hh, mm, ss, frac, zone = m.groups()
    try:
        dt = datetime.strptime(f"{date} {hh}:{mm}:{ss}", "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        return str(exc)
    secs = float(calendar.timegm(dt.timetuple()))
    if frac:
        secs += int(frac) / 10 ** len(frac)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        z = re.sub(":", "", zone[1:])
        secs -= sign * (int(z[:2]) * 3600 + int(z[2:]) * 60)
    return secs


@settings(max_examples=300, deadline=None)
@given(st.builds(
    lambda y, mo, d, sep, h, mi, s, frac, zone: f"{y:04d}-{mo:02d}-{d:02d}{sep}{h}:{mi:02d}:"
                                                f"{s:02d}{frac}{zone}",
    st.integers(1970, 2100), st.integers(0, 13), st.integers(0, 32), st.sampled_from("T "),
    st.sampled_from(["0", "9", "09", "23", "24", "7"]), st.integers(0, 61), st.integers(0, 62),
    st.sampled_from(["", ".5", ".000001040", ",25", ".123456789012"]),
    st.sampled_from(["", "Z", "+01:00", "-0530", " +02:00"])))
def test_iso_times_per_minute_equal_strptime(text: str) -> None:
    """issue 16 item 7: ISO start times converted once per minute give what strptime of the
    whole date-time gives, errors included."""
    from osgpdissect.captures.base import parse_iso_time

    want = _iso_by_strptime(text)
    try:
        got: float | str = parse_iso_time(text.strip())
    except ValueError as exc:
        got = str(exc)
    if want == "no match":
        assert got.startswith("bad time")
    else:
        assert got == want
