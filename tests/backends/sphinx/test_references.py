"""issue 19: the docs and the examples name no file that does not exist (the user guide once
described ``examples/guide-payloads.txt``, which was never there)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_TOP = ("examples", "docs", "tests", "spec", "osgpdissect", "bench")
_PATH = re.compile(r"\b(?:" + "|".join(_TOP) + r")/[A-Za-z0-9_./<>-]*[A-Za-z0-9_/]")
_BUILT = ("docs/_build",)  # written by a build, not in the repository


def _texts() -> list[Path]:
    files = [*ROOT.glob("docs/*.rst"), *ROOT.glob("docs/guide/*.rst"),
             *ROOT.glob("docs/reference/*.rst"), *ROOT.glob("examples/*.md"),
             *ROOT.glob("examples/*.py")]
    assert len(files) >= 10
    return files


def test_no_reference_to_a_missing_file():
    missing = []
    for path in _texts():
        for ref in set(_PATH.findall(path.read_text(encoding="utf-8"))):
            ref = ref.rstrip(".")
            if ref.startswith(_BUILT) or "<" in ref:
                continue
            if not (ROOT / ref).exists():
                missing.append(f"{path.relative_to(ROOT)}: {ref}")
    assert not missing, "\n".join(missing)


def test_examples_readme_names_only_bundled_files():
    text = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([A-Za-z0-9_.-]+\.(?:py|pcap|csv|sr|hex|txt|json))`", text))
    assert named and all((ROOT / "examples" / n).exists() for n in named), named
