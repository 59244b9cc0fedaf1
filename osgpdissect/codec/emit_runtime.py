"""Names the emitted (compiled) code uses; imported by every compiled table module."""

from __future__ import annotations

from osgpdissect.codec.constructs import (
    BuildState,
    CodecState,
    DivisionByZero,
    Items,
    Unknown,
    build_with,
    child_state,
    extra,
    join_chain,
    lookup_in,
    overrun,
    pad_to,
    record_pad,
    undecoded,
)
from osgpdissect.codec.display import enum_label
from osgpdissect.codec.expr import op_and as _op_and
from osgpdissect.codec.expr import op_div as _op_div
from osgpdissect.codec.expr import op_mod as _op_mod
from osgpdissect.codec.expr import op_or as _op_or
from osgpdissect.codec.tree import Node


def partial_leaf(st: CodecState, off: int, size: int, name: str, orig_name: str, unit: str | None):
    """A leaf cut by the window: its bytes, ``partial``, no value (None when nothing is inside)."""
    raw, _ = st.window(off, size)
    if raw is None:
        return None, None
    return Node(name, orig_name, off, size, None, raw.hex(" ").upper(), None, unit, True), None


def _raise_unknown(name: str):
    raise Unknown(name)


__all__ = [
    "BuildState",
    "build_with",
    "child_state",
    "pad_to",
    "CodecState",
    "Items",
    "Node",
    "DivisionByZero",
    "Unknown",
    "_op_and",
    "_op_div",
    "_op_mod",
    "_op_or",
    "_raise_unknown",
    "enum_label",
    "extra",
    "join_chain",
    "lookup_in",
    "overrun",
    "partial_leaf",
    "record_pad",
    "undecoded",
]
