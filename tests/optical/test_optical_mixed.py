"""One UART carrying MEP and optical traffic: split, both halves decoded, nothing dropped."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from optical_helpers import BT01, device, mep_request, mep_response, table_image, timed

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.mixed import decode_mixed, split_mixed
from osgpdissect.optical import builders as B

C2S, S2C = Direction.C2S, Direction.S2C
ACK = b"\x06"


def _optical_exchange(request: bytes, response: bytes) -> list[tuple[Direction, bytes]]:
    return [(C2S, request), (S2C, ACK), (S2C, response), (C2S, ACK)]


OPTICAL = [
    _optical_exchange(B.ident(), B.ident_response()),
    _optical_exchange(B.read(1), B.read_response(BT01)),
    _optical_exchange(B.read(0), B.read_response(table_image("BT00"))),
    _optical_exchange(B.logoff(), B.ok()),
]
MEP = [
    [(C2S, mep_request(21, 0, 10, 0x100)), (S2C, mep_response(table_image("BT21")))],
    [(S2C, b"\x00\x00")],
    [(C2S, mep_request(1, 0, 16, 0x101)), (S2C, mep_response(BT01))],
]


def _runs(order: list[bool]):
    """Exchanges of both lists in ``order`` (True: next optical, False: next MEP), timed."""
    opt, mep = iter(OPTICAL), iter(MEP)
    runs, t = [], 0.0
    for optical in order:
        for d, data in next(opt) if optical else next(mep):
            runs.append(timed(d, data, t))
            t += len(data) * 10 / 9600 + 0.015
        t += 0.05
    return runs


def _check(runs):
    split = split_mixed(runs)
    for d in Direction:  # every byte, in order, in exactly one segment
        assert b"".join(s.run.data for s in split.segments if s.run.direction is d) == b"".join(
            r.data for r in runs if r.direction is d)
    assert split.unknown == [] and split.ambiguous == []
    recs = [r.to_json() for r in decode_mixed(runs, device())]
    optical = [r for r in recs if r.get("protocol") == "optical"]
    mep = [r for r in recs if r.get("protocol") != "optical"]
    assert [r["record"] for r in optical] == ["exchange"] * 4
    assert sorted(r["record"] for r in mep) == ["alert", "exchange", "exchange"]
    decoded = {r["decoded"]["table"] for r in recs if r["decoded"]}
    assert decoded == {"BT00", "BT01", "BT21"}
    for r in recs:
        if r["decoded"]:
            assert r["decoded"]["fields"][0]["name"] != "data"
    assert [r["index"] for r in recs] == list(range(1, len(recs) + 1))
    times = [r["time"] for r in recs]
    assert times == sorted(times)


def test_optical_then_mep():
    _check(_runs([True] * 4 + [False] * 3))


def test_alternating():
    _check(_runs([True, False, True, False, True, False, True]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations([True] * len(OPTICAL) + [False] * len(MEP)))
def test_any_interleaving_splits_and_decodes(order):
    _check(_runs(order))


def test_back_to_back_in_one_run():
    """Both protocols in one run of each direction (no gaps at all)."""
    c2s = B.read(1) + mep_request(21, 0, 10, 7) + ACK
    split = split_mixed([timed(C2S, c2s, 0.0)])
    assert [s.protocol for s in split.segments] == ["optical", "mep", "optical"]


def test_unknown_bytes_reported_not_dropped():
    runs = [timed(C2S, b"\xaa\xbb" + B.ident() + b"\x99", 0.0)]
    split = split_mixed(runs)
    assert [s.protocol for s in split.segments] == ["unknown", "optical", "unknown"]
    recs = [r.to_json() for r in decode_mixed(runs, device())]
    assert [r["record"] for r in recs] == ["malformed", "unanswered", "malformed"]


def test_zero_zero_after_optical_packet_is_ambiguous():
    runs = [timed(C2S, B.ident(), 0.0), timed(S2C, b"\x00\x00", 0.05)]
    split = split_mixed(runs)
    assert split.ambiguous and "0x00 ACK" in split.ambiguous[0].note
    assert split_mixed([timed(S2C, b"\x00\x00", 0.0)]).segments[0].protocol == "mep"


def test_damaged_optical_packet_goes_to_the_optical_side():
    bad = bytearray(B.read(1))
    bad[-1] ^= 1
    split = split_mixed([timed(C2S, bytes(bad) + mep_request(1, 0, 4, 9), 0.0)])
    assert [s.protocol for s in split.segments] == ["optical", "mep"]


def test_no_ack_is_due_after_a_damaged_packet():
    """Found by the stream-fault bench (issue 21): a MEP response whose duplicated bytes held a
    damaged ``EE`` packet made the next MEP request's first ``00`` an optical 0x00 ACK (the
    request was lost as malformed bytes).  Only an intact packet is ACKed."""
    bad = bytearray(B.read(1))
    bad[-1] ^= 1
    runs = [timed(S2C, mep_response(b"\x01\x02") + bytes(bad), 0.0),
            timed(C2S, mep_request(21, 0, 10, 7), 0.2)]
    split = split_mixed(runs)
    assert [s.protocol for s in split.segments] == ["mep", "optical", "mep"]
    assert not split.ambiguous
    intact = [timed(S2C, B.read(1), 0.0), timed(C2S, b"\x00" + mep_request(21, 0, 10, 7), 0.05)]
    assert split_mixed(intact).segments[1].protocol == "optical"  # the NES 0x00 ACK is due


def test_untimed_damaged_mep_frame_does_not_take_the_next_frame():
    """issue 21: without times, a MEP frame that lost a byte swallowed the next frame's first
    byte (the rest of that frame then went to the unknown side): it now ends where the next
    frame starts, shown as unknown bytes, and the next frame stays MEP."""
    first, second = mep_request(21, 0, 10, 7), mep_request(1, 0, 16, 8)
    damaged = first[:9] + first[10:]
    c2s = B.read(1) + damaged + second + ACK
    split = split_mixed([ByteRun(C2S, c2s)])
    assert [(s.protocol, s.run.data) for s in split.segments] == [
        ("optical", B.read(1)), ("unknown", damaged), ("mep", second), ("optical", ACK)]
    assert "damaged MEP frame" in split.segments[1].note
    intact = split_mixed([ByteRun(C2S, B.read(1) + first + second + ACK)])
    assert [s.protocol for s in intact.segments] == ["optical", "mep", "mep", "optical"]
