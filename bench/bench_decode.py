"""Benchmark: a realistic MEP session through reassembly + pairing + table decode → JSON, against
a hand-written ``struct`` decoder of the same frames in the same run.

    .venv/bin/python bench/bench_decode.py [--frames 200000] [--profile]

The session repeats what a MEP client does: read ET11 (10 bytes), the clock BT52 (7 bytes,
ticking: a new value on every read), BT21 (10 bytes), and register in ET50 (write, OK).  Every
frame carries its own sequence number and digest, as on a real line.  Prints both times, frames/s, the ratio and
the peak RSS; both runs include making the frames (a generator), so the ratio net of that
shared cost is printed too, and whether the bulk-path modules ran compiled (mypyc, what ``make``
installs) or as Python (``OSGPDISSECT_PURE_PYTHON=1``).  ``--profile`` adds a cProfile top list
of the dissector run (of the Python-level calls: profile with OSGPDISSECT_PURE_PYTHON=1).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from osgpdissect.bytestream import ByteRun, Direction  # noqa: E402
from osgpdissect.mep import Dissector, TableContext  # noqa: E402

ET11, BT52, BT21, ET50 = 0x080B, 0x0034, 0x0015, 0x0832
READS = [
    (ET11, 0, bytes.fromhex("054224050605020103F9")),
    (BT52, 0, None),  # the clock: a new value on every read
    (BT21, 0, bytes.fromhex("3F0E0C0F08000104081A")),
]


def _digest(seq: int, salt: int) -> bytes:
    """A stand-in digest that differs frame to frame (the bench has no keys)."""
    return ((seq * 0x9E3779B1 + salt) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")


def _clock(i: int) -> bytes:
    """BT52 of a clock that moves on by 13 s per read: YY MM DD hh mm ss, then the qualifier
    (day of week in bits 0..2, GMT flag)."""
    s = 13 * i
    day = (s // 86400) % 12
    return bytes((4, 2, 16 + day, (s // 3600) % 24, (s // 60) % 60, s % 60, 0x10 | (day % 7)))


def _read(table: int, offset: int, count: int, seq: int) -> bytes:
    body = struct.pack(">BHIH", 0x3F, table, offset, count)
    body = body[:3] + body[4:]  # 24-bit offset
    body += seq.to_bytes(4, "big") + _digest(seq, 1)
    return len(body).to_bytes(2, "big") + body


def _write(table: int, offset: int, data: bytes, seq: int) -> bytes:
    body = bytes([0x4F]) + table.to_bytes(2, "big") + offset.to_bytes(3, "big")
    body += len(data).to_bytes(2, "big") + data + seq.to_bytes(4, "big") + _digest(seq, 1)
    return len(body).to_bytes(2, "big") + body


def _ok(seq: int, data: bytes | None = None) -> bytes:
    body = b"\x00" + (len(data).to_bytes(2, "big") + data if data is not None else b"")
    body += _digest(seq, 2)
    return len(body).to_bytes(2, "big") + body


def session(frames: int) -> Iterator[ByteRun]:
    """``frames`` frames (requests and responses alternating), generated lazily.  Times are
    capture-relative seconds at microsecond resolution, as capture files give them."""
    seq = 0x5B4E4200
    for i in range(frames // 2):
        t = round(i * 0.2, 6)
        k = i % 4
        if k < 3:
            table, offset, data = READS[k]
            data = data if data is not None else _clock(i)
            yield ByteRun(Direction.C2S, _read(table, offset, len(data), seq), t)
            yield ByteRun(Direction.S2C, _ok(seq, data), round(t + 0.05, 6))
        else:
            yield ByteRun(Direction.C2S, _write(ET50, 30, b"\x01", seq), t)
            yield ByteRun(Direction.S2C, _ok(seq), round(t + 0.05, 6))
        seq += 1


# -- the hand-written decoder: same frames, fixed layouts, no reassembly beyond the length ----
def handwritten(frames: int) -> int:
    out = 0
    last: tuple[int, int, int] | None = None
    for run in session(frames):
        raw = run.data
        (length,) = struct.unpack_from(">H", raw)
        if run.direction is Direction.C2S:
            code, table = raw[2], struct.unpack_from(">H", raw, 3)[0]
            offset = int.from_bytes(raw[5:8], "big")
            (count,) = struct.unpack_from(">H", raw, 8)
            data = raw[10 : 10 + count] if code == 0x4F else b""
            seq = struct.unpack_from(">I", raw, len(raw) - 12)[0]
            rec = {"code": code, "table": table, "offset": offset, "count": count, "seq": seq,
                   "digest": raw[-8:].hex(), "time": run.time}
            if code == 0x4F and table == ET50:
                flags = data[0]
                rec["fields"] = {"mep_device_registered": bool(flags & 1), "et59_response": bool(flags & 2),
                                 "mbus_alerts": bool(flags & 4), "delta_data_alerts": bool(flags & 8)}
            last = (code, table, offset)
        else:
            rec = {"code": raw[2], "digest": raw[-8:].hex(), "time": run.time}
            if length > 9 and last is not None:
                (count,) = struct.unpack_from(">H", raw, 3)
                data = raw[5 : 5 + count]
                table = last[1]
                if table == ET11:
                    v = struct.unpack_from("<BBBBBHHB", data)
                    rec["fields"] = dict(zip(("num_devices", "config_entry_size", "status_entry_size",
                                              "od_queue_size", "od_entry_size", "data_entry_size",
                                              "txn_request_len", "txn_response_len"), v, strict=False))
                elif table == BT52:
                    rec["fields"] = dict(zip(("year", "month", "day", "hour", "minute", "second"), data,
                                             strict=False))
                    q = data[6]
                    rec["fields"]["qualifier"] = {"day_of_week": q & 7, "dst": bool(q & 8),
                                                  "gmt": bool(q & 16), "tz_applied": bool(q & 32),
                                                  "dst_applied": bool(q & 64)}
                else:
                    v = struct.unpack_from("<10B", data)
                    rec["fields"] = {"flags": v[0], "self_read_flags": v[1], "counts": list(v[2:])}
        out += len(json.dumps(rec))
    return out


def dissector(frames: int, tables: bool = True) -> int:
    out = 0
    context = None
    if not tables:
        context = TableContext()
        context.available, context.reason = False, "disabled by --no-tables"
    for rec in Dissector(tables=context).dissect(session(frames)):
        out += len(rec.to_json_line())
    return out


def _timed(fn, frames: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): CPU time is the fair figure on a shared host."""
    start, cpu = time.perf_counter(), time.process_time()
    fn(frames)
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--profile", action="store_true", help="print a cProfile top list")
    ap.add_argument("--no-tables", action="store_true",
                    help="skip spec table decoding (measures reassembly + pairing + JSON alone)")
    args = ap.parse_args()
    n = args.frames
    _, gen_cpu = _timed(lambda k: sum(1 for _ in session(k)), n)
    hand, hand_cpu = _timed(handwritten, n)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ours, ours_cpu = _timed(lambda k: dissector(k, not args.no_tables), n)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"frames:               {n}")
    print(f"hand-written struct:  {hand:8.2f} s wall {hand_cpu:8.2f} s CPU  {n / hand_cpu:10.0f} frames/s")
    print(f"osgpdissect pipeline: {ours:8.2f} s wall {ours_cpu:8.2f} s CPU  {n / ours_cpu:10.0f} frames/s")
    print(f"ratio (CPU):          {ours_cpu / hand_cpu:8.2f}x  (target <= 2x; wall {ours / hand:.2f}x)")
    net = (ours_cpu - gen_cpu) / max(hand_cpu - gen_cpu, 1e-9)
    print(f"ratio net of input:   {net:8.2f}x  (both minus the {gen_cpu:.2f} s CPU of making the frames)")
    print(f"peak RSS:             {rss_after / 1024:8.1f} MiB (before pipeline {rss_before / 1024:.1f} MiB)")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        dissector(min(n, 20_000), not args.no_tables)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
        print(buf.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
