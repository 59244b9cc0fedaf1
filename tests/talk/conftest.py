"""A simulated meter served on a pty or TCP loopback, and a client on it."""

from __future__ import annotations

import pytest

from osgpdissect.security.keys import KeyRing
from osgpdissect.sim.image import MeterImage
from osgpdissect.sim.mep_server import MEPServer
from osgpdissect.sim.serve import Simulator

MAK = "01" * 16
MBK = "02" * 16
RC4_KEY = "03" * 16
SERVER_SEQ = 0x77635B90

IMAGE = {
    "profile": "gen4",
    "keys": {"mak": MAK, "mbk": MBK, "rc4_key": RC4_KEY},
    "tables": {
        "ET11": {"num_devices": 2},
        "ET50": {"mep_inbound_config": [{"mep_flags": {"et59_response": 1}}]},
        "BT23": {"hex": bytes(range(256)).hex() * 4 + "00" * 37},
    },
}


@pytest.fixture(params=["pty", "tcp"])
def meter(request, spec):
    """A running simulator (``.path`` is what a client opens); stopped after the test."""
    sim = Simulator(MEPServer(MeterImage.from_mapping(IMAGE, spec), seq=SERVER_SEQ))
    if request.param == "pty":
        sim.open_pty()
    else:
        sim.open_tcp()
    yield sim
    sim.stop()


@pytest.fixture
def mak_keys() -> KeyRing:
    return KeyRing(mak=MAK, rc4_key=RC4_KEY)
