"""ET52/ET53 images through the codec (issue 14: no hand reader of table bytes outside the codec).

Images are built with the codec's ``encode_table`` (through ``build_transaction``) and parsed back
with ``parse_transaction``, which reads the codec's decoded tree; every damage message is derived
from what the codec decoded, cut or left over.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osgpdissect.codec import decode_table, encode_table
from osgpdissect.mep.transactions import (
    GROUP_REQUEST,
    REQUESTS,
    RESPONSES,
    TableImage,
    Transaction,
    build_transaction,
    parse_transaction,
    transaction_header,
    transaction_size,
)

READ_ET11 = bytes.fromhex("30080b")  # full read ET11
PARTIAL_BT21 = bytes.fromhex("3f0015000000000a")  # partial read BT21 @0 x10
OK_DATA = bytes.fromhex("00000301020300")


def _image(kind: int, number: int, records: list[bytes], groups: list[int] | None = None) -> bytes:
    """The guide's byte layout written out (the expected bytes for the builder)."""
    body = bytes([kind]) + number.to_bytes(2, "little")
    if groups is not None:
        body += bytes([len(groups)]) + b"".join(g.to_bytes(2, "little") for g in groups)
    body += b"".join(len(r).to_bytes(2, "little") + r for r in records)
    body += number.to_bytes(2, "little")
    return (len(body) + 2).to_bytes(2, "little") + body


def test_build_gives_the_guides_layout(spec):
    """Issue 14: ET52 images are built by the codec (encode_table), byte for byte the guide's."""
    messages = [READ_ET11, PARTIAL_BT21]
    assert build_transaction(REQUESTS, 7, messages, spec=spec) == _image(0, 7, messages)
    assert build_transaction(GROUP_REQUEST, 9, [READ_ET11], [0x12FF, 0xFFFF], spec=spec) == (
        _image(3, 9, [READ_ET11], [0x12FF, 0xFFFF])
    )


@pytest.mark.parametrize("table", ["ET52", "ET53"])
def test_round_trip_through_encode_table(spec, table):
    """Issue 14: an image from encode_table parses back to its messages, number and trailer."""
    messages = [READ_ET11, PARTIAL_BT21, b"", OK_DATA]
    records = [{"length_l": len(m), "message": m} for m in messages]
    size = 7 + sum(2 + len(m) for m in messages)
    image = encode_table(
        spec,
        table,
        {
            "transaction_size": size,
            "transaction_type": RESPONSES,
            "transaction_number": 0x1234,
            "record_list": {"records": records},
            "transaction_number_end": 0x1234,
        },
    )
    txn = parse_transaction(image, spec)
    assert txn == Transaction(size, RESPONSES, 0x1234, messages, [], 0x1234, [])
    assert txn.type_name == "responses"


def test_group_request_round_trip(spec):
    """Issue 14: type 3 carries the group list (E202); its ids come back from the decoded tree."""
    image = build_transaction(GROUP_REQUEST, 5, [READ_ET11, b"\x00"], [0x12FF, 0xFFFF], spec=spec)
    txn = parse_transaction(image, spec)
    assert (txn.group_ids, txn.messages, txn.problems) == ([0x12FF, 0xFFFF], [READ_ET11, b"\x00"], [])


def test_type_4_has_no_group_list(spec):
    """Issue 14 / E202: a denied group request (type 4) has no group list: records follow at 5."""
    txn = parse_transaction(_image(4, 7, [READ_ET11]), spec)
    assert (txn.group_ids, txn.messages, txn.trailer, txn.problems) == ([], [READ_ET11], 7, [])


def test_bytes_after_the_transaction_are_not_records(spec):
    """Issue 14: the rest of the table (after size) is the unused tail, not part of the image."""
    txn = parse_transaction(_image(0, 3, [READ_ET11]) + bytes(40), spec)
    assert (txn.messages, txn.trailer, txn.problems) == ([READ_ET11], 3, [])


@pytest.mark.parametrize("length", [0, 1, 4])
def test_no_header(spec, length):
    """Issue 14: fewer than 5 bytes give no header."""
    txn = parse_transaction(bytes(range(length)), spec)
    assert txn == Transaction(0, 0, 0, problems=[f"only {length} bytes: no transaction header"])


@pytest.mark.parametrize(
    ("image", "size"),
    [
        (bytes.fromhex("0500000700"), 5),  # no room for a trailer
        (bytes.fromhex("060003070002"), 6),
        (bytes.fromhex("0000000700aabbcc"), 0),
        (_image(0, 7, [READ_ET11])[:-1], 12),  # one byte short
    ],
)
def test_size_does_not_fit(spec, image, size):
    """Issue 14: a size below 7 or past the bytes is reported; nothing is read past the bytes."""
    txn = parse_transaction(image, spec)
    assert txn.size == size and txn.number == 7
    assert txn.problems[0] == f"transaction size {size} does not fit the {len(image)} bytes"
    assert txn.trailer is None and txn.group_ids == []


def test_truncated_image_keeps_the_cut_record(spec):
    """Issue 14: an image cut inside a message keeps the bytes that are there, marked cut."""
    image = _image(0, 7, [READ_ET11, OK_DATA])[:17]
    txn = parse_transaction(image, spec)
    assert txn.messages == [READ_ET11, OK_DATA[:5]]
    assert txn.problems == [
        "transaction size 21 does not fit the 17 bytes",
        "record at 10 says 7 bytes, 5 left",
    ]


def test_record_longer_than_the_list(spec):
    """Issue 14: a record length past the closing number: the message is cut at the trailer."""
    image = bytes.fromhex("0c00 00 0700 0500 300007 0700".replace(" ", ""))
    txn = parse_transaction(image, spec)
    assert txn.messages == [bytes.fromhex("300007")]
    assert txn.problems == ["record at 5 says 5 bytes, 3 left"]
    assert txn.trailer == 7


def test_stray_byte_before_the_trailer(spec):
    """Issue 14: one byte left where a 2-byte record length belongs: the records before it stay."""
    image = bytes.fromhex("0c00 00 0700 0200 3000 0a 0700".replace(" ", ""))
    txn = parse_transaction(image, spec)
    assert txn.messages == [bytes.fromhex("3000")]
    assert txn.problems == ["stray byte at 9 before the trailer"]


def test_closing_number_differs(spec):
    """Issue 14: the closing transaction number must repeat the opening one."""
    image = bytearray(_image(0, 7, [READ_ET11]))
    image[-2:] = (8).to_bytes(2, "little")
    txn = parse_transaction(bytes(image), spec)
    assert txn.messages == [READ_ET11] and txn.trailer == 8
    assert txn.problems == ["closing transaction number 8 differs from opening 7"]


def test_header_and_size_from_the_first_bytes(spec):
    """Issue 14: the first-5-bytes ET53 read and TableImage read the size through the codec."""
    image = _image(1, 0x0102, [OK_DATA])
    assert transaction_size(image[:1], spec) is None
    assert transaction_size(image[:2], spec) == len(image)
    assert transaction_header(image[:4], spec) is None
    head = transaction_header(image[:5], spec)
    assert head is not None and (head.size, head.type, head.number) == (len(image), 1, 0x0102)
    parts = TableImage()
    parts.put(0, image[:5])
    assert parts.complete_size() is None
    parts.put(5, image[5:])
    assert parts.complete_size() == len(image)


def test_the_codec_decodes_what_parse_transaction_reads(spec):
    """Issue 14: the messages are the codec's ``record_list.records[i].message`` fields."""
    image = _image(0, 7, [READ_ET11, PARTIAL_BT21])
    decoded = decode_table(spec, "ET52", image)
    records = decoded.values()["record_list"]["records"]
    assert [r["message"] for r in records] == parse_transaction(image, spec).messages


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_parse_transaction_never_raises(image):
    """Issue 14: random bytes give a Transaction (problems, never an exception)."""
    txn = parse_transaction(image)
    assert isinstance(txn, Transaction)
    if len(image) < 5:
        assert txn.problems


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([REQUESTS, RESPONSES, 2, GROUP_REQUEST, 4]),
    st.integers(0, 0xFFFF),
    st.lists(st.binary(max_size=12), max_size=5),
    st.lists(st.integers(0, 0xFFFF), max_size=3),
)
def test_built_images_parse_back(kind, number, messages, groups):
    """Issue 14: build (encode_table) then parse gives the same transaction back."""
    image = build_transaction(kind, number, messages, groups)
    txn = parse_transaction(image)
    want_groups = groups if kind == GROUP_REQUEST else []
    assert txn == Transaction(len(image), kind, number, messages, want_groups, number, [])
