"""UART characters decoded from logic samples with numpy, a block of samples at a time.

The transitions of a block are found in one pass (``np.flatnonzero`` of the differences); a
start bit is a falling edge (after polarity) whose half-bit sample is still low; each bit is
read at its centre by indexing the block at the start edges plus the bit offsets.  The only
Python loop steps from one character to the next (a start edge found inside a character is
skipped), so idle line and the samples of a character cost nothing in Python.

The result equals a sample-by-sample decoder: from position ``pos`` (initially 0) the next
start is the first falling edge ``f > pos`` whose sample ``f + mid`` is low; a character read
at ``f`` moves ``pos`` to ``f + stop``.  A character whose stop-bit sample lies past the end
of a block is finished with the next block (its samples are carried over).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from osgpdissect.captures.uart import UartFormat

__all__ = ["Chars", "ERROR_KINDS", "FrameGeometry", "ColumnDecoder"]

ERROR_KINDS: tuple[str | None, ...] = (None, "parity", "framing")  # Chars.errors codes
_ONES_ODD = np.array([bin(v).count("1") & 1 for v in range(256)], dtype=np.uint8)


@dataclass(frozen=True)
class Chars:
    """Decoded characters of one line: start samples (absolute), values, error codes
    (indices into :data:`ERROR_KINDS`)."""

    samples: np.ndarray
    values: np.ndarray
    errors: np.ndarray

    @classmethod
    def empty(cls) -> Chars:
        return cls(np.empty(0, np.int64), np.empty(0, np.uint8), np.empty(0, np.uint8))

    def __len__(self) -> int:
        return len(self.samples)

    def split(self, before: int) -> tuple[Chars, Chars]:
        """The characters starting before sample ``before``, and the rest."""
        k = int(np.searchsorted(self.samples, before))
        return (Chars(self.samples[:k], self.values[:k], self.errors[:k]),
                Chars(self.samples[k:], self.values[k:], self.errors[k:]))

    @classmethod
    def join(cls, parts: list[Chars]) -> Chars:
        parts = [p for p in parts if len(p)]
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return cls.empty()
        return cls(np.concatenate([p.samples for p in parts]),
                   np.concatenate([p.values for p in parts]),
                   np.concatenate([p.errors for p in parts]))


class FrameGeometry:
    """Sample offsets, from a start edge, of the bit centres of one character."""

    def __init__(self, samples_per_bit: float, fmt: UartFormat) -> None:
        if samples_per_bit < 2:
            raise ValueError("sample rate too low for the baud rate "
                             f"({samples_per_bit:.2f} samples per bit)")
        self.fmt = fmt
        self.data = np.array([round(samples_per_bit * (k + 1.5)) for k in range(fmt.data_bits)],
                             dtype=np.int64)
        nd = 1 + fmt.data_bits
        self.parity = round(samples_per_bit * (nd + 0.5)) if fmt.parity != "none" else None
        self.stop = round(samples_per_bit * (nd + (fmt.parity != "none") + 0.5))
        self.mid = round(samples_per_bit * 0.5)

    def expected_parity(self, values: np.ndarray) -> np.ndarray:
        """The parity bit each value should carry."""
        odd = _ONES_ODD[values]
        return {"even": odd, "odd": odd ^ 1, "mark": np.ones_like(odd),
                "space": np.zeros_like(odd)}[self.fmt.parity]


class ColumnDecoder:
    """Decodes the UART lines held in one byte column of the samples, fed in blocks.

    ``lines`` are ``(bit, inverted)`` pairs: the bit of the column byte, and whether the line
    idles low.  :meth:`feed` returns one :class:`Chars` per line.
    """

    def __init__(self, geometry: FrameGeometry, lines: list[tuple[int, bool]]) -> None:
        self.geometry = geometry
        self.lines = lines
        self._carry = np.empty(0, np.uint8)
        self._base = 0  # absolute sample index of the carry's first sample
        self._pos = [0] * len(lines)  # per line: the next start edge lies after this sample

    @property
    def next_start(self) -> int:
        """No character decoded later starts before this sample."""
        return min(self._pos) + 1

    def feed(self, column: np.ndarray, final: bool = False) -> list[Chars]:
        """Decode a block of column bytes; ``final`` when no block follows."""
        buf = np.concatenate((self._carry, column)) if len(self._carry) else column
        base, n = self._base, len(buf)
        stop = self.geometry.stop
        edges = np.flatnonzero(buf[1:] != buf[:-1]) + 1
        before, after = buf[edges - 1], buf[edges]
        out = []
        keep = n
        for k, (bit, inverted) in enumerate(self.lines):
            was = (before >> bit) & 1
            falling = edges[(was != ((after >> bit) & 1)) & (was == (not inverted))]
            pos = self._pos[k] - base
            chars = self._decode(buf, base, falling, pos, bit, inverted)
            if len(chars):
                pos = int(chars.samples[-1]) - base + stop
            pos = max(pos, n - stop - 1)
            self._pos[k] = base + pos
            keep = min(keep, pos)
            out.append(chars)
        if final:
            self._carry, self._base = np.empty(0, np.uint8), base + n
        else:
            self._carry, self._base = buf[keep:].copy(), base + keep
        return out

    def _decode(self, buf: np.ndarray, base: int, falling: np.ndarray, pos: int, bit: int,
                inverted: bool) -> Chars:
        g = self.geometry
        n = len(buf)
        lo = int(np.searchsorted(falling, pos + 1))
        hi = int(np.searchsorted(falling, n - g.stop))
        edges = falling[lo:hi]
        if not len(edges):
            return Chars.empty()

        def level(index: np.ndarray) -> np.ndarray:
            lv = (buf[index] >> bit) & 1
            return lv ^ 1 if inverted else lv

        starts = edges[level(edges + g.mid) == 0]  # a high half-bit sample is a glitch
        starts = starts[_chain(starts, g.stop)]
        if not len(starts):
            return Chars.empty()
        bits = level(starts[:, None] + g.data[None, :])
        values = np.packbits(bits, axis=1, bitorder="little")[:, 0]
        errors = np.zeros(len(starts), np.uint8)
        if g.parity is not None:
            errors[level(starts + g.parity) != g.expected_parity(values)] = 1
        errors[level(starts + g.stop) == 0] = 2
        return Chars(starts + base, values, errors)


def _chain(starts: np.ndarray, stop: int) -> list[int]:
    """Indices of the start edges actually read: the first, then each next edge after the
    previous character's stop-bit sample."""
    if not len(starts):
        return []
    following = np.searchsorted(starts, starts + (stop + 1)).tolist()
    taken = []
    i, m = 0, len(following)
    while i < m:
        taken.append(i)
        i = following[i]
    return taken
