"""Docs tests: one site build shared by the tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from osgpdissect.cli.docs import docs_source, sphinx_command


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site built once with ``sphinx-build -W --keep-going`` (warnings fail the build)."""
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(sphinx_command(docs_source(), out / "html", out / "doctrees"),
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout}\n{proc.stderr}"
    return out / "html"
