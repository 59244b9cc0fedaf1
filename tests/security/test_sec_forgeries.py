"""issue 21 item 6: forgeable replies are never "verified", and a damaged request code is an
error, not "encrypted / unverifiable"."""

from __future__ import annotations

import pytest
from sec_guide import EXCHANGES, FRAMES, GUIDE_KEY, split

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.mep import Dissector
from osgpdissect.security import KeyRing, Security
from osgpdissect.security.api import MISMATCH, NOT_INFORMATIVE, UNVERIFIABLE
from osgpdissect.security.digest import digest

REQUESTS = sorted({req for req, _ in EXCHANGES})


@pytest.mark.parametrize("req_id", REQUESTS)
@pytest.mark.parametrize("reply", ["00", "000000", "0000", "00" * 40])
def test_zero_extended_reply_with_request_digest_is_not_informative(req_id, reply):
    """issue 21 item 6: ``00 0000`` (an empty read), ``00 00 00`` ... carrying the request's
    digest were "verified with MAK": digest(request + zeros) == digest(request)."""
    body, mac = split(req_id)
    resp = bytes.fromhex(reply)
    assert digest(GUIDE_KEY, body + resp) == mac  # the forgery really verifies
    for sec in (Security(KeyRing(mak=GUIDE_KEY)), Security()):
        ex = sec.open_rc4_exchange(body, mac, resp, mac)
        assert ex.response_check is not None
        assert ex.response_check.status == NOT_INFORMATIVE
        assert not ex.response_check.verified


def test_genuine_zero_reply_with_its_own_digest_still_verifies():
    """issue 21 item 6: the rule needs the request's digest repeated; an all-zero reply whose
    digested bytes cross the 192-byte block carries a digest of its own and verifies."""
    body, mac = split("ep17_bt07_write_req")
    resp = bytes(200)
    own = digest(GUIDE_KEY, body + resp)
    assert own != mac
    ex = Security(KeyRing(mak=GUIDE_KEY)).open_rc4_exchange(body, mac, resp, own)
    assert ex.response_check is not None and ex.response_check.status == "verified with MAK"


def _frame(body: bytes, mac: bytes) -> bytes:
    return (len(body) + len(mac)).to_bytes(2, "big") + body + mac


def test_dissector_never_shows_a_forged_empty_read_as_verified():
    """issue 21 item 6: through the MEP dissector, with the key and without."""
    body, mac = split("txn_et53_header_read_req")
    runs = [ByteRun(Direction.C2S, _frame(body, mac), 0.0, source="t"),
            ByteRun(Direction.S2C, _frame(bytes(3), mac), 0.1, source="t")]
    rec = next(iter(Dissector(security=Security(KeyRing(mak=GUIDE_KEY))).dissect(runs)))
    assert rec.kind == "exchange"
    assert rec.security["request_digest"] == "verified with MAK"
    assert rec.security["response_digest"] == NOT_INFORMATIVE
    rec = next(iter(Dissector().dissect(runs)))
    assert any("not informative" in n for n in rec.security["notes"])


@pytest.mark.parametrize("req_id", REQUESTS)
@pytest.mark.parametrize("bit", range(8))
def test_request_code_bit_flip_is_an_error(req_id, bit):
    """issue 21 item 6: a bit flipped in the request code byte was "encrypted /
    unverifiable"; the request verifies with that bit restored, so it is a digest error."""
    body, mac = split(req_id)
    bad = bytes((body[0] ^ (1 << bit),)) + body[1:]
    ex = Security(KeyRing(mak=GUIDE_KEY)).open_rc4_exchange(bad, mac, None, None)
    assert ex.request_check.status == MISMATCH and not ex.encrypted
    assert f"0x{body[0]:02X}, one bit away" in ex.request_check.detail
    assert ex.request_check.status != UNVERIFIABLE


def test_request_code_bit_flip_through_the_dissector():
    """issue 21 item 6: the record reports a digest mismatch, not an encrypted exchange."""
    raw = bytearray(bytes.fromhex(FRAMES["txn_et53_header_read_req"]))
    raw[2] ^= 0x10
    resp = bytes.fromhex(FRAMES["txn_et53_header_read_resp"])
    runs = [ByteRun(Direction.C2S, bytes(raw), 0.0, source="t"),
            ByteRun(Direction.S2C, resp, 0.1, source="t")]
    rec = next(iter(Dissector(security=Security(KeyRing(mak=GUIDE_KEY))).dissect(runs)))
    assert rec.security["request_digest"] == MISMATCH
    assert rec.security["encrypted"] is False
    assert any("damaged" in n for n in rec.security["notes"])
    # the response was computed over the intact request: it still verifies
    assert rec.security["response_digest"] == "verified with MAK"
