"""Device reads dimension values from learned table bytes with the codec's reader (issue 14).

``layout/`` is below the codec, so a Device takes an ``int_reader`` factory; the codec registers
its own on import, and a Device makes one reader per layout node.
"""

from __future__ import annotations

from osgpdissect.codec import decode_table, encode_table, int_reader
from osgpdissect.layout.binder import LScalar
from osgpdissect.layout.device import Device
from osgpdissect.mep.transactions import REQUESTS, build_transaction

IMAGE = build_transaction(REQUESTS, 1, [bytes.fromhex("30080b")])


def _unused_length(spec, device: Device) -> int:
    """ET52's ``unused_length`` = ET11.txn_request_len - transaction size (a dimension read)."""
    return decode_table(spec, "ET52", IMAGE, 0, device).find("unused_length").value


def _et11(spec, request_len: int) -> bytes:
    return encode_table(spec, "ET11", {"txn_request_len": request_len})


def test_dimension_bytes_are_read_by_the_codec(spec):
    """Issue 14: ET11.txn_request_len learned from bytes is read by the codec's scalar reader."""
    device = Device(spec)
    device.learn("ET11", 0, _et11(spec, 500))
    assert _unused_length(spec, device) == 500 - len(IMAGE)


def test_injected_reader_is_made_once_per_node(spec):
    """Issue 14: a Device uses the reader it is given, made once per node (cached)."""
    made: list[str] = []

    def factory(node):
        made.append(node.id)
        return int_reader(node)

    device = Device(spec, int_reader=factory)
    device.learn("ET11", 0, _et11(spec, 600))
    assert _unused_length(spec, device) == 600 - len(IMAGE)
    device.forget_layouts()  # rebinding reads ET11 again: the layout nodes are new
    assert _unused_length(spec, device) == 600 - len(IMAGE)
    assert made.count("txn_request_len") == 2
    before = len(made)
    assert _unused_length(spec, device) == 600 - len(IMAGE)  # cached layout: nothing re-read
    assert len(made) == before


def test_reader_follows_the_codecs_byte_order_and_sign(spec):
    """Issue 14: the reader is the codec's rule for the node (MSB-first and signed types)."""
    device = Device(spec)
    bound = device.bound("ET11")
    node = next(c for c in bound.root.children if c.id == "txn_request_len")
    assert isinstance(node, LScalar)
    assert int_reader(node)(b"\x34\x12") == 0x1234
    msb_signed = LScalar(node.id, node.meta, 2, kind="int", width=2, signed=True, big_endian=True)
    assert int_reader(msb_signed)(b"\xff\xfe") == -2
