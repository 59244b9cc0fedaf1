"""Byte-run sessions for the capture-format tests (a module of its own: ``conftest`` is not
importable by name when several test folders each have one)."""

from __future__ import annotations

import random

from osgpdissect.bytestream import ByteRun, Direction, LineError


def make_session(n: int = 8, baud: int = 9600, seed: int = 7, t0: float = 0.1) -> list[ByteRun]:
    """Alternating C->S / S->C runs, bytes 1.5 character times apart, runs 50 ms apart.

    Run 3 has a framing error in the middle.  Times are rounded to microseconds.
    """
    rng = random.Random(seed)
    char = 10 / baud
    runs = []
    t = t0
    for k in range(n):
        d = Direction.C2S if k % 2 == 0 else Direction.S2C
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(2, 40)))
        times = tuple(round(t + i * 1.5 * char, 6) for i in range(len(data)))
        errors = (LineError(len(data) // 2, "framing"),) if k == 3 else ()
        runs.append(ByteRun(d, data, times[0], times, errors, "session"))
        t = times[-1] + 0.05
    return runs
