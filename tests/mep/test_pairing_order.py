"""Pairing rules that keep a response with its own request (issue 21 item 7, issue 16 item 2)."""

from __future__ import annotations

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.mep import Dissector

from .helpers import rc4_request, rc4_response


def _kinds(runs):
    return [(r.kind, r.request_frame is not None, r.response_frame is not None)
            for r in Dissector().dissect(runs)]


def test_poll_after_damaged_response_keeps_its_own_response():
    """issue 21 item 7: the next poll of the same table (new sequence number) after a damaged
    response is its own exchange, not a retry of the first."""
    first = rc4_request(0x3F, 23, seq=5, count=4)
    second = rc4_request(0x3F, 23, seq=6, count=4)
    good = rc4_response(0, bytes(4))
    runs = [ByteRun(Direction.C2S, first, 0.0), ByteRun(Direction.S2C, good[:7], 0.05),
            ByteRun(Direction.C2S, second, 0.6), ByteRun(Direction.S2C, good, 0.65)]
    records = list(Dissector().dissect(runs))
    exchanges = [r for r in records if r.kind == "exchange"]
    assert len(exchanges) == 1 and exchanges[0].request_frame.raw == second
    assert not exchanges[0].retries
    assert [r.request_frame.raw for r in records if r.kind == "unanswered"] == [first]


def test_untimed_response_that_cannot_answer_is_an_orphan():
    """issue 16 item 2: without times, a write followed by read data is not paired."""
    write = rc4_request(0x4F, 7, seq=1, data=b"\x01\x02")
    data = rc4_response(0, bytes(6))
    untimed = [ByteRun(Direction.C2S, write), ByteRun(Direction.S2C, data)]
    assert _kinds(untimed) == [("unanswered", True, False), ("orphan", False, True)]
    timed = [ByteRun(Direction.C2S, write, 0.0), ByteRun(Direction.S2C, data, 0.05)]
    assert _kinds(timed) == [("exchange", True, True)]  # seen in this order: kept
