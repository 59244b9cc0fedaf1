"""Issue 21: the scapy layers (MEP frames and exchanges, optical packets and services, table
payload layers built by the codec) dissect random and mutated bytes without an exception."""

from __future__ import annotations

import pytest
from fuzz_targets import check, targets_of


@pytest.mark.parametrize("target", targets_of("backends"), ids=lambda t: t.name)
def test_scapy_layers_survive_fuzzing(target):
    check(target, 60)
