"""The corpus whose CLI outputs are frozen (issue 14: the codec redesign changes no output).

Every bundled and test capture, the guide's RC4 frames with the guide key, and a damaged
polling session, each in text, ``--summary`` and ``-O json --stats``; decoded in-process.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
GOLDEN = DATA / "frozen" / "corpus-outputs.json.gz"
GUIDE_MAK = "01" * 16  # the guide examples' key (tests/data/guide-frames.json)


def corpus_jobs(tmp: Path) -> list[list[str]]:
    """CLI argument lists; paths are relative to the repository (``tmp`` holds made files)."""
    frames = json.loads((DATA / "guide-frames.json").read_text(encoding="utf-8"))
    guide = tmp / "guide.hex"
    guide.write_text("".join(
        ("C->S " if v["direction"] == "request" else "S->C ") + v["hex"] + "\n"
        for v in frames if v["kind"] == "frame" and v.get("transport") == "RC4"
    ))
    keys = tmp / "keys.toml"
    keys.write_text(f'mak = "{GUIDE_MAK}"\n')
    keys.chmod(0o600)  # a key file others can read draws a warning
    files = [DATA / "frozen" / "damaged_polling.pcap", *sorted((REPO / "examples").glob("session*")),
             *sorted((DATA / "captures").iterdir()), *sorted((DATA / "optical").glob("*.hex")),
             *sorted((DATA / "tls").glob("*.hex"))]
    jobs = []
    for f in files:
        name = str(f.relative_to(REPO))
        name += ":rx" if "_rx" in f.name else ":tx" if "_tx" in f.name else ""
        extra = ["--option", "channels=D0:tx,D1:rx"] if f.name.endswith("_d0d1.sr") else []
        for mode in ([], ["--summary"], ["-O", "json", "--stats"]):
            jobs.append(["decode", "--color", "never", "--progress", "never", *extra, name, *mode])
    for mode in ([], ["-O", "json"]):
        jobs.append(["decode", "--format", "hex", "--keys", "@KEYS", "@GUIDE", *mode])
    return jobs


def run_jobs(jobs: list[list[str]], tmp: Path) -> list[list]:
    """``[argv, exit status, stdout, stderr]`` per job, run through ``osgpdissect.cli.main``."""
    from osgpdissect.cli import main

    subst = {"@KEYS": str(tmp / "keys.toml"), "@GUIDE": str(tmp / "guide.hex")}
    out = []
    for argv in jobs:
        real = [subst.get(a, a) for a in argv]
        so, se = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
            rc = main(real)
        out.append([argv, rc, so.getvalue().replace(str(tmp), "@TMP"), se.getvalue().replace(str(tmp), "@TMP")])
    return out
