"""Issue 21: one fault in one frame of a timed capture (the stream-fault bench's trials, a few
of each kind): every other frame is still decoded and the damaged one is reported, for the MEP
port (keyed session) and the optical port."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_faults as faults  # noqa: E402

from osgpdissect.security import Security  # noqa: E402
from osgpdissect.security.keys import KeyRing  # noqa: E402

SESSIONS = {"mep": faults.mep_session(12), "optical": faults.optical_session()}


@pytest.mark.parametrize("protocol", sorted(SESSIONS))
@pytest.mark.parametrize("fault", faults.FAULTS)
def test_timed_fault_loses_no_intact_frame_and_is_reported(protocol, fault):
    rng = random.Random(f"suite-{protocol}-{fault}")
    security = Security(KeyRing(mak=faults.KEY))
    for _ in range(2):
        intact, recovered, reported, _ = faults.trial(protocol, "timed", fault, SESSIONS[protocol],
                                                   rng, security)
        assert recovered == intact
        assert reported
