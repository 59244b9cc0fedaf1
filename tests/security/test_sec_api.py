"""Security.open_rc4_exchange: the dissector-facing RC4-mode interface."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sec_guide import EXCHANGES, GUIDE_KEY, split
from sec_testkeys import ENC_KEY, HEX_MBK, OTHER_KEY, checked

from osgpdissect.security import KeyRing, Security
from osgpdissect.security.api import (
    MISMATCH,
    NO_KEY,
    NOT_INFORMATIVE,
    UNVERIFIABLE,
    OpenedExchange,
    looks_like_plain_request,
)
from osgpdissect.security.digest import Digest, digest
from osgpdissect.security.rc4 import encode_exchange

NOT_INFORMATIVE_REPLIES = {"rc4_ex2_write_resp", "txn_multi_write_resp", "ep17_bt07_write_resp"}


def open_pair(sec: Security, req_id: str, resp_id: str | None) -> OpenedExchange:
    body, mac = split(req_id)
    resp, resp_mac = split(resp_id) if resp_id else (None, None)
    return checked(sec.open_rc4_exchange(body, mac, resp, resp_mac))  # type: ignore[return-value]


@pytest.mark.parametrize("req_id,resp_id", EXCHANGES)
def test_guide_exchanges_verify_with_mak(req_id: str, resp_id: str | None) -> None:
    sec = Security(KeyRing(mak=GUIDE_KEY, mbk=OTHER_KEY))
    ex = open_pair(sec, req_id, resp_id)
    assert ex.request_check.status == "verified with MAK" and ex.request_check.key == "MAK"
    assert ex.access_level == "MAK" and not ex.encrypted and ex.notes == ()
    if resp_id is None:
        assert ex.response_check is None
    elif resp_id in NOT_INFORMATIVE_REPLIES:
        assert ex.response_check is not None and ex.response_check.status == NOT_INFORMATIVE
        assert ex.response_check.key is None
    else:
        assert ex.response_check is not None
        assert ex.response_check.status == "verified with MAK"


def test_mbk_after_mak_fails() -> None:
    sec = Security(KeyRing(mak=OTHER_KEY, mbk=GUIDE_KEY))
    ex = open_pair(sec, "txn_et53_full_read_req", "txn_et53_full_read_resp")
    assert ex.request_check.status == "verified with MBK" and ex.access_level == "MBK"
    assert ex.response_check is not None and ex.response_check.key == "MBK"


def test_invalid_sequence_response() -> None:
    ex = open_pair(
        Security(KeyRing(mak=GUIDE_KEY)), "rc4_ex1_read_req_bad_seq", "rc4_ex1_resp_invalid_seq"
    )
    assert ex.sequence == 0x01020304 and ex.next_sequence == 0x77635B90
    assert ex.response_check is not None and ex.response_check.status == "verified with MAK"


def test_no_key() -> None:
    ex = open_pair(Security(), "txn_et53_header_read_req", "txn_et53_header_read_resp")
    assert ex.request_check.status == NO_KEY and ex.access_level is None
    assert ex.response_check is not None and ex.response_check.status == NO_KEY
    assert ex.sequence == 0x5B4E42E7 and not ex.encrypted


def test_bare_00_reply_is_not_informative_even_without_keys() -> None:
    ex = open_pair(Security(), "ep17_bt07_write_req", "ep17_bt07_write_resp")
    assert ex.response_check is not None and ex.response_check.status == NOT_INFORMATIVE


def test_wrong_keys_explain_0b() -> None:
    body, mac = split("txn_et53_header_read_req")
    sec = Security(KeyRing(mak=OTHER_KEY, mbk=HEX_MBK))
    ex = checked(sec.open_rc4_exchange(body, mac, b"\x0b", bytes(8)))
    assert ex.request_check.status == MISMATCH  # type: ignore[union-attr]
    assert ex.request_check.detail == (  # type: ignore[union-attr]
        "request digest fails under MAK and MBK: explains the 0x0B"
    )
    assert ex.access_level is None and ex.notes == ()  # type: ignore[union-attr]
    assert ex.response_check.status == UNVERIFIABLE  # type: ignore[union-attr]


def test_plain_looking_request_with_bad_digest_is_a_mismatch() -> None:
    body, mac = split("txn_et53_header_read_req")
    ex = checked(Security(KeyRing(mak=GUIDE_KEY)).open_rc4_exchange(body, bytes(8), None, None))
    assert ex.request_check.status == MISMATCH and ex.notes == ()  # type: ignore[union-attr]
    assert ex.request_check.detail == "request digest fails under MAK"  # type: ignore[union-attr]


def test_encrypted_exchange_decrypts_with_known_encryption_key() -> None:
    req, _ = split("txn_et53_full_read_req")
    resp, resp_mac = split("txn_et53_full_read_resp")
    wire = encode_exchange(GUIDE_KEY, ENC_KEY, req, resp)
    sec = Security(KeyRing(mak=OTHER_KEY, mbk=GUIDE_KEY, rc4_key=ENC_KEY))
    ex = checked(
        sec.open_rc4_exchange(
            wire.request_body, wire.request_digest, wire.response_body, wire.response_digest
        )
    )
    assert isinstance(ex, OpenedExchange)
    assert ex.encrypted and ex.access_level == "MBK"
    assert ex.request_body == req and ex.response_body == resp
    assert ex.request_check.status == "verified with MBK"
    assert ex.response_check is not None and ex.response_check.status == "verified with MBK"
    assert wire.response_digest == resp_mac
    assert ex.notes == ("encrypted (decrypted with the derived encryption key)",)


def test_encrypted_0c_response_is_decrypted() -> None:
    req, _ = split("rc4_ex1_read_req_bad_seq")
    resp, _ = split("rc4_ex1_resp_invalid_seq")
    wire = encode_exchange(GUIDE_KEY, ENC_KEY, req, resp)
    assert wire.response_body != resp
    ex = checked(
        Security(KeyRing(mak=GUIDE_KEY, rc4_key=ENC_KEY)).open_rc4_exchange(
            wire.request_body, wire.request_digest, wire.response_body, wire.response_digest
        )
    )
    assert ex.response_body == resp and ex.next_sequence == 0x77635B90  # type: ignore[union-attr]


def test_0b_reply_to_encrypted_request_is_read_in_clear() -> None:
    req, _ = split("rc4_ex2_write_req")
    wire = encode_exchange(GUIDE_KEY, ENC_KEY, req, b"\x0b")
    ex = checked(
        Security(KeyRing(mak=GUIDE_KEY, rc4_key=ENC_KEY)).open_rc4_exchange(
            wire.request_body, wire.request_digest, wire.response_body, wire.response_digest
        )
    )
    assert ex.response_body == b"\x0b"  # type: ignore[union-attr]
    assert "0x0B response is never encrypted" in ex.notes  # type: ignore[union-attr]
    assert ex.response_check.status == "verified with MAK"  # type: ignore[union-attr]


def test_encrypted_bare_00_reply_is_not_informative_after_decryption() -> None:
    req, _ = split("rc4_ex2_write_req")
    wire = encode_exchange(GUIDE_KEY, ENC_KEY, req, b"\x00")
    ex = checked(
        Security(KeyRing(mak=GUIDE_KEY, rc4_key=ENC_KEY)).open_rc4_exchange(
            wire.request_body, wire.request_digest, wire.response_body, wire.response_digest
        )
    )
    assert ex.response_body == b"\x00" and ex.encrypted  # type: ignore[union-attr]
    assert ex.response_check.status == NOT_INFORMATIVE  # type: ignore[union-attr]


def test_encrypted_without_encryption_key() -> None:
    req, _ = split("txn_et53_header_read_req")
    resp, _ = split("txn_et53_header_read_resp")
    wire = encode_exchange(GUIDE_KEY, ENC_KEY, req, resp)
    assert not looks_like_plain_request(wire.request_body)
    ex = checked(
        Security(KeyRing(mak=GUIDE_KEY)).open_rc4_exchange(
            wire.request_body, wire.request_digest, wire.response_body, wire.response_digest
        )
    )
    assert isinstance(ex, OpenedExchange)
    assert ex.notes == ("encrypted (no encryption key)",) and ex.encrypted
    assert ex.request_check.status == UNVERIFIABLE and ex.access_level is None
    assert ex.request_body == wire.request_body and ex.sequence is None


def test_wrong_encryption_key_is_a_mismatch() -> None:
    req, _ = split("txn_et53_header_read_req")
    wire = encode_exchange(GUIDE_KEY, ENC_KEY, req, None)
    ex = checked(
        Security(KeyRing(mak=GUIDE_KEY, rc4_key=OTHER_KEY)).open_rc4_exchange(
            wire.request_body, wire.request_digest, None, None
        )
    )
    assert ex.request_check.status == MISMATCH  # type: ignore[union-attr]
    assert ex.request_check.detail == (  # type: ignore[union-attr]
        "request digest fails under MAK (plaintext and decrypted)"
    )


def test_split_form_digest_at_block_boundary_is_accepted() -> None:
    data = bytes(180)
    body = b"\x4f\x08\x32\x00\x00\x00" + len(data).to_bytes(2, "big") + data + b"\x00\x00\x00\x07"
    assert len(body) == 192 and looks_like_plain_request(body)
    split_mac = Digest(GUIDE_KEY).update(body).final(reference_quirk=True)
    ex = checked(Security(KeyRing(mak=GUIDE_KEY)).open_rc4_exchange(body, split_mac, None, None))
    assert ex.request_check.status == "verified with MAK"  # type: ignore[union-attr]
    assert "split-call form" in ex.request_check.detail  # type: ignore[union-attr]
    one_shot = Security(KeyRing(mak=GUIDE_KEY)).open_rc4_exchange(
        body, digest(GUIDE_KEY, body), None, None
    )
    assert one_shot.request_check.detail == ""


@pytest.mark.parametrize("req_id,resp_id", [EXCHANGES[0], EXCHANGES[4]])
def test_single_bit_flips_fail_through_the_api(req_id: str, resp_id: str) -> None:
    sec = Security(KeyRing(mak=GUIDE_KEY, mbk=OTHER_KEY))
    body, mac = split(req_id)
    resp, resp_mac = split(resp_id)
    frame = bytearray(body + mac)
    for bit in range(len(frame) * 8):
        frame[bit // 8] ^= 1 << (bit % 8)
        ex = sec.open_rc4_exchange(bytes(frame[: len(body)]), bytes(frame[len(body) :]), None, None)
        assert ex.access_level is None, bit
        frame[bit // 8] ^= 1 << (bit % 8)
    rframe = bytearray(resp + resp_mac)
    for bit in range(len(rframe) * 8):
        rframe[bit // 8] ^= 1 << (bit % 8)
        ex = sec.open_rc4_exchange(
            body, mac, bytes(rframe[: len(resp)]), bytes(rframe[len(resp) :])
        )
        assert ex.response_check is not None and not ex.response_check.verified, bit
        rframe[bit // 8] ^= 1 << (bit % 8)


@pytest.mark.parametrize(
    "body,expected",
    [
        (bytes.fromhex("3F0017000000002C01020304"), True),
        (bytes.fromhex("300017 01020304"), True),
        (bytes.fromhex("4000070006 11080700F803 5B4E4309"), True),
        (bytes.fromhex("4000070007 11080700F803 5B4E4309"), False),
        (bytes.fromhex("3F0017000000002C010203"), False),
        (bytes.fromhex("A7"), False),
        (b"", False),
    ],
    ids=["read", "full-read", "full-write", "bad-count", "short", "garbage", "empty"],
)
def test_looks_like_plain_request(body: bytes, expected: bool) -> None:
    assert looks_like_plain_request(body) is expected


@settings(max_examples=60, deadline=None)
@given(
    auth=st.binary(min_size=16, max_size=16).filter(lambda k: len(set(k)) >= 8),
    enc=st.binary(min_size=16, max_size=16).filter(lambda k: len(set(k)) >= 8),
    table=st.integers(0, 0xFFFF),
    data=st.binary(max_size=60),
    seq=st.integers(0, 2**32 - 1),
    use_mbk=st.booleans(),
)
def test_encrypted_round_trip(
    auth: bytes, enc: bytes, table: int, data: bytes, seq: int, use_mbk: bool
) -> None:
    req = (
        b"\x3f"
        + table.to_bytes(2, "big")
        + b"\x00\x00\x00"
        + len(data).to_bytes(2, "big")
        + seq.to_bytes(4, "big")
    )
    resp = b"\x00" + len(data).to_bytes(2, "big") + data
    wire = encode_exchange(auth, enc, req, resp)
    other = bytes(b ^ 0xA5 for b in auth)
    ring = (
        KeyRing(mak=other, mbk=auth, rc4_key_mbk=enc) if use_mbk else KeyRing(mak=auth, rc4_key=enc)
    )
    ex = Security(ring).open_rc4_exchange(
        wire.request_body, wire.request_digest, wire.response_body, wire.response_digest
    )
    assert ex.encrypted and ex.request_body == req and ex.response_body == resp
    assert ex.access_level == ("MBK" if use_mbk else "MAK") and ex.sequence == seq
    assert ex.response_check is not None
    if data:
        assert ex.response_check.verified
    else:  # issue 21 item 6: an empty read (00 0000) repeats the request digest
        assert ex.response_check.status == NOT_INFORMATIVE
    # Keys are only checked when they are not legitimately part of the plaintext.
    checked(ex, *(k for k in (auth, enc, other) if k not in req + resp))
