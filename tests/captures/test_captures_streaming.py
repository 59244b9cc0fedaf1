"""Reading large generated files keeps memory flat (generators all the way)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from osgpdissect.captures import open_capture


def _peak_while_reading(paths: list[str]) -> tuple[int, int]:
    tracemalloc.start()
    try:
        nbytes = sum(len(r.data) for r in open_capture(paths))
        return nbytes, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_large_hex_text_streams(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    line = " ".join(f"{i:02x}" for i in range(64))
    with open(p, "w") as f:
        for i in range(60_000):
            f.write(f"{i * 0.05:.6f} {'C->S' if i % 2 == 0 else 'S->C'} {line}\n")
    size = p.stat().st_size
    nbytes, peak = _peak_while_reading([str(p)])
    assert nbytes == 60_000 * 64
    assert peak < size / 20, (peak, size)


def test_large_saleae_csv_streams(tmp_path: Path) -> None:
    p = tmp_path / "big.csv"
    with open(p, "w") as f:
        f.write("Time [s],Value,Parity Error,Framing Error\n")
        t = 0.0
        for i in range(300_000):
            t += 0.00104 if i % 100 else 0.05
            f.write(f"{t:.15f},0x{i & 0xFF:02X},,\n")
    size = p.stat().st_size
    nbytes, peak = _peak_while_reading([f"{p}:rx"])
    assert nbytes == 300_000
    assert peak < size / 20, (peak, size)
