"""UART framing on sampled logic levels: decode (start bit, LSB-first data, parity, stop) and
synthesize waveforms.  Levels are ``bytes`` holding one 0/1 value per sample, 1 = idle (mark).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["UartFormat", "UartDecoder", "level_table", "pulse_widths", "estimate_baud",
           "frame_levels", "STANDARD_BAUDS"]

STANDARD_BAUDS = (110, 300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 28800, 38400, 57600,
                  76800, 115200, 230400, 250000, 460800, 500000, 921600, 1000000)
_ONE = b"\x01"
_ZERO = b"\x00"


@dataclass(frozen=True)
class UartFormat:
    """Character format: data bits, parity (none/even/odd/mark/space), stop bits."""

    data_bits: int = 8
    parity: str = "none"
    stop_bits: float = 1.0

    @property
    def frame_bits(self) -> float:
        return 1 + self.data_bits + (self.parity != "none") + self.stop_bits

    def parity_bit(self, value: int) -> int:
        ones = bin(value & ((1 << self.data_bits) - 1)).count("1")
        return {"even": ones & 1, "odd": (ones & 1) ^ 1, "mark": 1, "space": 0}.get(self.parity, 1)


def idle_inverted(levels: bytes) -> bool:
    """Whether a line whose 0/1 ``levels`` (not inverted) idles low, i.e. is inverted.

    A UART line rests at its idle level between characters and starts each character with a
    start bit of the other level.  A capture starts and ends on idle line as a rule: when both
    ends agree, that is the idle level; otherwise the longest steady stretch of the first
    samples is idle time (a character holds one level at most ``data bits + 2`` bit times).
    A vote on which level is more frequent fails on busy lines sending many 0x00 bytes
    (issue 21 item 8).
    """
    if not levels:
        return False
    if levels[0] == levels[-1]:
        return levels[0] == 0
    head = levels[:_IDLE_SCAN]
    high = max(map(len, head.split(b"\x00")))
    low = max(map(len, head.split(b"\x01")))
    return low > high


_IDLE_SCAN = 1 << 20  # samples searched for the longest steady stretch


def level_table(bit: int, invert: bool) -> bytes:
    """A ``bytes.translate`` table turning sample bytes into 0/1 levels of ``bit``."""
    mask = 1 << bit
    return bytes((1 if (i & mask) else 0) ^ invert for i in range(256))


class UartDecoder:
    """Decodes one channel's level stream fed in consecutive pieces.

    :meth:`feed` returns ``(sample_index, value, error)`` for every complete character;
    ``error`` is None, ``"framing"`` (stop bit low) or ``"parity"``.  A character cut by the
    end of a piece is kept and finished with the next piece.
    """

    def __init__(self, samples_per_bit: float, fmt: UartFormat) -> None:
        if samples_per_bit < 2:
            raise ValueError(f"sample rate too low for the baud rate ({samples_per_bit:.2f} samples per bit)")
        self.fmt = fmt
        self.spb = samples_per_bit
        self._data = [round(samples_per_bit * (k + 1.5)) for k in range(fmt.data_bits)]
        nd = 1 + fmt.data_bits
        self._par = round(samples_per_bit * (nd + 0.5)) if fmt.parity != "none" else None
        self._stop = round(samples_per_bit * (nd + (fmt.parity != "none") + 0.5))
        self._mid = round(samples_per_bit * 0.5)
        self._carry = b""
        self.base = 0  # absolute sample index of the first sample not yet consumed

    def feed(self, levels: bytes, final: bool = False) -> list[tuple[int, int, str | None]]:
        buf = self._carry + levels if self._carry else levels
        base = self.base
        n = len(buf)
        out: list[tuple[int, int, str | None]] = []
        append = out.append
        data, par, stop, mid = self._data, self._par, self._stop, self._mid
        fmt = self.fmt
        pos = 0
        while True:
            hi = buf.find(_ONE, pos)
            if hi < 0:
                self._carry, self.base = b"", base + n
                break
            start = buf.find(_ZERO, hi)
            if start < 0:
                self._carry, self.base = buf[-1:], base + n - 1
                break
            if start + stop >= n:
                if final:
                    self._carry, self.base = b"", base + n
                else:
                    self._carry, self.base = buf[start - 1:], base + start - 1
                break
            if buf[start + mid]:  # glitch, not a start bit
                pos = start + 1
                continue
            value = 0
            for k, off in enumerate(data):
                if buf[start + off]:
                    value |= 1 << k
            error = None
            if par is not None and buf[start + par] != fmt.parity_bit(value):
                error = "parity"
            if not buf[start + stop]:
                error = "framing"
            append((base + start, value, error))
            pos = start + stop
        return out


def pulse_widths(levels: bytes, limit: int = 20000) -> list[int]:
    """Lengths (in samples) of complete constant-level stretches, up to ``limit`` of them."""
    widths: list[int] = []
    if not levels:
        return widths
    level = levels[0]
    pos = levels.find(_ZERO if level else _ONE)
    if pos < 0:
        return widths
    level ^= 1
    while len(widths) < limit:
        nxt = levels.find(_ZERO if level else _ONE, pos)
        if nxt < 0:
            break
        widths.append(nxt - pos)
        pos, level = nxt, level ^ 1
    return widths


def estimate_baud(widths: Iterable[int], samplerate: float) -> int | None:
    """Estimate the baud rate from the shortest frequent pulse width; snap to a standard rate."""
    ws = sorted(w for w in widths if w >= 2)
    if not ws:
        return None
    need = max(2, len(ws) // 100)
    unit = None
    for w in ws:
        lo, hi = bisect.bisect_left(ws, w * 0.8), bisect.bisect_right(ws, w * 1.25)
        if hi - lo >= need:
            unit = sum(ws[lo:hi]) / (hi - lo)
            break
    if unit is None:
        unit = ws[0]
    baud = samplerate / unit
    best = min(STANDARD_BAUDS, key=lambda b: abs(b - baud))
    return best if abs(best - baud) / best < 0.05 else round(baud)


def frame_levels(value: int, fmt: UartFormat, error: str | None = None) -> list[int]:
    """Bit levels of one character: start 0, data LSB first, parity, stop 1s.

    ``error="framing"`` drives the stop bit low; ``"parity"`` inverts the parity bit.
    """
    bits = [0] + [(value >> k) & 1 for k in range(fmt.data_bits)]
    if fmt.parity != "none":
        p = fmt.parity_bit(value)
        bits.append(p ^ 1 if error == "parity" else p)
    stop = 0 if error in ("framing", "break") else 1
    bits.extend([stop] * int(fmt.stop_bits + 0.5))
    return bits


def waveform(chars: Iterable[tuple[float, int, str | None]], samples_per_bit: float,
             fmt: UartFormat, piece: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
    """Yield ``(start_sample, level_bytes)`` pieces of one line for ``(sample, value, error)``
    characters; gaps between pieces are idle.  A character never starts before the previous one
    ends.
    """
    frame = fmt.frame_bits
    cur_start, cur = 0, bytearray()
    next_free = 0
    for sample, value, error in chars:
        s = max(int(round(sample)), next_free)
        bits = frame_levels(value, fmt, error)
        end_of_data = s + round(samples_per_bit * len(bits))
        if s > cur_start + len(cur) or len(cur) >= piece:
            if cur:
                yield cur_start, bytes(cur)
            cur_start, cur = s, bytearray()
        pad = s - (cur_start + len(cur))
        if pad > 0:
            cur += _ONE * pad
        for k, b in enumerate(bits):
            a, z = s + round(samples_per_bit * k), s + round(samples_per_bit * (k + 1))
            cur += (_ONE if b else _ZERO) * (z - a)
        next_free = max(end_of_data, s + round(samples_per_bit * frame))
    if cur:
        yield cur_start, bytes(cur)
