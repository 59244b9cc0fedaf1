"""Issue 21: the mixed MEP/optical decoder on timed and untimed runs of random and mutated
packets never fails internally (the target ``make fuzz`` runs at scale)."""

from __future__ import annotations

import pytest
from fuzz_targets import check, targets_of


@pytest.mark.parametrize("target", targets_of("optical"), ids=lambda t: t.name)
def test_optical_decoder_survives_fuzzing(target):
    check(target, 60)
