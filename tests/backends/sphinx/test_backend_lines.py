"""Unit tests of the docs backend's lines: sizes folded the guide's way, bit diagrams, indexes."""

from __future__ import annotations

from osgpdissect.backends.sphinx.pages import (
    bit_diagram,
    expr_plain,
    index_by_name,
    index_by_number,
    lin,
)
from osgpdissect.lang import model as m
from osgpdissect.lang.spec import load_default_spec


def test_sizes_fold_constants_first() -> None:
    e = m.BinOp("+", m.BinOp("*", m.Num(4), m.Ref(("nch",))), m.Num(5))
    assert expr_plain(lin(e).expr()) == "5 + 4 × nch"
    e = m.BinOp("-", m.Ref(("ET11", "config_entry_size")), m.Num(9))
    assert expr_plain(lin(e).expr()) == "ET11.config_entry_size - 9"
    n = m.BinOp("-", m.Ref(("nch",)), m.Num(1))
    assert expr_plain(lin(m.BinOp("+", n, m.Num(1))).expr()) == "nch"


def test_bit_diagram_spans_members_and_splits_bytes() -> None:
    members = [m.BitMember("low", "UINT", 0, 3), m.BitMember("wide", "UINT", 6, 9)]
    lines = bit_diagram(2, members)
    assert lines[0].startswith("+") and lines[-1] == lines[0]
    assert "| byte 0 |" in lines[1] and "| byte 1 |" in lines[5]
    assert "wide" in lines[3] and "low" in lines[3] and "wide" in lines[7]
    assert len({len(x) for x in lines}) == 1  # a well-formed grid


def test_indexes_list_every_id() -> None:
    spec = load_default_spec()
    by_number, by_name = "\n".join(index_by_number(spec)), "\n".join(index_by_name(spec))
    for tid in (*spec.tables, *spec.procedures):
        assert f":osgp:table:`{tid}`" in by_number and f":osgp:table:`{tid}`" in by_name
