"""Issue 21: ``decode_table`` on random bytes of every table at any offset (huge ones included),
and ``encode_table`` of what it decoded, never fail internally."""

from __future__ import annotations

import pytest
from fuzz_targets import check, targets_of


@pytest.mark.parametrize("target", targets_of("codec"), ids=lambda t: t.name)
def test_codec_survives_fuzzing(target):
    check(target, 60)
