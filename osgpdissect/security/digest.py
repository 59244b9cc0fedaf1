"""The OSGP keyed digest ("OMA digest" family) used to authenticate MEP RC4-mode frames.

State: 8 bytes, zero at the start. Each message byte is one step and consumes one key bit:
step ``t`` of a block uses bit ``t % 8`` (LSB first) of key byte ``t // 8`` (mod key length)
and rewrites state byte ``v = 7 - t % 8`` as::

    x    = ~(S[v] + v)
    S[v] = S[(v + 1) % 8] + m + (rotl1(x) if bit else -rotr1(x))     (all mod 256)

A block is 1.5 key lengths of key bytes (24 for a 16-byte key, i.e. 192 message bytes); the
state and key position carry across blocks. Finishing zero-pads to the end of the current
block; the state is the digest.

Block-boundary quirk. The reference code's final call (``bEnd = TRUE`` with no data) always
runs at least one step, so a *split* computation (``update(msg)`` then an empty final call)
of a message whose length is a non-zero multiple of 192 pads a whole extra zero block, while
a *one-shot* call does not. This module defaults to the one-shot form
(:func:`digest`, :meth:`Digest.final`); pass ``reference_quirk=True`` to
:meth:`Digest.final` for the split form. Both forms pad an empty message to one zero block.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["DIGEST_SIZE", "Digest", "block_size", "digest"]

DIGEST_SIZE = 8


def block_size(key_len: int) -> int:
    """Message bytes per digest block for a key of ``key_len`` bytes (192 for 16)."""
    iterations = key_len if key_len == 6 else key_len + key_len // 2
    return 8 * iterations


def _step_table(v: int, bit: int) -> bytes:
    """f(S[v]) for all 256 values of S[v] at state index ``v`` with key bit ``bit``."""
    out = bytearray(256)
    for s in range(256):
        x = ~(s + v) & 0xFF
        if bit:
            out[s] = ((x << 1) | (x >> 7)) & 0xFF
        else:
            out[s] = -((x >> 1) | (x << 7)) & 0xFF
    return bytes(out)


_TABLES = {(v, bit): _step_table(v, bit) for v in range(8) for bit in (0, 1)}


@lru_cache(maxsize=64)
def _key_tables(key: bytes) -> tuple[tuple[bytes, ...], ...]:
    """Per key byte of one block: the 8 step tables for state indices 7..0 (step order)."""
    n = len(key)
    rows = []
    for i in range(block_size(n) // 8):
        kb = key[i % n]
        rows.append(tuple(_TABLES[(7 - j, (kb >> j) & 1)] for j in range(8)))
    return tuple(rows)


class Digest:
    """Streaming OSGP digest: ``update()`` any number of times, then ``final()``.

    Equivalent to the reference code's chained calls with ``bEnd = FALSE``; the key
    position is kept between calls, so ``update(a); update(b)`` equals ``update(a + b)``.
    """

    __slots__ = ("_block", "_count", "_pos", "_rows", "_state")

    def __init__(self, key: bytes) -> None:
        if len(key) < 2 or len(key) % 2:
            raise ValueError(f"digest key must have an even length >= 2, got {len(key)} bytes")
        self._rows = _key_tables(bytes(key))
        self._block = block_size(len(key))
        self._state = [0] * 8
        self._pos = 0  # step index within the current block
        self._count = 0  # message bytes consumed in total

    def __repr__(self) -> str:
        return f"<Digest pos={self._pos} consumed={self._count}>"

    def copy(self) -> Digest:
        """An independent copy of the running computation."""
        other = Digest.__new__(Digest)
        other._rows, other._block = self._rows, self._block
        other._state, other._pos, other._count = list(self._state), self._pos, self._count
        return other

    @property
    def position(self) -> int:
        """Step index within the current block (0 at a block boundary)."""
        return self._pos

    def update(self, data: bytes) -> Digest:
        """Feed message bytes; returns ``self`` for chaining."""
        mv = memoryview(bytes(data))
        n = len(mv)
        if not n:
            return self
        self._count += n
        s = self._state
        rows, pos, block = self._rows, self._pos, self._block
        idx = 0
        # Slow path up to the next key-byte boundary.
        while idx < n and pos % 8:
            pos, idx = self._step(s, rows, pos, mv[idx]), idx + 1
            pos %= block
        # Fast path: whole key bytes, 8 message bytes each.
        full_end = idx + ((n - idx) // 8) * 8
        if idx < full_end:
            s0, s1, s2, s3, s4, s5, s6, s7 = s
            kb = pos // 8
            nkb = block // 8
            while idx < full_end:
                t7, t6, t5, t4, t3, t2, t1, t0 = rows[kb]
                m0, m1, m2, m3, m4, m5, m6, m7 = mv[idx : idx + 8]
                s7 = (s0 + m0 + t7[s7]) & 0xFF
                s6 = (s7 + m1 + t6[s6]) & 0xFF
                s5 = (s6 + m2 + t5[s5]) & 0xFF
                s4 = (s5 + m3 + t4[s4]) & 0xFF
                s3 = (s4 + m4 + t3[s3]) & 0xFF
                s2 = (s3 + m5 + t2[s2]) & 0xFF
                s1 = (s2 + m6 + t1[s1]) & 0xFF
                s0 = (s1 + m7 + t0[s0]) & 0xFF
                idx += 8
                kb += 1
                if kb == nkb:
                    kb = 0
            s[:] = (s0, s1, s2, s3, s4, s5, s6, s7)
            pos = kb * 8
        # Slow path for the tail.
        while idx < n:
            pos, idx = self._step(s, rows, pos, mv[idx]), idx + 1
        self._pos = pos % block
        return self

    @staticmethod
    def _step(s: list[int], rows: tuple[tuple[bytes, ...], ...], pos: int, m: int) -> int:
        j = pos % 8
        v = 7 - j
        s[v] = (s[(v + 1) & 7] + m + rows[pos // 8][j][s[v]]) & 0xFF
        return pos + 1

    def final(self, data: bytes = b"", *, reference_quirk: bool = False) -> bytes:
        """Feed ``data``, zero-pad to the end of the block and return the 8-byte digest.

        The running object is not modified. One-shot semantics by default: a message
        ending exactly on a block boundary gets no padding. With ``reference_quirk`` an
        empty final call at a block boundary pads a whole zero block, like the reference
        code's ``bEnd = TRUE, apduSize = 0`` call after chained ``bEnd = FALSE`` calls.
        """
        work = self.copy().update(data)
        pad = (-work._pos) % work._block
        if pad == 0 and (work._count == 0 or (reference_quirk and not data)):
            pad = work._block
        if pad:
            work.update(bytes(pad))
        return bytes(work._state)


def digest(key16: bytes, data: bytes) -> bytes:
    """One-shot OSGP digest of ``data`` under ``key16`` (8 bytes)."""
    return Digest(key16).final(data)
