"""Packet layer: CRC check value, builders ↔ dissectors (pure and scapy) round trips."""

from __future__ import annotations

import pytest
from scapy.packet import raw

from osgpdissect.backends.scapy import optical as L
from osgpdissect.bytestream import Direction
from osgpdissect.optical import builders as B
from osgpdissect.optical import codes as C
from osgpdissect.optical.crc import crc16, crc_bytes
from osgpdissect.optical.packet import Packet, build_packet, control_byte, packet_status
from osgpdissect.optical.services import parse_request, parse_response


def test_crc_check_value_from_the_notes():
    assert crc_bytes(bytes.fromhex("EE0000000001") + b"\x20") == bytes.fromhex("1310")
    assert B.ident() == bytes.fromhex("EE00000000012013 10".replace(" ", ""))


def test_crc_catalogue_check_value():
    assert crc16(b"123456789") == 0x906E  # CRC-16/X-25 catalogue check


def test_scapy_builds_the_check_value_packet():
    assert raw(L.C1218Packet(data=b"\x20")) == bytes.fromhex("ee000000000120" "1310")
    assert L.C1218Packet(B.ident()).crc_ok()


REQUESTS = [
    (B.ident(), L.C1218Ident(), {}),
    (B.terminate(), L.C1218Terminate(), {}),
    (B.logoff(), L.C1218Logoff(), {}),
    (B.wait(30), L.C1218Wait(seconds=30), {"seconds": 30}),
    (B.read(0x17), L.C1218Read(table=0x17), {"table": 0x17}),
    (B.read(0x0815, 0x010203, 44), L.C1218PartialRead(table=0x815, offset=0x010203, count=44),
     {"table": 0x815, "offset": 0x010203, "count": 44}),
    (B.write(7, b"\x11\x08\x05"), L.C1218Write(table=7, data=b"\x11\x08\x05"),
     {"table": 7, "count": 3, "data": b"\x11\x08\x05"}),
    (B.write(2100, b"\x01\x02", offset=9), L.C1218PartialWrite(table=2100, offset=9, data=b"\x01\x02"),
     {"table": 2100, "offset": 9, "data": b"\x01\x02"}),
    (B.logon(2, "reader"), L.C1218Logon(user_id=2, user=b"reader    "), {}),
    (B.security("pw"), L.C1218Security(password=b"pw".ljust(20)), {}),
    (B.negotiate(128, 4, 9600), L.C1218Negotiate(packet_size=128, nbr_packets=4, baud_rates=[6]), {}),
    (B.negotiate(512, 2), L.C1218Negotiate(packet_size=512, nbr_packets=2), {}),
]


@pytest.mark.parametrize("packet, layer, fields", REQUESTS, ids=lambda v: getattr(v, "name", None))
def test_request_builders_round_trip(packet, layer, fields):
    assert packet_status(packet, 0) == ("ok", len(packet))
    assert raw(L.C1218Packet(data=raw(layer))) == packet  # scapy builds the same bytes
    data = B.service_data(packet)
    again = L.C1218Packet(packet).service("request")
    assert raw(again) == data  # scapy dissects and rebuilds them
    req = parse_request(data)
    assert req.problems == []
    for name, value in fields.items():
        assert getattr(req, name, req.fields.get(name)) == value


def test_logon_security_negotiate_fields():
    assert parse_request(B.service_data(B.logon(2, "reader"))).fields["user"] == "reader"
    assert parse_request(B.service_data(B.logon(2, "reader"))).fields["user_id"] == 2
    pw = parse_request(B.service_data(B.security("pw"))).fields["password"]
    assert pw == b"pw" + b" " * 18
    neg = parse_request(B.service_data(B.negotiate(128, 4, 9600))).fields
    assert neg == {"packet_size": 128, "nbr_packets": 4, "baud_rates": ["9600"]}


def test_response_builders_round_trip():
    ident = parse_response(B.service_data(B.ident_response(0, 2, 1)), parse_request(b"\x20"))
    assert ident.fields["std_name"] == "ANSI C12.18" and (ident.fields["ver"], ident.fields["rev"]) == (2, 1)
    assert ident.problems == []
    neg = parse_response(B.service_data(B.negotiate_response(128, 4, 19200)),
                         parse_request(b"\x60\x00\x80\x04"))
    assert neg.fields == {"packet_size": 128, "nbr_packets": 4, "baud_rate": "19200"}
    rd = parse_response(B.service_data(B.read_response(b"\x01\x02\xff")), parse_request(b"\x30\x00\x01"))
    assert (rd.count, rd.data, rd.checksum, rd.problems) == (3, b"\x01\x02\xff", 0xFE, [])
    layer = L.C1218Packet(B.read_response(b"\x01\x02\xff")).service("response", L.C1218Read(table=1))
    assert isinstance(layer, L.C1218ReadResponse) and layer.checksum_ok()
    assert raw(L.C1218Packet(data=raw(L.C1218ReadResponse(data=b"\x01\x02\xff")))) == B.read_response(b"\x01\x02\xff")


@pytest.mark.parametrize("code, name", [(0, "ok"), (1, "err"), (2, "sns"), (3, "isc"), (4, "onp"),
                                        (5, "iar"), (6, "bsy"), (7, "dnr"), (8, "dlk"), (9, "rno"),
                                        (10, "isss")])
def test_response_code_names(code, name):
    assert C.response_code_name(code) == name
    assert B.error(name) == build_packet(bytes((code,)))
    assert parse_response(bytes((code,)), None).code_name == name


def test_control_bits_named():
    ctrl = control_byte(multi=True, first=True, toggle=True)
    assert ctrl == 0xE0
    pkt = Packet(Direction.S2C, build_packet(b"\x00", control=ctrl, seq=3))
    assert (pkt.multi, pkt.first, pkt.toggle, pkt.seq, pkt.flags()) == (True, True, True, 3, ["multi", "first", "toggle"])
    layer = L.C1218Packet(pkt.raw)
    assert (layer.multi_packet, layer.first_packet, layer.toggle, layer.seq_nbr) == (1, 1, 1, 3)


def test_link_bytes_dissect():
    assert L.dissect_packet(b"\x06").token == C.ACK
    assert L.dissect_packet(b"\x15").sprintf("%C1218Link.token%") == "NAK"
    assert L.dissect_packet(b"\x00").sprintf("%C1218Link.token%") == "ACK (0x00)"
    assert L.dissect_packet(b"\x55").sprintf("%C1218Link.token%") == "wake-up"


def test_password_masked_in_scapy_show():
    shown = L.C1218Packet(B.security("topsecret")).service().show(dump=True)
    assert "topsecret" not in shown and "********" in shown
    L.set_show_password(True)
    try:
        assert "topsecret" in L.C1218Packet(B.security("topsecret")).service().show(dump=True)
    finally:
        L.set_show_password(False)


def test_multi_packet_framing():
    data = bytes(range(200)) * 3
    frames = B.packets(data, packet_size=128)
    assert len(frames) == 5
    assert [f[3] for f in frames] == [4, 3, 2, 1, 0]
    assert [bool(f[2] & C.CTRL_FIRST) for f in frames] == [True, False, False, False, False]
    assert all(f[2] & C.CTRL_MULTI for f in frames)
    assert b"".join(f[6:-2] for f in frames) == data
    assert all(len(f) <= 128 for f in frames)


def test_builder_argument_errors():
    with pytest.raises(ValueError):
        B.logon(1, "x" * 11)
    with pytest.raises(ValueError):
        B.security("p" * 21)
    with pytest.raises(ValueError):
        B.read(1, offset=4)
