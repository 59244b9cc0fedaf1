"""Fuzz every entry point: random and mutated frames never raise; each ends decoded or malformed."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import GUIDE_KEY, chunk_runs, frame_hex, rc4_frames
from hypothesis import given, settings
from hypothesis import strategies as st

from osgpdissect.backends.scapy import dissect_exchange, dissect_frame
from osgpdissect.mep import Frame, Malformed, dissect, reassemble
from osgpdissect.mep.frames import looks_like_frame, parse_request, parse_response
from osgpdissect.mep.transactions import parse_transaction
from osgpdissect.security import Security
from osgpdissect.security.keys import KeyRing

GUIDE_WIRES = [bytes.fromhex(frame_hex(v)) for v in rc4_frames()]


@st.composite
def mutated(draw):
    wire = bytearray(draw(st.sampled_from(GUIDE_WIRES)))
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(0, len(wire) - 1))
        op = draw(st.sampled_from(["flip", "drop", "insert"]))
        if op == "flip":
            wire[k] = draw(st.integers(0, 255))
        elif op == "drop" and len(wire) > 1:
            del wire[k]
        else:
            wire.insert(k, draw(st.integers(0, 255)))
    return bytes(wire)


WIRES = st.one_of(st.binary(max_size=600), mutated())


@settings(max_examples=300, deadline=None)
@given(WIRES)
def test_frame_readers_never_raise(wire):
    req = parse_request(wire)
    parse_response(wire, req)
    parse_response(wire, None)
    looks_like_frame(wire)
    parse_transaction(wire)


@settings(max_examples=150, deadline=None)
@given(WIRES, WIRES)
def test_layers_never_raise(a, b):
    for direction in ("C->S", "S->C"):
        try:
            dissect_frame(a, direction).summary()
        except Exception as exc:  # scapy may refuse bytes, but only with its own errors
            raise AssertionError(f"layer raised {exc!r} on {a.hex()}") from exc
    if len(a) > 2 and len(b) > 2:
        dissect_exchange(a, b)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.booleans(), WIRES), min_size=1, max_size=8), st.booleans())
def test_pipeline_ends_decoded_or_malformed(chunks, keyed):
    runs = chunk_runs(chunks)
    total = sum(len(r.data) for r in runs)
    items = list(reassemble(runs))
    assert sum(len(i.raw) for i in items) == total  # every byte is a frame, an alert or malformed
    security = Security(KeyRing(mak=GUIDE_KEY)) if keyed else None
    for rec in dissect(runs, security=security):
        blob = rec.to_json()
        json.dumps(blob, default=str)
        assert rec.kind in ("exchange", "unanswered", "orphan", "alert", "malformed")
        assert not any(w.startswith("internal error") for w in rec.warnings), rec.warnings
        if rec.kind == "malformed":
            assert isinstance(rec.malformed, Malformed)
        elif rec.kind != "alert":
            assert isinstance(rec.request_frame or rec.response_frame, Frame)


def test_layers_import_without_scapy_all():
    code = "import sys, osgpdissect.backends.scapy; assert 'scapy.all' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
