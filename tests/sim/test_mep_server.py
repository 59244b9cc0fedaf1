"""The simulated MEP server against the guide's RC4 examples (issue 17)."""

from __future__ import annotations

from osgpdissect.security.digest import digest
from osgpdissect.sim.image import MeterImage
from osgpdissect.sim.mep_server import MEPServer
from osgpdissect.sim.serve import FrameCutter

GUIDE_KEY = "01" * 16  # the key behind the guide's examples (notes/mep-security.md)


def _image(spec, **keys) -> MeterImage:
    return MeterImage.from_mapping({"profile": "gen4", "keys": keys or {"mak": GUIDE_KEY},
                                    "tables": {"ET11": {"num_devices": 2}}}, spec)


def _request(key: bytes, command: bytes, seq: int) -> bytes:
    plain = command + seq.to_bytes(4, "big")
    tag = digest(key, plain)
    return (len(plain) + 8).to_bytes(2, "big") + plain + tag


def test_guide_rc4_example_1_sequence_reply_is_byte_exact(spec):
    """Issue 17: a wrong sequence number is answered 0x0C with the current number, as printed."""
    server = MEPServer(_image(spec), seq=0x77635B90)
    first = bytes.fromhex("00143f0017000000002C010203047486 1F6D7658DD56".replace(" ", ""))
    assert server.handle(first) == bytes.fromhex("000D0C77635B9035863C1DF5B91482")
    second = bytes.fromhex("00143F0017000000002C77635B9113DB85A135A0575E")
    answer = server.handle(second)
    assert answer[:5] == bytes.fromhex("003700002C")
    assert answer[5:-8] == bytes(server.image.get("BT23")[:44])
    assert server.seq == 0x77635B91


def test_guide_rc4_example_2_write_is_byte_exact_and_kept(spec):
    """Issue 17: the guide's ET50 partial write gets the printed answer; the image keeps it."""
    server = MEPServer(_image(spec), seq=0x77636E2E)
    write = bytes.fromhex("00154F0832 00001E000101 77636E2F86E50E2667D1E63C".replace(" ", ""))
    assert server.handle(write) == bytes.fromhex("00090086e50e2667d1e63c")
    assert server.image.get("ET50")[30] == 1


def test_wrong_key_is_answered_0b(spec):
    """Issue 17: a digest no key verifies is answered 0x0B (never encrypted)."""
    server = MEPServer(_image(spec), seq=0)
    answer = server.handle(_request(b"\x09" * 16, bytes.fromhex("300017"), 1))
    assert answer[:3] == b"\x00\x09\x0b"
    assert server.log.auth_failures == 1 and server.seq == 0


def test_mbk_may_read_but_not_write_bt23(spec):
    """Issue 17: per-table access from the spec (BT23 write is MAK only)."""
    server = MEPServer(_image(spec, mak=GUIDE_KEY, mbk="02" * 16), seq=0)
    mbk = b"\x02" * 16
    assert server.handle(_request(mbk, bytes.fromhex("3F0017000000000A"), 1))[2] == 0x00
    answer = server.handle(_request(mbk, bytes.fromhex("4F001700000000010A"), 2))
    assert answer[2] == 0x03


def test_frame_cutter_drops_noise_before_a_frame():
    """Issue 17: impossible lengths are dropped one byte at a time; the frame then follows."""
    cutter = FrameCutter()
    frame = _request(b"\x01" * 16, bytes.fromhex("300017"), 1)
    assert cutter.feed(b"\xff\xff" + frame[:5]) == []
    assert cutter.feed(frame[5:]) == [frame]
    assert cutter.dropped == 2


def test_access_follows_the_server_kind(spec):
    """Issue 17: per-table access per client type: ET85 is an OSGP meter table only."""
    def first_byte(kind: str) -> int:
        image = MeterImage.from_mapping({"kind": kind, "keys": {"mak": GUIDE_KEY},
                                         "tables": {"ET85": {"hex": "11080100"}}}, spec)
        server = MEPServer(image, seq=0)
        return server.handle(_request(b"\x01" * 16, bytes.fromhex("300855"), 1))[2]

    assert first_byte("osgp") == 0x00
    assert first_byte("cpm6000") == 0x03


def test_image_names_an_unknown_field(spec):
    """Issue 17: a value for a field the table does not have is an error, not ignored."""
    import pytest

    from osgpdissect.sim.image import ImageError

    with pytest.raises(ImageError, match="no field nbr_demand_resets"):
        MeterImage.from_mapping({"tables": {"BT23": {"nbr_demand_resets": 3}}}, spec)
