"""Golden reST of a few pages (ET13, BT23, ET29 — bit space over a byte array —, EP19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from osgpdissect.backends.sphinx.pages import decl_page
from osgpdissect.lang.spec import load_default_spec

GOLDEN = Path(__file__).parent / "golden"
HEADER = ".. generated from the spec by osgpdissect.backends.sphinx.pages; do not edit (pytest tests/backends/sphinx --update-golden)"


@pytest.mark.parametrize("tid", ["ET13", "BT23", "ET29", "EP19"])
def test_golden_page(tid: str, update_golden: bool) -> None:
    text = "\n".join([HEADER, "", *decl_page(load_default_spec(), tid)]) + "\n"
    path = GOLDEN / f"{tid.lower()}.rst"
    if update_golden or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not update_golden:
            pytest.fail(f"{path} was missing and has been written; review it and rerun")
    assert text == path.read_text(encoding="utf-8"), f"{tid} page changed; review, then --update-golden"
