"""MEPSocket against the simulator over a pty and TCP loopback (issue 17)."""

from __future__ import annotations

import pytest

from osgpdissect.backends.scapy.mep import MEPRequest, MEPResponse
from osgpdissect.backends.scapy.tables import MEPTableData
from osgpdissect.security.keys import KeyRing
from osgpdissect.talk.mep_socket import MEPError, MEPSocket
from tests.talk.conftest import SERVER_SEQ


def _client(meter, keys, **kw) -> MEPSocket:
    return MEPSocket(meter.path, keys, seq=SERVER_SEQ + 1, timeout=30.0, **kw)


def test_et11_then_et13_learns_dimensions(meter, mak_keys):
    """Issue 17: ET13 is laid out by the ET11 just read (2 devices x 66 bytes)."""
    with _client(meter, mak_keys) as s:
        et11 = s.read("ET11")
        assert et11.nodes[0].name == "num_devices" and et11.nodes[0].value == 2
        et13 = s.read("ET13")
        assert len(et13.data) == 132 == len(meter.server.image.get("ET13"))
        assert not et13.problems


def test_bt23_partial_reads_give_the_image_bytes(meter, mak_keys):
    """Issue 17: partial reads return the image's bytes at their offsets."""
    image = meter.server.image.get("BT23")
    with _client(meter, mak_keys) as s:
        for offset, count in ((0, 44), (300, 100), (len(image) - 5, 5)):
            assert s.read("BT23", offset, count).data == bytes(image[offset : offset + count])


def test_write_is_kept_by_the_image(meter, mak_keys):
    """Issue 17: a partial write is stored; reading it back gives the written bytes."""
    with _client(meter, mak_keys) as s:
        s.write("BT23", b"\xaa\xbb\xcc", offset=10)
        assert s.read("BT23", 8, 7).data == bytes([8, 9, 0xAA, 0xBB, 0xCC, 13, 14])
    assert meter.server.image.get("BT23")[10:13] == b"\xaa\xbb\xcc"


def test_0c_resync_learns_the_meter_sequence(meter, mak_keys):
    """Issue 17: a client starting at a wrong number learns the meter's from 0x0C, retries."""
    with MEPSocket(meter.path, mak_keys, seq=0x01020304, timeout=30.0) as s:
        assert s.read("BT23", 0, 4).data == b"\x00\x01\x02\x03"
        assert [e.code for e in s.exchanges] == [0x0C, 0x00]
        assert s.seq == SERVER_SEQ + 2
    assert meter.server.log.seq_errors == 1


def test_wrong_key_is_reported_as_0b(meter):
    """Issue 17: a key the meter does not hold is answered 0x0B and reported as such."""
    with _client(meter, KeyRing(mak="09" * 16)) as s, pytest.raises(MEPError) as err:
        s.read("ET11")
    assert err.value.code == 0x0B and "authentication failure" in str(err.value)


def test_rc4_exchange(meter, mak_keys):
    """Issue 17: an RC4-encrypted read is decrypted by both sides; the wire is not plaintext."""
    with _client(meter, mak_keys, encrypt=True) as s:
        assert s.read("BT23", 16, 8).data == bytes(range(16, 24))
        ex = s.exchanges[-1]
        assert ex.request[2:-8] != ex.request_plain
    assert meter.server.log.encrypted == 1


def test_ep17_call_and_et59_result(meter, mak_keys):
    """Issue 17: BT07 write, then the result read from ET59 (ET50 "ET59 Response" set)."""
    with _client(meter, mak_keys) as s:
        result = s.call("EP17", {"action": 0, "device_handle": 1})
    assert (result.id, result.result_code, result.matches_call) == ("EP17", 0, True)
    assert meter.server.log.procedures == [(2065, 0)]


def test_procedure_result_table_follows_et50(meter, mak_keys):
    """Issue 17: with ET50's "ET59 Response" flag clear, the result is read from BT08."""
    from osgpdissect.codec import encode_table

    image = meter.server.image
    image.put("ET50", 0, encode_table(image.spec, "ET50", {}, image.device))
    with _client(meter, mak_keys) as s:
        result = s.call("EP17", {"action": 0, "device_handle": 1})
        assert (result.id, result.matches_call) == ("EP17", True)
        assert [e.request_plain[:3].hex() for e in s.exchanges][-1] == "300008"  # BT08


def test_mbk_write_is_refused_with_0x03(meter):
    """Issue 17: the MBK reads BT23 but may not write it (spec access): 0x03 is reported."""
    with _client(meter, KeyRing(mbk="02" * 16), key="MBK") as s:
        assert s.read("BT23", 0, 1).data == b"\x00"
        with pytest.raises(MEPError) as err:
            s.write("BT23", b"\x01", offset=0)
    assert err.value.code == 0x03


def test_et52_et53_transaction(meter, mak_keys):
    """Issue 17: two reads in one ET52 transaction, answered in ET53 with the image's bytes."""
    with _client(meter, mak_keys) as s:
        answers = s.transaction([bytes.fromhex("3F0017000000000A"), bytes.fromhex("30080B")])
    assert answers[0] == b"\x00\x00\x0a" + bytes(range(10))
    assert answers[1][3:] == bytes(meter.server.image.get("ET11"))


def test_sr1_returns_the_response_with_its_table_layer(meter, mak_keys):
    """Issue 17: ``sr1(MEPRequest(...))`` works; the answer carries the decoded table."""
    with _client(meter, mak_keys) as s:
        resp = s.sr1(MEPRequest(code=0x3F, table=0x0017, offset=0, count=6))
    assert isinstance(resp, MEPResponse) and resp.code == 0 and resp.count == 6
    assert MEPTableData in resp


def test_alert_before_an_answer_is_counted(meter, mak_keys):
    """Issue 17: the alert sequence (00 00) is exposed, and the answer after it still read."""
    meter.alert()
    with _client(meter, mak_keys) as s:
        assert s.read("BT23", 0, 2).data == b"\x00\x01"
        assert len(s.alerts) == 1


def test_alert_flags_in_et13_send_alerts_until_cleared(spec):
    """Issue 17: while a MEP client entry of ET13 has an alert flag set, the simulator sends
    the alert sequence; the client reads ET13, clears the flag, and the alerts stop."""
    from osgpdissect.sim.image import MeterImage
    from osgpdissect.sim.mep_server import MEPServer
    from osgpdissect.sim.serve import Simulator
    from tests.talk.conftest import IMAGE

    entries = [{} for _ in range(4)] + [{"alert_flags": {"on_demand_request": 1}}]
    tables = {**IMAGE["tables"], "ET11": {"num_devices": 5}, "ET13": {"device_config": entries}}
    image = MeterImage.from_mapping({**IMAGE, "tables": tables}, spec)
    with Simulator(MEPServer(image, seq=SERVER_SEQ)) as sim, MEPSocket(
            sim.open_pty(), KeyRing(mak=IMAGE["keys"]["mak"]), seq=SERVER_SEQ + 1) as s:
        et13 = s.read("ET13")
        assert len(s.alerts) >= 1
        flags_at = 4 * 66 + 8
        assert et13.data[flags_at] == 0x02
        s.write("ET13", b"\x00", offset=flags_at)
        before = len(s.alerts)
        s.read("BT23", 0, 1)
        s.read("BT23", 1, 1)
        assert len(s.alerts) <= before + 1  # at most one sent before the write was handled
    assert not sim.server.alerting()


def test_sr1_with_a_wrong_key_returns_the_0b_response(meter):
    """Issue 17: through scapy, a 0x0B answer is the response returned (not an older one)."""
    with _client(meter, KeyRing(mak="09" * 16)) as s:
        resp = s.sr1(MEPRequest(code=0x3F, table=0x0017, offset=0, count=6))
    assert isinstance(resp, MEPResponse) and resp.code == 0x0B
