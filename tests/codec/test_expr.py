"""Bound-expression semantics: the emitted source gives what the interpreter gives, on random
expression trees (including division/modulo by zero, which give 0 as ``layout.apply_op`` does)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from osgpdissect.codec.expr import compile_expr, emit, evaluate
from osgpdissect.layout.binder import BExpr, Local

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


def test_division_and_modulo_by_zero_give_zero():
    """As ``layout.apply_op`` (kept so output stays equal to the walker's)."""
    for op in ("/", "%"):
        e = BExpr(op, (Local("a", 0), 0))
        assert evaluate(e, lambda loc: 7) == 0
        assert compile_expr(e)(lambda loc: 7) == 0


def test_logical_operators_evaluate_both_sides():
    """``and`` looks up its right side even when the left is false (as the walker)."""
    e = BExpr("and", (0, Local("missing", 0)))

    def lookup(loc):
        raise KeyError(loc.name)

    assert _run(lambda: evaluate(e, lookup)) == ("error", "KeyError")
    assert _run(lambda: compile_expr(e)(lookup)) == ("error", "KeyError")
    assert "_op_and" in emit(e, lambda loc: "x")
