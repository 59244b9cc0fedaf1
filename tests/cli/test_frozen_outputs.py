"""The CLI's outputs over a frozen corpus (issue 14): a redesign of the decode side changes none.

The golden file was written by the decoders before the codec redesign; changes on purpose are
made by regenerating it (``pytest tests/cli/test_frozen_outputs.py --update-golden``) and
reviewing the diff.
"""

from __future__ import annotations

import difflib
import gzip
import json

import pytest
from frozen_corpus import GOLDEN, corpus_jobs, run_jobs


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("OSGP_MAK", "OSGP_MBK", "OSGP_RC4_KEY", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


def _first_difference(want: str, got: str) -> str:
    diff = difflib.unified_diff(want.splitlines(), got.splitlines(), "golden", "now", lineterm="", n=1)
    return "\n".join(list(diff)[:40])


def test_outputs_equal_the_frozen_corpus(tmp_path, clean_env, update_golden):
    runs = run_jobs(corpus_jobs(tmp_path), tmp_path)
    if update_golden:
        payload = {"generated": "by tests/cli/test_frozen_outputs.py --update-golden; do not edit",
                   "runs": runs}
        with gzip.open(GOLDEN, "wt", encoding="utf-8") as f:
            json.dump(payload, f, indent=0)
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as f:
        golden = json.load(f)["runs"]
    assert [r[0] for r in runs] == [g[0] for g in golden]
    for (argv, rc, out, err), (_, grc, gout, gerr) in zip(runs, golden, strict=True):
        assert (rc, err) == (grc, gerr), argv
        assert out == gout, f"{argv}\n{_first_difference(gout, out)}"
        assert out, argv  # every capture of the corpus prints its records
