"""Shared fixtures for the capture-format tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from capture_helpers import make_session

from osgpdissect.bytestream import ByteRun

DATA = Path(__file__).resolve().parent.parent / "data" / "captures"


@pytest.fixture
def session() -> list[ByteRun]:
    return make_session()


@pytest.fixture
def data_dir() -> Path:
    return DATA
