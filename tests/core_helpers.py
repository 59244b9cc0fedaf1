"""Shared helpers for the spec-language core tests (issue 2, "Done when")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SPECS = HERE / "lang" / "specs"
# Copied from the guide (../shared/vectors/guide-frames.json): every example payload it prints.
VECTORS = REPO / "tests" / "data" / "guide-frames.json"

PROFILES = (
    'profile gen3 "three" { fw = 3.80; generation = 3; x = 0 }\n'
    'profile gen4 "four" { fw = 4.60; generation = 4; x = 1 }\n'
)


def vectors() -> dict[str, dict]:
    return {v["id"]: v for v in json.loads(VECTORS.read_text(encoding="utf-8"))}


def write_spec(root: Path, name: str, text: str, errata: str | None = None) -> Path:
    """A spec folder ``root/name`` with the two test profiles, ``t.osgp`` and maybe ERRATA.md."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "profiles.osgp").write_text(PROFILES, encoding="utf-8")
    (folder / "t.osgp").write_text(text, encoding="utf-8")
    if errata is not None:
        (folder / "ERRATA.md").write_text(errata, encoding="utf-8")
    return folder


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None,
            python_flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """``python -m osgpdissect ARGS`` with this interpreter; text output, never raises."""
    full_env = dict(os.environ)
    full_env.pop("PYTHONPATH", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "osgpdissect", *args],
        capture_output=True, text=True, cwd=cwd or REPO, env=full_env,
    )


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli(*args: str) -> Result:
    """The CLI's ``main(argv)`` in-process (fast); same exit codes and streams as the command."""
    import contextlib
    import io

    from osgpdissect.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(args))
    return Result(rc, out.getvalue(), err.getvalue())
