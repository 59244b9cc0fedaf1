"""C1218Socket against the simulator's optical port over a pty and TCP (issue 17)."""

from __future__ import annotations

import pytest

from osgpdissect.sim.image import MeterImage
from osgpdissect.sim.optical_server import OpticalServer
from osgpdissect.sim.serve import Simulator
from osgpdissect.talk.c1218_socket import C1218Error, C1218Socket
from tests.talk.conftest import IMAGE

PASSWORD = "optical-secret"


@pytest.fixture(params=["pty", "tcp"])
def optical(request, spec):
    image = MeterImage.from_mapping({**IMAGE, "optical": {"password": PASSWORD}}, spec)
    sim = Simulator(OpticalServer(image))
    sim.open_pty() if request.param == "pty" else sim.open_tcp()
    yield sim
    sim.stop()


def test_session_with_multi_packet_reads(optical):
    """Issue 17: ident, negotiate, logon, security, multi-packet reads, logoff, terminate."""
    image = optical.server.image
    with C1218Socket(optical.path, PASSWORD, timeout=30.0) as s:
        s.start(packet_size=48)
        assert s.link.packet_size == 48
        et11 = s.read("ET11")
        assert et11.data == bytes(image.get("ET11")) and et11.nodes[0].value == 2
        assert s.read("ET13").data == bytes(image.get("ET13"))  # 132 bytes in 4 packets
        assert s.read("BT23", 100, 200).data == bytes(image.get("BT23")[100:300])
        s.write("BT23", b"\x11\x22", offset=2)
        s.stop()
    assert image.get("BT23")[:4] == b"\x00\x01\x11\x22"
    assert optical.server.services[:4] == [0x20, 0x60, 0x50, 0x51]
    assert optical.server.services[-2:] == [0x52, 0x21]


def test_wrong_password_is_refused_and_writes_need_security(optical):
    """Issue 17: a wrong password is answered err; a write without security isc."""
    with C1218Socket(optical.path, "wrong", timeout=30.0) as s:
        with pytest.raises(C1218Error) as err:
            s.start()
        assert err.value.code == 0x01
        assert s.read("BT23", 0, 2).data == b"\x00\x01"
        with pytest.raises(C1218Error) as err:
            s.write("BT23", b"\x01", offset=0)
        assert err.value.code == 0x03


def test_sr1_with_scapy_service_layers(optical):
    """Issue 17: ``sr1(C1218Read(...))`` returns the read response layer."""
    from osgpdissect.backends.scapy.optical import C1218Packet, C1218PartialRead, C1218Read

    with C1218Socket(optical.path, PASSWORD, timeout=30.0) as s:
        s.start()
        resp = s.sr1(C1218PartialRead(table=0x17, offset=3, count=4))
        assert bytes(resp.data) == bytes([3, 4, 5, 6])
        resp = s.sr1(C1218Packet(data=bytes(C1218Read(table=0x080B))))
        assert bytes(resp.data) == bytes(optical.server.image.get("ET11"))
        s.stop()


def test_mep_and_optical_on_one_line(spec):
    """Issue 17: a simulator serving MEP and optical on one line (a shared UART): a MEP
    client, then an optical session, then MEP again."""
    from osgpdissect.security.keys import KeyRing
    from osgpdissect.sim.mep_server import MEPServer
    from osgpdissect.talk.mep_socket import MEPSocket
    from tests.talk.conftest import MAK, SERVER_SEQ

    image = MeterImage.from_mapping({**IMAGE, "optical": {"password": PASSWORD}}, spec)
    keys = KeyRing(mak=MAK)
    with Simulator(MEPServer(image, seq=SERVER_SEQ), optical=OpticalServer(image)) as sim:
        port = sim.open_pty()
        with MEPSocket(port, keys, seq=SERVER_SEQ + 1) as s:
            assert s.read("BT23", 0, 2).data == b"\x00\x01"
        with C1218Socket(port, PASSWORD) as s:
            s.start()
            s.write("BT23", b"\x42", offset=0)
            assert s.read("ET13").data == bytes(image.get("ET13"))
            s.stop()
        with MEPSocket(port, keys, seq=SERVER_SEQ + 2) as s:
            assert s.read("BT23", 0, 2).data == b"\x42\x01"
