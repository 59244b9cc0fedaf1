"""Bound layouts (``osgpdissect.layout.binder`` nodes) as Lua data, with their display fields.

Each layout node becomes a Lua table the plugin's interpreter walks (``t`` is the node kind:
``S`` scalar, ``B`` blob, ``T`` bit container, ``R`` record, ``A`` array, ``W`` switch,
``O`` optional group, ``D`` derived value).  Every node that shows a value gets ``f``, the
index of its display field; fields are shared by path, so ``osgp.bt23.totals.fwd_active_wh``
is one filter name whatever the profile.  Bound expressions become ``{op=..., ...}`` tables and
``Local`` references ``{L=name, up=n, p={path}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from osgpdissect.backends.wireshark.lua import string
from osgpdissect.lang import model as m
from osgpdissect.layout.binder import (
    BExpr,
    LArray,
    LBitMember,
    LBits,
    LBlob,
    LDerived,
    LNode,
    Local,
    LOptional,
    LRecord,
    LScalar,
    LSwitch,
)

# Field types of the plugin: u32/i32/u64/i64 numbers, bool, str (text as osgpdissect shows it),
# none (a record or array: a subtree).
_DATE_KINDS = {"time", "stime_date", "ltime_date", "date", "ansi_date", "mfg_code"}


@dataclass
class FieldSpec:
    """One display field: filter name, label, type and the value strings of its enum."""

    abbrev: str
    name: str
    ftype: str
    values: dict[int, str] | None = None
    unit: str | None = None

    def to_lua(self) -> dict[str, Any]:
        vals = None
        if self.values:
            vals = "{" + ",".join(f"[{k}]={string(v)}" for k, v in sorted(self.values.items())) + "}"
        return {"abbrev": self.abbrev, "name": self.name, "ftype": self.ftype, "vals": vals,
                "unit": self.unit}


@dataclass
class FieldRegistry:
    """Display fields by filter name (a name reused with another type gets a type suffix)."""

    fields: list[FieldSpec] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def get(self, abbrev: str, name: str, ftype: str, enum: m.Enum | None = None,
            unit: str | None = None) -> int:
        key = abbrev
        at = self.index.get(key)
        if at is not None and self.fields[at].ftype != ftype:
            key = f"{abbrev}_{ftype}"
            at = self.index.get(key)
        if at is not None:
            return at + 1
        self.fields.append(FieldSpec(key, name or abbrev.rsplit(".", 1)[-1], ftype,
                                     _value_strings(enum) if ftype != "none" else None, unit))
        self.index[key] = len(self.fields) - 1
        return len(self.fields)


def _value_strings(enum: m.Enum | None) -> dict[int, str] | None:
    """Exact enum entries as Wireshark value strings (ranges, flags, templates: none)."""
    if enum is None or enum.flags:
        return None
    out = {x.lo: x.label for x in enum.entries
           if x.lo == x.hi and not x.template and 0 <= x.lo < 1 << 32}
    return out or None


def enum_entries(enum: m.Enum | None) -> list[Any] | None:
    """The enum as ``{flags, {lo, hi, label}...}`` for the labels the plugin shows."""
    if enum is None:
        return None
    entries = [[x.lo, x.hi, x.label if not x.template else None] for x in enum.entries]
    return [enum.flags, entries]


def expr(e: Any) -> Any:
    """A bound expression as Lua data."""
    if isinstance(e, bool) or isinstance(e, int):
        return e
    if isinstance(e, Local):
        return {"L": e.name, "up": e.up, "p": list(e.path)}
    if isinstance(e, BExpr):
        return {"op": e.op, "a": [expr(a) for a in e.args]}
    if isinstance(e, m.Version):
        return e.major * 100 + e.minor
    raise TypeError(f"cannot express {e!r} in Lua")


class LayoutWriter:
    """Turns one table's bound root into Lua data, registering its display fields."""

    def __init__(self, registry: FieldRegistry, prefix: str):
        self.registry = registry
        self.prefix = prefix

    def root(self, root: LRecord) -> dict[str, Any]:
        return self.record(root, self.prefix, top=True)

    def node(self, n: LNode, path: str) -> dict[str, Any]:
        if isinstance(n, LScalar):
            return self.scalar(n, path)
        if isinstance(n, LBlob):
            return self.blob(n, path)
        if isinstance(n, LBits):
            return self.bits(n, path)
        if isinstance(n, LRecord):
            return self.record(n, path)
        if isinstance(n, LArray):
            return self.array(n, path)
        if isinstance(n, LSwitch):
            return {"t": "W", "on": expr(n.on),
                    "cases": [[[list(r) for r in keys], self.record(g, path)]
                              for keys, g in n.cases],
                    "def": self.record(n.default, path) if n.default is not None else None}
        if isinstance(n, LOptional):
            return {"t": "O", "test": expr(n.test),
                    "body": self.record(n.body, path) if n.body is not None else None}
        if isinstance(n, LDerived):
            out: dict[str, Any] = {"t": "D", "id": n.id, "e": expr(n.expr)}
            if not n.hidden:
                out["f"] = self.registry.get(f"{path}.{n.id}", n.meta.orig_name, "i64",
                                             unit=n.meta.unit)
            return out
        raise TypeError(f"unknown layout node {type(n).__name__}")

    def _leaf(self, n: LNode, path: str, ftype: str, enum: m.Enum | None = None) -> dict[str, Any]:
        full = f"{path}.{n.id}"
        return {"id": n.id, "name": n.meta.orig_name, "size": n.size, "unit": n.meta.unit,
                "f": self.registry.get(full, n.meta.orig_name, ftype, enum, n.meta.unit)}

    def scalar(self, n: LScalar, path: str) -> dict[str, Any]:
        if n.kind in _DATE_KINDS:
            ftype = "str"
        elif n.width > 4:
            ftype = "i64" if n.signed else "u64"
        else:
            ftype = "i32" if n.signed else "u32"
        out = self._leaf(n, path, ftype, n.enum)
        out.update(t="S", k=n.kind, w=n.width, sg=n.signed, be=n.big_endian,
                   en=enum_entries(n.enum))
        return out

    def blob(self, n: LBlob, path: str) -> dict[str, Any]:
        out = self._leaf(n, path, "str")
        out.update(t="B", k=n.kind, len=expr(n.length) if n.length is not None else None,
                   rest=n.length is None, cnt=expr(n.count), be=n.big_endian,
                   en=enum_entries(n.enum))
        return out

    def bits(self, n: LBits, path: str) -> dict[str, Any]:
        out = self._leaf(n, path, "u64" if n.width > 4 else "u32")
        full = f"{path}.{n.id}"
        out.update(t="T", w=n.width, be=n.big_endian,
                   m=[self.member(mb, full) for mb in n.members])
        return out

    def member(self, mb: LBitMember, path: str) -> dict[str, Any]:
        ftype = "bool" if mb.kind == "BOOL" else ("i64" if mb.kind == "INT" else "u64")
        if ftype == "u64" and mb.width <= 32:
            ftype = "u32"
        return {"id": mb.id, "name": mb.meta.orig_name, "k": mb.kind, "lo": mb.lo, "hi": mb.hi,
                "unit": mb.meta.unit, "en": enum_entries(mb.enum),
                "f": self.registry.get(f"{path}.{mb.id}", mb.meta.orig_name, ftype, mb.enum,
                                       mb.meta.unit)}

    def record(self, n: LRecord, path: str, top: bool = False) -> dict[str, Any]:
        inner = path if (n.synthetic or top) else f"{path}.{n.id}"
        out: dict[str, Any] = {"t": "R", "id": n.id, "name": n.meta.orig_name, "size": n.size,
                               "syn": n.synthetic, "bound": expr(n.bound) if n.bound is not None
                               else None, "c": [self.node(c, inner) for c in n.children]}
        if not n.synthetic and not top:
            out["f"] = self.registry.get(inner, n.meta.orig_name, "none")
        return out

    def element(self, n: LNode, path: str) -> dict[str, Any]:
        """An array element: a record's fields sit under the array's name."""
        if isinstance(n, LRecord):
            out = self.record(n, path, top=True)
            out["elem"] = True
            return out
        parent, _, _ = path.rpartition(".")
        return self.node(n, parent) | {"elem": True}

    def array(self, n: LArray, path: str) -> dict[str, Any]:
        full = f"{path}.{n.id}"
        out: dict[str, Any] = {
            "t": "A", "id": n.id, "name": n.meta.orig_name, "size": n.size,
            "count": expr(n.count) if n.count is not None else None, "greedy": n.count is None,
            "chain": n.chain is not None,
            "f": self.registry.get(full, n.meta.orig_name, "none"),
        }
        if n.element is not None:
            out["el"] = self.element(n.element, full)
        out["seg"] = [[k, self.element(e, full)] for k, e in n.segments]
        return out
