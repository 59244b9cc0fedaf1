"""Benchmark: every capture format end to end (read, reassemble, pair, decode, one JSON line per
record) on one generated MEP session, against a yardstick measured in the same run.

    .venv/bin/python bench/bench_formats.py [--mb 0.5] [--sr-mb 0.5] [--sr-mb2 1] [--keep DIR]

Yardsticks (issue 16 item 7): hex, raw and pcap against a hand-written reader of the same file
with length-prefix framing and one ``json.dumps`` per frame (target <= 2x); the Saleae CSVs
against ``csv.reader`` over the same file (<= 2x); sigrok ``.sr`` (<= 1x) against sigrok-cli's
UART decoder on each channel (``sigrok-cli -i FILE -P uart:rx=TX:baudrate=9600 -A uart=rx-data``,
then ``rx=RX``; CPU of the child processes) when ``sigrok-cli`` is installed, and always
against reading the sample members with zlib + numpy (``np.frombuffer`` and the transitions
of each block); ``.sr`` is decoded again at ``--sr-mb2`` to show its peak RSS is flat.
Each measurement runs in its own child process, so the peak RSS printed is that format's own.
CPU seconds are ``time.process_time`` of the child's work, without the start-up.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from osgpdissect.bytestream import ByteRun, Direction  # noqa: E402

BAUD = 9600
BYTE = 10 / BAUD


def session(wire_bytes: int) -> list[ByteRun]:
    """Partial reads of BT23/BT28/ET13 with their responses until ``wire_bytes`` are on the wire."""
    runs: list[ByteRun] = []
    t, seq, total, k = 0.5, 1, 0, 0
    while total < wire_bytes:
        table, size = ((23, 40), (28, 100), (2048 + 13, 8))[k % 3]
        body = bytes([0x3F]) + table.to_bytes(2, "big") + bytes(3) + size.to_bytes(2, "big")
        body += seq.to_bytes(4, "big") + bytes(8)
        req = len(body).to_bytes(2, "big") + body
        data = bytes((seq + i) & 0xFF for i in range(size))
        rbody = b"\x00" + size.to_bytes(2, "big") + data + bytes(8)
        resp = len(rbody).to_bytes(2, "big") + rbody
        for d, wire in ((Direction.C2S, req), (Direction.S2C, resp)):
            times = tuple(round(t + i * BYTE, 6) for i in range(len(wire)))
            runs.append(ByteRun(d, wire, times[0], times))
            t = times[-1] + BYTE + 0.04
            total += len(wire)
        t += 0.1
        seq += 1
        k += 1
    return runs


def write_all(runs: list[ByteRun], sr_runs: list[ByteRun], folder: Path) -> dict[str, list[str]]:
    from osgpdissect.captures import (
        write_hex_text,
        write_pcap,
        write_raw,
        write_saleae_logic1_csv,
        write_saleae_logic2_csv,
        write_sigrok_sr,
    )

    f = {name: str(folder / name) for name in (
        "s.hex", "tx.bin", "rx.bin", "s.pcap", "tx.csv", "rx.csv", "s2.csv", "s.sr")}
    write_hex_text(runs, f["s.hex"])
    write_raw(runs, f["tx.bin"], Direction.C2S)
    write_raw(runs, f["rx.bin"], Direction.S2C)
    write_pcap(runs, f["s.pcap"])
    write_saleae_logic1_csv(runs, f["tx.csv"], direction=Direction.C2S)
    write_saleae_logic1_csv(runs, f["rx.csv"], direction=Direction.S2C)
    write_saleae_logic2_csv(runs, f["s2.csv"], names={Direction.C2S: "TX", Direction.S2C: "RX"})
    write_sigrok_sr(sr_runs, f["s.sr"])
    return {
        "hex": [f["s.hex"]],
        "raw": [f["tx.bin"] + ":tx", f["rx.bin"] + ":rx"],
        "pcap": [f["s.pcap"]],
        "saleae1": [f["tx.csv"] + ":tx", f["rx.csv"] + ":rx"],
        "saleae2": [f["s2.csv"]],
        "sigrok": [f["s.sr"]],
    }


# -- what a child process runs -------------------------------------------------------------
def run_decode(paths: list[str]) -> int:
    from osgpdissect.captures import open_capture
    from osgpdissect.cli.pipeline import decode_records

    n = 0
    for item in decode_records(open_capture(paths), "mep"):
        item.to_json_line()
        n += 1
    return n


def _frames(data: bytes) -> int:
    """Length-prefix framing of one direction's bytes, one json.dumps per frame."""
    n = pos = 0
    while pos + 2 <= len(data):
        length = (data[pos] << 8) | data[pos + 1]
        json.dumps({"hex": data[pos:pos + 2 + length].hex(), "length": length})
        pos += 2 + length
        n += 1
    return n


def yard_hex(paths: list[str]) -> int:
    by_dir: dict[str, bytearray] = {}
    with open(paths[0]) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or line.startswith("#"):
                continue
            by_dir.setdefault(parts[1], bytearray()).extend(bytes.fromhex("".join(parts[2:])))
    return sum(_frames(bytes(v)) for v in by_dir.values())


def yard_raw(paths: list[str]) -> int:
    return sum(_frames(Path(p.rsplit(":", 1)[0]).read_bytes()) for p in paths)


def yard_pcap(paths: list[str]) -> int:
    import struct

    by_dir: dict[int, bytearray] = {}
    with open(paths[0], "rb") as f:
        f.read(24)
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            incl = struct.unpack("<IIII", h)[2]
            pkt = f.read(incl)
            by_dir.setdefault(pkt[8], bytearray()).extend(pkt[12:])
    return sum(_frames(bytes(v)) for v in by_dir.values())


def yard_csv(paths: list[str]) -> int:
    n = 0
    for p in paths:
        with open(p.rsplit(":", 1)[0] if p.endswith((":tx", ":rx")) else p, newline="") as f:
            for _ in csv.reader(f):
                n += 1
    return n


def yard_sr(paths: list[str]) -> int:
    """zlib + numpy: inflate every sample member and find the transitions of each block."""
    import numpy as np

    n = 0
    with zipfile.ZipFile(paths[0]) as zf:
        for name in zf.namelist():
            if name.startswith("logic-1"):
                with zf.open(name) as member:
                    while block := member.read(1 << 20):
                        samples = np.frombuffer(block, dtype=np.uint8)
                        n += len(np.flatnonzero(samples[1:] != samples[:-1]))
    return n


SIGROK_CLI = shutil.which("sigrok-cli")


def sigrok_cli(path: str) -> dict:
    """sigrok-cli's UART decoder on the TX and RX probes: CPU and peak RSS of the children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    n = 0
    for probe in ("TX", "RX"):
        out = subprocess.run([SIGROK_CLI, "-i", path, "-P", f"uart:rx={probe}:baudrate={BAUD}",
                              "-A", "uart=rx-data"], capture_output=True, text=True, check=True)
        n += len(out.stdout.splitlines())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu": cpu, "peak_mib": after.ru_maxrss / 1024, "n": n}


def sigrok_rows(fmt: str, paths: list[str], wire: float, wire2: float, folder: Path) -> None:
    """The .sr rows: against zlib + numpy, against sigrok-cli, and the decode at a 2nd size."""
    from osgpdissect.captures import write_sigrok_sr

    size = os.path.getsize(paths[0])
    dec = measure("decode", fmt, paths)
    yards = [("zlib+np", measure("yard", fmt, paths))]
    if SIGROK_CLI:
        yards.append(("sigrok-cli", measure("sigrok-cli", fmt, paths)))
    for label, yard in yards:
        ratio = dec["cpu"] / yard["cpu"] if yard["cpu"] > 0 else float("inf")
        print(f"{fmt:8s} {size / 2**20:8.1f} {dec['cpu']:9.2f} {yard['cpu']:8.2f} {ratio:6.2f} "
              f"{TARGETS[fmt]:6.1f} {dec['cpu'] / wire:9.2f} {dec['peak_mib']:8.0f}  "
              f"vs {label} ({yard['cpu']:.2f} s, {yard['peak_mib']:.0f} MiB)")
    second = folder / "s2.sr"
    write_sigrok_sr(session(int(wire2 * 1e6)), str(second))
    dec2 = measure("decode", fmt, [str(second)])
    print(f"{fmt:8s} {os.path.getsize(second) / 2**20:8.1f} {dec2['cpu']:9.2f} {'':8s} "
          f"{'':6s} {'':6s} {dec2['cpu'] / wire2:9.2f} {dec2['peak_mib']:8.0f}  "
          f"({wire2} MB on the wire: peak RSS against {wire} MB)")


YARDSTICKS = {"hex": yard_hex, "raw": yard_raw, "pcap": yard_pcap, "saleae1": yard_csv,
              "saleae2": yard_csv, "sigrok": yard_sr}
TARGETS = {"hex": 2.0, "raw": 2.0, "pcap": 2.0, "saleae1": 2.0, "saleae2": 2.0, "sigrok": 1.0}


def child(kind: str, fmt: str, paths: list[str]) -> None:
    if kind == "sigrok-cli":  # in a child of its own: RUSAGE_CHILDREN is then sigrok-cli's
        print(json.dumps(sigrok_cli(paths[0])))
        return
    start = time.process_time()
    n = run_decode(paths) if kind == "decode" else YARDSTICKS[fmt](paths)
    cpu = time.process_time() - start
    print(json.dumps({"cpu": cpu, "peak_mib": peak_mib(), "n": n}))


def peak_mib() -> float:
    """This process's peak RSS: ``VmHWM`` where Linux has it, because ``ru_maxrss`` carries the
    parent's peak over fork + exec (every child then showed the generating parent's size)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, fmt: str, paths: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, __file__, "--child", kind, fmt, *paths],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=0.5, help="wire megabytes (default 0.5)")
    ap.add_argument("--sr-mb", type=float, default=0.5,
                    help="wire megabytes of the .sr file (~640 samples per wire byte; default 0.5)")
    ap.add_argument("--sr-mb2", type=float, default=1.0,
                    help="wire megabytes of a second .sr file, decoded for its peak RSS (1)")
    ap.add_argument("--keep", help="write the files here and keep them")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.child[2:])
        return
    folder = Path(args.keep or tempfile.mkdtemp(prefix="osgp-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    files = write_all(session(int(args.mb * 1e6)), session(int(args.sr_mb * 1e6)), folder)
    print(f"session: {args.mb} MB on the wire ({args.sr_mb} MB for .sr), files in {folder}")
    print(f"{'format':8s} {'file MiB':>8s} {'decode s':>9s} {'yard s':>8s} {'ratio':>6s} "
          f"{'target':>6s} {'s/wire MB':>9s} {'peak MiB':>8s}")
    for fmt, paths in files.items():
        if fmt == "sigrok":
            sigrok_rows(fmt, paths, args.sr_mb, args.sr_mb2, folder)
            continue
        size = sum(os.path.getsize(p.rsplit(":", 1)[0] if p.endswith((":tx", ":rx")) else p)
                   for p in paths)
        dec = measure("decode", fmt, paths)
        yard = measure("yard", fmt, paths)
        wire = args.sr_mb if fmt == "sigrok" else args.mb
        ratio = dec["cpu"] / yard["cpu"] if yard["cpu"] > 0 else float("inf")
        print(f"{fmt:8s} {size / 2**20:8.1f} {dec['cpu']:9.2f} {yard['cpu']:8.2f} {ratio:6.1f} "
              f"{TARGETS[fmt]:6.1f} {dec['cpu'] / wire:9.2f} {dec['peak_mib']:8.0f}")
    if not args.keep:
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
