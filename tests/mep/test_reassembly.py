"""Reassembly: every intact frame recovered, every damaged one reported (hypothesis-generated)."""

from __future__ import annotations

from helpers import rc4_request, rc4_response
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.c1218 import codes as C
from osgpdissect.mep import Alert, Frame, Malformed, reassemble
from osgpdissect.mep.frames import looks_like_frame

SEGMENT = 117
BYTE = 10 / 9600


@st.composite
def frames(draw):
    """A plausible request or response frame (RC4, plaintext), up to the 476-byte maximum."""
    seq = draw(st.integers(0, 2**32 - 1))
    digest = draw(st.binary(min_size=8, max_size=8))
    table = draw(st.integers(0, 0x0FFF))
    kind = draw(st.sampled_from(["read", "write", "ok", "data", "err", "seq"]))
    if kind == "read":
        return Direction.C2S, rc4_request(
            0x3F, table, seq, draw(st.integers(0, 2000)), draw(st.integers(1, 465)), digest=digest
        )
    if kind == "write":
        data = draw(st.binary(min_size=1, max_size=456))
        return Direction.C2S, rc4_request(
            0x4F, table, seq, draw(st.integers(0, 2000)), data=data, digest=digest
        )
    if kind == "ok":
        return Direction.S2C, rc4_response(0, digest=digest)
    if kind == "err":
        return Direction.S2C, rc4_response(
            draw(st.sampled_from([1, 2, 3, 4, 5, 0x0B])), digest=digest
        )
    if kind == "seq":
        body = b"\x0c" + seq.to_bytes(4, "big") + digest
        return Direction.S2C, len(body).to_bytes(2, "big") + body
    return Direction.S2C, rc4_response(0, draw(st.binary(min_size=1, max_size=465)), digest=digest)


DAMAGE = st.sampled_from(
    ["none", "none", "none", "drop", "dup", "truncate", "noise_before", "alert_before"]
)
NOISE = st.binary(min_size=1, max_size=20).map(lambda b: bytes(0x80 | x for x in b))


def _runs_for(direction, wire, start, per_byte):
    """Responses longer than 117 bytes come as 117-byte segments 25 ms apart (l.626)."""
    runs = []
    t = start
    step = SEGMENT if direction is Direction.S2C else len(wire)
    for i in range(0, len(wire), step):
        piece = wire[i : i + step]
        times = tuple(t + k * BYTE for k in range(len(piece))) if per_byte else ()
        runs.append(ByteRun(direction, piece, t, times))
        t += len(piece) * BYTE + 0.025
    return runs, t


def _damage(wire, how, where):
    k = where % len(wire)
    if how == "drop":
        return wire[:k] + wire[k + 1 :]
    if how == "dup":
        return wire[: k + 1] + wire[k:]
    if how == "truncate":
        return wire[: max(k, 1)] if k < len(wire) - 1 else wire[:-1]
    return wire


def _is_frame(wire):
    """A byte-exact, well-formed frame: no reassembler can tell it was damaged.  Either
    structurally valid (a 0x0C response that lost its length's low byte reads as an OK read
    response of one byte) or shaped like an RC4-encrypted frame (length consistent, at least
    code + digest, a first byte that is no MEP code), which a reassembler in sync accepts."""
    if len(wire) < 3 or int.from_bytes(wire[:2], "big") != len(wire) - 2:
        return False
    body = wire[2:]
    if looks_like_frame(body):
        return True
    known = C.REQUEST_CODES.keys() | C.RESPONSE_CODES.keys() | C.TLS_REQUEST_CODES.keys()
    return len(body) >= 1 + C.DIGEST_LEN and body[0] not in known


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(frames(), DAMAGE, st.integers(0, 10_000), NOISE), min_size=1, max_size=12),
    st.booleans(),
)
# Regression: an OK response with a zero digest losing its length's low byte is ten zero bytes,
# five back-to-back "alerts"; alerts come once per second, so they are reported as damage.
@example(
    session=[
        ((Direction.S2C, bytes.fromhex("0009") + bytes(9)), "none", 0, b"\x80"),
        ((Direction.S2C, bytes.fromhex("0009") + bytes(9)), "drop", 1, b"\x80"),
    ],
    per_byte=False,
)
# Not bugs: damage that leaves a well-formed frame (the damage model excludes it): a 0x0C
# response losing byte 1 reads as an OK read response, or as an encrypted frame (code 0x06).
@example(
    session=[((Direction.S2C, bytes.fromhex("000d0c00000100") + bytes(8)), "drop", 1, b"\x80")],
    per_byte=False,
)
@example(
    session=[((Direction.S2C, bytes.fromhex("000d0c06") + bytes(11)), "drop", 1, b"\x80")],
    per_byte=False,
)
def test_timed_stream_recovers_intact_and_reports_damaged(session, per_byte):
    runs, expected, damaged_spans = [], [], []
    t = 1.0
    for (direction, wire), how, where, noise in session:
        if how == "noise_before":
            runs.append(ByteRun(direction, noise, t))
            t += 0.3
        if how == "alert_before":
            runs.append(ByteRun(Direction.S2C, b"\x00\x00", t))
            t += 0.3
        sent = _damage(wire, how, where)
        start = t
        pieces, t = _runs_for(direction, sent, t, per_byte)
        runs.extend(pieces)
        if sent == wire or _is_frame(sent):
            expected.append(sent)  # damage that leaves a well-formed frame cannot be seen
        else:
            damaged_spans.append((start, t))
        t += 0.3
    items = list(reassemble(runs))
    got = [i.raw for i in items if isinstance(i, Frame)]
    for wire in expected:
        assert wire in got
    bad_times = [i.time for i in items if isinstance(i, Malformed)]
    for lo, hi in damaged_spans:
        assert any(lo - 1e-9 <= bt <= hi for bt in bad_times), (lo, hi, bad_times)
    noise_runs = sum(1 for s in session if s[1] == "noise_before")
    assert len([i for i in items if isinstance(i, Malformed)]) >= noise_runs
    alerts = sum(1 for s in session if s[1] == "alert_before")
    clean_alerts = [
        i
        for i in items
        if isinstance(i, Alert) and not any(lo <= i.time <= hi for lo, hi in damaged_spans)
    ]
    assert len(clean_alerts) == alerts  # zeros inside a damaged frame may read as alerts


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(frames(), st.binary(max_size=8)), min_size=1, max_size=10))
def test_untimed_stream_resyncs_after_noise(session):
    """No timing at all (pasted hex): noise bytes ≥ 0x02 never cost a following frame."""
    stream = bytearray()
    wanted = []
    for (direction, wire), noise in session:
        if direction is not Direction.C2S:
            continue
        stream += bytes(max(2, x) for x in noise) + wire
        wanted.append(wire)
    if not stream:
        return
    items = list(reassemble([ByteRun(Direction.C2S, bytes(stream))]))
    got = [i.raw for i in items if isinstance(i, Frame)]
    for wire in wanted:
        assert wire in got
    assert sum(len(i.raw) for i in items) == len(stream)  # every byte accounted for


def test_segmented_response_is_joined():
    wire = rc4_response(0, bytes(range(256)) + bytes(100))
    runs, _ = _runs_for(Direction.S2C, wire, 0.0, per_byte=True)
    assert len(runs) == 4
    items = list(reassemble(runs))
    assert [type(i) for i in items] == [Frame] and items[0].raw == wire and items[0].segments == 4


def test_bytes_fed_one_by_one():
    wire = rc4_request(0x3F, 0x080B, 7, 0, 10) + rc4_request(0x4F, 0x0832, 8, 30, data=b"\x01")
    runs = [ByteRun(Direction.C2S, bytes([b])) for b in wire]
    assert [i.raw for i in reassemble(runs)] == [wire[:22], wire[22:]]


def test_alert_next_to_a_frame_and_stray_zero():
    resp = rc4_response(0)
    items = list(reassemble([ByteRun(Direction.S2C, b"\x00\x00" + resp)]))
    assert [type(i) for i in items] == [Alert, Frame]
    items = list(reassemble([ByteRun(Direction.S2C, b"\x00" + resp)]))
    assert [type(i) for i in items] == [Malformed, Frame] and items[1].raw == resp


def test_truncated_frame_reported_with_time_and_bytes():
    wire = rc4_request(0x3F, 0x17, 1, 0, 44)
    runs = [ByteRun(Direction.C2S, wire[:10], 1.0), ByteRun(Direction.C2S, wire, 2.0)]
    items = list(reassemble(runs))
    assert isinstance(items[0], Malformed) and items[0].time == 1.0 and items[0].raw == wire[:10]
    assert "truncated" in items[0].reason
    assert isinstance(items[1], Frame) and items[1].raw == wire
