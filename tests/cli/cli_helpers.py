"""Shared helpers of the CLI tests: the example session, running the CLI, JSON comparison."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

from osgpdissect.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GUIDE_MAK = "01" * 16


def make_examples() -> Any:
    """The ``examples/make_examples.py`` module (not a package: loaded by path)."""
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def run_cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    rc = main(["decode", *argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


_TIMES = {"time", "end_time", "latency", "first_time", "last_time", "span"}


def strip(obj: Any, key: str | None = None) -> Any:
    """Drop ``source`` (file names and line numbers differ between formats)."""
    if isinstance(obj, dict):
        return {k: strip(v, k) for k, v in obj.items() if k != "source"}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def same(a: Any, b: Any, tol: float = 2e-4, key: str | None = None) -> bool:
    """Equal, except timestamps that may differ by ``tol`` seconds (format precision)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], tol, k) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, tol, key) for x, y in zip(a, b, strict=True))
    if key in _TIMES and isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, abs_tol=tol)
    return a == b


def first_difference(a: list[dict], b: list[dict]) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if not same(x, y):
            keys = [k for k in x if not same(x.get(k), y.get(k), key=k)]
            return f"record {i + 1}: {keys}: {x.get(keys[0]) if keys else ''} != " \
                   f"{y.get(keys[0]) if keys else ''}"
    return f"lengths {len(a)} != {len(b)}"
