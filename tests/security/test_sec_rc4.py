"""RC4 and the per-exchange MEP encryption."""

from __future__ import annotations

import pytest
from sec_guide import GUIDE_KEY, split

from osgpdissect.security.digest import digest
from osgpdissect.security.rc4 import RC4, encode_exchange, exchange_cipher, exchange_key


@pytest.mark.parametrize(
    "key,plain,cipher",
    [
        (b"Key", b"Plaintext", "bbf316e8d940af0ad3"),
        (b"Wiki", b"pedia", "1021bf0420"),
        (b"Secret", b"Attack at dawn", "45a01f645fc35b383552544b9bf5"),
    ],
    ids=["key", "wiki", "secret"],
)
def test_known_rc4_vectors(key: bytes, plain: bytes, cipher: str) -> None:
    assert RC4(key).crypt(plain).hex() == cipher


def test_rfc6229_16_byte_key_offset_0() -> None:
    stream = RC4(bytes(range(1, 17))).crypt(bytes(16))
    assert stream.hex() == "9ac7cc9a609d1ef7b2932899cde41b97"


def test_keystream_continues_across_calls() -> None:
    a = RC4(b"k" * 16)
    b = RC4(b"k" * 16)
    assert a.crypt(b"\x00" * 5) + a.crypt(b"\x00" * 7) == b.crypt(b"\x00" * 12)


def test_exchange_key_xors_first_eight_bytes() -> None:
    enc = bytes(range(16))
    mac = bytes([0xFF] * 8)
    key = exchange_key(enc, mac)
    assert key[:8] == bytes(0xFF ^ i for i in range(8)) and key[8:] == enc[8:]
    with pytest.raises(ValueError):
        exchange_key(enc[:15], mac)


def test_encode_exchange_round_trip() -> None:
    enc = bytes(range(100, 116))
    req, _ = split("txn_et53_header_read_req")
    resp, resp_mac = split("txn_et53_header_read_resp")
    ex = encode_exchange(GUIDE_KEY, enc, req, resp)
    assert ex.request_digest == digest(GUIDE_KEY, req)
    assert ex.response_digest == resp_mac  # digests are over plaintext
    assert ex.request_body != req and ex.response_body != resp
    cipher = exchange_cipher(enc, ex.request_digest)
    assert cipher.crypt(ex.request_body) == req
    assert cipher.crypt(ex.response_body or b"") == resp  # continued keystream


def test_0b_response_stays_clear() -> None:
    enc = bytes(16)
    req, _ = split("rc4_ex2_write_req")
    ex = encode_exchange(GUIDE_KEY, enc, req, b"\x0b")
    assert ex.response_body == b"\x0b"


def test_plain_encoding_without_encryption_key() -> None:
    req, mac = split("rc4_ex2_write_req")
    ex = encode_exchange(GUIDE_KEY, None, req, b"\x00")
    assert (ex.request_body, ex.request_digest, ex.response_digest) == (req, mac, mac)


def test_matches_cryptography_arc4_when_available() -> None:
    try:
        from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
    except ImportError:  # pragma: no cover - older cryptography
        pytest.skip("cryptography without the decrepit ARC4")
    from cryptography.hazmat.primitives.ciphers import Cipher

    key = bytes(range(7, 23))
    data = bytes(range(256)) * 2
    ours = RC4(key).crypt(data)
    theirs = Cipher(ARC4(key), mode=None).encryptor().update(data)
    assert ours == theirs
