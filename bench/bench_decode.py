"""Benchmark: ``osgpdissect decode FILE -O json`` against a hand-written decoder of the same file.

    .venv/bin/python bench/bench_decode.py [--frames 200000] [--profile]

The capture is a polling session whose table bytes change from read to read (see
``session_gen.py``: BT23/BT28 full reads with moving registers, BT23 tier reads at an offset,
the ticking BT52 clock, ET13 entries), written as a pcap once, outside both timings.  Then, in
this process and by CPU time (the fair figure on a shared host):

* osgpdissect: the whole CLI path, reader to JSON lines (``cli.main(["decode", FILE, "-O",
  "json"])``, output to /dev/null);
* the yardstick: ``handwritten.py`` reads the same file and writes the same JSON content.

Before timing, the first exchanges of both outputs are compared field by field (the yardstick
must do the same work).  Each round times both in fresh child processes, in alternating order
(a cold start each: spec loading and structure compilation count); prints every round, the
median and the best ratio, both rates and the peak RSS.  On a shared host, the median of a few
rounds is the figure to quote.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import itertools
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import handwritten  # noqa: E402
import session_gen  # noqa: E402

from osgpdissect.captures import write_pcap  # noqa: E402
from osgpdissect.cli import main as cli_main  # noqa: E402


def ours(path: str) -> None:
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        status = cli_main(["decode", path, "-O", "json", "--progress", "never"])
    if status != 0:
        raise SystemExit(f"osgpdissect decode exited {status}")


def yardstick(path: str) -> None:
    with open(os.devnull, "w") as sink:
        for line in handwritten.records(path):
            sink.write(line + "\n")


def _leaves(nodes: list[dict], path: str = "") -> Iterator[tuple[str, object]]:
    for n in nodes:
        here = f"{path}.{n['name']}" if path else n["name"]
        if n.get("children"):
            yield from _leaves(n["children"], here)
        else:
            yield here, (n["offset"], n["size"], n["value"], n["raw"])


def check_same_content(path: str, records: int = 200) -> None:
    """The yardstick's fields must be osgpdissect's (same names, offsets, values, bytes)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        cli_main(["decode", path, "-O", "json", "--progress", "never"])
    got = [json.loads(line) for line in buf.getvalue().splitlines()[:records]]
    mine = [json.loads(line) for line in itertools.islice(handwritten.records(path), records)]
    for a, b in zip(got, mine, strict=True):
        want = dict(_leaves(b["decoded"]["fields"]))
        have = dict(_leaves(a["decoded"]["fields"]))
        if b["decoded"]["table"] in ("BT00", "BT21"):  # read once; the yardstick keeps them raw
            continue
        missing = {k: v for k, v in want.items() if have.get(k) != v}
        if missing:
            raise SystemExit(f"yardstick disagrees on record {a['index']}: {list(missing.items())[:3]}")


def _timed(fn: Callable[[str], None], path: str) -> float:
    cpu = time.process_time()
    fn(path)
    return time.process_time() - cpu


_RUNNERS = {"ours": ours, "hand": yardstick}


def _child(which: str, path: str) -> tuple[float, float]:
    """CPU seconds and peak RSS (MiB) of one run in a fresh process."""
    out = subprocess.run([sys.executable, __file__, "--child", which, path],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def _rounds(path: str, rounds: int) -> tuple[list[float], list[float], float]:
    hand, mine, rss = [], [], 0.0
    for r in range(rounds):
        order = ("hand", "ours") if r % 2 == 0 else ("ours", "hand")
        for which in order:
            cpu, peak = _child(which, path)
            (mine if which == "ours" else hand).append(cpu)
            if which == "ours":
                rss = max(rss, peak)
    return hand, mine, rss


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds (fresh processes each)")
    ap.add_argument("--profile", action="store_true", help="print a cProfile top list of osgpdissect's run")
    ap.add_argument("--child", nargs=2, metavar=("WHICH", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        cpu = _timed(_RUNNERS[args.child[0]], args.child[1])
        print(cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return 0
    n = args.frames
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "polling.pcap")
        write_pcap(session_gen.session(n), path)
        size = os.path.getsize(path)
        sample = str(Path(tmp) / "sample.pcap")  # the same session's first frames
        write_pcap(session_gen.session(min(n, 400)), sample)
        check_same_content(sample)
        hand, mine, rss = _rounds(path, args.rounds)
        ratios = [m / h for m, h in zip(mine, hand, strict=True)]
        hand_cpu, ours_cpu = statistics.median(hand), statistics.median(mine)
        print(f"capture:         {n} frames, {size / 1e6:.1f} MB pcap (payloads change read to read)")
        print("rounds:          " + "  ".join(f"{m:.2f}/{h:.2f}={r:.2f}x"
                                             for m, h, r in zip(mine, hand, ratios, strict=True)))
        print(f"hand-written:    {hand_cpu:8.2f} s CPU  {n / hand_cpu:10.0f} frames/s (median)")
        print(f"osgpdissect:     {ours_cpu:8.2f} s CPU  {n / ours_cpu:10.0f} frames/s  (decode FILE -O json, median)")
        print(f"ratio (CPU):     {statistics.median(ratios):8.2f}x median, {min(ratios):.2f}x best"
              "  (target <= 2x)")
        print(f"peak RSS:        {rss:8.1f} MiB (osgpdissect's process)")
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            ours(path)
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
            print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
