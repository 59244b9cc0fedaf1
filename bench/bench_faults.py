"""Stream-fault bench: one fault in one frame of a session, decoded timed and untimed.

For MEP (a keyed polling session: every digest verifies under the bench key) and optical
(an ANSI C12.18 session: ident, negotiate, logon, reads of several packets, logoff), each trial
damages one frame (MEP) or packet (optical) with one fault:

* drop: one byte removed;  insert: one random byte added;  flip: one bit flipped;
* cut: the frame ends early (the rest never sent);  duplicate: a span of it sent twice (never
  the whole frame: that is a resend).

Timed trials decode the runs with per-byte times at 9600 baud (as the Saleae, sigrok and pcap
readers give them); untimed trials decode each direction as one byte stream (as raw dumps give
them, put in protocol order by ``captures.order``).  Printed per protocol, mode and fault:

* intact recovered: the share of the undamaged frames that come out decoded as frames (their
  bytes are a request or response of a record, flagged or not: the partner of a damaged frame
  is rightly flagged), over all trials;
* damaged reported: the share of trials whose damaged frame is reported (a record with an error,
  ``!``, holds its bytes or some of them, e.g. a stray byte shown malformed before the frame it
  was inserted in) and no record shows it as a clean frame;
* losses reported: of the intact frames not recovered, how many are shown (some of their
  bytes) in a record marked ``!``.

The optical security packet (a password: masked in output) is never damaged nor counted.

    python bench/bench_faults.py [--trials 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from session_gen import session  # noqa: E402

from osgpdissect.bytestream import ByteRun, Direction  # noqa: E402
from osgpdissect.c1218.severity import error_reasons  # noqa: E402
from osgpdissect.captures.order import interleave_untimed  # noqa: E402
from osgpdissect.cli.pipeline import decode_records  # noqa: E402
from osgpdissect.security import Security  # noqa: E402
from osgpdissect.security.digest import digest  # noqa: E402
from osgpdissect.security.keys import KeyRing  # noqa: E402

KEY = bytes(range(0x10, 0x20))
CHAR = 10 / 9600  # one byte at 9600 baud, 8N1
FAULTS = ("drop", "insert", "flip", "cut", "duplicate")


# --------------------------------------------------------------------------- sessions


def mep_session(exchanges: int = 30) -> list[ByteRun]:
    """The format bench's polling session (less its 10-byte ET11 read: not a whole ET11, so
    flagged), every frame signed with ``KEY``."""
    runs = []
    request_body = b""
    generated = list(session(2 * exchanges + 2))
    for run in generated[:2] + generated[4:]:
        body = run.data[2:-8]
        if run.direction is Direction.C2S:
            request_body = body
            mac = digest(KEY, body)
        else:
            mac = digest(KEY, request_body + body)
        runs.append(ByteRun(run.direction, run.data[:-8] + mac, run.time))
    return runs


def optical_session() -> list[ByteRun]:
    from osgpdissect.optical import builders as B

    table = bytes(range(256)) * 2
    exchanges = [
        (B.ident(), B.ident_response(std=0, ver=2, rev=0)),
        (B.negotiate(128, 8, 9600), B.negotiate_response(128, 8, 9600)),
        (B.logon(2, "bench"), B.ok()),
        (B.security("bench-pw"), B.ok()),
        (B.read(0), B.read_response(table[:40])),
        (B.read(23), B.read_response(table[:300])),
        (B.read(28), B.read_response(table[7:111])),
        (B.read(52), B.read_response(table[:7])),
        (B.logoff(), B.ok()),
        (B.terminate(), B.ok()),
    ]
    return B.session(exchanges, packet_size=128)


def is_unit(protocol: str, run: ByteRun) -> bool:
    """A frame (MEP) or packet (optical) that the bench counts and may damage."""
    if protocol == "mep":
        return True
    return run.data[:1] == b"\xee" and not (len(run.data) > 6 and run.data[6] == 0x51)


# --------------------------------------------------------------------------- faults


def damage(data: bytes, fault: str, rng: random.Random) -> bytes:
    k = rng.randrange(len(data))
    if fault == "drop":
        return data[:k] + data[k + 1:]
    if fault == "insert":
        return data[:k] + bytes([rng.randrange(256)]) + data[k:]
    if fault == "flip":
        return data[:k] + bytes([data[k] ^ (1 << rng.randrange(8))]) + data[k + 1:]
    if fault == "cut":
        return data[:max(k, 1)]
    n = rng.randrange(1, len(data) - k + 1)
    if n == len(data) > 1:  # the whole frame twice is a resend, not damage
        n -= 1
    return data[:k + n] + data[k:k + n]


def timed(runs: Iterable[ByteRun]) -> list[ByteRun]:
    """Runs with one time per byte at 9600 baud from each run's start."""
    return [ByteRun(r.direction, r.data, r.time,
                    tuple(round(r.time + i * CHAR, 9) for i in range(len(r.data))))
            for r in runs if r.data]


def untimed(runs: Iterable[ByteRun]) -> Iterable[ByteRun]:
    """Each direction as one stream of 4 KiB runs without times, in protocol order."""
    sides: dict[Direction, bytearray] = {d: bytearray() for d in Direction}
    for r in runs:
        sides[r.direction] += r.data

    def chunks(d: Direction) -> list[ByteRun]:
        data = bytes(sides[d])
        return [ByteRun(d, data[i:i + 4096], None) for i in range(0, len(data), 4096)]

    return interleave_untimed(chunks(Direction.C2S), chunks(Direction.S2C))


# --------------------------------------------------------------------------- scoring


def frames_of(rec) -> tuple[list[str], list[str]]:
    """(hex of the frames/packets the record decoded, hex of bytes it shows as malformed)."""
    j = rec.to_json()
    frames, bad = [], []
    for side in ("request", "response"):
        part = j.get(side)
        if isinstance(part, dict):
            packets = part.get("packets")
            if packets:
                frames += [p["hex"] for p in packets if p.get("hex")]
            elif part.get("hex"):
                frames.append(part["hex"])
    mal = j.get("malformed")
    if isinstance(mal, dict):
        bad.append(str(mal.get("hex") or mal.get("raw") or ""))
    elif isinstance(mal, list):
        bad += [str(m.get("hex", "")) for m in mal if isinstance(m, dict)]
    return frames, bad


def trial(protocol: str, mode: str, fault: str, base: list[ByteRun], rng: random.Random,
          security) -> tuple[int, int, bool, int]:
    """(intact frames, intact frames recovered, damaged frame reported, lost intact frames
    shown in a flagged record) of one trial."""
    candidates = [i for i, r in enumerate(base) if is_unit(protocol, r)]
    hit = rng.choice(candidates)
    runs = list(base)
    bad = damage(runs[hit].data, fault, rng)
    runs[hit] = ByteRun(runs[hit].direction, bad, runs[hit].time)
    stream = timed(runs) if mode == "timed" else untimed(runs)
    decoded_frames, clean, flagged = set(), set(), []
    for decoded in decode_records(stream, "auto", security=security):
        frames, malformed = frames_of(decoded.record)
        decoded_frames.update(frames)
        if error_reasons(decoded.record):
            flagged += frames + malformed
        else:
            clean.update(frames)
    intact = [base[i].data.hex() for i in candidates if i != hit]
    lost = [h for h in intact if h not in decoded_frames]
    lost_reported = sum(any(_overlap(h, f) for f in flagged) for h in lost)
    bad_hex = bad.hex()
    reported = bad_hex not in clean and any(_overlap(bad_hex, f) for f in flagged)
    return len(intact), len(intact) - len(lost), reported, lost_reported


def _overlap(frame: str, shown: str) -> bool:
    """Whether a flagged record's hex holds the frame, or some of its bytes."""
    return bool(shown) and (frame in shown or shown in frame or frame[:16] in shown)


def bench(trials: int, seed: int, out: Callable[[str], None] = print) -> dict:
    sessions = {"mep": mep_session(), "optical": optical_session()}
    security = Security(KeyRing(mak=KEY))
    results: dict = {}
    out(f"{'protocol':9}{'mode':9}{'fault':11}{'intact recovered':>18}{'damaged reported':>18}"
        f"{'losses reported':>17}")
    for protocol, base in sessions.items():
        for mode in ("timed", "untimed"):
            for fault in FAULTS:
                rng = random.Random(f"{seed}-{protocol}-{mode}-{fault}")
                total = got = reported = lost_shown = 0
                for _ in range(trials):
                    n, r, rep, shown = trial(protocol, mode, fault, base, rng, security)
                    total, got, reported = total + n, got + r, reported + rep
                    lost_shown += shown
                lost = total - got
                results[(protocol, mode, fault)] = (got / total, reported / trials)
                losses = f"{lost_shown}/{lost}" if lost else "-"
                out(f"{protocol:9}{mode:9}{fault:11}{100 * got / total:>17.1f}%"
                    f"{100 * reported / trials:>17.1f}%{losses:>17}")
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=30, help="trials per protocol, mode and fault")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    start = time.process_time()
    bench(args.trials, args.seed)
    print(f"({args.trials} trials a row, {time.process_time() - start:.0f} s CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
