"""Fixtures for the spec-language core tests (issue 2, "Done when")."""

from __future__ import annotations

import pytest

from osgpdissect.lang.spec import load_default_spec


@pytest.fixture(scope="session")
def spec():
    return load_default_spec()
