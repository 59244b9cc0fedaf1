"""UART on sampled logic levels: character format, line polarity and baud rate measured from
the edges, and synthesized waveforms.  Levels hold one 0/1 value per sample (``bytes`` or a
numpy ``uint8`` array), 1 = idle (mark).  Decoding is in :mod:`~osgpdissect.captures.uart_edges`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

__all__ = ["UartFormat", "changes", "idle_inverted", "pulse_widths", "estimate_baud",
           "frame_levels", "waveform", "STANDARD_BAUDS"]

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


def _array(levels: bytes | np.ndarray) -> np.ndarray:
    return levels if isinstance(levels, np.ndarray) else np.frombuffer(levels, dtype=np.uint8)


def changes(levels: np.ndarray) -> np.ndarray:
    """Indices ``i >= 1`` where sample ``i`` differs from sample ``i - 1``."""
    return np.flatnonzero(levels[1:] != levels[:-1]) + 1


def idle_inverted(levels: bytes | np.ndarray) -> bool:
    """Whether a line whose 0/1 ``levels`` (not inverted) idles low, i.e. is inverted.

    A UART line rests at its idle level between characters and starts each character with a
    start bit of the other level.  A capture starts and ends on idle line as a rule: when both
    ends agree, that is the idle level; otherwise the longest steady stretch of the first
    samples is idle time (a character holds one level at most ``data bits + 2`` bit times).
    A vote on which level is more frequent fails on busy lines sending many 0x00 bytes
    (issue 21 item 8).
    """
    lv = _array(levels)
    if not len(lv):
        return False
    if lv[0] == lv[-1]:
        return bool(lv[0] == 0)
    head = lv[:IDLE_SCAN]
    stretches = np.diff(np.concatenate(([0], changes(head), [len(head)])))
    even = int(stretches[0::2].max())  # stretches at the first sample's level
    odd = int(stretches[1::2].max()) if len(stretches) > 1 else 0
    high, low = (even, odd) if head[0] else (odd, even)
    return low > high


IDLE_SCAN = 1 << 20  # samples searched for the longest steady stretch


def pulse_widths(levels: bytes | np.ndarray, limit: int = 20000) -> np.ndarray:
    """Lengths (in samples) of complete constant-level stretches, up to ``limit`` of them."""
    return np.diff(changes(_array(levels))[:limit + 1])


def estimate_baud(widths: Iterable[int] | np.ndarray, samplerate: float) -> int | None:
    """Estimate the baud rate from the shortest frequent pulse width; snap to a standard rate."""
    ws = np.sort(np.fromiter(widths, dtype=np.int64) if not isinstance(widths, np.ndarray)
                 else widths.astype(np.int64))
    ws = ws[ws >= 2]
    if not len(ws):
        return None
    need = max(2, len(ws) // 100)
    lo = np.searchsorted(ws, ws * 0.8, "left")
    hi = np.searchsorted(ws, ws * 1.25, "right")
    frequent = np.flatnonzero(hi - lo >= need)
    if len(frequent):
        a, b = int(lo[frequent[0]]), int(hi[frequent[0]])
        unit = int(ws[a:b].sum()) / (b - a)
    else:
        unit = int(ws[0])
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
