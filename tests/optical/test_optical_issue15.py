"""C12.18 session details seen on real optical traffic (issue 15 item 5)."""

from __future__ import annotations

import json
from dataclasses import replace

from optical_helpers import device

from osgpdissect.bytestream import Direction
from osgpdissect.optical import builders as B
from osgpdissect.optical import decode_optical_runs
from osgpdissect.optical.packet import build_packet


def _text(runs) -> str:
    return json.dumps([r.to_json() for r in decode_optical_runs(runs, device())])


def _with_identity(run, identity: int):
    """The run's packet rebuilt with another identity byte (CRC recomputed)."""
    d = run.data
    return replace(run, data=build_packet(d[6:-2], control=d[2], seq=d[3], identity=identity))


def test_non_zero_identity_byte_is_noted():
    """issue 15 item 5: a non-zero identity byte passes with a note on the record."""
    runs = B.session([(B.ident(), B.ident_response()), (B.read(1), B.read_response(b"\x01" * 8))])
    k = next(i for i, r in enumerate(runs) if r.direction is Direction.C2S and r.data[:1] == b"\xee")
    runs[k] = _with_identity(runs[k], 0x05)
    recs = [r.to_json() for r in decode_optical_runs(runs, device())]
    ident = next(r for r in recs if r["record"] == "exchange")
    assert any("identity byte 0x05" in w for w in ident["warnings"])
    # the other exchange, identity 0, has no such note
    assert not any("identity byte" in w for r in recs[2:] for w in r["warnings"])


def test_optical_procedure_write_has_no_mep_psn_rule():
    """issue 15 item 5: the MEP rule "PSN outside the client range 5..9" is not applied to
    optical procedure writes (BT07 with PSN 1)."""
    call = (2067).to_bytes(2, "little") + bytes((1,)) + bytes(6)  # EP19, PSN 1
    runs = B.session([(B.ident(), B.ident_response()), (B.write(7, call), B.ok())])
    text = _text(runs)
    assert "procedure call" in text
    assert "outside the MEP client range" not in text


def _two_sessions(second_first):
    """Session 1: Identify, Negotiate, Terminate (three packets each way: the toggle bits end
    where they began); session 2 starts with ``second_first`` and the builder's fresh toggles."""
    one = B.session([(B.ident(), B.ident_response()), (B.negotiate(), B.negotiate_response()),
                     (B.terminate(), B.ok())])
    two = B.session([second_first, (B.read(1), B.read_response(b"\x01" * 8))],
                    start=one[-1].byte_times[-1] + 1.0, wakeup=1)
    return one + two


def test_no_toggle_alarm_after_terminate_and_new_identify():
    """issue 15 item 5: after Terminate and a new Identify, the meter's first reply keeping
    its toggle bit is not flagged "toggle bit not flipped" (the link restarted)."""
    assert "toggle bit not flipped" not in _text(_two_sessions((B.ident(), B.ident_response())))


def test_toggle_alarm_kept_without_identify():
    """The toggle check itself still works: the same restart without an Identify is flagged."""
    text = _text(_two_sessions((B.read(0), B.read_response(b"\x02" * 4))))
    assert "toggle bit not flipped" in text
