"""Issue 21: untimed captures (each direction one byte stream, as raw dumps give them) with one
frame or packet damaged: the frames after it are recovered and paired by protocol order, the
damaged one is reported (the stream-fault bench's untimed trials, fixed cases)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_faults as faults  # noqa: E402

from osgpdissect.bytestream import ByteRun  # noqa: E402
from osgpdissect.c1218.severity import error_reasons  # noqa: E402
from osgpdissect.cli.pipeline import decode_records  # noqa: E402
from osgpdissect.security import Security  # noqa: E402
from osgpdissect.security.keys import KeyRing  # noqa: E402


def _optical_session() -> list[ByteRun]:
    """The bench's optical session with tables that decode fast (multi-packet reads kept)."""
    from osgpdissect.optical import builders as B

    table = bytes(range(256))
    exchanges = [
        (B.ident(), B.ident_response(std=0, ver=2, rev=0)),
        (B.negotiate(64, 8, 9600), B.negotiate_response(64, 8, 9600)),
        (B.logon(2, "test"), B.ok()),
        (B.security("test-pw"), B.ok()),
        (B.read(0), B.read_response(table[:40])),
        (B.read(28), B.read_response(table[7:111])),
        (B.read(1), B.read_response(table[:32])),
        (B.read(52), B.read_response(table[:7])),
        (B.logoff(), B.ok()),
        (B.terminate(), B.ok()),
    ]
    return B.session(exchanges, packet_size=64)


SESSIONS = {"mep": faults.mep_session(10), "optical": _optical_session()}


def _damaged(data: bytes, fault: str) -> bytes:
    k = len(data) // 2
    if fault == "drop":
        return data[:k] + data[k + 1:]
    if fault == "cut":
        return data[:k]
    return data[:k + 3] + data[k:k + 3]  # duplicate: a span sent twice, the rest lost


def _decode_untimed(protocol: str, hit: int, fault: str):
    """(intact frames, those decoded, hex of the records flagged ``!`` that show the damaged
    bytes, or some of them)."""
    base = SESSIONS[protocol]
    runs = list(base)
    bad = _damaged(runs[hit].data, fault)
    runs[hit] = ByteRun(runs[hit].direction, bad, None)
    decoded, flagged = set(), []
    security = Security(KeyRing(mak=faults.KEY))
    for item in decode_records(faults.untimed(runs), "auto", security=security):
        frames, malformed = faults.frames_of(item.record)
        decoded.update(frames)
        if error_reasons(item.record):
            flagged += frames + malformed
    intact = [r.data.hex() for i, r in enumerate(base) if i != hit and faults.is_unit(protocol, r)]
    reported = [f for f in flagged if f and (f in bad.hex() or bad.hex() in f)]
    return intact, [h for h in intact if h in decoded], reported


@pytest.mark.parametrize("fault", ["drop", "cut", "duplicate"])
@pytest.mark.parametrize("hit", [3, 6])
def test_untimed_mep_frames_after_a_damaged_frame_are_recovered(hit, fault):
    """issue 21: the damaged frame's length swallowed the next frame's first bytes, which was
    then lost (about 1.5 % of the intact frames untimed)."""
    intact, recovered, reported = _decode_untimed("mep", hit, fault)
    assert recovered == intact
    assert reported


@pytest.mark.parametrize("fault", ["drop", "cut", "duplicate"])
@pytest.mark.parametrize("hit", [19, 23, 9])
def test_untimed_optical_packets_after_a_damaged_packet_are_recovered(hit, fault):
    """issue 21: a damaged packet's length field ran into the next packets; the untimed
    ordering took them all as one damaged unit."""
    base = SESSIONS["optical"]
    assert faults.is_unit("optical", base[hit]) and len(base[hit].data) > 20
    intact, recovered, reported = _decode_untimed("optical", hit, fault)
    assert recovered == intact
    assert reported
