"""Untimed per-direction input is paired by protocol order, never by file order (issue 16
item 2, issue 21 item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pairing_corpus import build, direction_runs

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures import open_capture, write_raw, write_saleae_logic2_csv
from osgpdissect.captures.order import NOTE, interleave_untimed
from osgpdissect.mep import Dissector
from osgpdissect.optical import OpticalDissector
from osgpdissect.optical import builders as B


def _pairs(records) -> dict[bytes, bytes | None]:
    """request bytes -> response bytes as the dissector paired them (retries folded in)."""
    got: dict[bytes, bytes | None] = {}
    for rec in records:
        if rec.request_frame is not None:
            resp = rec.response_frame.raw if rec.response_frame is not None else None
            got[rec.request_frame.raw] = resp
    return got


def _check(records, expected) -> None:
    got = _pairs(records)
    assert set(got) == set(expected)
    wrong = {req.hex(): (resp and resp.hex(), expected[req] and expected[req].hex())
             for req, resp in got.items() if resp != expected[req]}
    assert not wrong


def _raw_pair(tmp_path: Path, runs: list[ByteRun]) -> tuple[str, str]:
    tx, rx = tmp_path / "tx.bin", tmp_path / "rx.bin"
    write_raw(runs, str(tx), Direction.C2S)
    write_raw(runs, str(rx), Direction.S2C)
    return f"{tx}:tx", f"{rx}:rx"


def test_corpus_timed_pairs_every_request_with_its_response():
    """issue 21 item 7: timed, the next poll after a damaged response keeps its response."""
    c = build()
    _check(list(Dissector().dissect(c.runs)), c.expected)


@pytest.mark.parametrize("order", ["tx first", "rx first"])
def test_raw_per_direction_dumps_pair_by_protocol_order(tmp_path, order):
    """issue 16 item 2: two raw dumps pair every request with the response it was built with,
    whichever file comes first, and say "no timestamps: paired by order"."""
    c = build("flip")
    tx, rx = _raw_pair(tmp_path, c.runs)
    capture = open_capture([tx, rx] if order == "tx first" else [rx, tx])
    records = list(Dissector().dissect(capture))
    _check(records, c.expected)
    assert capture.notes == [NOTE]
    assert sum(r.kind == "alert" for r in records) == 2


def test_untimed_equals_timed_logic2(tmp_path):
    """issue 16 item 2: the untimed dumps give the same records as the timed Logic 2 export."""
    c = build("flip")
    csv = tmp_path / "s.csv"
    write_saleae_logic2_csv(c.runs, str(csv), names={Direction.C2S: "TX", Direction.S2C: "RX"})
    timed = list(Dissector().dissect(open_capture([str(csv)])))
    untimed = list(Dissector().dissect(open_capture(list(_raw_pair(tmp_path, c.runs)))))
    assert [(r.kind, _raw(r.request_frame), _raw(r.response_frame)) for r in timed
            if r.kind != "alert"] == [
        (r.kind, _raw(r.request_frame), _raw(r.response_frame)) for r in untimed
        if r.kind != "alert"]


def _raw(frame) -> bytes | None:
    return None if frame is None else frame.raw


def test_request_with_other_bytes_is_never_a_retry():
    """issue 21 item 7: a poll with a new sequence number after a damaged response is its own
    exchange, not a retry of the first (whose response would then be misattributed)."""
    c = build()
    records = list(Dissector().dissect(c.runs))
    for rec in records:
        for retry in rec.retries:
            assert retry.kind == "identical resend"
    assert sum(len(r.retries) for r in records) == 1


def test_response_fitting_no_request_stays_an_orphan():
    """issue 16 item 2: untimed, a response whose shape fits no request is never paired."""
    from pairing_corpus import request, response

    reqs = [ByteRun(Direction.C2S, request(0x4F, 7, 5, data=b"\x01\x02"))]
    resps = [ByteRun(Direction.S2C, response(0, bytes(30)))]  # read data: not a write's OK
    records = list(Dissector().dissect(interleave_untimed(reqs, resps)))
    kinds = sorted(r.kind for r in records)
    assert kinds == ["orphan", "unanswered"]


def test_optical_per_direction_dumps_follow_request_order(tmp_path):
    """issue 21 item 7: untimed optical dumps (with a NAKed packet, a lost ACK and
    multi-packet messages) pair like the timed session."""
    exchanges = [
        (B.ident(), B.ident_response()),
        B.Exchange(B.negotiate(64, 4, 9600), B.negotiate_response(64, 4, 9600), request_naks=1),
        (B.logon(2, "reader"), B.ok()),
        B.Exchange(B.read(23), B.read_response(bytes(range(200))), response_naks=1),
        B.Exchange(B.read(21), B.read_response(bytes(10)), lost_ack=True),
        (B.read(0), B.read_response(bytes(100))),
        (B.logoff(), B.ok()),
        (B.terminate(), B.ok()),
    ]
    runs = B.session(exchanges, packet_size=64)
    timed = [(r.kind, _msg(r.request_frame), _msg(r.response_frame))
             for r in OpticalDissector().dissect(runs)]
    capture = open_capture(list(_raw_pair(tmp_path, runs)))
    untimed = [(r.kind, _msg(r.request_frame), _msg(r.response_frame))
               for r in OpticalDissector().dissect(capture)]
    assert capture.notes == [NOTE]
    assert [k for k, _, _ in timed].count("exchange") == 8
    assert untimed == timed


def _msg(msg) -> bytes | None:
    return None if msg is None else msg.data


def test_directions_of_untimed_runs_are_kept():
    """interleave_untimed keeps each direction's own order and loses no byte."""
    c = build()
    out = list(interleave_untimed(direction_runs(c.runs, Direction.C2S),
                                  direction_runs(c.runs, Direction.S2C)))
    for d in Direction:
        assert b"".join(r.data for r in out if r.direction is d) == b"".join(
            r.data for r in c.runs if r.direction is d)
    assert all(r.time is None for r in out)


@pytest.mark.parametrize("fmt", ["sigrok-ann", "hex"])
def test_untimed_text_per_direction_pairs_by_order(tmp_path, fmt):
    """issue 16 item 2: untimed sigrok-cli annotations and hex without times, one file per
    direction, pair every request with its response."""
    c = build("flip")
    paths = []
    for d, name in ((Direction.S2C, "rx"), (Direction.C2S, "tx")):
        data = b"".join(r.data for r in c.runs if r.direction is d)
        path = tmp_path / f"{name}.txt"
        if fmt == "sigrok-ann":
            path.write_text("".join(f"uart-1: {b:02X}\n" for b in data))
        else:
            path.write_text("".join(data[i:i + 16].hex(" ") + "\n" for i in range(0, len(data), 16)))
        paths.append(f"{path}:{name}")
    capture = open_capture(paths)
    _check(list(Dissector().dissect(capture)), c.expected)
    assert capture.notes == [NOTE]


def test_untimed_optical_junk_is_bounded_and_kept():
    """Stray bytes in an untimed optical dump are passed on in bounded pieces, none lost."""
    from osgpdissect.optical.packet import build_packet

    junk = bytes(range(0x60, 0x90)) * 400  # 19 200 bytes, no packet, no token
    c2s = [ByteRun(Direction.C2S, build_packet(B.ident()) + junk + build_packet(B.logoff()))]
    s2c = [ByteRun(Direction.S2C, b"\x06" + build_packet(B.ok()) + b"\x06" + build_packet(B.ok()))]
    out = list(interleave_untimed(c2s, s2c))
    assert max(len(r.data) for r in out) <= 4096 + 64
    for d, runs in ((Direction.C2S, c2s), (Direction.S2C, s2c)):
        assert b"".join(r.data for r in out if r.direction is d) == runs[0].data


def test_many_unanswered_requests_stay_bounded_and_unpaired():
    """A client line talking to a silent meter (only an alert and one orphan at the end) keeps
    every request unanswered, in order, and holds no more than a window of them."""
    from pairing_corpus import request, response

    reqs = [ByteRun(Direction.C2S, request(0x4F, 7, k, data=b"\x01")) for k in range(500)]
    resps = [ByteRun(Direction.S2C, b"\x00\x00"), ByteRun(Direction.S2C, response(0, bytes(3)))]
    out = interleave_untimed(reqs, resps)
    first = [next(out) for _ in range(200)]  # comes out before the inputs end
    records = list(Dissector().dissect([*first, *out]))
    assert sum(r.kind == "unanswered" for r in records) == 500
    assert sum(r.kind == "orphan" for r in records) == 1
    assert [r.request_frame.raw for r in records if r.kind == "unanswered"] == [
        r.data for r in reqs]


def test_one_annotation_file_with_two_untimed_decoders(tmp_path):
    """issue 16 items 1 and 2: one sigrok-cli file, two decoder instances (uart-1, uart-2),
    no sample numbers, the meter's lines first: directions from content, pairing by order."""
    c = build("flip")
    lines = []
    for d, inst in ((Direction.S2C, "uart-1"), (Direction.C2S, "uart-2")):
        data = b"".join(r.data for r in c.runs if r.direction is d)
        lines += [f"{inst}: {b:02X}\n" for b in data]
    path = tmp_path / "both.txt"
    path.write_text("".join(lines))
    capture = open_capture([str(path)])
    _check(list(Dissector().dissect(capture)), c.expected)
    assert NOTE in capture.notes
    assert any("'uart-2' taken as C->S" in n for n in capture.notes)


def test_optical_packet_inside_a_damaged_one_survives_any_run_boundary():
    """Review (session 6): a damaged packet ends at the first valid packet inside its announced
    length, but a valid packet not yet all in the buffer (cut by the end of a run) was not
    seen, so whether it survived depended on where the reader's runs happened to end."""
    from osgpdissect.captures.order import _OpticalCutter
    from osgpdissect.optical import codes as O
    from osgpdissect.optical.packet import build_packet

    damaged = build_packet(bytes(range(20)))[:11]  # says 20 data bytes, has 5
    valid = build_packet(bytes(range(30)), seq=1)
    after = build_packet(b"\x00\x01\x02")
    stream = bytes([O.ACK]) + damaged + bytes([O.ACK]) + valid + bytes([O.ACK]) + after

    def units(cuts: list[int]) -> list[tuple[str, int]]:
        cutter = _OpticalCutter(Direction.S2C)
        out = []
        for lo, hi in zip([0, *cuts], [*cuts, len(stream)], strict=True):
            out += cutter.feed(ByteRun(Direction.S2C, stream[lo:hi]))
        out += cutter.feed(ByteRun(Direction.S2C, b""), final=True)
        return [(kind, len(data)) for data, kind, _more in out]

    whole = units([])
    assert ("packet", len(valid)) in whole and ("other", len(damaged)) in whole
    for cut in range(1, len(stream)):
        assert units([cut]) == whole, cut
