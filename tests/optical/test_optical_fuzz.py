"""Fuzz every optical entry point: any bytes in, records out, never an exception."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from optical_helpers import device, session_runs

from osgpdissect.backends.scapy.optical import dissect_packet, dissect_service
from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.mixed import decode_mixed, split_mixed
from osgpdissect.optical import builders as B
from osgpdissect.optical import decode_optical_runs, parse_request, parse_response, scan_link
from osgpdissect.optical.packet import packet_status

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_DEVICE = None


def _dev():
    global _DEVICE
    if _DEVICE is None:
        _DEVICE = device()
    return _DEVICE


# bytes rich in protocol-looking values
_byte = st.one_of(st.integers(0, 255), st.sampled_from([0xEE, 0x00, 0x06, 0x15, 0x55, 0x01, 0x30]))
_data = st.lists(_byte, max_size=300).map(bytes)
_run = st.builds(
    lambda d, data, t: ByteRun(d, data, t),
    st.sampled_from(list(Direction)),
    _data,
    st.one_of(st.none(), st.floats(0, 100, allow_nan=False)),
)


def _consume(records):
    for rec in records:
        json.dumps(rec.to_json())


@FUZZ
@given(st.lists(_run, max_size=8))
def test_decode_optical_runs_never_raises(runs):
    _consume(decode_optical_runs(runs, _dev()))
    items = list(scan_link(runs))
    for d in Direction:  # nothing dropped
        assert b"".join(i.raw for i in items if i.direction is d) == b"".join(
            r.data for r in runs if r.direction is d)


@FUZZ
@given(st.lists(_run, max_size=8))
def test_mixed_never_raises_and_keeps_every_byte(runs):
    split = split_mixed(runs)
    for d in Direction:
        assert b"".join(s.run.data for s in split.segments if s.run.direction is d) == b"".join(
            r.data for r in runs if r.direction is d)
    _consume(decode_mixed(runs, _dev()))


@FUZZ
@given(_data, _data)
def test_service_parsers_never_raise(a, b):
    req = parse_request(a)
    parse_response(b, req)
    parse_response(b, None)
    dissect_service(a, "request")
    dissect_service(b, "response", dissect_service(a, "request"))
    dissect_packet(a)
    if a:
        packet_status(a, 0)
    B.service_data(a)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_session_still_decodes(data):
    """Flip, drop or insert bytes anywhere in the synthetic session."""
    runs = session_runs()
    k = data.draw(st.integers(0, len(runs) - 1))
    run = runs[k]
    raw = bytearray(run.data)
    pos = data.draw(st.integers(0, len(raw) - 1))
    action = data.draw(st.sampled_from(["flip", "drop", "insert"]))
    if action == "flip":
        raw[pos] ^= data.draw(st.integers(1, 255))
    elif action == "drop":
        del raw[pos]
    else:
        raw.insert(pos, data.draw(st.integers(0, 255)))
    runs[k] = ByteRun(run.direction, bytes(raw), run.time, (), (), run.source)
    recs = [r.to_json() for r in decode_optical_runs(runs, device())]
    assert sum(r["record"] == "exchange" for r in recs) >= 8
    security_header_hit = run.data[:1] == b"\xee" and run.data[6:7] == b"\x51" and 4 <= pos <= 6
    if not security_header_hit:  # a damaged service code hides what the bytes were
        text = json.dumps(recs)
        assert "s3cret" not in text and b"s3cret".hex() not in text
