"""Bound-expression semantics, defined once: interpreted (:func:`evaluate`) and emitted as Python
source (:func:`emit`) for compiled code, with the same results.

Semantics (as ``layout.apply_op``): arithmetic on ints; ``/`` is floor division; ``/`` or ``%`` by
zero raises :class:`DivisionByZero` (the value is unknown: the codec shows the layout after it
raw with a warning, never a silent 0); comparisons give bools; ``and``/``or`` evaluate BOTH
operands and give ``bool(a) and bool(b)`` / ``bool(a) or bool(b)``; ``not`` is logical; ``if``
evaluates only the chosen branch; ``min``/``max`` over all arguments; ``neg`` negates.  A
``Local`` is looked up by the caller's ``lookup`` (which raises when the value is not known).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from osgpdissect.layout.binder import BExpr, BoundExpr, Local, eval_bound


class Unknown(Exception):
    """A value needed to continue lies outside the bytes we have."""


class DivisionByZero(Unknown, ZeroDivisionError):
    """An expression divided by zero at decode time: its value is unknown."""

    def __init__(self, op: str, a: Any):
        super().__init__(f"{a} {op} 0")

    def __str__(self) -> str:
        return f"division by zero ({self.args[0]})"


def evaluate(e: BoundExpr, lookup: Callable[[Local], Any]) -> Any:
    """Interpret ``e``; ``lookup(local)`` gives a decoded field's value."""
    try:
        return eval_bound(e, lookup)
    except DivisionByZero:
        raise
    except ZeroDivisionError as exc:  # layout.apply_op: args are (operator, left operand)
        op, a = exc.args if len(exc.args) == 2 else ("/", "?")
        raise DivisionByZero(op, a) from None


def op_div(a: int, b: int) -> int:
    if not b:
        raise DivisionByZero("/", a)
    return a // b


def op_mod(a: int, b: int) -> int:
    if not b:
        raise DivisionByZero("%", a)
    return a % b


def op_and(a: Any, b: Any) -> bool:
    return bool(a) and bool(b)


def op_or(a: Any, b: Any) -> bool:
    return bool(a) or bool(b)


# names the emitted source uses; a compiled module gets these in its namespace
RUNTIME: dict[str, Any] = {"_op_div": op_div, "_op_mod": op_mod, "_op_and": op_and, "_op_or": op_or}

_INFIX = {
    "+": "+",
    "-": "-",
    "*": "*",
    "==": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}
_CALLS = {"/": "_op_div", "%": "_op_mod", "and": "_op_and", "or": "_op_or"}


def emit(e: BoundExpr, local: Callable[[Local], str]) -> str:
    """Python source computing ``e``; ``local(loc)`` gives the source of one lookup."""
    if isinstance(e, bool):
        return repr(e)
    if isinstance(e, int):
        return repr(e)
    if isinstance(e, Local):
        return local(e)
    assert isinstance(e, BExpr)
    args = [emit(a, local) for a in e.args]
    if e.op == "neg":
        return f"(-{args[0]})"
    if e.op == "not":
        return f"(not {args[0]})"
    if e.op == "if":
        return f"({args[1]} if {args[0]} else {args[2]})"
    if e.op in ("min", "max"):
        return f"{e.op}({', '.join(args)})" if len(args) > 1 else f"{e.op}(({args[0]},))"
    if e.op in _CALLS:
        return f"{_CALLS[e.op]}({args[0]}, {args[1]})"
    return f"({args[0]} {_INFIX[e.op]} {args[1]})"


def compile_expr(e: BoundExpr) -> Callable[[Callable[[Local], Any]], Any]:
    """``e`` as a Python function of ``lookup`` (the emitted source, compiled)."""
    names: dict[Local, str] = {}

    def local(loc: Local) -> str:
        if loc not in names:
            names[loc] = f"_l{len(names)}"
        return f"lookup({names[loc]})"

    src = emit(e, local)
    namespace: dict[str, Any] = dict(RUNTIME)
    namespace.update({v: k for k, v in names.items()})
    code = compile(f"def _f(lookup):\n    return {src}\n", "<bound-expr>", "exec")
    exec(code, namespace)  # noqa: S102 - source made from a bound layout, not input
    return namespace["_f"]
