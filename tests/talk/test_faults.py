"""Fault options against the client and the dissector (issue 17): lost and damaged answers
are recovered from or reported, never waited on for ever; decoding the recorded line flags the
damaged frames only."""

from __future__ import annotations

import time

import pytest

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.mep.dissector import Dissector
from osgpdissect.security import Security
from osgpdissect.security.keys import KeyRing
from osgpdissect.sim.image import MeterImage
from osgpdissect.sim.mep_server import MEPServer
from osgpdissect.sim.serve import Faults, Simulator
from osgpdissect.talk.mep_socket import MEPError, MEPSocket
from tests.talk.conftest import IMAGE, MAK, SERVER_SEQ


def _flagged(rec) -> bool:
    notes = (rec.security or {}).get("notes") or []
    return rec.kind == "malformed" or any("fails" in n for n in notes)


@pytest.mark.parametrize("seed", [1])
def test_drop_and_noise_recovered_and_only_damaged_frames_flagged(spec, seed):
    """Issue 17: --drop-rate/--noise-rate: every read gives the image's bytes or an error;
    the line's decode flags exactly the damaged answers and decodes the rest right."""
    line: list[ByteRun] = []

    def tap(direction: str, data: bytes) -> None:
        d = Direction.C2S if direction == "rx" else Direction.S2C
        line.append(ByteRun(d, data, time.time()))

    faults = Faults(drop_rate=0.2, noise_rate=0.3, seed=seed)
    image = MeterImage.from_mapping(IMAGE, spec)
    keys = KeyRing(mak=MAK)
    with Simulator(MEPServer(image, seq=SERVER_SEQ), tap, faults) as sim, MEPSocket(
            sim.open_pty(), keys, seq=SERVER_SEQ + 1, timeout=3.0, retries=4) as s:
        saw, errors = {}, []
        for k in range(10):
            try:
                saw[k * 10] = s.read("BT23", k * 10, 10).data
            except MEPError as exc:
                errors.append(exc)
    assert faults.dropped + faults.damaged > 0 and len(saw) + len(errors) == 10
    assert all(data == bytes(image.get("BT23")[o : o + 10]) for o, data in saw.items())

    records = list(Dissector(security=Security(keys)).dissect(line))
    flagged = [r for r in records if _flagged(r)]
    damaged = b"".join(faults.damaged_answers)
    for rec in flagged:
        raw = rec.malformed.raw if rec.malformed else rec.response_frame.raw
        assert raw in damaged
    for answer in faults.damaged_answers:
        assert any((r.malformed.raw if r.malformed else r.response_frame.raw) in answer
                   or answer in (r.malformed.raw if r.malformed else r.response_frame.raw)
                   for r in flagged)
    for rec in records:
        if rec.kind == "exchange" and not _flagged(rec) and rec.table is not None:
            offset = rec.request.offset
            assert rec.table.data == bytes(image.get("BT23")[offset : offset + 10])


def test_forced_0c_is_resynced_and_forced_0b_reported(spec):
    """Issue 17: --force N=0x0C / N=0x0B on chosen requests."""
    image = MeterImage.from_mapping(IMAGE, spec)
    server = MEPServer(image, seq=SERVER_SEQ, force={2: 0x0C, 4: 0x0B})
    with Simulator(server) as sim, MEPSocket(sim.open_pty(), KeyRing(mak=MAK),
                                             seq=SERVER_SEQ + 1, timeout=30.0) as s:
        assert s.read("BT23", 0, 2).data == b"\x00\x01"  # request 1
        assert s.read("BT23", 2, 2).data == b"\x02\x03"  # request 2 answered 0x0C, then 3
        with pytest.raises(MEPError) as err:
            s.read("BT23", 4, 2)  # request 4
        assert err.value.code == 0x0B
        assert s.read("BT23", 4, 2).data == b"\x04\x05"
    assert server.log.seq_errors == 1 and server.log.auth_failures == 1
