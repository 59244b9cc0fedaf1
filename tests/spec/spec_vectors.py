"""Shared by the spec tests: the guide's example vectors (tests/data, copied from the guide) and a
recursive "expected is contained in got" assertion."""

from __future__ import annotations

import json
from pathlib import Path

VECTORS = Path(__file__).resolve().parents[1] / "data" / "guide-frames.json"


def _vector(vid: str) -> dict:
    for v in json.loads(VECTORS.read_text(encoding="utf-8")):
        if v["id"] == vid:
            return v
    raise KeyError(vid)


def _sub(expected, got, path="") -> None:
    """Every key of ``expected`` is in ``got`` with the same value (recursively)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict), path
        for k, v in expected.items():
            assert k in got, f"{path}.{k} missing"
            _sub(v, got[k], f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), path
        for i, (a, b) in enumerate(zip(expected, got, strict=True)):
            _sub(a, b, f"{path}[{i}]")
    else:
        assert got == expected, f"{path}: {got!r} != {expected!r}"
