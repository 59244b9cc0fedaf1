"""A literal, slow model of the guide's reference ``Digest()`` call (Appendix A), used to
cross-check the optimised implementation. It keeps the reference code's (i, j) key
position and its ``bEnd`` semantics, including the block-boundary quirk."""

from __future__ import annotations


def reference_call(data: bytes, key: bytes, state: list[int], pos: list[int], end: bool) -> None:
    """One ``Digest(apduBytes, size, key, state, pState, bEnd, keyLen)`` call, in place."""
    n = len(key)
    iterations = n if n == 6 else n + n // 2
    i, j = pos
    size = len(data)
    idx = 0
    while True:
        while i < iterations:
            key_byte = key[i % n] >> j
            last = state[(8 - j) & 7]
            v = 7 - j
            while True:
                if size:
                    m = data[idx]
                    idx += 1
                    size -= 1
                elif end:
                    m = 0
                else:
                    pos[:] = [i, 7 - v]
                    return
                x = ~(state[v] + v) & 0xFF
                if key_byte & 1:
                    f = ((x << 1) | (x >> 7)) & 0xFF
                else:
                    f = -((x >> 1) | (x << 7)) & 0xFF
                last = state[v] = (last + m + f) & 0xFF
                key_byte >>= 1
                if v == 0:
                    break
                v -= 1
            j = 0
            i += 1
        i = 0
        if not size:
            break
    pos[:] = [i, j]


def reference_oneshot(key: bytes, data: bytes) -> bytes:
    state, pos = [0] * 8, [0, 0]
    reference_call(data, key, state, pos, True)
    return bytes(state)


def reference_split(key: bytes, *parts: bytes) -> bytes:
    """Chained ``bEnd = FALSE`` calls for each part, then ``bEnd = TRUE`` with no data."""
    state, pos = [0] * 8, [0, 0]
    for part in parts:
        reference_call(part, key, state, pos, False)
    reference_call(b"", key, state, pos, True)
    return bytes(state)
