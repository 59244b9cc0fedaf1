"""Procedure headers (BT07 call, BT08/ET59/ET85 result) read and built by the codec (issue 14)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.procedures import (
    call_bytes,
    call_header,
    decode_procedure_call,
    decode_procedure_result,
    result_bytes,
)
from osgpdissect.c1218.tables import TableContext
from osgpdissect.c1218.tracker import ProcedureTracker


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=3, max_size=3))
def test_call_header_is_the_guides_word(spec, data):
    """Issue 14: BT07's header (number bits 0..11, handling 12..15, PSN) comes from the codec."""
    word = data[0] | data[1] << 8
    assert call_header(spec, data) == (word & 0xFFF, word >> 12, data[2])


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 0xFFF), st.integers(0, 255), st.integers(0, 255), st.binary(max_size=6))
def test_result_round_trip(spec, number, psn, code, data):
    """Issue 14: a result built by the codec (BT08 layout) decodes back to its header and data."""
    raw = result_bytes(spec, number, psn, code, data)
    assert raw == bytes([number & 0xFF, number >> 8, psn, code]) + data
    res = decode_procedure_result(spec, raw)
    assert (res.number, res.psn, res.result_code, res.raw_data) == (number, psn, code, data)


def test_call_and_result_match(spec):
    """Issue 14: the PSN and number of a call and its result are compared from decoded headers."""
    assert call_bytes(spec, 0x813, 7, b"\x01", handling=1) == bytes([0x13, 0x18, 7, 1])
    call = decode_procedure_call(spec, call_bytes(spec, 0x813, 7))
    assert (call.number, call.psn) == (0x813, 7)
    res = decode_procedure_result(spec, result_bytes(spec, 0x813, 7, 0), call)
    assert res.matches_call


def test_tracker_reads_headers_through_the_codec(spec):
    """Issue 14: the procedure tracker's call and result headers come from the codec."""
    tracker = ProcedureTracker(TableContext(spec))
    call = tracker.on_call(bytes([0x13, 0x18, 7]), 1)
    assert (call["number"], call["response_handling"], call["psn"]) == (0x813, 1, 7)
    result = tracker.on_result(C.BT08, 0, result_bytes(spec, 0x813, 7, 0, b"\x05"))
    assert (result["number"], result["psn"], result["result_code"]) == (0x813, 7, 0)
    assert result["call_exchange"] == 1 and result["data"] == "05"


def test_tracker_without_a_spec_says_why(spec):
    """Issue 14: with no spec there is no codec to read the header: said, not guessed."""
    tables = TableContext(spec)
    tables.available, tables.reason = False, "table decoding unavailable: test"
    tracker = ProcedureTracker(tables)
    call = tracker.on_call(bytes([0x13, 0x08, 7]), 1)
    assert call["problems"] == ["procedure header not decoded: table decoding unavailable: test"]
    result = tracker.on_result(C.BT08, 0, bytes([0x13, 0x08, 7, 0]))
    assert result is not None and result["problems"] == call["problems"]


def test_a_call_whose_header_was_not_read_keeps_its_bytes_and_is_not_skipped(spec):
    """Review (session 6): a BT07 call whose header could not be read lost its bytes and was
    passed over, so the next result was matched against the call before it."""
    tables = TableContext(spec)
    tracker = ProcedureTracker(tables)
    first = tracker.on_call(bytes([0x13, 0x08, 7]), 1)
    assert first["psn"] == 7
    tables.available, tables.reason = False, "table decoding unavailable: test"
    second = tracker.on_call(bytes([0x13, 0x08, 8, 0x01]), 2)
    assert second["raw"] == "13080801"
    tables.available = True
    result = tracker.on_result(C.BT08, 0, result_bytes(spec, 0x813, 7, 0))
    assert "call_exchange" not in result
    assert result["problems"] == ["the last BT07 call's header was not read: this result "
                                  "cannot be matched with it"]
