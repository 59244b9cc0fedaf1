"""Issue 21: without times, a frame that lost bytes (cut short, a byte dropped, a span sent twice
over its tail) must not take the next frames with it: its length runs past its end, so the
reassembler ends it at the earliest well-formed frame inside the swallowed bytes, reports the
bytes before as malformed and resynchronises there.  A rescanned frame passes every check any
frame passes; random bytes never become a frame that fails them."""

from __future__ import annotations

from helpers import rc4_request, rc4_response
from hypothesis import given, settings
from hypothesis import strategies as st

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.mep import Frame, Malformed, StreamReassembler, reassemble
from osgpdissect.mep.frames import looks_like_frame

REQUESTS = [rc4_request(0x3F, table, seq, 0, count)
            for seq, (table, count) in enumerate([(0x17, 44), (0x080B, 10), (0x34, 7), (0x15, 10),
                                                  (0x080E, 12), (0x0835, 5)])]
RESPONSES = [rc4_response(0, bytes((7 * k + i) & 0xFF for i in range(n)))
             for k, n in enumerate([44, 10, 7, 10, 12, 5])]


def _items(direction: Direction, wire: list[bytes]) -> list:
    """The items of one direction's frames as one untimed stream (a raw dump)."""
    return list(reassemble([ByteRun(direction, b"".join(wire))]))


def _damage(frames: list[bytes], hit: int, bad: bytes) -> list[bytes]:
    return frames[:hit] + [bad] + frames[hit + 1:]


def _check_recovered(items: list, frames: list[bytes], hit: int, bad: bytes) -> None:
    got = [i.raw for i in items if isinstance(i, Frame)]
    assert got == [f for k, f in enumerate(frames) if k != hit]
    malformed = [i for i in items if isinstance(i, Malformed)]
    assert malformed and all(m.raw in bad for m in malformed)
    assert sum(len(i.raw) for i in items) == sum(map(len, _damage(frames, hit, bad)))


def test_untimed_request_with_a_dropped_byte_keeps_the_next_requests():
    """issue 21: a dropped byte inside a request: its length swallowed the next request's
    first byte, and that request was lost (shown as stray bytes)."""
    bad = REQUESTS[2][:9] + REQUESTS[2][10:]
    items = _items(Direction.C2S, _damage(REQUESTS, 2, bad))
    _check_recovered(items, REQUESTS, 2, bad)
    assert "runs past" in next(i for i in items if isinstance(i, Malformed)).reason


def test_untimed_response_with_a_dropped_byte_keeps_the_next_responses():
    """issue 21: the response keeps a consistent count, so only what follows it tells."""
    bad = RESPONSES[1][:8] + RESPONSES[1][9:]
    _check_recovered(_items(Direction.S2C, _damage(RESPONSES, 1, bad)), RESPONSES, 1, bad)


def test_untimed_cut_request_whose_length_spans_a_whole_request():
    """issue 21: a request cut to 5 bytes swallowed the whole next request (its shape still
    fitted): a well-formed frame ending exactly where the cut one does gives it away."""
    bad = REQUESTS[1][:5]
    # a 17-byte full read fills the 17 bytes the cut 22-byte partial read still claims
    full_read = rc4_request(0x30, 0x17, 5)
    assert len(full_read) == 17
    frames = [REQUESTS[0], REQUESTS[1], full_read, REQUESTS[3]]
    items = _items(Direction.C2S, _damage(frames, 1, bad))
    _check_recovered(items, frames, 1, bad)


def test_untimed_cut_and_duplicated_responses_keep_the_next_responses():
    """issue 21: a response cut short, and one cut with a span of it sent twice."""
    for hit, bad in ((0, RESPONSES[0][:20]), (3, RESPONSES[3][:12] + RESPONSES[3][8:12])):
        _check_recovered(_items(Direction.S2C, _damage(RESPONSES, hit, bad)), RESPONSES, hit, bad)


def test_intact_frames_followed_by_noise_are_kept_whole():
    """A whole frame followed by junk is not shortened: nothing well-formed inside it."""
    stream = REQUESTS[0] + b"\x99\x98" + REQUESTS[1]
    items = list(reassemble([ByteRun(Direction.C2S, stream)]))
    assert [type(i) for i in items] == [Frame, Malformed, Frame]
    assert items[0].raw == REQUESTS[0] and items[2].raw == REQUESTS[1]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(REQUESTS) - 1), st.integers(3, 21), st.binary(min_size=1, max_size=60),
       st.sampled_from(list(Direction)))
def test_random_bytes_after_a_damaged_frame_never_become_a_frame_that_fails_the_checks(
        hit, keep, noise, direction):
    """issue 21: whatever follows a frame cut short (random bytes, then intact frames), every
    frame cut out of it is an intact frame or passes the shape checks itself, and every byte
    is accounted for."""
    frames = REQUESTS if direction is Direction.C2S else RESPONSES
    keep = min(keep, len(frames[hit]) - 1)
    wire = frames[:hit] + [frames[hit][:keep] + noise] + frames[hit + 1:]
    items = _items(direction, wire)
    for item in items:
        if isinstance(item, Frame) and item.raw not in frames:
            assert looks_like_frame(item.raw[2:]), item.raw.hex()
    assert sum(len(i.raw) for i in items) == sum(map(len, wire))
    assert [i.raw for i in items if isinstance(i, Frame)][:hit] == frames[:hit]


def test_untimed_bytes_fed_one_by_one_still_recover_after_a_dropped_byte():
    """issue 21: untimed, a frame is held until the bytes after it tell whether its length ran
    past its end, so one byte per run (a hex dump's lines) recovers as well as one block."""
    bad = REQUESTS[2][:9] + REQUESTS[2][10:]
    stream = b"".join(_damage(REQUESTS, 2, bad))
    reassembler = StreamReassembler(Direction.C2S)
    items = [i for b in stream for i in reassembler.feed(ByteRun(Direction.C2S, bytes([b])))]
    items += list(reassembler.close())
    _check_recovered(items, REQUESTS, 2, bad)


def test_timed_frame_is_not_held_back_for_what_follows():
    """With times (maybe a live capture), a frame is given as soon as its last byte is in."""
    wire = RESPONSES[0]
    reassembler = StreamReassembler(Direction.S2C)
    assert not list(reassembler.feed(ByteRun(Direction.S2C, wire[:20], 1.0)))
    assert [i.raw for i in reassembler.feed(ByteRun(Direction.S2C, wire[20:], 1.03))] == [wire]


def test_a_response_shaped_tail_never_splits_a_request():
    """issue 21 (found by hypothesis while building the recovery): a request whose last 11
    bytes read ``00 09 00`` + zeros looks like a bare OK response; on the client side only a
    request, and never a bare code and digest, is taken for a frame inside another."""
    first = b"\x00\x14\x3f" + bytes(6) + b"\x01" + bytes(12)
    second = b"\x00\x14\x3f" + bytes(6) + b"\x01\x00\x00\x09" + bytes(9)
    items = list(reassemble([ByteRun(Direction.C2S, first + b"\x02" + second)]))
    assert [(type(i), i.raw) for i in items] == [
        (Frame, first), (Malformed, b"\x02"), (Frame, second)]


def _zero_heavy_responses(count: int, seed: int) -> list[bytes]:
    """Read responses whose data is mostly zeros and small values, as meters' tables are."""
    import random

    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        data = bytes(0 if rnd.random() < 0.6 else rnd.randint(1, 20) for _ in range(rnd.randint(1, 60)))
        out.append(rc4_response(0, data))
    return out


def test_clean_responses_holding_a_response_shaped_tail_stay_whole():
    """Review of session 5's recovery (session 6): read data ending ``00 0b 00 00 00`` reads as
    a bare "OK, count 0" response ending with the outer digest, and clean responses were split
    into a "damaged frame" and a fake frame, untimed and timed alike (48 of 20 000 zero-heavy
    responses in 16-byte runs)."""
    data = bytes.fromhex("0102030405060708") + bytes.fromhex("000b000000")
    first, second = rc4_response(0, data), rc4_response(0, b"\xaa\xbb")
    assert looks_like_frame(first[2:]) and looks_like_frame(first[-13:][2:])
    frames = [first, second] + _zero_heavy_responses(3000, 5)
    stream = b"".join(frames)
    untimed = list(reassemble([ByteRun(Direction.S2C, stream)]))
    timed = list(reassemble([ByteRun(Direction.S2C, stream[i:i + 16], i * 0.001)
                             for i in range(0, len(stream), 16)]))
    for items in (untimed, timed):
        assert [i.raw for i in items] == frames
        assert all(isinstance(i, Frame) for i in items)


def test_timed_response_cut_before_a_pause_still_ends_at_the_frame_inside():
    """With times, a pause before the inner frame is the evidence: a response cut short, then
    after a pause a whole response that fills exactly what the cut one still claims."""
    whole = rc4_response(0, bytes(range(20)))
    follower = rc4_response(0, b"\x05\x06")
    cut = whole[:len(whole) - len(follower)]
    after = rc4_response(0, b"\x07")
    byte = 10 / 9600
    runs = [ByteRun(Direction.S2C, cut, 1.0, tuple(1.0 + k * byte for k in range(len(cut)))),
            ByteRun(Direction.S2C, follower, 1.05,
                    tuple(1.05 + k * byte for k in range(len(follower)))),
            ByteRun(Direction.S2C, after, 1.09, tuple(1.09 + k * byte for k in range(len(after))))]
    items = list(reassemble(runs))
    assert [(type(i), i.raw) for i in items] == [
        (Malformed, cut), (Frame, follower), (Frame, after)]
