"""issue 21 item 10: the scapy layers raise a clear TruncatedLayerError (a ValueError), never
scapy's raw ``struct.error``, on bytes too short for their fields; the dissect helpers still
never raise."""

from __future__ import annotations

import struct

import pytest

from osgpdissect.backends.scapy import mep as M
from osgpdissect.backends.scapy import optical as O
from osgpdissect.backends.scapy.truncated import TruncatedLayerError

LAYERS = [getattr(mod, name) for mod in (M, O) for name in mod.__all__
          if isinstance(getattr(mod, name), type) and issubclass(getattr(mod, name), M.Packet)]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda c: c.__name__)
def test_every_prefix_of_a_frame_is_clear(layer):
    """issue 21 item 10: every prefix of a few frames: a layer or a clear error."""
    frames = [bytes.fromhex("00143F083500000000055B4E42E7489775DAD853E3A3"),
              bytes.fromhex("ee002000001551") + bytes(22),
              bytes.fromhex("ee00000000033000dcdc1c"), bytes.fromhex("8000030102")]
    assert len(LAYERS) >= 20
    for frame in frames:
        for n in range(len(frame) + 1):
            try:
                pkt = layer(frame[:n])
                pkt.show(dump=True)
            except TruncatedLayerError as exc:
                assert "too short" in str(exc) and isinstance(exc, ValueError)
            except struct.error:  # pragma: no cover - the bug
                pytest.fail(f"{layer.__name__}({frame[:n].hex()}) raised struct.error")


def test_dissect_helpers_never_raise():
    """issue 21 item 10: the helpers turn cut bytes into Raw."""
    for n in range(8):
        data = bytes.fromhex("00143F0835000000")[:n]
        assert M.dissect_frame(data) is not None
        assert O.dissect_packet(bytes.fromhex("ee002000001551")[:n]) is not None
