"""Damage is reported and never stops the decode: bad CRCs, truncation, NAK/resend, garbage,
toggle-bit retransmissions, stray tokens."""

from __future__ import annotations

from optical_helpers import BT01, device, timed

from osgpdissect.bytestream import Direction
from osgpdissect.optical import builders as B
from osgpdissect.optical import decode_optical_runs
from osgpdissect.optical.link import scan_link
from osgpdissect.optical.packet import LinkByte, Packet

C2S, S2C = Direction.C2S, Direction.S2C
ACK = b"\x06"


def _decode(runs, **kw):
    return [r.to_json() for r in decode_optical_runs(runs, device(), **kw)]


def _conversation(*steps: tuple[Direction, bytes], gap: float = 0.02):
    """Runs from (direction, bytes) steps, ``gap`` seconds apart."""
    runs, t = [], 0.0
    for d, data in steps:
        runs.append(timed(d, data, t))
        t += gap + len(data) * 10 / 9600
    return runs


def test_nak_and_resend_shown():
    runs = B.session([B.Exchange(B.read(1), B.read_response(BT01), request_naks=1, response_naks=2)])
    recs = _decode(runs)
    kinds = [r["record"] for r in recs]
    assert kinds.count("exchange") == 1 and kinds.count("malformed") == 3
    ex = next(r for r in recs if r["record"] == "exchange")
    assert ex["decoded"]["table"] == "BT01"
    req_log = [e["kind"] for e in ex["request"]["link_log"]]
    resp_log = [e["kind"] for e in ex["response"]["link_log"]]
    assert req_log[:3] == ["damaged packet", "nak", "packet"]
    assert resp_log[:5] == ["damaged packet", "nak", "damaged packet", "nak", "packet"]
    assert sum("NAKed" in w for w in ex["warnings"]) == 3
    bad = [r for r in recs if r["record"] == "malformed"]
    assert all("CRC" in r["malformed"]["reason"] for r in bad)


def test_toggle_bit_retransmission_recognised():
    runs = B.session([B.Exchange(B.read(1), B.read_response(BT01), lost_ack=True)])
    recs = _decode(runs)
    ex = next(r for r in recs if r["record"] == "exchange")
    assert len(ex["pairing"]["retries"]) == 1
    assert "toggle bit unchanged" in ex["pairing"]["retries"][0]["kind"]
    assert ex["request"]["segments"] == 1  # data not taken twice
    assert ex["decoded"]["table"] == "BT01"


def test_corrupted_crc_reported_and_decode_continues():
    bad = bytearray(B.read_response(BT01))
    bad[-1] ^= 0x55
    runs = _conversation((C2S, B.read(1)), (S2C, ACK + bytes(bad)), (C2S, B.read(0)),
                         (S2C, ACK + B.read_response(b"\x00" * 4)), (C2S, ACK))
    recs = _decode(runs)
    assert [r["record"] for r in recs] == ["malformed", "unanswered", "exchange"]
    assert "damaged packet" in recs[0]["malformed"]["reason"]
    assert recs[2]["request"]["table"] == "BT00"


def test_truncated_packet_reported():
    cut = B.read_response(BT01)[:9]
    runs = _conversation((C2S, B.read(1)), (S2C, ACK + cut), (C2S, B.logoff()), (S2C, ACK + B.ok()))
    recs = _decode(runs)
    kinds = [r["record"] for r in recs]
    assert kinds == ["malformed", "unanswered", "exchange"]
    assert "truncated" in recs[0]["malformed"]["reason"]
    assert recs[2]["request"]["service"] == "logoff"


def test_garbage_between_packets():
    runs = _conversation((C2S, b"\x55" + b"\x13\x37\xbe\xef" + B.ident()),
                         (S2C, ACK + B.ident_response()), (C2S, ACK + b"\xde\xad"))
    items = list(scan_link(runs))
    assert sum(isinstance(i, Packet) for i in items) == 2
    recs = _decode(runs)
    assert [r["record"] for r in recs] == ["wakeup", "malformed", "malformed", "exchange"]
    assert recs[1]["malformed"]["hex"] == "1337beef"
    assert recs[2]["malformed"]["hex"] == "dead"


def test_every_byte_accounted_for():
    data = b"\x55\x55" + b"\x01\x02" + B.ident() + b"\x06\xee\x00" + B.read(3) + b"\x15"
    items = list(scan_link([timed(C2S, data, 0.0)]))
    assert b"".join(i.raw for i in items) == data
    assert isinstance(items[0], LinkByte) and items[0].count == 2


def test_stray_tokens_are_link_records():
    runs = _conversation((S2C, ACK), (S2C, b"\x15"))
    recs = _decode(runs)
    assert [r["record"] for r in recs] == ["link", "link"]
    assert recs[1]["link"]["kind"] == "nak" and recs[1]["warnings"]


def test_bad_read_checksum_reported():
    runs = B.session([(B.read(1), B.read_response(BT01, checksum=0x00))])
    ex = _decode(runs)[1]
    assert any("checksum" in p for p in ex["response"]["problems"])
    assert ex["decoded"]["table"] == "BT01"  # still decoded


def test_checksum_convention_named():
    total = sum(BT01) & 0xFF
    runs = B.session([(B.read(1), B.read_response(BT01, checksum=(~total) & 0xFF))])
    problems = _decode(runs)[1]["response"]["problems"]
    assert any("one's complement" in p for p in problems)


def test_error_response_named():
    runs = B.session([(B.read(23), B.error("isc"))])
    ex = _decode(runs)[1]
    assert ex["response"]["code_name"] == "isc"
    assert ex["response"]["code_text"] == "Insufficient Security Clearance"
    assert ex["decoded"] is None


def test_missing_multi_packet_piece():
    frames = B.packets(bytes(600), packet_size=128)
    runs = _conversation((C2S, B.read(3)), (S2C, ACK))
    runs.append(timed(S2C, frames[0], 0.2))
    t = 0.4
    for f in frames[1:2] + frames[3:]:
        runs.append(timed(C2S, ACK, t))
        runs.append(timed(S2C, f, t + 0.01))
        t += 0.2
    recs = _decode(runs)
    ex = next(r for r in recs if r["record"] == "exchange")
    assert any("expected" in w for w in ex["warnings"])


def test_unanswered_and_orphan():
    runs = [timed(C2S, B.ident(), 0.0), timed(S2C, ACK, 0.05), timed(C2S, B.read(1), 0.1),
            timed(S2C, ACK + B.ok(), 0.2), timed(S2C, B.error("bsy"), 1.0)]
    recs = _decode(runs)
    assert [r["record"] for r in recs] == ["unanswered", "exchange", "orphan"]
    assert recs[2]["response"]["code_name"] == "bsy"


def test_identical_response_is_a_retransmission():
    runs = [timed(C2S, B.ident(), 0.0), timed(S2C, ACK + B.ok(), 0.1), timed(S2C, B.ok(), 1.0)]
    recs = _decode(runs)
    assert [r["record"] for r in recs] == ["exchange"]
    assert recs[0]["pairing"]["retries"][0]["kind"].startswith("response: retransmission")
