"""Fixtures of the CLI tests: the example key in the environment, the session's byte runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_helpers import GUIDE_MAK, make_examples  # noqa: E402


@pytest.fixture(autouse=True)
def _example_key(monkeypatch):
    monkeypatch.setenv("OSGP_MAK", GUIDE_MAK)
    monkeypatch.delenv("OSGP_MBK", raising=False)
    monkeypatch.delenv("OSGP_RC4_KEY", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="session")
def examples_mod():
    return make_examples()


@pytest.fixture(scope="session")
def session_runs(examples_mod):
    return examples_mod.session()
