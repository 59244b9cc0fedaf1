"""issue 19 (scapy): optical layers that stack with ``/``, passwords masked in ``show()``,
link types 250 and 147 registered on import so ``rdpcap`` of the project's pcaps gives MEP and
C12.18 layers with table payloads, ``answers()`` pairing, ``wrpcap`` writing link type 250 and
``__all__`` exporting every layer."""

from __future__ import annotations

import inspect
import struct
from pathlib import Path

import pytest
from scapy.packet import Packet, Raw, raw
from scapy.utils import rdpcap, wrpcap

import osgpdissect.backends.scapy as S
from osgpdissect.backends.scapy import link, mep, optical
from osgpdissect.captures import open_capture, write_pcap
from osgpdissect.optical import builders as B

ROOT = Path(__file__).resolve().parents[3]
BUNDLED_PCAPS = [ROOT / "examples" / "session.pcap", ROOT / "tests" / "data" / "frozen" /
                 "damaged_polling.pcap"]
OPTICAL_HEX = ROOT / "tests" / "data" / "optical" / "session.hex"
_LINE_LAYERS = (S.MEPRequest, S.MEPResponse, S.MEPAlert, S.MEPTLSRequest, S.MEPTLSResponse,
                S.MEPSegment, S.C1218Packet, S.C1218Link)


@pytest.fixture(autouse=True)
def _fresh_link_state():
    S.reset_link_state()


def _linktype(path: Path) -> int:
    return struct.unpack("<I", path.read_bytes()[20:24])[0]


def test_optical_read_stacks_with_slash_like_the_builder():
    """issue 19: raw(C1218Packet()/C1218Read(table=1)) has length, service and CRC in place:
    the bytes of the project's builder."""
    assert raw(S.C1218Packet() / S.C1218Read(table=1)) == B.read(1)
    assert raw(S.C1218Packet() / S.C1218PartialRead(table=23, offset=4, count=9)) == \
        B.read(23, 4, 9)
    assert raw(S.C1218Packet() / S.C1218Security(password=b"p" * 20)) == B.security("p" * 20)
    back = S.C1218Packet(B.read(1))
    assert isinstance(back.payload, S.C1218Read) and back.payload.table == 1
    assert back.crc_ok() and raw(back) == B.read(1)


def test_bad_crc_shown_by_show_and_summary():
    """issue 19: a bad CRC is checked on dissect and shown by show() and summary()."""
    wire = bytearray(B.read(1))
    wire[-1] ^= 0xFF
    pkt = S.C1218Packet(bytes(wire))
    assert not pkt.crc_ok()
    assert "BAD CRC" in pkt.summary()
    assert "BAD: expected 0x" in pkt.show(dump=True)
    good = S.C1218Packet(B.read(1))
    assert "crc ok" in good.summary() and "(ok)" in good.show(dump=True)


def test_password_masked_in_show():
    """issue 19: C1218Packet.show() never prints the password in clear."""
    pkt = S.C1218Packet(B.security("topsecret"))
    shown = pkt.show(dump=True) + repr(pkt) + pkt.summary()
    assert "topsecret" not in shown and "********" in shown


@pytest.mark.parametrize("path", BUNDLED_PCAPS, ids=lambda p: p.name)
def test_rdpcap_of_bundled_pcaps_gives_line_layers(path):
    """issue 19: importing osgpdissect.backends.scapy registers link type 250: every packet
    of a bundled pcap is an RTAC header over a MEP/C12.18 layer, and read responses carry
    decoded tables."""
    assert _linktype(path) == 250
    packets = rdpcap(str(path))
    assert packets and all(isinstance(p, S.RTACSerialLink) for p in packets)
    assert all(isinstance(p.payload, _LINE_LAYERS) for p in packets)
    tables = [p for p in packets if S.MEPTableData in p]
    assert tables and all(not isinstance(t[S.MEPTableData], Raw) for t in tables)
    assert all(raw(p) == p.original for p in packets)


def test_session_pcap_tables_and_answers():
    """issue 19: answers() pairs every exchange of examples/session.pcap (13 exchanges and an
    alert); a segmented response is answered by the packet that completes it."""
    packets = rdpcap(str(BUNDLED_PCAPS[0]))
    request, pairs = None, []
    for p in packets:
        if isinstance(p.payload, S.MEPRequest):
            request = p
        elif request is not None and p.answers(request):
            pairs.append((request, p))
            assert not request.answers(p)
    assert len(pairs) == 13
    completed = [p.payload.frame for _, p in pairs if isinstance(p.payload, S.MEPSegment)]
    assert len(completed) == 3 and all(S.MEPTableData in f for f in completed)
    names = {type(p[S.MEPTableData]).__name__ for p in packets if S.MEPTableData in p}
    assert {"MEPTableData_ET11", "MEPTableData_BT21", "MEPTableData_ET13"} <= names


def test_optical_pcap_gives_c1218_layers_with_tables(tmp_path):
    """issue 19: an optical session written as a pcap reads back as C12.18 packets whose read
    responses hold their table; requests and responses pair with answers()."""
    path = tmp_path / "optical.pcap"
    write_pcap(open_capture([str(OPTICAL_HEX)]), str(path))
    packets = rdpcap(str(path))
    c1218 = [p for p in packets if isinstance(p.payload, S.C1218Packet)]
    assert c1218 and all(p.payload.crc_ok() for p in c1218)
    reads = [p for p in c1218 if S.C1218ReadResponse in p and S.MEPTableData in p]
    assert {type(p[S.MEPTableData]).__name__ for p in reads} >= {"MEPTableData_BT00"}
    assert all(raw(p) == p.original for p in packets)
    request = None
    answered = 0
    for p in c1218:
        if p.event == 1:  # DATA_TX_START: the client's request
            request = p
        elif request is not None and p.answers(request):
            answered += 1
    assert answered >= 8


def test_user0_link_type(tmp_path):
    """issue 19: link type 147 (direction byte, then the line bytes) is registered too."""
    path = tmp_path / "user0.pcap"
    write_pcap(open_capture([str(BUNDLED_PCAPS[0])]), str(path), linktype=147)
    packets = rdpcap(str(path))
    assert _linktype(path) == 147
    assert all(isinstance(p, S.User0Link) for p in packets)
    assert sum(S.MEPTableData in p for p in packets) >= 8


def test_wrpcap_writes_the_rtac_link_type(tmp_path):
    """issue 19: wrpcap of MEP layers under RTACSerialLink (or rtac()) writes link type 250,
    the event following the layer's direction; the project's reader reads it back."""
    path = tmp_path / "built.pcap"
    req = S.MEPRequest(code=0x30, table=0x0001, seq=5)
    resp = S.MEPResponse(code=0, data=b"\x01\x02")
    wrpcap(str(path), [S.rtac(req, 1.0), S.RTACSerialLink() / resp])
    assert _linktype(path) == 250
    back = rdpcap(str(path))
    assert [p.event for p in back] == [1, 2]
    assert isinstance(back[1].payload, S.MEPResponse) and back[1].answers(back[0])
    runs = list(open_capture([str(path)]))
    assert [r.data for r in runs] == [raw(req), raw(resp)]


def test_all_exports_every_layer():
    """issue 19: osgpdissect.backends.scapy.__all__ names every MEP, C12.18 and link layer."""
    layers = {name for mod in (mep, optical, link)
              for name, obj in vars(mod).items()
              if inspect.isclass(obj) and issubclass(obj, Packet) and obj.__module__ == mod.__name__
              and not name.startswith("_")}
    assert layers - {"TableIdField"} <= set(S.__all__)
    assert all(hasattr(S, name) for name in S.__all__)
    assert {"C1218Packet", "C1218Read", "MEPRequest", "MEPTableData", "RTACSerialLink"} <= \
        set(S.__all__)
