"""issue 16 item 7: the ``.sr`` reader decodes UART with numpy over whole sample blocks.

The numpy decoder (:mod:`osgpdissect.captures.uart_edges`) and the run builder
(:mod:`osgpdissect.captures.char_runs`) are checked against straightforward references that
live in this file only: a sample-by-sample UART decoder and the per-byte
:class:`~osgpdissect.captures.base.RunAssembler`.  Waveforms come from the project's own writer.
"""

from __future__ import annotations

import bisect
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osgpdissect.bytestream import ByteRun, Direction, LineError
from osgpdissect.captures import CaptureOptions, open_capture, sigrok_sr, write_sigrok_sr
from osgpdissect.captures.base import assemble
from osgpdissect.captures.char_runs import CharRuns, Line
from osgpdissect.captures.uart import UartFormat, estimate_baud, idle_inverted, pulse_widths
from osgpdissect.captures.uart_edges import ERROR_KINDS, Chars, ColumnDecoder, FrameGeometry

C2S, S2C = Direction.C2S, Direction.S2C
_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow])


# -- references -----------------------------------------------------------------------------
def reference_decode(levels: bytes, spb: float, fmt: UartFormat) -> list[tuple[int, int, str]]:
    """Sample by sample: the first falling edge after ``pos`` whose half-bit sample is low
    starts a character; its bits are read at their centres; ``pos`` moves to its stop bit."""
    data = [round(spb * (k + 1.5)) for k in range(fmt.data_bits)]
    nd = 1 + fmt.data_bits
    par = round(spb * (nd + 0.5)) if fmt.parity != "none" else None
    stop = round(spb * (nd + (fmt.parity != "none") + 0.5))
    mid = round(spb * 0.5)
    out = []
    f = 1
    while f < len(levels):
        if not (levels[f - 1] == 1 and levels[f] == 0):
            f += 1
            continue
        if f + stop >= len(levels):
            break
        if levels[f + mid]:
            f += 1
            continue
        value = sum(1 << k for k, off in enumerate(data) if levels[f + off])
        error = None
        if par is not None and levels[f + par] != fmt.parity_bit(value):
            error = "parity"
        if not levels[f + stop]:
            error = "framing"
        out.append((f, value, error))
        f += stop + 1
    return out


def decode_in_blocks(column: bytes, lines: list[tuple[int, bool]], spb: float, fmt: UartFormat,
                     cuts: list[int]) -> list[list[tuple[int, int, str | None]]]:
    """The numpy decoder fed ``column`` cut at ``cuts``."""
    dec = ColumnDecoder(FrameGeometry(spb, fmt), lines)
    arr = np.frombuffer(column, dtype=np.uint8)
    bounds = [0, *sorted(set(c for c in cuts if 0 < c < len(arr))), len(arr)]
    got: list[list[tuple[int, int, str | None]]] = [[] for _ in lines]
    for a, b in zip(bounds, bounds[1:], strict=False):
        for k, chars in enumerate(dec.feed(arr[a:b], final=b == len(arr))):
            got[k] += [(s, v, ERROR_KINDS[e]) for s, v, e in zip(
                chars.samples.tolist(), chars.values.tolist(), chars.errors.tolist(), strict=True)]
        assert len(dec._carry) <= dec.geometry.stop + 1 + (b - a)  # bounded carry
    return got


def line_levels(column: bytes, bit: int, inverted: bool) -> bytes:
    return bytes(((b >> bit) & 1) ^ inverted for b in column)


def sr_samples(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        names = sorted((n for n in zf.namelist() if n.startswith("logic-1-")),
                       key=lambda n: int(n.rsplit("-", 1)[1]))
        return b"".join(zf.read(n) for n in names)


def session(rng: random.Random, n: int, baud: int, kinds: tuple[str, ...]) -> list[ByteRun]:
    """Runs alternating in direction; some bytes carry line errors of ``kinds``."""
    runs, t = [], 0.01
    for k in range(n):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12)))
        errors = tuple(LineError(i, rng.choice(kinds)) for i in range(len(data))
                       if kinds and rng.random() < 0.15)
        times = tuple(t + i * 14 / baud for i in range(len(data)))  # idle after each stop bit
        runs.append(ByteRun(C2S if k % 2 == 0 else S2C, data, t, times, errors))
        t += len(data) * 14 / baud + rng.choice((0.0005, 0.003, 0.02))
    return runs


# -- the decoder against the reference on the writer's waveforms ------------------------------
@pytest.mark.parametrize(("baud", "rate", "invert", "parity", "stop_bits", "data_bits"), [
    (9600, None, False, "none", 1.0, 8),
    (19200, 500_000, True, "even", 1.0, 8),
    (2400, 100_000, False, "odd", 2.0, 8),
    (115200, 250_000, True, "mark", 1.0, 7),   # 2.17 samples per bit
    (1200, 33_333, False, "space", 1.5, 5),    # a rate that is no round number
])
def test_decoder_equals_reference_on_written_waveforms(tmp_path, baud, rate, invert, parity,
                                                       stop_bits, data_bits):
    """issue 16 item 7: numpy decoding of the writer's waveforms, cut into blocks that split
    characters, equals the sample-by-sample reference; parity, framing errors and breaks
    (a low stop bit) come out as before."""
    rng = random.Random(baud)
    fmt = UartFormat(data_bits, parity, stop_bits)
    kinds = ("framing", "break") + (("parity",) if parity != "none" else ())
    runs = session(rng, 20, baud, kinds)
    path = tmp_path / "w.sr"
    write_sigrok_sr(runs, str(path), baud=baud, samplerate=rate, invert=invert,
                    data_bits=data_bits, parity=parity, stop_bits=stop_bits)
    column = sr_samples(path)
    spb = (rate or 200_000) / baud
    cuts = [rng.randrange(len(column)) for _ in range(40)]
    got = decode_in_blocks(column, [(0, invert), (1, invert)], spb, fmt, cuts)
    for k in (0, 1):
        want = reference_decode(line_levels(column, k, invert), spb, fmt)
        assert got[k] == want
        sent = b"".join(r.data for r in runs if r.direction is (C2S, S2C)[k])
        assert bytes(v for _, v, _ in got[k]) == bytes(b & ((1 << data_bits) - 1) for b in sent)
    errors = {(s, e) for line in got for s, _, e in line if e}
    assert {e for _, e in errors} == ({"framing", "parity"} if parity != "none" else {"framing"})


def test_glitches_shorter_than_a_bit_and_long_breaks():
    """issue 16 item 7: short low glitches on idle line are no start bits; a break (line low
    for many bit times) gives one framing error, as the reference does."""
    spb, fmt = 20.0, UartFormat()
    rng = random.Random(3)
    levels = bytearray(b"\x01" * 40)
    for _ in range(60):
        what = rng.randrange(4)
        if what == 0:
            levels += b"\x00" * rng.randrange(1, 10) + b"\x01" * rng.randrange(1, 40)  # glitch
        elif what == 1:
            levels += b"\x00" * rng.randrange(300, 900) + b"\x01" * 50  # break
        else:
            value = rng.randrange(256)
            bits = [0] + [(value >> k) & 1 for k in range(8)] + [1]
            levels += b"".join(bytes([b]) * 20 for b in bits) + b"\x01" * rng.randrange(0, 60)
        if rng.random() < 0.3:  # a glitch inside a character
            at = rng.randrange(len(levels))
            levels[at] ^= 1
    column = bytes(levels)
    want = reference_decode(column, spb, fmt)
    assert any(e == "framing" for _, _, e in want)
    for cuts in ([], [rng.randrange(len(column)) for _ in range(30)], list(range(7, 10**5, 7))):
        assert decode_in_blocks(column, [(0, False)], spb, fmt, cuts) == [want]


@st.composite
def sample_blocks(draw):
    """A column of random stretches on 3 bits, random cuts, a random format and bit time."""
    stretches = draw(st.lists(st.tuples(st.integers(0, 7), st.integers(1, 60)), max_size=120))
    column = b"".join(bytes([v]) * n for v, n in stretches)
    cuts = draw(st.lists(st.integers(0, max(len(column), 1)), max_size=8))
    spb = draw(st.floats(2.0, 12.0))
    fmt = UartFormat(draw(st.integers(5, 8)),
                     draw(st.sampled_from(("none", "even", "odd", "mark", "space"))),
                     draw(st.sampled_from((1.0, 1.5, 2.0))))
    inverts = draw(st.tuples(st.booleans(), st.booleans(), st.booleans()))
    return column, cuts, spb, fmt, inverts


@_SETTINGS
@given(sample_blocks())
def test_random_sample_blocks_decode_like_the_reference(case):
    """issue 16 item 7: any samples, cut anywhere, three lines of one byte column with any
    polarities: never raises, and every line equals the per-sample reference."""
    column, cuts, spb, fmt, inverts = case
    lines = [(bit, inverts[bit]) for bit in range(3)]
    got = decode_in_blocks(column, lines, spb, fmt, cuts)
    for bit, inv in lines:
        assert got[bit] == reference_decode(line_levels(column, bit, inv), spb, fmt)


# -- polarity and baud helpers against the byte-wise versions they replaced -----------------------
def reference_idle_inverted(levels: bytes) -> bool:
    if not levels:
        return False
    if levels[0] == levels[-1]:
        return levels[0] == 0
    head = levels[:1 << 20]
    return max(map(len, head.split(b"\x01"))) > max(map(len, head.split(b"\x00")))


def reference_widths(levels: bytes, limit: int) -> list[int]:
    edges = [i for i in range(1, len(levels)) if levels[i] != levels[i - 1]]
    return [b - a for a, b in zip(edges, edges[1:], strict=False)][:limit]


def reference_baud(widths: list[int], rate: float) -> int | None:
    ws = sorted(w for w in widths if w >= 2)
    if not ws:
        return None
    need, unit = max(2, len(ws) // 100), None
    for w in ws:
        lo, hi = bisect.bisect_left(ws, w * 0.8), bisect.bisect_right(ws, w * 1.25)
        if hi - lo >= need:
            unit = sum(ws[lo:hi]) / (hi - lo)
            break
    baud = rate / (ws[0] if unit is None else unit)
    best = min((110, 300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 28800, 38400, 57600,
                76800, 115200, 230400, 250000, 460800, 500000, 921600, 1000000),
               key=lambda b: abs(b - baud))
    return best if abs(best - baud) / best < 0.05 else round(baud)


@_SETTINGS
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(1, 40)), max_size=80),
       st.integers(1, 30), st.sampled_from((9600.0, 200_000.0, 1e6, 33_333.0)))
def test_polarity_widths_and_baud_equal_the_bytewise_versions(stretches, limit, rate):
    """issue 16 item 7: the edge-array versions of idle_inverted, pulse_widths and
    estimate_baud give what the byte-wise ones gave."""
    levels = b"".join(bytes([v]) * n for v, n in stretches)
    assert idle_inverted(levels) == reference_idle_inverted(levels)
    assert pulse_widths(levels, limit).tolist() == reference_widths(levels, limit)
    widths = reference_widths(levels, 10**6)
    assert estimate_baud(widths, rate) == reference_baud(widths, rate)


# -- runs from characters against the per-byte assembler ------------------------------------------
@_SETTINGS
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(1, 150), st.integers(0, 255),
                          st.integers(0, 2)), max_size=150),
       st.lists(st.integers(0, 4000), max_size=8), st.integers(1, 9))
def test_runs_from_characters_equal_the_per_byte_assembler(items, cuts, max_run):
    """issue 16 item 7: runs built from character arrays block by block (three lines, two of
    them one direction) equal RunAssembler fed byte by byte in (sample, line) order."""
    rate, gap = 1000.0, 0.1
    lines = [Line(C2S, "f:A", "A"), Line(S2C, "f:B", "B"), Line(C2S, "f:C", "C")]
    per_line: list[list[tuple[int, int, int]]] = [[], [], []]
    clock = [0, 0, 0]
    for line, step, value, err in items:
        clock[line] += step
        per_line[line].append((clock[line], value, err))
    events = sorted((s, k, v, e) for k in range(3) for s, v, e in per_line[k])
    want = list(assemble(((lines[k].direction, v, s / rate, ERROR_KINDS[e], lines[k].source,
                           lines[k].channel) for s, k, v, e in events), gap, max_run))
    builder = CharRuns(lines, rate, gap, max_run)
    got: list[ByteRun] = []
    bounds = sorted({0, *cuts}) + [None]
    for a, b in zip(bounds, bounds[1:], strict=False):
        ready = []
        for k in range(3):
            sel = [(s, v, e) for s, v, e in per_line[k] if s >= a and (b is None or s < b)]
            ready.append(Chars(np.array([s for s, _, _ in sel], np.int64),
                               np.array([v for _, v, _ in sel], np.uint8),
                               np.array([e for _, _, e in sel], np.uint8)))
        got += builder.add(ready, b)
    assert sorted(got, key=_key) == sorted(want, key=_key)
    assert [r.time for r in got] == sorted(r.time for r in got)  # start-time order


def _key(run: ByteRun) -> tuple:
    return run.time, run.channel, run.data


# -- the reader ---------------------------------------------------------------------------
def test_reader_output_does_not_depend_on_the_block_size(tmp_path, monkeypatch):
    """issue 16 item 7: characters and runs that straddle decode blocks come out whole: the
    reader gives the same runs with blocks of 997 samples as with 2**20."""
    runs = session(random.Random(11), 30, 9600, ("framing",))
    path = tmp_path / "b.sr"
    write_sigrok_sr(runs, str(path))
    whole = list(open_capture([str(path)]))
    monkeypatch.setattr(sigrok_sr, "_DECODE", 997)
    monkeypatch.setattr(sigrok_sr, "_CHUNK", 5003)
    assert list(open_capture([str(path)])) == whole
    sent = {d: b"".join(r.data for r in runs if r.direction is d) for d in (C2S, S2C)}
    assert {d: b"".join(r.data for r in whole if r.direction is d) for d in (C2S, S2C)} == sent


def test_reader_unitsize_two_lines_in_the_second_byte(tmp_path):
    """issue 16 item 7: probes in the second byte of 2-byte samples decode like probes 1/2."""
    runs = session(random.Random(5), 10, 9600, ())
    path = tmp_path / "u1.sr"
    write_sigrok_sr(runs, str(path))
    column = sr_samples(path)
    wide = bytes(b for v in column for b in (0x55, v))  # bits 8/9 carry the lines
    meta = ("[device 1]\ncapturefile=logic-1\ntotal probes=16\nsamplerate=200 kHz\n"
            "probe9=TX\nprobe10=RX\nunitsize=2\n")
    wpath = tmp_path / "u2.sr"
    with zipfile.ZipFile(wpath, "w") as zf:
        zf.writestr("version", "2")
        zf.writestr("metadata", meta)
        zf.writestr("logic-1-1", wide[:30001])  # a member that ends inside a sample
        zf.writestr("logic-1-2", wide[30001:])
    got = list(open_capture([str(wpath)], options=CaptureOptions(baud=9600)))
    base = list(open_capture([str(path)]))
    assert [(r.direction, r.data, r.byte_times, r.errors) for r in got] == \
        [(r.direction, r.data, r.byte_times, r.errors) for r in base]
