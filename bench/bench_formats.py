"""Benchmark: every capture format end to end, and each format's reader against a yardstick
measured in the same run (issue 16 item 7).

    .venv/bin/python bench/bench_formats.py [--mb 0.2] [--sr-mb 0.1] [--keep DIR]

One generated MEP session (partial reads of BT23/BT28/ET13 at 9600 baud; a day of traffic is
about 83 wire MB: ``--mb 83``) is written in every format by the project's writers, at two
sizes: ``--mb`` and 4x that.  Per format, each figure from its own child process (CPU is
``time.process_time`` of the work, imports done; peak is the child's VmHWM):

* **end to end**: the CLI in-process, ``decode FILES -O json`` to /dev/null, on the larger
  file: CPU, CPU per wire MB, and the peak RSS at both sizes (flat memory: the two peaks are
  about equal);
* **reader ratio**: the reader stage (the format's reader through the run assembler, MEP frame
  reassembly, one ``json.dumps`` per frame) over the yardstick doing the same work by hand
  (hex, raw, pcap, pcapng: a hand-written reader + length-prefix framing + the same
  ``json.dumps``; Saleae CSVs: ``csv.reader`` over the same file + the same framing and dumps;
  target <= 2x).  Both sides must produce the same frames: checked before timing.  sigrok
  ``.sr`` (<= 1x): against sigrok-cli's own UART decoder on both probes (``sigrok-cli -i FILE
  -P uart:rx=TX:baudrate=9600 -A uart=rx-data``, then ``rx=RX``; the CPU of those children)
  when ``sigrok-cli`` is installed, and against reading its sample members with zlib + numpy
  (inflate, find each block's transitions; no frames to compare).  Reader and yardstick: the
  least CPU of ``--repeat`` runs each (sigrok-cli: one run);

* **optical**: one long optical session without a pause (pcap), end to end with the protocol
  detected (the mixed MEP/optical splitter) and with ``-p optical``: peak RSS at both sizes.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from itertools import zip_longest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from osgpdissect.bytestream import ByteRun, Direction  # noqa: E402

BAUD = 9600
BYTE = 10 / BAUD
SCALE = 4  # the larger file is this many times the smaller
FORMATS = ("hex", "raw", "pcap", "pcapng", "saleae1", "saleae2", "sigrok")


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
    """Every format's file(s) of the session; per format, the CLI arguments naming them."""
    from osgpdissect.captures import (
        write_hex_text,
        write_pcap,
        write_raw,
        write_saleae_logic1_csv,
        write_saleae_logic2_csv,
        write_sigrok_sr,
    )

    f = {name: str(folder / name) for name in (
        "s.hex", "tx.bin", "rx.bin", "s.pcap", "s.pcapng", "tx.csv", "rx.csv", "s2.csv", "s.sr")}
    write_hex_text(runs, f["s.hex"])
    write_raw(runs, f["tx.bin"], Direction.C2S)
    write_raw(runs, f["rx.bin"], Direction.S2C)
    write_pcap(runs, f["s.pcap"])
    write_pcap(runs, f["s.pcapng"], pcapng=True)
    write_saleae_logic1_csv(runs, f["tx.csv"], direction=Direction.C2S)
    write_saleae_logic1_csv(runs, f["rx.csv"], direction=Direction.S2C)
    write_saleae_logic2_csv(runs, f["s2.csv"], names={Direction.C2S: "TX", Direction.S2C: "RX"})
    write_sigrok_sr(sr_runs, f["s.sr"])
    return {
        "hex": [f["s.hex"]],
        "raw": [f["tx.bin"] + ":tx", f["rx.bin"] + ":rx"],
        "pcap": [f["s.pcap"]],
        "pcapng": [f["s.pcapng"]],
        "saleae1": [f["tx.csv"] + ":tx", f["rx.csv"] + ":rx"],
        "saleae2": [f["s2.csv"]],
        "sigrok": [f["s.sr"]],
    }


def _path(arg: str) -> str:
    return arg.rsplit(":", 1)[0] if arg.endswith((":tx", ":rx")) else arg


# -- what a child process runs -------------------------------------------------------------
def run_cli(paths: list[str]) -> int:
    """The CLI end to end, in this process, JSON lines to /dev/null."""
    from osgpdissect.cli import main as cli_main

    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        status = cli_main(["decode", *paths, "-O", "json", "--progress", "never"])
    if status:
        raise SystemExit(f"decode {' '.join(paths)}: exit status {status}")
    return status


def _frame_json(direction: str, raw: bytes) -> str:
    """The per-frame dict both sides dump: the same work, the same bytes out."""
    return json.dumps({"direction": direction, "length": len(raw) - 2, "hex": raw.hex()})


def reader_frames(paths: list[str]) -> Iterator[str]:
    """osgpdissect's reader stage: reader, run assembler, MEP reassembly, one dumps per frame."""
    from osgpdissect.c1218.messages import Frame
    from osgpdissect.captures import open_capture
    from osgpdissect.mep.reassembly import reassemble

    for item in reassemble(open_capture(paths)):
        if isinstance(item, Frame):
            yield _frame_json(item.direction, item.raw)  # a StrEnum: dumped as "C->S"


def _framing(direction: str, data: bytes) -> Iterator[str]:
    """Length-prefix framing of one direction's bytes, one json.dumps per frame."""
    pos = 0
    while pos + 2 <= len(data):
        end = pos + 2 + ((data[pos] << 8) | data[pos + 1])
        yield _frame_json(direction, data[pos:end])
        pos = end


def _by_direction(chunks: Iterator[tuple[str, bytes]]) -> Iterator[str]:
    sides: dict[str, bytearray] = {}
    for side, data in chunks:
        sides.setdefault(side, bytearray()).extend(data)
    for side, data in sides.items():
        yield from _framing(side, bytes(data))


_SIDES = {"C->S": "C->S", "S->C": "S->C", "tx": "C->S", "rx": "S->C",
          1: "C->S", 2: "S->C", "TX": "C->S", "RX": "S->C"}


def yard_hex(paths: list[str]) -> Iterator[str]:
    def chunks() -> Iterator[tuple[str, bytes]]:
        with open(paths[0]) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                _t, side, hexs = line.split(None, 2)
                yield _SIDES[side], bytes.fromhex(hexs)
    return _by_direction(chunks())


def yard_raw(paths: list[str]) -> Iterator[str]:
    """Each file framed on its own, one side after the other (the issue's yardstick)."""
    for arg in paths:
        yield from _framing(_SIDES[arg.rsplit(":", 1)[1]], Path(_path(arg)).read_bytes())


def yard_raw_ordered(paths: list[str]) -> Iterator[str]:
    """Raw with the work untimed input needs (issue 16 item 2): both files framed, then put in
    protocol order the simplest way there is, each request followed by the next response."""
    sides = {_SIDES[arg.rsplit(":", 1)[1]]: Path(_path(arg)).read_bytes() for arg in paths}
    pairs = zip_longest(_frame_bytes(sides.get("C->S", b"")), _frame_bytes(sides.get("S->C", b"")))
    for req, resp in pairs:
        if req is not None:
            yield _frame_json("C->S", req)
        if resp is not None:
            yield _frame_json("S->C", resp)


def _frame_bytes(data: bytes) -> Iterator[bytes]:
    """The length-prefixed frames of one direction's bytes (the loop of :func:`_framing`, kept
    inline there: a generator layer would slow the yardstick and flatter the ratio)."""
    pos = 0
    while pos + 2 <= len(data):
        end = pos + 2 + ((data[pos] << 8) | data[pos + 1])
        yield data[pos:end]
        pos = end


def yard_pcap(paths: list[str]) -> Iterator[str]:
    def chunks() -> Iterator[tuple[str, bytes]]:
        rec = struct.Struct("<IIII")
        with open(paths[0], "rb") as f:
            f.read(24)
            while len(h := f.read(16)) == 16:
                pkt = f.read(rec.unpack(h)[2])
                yield _SIDES[pkt[8]], pkt[12:]
    return _by_direction(chunks())


def yard_pcapng(paths: list[str]) -> Iterator[str]:
    def chunks() -> Iterator[tuple[str, bytes]]:
        with open(paths[0], "rb") as f:
            while len(h := f.read(8)) == 8:
                btype, total = struct.unpack("<II", h)
                body = f.read(total - 8)
                if btype == 6:
                    caplen = struct.unpack_from("<I", body, 12)[0]
                    pkt = body[20:20 + caplen]
                    yield _SIDES[pkt[8]], pkt[12:]
    return _by_direction(chunks())


def yard_csv(paths: list[str]) -> Iterator[str]:
    """``csv.reader`` over the same file(s): Logic 1 (one side per file) or Logic 2 (name)."""
    def chunks() -> Iterator[tuple[str, bytes]]:
        for arg in paths:
            with open(_path(arg), newline="") as f:
                rows = csv.reader(f)
                header = next(rows)
                if header[0].startswith("Time"):  # Logic 1: Time [s],Value,...
                    side = _SIDES[arg.rsplit(":", 1)[1]]
                    yield side, bytes(int(r[1], 16) for r in rows)
                else:  # Logic 2: name,type,start_time,duration,data,error
                    for r in rows:
                        yield _SIDES[r[0]], bytes((int(r[4], 16),))
    return _by_direction(chunks())


def yard_sr(paths: list[str]) -> Iterator[str]:
    """.sr: zlib + numpy: inflate every sample member and find the transitions of each block."""
    import numpy as np

    n = 0
    with zipfile.ZipFile(paths[0]) as zf:
        for name in zf.namelist():
            if name.startswith("logic-1"):
                with zf.open(name) as member:
                    while block := member.read(1 << 20):
                        samples = np.frombuffer(block, dtype=np.uint8)
                        n += len(np.flatnonzero(samples[1:] != samples[:-1]))
    yield str(n)


SIGROK_CLI = shutil.which("sigrok-cli")


def sigrok_cli(path: str) -> dict:
    """sigrok-cli's UART decoder on the TX and RX probes: CPU and peak RSS of the children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    n = 0
    for probe in ("TX", "RX"):
        out = subprocess.run([SIGROK_CLI or "sigrok-cli", "-i", path, "-P",
                              f"uart:rx={probe}:baudrate={BAUD}", "-A", "uart=rx-data"],
                             capture_output=True, text=True, check=True)
        n += len(out.stdout.splitlines())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu": cpu, "peak_mib": after.ru_maxrss / 1024, "n": n}


YARDSTICKS: dict[str, Callable[[list[str]], Iterator[str]]] = {
    "hex": yard_hex, "raw": yard_raw, "pcap": yard_pcap, "pcapng": yard_pcapng,
    "saleae1": yard_csv, "saleae2": yard_csv, "sigrok": yard_sr, "raw-ordered": yard_raw_ordered}
TARGETS = {"hex": 2.0, "raw": 2.0, "pcap": 2.0, "pcapng": 2.0, "saleae1": 2.0, "saleae2": 2.0,
           "sigrok": 1.0}


def _sides(lines: Iterator[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in lines:
        out.setdefault(json.loads(line)["direction"], []).append(line)
    return out


def child(kind: str, fmt: str, paths: list[str]) -> None:
    """One measurement (or the frame check), printed as one JSON line."""
    import osgpdissect.captures  # noqa: F401  imports are not timed
    import osgpdissect.cli  # noqa: F401
    import osgpdissect.mep.reassembly  # noqa: F401

    if kind == "sigrok-cli":  # in a child of its own: RUSAGE_CHILDREN is then sigrok-cli's
        print(json.dumps(sigrok_cli(paths[0])))
        return
    if kind == "check":  # the same frames, per direction in order, on both sides
        ours, yard = _sides(reader_frames(paths)), _sides(YARDSTICKS[fmt](paths))
        print(json.dumps({"same": ours == yard, "frames": sum(map(len, ours.values()))}))
        return
    start = time.process_time()
    if kind == "cli":
        n = run_cli(paths + (["-p", "optical"] if fmt == "optical" else []))
    else:
        work = reader_frames if kind == "reader" else YARDSTICKS[fmt]
        n = sum(1 for _ in work(paths))
    cpu = time.process_time() - start
    print(json.dumps({"cpu": cpu, "peak_mib": peak_mib(), "n": n}))


def peak_mib() -> float:
    """This process's peak RSS: VmHWM (``ru_maxrss`` keeps the parent's peak across exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, fmt: str, paths: list[str], repeat: int = 1) -> dict:
    """The child's figures; with ``repeat``, the run with the least CPU (a shared host)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, __file__, "--child", kind, fmt, *paths],
                             capture_output=True, text=True, env=env, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return min(runs, key=lambda r: r.get("cpu", 0.0))


def optical_session(wire_bytes: int) -> list[ByteRun]:
    """One optical (C12.18) session without a pause: reads of BT01 until ``wire_bytes``."""
    from osgpdissect.optical import builders as B

    exchanges = [(B.ident(), B.ident_response(std=0, ver=2, rev=0)),
                 (B.negotiate(256, 8, 9600), B.negotiate_response(256, 8, 9600))]
    k = 0
    while len(exchanges) * 90 < wire_bytes:
        exchanges.append((B.read(1), B.read_response(bytes((k + i) & 0xFF for i in range(64)))))
        k += 1
    exchanges.append((B.terminate(), B.ok()))
    return B.session(exchanges, packet_size=256)


def optical_rows(mb: float, folder: Path) -> None:
    """Peak RSS of one long optical session, protocol detected vs ``-p optical``."""
    from osgpdissect.captures import write_pcap

    paths = {}
    for size in (1, SCALE):
        paths[size] = str(folder / f"x{size}" / "optical.pcap")
        write_pcap(optical_session(int(mb * size * 1e6)), paths[size])
    for label, fmt in (("auto", "auto"), ("-p optical", "optical")):
        small = measure("cli", fmt, [paths[1]])
        big = measure("cli", fmt, [paths[SCALE]])
        size = os.path.getsize(paths[SCALE]) / 2**20
        print(f"{'optical':8s} {size:8.1f} {big['cpu']:7.2f} {big['cpu'] / (mb * SCALE):9.2f} "
              f"{small['peak_mib']:9.0f} {big['peak_mib']:5.0f} | one session, {label}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=0.2,
                    help="wire megabytes of the smaller file (the larger: 4x; default 0.2; "
                         "a day at 9600 baud: 83)")
    ap.add_argument("--sr-mb", type=float, default=0.1,
                    help="wire megabytes of the smaller .sr file (~640 samples per wire byte; "
                         "default 0.1)")
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated subset")
    ap.add_argument("--repeat", type=int, default=3,
                    help="reader and yardstick runs per format, the least CPU kept (default 3)")
    ap.add_argument("--no-optical", action="store_true",
                    help="skip the long optical session (auto detection vs -p optical)")
    ap.add_argument("--keep", help="write the files here and keep them")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.child[2:])
        return
    folder = Path(args.keep or tempfile.mkdtemp(prefix="osgp-bench-"))
    files = {}
    for size in (1, SCALE):
        sub = folder / f"x{size}"
        sub.mkdir(parents=True, exist_ok=True)
        files[size] = write_all(session(int(args.mb * size * 1e6)),
                                session(int(args.sr_mb * size * 1e6)), sub)
    big = args.mb * SCALE
    print(f"session: {args.mb} and {big} MB on the wire ({args.sr_mb} and "
          f"{args.sr_mb * SCALE} MB for .sr), files in {folder}")
    print(f"{'format':8s} {'file MiB':>8s} {'e2e s':>7s} {'s/wire MB':>9s} {'peak MiB':>9s} "
          f"{'@4x':>5s} | {'reader s':>8s} {'yard s':>7s} {'ratio':>6s} {'target':>6s} frames")
    for fmt in args.formats.split(","):
        paths, small = files[SCALE][fmt], files[1][fmt]
        wire = (args.sr_mb if fmt == "sigrok" else args.mb) * SCALE
        size = sum(os.path.getsize(_path(p)) for p in paths)
        check = measure("check", fmt, small) if fmt != "sigrok" else {"same": None, "frames": 0}
        if check["same"] is False:
            print(f"{fmt:8s} the reader and the yardstick cut different frames: not timed")
            continue
        e2e, e2e_small = measure("cli", fmt, paths), measure("cli", fmt, small)
        reader = measure("reader", fmt, paths, args.repeat)
        yard = measure("yard", fmt, paths, args.repeat)
        ratio = reader["cpu"] / yard["cpu"] if yard["cpu"] > 0 else float("inf")
        print(f"{fmt:8s} {size / 2**20:8.1f} {e2e['cpu']:7.2f} {e2e['cpu'] / wire:9.2f} "
              f"{e2e_small['peak_mib']:9.0f} {e2e['peak_mib']:5.0f} | {reader['cpu']:8.2f} "
              f"{yard['cpu']:7.2f} {ratio:6.2f} {TARGETS[fmt]:6.1f} "
              f"{reader['n'] if fmt != 'sigrok' else '-'}")
        if fmt == "raw":  # the yardstick doing the ordering raw input needs too
            ordered = measure("yard", "raw-ordered", paths, args.repeat)
            print(f"{'':8s} {'':8s} {'':7s} {'':9s} {'':9s} {'':5s} | {reader['cpu']:8.2f} "
                  f"{ordered['cpu']:7.2f} {reader['cpu'] / ordered['cpu']:6.2f} "
                  f"{TARGETS[fmt]:6.1f} vs framing + the simplest protocol-order interleave")
        if fmt == "sigrok" and SIGROK_CLI:
            cli = measure("sigrok-cli", fmt, paths)
            print(f"{'':8s} {'':8s} {'':7s} {'':9s} {'':9s} {'':5s} | {reader['cpu']:8.2f} "
                  f"{cli['cpu']:7.2f} {reader['cpu'] / cli['cpu']:6.2f} {TARGETS[fmt]:6.1f} "
                  f"vs sigrok-cli's UART decoder (peak {cli['peak_mib']:.0f} MiB)")
    if not args.no_optical:
        optical_rows(args.mb, folder)
    if not args.keep:
        for size in (1, SCALE):
            for p in (folder / f"x{size}").iterdir():
                p.unlink()
            (folder / f"x{size}").rmdir()
        folder.rmdir()


if __name__ == "__main__":
    main()
