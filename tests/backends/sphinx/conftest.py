"""Docs tests: the whole site built once with -W (the build, the indexes), and a small test
root (a few table pages) for the rendering tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from osgpdissect.cli.docs import docs_source, sphinx_command

SMALL_PAGES = ["BT21", "BT23", "ET11", "ET13", "EP19"]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site built once with ``sphinx-build -W --keep-going`` (warnings fail the build)."""
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(sphinx_command(docs_source(), out / "html", out / "doctrees"),
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout}\n{proc.stderr}"
    return out / "html"


@pytest.fixture(scope="session")
def small_site(tmp_path_factory) -> Path:
    """A test root with the site's configuration and CSS but only SMALL_PAGES as table pages
    (links to other tables stay plain text), built without -W."""
    import shutil

    src = tmp_path_factory.mktemp("small-src")
    docs = docs_source()
    conf = (docs / "conf.py").read_text(encoding="utf-8")
    (src / "conf.py").write_text(conf + f"\nosgp_pages_only = {SMALL_PAGES!r}\n", encoding="utf-8")
    shutil.copytree(docs / "_static", src / "_static")
    (src / "index.rst").write_text("Small site\n==========\n\n.. toctree::\n\n   tables/index\n",
                                   encoding="utf-8")
    out = tmp_path_factory.mktemp("small-site")
    cmd = [c for c in sphinx_command(src, out / "html", out / "doctrees") if c != "-W"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout}\n{proc.stderr}"
    return out / "html"
