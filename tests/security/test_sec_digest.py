"""OSGP digest: guide vectors, block boundaries, chaining, reference-model agreement."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sec_guide import EXCHANGES, FRAMES, GUIDE_KEY, split
from sec_refmodel import reference_oneshot, reference_split

from osgpdissect.security.digest import Digest, block_size, digest

REQUEST_IDS = [req for req, _ in EXCHANGES]
RESPONSE_PAIRS = [(req, resp) for req, resp in EXCHANGES if resp]


def test_thirteen_guide_digests_reproduce() -> None:
    count = 0
    for req_id, resp_id in EXCHANGES:
        body, mac = split(req_id)
        assert digest(GUIDE_KEY, body) == mac, req_id
        count += 1
        if resp_id:
            resp, resp_mac = split(resp_id)
            assert digest(GUIDE_KEY, body + resp) == resp_mac, resp_id
            count += 1
    assert count == 13


@pytest.mark.parametrize("req_id,resp_id", RESPONSE_PAIRS)
def test_response_digest_by_chaining(req_id: str, resp_id: str) -> None:
    """Guide App. A method 1: keep the request's running state, finish over the response."""
    body, _ = split(req_id)
    resp, resp_mac = split(resp_id)
    running = Digest(GUIDE_KEY).update(body)
    assert running.final(resp) == resp_mac
    assert running.copy().update(resp).final() == resp_mac


def test_appendix_a_uses_another_key() -> None:
    body, mac = split("appA_partial_read_req")
    assert len(body) == 12  # the guide's apduSize
    assert digest(GUIDE_KEY, body) != mac


def test_block_size() -> None:
    assert block_size(16) == 192
    assert block_size(6) == 48  # the EN 14908 special case
    assert block_size(8) == 96


def test_bare_00_reply_repeats_request_digest() -> None:
    body, mac = split("rc4_ex2_write_req")
    assert digest(GUIDE_KEY, body + b"\x00") == mac
    assert FRAMES["rc4_ex2_write_resp"].endswith(mac.hex().upper())


@pytest.mark.parametrize("length", [1, 12, 191, 192, 193, 250, 383, 384, 385, 476, 1000])
def test_lengths_agree_with_reference_model(length: int) -> None:
    data = bytes((i * 37 + 11) & 0xFF for i in range(length))
    key = bytes(range(3, 19))
    assert digest(key, data) == reference_oneshot(key, data)
    # Non-boundary lengths: the split form equals the one-shot form.
    split_form = reference_split(key, data)
    assert Digest(key).update(data).final(reference_quirk=True) == split_form
    if length % 192:
        assert split_form == reference_oneshot(key, data)


@pytest.mark.parametrize("length", [192, 384])
def test_block_boundary_quirk(length: int) -> None:
    """Exactly at a block boundary the reference split form pads a whole extra zero block;
    the one-shot default does not."""
    key = bytes(range(16))
    data = bytes((i * 7) & 0xFF for i in range(length))
    one_shot = digest(key, data)
    split_form = Digest(key).update(data).final(reference_quirk=True)
    assert one_shot != split_form
    assert one_shot == Digest(key).update(data).final() == reference_oneshot(key, data)
    assert split_form == reference_split(key, data)
    assert split_form == digest(key, data + bytes(192))
    # A response appended after the boundary is unaffected by the choice.
    assert Digest(key).update(data).final(b"\x00\x01") == digest(key, data + b"\x00\x01")


def test_empty_message_pads_one_block() -> None:
    key = bytes(range(16))
    assert digest(key, b"") == reference_oneshot(key, b"") == digest(key, bytes(192))
    assert Digest(key).final(reference_quirk=True) == digest(key, b"")


def test_long_message_crosses_blocks() -> None:
    key = bytes(range(16))
    data = bytes(range(256)) * 3  # 768 bytes = 4 blocks
    assert digest(key, data) == reference_oneshot(key, data)
    assert digest(key, data[:500]) != digest(key, data[:501])


def test_final_does_not_disturb_running_state() -> None:
    d = Digest(GUIDE_KEY).update(b"\x3f\x00")
    first = d.final()
    d.update(b"\x17")
    assert d.final() == digest(GUIDE_KEY, b"\x3f\x00\x17")
    assert first == digest(GUIDE_KEY, b"\x3f\x00")
    assert d.position == 3


def test_bad_key_lengths() -> None:
    with pytest.raises(ValueError):
        Digest(b"\x01" * 15)
    with pytest.raises(ValueError):
        Digest(b"")


@settings(max_examples=150, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=16),
    data=st.binary(max_size=600),
    cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=4),
)
def test_chunking_is_invisible(key: bytes, data: bytes, cuts: list[int]) -> None:
    points = sorted({min(c, len(data)) for c in cuts})
    d = Digest(key)
    prev = 0
    parts = []
    for p in points:
        parts.append(data[prev:p])
        d.update(data[prev:p])
        prev = p
    parts.append(data[prev:])
    d.update(data[prev:])
    assert d.final() == digest(key, data) == reference_oneshot(key, data)
    assert d.final(reference_quirk=True) == reference_split(key, *parts)


@settings(max_examples=60, deadline=None)
@given(key_len=st.sampled_from([2, 6, 8, 16, 20, 32]), data=st.binary(max_size=300))
def test_other_key_lengths_match_reference(key_len: int, data: bytes) -> None:
    key = bytes((i * 29 + 5) & 0xFF for i in range(key_len))
    assert digest(key, data) == reference_oneshot(key, data)


@pytest.mark.parametrize("frame_id", REQUEST_IDS[:4] + ["txn_et53_full_read_resp"])
def test_every_single_bit_flip_breaks_the_digest(frame_id: str) -> None:
    """Flip each bit of a verified frame's covered bytes or digest: never verifies."""
    if frame_id.endswith("_resp"):
        req, _ = split("txn_et53_full_read_req")
        body, mac = split(frame_id)
        prefix = req
    else:
        body, mac = split(frame_id)
        prefix = b""
    assert digest(GUIDE_KEY, prefix + body) == mac
    covered = bytearray(body + mac)
    for bit in range(len(covered) * 8):
        covered[bit // 8] ^= 1 << (bit % 8)
        flipped_body, flipped_mac = bytes(covered[: len(body)]), bytes(covered[len(body) :])
        assert digest(GUIDE_KEY, prefix + flipped_body) != flipped_mac, bit
        covered[bit // 8] ^= 1 << (bit % 8)
