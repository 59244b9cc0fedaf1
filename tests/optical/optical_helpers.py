"""Helpers shared by the optical tests: table images, MEP frames, the synthetic session."""

from __future__ import annotations

from functools import cache

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.optical import builders as B

PASSWORD = "s3cret-pw"
BT01 = b"NES " + b"83331-3I" + b"\x00\x00" + bytes((0x36, 0x40)) + b"\x00\x00"


@cache
def spec():
    from osgpdissect.lang.spec import load_default_spec

    return load_default_spec()


def device():
    from osgpdissect.layout.device import Device

    return Device(spec(), profile="gen3")


# The guide's example BT21 (l.1350): the dimensions the default BT23 image is laid out with.
GUIDE_BT21 = bytes.fromhex("3F0E0C0F08000104081A")


@cache
def table_image(table: str) -> bytes:
    """Bytes of a table as the spec's encoder lays out its defaults (BT21: the guide's example,
    so that the BT23 image agrees with it)."""
    from osgpdissect.codec import encode_table

    if table == "BT21":
        return GUIDE_BT21
    return encode_table(spec(), table, {}, device())


def session_exchanges() -> list[B.Exchange | tuple[bytes, bytes]]:
    """Wake-up is added by ``session``; reads of BT00, BT01, BT21 and BT23 (multi-packet)."""
    return [
        (B.ident(), B.ident_response(std=0, ver=2, rev=0)),
        (B.negotiate(256, 8, 9600), B.negotiate_response(256, 8, 9600)),
        (B.logon(2, "reader"), B.ok()),
        (B.security(PASSWORD), B.ok()),
        (B.read(0), B.read_response(table_image("BT00"))),
        (B.read(1), B.read_response(BT01)),
        (B.read(21), B.read_response(table_image("BT21"))),
        (B.read(23), B.read_response(table_image("BT23"))),
        (B.logoff(), B.ok()),
        (B.terminate(), B.ok()),
    ]


def session_runs(**kw) -> list[ByteRun]:
    kw.setdefault("packet_size", 256)
    return B.session(session_exchanges(), **kw)


def mep_request(table: int, offset: int, count: int, seq: int) -> bytes:
    """A plaintext MEP partial read: ``len | 3F table offset count | seq | digest``."""
    body = bytes((0x3F,)) + table.to_bytes(2, "big") + offset.to_bytes(3, "big")
    body += count.to_bytes(2, "big") + seq.to_bytes(4, "big") + bytes(8)
    return len(body).to_bytes(2, "big") + body


def mep_response(data: bytes) -> bytes:
    body = b"\x00" + len(data).to_bytes(2, "big") + data + bytes(8)
    return len(body).to_bytes(2, "big") + body


def timed(direction: Direction, data: bytes, t: float, byte_time: float = 10 / 9600) -> ByteRun:
    times = tuple(t + k * byte_time for k in range(len(data)))
    return ByteRun(direction, data, t, times, (), "test")
