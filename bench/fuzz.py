"""``make fuzz``: every fuzz target of ``tests/fuzz_targets.py`` with a large hypothesis budget.

Cases run in batches, each batch a child process limited to 1 GiB of address space
(``resource.setrlimit``) with a 10 s alarm per case.  A case fails when the entry point raises
an internal error (exit status 70, a traceback, an unexpected exception), runs over 10 s (a
hang) or runs out of the 1 GiB (MemoryError).  The parent prints, per target, cases run,
failures, hangs, memory failures and the children's peak RSS, then the totals; exit status 1 if
anything failed.

    python bench/fuzz.py --cases 1000000 --jobs 2 [--until 17:55] [--target decode-hex ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 1 << 30  # address space of a child: 1 GiB
HANG = 10  # seconds a case may take


class Hang(Exception):
    """A case ran over the time allowed."""


def child(name: str, cases: int) -> dict:
    """Run ``cases`` cases of one target in this process; the result as a dict."""
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))
    sys.path.insert(0, str(ROOT / "tests"))
    from fuzz_targets import InternalError, all_targets
    from hypothesis import HealthCheck, Phase, given, settings

    target = next(t for t in all_targets() if t.name == name)
    out = {"target": name, "cases": 0, "failures": 0, "hangs": 0, "memory": 0, "examples": []}

    def on_alarm(signum, frame):
        raise Hang(f"over {HANG} s")

    signal.signal(signal.SIGALRM, on_alarm)

    def record(kind: str, value, exc: BaseException) -> None:
        out[kind] += 1
        if len(out["examples"]) < 5:
            out["examples"].append({"kind": kind, "input": repr(value)[:400],
                                    "error": f"{type(exc).__name__}: {str(exc)[:400]}"})

    @settings(max_examples=cases, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(target.strategy)
    def case(value) -> None:
        out["cases"] += 1
        signal.alarm(HANG)
        try:
            target.run(value)
        except Hang as exc:
            record("hangs", value, exc)
        except MemoryError as exc:
            record("memory", value, exc)
        except InternalError as exc:
            kind = "memory" if "MemoryError" in str(exc) else "failures"
            record(kind, value, exc)
        except Exception as exc:  # noqa: BLE001 - any other exception is an internal error
            record("failures", value, exc)
        finally:
            signal.alarm(0)

    case()
    out["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return out


def run_batch(name: str, cases: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, __file__, "--child", name, str(cases)],
                          capture_output=True, text=True, env=env, check=False,
                          timeout=cases * HANG + 600)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"target": name, "cases": 0, "failures": 1, "hangs": 0, "memory": 0,
                "maxrss_kib": 0, "examples": [{"kind": "crash", "input": "",
                                               "error": proc.stderr[-600:]}]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1_000_000, help="cases in all (default 10^6)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4000, help="cases per child process")
    ap.add_argument("--until", help="HH:MM (UTC): start no batch after this time")
    ap.add_argument("--target", action="append", help="only these targets (repeatable)")
    ap.add_argument("--report", help="write the totals as JSON here")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return 0

    sys.path.insert(0, str(ROOT / "tests"))
    from fuzz_targets import all_targets

    cache = tempfile.mkdtemp(prefix="osgpfuzz-cache-")  # specs fuzzed by spec check stay here
    os.environ["OSGPDISSECT_CACHE_DIR"] = cache
    names = [t.name for t in all_targets() if not args.target or t.name in args.target]
    per_target = -(-args.cases // len(names))
    batches = []
    for k in range(-(-per_target // args.batch)):  # round robin: every target progresses
        for name in names:
            batches.append((name, min(args.batch, per_target - k * args.batch)))
    stop = None
    if args.until:
        hh, mm = map(int, args.until.split(":"))
        now = dt.datetime.now(dt.UTC)
        stop = now.replace(hour=hh, minute=mm, second=0, microsecond=0).timestamp()
    totals = {n: {"cases": 0, "failures": 0, "hangs": 0, "memory": 0, "maxrss_kib": 0,
                  "examples": []} for n in names}
    started = time.monotonic()

    def one(batch: tuple[str, int]) -> dict | None:
        if stop is not None and time.time() > stop:
            return None
        return run_batch(*batch)

    with ThreadPoolExecutor(args.jobs) as pool:
        for res in pool.map(one, batches):
            if res is None:
                continue
            t = totals[res["target"]]
            for key in ("cases", "failures", "hangs", "memory"):
                t[key] += res[key]
            t["maxrss_kib"] = max(t["maxrss_kib"], res.get("maxrss_kib", 0))
            t["examples"] += res["examples"][: max(0, 5 - len(t["examples"]))]
            done = sum(v["cases"] for v in totals.values())
            bad = sum(v["failures"] + v["hangs"] + v["memory"] for v in totals.values())
            print(f"[{time.monotonic() - started:7.0f} s] {res['target']:16} +{res['cases']:5} "
                  f"cases; total {done} cases, {bad} failed", flush=True)
    print(f"\n{'target':18}{'cases':>10}{'failures':>10}{'hangs':>7}{'memory':>8}{'peak MiB':>10}")
    for name, t in totals.items():
        print(f"{name:18}{t['cases']:>10}{t['failures']:>10}{t['hangs']:>7}{t['memory']:>8}"
              f"{t['maxrss_kib'] / 1024:>10.0f}")
        for ex in t["examples"]:
            print(f"    {ex['kind']}: {ex['error']}\n      input: {ex['input']}")
    total = {k: sum(t[k] for t in totals.values()) for k in ("cases", "failures", "hangs",
                                                             "memory")}
    total["peak_mib"] = round(max(t["maxrss_kib"] for t in totals.values()) / 1024)
    total["seconds"] = round(time.monotonic() - started)
    print(f"{'total':18}{total['cases']:>10}{total['failures']:>10}{total['hangs']:>7}"
          f"{total['memory']:>8}{total['peak_mib']:>10}   ({total['seconds']} s)")
    shutil.rmtree(cache, ignore_errors=True)
    if args.report:
        Path(args.report).write_text(json.dumps({"total": total, "targets": totals}, indent=1))
    return 1 if total["failures"] + total["hangs"] + total["memory"] else 0


if __name__ == "__main__":
    sys.exit(main())
