"""Issue 21: the MEP dissector on timed and untimed runs of random and mutated frames (with and
without keys) never fails internally (the target ``make fuzz`` runs at scale)."""

from __future__ import annotations

import pytest
from fuzz_targets import check, targets_of


@pytest.mark.parametrize("target", targets_of("mep"), ids=lambda t: t.name)
def test_mep_dissector_survives_fuzzing(target):
    check(target, 60)
