"""The dissector's fast paths give exactly what their reference (slow, simple) paths give.

* every record the dissector makes (generated sessions, the guide's frames, the fuzz inputs,
  the TLS sessions) writes one line of strict JSON (no NaN or Infinity) equal to its dict;
* ``reassemble`` (whole-frame fast path) against the same loop feeding every run;
* ``parse_request``/``parse_response``/``looks_like_frame`` against the RC4 body readers;
* ``_Sparse.holds`` against ``_Sparse.get``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

import pytest
from helpers import (
    DIGEST,
    GUIDE_KEY,
    chunk_runs,
    rc4_frames,
    rc4_request,
    rc4_response,
    runs_of,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_fuzz import WIRES
from test_tls_session import _keys as tls_keys
from test_tls_session import _runs as tls_runs
from test_tls_session import _sidecar as tls_sidecar

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.messages import Request, parse_command
from osgpdissect.jsontext import dumps
from osgpdissect.lang.spec import load_default_spec
from osgpdissect.layout.device import _Sparse
from osgpdissect.mep import Dissector, TableContext, dissect
from osgpdissect.mep.frames import (
    looks_like_frame,
    parse_rc4_request_body,
    parse_rc4_response_body,
    parse_request,
    parse_response,
)
from osgpdissect.mep.reassembly import ReassemblyOptions, StreamReassembler, reassemble
from osgpdissect.security import KeyRing, Security
from osgpdissect.security.rc4 import encode_exchange

SPEC = load_default_spec()
PROFILES = ("gen3", "gen4")

SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]
_ALPHABET = b"\x00\x01\x02\xff"


def _small(raw: bytes) -> bytes:
    return bytes(_ALPHABET[b & 3] for b in raw)


@st.composite
def table_bytes(draw, n: int) -> bytes:
    """``n`` bytes, mostly from a small alphabet or a repeated short pattern, so that reads
    (and single fields) repeat byte for byte across draws."""
    how = draw(st.sampled_from(("alphabet", "alphabet", "pattern", "binary")))
    if how == "alphabet" and n <= 96:
        return _small(draw(st.binary(min_size=n, max_size=n)))
    if how == "binary" and n <= 96:
        return draw(st.binary(min_size=n, max_size=n))
    pattern = _small(draw(st.binary(min_size=1, max_size=4)))
    out = bytearray((pattern * (n // len(pattern) + 1))[:n])
    for _ in range(draw(st.integers(0, 2)) if n else 0):
        out[draw(st.integers(0, n - 1))] = draw(st.integers(0, 255))
    return bytes(out)


# =========================================================================== 1. JSON lines


def _no_constant(name: str) -> None:
    raise AssertionError(f"{name} in a JSON line")


def _assert_lines_equal_dumps(records: Iterable) -> list:
    out = []
    for rec in records:
        line = rec.to_json_line()  # first: to_json() turns the decoder's text into nodes
        assert line == dumps(rec.to_json()), rec.kind
        json.loads(line, parse_constant=_no_constant)  # valid JSON: no NaN / Infinity
        out.append(rec)
    return out


ENC_KEY = bytes(range(16, 32))
KEYRINGS = {
    "none": None,
    "mak": lambda: Security(KeyRing(mak=GUIDE_KEY)),
    "mak+rc4": lambda: Security(KeyRing(mak=GUIDE_KEY, rc4_key=ENC_KEY)),
}


def _security(name: str):
    make = KEYRINGS[name]
    return make() if make else None


READ_TABLES = {  # number: size in the default profile (None: depends on the data)
    0x080B: 32,  # ET11
    0x080D: 330,  # ET13
    0x0034: 7,  # BT52
    0x0015: 10,  # BT21
    0x083B: None,  # ET59 (procedure results)
    0x0008: None,  # BT08
    0x0832: 71,  # ET50
    0x000F: 17,  # BT15
    0x0835: None,  # ET53 (transaction results)
    0x0FFF: None,  # not in the spec
}
READ_NUMBERS = list(READ_TABLES)
PROCEDURES = [
    (2048 + int(p[2:]) if p.startswith("EP") else int(p[2:])) for p in sorted(SPEC.procedures)
] + [0x7FF, 0xFFF]

SOURCES = st.one_of(
    st.sampled_from(["", "cap.csv", 'cap\u00e9 "x".csv', "a\\b\n\t/\u2603\U0001f600", "\ud800"]),
    st.text(max_size=6),
)


def _wire(body: bytes, digest: bytes) -> bytes:
    return (len(body) + len(digest)).to_bytes(2, "big") + body + digest


@st.composite
def request_bodies(draw, seq: int) -> tuple[bytes, int | None]:
    """A plaintext request (code .. sequence number) and the data count a full answer has."""
    kind = draw(
        st.sampled_from(
            (
                "partial read",
                "partial read",
                "full read",
                "partial write",
                "full write",
                "procedure call",
                "et52 write",
            )
        )
    )
    if kind == "partial read":
        table = draw(st.sampled_from(READ_NUMBERS))
        offset = draw(st.one_of(st.just(0), st.integers(0, 64)))
        count = draw(st.integers(0, 48))
        return rc4_request(0x3F, table, seq, offset, count)[2:-8], count
    if kind == "full read":
        table = draw(st.sampled_from(READ_NUMBERS))
        return rc4_request(0x30, table, seq)[2:-8], READ_TABLES[table] or draw(st.integers(0, 40))
    if kind in ("partial write", "full write"):
        data = draw(table_bytes(draw(st.integers(0, 40))))
        if kind == "full write":
            return rc4_request(0x40, 0x0832, seq, data=data)[2:-8], None
        return rc4_request(0x4F, 0x0832, seq, draw(st.integers(0, 80)), data=data)[2:-8], None
    if kind == "et52 write":
        data = draw(st.binary(max_size=40))
        return rc4_request(0x4F, 0x0834, seq, draw(st.integers(0, 4)), data=data)[2:-8], None
    number = draw(st.sampled_from(PROCEDURES))
    word = number | draw(st.integers(0, 15)) << 12
    psn = draw(st.sampled_from((5, 6, 9, 0, 200)))
    params = draw(table_bytes(draw(st.integers(0, 12))))
    data = bytes([word & 0xFF, word >> 8, psn]) + params
    data = data[: draw(st.sampled_from((99, 99, 2)))]  # (2 bytes: a header cut short)
    return rc4_request(0x40, 0x0007, seq, data=data)[2:-8], None


@st.composite
def response_bodies(draw, count: int | None, seq: int) -> bytes:
    kind = draw(st.sampled_from(("data", "data", "data", "ok", "error", "0x0C", "junk")))
    if kind == "data":
        n = count if count is not None and draw(st.integers(0, 3)) else draw(st.integers(0, 40))
        return rc4_response(0, draw(table_bytes(n)))[2:-8]
    if kind == "ok":
        return b"\x00"
    if kind == "error":
        return bytes([draw(st.sampled_from((0x01, 0x02, 0x03, 0x04, 0x05, 0x0A, 0x0B)))])
    if kind == "0x0C":
        return b"\x0c" + ((seq + draw(st.integers(0, 3))) & 0xFFFFFFFF).to_bytes(4, "big")
    return draw(st.binary(min_size=1, max_size=30))


@st.composite
def exchange_wires(draw, seq: int) -> tuple[bytes, bytes]:
    """Request and response frames: fixed digest, signed with the guide key, or encrypted."""
    req, count = draw(request_bodies(seq))
    resp = draw(response_bodies(count, seq))
    how = draw(st.sampled_from(("plain", "signed", "encrypted")))
    if how == "plain":
        digest = draw(st.sampled_from((DIGEST, bytes(8))))
        resp_digest = digest if resp == b"\x00" and draw(st.booleans()) else DIGEST[::-1]
        return _wire(req, digest), _wire(resp, resp_digest)
    ex = encode_exchange(GUIDE_KEY, ENC_KEY if how == "encrypted" else None, req, resp)
    return _wire(ex.request_body, ex.request_digest), _wire(ex.response_body, ex.response_digest)


ODD_TIMES = st.sampled_from(
    (0.0, -0.0, 1e-7, 0.1 + 0.2, 1e300, 1.7976931348623157e308, 5e-324, 2.0**53 + 1, -3.5)
)


@st.composite
def sessions(draw) -> list[ByteRun]:
    """Exchanges, retries, unanswered requests, orphan responses, alerts and garbage, with
    float, integer, odd or missing times and awkward source names."""
    seq = draw(st.integers(0, 0xFFFFFFFF))
    wires: list[tuple[Direction, bytes]] = []
    for _ in range(draw(st.integers(1, 7))):
        kind = draw(
            st.sampled_from(
                (
                    "exchange",
                    "exchange",
                    "exchange",
                    "retry",
                    "unanswered",
                    "orphan",
                    "alert",
                    "garbage",
                )
            )
        )
        seq = (seq + draw(st.sampled_from((1, 1, 1, 0, 2, 9, 2**31)))) & 0xFFFFFFFF
        req, resp = draw(exchange_wires(seq))
        if kind == "exchange":
            wires += [(Direction.C2S, req), (Direction.S2C, resp)]
        elif kind == "retry":
            wires += [(Direction.C2S, req), (Direction.C2S, req), (Direction.S2C, resp)]
        elif kind == "unanswered":
            wires.append((Direction.C2S, req))
        elif kind == "orphan":
            wires.append((Direction.S2C, resp))
        elif kind == "alert":
            wires.append((Direction.S2C, b"\x00\x00"))
        else:
            direction = draw(st.sampled_from(list(Direction)))
            wires.append((direction, draw(st.binary(min_size=1, max_size=20))))
    clock = draw(st.sampled_from(("float", "float", "int", "none", "odd")))
    t: float | int | None = draw(st.sampled_from((0.0, 1.5, 1.7e9, 0.1)))
    runs = []
    for direction, wire in wires:
        if clock == "int":
            t = int(t or 0) + draw(st.integers(0, 2))
        elif clock == "float":
            t = (t or 0.0) + draw(st.floats(0, 0.7, allow_nan=False))
        time = None if clock == "none" or draw(st.integers(0, 9)) == 0 else t
        if clock == "odd" or draw(st.integers(0, 19)) == 0:
            time = draw(st.one_of(ODD_TIMES, st.floats(allow_nan=False, allow_infinity=False)))
        runs.append(ByteRun(direction, wire, time, source=draw(SOURCES)))
    return runs


@settings(deadline=None, max_examples=120, suppress_health_check=SLOW)
@given(sessions(), st.sampled_from(sorted(KEYRINGS)), st.sampled_from((None, "gen3", "gen4")))
def test_json_line_equals_dumped_dict_for_generated_sessions(runs, keys, profile):
    tables = TableContext(profile=profile) if profile else None
    records = Dissector(security=_security(keys), tables=tables).dissect(runs)
    assert len(_assert_lines_equal_dumps(records)) >= 1


def test_json_line_equals_dumped_dict_for_every_record_kind():
    """A fixed session with every record kind and the commonest decoded reads."""
    et11 = bytes([2, 66, 10, 3, 9, 0, 1, 0, 2, 0, 3, 4, 5, 6]) + bytes(18)
    wires = [
        (Direction.C2S, rc4_request(0x3F, 0x080B, 1, 0, 32)),
        (Direction.S2C, rc4_response(0, et11)),
        (Direction.C2S, rc4_request(0x30, 0x080D, 2)),
        (Direction.S2C, rc4_response(0, bytes(132))),
        (Direction.C2S, rc4_request(0x3F, 0x0034, 3, 0, 7)),  # sent twice: a retry
        (Direction.C2S, rc4_request(0x3F, 0x0034, 3, 0, 7)),
        (Direction.S2C, rc4_response(0, bytes([24, 5, 17, 9, 30, 0, 0]))),
        (Direction.C2S, rc4_request(0x40, 0x0007, 4, data=bytes([0x11, 0x08, 5]))),
        (Direction.S2C, rc4_response(0)),
        (Direction.C2S, rc4_request(0x3F, 0x0015, 5, 0, 10)),  # unanswered
        (Direction.C2S, rc4_request(0x4F, 0x0832, 9, 30, data=b"\x02")),
        (Direction.S2C, b"\x00\x0d\x0c\x00\x00\x00\x0a" + DIGEST),  # 0x0C: next 10
        (Direction.S2C, rc4_response(3)),  # orphan
        (Direction.S2C, b"\x00\x00"),  # alert
        (Direction.C2S, b"\xde\xad\xbe\xef"),  # garbage
    ]
    runs = [
        ByteRun(d, w, 0.25 * i if i % 5 else (None if i % 2 else i), source='cap\u00e9 "x".csv')
        for i, (d, w) in enumerate(wires)
    ]
    records = _assert_lines_equal_dumps(dissect(runs))
    kinds = {r.kind for r in records}
    assert {"exchange", "unanswered", "orphan", "alert", "malformed"} <= kinds
    assert any(r.table is not None and r.table.table == "ET13" for r in records)
    assert any(r.retries for r in records) and any(r.procedure for r in records)


@pytest.mark.parametrize("times", [(-1e308, 1e308), (1e308, -1e308), (-1.7e308, 0.5)])
def test_json_line_equals_dumped_dict_when_the_latency_overflows(times):
    """Two finite times whose difference is not.  Regression: the plain-exchange template
    checked each time and wrote ``float.__repr__`` of the difference, which gave ``inf`` (not
    JSON); issue 21 item 9: the latency is ``null`` (``json.dumps`` wrote ``Infinity``)."""
    runs = [
        ByteRun(Direction.C2S, rc4_request(0x3F, 0x080B, 1, 0, 2), times[0]),
        ByteRun(Direction.S2C, rc4_response(0, b"\x01\x02"), times[1]),
    ]
    (record,) = _assert_lines_equal_dumps(dissect(runs))
    assert record.kind == "exchange"


@pytest.mark.parametrize("keys", sorted(KEYRINGS))
def test_json_line_equals_dumped_dict_for_the_guide_frames(keys):
    records = _assert_lines_equal_dumps(dissect(runs_of(rc4_frames()), security=_security(keys)))
    assert sum(r.table is not None for r in records) >= 3
    if keys != "none":
        assert any((r.security or {}).get("access_level") for r in records)


@settings(deadline=None, max_examples=60, suppress_health_check=SLOW)
@given(st.lists(st.tuples(st.booleans(), WIRES), min_size=1, max_size=8), st.booleans())
def test_json_line_equals_dumped_dict_for_fuzz_inputs(chunks, keyed):
    runs = chunk_runs(chunks)
    security = Security(KeyRing(mak=GUIDE_KEY)) if keyed else None
    _assert_lines_equal_dumps(dissect(runs, security=security))


@pytest.mark.parametrize("keyed", [True, False])
@pytest.mark.parametrize("name", ["session_ems", "session_no_ems", "wrong_psk"])
def test_json_line_equals_dumped_dict_for_the_tls_sessions(name, keyed):
    security = tls_keys(tls_sidecar(name)) if keyed else None
    dissector = Dissector(security=security, tables=TableContext(profile="gen4"))
    records = _assert_lines_equal_dumps(dissector.dissect(tls_runs(name)))
    assert records and all((r.security or {}).get("mode") == "tls" for r in records if r.request)
    if keyed and name != "wrong_psk":
        assert sum(r.table is not None for r in records) == 5


# =========================================================================== 2. reassembly


def slow_reassemble(runs: Iterable[ByteRun], options: ReassemblyOptions | None = None) -> Iterator:
    """``reassemble`` without the whole-frame fast path: every run goes through ``feed``."""
    options = options or ReassemblyOptions()
    streams = {d: StreamReassembler(d, options) for d in Direction}
    last: Direction | None = None
    for run in runs:
        if options.half_duplex and last is not None and run.direction is not last:
            yield from streams[last].close()
        last = run.direction
        yield from streams[run.direction].feed(run)
    for d in Direction:
        yield from streams[d].close()


CONFIRMS = {
    "none": None,
    "yes": lambda body: True,
    "no": lambda body: False,
    "even": lambda body: len(body) % 2 == 0,
    "last byte": lambda body: body[-1] != 0,
}


@st.composite
def frame_wires(draw) -> bytes:
    kind = draw(st.sampled_from(("request", "response", "opaque", "fuzz")))
    if kind == "request":
        body, _ = draw(request_bodies(draw(st.integers(0, 0xFFFFFFFF))))
        return _wire(body, DIGEST)
    if kind == "response":
        return _wire(draw(response_bodies(draw(st.integers(0, 40)), 1)), DIGEST)
    if kind == "opaque":  # RC4-encrypted looking: accepted only in sync
        return _wire(draw(st.binary(min_size=1, max_size=30)), DIGEST)
    return draw(WIRES.filter(bool))


def _byte_times(draw, start: float, n: int, monotonic: bool) -> tuple[float, ...]:
    """Per-byte times 1 ms apart, about one step in five longer (pauses up to 0.6 s), or with
    ``monotonic=False`` sometimes backwards."""
    steps = (0.01, 0.05, 0.099, 0.1, 0.2, 0.6)
    if not monotonic:
        steps += (-0.2, -0.01, -1.0)
    times, t = [], start
    for c in draw(st.binary(min_size=n, max_size=n)):
        times.append(t)
        t += steps[c % len(steps)] if c < 52 else 0.001
    return tuple(times)


@st.composite
def line_runs(draw, monotonic: bool = True) -> list[ByteRun]:
    """Whole frames, frames split over runs, garbage, alerts, with run times, per-byte times
    (some with pauses > 0.1 s inside a run) or no time."""
    pieces: list[tuple[Direction, bytes]] = []
    for _ in range(draw(st.integers(1, 8))):
        direction = draw(st.sampled_from(list(Direction)))
        kind = draw(
            st.sampled_from(("whole", "whole", "whole", "split", "garbage", "alert", "two"))
        )
        if kind == "alert":
            pieces.append((Direction.S2C, b"\x00\x00"))
        elif kind == "garbage":
            pieces.append((direction, draw(st.binary(min_size=1, max_size=12))))
        elif kind == "two":  # two frames in one run
            pieces.append((direction, draw(frame_wires()) + draw(frame_wires())))
        else:
            wire = draw(frame_wires())
            if kind == "split" and len(wire) > 1:
                cut = draw(st.integers(1, len(wire) - 1))
                pieces += [(direction, wire[:cut]), (direction, wire[cut:])]
            else:
                pieces.append((direction, wire))
    runs, t = [], draw(st.sampled_from((0.0, 100.0, 1.7e9)))
    for direction, data in pieces:
        t += draw(st.sampled_from((0.0, 0.01, 0.05, 0.2, 1.0, 1.5)))
        how = draw(st.sampled_from(("time", "time", "bytes", "bytes", "none", "bad bytes")))
        times: tuple[float, ...] = ()
        if how in ("bytes", "bad bytes"):
            times = _byte_times(draw, t, len(data) + (how == "bad bytes"), monotonic)
        time = None if how == "none" else t + draw(st.sampled_from((0.0, 0.0, 0.003)))
        runs.append(ByteRun(direction, data, time, times, source=draw(SOURCES)))
        if times:
            t = max(t, times[-1])
    return runs


@settings(deadline=None, max_examples=150, suppress_health_check=SLOW)
@given(
    line_runs(),
    st.sampled_from(sorted(CONFIRMS)),
    st.booleans(),
    st.sampled_from((0.1, 0.1, 0.02, 1.0)),
)
def test_reassemble_equals_feeding_every_run(runs, confirm, half_duplex, max_gap):
    options = ReassemblyOptions(max_gap=max_gap, half_duplex=half_duplex, confirm=CONFIRMS[confirm])
    assert list(reassemble(runs, options)) == list(slow_reassemble(runs, options))


# The smallest case found (fixed in 0c93c06): one whole 22-byte read request whose second byte
# is timed 0.2 s after the first and the third back at 2 ms (first-to-last span 21 ms).
# take_whole() looked only at the span and kept one Frame; feed() cuts at the 0.2 s step:
# two garbage records and a truncated frame.
_WIRE = rc4_request(0x3F, 0x0015, 1, 0, 10)
_BACKWARDS = (0.0, 0.2) + tuple(0.001 * i for i in range(2, len(_WIRE)))


@settings(deadline=None, max_examples=150, suppress_health_check=SLOW)
@given(line_runs(monotonic=False), st.booleans())
@example([ByteRun(Direction.C2S, _WIRE, 0.0, _BACKWARDS)], True)
def test_reassemble_equals_feeding_every_run_with_out_of_order_byte_times(runs, half_duplex):
    """Per-byte times that go backwards (merged or re-clocked captures): a run is one frame
    only if ``feed`` would not split it either."""
    options = ReassemblyOptions(half_duplex=half_duplex)
    assert list(reassemble(runs, options)) == list(slow_reassemble(runs, options))


def test_reassemble_equals_feeding_every_run_with_a_nan_byte_time():
    """A NaN first byte time.  Regression: the whole-frame path's span and order checks both
    passed on NaN while ``feed`` cuts at the 0.5 s step before the last byte.  (Compared by
    repr: NaN != NaN.)"""
    times = (float("nan"),) + (0.0,) * (len(_WIRE) - 2) + (0.5,)
    runs = [ByteRun(Direction.C2S, _WIRE, 0.0, times)]
    slow = [repr(x) for x in slow_reassemble(runs)]
    assert len(slow) == 2  # the 21 bytes before the pause are truncated, the last is garbage
    assert [repr(x) for x in reassemble(runs)] == slow


def test_reassemble_default_options_equal_feeding_every_run():
    runs = runs_of(rc4_frames(), spacing=0.3)
    fast = list(reassemble(runs))
    assert fast == list(slow_reassemble(runs))
    assert len(fast) == len(runs)


# =========================================================================== 3. frame readers


def _ref_request(raw: bytes) -> Request:
    r = parse_rc4_request_body(raw[2:-8])
    r.digest = raw[-8:]
    return r


def _ref_response(raw: bytes, request: Request | None):
    r = parse_rc4_response_body(raw[2:-8], request)
    r.digest = raw[-8:]
    return r


@st.composite
def request_frames(draw) -> bytes:
    kind = draw(st.sampled_from(("built", "built", "partial22", "random")))
    if kind == "built":
        body, _ = draw(request_bodies(draw(st.integers(0, 0xFFFFFFFF))))
        wire = _wire(body, draw(st.binary(min_size=8, max_size=8)))
        if draw(st.integers(0, 3)) == 0:  # a byte more or less, or a wrong length prefix
            cut = draw(st.integers(2, len(wire)))
            wire = wire[:cut] + draw(st.binary(max_size=1)) + wire[cut + 1 :]
        return wire
    if kind == "partial22":  # the fast path's shape, any contents
        return (
            draw(st.binary(min_size=2, max_size=2))
            + b"\x3f"
            + draw(st.binary(min_size=19, max_size=19))
        )
    head = draw(st.sampled_from((0x30, 0x3F, 0x40, 0x4F, 0x00, 0x57, 0x80)))
    return draw(st.binary(min_size=2, max_size=2)) + bytes([head]) + draw(st.binary(max_size=40))


@settings(deadline=None, max_examples=250)
@given(request_frames())
def test_parse_request_equals_the_rc4_body_reader(raw):
    if len(raw) >= 15 and raw[2] not in C.TLS_REQUEST_CODES:
        assert parse_request(raw) == _ref_request(raw)


@st.composite
def answered(draw) -> tuple[bytes, Request | None]:
    """A response frame and the request it answers: None, a parsed read (or write) request,
    an opaque request, a bare C12.18 command; response counts mostly consistent."""
    which = draw(st.sampled_from(("read", "read", "read", "other", "none", "opaque", "c12")))
    count = draw(st.integers(0, 60))
    if which == "read":
        code = draw(st.sampled_from((0x3F, 0x30)))
        req = parse_request(rc4_request(code, 0x080B, 7, 0, count))
        if code == 0x30 and draw(st.booleans()):
            req = parse_request(
                _wire(bytes([0x30, 0x08, 0x0B]) + count.to_bytes(2, "big") + bytes(4), DIGEST)
            )
    elif which == "other":
        req = parse_request(draw(request_frames()))
    elif which == "opaque":
        req = parse_request(_wire(b"\x99" + bytes(12), DIGEST))
    elif which == "c12":
        req = parse_command(rc4_request(0x3F, 0x0015, 1, 0, count)[2:10])
    else:
        req = None
    shape = draw(st.sampled_from(("count", "count", "count", "other count", "code", "random")))
    if shape in ("count", "other count"):
        n = count if shape == "count" else draw(st.integers(0, 60))
        data = draw(st.binary(min_size=n, max_size=n))
        claimed = n if draw(st.integers(0, 4)) else draw(st.integers(0, 0xFFFF))
        body = b"\x00" + claimed.to_bytes(2, "big") + data
    elif shape == "code":
        body = bytes([draw(st.sampled_from((0x00, 0x01, 0x05, 0x0B, 0x0C, 0x3F, 0x80)))])
        body += draw(st.binary(max_size=6))
    else:
        body = draw(st.binary(min_size=1, max_size=40))
    raw = _wire(body, draw(st.binary(min_size=8, max_size=8)))
    if draw(st.integers(0, 5)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw, req


@settings(deadline=None, max_examples=250)
@given(answered())
def test_parse_response_equals_the_rc4_body_reader(pair):
    raw, request = pair
    fast = parse_response(raw, request)
    if len(raw) >= 11 and (request is None or request.mode != "tls"):
        assert fast == _ref_response(raw, request)


@st.composite
def request_shaped_bodies(draw) -> bytes:
    body, _ = draw(request_bodies(draw(st.integers(0, 0xFFFFFFFF))))
    body += DIGEST
    how = draw(st.sampled_from(("as built", "count", "trim", "grow", "random")))
    if how == "count" and len(body) > 8:
        k = draw(st.sampled_from((3, 4, 6, 7)))
        if k < len(body):
            body = body[:k] + bytes([draw(st.integers(0, 255))]) + body[k + 1 :]
    elif how == "trim":
        body = body[: draw(st.integers(0, len(body)))]
    elif how == "grow":
        body += draw(st.binary(min_size=1, max_size=3))
    elif how == "random":
        body = bytes([draw(st.sampled_from(sorted(C.REQUEST_CODES)))]) + draw(
            st.binary(max_size=40)
        )
    return body


@settings(deadline=None, max_examples=250)
@given(request_shaped_bodies())
def test_looks_like_frame_for_requests_equals_a_problem_free_parse(body):
    assert body[:1] == b"" or body[0] in C.REQUEST_CODES
    expected = len(body) >= 13 and not parse_rc4_request_body(body[:-8]).problems
    assert looks_like_frame(body) == expected


# =========================================================================== 4. sparse tables


@settings(deadline=None, max_examples=150)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.binary(max_size=10).map(_small)), max_size=6),
    st.data(),
)
def test_sparse_holds_equals_get(puts, data):
    sparse = _Sparse()
    for offset, chunk in puts:
        sparse.put(offset, chunk)
    for _ in range(8):
        offset, size = data.draw(st.integers(0, 52)), data.draw(st.integers(0, 12))
        chunk = sparse.get(offset, size)
        if chunk is None or data.draw(st.booleans()):
            chunk = _small(data.draw(st.binary(min_size=size, max_size=size)))
        assert sparse.holds(offset, chunk) == (sparse.get(offset, len(chunk)) == chunk)
