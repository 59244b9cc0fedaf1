"""The mypyc-compiled bulk path and the Python sources decode every capture alike.

``make`` compiles the modules of ``mypyc-modules.txt`` (``hatch_build.py``);
``OSGPDISSECT_PURE_PYTHON=1`` runs the same modules from source.  A driver decodes a corpus —
the bundled captures, the guide's frames with their key, optical and TLS sessions, and a long
generated session with noise, dropped, duplicated and cut bytes — once each way, in
subprocesses, and the outputs (text, summary, JSON lines, stats, exit codes) must be equal.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import REPO

from osgpdissect import acceleration
from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures import write_pcap

COMPILED_BUILD = (REPO / "osgpdissect" / "compiled.json").exists()
needs_build = pytest.mark.skipif(not COMPILED_BUILD, reason="no compiled build in this checkout")
GUIDE_MAK = "01" * 16  # the guide examples' key (tests/data, shared notes)

DRIVER = r"""
import contextlib, io, json, sys
from osgpdissect import acceleration
from osgpdissect.cli import main
out = {"status": acceleration.status(), "runs": []}
for argv in json.loads(sys.argv[1]):
    so, se = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        rc = main(argv)
    out["runs"].append([argv, rc, so.getvalue(), se.getvalue()])
print(json.dumps(out))
"""


def _damaged_session(path: Path, frames: int = 4000, seed: int = 7) -> None:
    """The bench's polling session with seeded damage, as a pcap."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import bench_decode  # noqa: PLC0415
    finally:
        sys.path.pop(0)
    rng = random.Random(seed)
    runs: list[ByteRun] = []
    for run in bench_decode.session(frames):
        data = bytearray(run.data)
        roll = rng.random()
        if roll < 0.03:
            data[rng.randrange(len(data)):rng.randrange(len(data))] = rng.randbytes(rng.randrange(1, 6))
        elif roll < 0.06:
            del data[rng.randrange(len(data))]
        elif roll < 0.08:
            data = data[: rng.randrange(1, len(data))]
        elif roll < 0.10:
            runs.append(ByteRun(run.direction, bytes(data), run.time))
        elif roll < 0.11:
            runs.append(ByteRun(Direction.S2C, b"\x00\x00", run.time))
        elif roll < 0.12:  # a 0x0C answer: the next request is checked against it
            data = bytearray(b"\x00\x0d\x0c" + rng.randbytes(12)) if run.direction is Direction.S2C else data
        runs.append(ByteRun(run.direction, bytes(data), run.time))
    write_pcap(runs, str(path))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[list[str]]:
    tmp = tmp_path_factory.mktemp("corpus")
    damaged = tmp / "damaged.pcap"
    _damaged_session(damaged)
    frames = json.loads((REPO / "tests/data/guide-frames.json").read_text())
    guide = tmp / "guide.hex"
    guide.write_text("".join(
        ("C->S " if v["direction"] == "request" else "S->C ") + v["hex"] + "\n"
        for v in frames if v["kind"] == "frame" and v.get("transport") == "RC4"
    ))
    keys = tmp / "keys.toml"
    keys.write_text(f'mak = "{GUIDE_MAK}"\n')
    files = [damaged, *sorted((REPO / "examples").glob("session*")),
             *sorted((REPO / "tests/data/captures").iterdir()),
             *sorted((REPO / "tests/data/optical").glob("*.hex")),
             *sorted((REPO / "tests/data/tls").glob("*.hex"))]
    jobs = []
    for f in files:
        name = str(f)
        name += ":rx" if "_rx" in f.name else ":tx" if "_tx" in f.name else ""
        extra = ["--option", "channels=D0:tx,D1:rx"] if f.name.endswith("_d0d1.sr") else []
        for mode in ([], ["--summary"], ["-O", "json", "--stats"]):
            jobs.append(["decode", "--color", "never", "--progress", "never", *extra, name, *mode])
    for mode in ([], ["-O", "json"]):
        jobs.append(["decode", "--format", "hex", "--keys", str(keys), str(guide), *mode])
    return jobs


def _decode_all(jobs: list[list[str]], pure: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != acceleration.PURE_ENV}
    if pure:
        env[acceleration.PURE_ENV] = "1"
    proc = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(jobs)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@needs_build
def test_compiled_and_interpreted_outputs_are_equal(corpus):
    compiled, pure = _decode_all(corpus, pure=False), _decode_all(corpus, pure=True)
    assert compiled["status"] == [True, "compiled (mypyc)"]
    assert pure["status"] == [False, f"pure Python ({acceleration.PURE_ENV}=1)"]
    assert len(compiled["runs"]) == len(corpus)
    for (argv, rc, out, err), (_, rc2, out2, err2) in zip(compiled["runs"], pure["runs"], strict=True):
        assert (rc, err) == (rc2, err2), argv
        assert out == out2, argv
        assert rc == 0 and out, (argv, err)  # every capture of the corpus decodes
    damaged_json = next(r for r in compiled["runs"] if "damaged.pcap" in r[0][-4] and "json" in r[0])
    kinds = {json.loads(line)["record"] for line in damaged_json[2].splitlines() if '"record"' in line}
    assert {"exchange", "malformed", "alert"} <= kinds  # the damage reached the dissector


def test_compiled_when_the_build_says_so():
    """``make test`` sets OSGPDISSECT_EXPECT_COMPILED=1 where a C compiler is present: a build
    that silently fell back to Python (a type error in a listed module) fails here."""
    if os.environ.get("OSGPDISSECT_EXPECT_COMPILED") != "1":
        pytest.skip("OSGPDISSECT_EXPECT_COMPILED is not set")
    compiled, why = acceleration.status()
    assert compiled, why
    import osgpdissect.mep.dissector as d  # noqa: PLC0415

    assert not d.__file__.endswith(".py")


def _copy_package(tmp: Path) -> Path:
    site = tmp / "site"
    shutil.copytree(REPO / "osgpdissect", site / "osgpdissect",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for lib in REPO.glob("osgpdissect_native__mypyc*.so"):
        shutil.copy2(lib, site / lib.name)
    return site


_STATUS = ("import osgpdissect.mep.frames as f; from osgpdissect import acceleration as a; "
           "print(a.status()[1]); print(f.__file__)")


def _status_in(site: Path, **env: str) -> list[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", acceleration.PURE_ENV)}
    full.update(env, PYTHONPATH=str(site))
    proc = subprocess.run([sys.executable, "-c", _STATUS], env=full, cwd=site, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@needs_build
def test_an_edited_source_runs_from_source(tmp_path):
    site = _copy_package(tmp_path)
    assert _status_in(site)[0] == "compiled (mypyc)"
    edited = site / "osgpdissect" / "mep" / "pairing.py"
    edited.write_text(edited.read_text() + "\n# edited\n")
    why, frames_file = _status_in(site)
    assert why.startswith("pure Python (osgpdissect.mep.pairing changed since it was compiled")
    assert frames_file.endswith("frames.py")  # all listed modules from source, not just the edited one


@needs_build
def test_pure_python_on_request_and_without_a_build(tmp_path):
    site = _copy_package(tmp_path)
    why, frames_file = _status_in(site, **{acceleration.PURE_ENV: "1"})
    assert why == f"pure Python ({acceleration.PURE_ENV}=1)" and frames_file.endswith(".py")
    (site / "osgpdissect" / "compiled.json").unlink()
    for so in site.rglob("*.so"):
        so.unlink()
    why, frames_file = _status_in(site)
    assert why == "not compiled (pure-Python install)" and frames_file.endswith(".py")


@needs_build
def test_a_missing_extension_runs_from_source(tmp_path):
    site = _copy_package(tmp_path)
    next((site / "osgpdissect" / "mep").glob("jsonl*.so")).unlink()
    why, frames_file = _status_in(site)
    assert why == "pure Python (no compiled extension for osgpdissect.mep.jsonl)"
    assert frames_file.endswith("frames.py")
