"""Fixtures for the codec tests: every decode test runs compiled AND interpreted."""

from __future__ import annotations

import pytest


@pytest.fixture(params=[True, False], ids=["compiled", "interpreted"])
def codec_mode(request) -> bool:
    """``compiled`` argument for :func:`osgpdissect.codec.decode_table` (True: emitted code)."""
    return request.param
