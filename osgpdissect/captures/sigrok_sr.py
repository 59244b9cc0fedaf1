"""sigrok ``.sr`` session files: read logic samples and decode UART; write UART waveforms.

A session is a ZIP holding ``version`` (``2``), an INI ``metadata`` (``[device 1]`` with
``capturefile=logic-1``, ``total probes``, ``samplerate=200 kHz``, ``probe1=TX``...,
``unitsize``) and sample chunks ``logic-1-1``, ``logic-1-2``... (version 1: one ``logic-1``).
Probe *n* is bit *n-1* of each little-endian ``unitsize``-byte sample.  Probe names map to
directions through ``options.channels`` or by containing TX/RX (C->S, meter...).
"""

from __future__ import annotations

import configparser
import math
import os
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from itertools import tee
from typing import IO, TYPE_CHECKING

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures.base import CaptureError, CaptureOptions, Source, guess_direction
from osgpdissect.captures.direction import resolve_lines

if TYPE_CHECKING:  # numpy and the UART modules load when samples are decoded or written
    import numpy as np

    from osgpdissect.captures.uart import UartFormat

__all__ = ["read", "sniff", "write_sigrok_sr", "SrInfo", "read_info"]

_CHUNK = 4 << 20  # samples per piece read from / written to the ZIP
_MAX_META = 1 << 20  # bytes of the metadata member
_MIN_EDGES = 10  # falling edges for a channel to count as carrying UART characters
_DECODE = 1 << 20  # samples decoded at a time (bounds the edge arrays)
_WIDTHS = 20000  # pulse widths per line the baud estimate looks at
_PREFETCH = 16 << 20  # bytes of samples looked at to estimate baud and idle level
_RATE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([kMG]?)\s*Hz\s*$", re.I)
_PREFIX = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}


MAX_SAMPLERATE = 1e10  # 10 GHz: far above any logic analyzer; more is a damaged file


def sniff(head: bytes) -> bool:
    """True for a ZIP whose first entry is a sigrok ``version`` or ``metadata`` member."""
    return head[:4] == b"PK\x03\x04" and head[30:30 + 7] in (b"version", b"metadat")


def parse_samplerate(text: str) -> float:
    """``200 kHz`` -> 200000.0 (also a bare number of Hz).  Raises ValueError."""
    t = text.strip()
    try:
        return float(t)
    except ValueError:
        pass
    m = _RATE.match(t)
    if not m:
        raise ValueError(f"bad samplerate {text!r}")
    return float(m.group(1)) * _PREFIX[m.group(2).lower()]


def format_samplerate(rate: int) -> str:
    """Format a samplerate like libsigrok (``200 kHz``, ``1 MHz``, ``9600 Hz``)."""
    for unit, div in (("GHz", 10**9), ("MHz", 10**6), ("kHz", 10**3)):
        if rate >= div:
            if rate % div == 0:
                return f"{rate // div} {unit}"
            return f"{rate / div:g} {unit}"
    return f"{rate} Hz"


class SrInfo:
    """What ``metadata`` says: samplerate, probe names by bit, unitsize, chunk member names."""

    def __init__(self, samplerate: float, probes: dict[int, str], unitsize: int,
                 members: list[str]) -> None:
        self.samplerate = samplerate
        self.probes = probes
        self.unitsize = unitsize
        self.members = members


def _small_member(zf: zipfile.ZipFile, name: str, path: str) -> bytes:
    """A text member read with a size limit (its header's size may lie: the read is bounded)."""
    with zf.open(name) as f:
        data = f.read(_MAX_META + 1)
    if len(data) > _MAX_META:
        raise CaptureError(f"{path}: sigrok member {name!r} is larger than {_MAX_META >> 10} KiB "
                           "(a session's metadata is a few lines): not a sigrok session")
    return data


def read_info(zf: zipfile.ZipFile, path: str) -> SrInfo:
    """Parse and check ``metadata`` of an open session ZIP; raise CaptureError when unusable."""
    names = set(zf.namelist())
    if "metadata" not in names:
        raise CaptureError(f"{path}: not a sigrok session (no metadata member)")
    text = _small_member(zf, "metadata", path).decode("utf-8", "replace")
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cp.read_string(text)
    except configparser.Error as exc:
        raise CaptureError(f"{path}: bad sigrok metadata: {str(exc).splitlines()[0]}") from None
    for section in cp.sections():
        if not section.startswith("device") or "capturefile" not in cp[section]:
            continue
        sec = cp[section]
        try:
            samplerate = parse_samplerate(sec.get("samplerate", ""))
            unitsize = int(sec.get("unitsize", "1"))
        except ValueError as exc:
            raise CaptureError(f"{path}: bad sigrok metadata in [{section}]: {exc}") from None
        if not (math.isfinite(samplerate) and 0 < samplerate <= MAX_SAMPLERATE):
            raise CaptureError(f"{path}: bad samplerate {sec.get('samplerate', '')!r} in "
                               f"[{section}]: must be above 0 and at most "
                               f"{format_samplerate(int(MAX_SAMPLERATE))}")
        if not 1 <= unitsize <= 8:
            raise CaptureError(f"{path}: bad unitsize in [{section}]")
        probes: dict[int, str] = {}
        for key, value in sec.items():
            m = re.fullmatch(r"probe(\d+)", key)
            if m and 1 <= int(m.group(1)) <= unitsize * 8:
                probes[int(m.group(1)) - 1] = value.strip()
        base = sec["capturefile"].strip()
        members = []
        n = 1
        while f"{base}-{n}" in names:
            members.append(f"{base}-{n}")
            n += 1
        if not members and base in names:
            members = [base]
        return SrInfo(samplerate, probes, unitsize, members)
    raise CaptureError(f"{path}: sigrok metadata has no device with logic samples")


def read(src: Source, opts: CaptureOptions) -> Iterator[ByteRun]:
    """Decode the UART channels of a ``.sr`` session into runs."""
    try:
        with zipfile.ZipFile(src.path) as zf:
            info = read_info(zf, src.path)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, NotImplementedError,
            RuntimeError) as exc:  # (an unsupported ZIP version or an encrypted member)
        raise CaptureError(f"{src.path}: cannot read sigrok session: {exc}") from None
    chans: list[tuple[int, str, Direction]] = []
    for bit, name in sorted(info.probes.items()):
        d = opts.channels.get(name) or guess_direction(name)
        if d is None and src.direction is not None and len(info.probes) == 1:
            d = src.direction
        if d is not None:
            chans.append((bit, name, d))
    if len({d for _, _, d in chans}) < 2 and len(info.probes) > len(chans):
        chans = _by_content(src, opts, info, chans)
    if not chans:
        listed = ", ".join(info.probes.values()) or "none"
        raise CaptureError(f"{src.path}: no channel carries UART bytes (channels: {listed}); "
                           f"map them, e.g. -o channels=D0:tx,D1:rx")
    return _runs(src, opts, info, chans)


def _by_content(src: Source, opts: CaptureOptions, info: SrInfo,
                named: list[tuple[int, str, Direction]]) -> list[tuple[int, str, Direction]]:
    """Channels chosen when names do not decide: those that carry UART characters in the
    first samples, given directions by their names or else their content."""
    import numpy as np

    from osgpdissect.captures.uart import UartFormat, estimate_baud, idle_inverted, pulse_widths
    from osgpdissect.captures.uart_edges import ColumnDecoder, FrameGeometry

    with zipfile.ZipFile(src.path) as zf:
        blocks: list[bytes] = []
        size = 0
        for block in _samples(zf, info, path=src.path):
            blocks.append(block)
            size += len(block)
            if size >= _PREFETCH:
                break
    first = np.frombuffer(b"".join(blocks), dtype=np.uint8)
    del blocks
    lines: dict[str, bytes] = {}
    bits: dict[str, int] = {}
    fmt = UartFormat(opts.data_bits, opts.parity, opts.stop_bits)
    for bit, name in sorted(info.probes.items()):
        raw = _levels(first, bit, info.unitsize)
        if np.count_nonzero(raw[1:] > raw[:-1]) < _MIN_EDGES:
            continue  # a line that does not toggle carries nothing
        inv = opts.invert if opts.invert is not None else idle_inverted(raw)
        levels = raw ^ 1 if inv else raw
        baud = opts.baud or estimate_baud(pulse_widths(levels), info.samplerate)
        if not baud or info.samplerate / baud < 2:  # (0: a rate too low to measure a baud)
            continue
        decoder = ColumnDecoder(FrameGeometry(info.samplerate / baud, fmt), [(0, False)])
        (chars,) = decoder.feed(levels, True)
        lines[name] = chars.values[chars.errors == 0].tobytes()
        bits[name] = bit
    if not lines:
        return named
    directions = resolve_lines(src.path, lines, opts.channels, opts.notes, "channel",
                               os.path.basename(src.path))
    return [(bits[name], name, d) for name, d in directions.items()]


def _samples(zf: zipfile.ZipFile, info: SrInfo, max_samples: int | None = None,
             path: str = "") -> Iterator[bytes]:
    step = _CHUNK * info.unitsize
    rest = b""
    total = 0
    for member in info.members:
        with _opened(zf, member, path) as f:
            while True:
                block = _read_block(f, step, member, path)
                if not block:
                    break
                total += len(block)
                if max_samples is not None and total > max_samples * info.unitsize:
                    raise CaptureError(
                        f"{path}: more than {max_samples} samples per channel (max_samples): "
                        f"pass -o max_samples=N to decode a longer capture")
                if rest:
                    block = rest + block
                cut = len(block) - len(block) % info.unitsize
                rest = block[cut:]
                if cut:
                    yield block[:cut]


_ZIP_FAULTS = (OSError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
               RuntimeError)  # RuntimeError: an encrypted member; NotImplementedError: a ZIP
#                               version or compression this reader does not have


def _opened(zf: zipfile.ZipFile, member: str, path: str) -> IO[bytes]:
    try:
        return zf.open(member)
    except _ZIP_FAULTS as exc:
        raise CaptureError(f"{path}: cannot read sigrok member {member}: {exc}") from None


def _read_block(f: IO[bytes], size: int, member: str, path: str) -> bytes:
    try:
        return f.read(size)
    except _ZIP_FAULTS as exc:
        raise CaptureError(f"{path}: cannot read sigrok member {member}: {exc}") from None


def _column(samples: np.ndarray, byte: int, unitsize: int) -> np.ndarray:
    """Byte ``byte`` of each ``unitsize``-byte sample (a view)."""
    return samples if unitsize == 1 else samples[byte::unitsize]


def _levels(samples: np.ndarray, bit: int, unitsize: int) -> np.ndarray:
    """Probe bit ``bit`` of each sample as 0/1 (not inverted)."""
    return (_column(samples, bit // 8, unitsize) >> (bit % 8)) & 1


def _line_start(blocks: list[bytes], bit: int, unitsize: int) -> tuple[bool, np.ndarray]:
    """Polarity (:func:`idle_inverted`) and the first pulse widths of probe ``bit`` in the
    first sample blocks, looking only at the samples they need."""
    import numpy as np

    from osgpdissect.captures.uart import IDLE_SCAN, changes, idle_inverted

    shift = bit % 8
    head: list[np.ndarray] = []
    edges: list[np.ndarray] = []
    size = found = offset = 0
    previous = np.empty(0, np.uint8)  # the last level of the block before
    last = None
    for block in blocks:
        column = _column(np.frombuffer(block, dtype=np.uint8), bit // 8, unitsize)
        if not len(column):
            continue
        last = (int(column[-1]) >> shift) & 1
        if size < IDLE_SCAN or found <= _WIDTHS:
            levels = (column >> shift) & 1
            if size < IDLE_SCAN:
                head.append(levels[:IDLE_SCAN - size])
            if found <= _WIDTHS:
                more = changes(np.concatenate((previous, levels))) + offset - len(previous)
                edges.append(more)
                found += len(more)
            previous = levels[-1:]
        else:
            previous = (column[-1:] >> shift) & 1
        size += len(column)
        offset += len(column)
    if last is None:
        return False, np.empty(0, np.int64)
    first = np.concatenate(head)
    inverted = idle_inverted(first if size <= IDLE_SCAN else np.append(first, last))
    return inverted, np.diff(np.concatenate(edges)[:_WIDTHS + 1])


def _runs(src: Source, opts: CaptureOptions, info: SrInfo,
          chans: list[tuple[int, str, Direction]]) -> Iterator[ByteRun]:
    """Decode ``chans`` block by block: line polarity and baud from the first samples, then
    characters per block, then runs merged by time."""
    import numpy as np

    from osgpdissect.captures.char_runs import CharRuns, Line
    from osgpdissect.captures.uart import UartFormat, estimate_baud
    from osgpdissect.captures.uart_edges import Chars, ColumnDecoder, FrameGeometry

    path = src.path
    rate = info.samplerate
    with zipfile.ZipFile(path) as zf:
        pieces = _samples(zf, info, opts.max_samples, path)
        prefetch: list[bytes] = []
        size = 0
        for block in pieces:
            prefetch.append(block)
            size += len(block)
            if size >= _PREFETCH:
                break
        inverts: list[bool] = []
        widths: list[np.ndarray] = []
        for bit, _name, _d in chans:
            inv, pulses = _line_start(prefetch, bit, info.unitsize)
            inverts.append(inv if opts.invert is None else opts.invert)
            widths.append(pulses)
        measured = estimate_baud(np.concatenate(widths), rate)
        baud = opts.baud or measured
        if opts.baud and measured and abs(measured - opts.baud) > opts.baud / 10:
            opts.notes.append(f"{path}: the bit timing measures {measured} baud, not the "
                              f"{opts.baud} given: try -o baud={measured}")
        if baud is None:
            return  # no edges at all: an idle capture
        if baud < 1:
            raise CaptureError(f"{path}: samplerate {rate:g} Hz is too low to decode a UART "
                               "(its pulses would be under 1 baud)")
        fmt = UartFormat(opts.data_bits, opts.parity, opts.stop_bits)
        try:
            geometry = FrameGeometry(rate / baud, fmt)
        except ValueError as exc:
            raise CaptureError(f"{path}: {exc}") from None
        columns: dict[int, list[int]] = {}  # byte column -> indices into chans
        for k, (bit, _name, _d) in enumerate(chans):
            columns.setdefault(bit // 8, []).append(k)
        decoders = {byte: ColumnDecoder(geometry, [(chans[k][0] % 8, inverts[k]) for k in ks])
                    for byte, ks in columns.items()}
        runs = CharRuns([Line(d, f"{path}:{name}", name) for _bit, name, d in chans],
                        rate, opts.run_gap, opts.max_run)
        pending = [Chars.empty() for _ in chans]
        for samples, final in _decode_blocks(prefetch, pieces, info.unitsize):
            for byte, ks in columns.items():
                got = decoders[byte].feed(_column(samples, byte, info.unitsize), final)
                for k, chars in zip(ks, got, strict=True):
                    pending[k] = Chars.join([pending[k], chars])
            cutoff = None if final else min(dec.next_start for dec in decoders.values())
            ready = []
            for k in range(len(chans)):
                if cutoff is None:
                    ready.append(pending[k])
                    pending[k] = Chars.empty()
                else:
                    now, pending[k] = pending[k].split(cutoff)
                    ready.append(now)
            yield from runs.add(ready, cutoff)


def _decode_blocks(first: list[bytes], rest: Iterator[bytes],
                   unitsize: int) -> Iterator[tuple[np.ndarray, bool]]:
    """Sample blocks as arrays of at most ``_DECODE`` samples, each with "is the last"."""
    import numpy as np

    step = _DECODE * unitsize
    blocks = _chain_blocks(first, rest)
    block = next(blocks, None)
    while block is not None:
        nxt = next(blocks, None)
        array = np.frombuffer(block, dtype=np.uint8)
        for at in range(0, len(array), step):
            yield array[at:at + step], nxt is None and at + step >= len(array)
        block = nxt


def _chain_blocks(first: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    while first:
        yield first.pop(0)
    yield from rest


_RATES = (1_000, 2_000, 5_000, 10_000, 20_000, 25_000, 50_000, 100_000, 200_000, 250_000,
          500_000, 1_000_000, 2_000_000, 4_000_000, 5_000_000, 8_000_000, 10_000_000,
          12_000_000, 16_000_000, 20_000_000, 24_000_000, 50_000_000, 100_000_000)


def write_sigrok_sr(runs: Iterable[ByteRun], path: str, baud: int = 9600,
                    samplerate: int | None = None, invert: bool = False,
                    names: tuple[str, str] = ("TX", "RX"), data_bits: int = 8,
                    parity: str = "none", stop_bits: float = 1.0,
                    origin: float | None = None) -> None:
    """Synthesize UART waveforms of ``runs`` into a sigrok session ``.sr`` file.

    Probe 1 (``names[0]``) carries C->S, probe 2 S->C; lines idle high (low with ``invert``).
    ``samplerate`` defaults to the smallest common rate giving at least 20 samples per bit.
    Sample 0 is time ``origin``: by default 0 when the first run starts between 12 bit times
    and an hour after 0 (capture-relative times), else 12 bit times before the first byte (a
    decoder needs idle line before the first start bit).  Bytes keep their
    ``byte_times`` (pushed later only if they would overlap); :class:`LineError` kinds
    ``framing``/``break`` give a low stop bit, ``parity`` a wrong parity bit.
    """
    from osgpdissect.captures.uart import UartFormat, waveform

    if samplerate is None:
        samplerate = next((r for r in _RATES if r >= 20 * baud), 20 * baud)
    spb = samplerate / baud
    fmt = UartFormat(data_bits, parity, stop_bits)
    it = iter(runs)
    first = next(it, None)
    if origin is None:
        t0 = first.time if first is not None and first.time is not None else 0.0
        lead = 12 / baud
        origin = 0.0 if lead <= t0 < 3600 else t0 - lead
    runs_all = _prepend(first, it)
    a, b = tee(runs_all, 2)
    lines = [waveform(_chars(a, Direction.C2S, origin, samplerate, spb, fmt), spb, fmt),
             waveform(_chars(b, Direction.S2C, origin, samplerate, spb, fmt), spb, fmt)]
    metadata = (
        "[global]\nsigrok version=0.5.2\n\n[device 1]\ncapturefile=logic-1\n"
        f"total probes=2\nsamplerate={format_samplerate(samplerate)}\ntotal analog=0\n"
        f"probe1={names[0]}\nprobe2={names[1]}\nunitsize=1\n"
    )
    tail = round(spb * 12)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("version"), "2", compress_type=zipfile.ZIP_STORED)
        zf.writestr("metadata", metadata, compress_type=zipfile.ZIP_DEFLATED)
        for n, chunk in enumerate(_mix(lines, invert, tail), 1):
            zf.writestr(f"logic-1-{n}", chunk, compress_type=zipfile.ZIP_DEFLATED)


def _prepend(first: ByteRun | None, rest: Iterator[ByteRun]) -> Iterator[ByteRun]:
    if first is not None:
        yield first
        yield from rest


def _chars(runs: Iterable[ByteRun], direction: Direction, origin: float, rate: float,
           spb: float, fmt: UartFormat) -> Iterator[tuple[float, int, str | None]]:
    frame = spb * fmt.frame_bits
    nxt = 0.0
    for run in runs:
        if run.direction is not direction:
            continue
        kinds = {e.index: e.kind for e in run.errors}
        for i, value in enumerate(run.data):
            t = run.byte_times[i] if i < len(run.byte_times) else (run.time if i == 0 else None)
            s = (t - origin) * rate if t is not None else nxt
            s = max(s, nxt, 0.0)
            yield s, value, kinds.get(i)
            nxt = round(s) + frame


def _mix(lines: list[Iterator[tuple[int, bytes]]], invert: bool, tail: int) -> Iterator[bytes]:
    """Combine per-line level pieces into unitsize-1 sample chunks (line k = bit k)."""
    state = [next(line, None) for line in lines]
    flip = bytes.maketrans(b"\x00\x01", b"\x01\x00")
    last_end = 0
    c0 = 0
    while any(p is not None for p in state):
        c1 = c0 + _CHUNK
        value = 0
        for k, line in enumerate(lines):
            buf = bytearray(b"\x01" * (c1 - c0))
            while state[k] is not None and state[k][0] < c1:
                ps, pb = state[k]
                pe = ps + len(pb)
                last_end = max(last_end, pe)
                lo, hi = max(ps, c0), min(pe, c1)
                if hi > lo:
                    buf[lo - c0:hi - c0] = pb[lo - ps:hi - ps]
                if pe <= c1:
                    state[k] = next(line, None)
                else:
                    break
            if invert:
                buf = buf.translate(flip)
            value |= int.from_bytes(buf, "big") << k
        chunk = value.to_bytes(c1 - c0, "big")
        if all(p is None for p in state):
            total = last_end + tail
            yield chunk[: max(1, total - c0)]
            if total > c1:
                yield bytes([0 if invert else (1 << len(lines)) - 1]) * (total - c1)
            return
        yield chunk
        c0 = c1
