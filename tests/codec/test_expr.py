"""Bound-expression semantics: the emitted source gives what the interpreter gives, on random
expression trees (including division/modulo by zero, which raise DivisionByZero in both)."""

from __future__ import annotations

import pytest
from core_helpers import write_spec
from hypothesis import given, settings
from hypothesis import strategies as st

from osgpdissect.codec import decode_table
from osgpdissect.codec.expr import DivisionByZero, compile_expr, emit, evaluate
from osgpdissect.layout.binder import BExpr, Local
from osgpdissect.layout.validate import load_and_validate

NAMES = ("a", "b", "c")
ENV = st.fixed_dictionaries({n: st.integers(-300, 300) for n in NAMES})
BINARY = ("+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or")

leaf = st.one_of(st.integers(-20, 20), st.booleans(), st.sampled_from([Local(n, 0) for n in NAMES]))


def _extend(children):
    return st.one_of(
        st.builds(lambda op, a, b: BExpr(op, (a, b)), st.sampled_from(BINARY), children, children),
        st.builds(lambda op, a: BExpr(op, (a,)), st.sampled_from(("neg", "not")), children),
        st.builds(lambda a, b, c: BExpr("if", (a, b, c)), children, children, children),
        st.builds(
            lambda op, xs: BExpr(op, tuple(xs)),
            st.sampled_from(("min", "max")),
            st.lists(children, min_size=1, max_size=3),
        ),
    )


trees = st.recursive(leaf, _extend, max_leaves=12)


def _run(fn):
    try:
        return ("ok", fn())
    except Exception as exc:  # noqa: BLE001 - both sides must fail the same way
        return ("error", type(exc).__name__)


@settings(max_examples=400, deadline=None)
@given(tree=trees, env=ENV)
def test_emitted_equals_interpreted(tree, env):
    def lookup(loc):
        return env[loc.name]

    want = _run(lambda: evaluate(tree, lookup))
    got = _run(lambda: compile_expr(tree)(lookup))
    assert got == want
    if want[0] == "ok":
        assert type(got[1]) is type(want[1])


def test_division_and_modulo_by_zero_raise_in_both():
    """issue 21 item 10: ``x / 0`` is never a silent 0; interpreted and emitted code agree."""
    for op in ("/", "%"):
        e = BExpr(op, (Local("a", 0), 0))
        with pytest.raises(DivisionByZero, match=rf"division by zero \(7 \{op} 0\)"):
            evaluate(e, lambda loc: 7)
        with pytest.raises(DivisionByZero, match=rf"division by zero \(7 \{op} 0\)"):
            compile_expr(e)(lambda loc: 7)


DIVIDING_SPEC = (
    'table ET01 "T" {\n'
    '    UINT8 n "N" @0\n'
    '    derived q "Q" = 12 / n\n'
    '    UINT8[8 / n] b "B" @1\n'
    '    UINT8 c "C"\n'
    "}\n"
)


def test_division_by_zero_at_decode_time_leaves_the_rest_raw(tmp_path, codec_mode):
    """issue 21 item 10: a count divided by a zero field is unknown: the layout after it is
    shown raw with a warning (it was decoded as if the count were 0)."""
    spec, report = load_and_validate(write_spec(tmp_path, "dz", DIVIDING_SPEC))
    assert report.diagnostics == []
    res = decode_table(spec, "ET01", bytes([0, 1, 2, 3]), compiled=codec_mode)
    assert [(n.name, n.raw) for n in res.nodes] == [("n", "00"), ("_undecoded", "01 02 03")]
    assert res.warnings == [
        "q: division by zero (12 / 0); its value is unknown",
        "division by zero (8 / 0) in a layout expression; the rest is shown raw",
    ]
    assert res.values().get("q") is None
    ok = decode_table(spec, "ET01", bytes([2, 1, 2, 3, 4, 5]), compiled=codec_mode)
    assert ok.warnings == [] and ok.values()["q"] == 6
    assert [(n.name, n.raw) for n in ok.nodes if n.raw] == [
        ("n", "02"), ("b", "01 02 03 04"), ("c", "05")]


def test_logical_operators_evaluate_both_sides():
    """``and`` looks up its right side even when the left is false (as the walker)."""
    e = BExpr("and", (0, Local("missing", 0)))

    def lookup(loc):
        raise KeyError(loc.name)

    assert _run(lambda: evaluate(e, lookup)) == ("error", "KeyError")
    assert _run(lambda: compile_expr(e)(lookup)) == ("error", "KeyError")
    assert "_op_and" in emit(e, lambda loc: "x")
