"""The compiled path really runs emitted code; structures are cached per layout; a read at a huge
offset is instant (whole elements outside the window are skipped arithmetically)."""

from __future__ import annotations

import construct as cs

from osgpdissect import codec
from osgpdissect.codec import Device, compiler
from osgpdissect.codec.constructs import DerivedC, OptionalC, SwitchC, TableCodec

from .helpers import SPEC, defaults


def test_compiled_structure_is_emitted_code(monkeypatch):
    bound = Device(SPEC, "gen3").bound("BT23")
    s = compiler.structure(bound, 0, compiled=True)
    assert isinstance(s, cs.Compiled)
    assert "unpack_from" in s.source and "def parse_table_" in s.source
    assert "linkedparsers[" not in s.source.split("linkedbuilders = {}", 1)[1]
    assert compiler.structure(bound, 0, compiled=True) is s  # cached per layout
    calls = []
    original = s.parsefunc

    def spy(io, this):
        calls.append(1)
        return original(io, this)

    monkeypatch.setattr(s, "parsefunc", spy)
    codec.decode_table(
        SPEC, "BT23", defaults("BT23", "gen3"), device=Device(SPEC, "gen3"), compiled=True
    )
    assert calls


def test_environment_selects_interpreted(monkeypatch):
    bound = Device(SPEC, "gen3").bound("BT52")
    monkeypatch.setenv(compiler.ENV, "interpreted")
    compiler.refresh_mode()
    try:
        assert isinstance(compiler.structure(bound), TableCodec)
    finally:
        monkeypatch.delenv(compiler.ENV)
        compiler.refresh_mode()
    assert isinstance(compiler.structure(bound), cs.Compiled)


def test_child_constructs_compile_alone():
    """Any node construct compiles (``_emitparse``) and parses at the state's cursor."""
    bound = Device(SPEC, "gen3").bound("BT52")
    codec_ = TableCodec(bound.root, 0)
    child = codec_.root.children[0]
    data = defaults("BT52", "gen3")
    table = TableCodec(bound.root, 0).compile()
    assert table.parse(data, start=0)[1] == codec_.parse(data, start=0)[1]
    assert isinstance(child.compile(), cs.Compiled)


def test_bt63_at_huge_offset_is_instant(codec_mode):
    """BT63 is ``record[*]`` of 13-byte elements: a read at 2**31 must not walk them all."""
    data = bytes(range(26))
    res = codec.decode_table(
        SPEC, "BT63", data, 2147483648, Device(SPEC, "gen3"), compiled=codec_mode
    )
    top = res.nodes[0]
    assert top.name == "sets"
    first = top.children[0]  # the element the window starts inside: cut, shown partial
    assert first.name == f"[{2147483648 // 13}]"
    assert first.partial and first.offset == 13 * (2147483648 // 13) < 2147483648
    assert [c.partial for c in top.children] == [True, False, True]
    items = res.values()["sets"]
    assert len(items) == -(-(2147483648 + 26) // 13)
    assert (
        items[0] is None and items[-2] is not None and items[-2]["nbr_valid_blocks"] == 0x0403
    )  # bytes 3, 4 of the window


def test_fixed_count_array_at_huge_offset_is_instant(codec_mode):
    """A counted array of fixed elements: elements before and after the window are not walked."""
    from osgpdissect.lang.model import Meta
    from osgpdissect.layout.binder import Bound, LArray, LRecord, LScalar

    el = LScalar("v", Meta(), 2, kind="int", width=2)
    arr = LArray("vals", Meta(), 2 * 2**40, count=2**40, element=el)
    root = LRecord("T", Meta(), arr.size, children=(arr,))
    s = compiler.structure(Bound("T", root), 0, compiled=codec_mode)
    nodes, values, warnings = s.parse(b"\x01\x02\x03\x04", start=2**35)
    assert [n.name for n in nodes[0].children] == [f"[{2**34}]", f"[{2**34 + 1}]"]
    assert values["vals"][2**34] == 0x0201 and len(values["vals"]) == 2**40
    assert not warnings


def test_table_codec_inside_a_compiled_struct():
    """``Struct.compile()`` keeps an embedded table codec compiled (no linked parser)."""
    bound = Device(SPEC, "gen3").bound("BT52")
    data = defaults("BT52", "gen3")
    s = cs.Struct("hdr" / cs.Int8ul, "bt52" / cs.FixedSized(7, TableCodec(bound.root, 0)))
    c = s.compile()
    assert "linkedparsers[" not in c.source.split("linkedbuilders = {}", 1)[1]
    got = c.parse(b"\x05" + data, start=0)
    assert got.hdr == 5 and got.bt52[1] == s.parse(b"\x05" + data, start=0).bt52[1]
    assert [n.to_json() for n in got.bt52[0]] == [
        n.to_json()
        for n in codec.decode_table(SPEC, "BT52", data, device=Device(SPEC, "gen3")).nodes
    ]
    assert c.build({"hdr": 5, "bt52": got.bt52[1]}, start=0) == b"\x05" + data


def test_every_node_construct_parses_and_builds_alone(codec_mode):
    """Each node construct compiles both ways; built alone it writes what the table wrote."""
    kinds = set()
    for name in ("BT52", "ET13", "BT23", "BT28", "ET11", "BT21"):
        bound = Device(SPEC, "gen3").bound(name)
        table = TableCodec(bound.root, 0)
        data = defaults(name, "gen3")
        values = table.parse(data, start=0)[1]
        off = 0
        for child in table.root.children:
            if child.node.size is None:
                break
            c = child.compile() if codec_mode else child
            assert isinstance(c, cs.Compiled) == codec_mode
            if not isinstance(child, (SwitchC, OptionalC, DerivedC)):
                assert c.build(values[child.node.id]) == data[off : off + child.node.size]
                alone = c.parse(data[off : off + child.node.size], start=off)
                assert alone == values[child.node.id]
                kinds.add(type(child).__name__)
            off += child.node.size
    assert {"ScalarC", "BitsC", "RecordC", "ArrayC"} <= kinds
