"""Running ``osgpdissect decode`` in-process for the optical tests (stdout as text)."""

from __future__ import annotations

import contextlib
import io

from osgpdissect.cli import main


def run_decode(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["decode", "--color", "never", "--progress", "never", *argv])
    assert rc == 0, err.getvalue()
    return out.getvalue() + err.getvalue()
