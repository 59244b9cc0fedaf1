"""No key material in any rendering (str, repr, asdict JSON) of results, events or errors."""

from __future__ import annotations

import pytest
from sec_guide import EXCHANGES, GUIDE_KEY, split
from sec_secrets_check import assert_no_key, spellings
from sec_testkeys import ASCII_MAK, ENC_KEY, HEX_MBK, OTHER_KEY, checked, registered, seen
from sec_tlsdata import load_capture

from osgpdissect.security import Digest, KeyMaterialError, KeyRing, PskEntry, Security
from osgpdissect.security.keys import parse_key
from osgpdissect.security.rc4 import RC4, encode_exchange


def produce_everything() -> list[object]:
    """One of each object kind the key-using code paths produce."""
    objs: list[object] = []
    ring = KeyRing(mak=GUIDE_KEY, mbk=HEX_MBK, rc4_key=ENC_KEY, psk=[PskEntry(b"id", OTHER_KEY)])
    sec = Security(ring)
    objs += [ring, ring.psk[0], sec, Digest(GUIDE_KEY).update(b"abc"), RC4(ENC_KEY)]
    for req_id, resp_id in EXCHANGES:
        body, mac = split(req_id)
        resp, resp_mac = split(resp_id) if resp_id else (None, None)
        ex = sec.open_rc4_exchange(body, mac, resp, resp_mac)
        objs += [ex, ex.request_check, ex.response_check]
        objs.append(Security(KeyRing(mak=OTHER_KEY)).open_rc4_exchange(body, mac, b"\x0b", mac))
    req, _ = split("txn_et53_header_read_req")
    wire = encode_exchange(GUIDE_KEY, ENC_KEY, req, b"\x00\x00\x01\x07")
    objs.append(wire)
    objs.append(
        Security(KeyRing(mak=GUIDE_KEY)).open_rc4_exchange(
            wire.request_body, wire.request_digest, wire.response_body, wire.response_digest
        )
    )
    objs.append(
        sec.open_rc4_exchange(
            wire.request_body, wire.request_digest, wire.response_body, wire.response_digest
        )
    )
    for bad in ("Secret7", ASCII_MAK[:19], HEX_MBK[:31] + "G", b"\x01" * 17):
        try:
            parse_key(bad, "mak")
        except KeyMaterialError as exc:
            objs.append(exc)
    for name in ("session_ems", "wrong_psk"):
        frames, side = load_capture(name)
        for keys in (KeyRing(mak=side["psk_hex"]), KeyRing(mak=OTHER_KEY)):
            tracker = Security(keys).tls_tracker()
            objs.append(tracker)
            for direction, code, payload in frames:
                objs += tracker.feed(direction, code, payload)
            objs.append(tracker)
    return objs


def test_everything_produced_here_is_clean() -> None:
    objs = produce_everything()
    assert len(objs) > 100
    for obj in objs:
        checked(obj)


def test_everything_other_tests_produced_is_clean() -> None:
    """Objects that other tests routed through ``checked`` (when they ran first)."""
    keys = registered()
    for obj in seen():
        assert_no_key(obj, keys)


def test_the_leak_check_catches_leaks() -> None:
    key = bytes.fromhex(HEX_MBK)
    for form in spellings(key)[:2]:
        with pytest.raises(AssertionError):
            assert_no_key(RuntimeError(f"oops {form}"), [key])
    with pytest.raises(AssertionError):
        assert_no_key(ValueError(ASCII_MAK), [ASCII_MAK.encode()])
