"""Session-wide: the spec cache lives in a temporary folder, never in the user's own cache.

Set in ``pytest_configure`` (before collection, since some test modules load the spec at import)
and through ``os.environ``, so CLI subprocesses inherit it.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_ENV = "OSGPDISSECT_CACHE_DIR"
_saved: dict[str, str | None] = {}


def pytest_configure(config):
    _saved[_ENV] = os.environ.get(_ENV)
    _saved["dir"] = tempfile.mkdtemp(prefix="osgpdissect-test-cache-")
    os.environ[_ENV] = _saved["dir"]


def pytest_unconfigure(config):
    if "dir" not in _saved:
        return
    shutil.rmtree(_saved.pop("dir"), ignore_errors=True)
    old = _saved.pop(_ENV)
    if old is None:
        os.environ.pop(_ENV, None)
    else:
        os.environ[_ENV] = old


def pytest_addoption(parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files (docs pages, frozen CLI outputs) from the current code")


@pytest.fixture
def update_golden(request) -> bool:
    return bool(request.config.getoption("--update-golden", default=False))


@pytest.fixture(scope="session")
def spec():
    """The shipped spec, parsed once."""
    from osgpdissect.lang.spec import load_default_spec

    return load_default_spec()
