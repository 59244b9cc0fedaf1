"""Benchmark: table reads decoded by the codec (compiled and interpreted) and by a hand-written
``struct`` decoder of the same fields into dicts (values only: no node tree).

    .venv/bin/python bench/bench_codec.py [--rounds 3] [--reads 2000] [--profile compiled]

The corpus is what a meter returns over a session, bytes changing from read to read: BT23 and
BT28 full reads with register values counting up, the BT52 clock ticking, ET13 entries (one
66-byte element per read), and partial reads of BT23/BT28 at offsets.  No decoder caches results
by bytes; compiled structures are cached per layout (built once, before timing).  Prints CPU
seconds per decoder and the ratios.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from osgpdissect import codec  # noqa: E402
from osgpdissect.codec import Device, decode_table, encode_table  # noqa: E402
from osgpdissect.lang.spec import load_default_spec  # noqa: E402

SPEC = load_default_spec()
DEV = Device(SPEC, "gen3")
INT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _leaves(nodes, prefix=""):
    for n in nodes:
        path = f"{prefix}{n.name}"
        if n.children:
            yield from _leaves(n.children, path + ".")
        elif n.size:
            yield path, n.offset, n.size, isinstance(n.value, int) and n.size in INT_CODES


def _layout(table: str) -> tuple[bytes, list]:
    base = encode_table(SPEC, table, {}, DEV)
    leaves = list(_leaves(decode_table(SPEC, table, base, device=DEV).nodes))
    return base, leaves


def _counting(base: bytes, leaves, i: int) -> bytes:
    """The table with every integer of 4+ bytes counting up (a register) and small ones moving."""
    out = bytearray(base)
    for _, off, size, is_int in leaves:
        if is_int and size >= 4:
            out[off : off + size] = ((1000 + 17 * i + off) % (1 << (8 * size - 2))).to_bytes(
                size, "little"
            )
        elif is_int and size == 1:
            out[off] = (i + off) & 0x3F
    return bytes(out)


def _clock(i: int) -> bytes:
    s = 13 * i
    day = (s // 86400) % 12
    return bytes((24, 2, 1 + day, (s // 3600) % 24, (s // 60) % 60, s % 60, 0x10 | (day % 7)))


def corpus(reads: int) -> list[tuple[str, int, bytes]]:
    """(table, offset, bytes) reads, cycling through the session's kinds."""
    bt23, l23 = _layout("BT23")
    bt28, l28 = _layout("BT28")
    et13, l13 = _layout("ET13")
    out: list[tuple[str, int, bytes]] = []
    for i in range(reads):
        k = i % 6
        if k == 0:
            out.append(("BT23", 0, _counting(bt23, l23, i)))
        elif k == 1:
            out.append(("BT28", 0, _counting(bt28, l28, i)))
        elif k == 2:
            out.append(("BT52", 0, _clock(i)))
        elif k == 3:
            entry = (i // 6) % 5
            out.append(("ET13", entry * 66, _counting(et13, l13, i)[entry * 66 : entry * 66 + 66]))
        elif k == 4:
            out.append(
                ("BT23", 100 + (i % 7), _counting(bt23, l23, i)[100 + (i % 7) : 140 + (i % 7)])
            )
        else:
            out.append(("BT28", 10 + (i % 3), _counting(bt28, l28, i)[10 + (i % 3) : 30 + (i % 3)]))
    return out


class StructDecoder:
    """The hand-written baseline: per table (name, offset, struct) fields; values into a dict."""

    def __init__(self, tables):
        self.plans = {}
        for t in tables:
            _, leaves = _layout(t)
            fmt = "<"
            names = []
            pos = 0
            for name, off, size, is_int in sorted(leaves, key=lambda x: x[1]):
                if off < pos:
                    continue
                fmt += f"{off - pos}x" if off > pos else ""
                fmt += INT_CODES[size] if is_int else f"{size}s"
                names.append(
                    (
                        name,
                        off,
                        size,
                        struct.Struct("<" + (INT_CODES[size] if is_int else f"{size}s")),
                    )
                )
                pos = off + size
            self.plans[t] = (struct.Struct(fmt), [n for n, *_ in names], names, pos)

    def decode(self, table: str, offset: int, data: bytes) -> dict:
        whole, names, fields, size = self.plans[table]
        if offset == 0 and len(data) >= size:
            return dict(zip(names, whole.unpack_from(data), strict=True))
        end = offset + len(data)
        return {
            name: s.unpack_from(data, off - offset)[0]
            for name, off, n, s in fields
            if off >= offset and off + n <= end
        }


def run(label: str, fn, reads, rounds: int) -> float:
    best = None
    for _ in range(rounds):
        t0 = time.process_time()
        for table, offset, data in reads:
            fn(table, offset, data)
        dt = time.process_time() - t0
        best = dt if best is None else min(best, dt)
    print(f"{label:<28} {best:8.3f} s CPU  ({len(reads) / best:10.0f} reads/s)")
    return best


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reads", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", choices=("compiled", "interpreted"))
    args = ap.parse_args(argv)
    reads = corpus(args.reads)
    baseline = StructDecoder(("BT23", "BT28", "BT52", "ET13"))

    def compiled(t, o, d):
        return codec.decode_table(SPEC, t, d, o, DEV, compiled=True)

    def interpreted(t, o, d):
        return codec.decode_table(SPEC, t, d, o, DEV, compiled=False)

    for t, o, d in reads[:12]:  # build the per-layout structures before timing; check agreement
        assert compiled(t, o, d).to_json() == interpreted(t, o, d).to_json()
    if args.profile:
        fn = {"compiled": compiled, "interpreted": interpreted}[args.profile]
        prof = cProfile.Profile()
        prof.enable()
        for t, o, d in reads:
            fn(t, o, d)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(18)
        return
    print(f"{len(reads)} reads, best of {args.rounds} rounds")
    b = run("(b) codec compiled", compiled, reads, args.rounds)
    c = run("(c) codec interpreted", interpreted, reads, args.rounds)
    d = run("(d) hand-written struct", baseline.decode, reads, args.rounds)
    print(f"compiled / struct      {b / d:6.2f}")
    print(f"interpreted / compiled {c / b:6.2f}")
    print("\nper read kind (CPU us per read: compiled / interpreted / struct):")
    kinds: dict[str, list] = {}
    for t, o, d_ in reads:
        kinds.setdefault(f"{t} {'full' if o == 0 and t != 'ET13' else 'partial'}", []).append(
            (t, o, d_)
        )
    for kind, sub in sorted(kinds.items()):
        us = []
        for fn in (compiled, interpreted, baseline.decode):
            t0 = time.process_time()
            for t, o, d_ in sub:
                fn(t, o, d_)
            us.append(1e6 * (time.process_time() - t0) / len(sub))
        print(f"  {kind:<14} " + " / ".join(f"{x:7.1f}" for x in us))


if __name__ == "__main__":
    main()
