"""Benchmark: a folder of captures into a Parquet archive on a Dask local cluster (issue 20).

    .venv/bin/python bench/bench_archive.py [--files 100 200] [--frames 1000]

Writes ``--files`` polling sessions (``session_gen.py``, ``--frames`` frames each, pcap) once,
then for 1 and 2 worker processes: starts a ``LocalCluster`` (not timed), runs
``osgpdissect decode DIR -O parquet OUT --scheduler ADDRESS`` against it (timed, wall clock,
once the workers have loaded the spec) and asks each worker for its peak RSS.  Prints files/s, MB/s of capture, the 2-worker scaling
ratio, and the peak RSS per worker for each archive size (flat: a worker holds one capture's
row groups at a time, whatever the number of captures).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from session_gen import session  # noqa: E402

from osgpdissect.captures import write_pcap  # noqa: E402
from osgpdissect.cli import main  # noqa: E402


def _peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm() -> None:
    """Import the decoder and load the spec in a worker (a one-time cost per process)."""
    from osgpdissect.cli import archive  # noqa: F401
    from osgpdissect.lang.spec import load_default_spec

    load_default_spec()


def write_captures(folder: Path, count: int, frames: int) -> int:
    """``count`` pcap captures of ``frames`` frames; returns their total size in bytes."""
    folder.mkdir(parents=True)
    for k in range(count):
        write_pcap(session(frames, seed=k), str(folder / f"meter{k:05d}.pcap"))
    return sum(p.stat().st_size for p in folder.iterdir())


def run(folder: Path, out: Path, workers: int) -> tuple[float, list[float]]:
    """Seconds to decode ``folder`` on a fresh cluster of ``workers`` processes, and each
    worker's peak RSS (MiB) afterwards."""
    from distributed import Client, LocalCluster

    shutil.rmtree(out, ignore_errors=True)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.run(_warm)  # every worker up, the spec loaded, before the clock starts
        t0 = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()) as err:
            rc = main(["decode", str(folder), "-O", "parquet", str(out), "--scheduler",
                       cluster.scheduler_address, "--progress", "never"])
        seconds = time.perf_counter() - t0
        if rc != 0:
            raise SystemExit(f"decode failed ({rc}): {err.getvalue()}")
        rss = sorted(client.run(_peak_rss_mib).values())
    return seconds, rss


def main_bench() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, nargs="+", default=[100, 200])
    ap.add_argument("--frames", type=int, default=1000)
    args = ap.parse_args()
    print(f"CPUs: {os.cpu_count()}  frames per capture: {args.frames}")
    print("| captures | MB | workers | seconds | files/s | MB/s | scaling | peak RSS/worker |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="osgp-bench-archive-") as tmp:
        for count in args.files:
            folder = Path(tmp) / f"caps{count}"
            size = write_captures(folder, count, args.frames) / 1e6
            base = None
            for workers in (1, 2):
                seconds, rss = run(folder, Path(tmp) / "out", workers)
                base = base or seconds
                scaling = f"{base / seconds:.2f}x" if workers > 1 else ""
                print(f"| {count} | {size:.1f} | {workers} | {seconds:.2f} | "
                      f"{count / seconds:.1f} | {size / seconds:.2f} | {scaling} | "
                      f"{max(rss):.0f} MiB |", flush=True)


if __name__ == "__main__":
    main_bench()
