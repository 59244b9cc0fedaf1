"""Decode table bytes — a whole table or what a partial read returned — into a field tree.

The one node shape used everywhere (Python, JSON, CLI, scapy)::

    {"name", "orig_name", "offset", "size", "value", "raw"}
    + "enum" (the meaning), "unit", "partial" (cut by the read window), "children"

``offset`` is from the start of the table.  A partial read decodes the fields that fall inside
``[offset, offset + len(data))``; fields cut at either end are ``partial`` and carry their raw
bytes.  :meth:`DecodeResult.values` gives plain values that :func:`encode_table` takes back.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from osgpdissect.errors import DecodeError
from osgpdissect.lang import model as m
from osgpdissect.layout.binder import (
    BExpr,
    BindError,
    Bound,
    LArray,
    LBits,
    LBlob,
    LDerived,
    LNode,
    Local,
    LOptional,
    LRecord,
    LScalar,
    LSwitch,
    eval_bound,
)
from osgpdissect.layout.device import Device

# ---------------------------------------------------------------------------- the node


@dataclass(slots=True)
class Node:
    """One decoded field."""

    name: str
    orig_name: str
    offset: int
    size: int
    value: Any = None
    raw: str = ""
    enum: str | None = None
    unit: str | None = None
    partial: bool = False
    children: list[Node] = field(default_factory=list)

    def to_json(self) -> dict:
        out: dict = {
            "name": self.name,
            "orig_name": self.orig_name,
            "offset": self.offset,
            "size": self.size,
            "value": self.value,
            "raw": self.raw,
        }
        if self.enum is not None:
            out["enum"] = self.enum
        if self.unit is not None:
            out["unit"] = self.unit
        if self.partial:
            out["partial"] = True
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out

    def find(self, path: str) -> Node | None:
        """``node.find("device_config.[4].alert_flags")``."""
        node: Node | None = self
        for part in path.split("."):
            if node is None:
                return None
            node = next((c for c in node.children if c.name == part), None)
        return node


@dataclass
class DecodeResult:
    table_id: str
    name: str
    offset: int
    size: int
    nodes: list[Node]
    values_: dict
    defaults_used: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "table": self.table_id,
            "name": self.name,
            "offset": self.offset,
            "size": self.size,
            "fields": [n.to_json() for n in self.nodes],
            "defaults_used": list(self.defaults_used),
            "warnings": list(self.warnings),
        }

    def values(self) -> dict:
        """Plain values (ints, bytes, dicts, lists) in the shape :func:`encode_table` takes."""
        return self.values_

    def find(self, path: str) -> Node | None:
        parts = path.split(".", 1)
        top = next((n for n in self.nodes if n.name == parts[0]), None)
        if top is None or len(parts) == 1:
            return top
        return top.find(parts[1])


# ---------------------------------------------------------------------------- value rendering


def _enum_label(e: m.Enum | None, value: int) -> str | None:
    if e is None or not isinstance(value, int):
        return None
    if e.flags:
        names = [x.label for x in e.entries if x.lo and (value & x.lo) == x.lo]
        if value == 0:
            zero = [x.label for x in e.entries if x.lo == 0]
            return zero[0] if zero else None
        return ", ".join(names) if names else None
    for x in e.entries:
        if x.lo <= value <= x.hi:
            if not x.template:
                return x.label
            return "".join(p if isinstance(p, str) else str(_eval_label(p, value)) for p in x.parts)
    return None


def _eval_label(e: m.Expr, value: int):
    from osgpdissect.layout.binder import apply_op

    if isinstance(e, m.Num):
        return e.value
    if isinstance(e, m.Ref):
        return value
    if isinstance(e, m.BinOp):
        return apply_op(e.op, _eval_label(e.left, value), _eval_label(e.right, value))
    if isinstance(e, m.UnOp):
        return -_eval_label(e.operand, value)
    return "?"


def _year(y: int) -> int:
    return 2000 + y if y < 100 else y


def _scalar_display(node: LScalar, raw: bytes):
    """(plain value for encode, display value)."""
    k = node.kind
    if k in ("int", "fill"):
        v = int.from_bytes(raw, "big" if node.big_endian else "little", signed=node.signed)
        return v, v
    if k in _DATE_PARTS:
        return dict(zip(_DATE_PARTS[k], raw, strict=True)), scalar_shown(node, raw)
    v = int.from_bytes(raw, "little")
    return v, scalar_shown(node, raw)


_DATE_PARTS = {
    "time": ("hour", "minute", "second"),
    "stime_date": ("year", "month", "day", "hour", "minute"),
    "ltime_date": ("year", "month", "day", "hour", "minute", "second"),
    "date": ("year", "month", "day"),
}


def scalar_shown(node: LScalar, raw: bytes):
    """The display value of a scalar (what a node's ``value`` holds)."""
    k = node.kind
    if k in ("int", "fill"):
        return int.from_bytes(raw, "big" if node.big_endian else "little", signed=node.signed)
    if k == "time":
        return f"{raw[0]:02d}:{raw[1]:02d}:{raw[2]:02d}"
    if k == "stime_date":
        return f"{_year(raw[0]):04d}-{raw[1]:02d}-{raw[2]:02d} {raw[3]:02d}:{raw[4]:02d}"
    if k == "ltime_date":
        return f"{_year(raw[0]):04d}-{raw[1]:02d}-{raw[2]:02d} {raw[3]:02d}:{raw[4]:02d}:{raw[5]:02d}"
    if k == "date":
        return f"{_year(raw[0]):04d}-{raw[1]:02d}-{raw[2]:02d}"
    v = int.from_bytes(raw, "little")
    if k == "ansi_date":
        return f"{_year(v & 0x7F):04d}-{(v >> 7) & 0xF:02d}-{(v >> 11) & 0x1F:02d}"
    if k == "mfg_code":
        return "".join(chr(((v >> s) & 0x1F) + 64) for s in (10, 5, 0))
    return v


def _blob_display(node: LBlob, raw: bytes):
    k = node.kind
    if k == "char":
        return raw, raw.rstrip(b"\x00 ").decode("latin-1")
    if k in ("bytes", "hex", "fill"):
        return raw, raw.hex(" ").upper()
    if k == "bcd":
        digits = raw[::-1] if not node.big_endian else raw
        s = "".join(f"{b >> 4:X}{b & 0xF:X}" for b in digits)
        try:
            return raw, int(s)
        except ValueError:
            return raw, s
    if k == "nibble":
        n = node.count if isinstance(node.count, int) else len(raw) * 2
        nib = [(raw[i // 2] >> 4) if i % 2 == 0 else (raw[i // 2] & 0xF) for i in range(min(n, len(raw) * 2))]
        return raw, nib
    if k == "set":
        return raw, [i for i in range(len(raw) * 8) if raw[i // 8] >> (i % 8) & 1]
    return raw, raw.hex()


# ---------------------------------------------------------------------------- the walker


class _Unknown(Exception):
    """A value needed to continue lies outside the bytes we have."""


class _Walker:
    def __init__(self, data: bytes, start: int):
        self.data = data
        self.start = start
        self.end = start + len(data)
        self.scopes: list[dict] = []
        self.warnings: list[str] = []

    # -------------------------------------------------------- helpers
    def lookup(self, loc: Local):
        try:
            v = self.scopes[-1 - loc.up][loc.name]
        except (IndexError, KeyError):
            raise _Unknown(loc.name) from None
        for p in loc.path:
            if not isinstance(v, dict) or p not in v:
                raise _Unknown(loc.name)
            v = v[p]
        if v is None:
            raise _Unknown(loc.name)
        return v

    def ev(self, e) -> int:
        if isinstance(e, (int, bool)):
            return int(e)
        return int(eval_bound(e, self.lookup))

    def window(self, off: int, size: int) -> tuple[bytes | None, bool]:
        """(bytes, partial): full bytes if inside the data, else the part we have."""
        a, b = off, off + size
        if a >= self.start and b <= self.end:
            return self.data[a - self.start : b - self.start], False
        lo, hi = max(a, self.start), min(b, self.end)
        if lo < hi:
            return self.data[lo - self.start : hi - self.start], True
        return None, False

    def size_of(self, n: LNode, off: int, limit: int | None) -> int:
        if n.size is not None:
            return n.size
        if isinstance(n, LBlob):
            if n.length is None:
                return max((limit if limit is not None else self.end) - off, 0)
            return self.ev(n.length)
        raise _Unknown(n.id)

    # -------------------------------------------------------- nodes
    def record(self, rec: LRecord, off: int, limit: int | None, values: dict, nodes: list[Node]) -> int:
        """Decode ``rec``'s children at ``off`` into ``values``/``nodes``; return the end offset."""
        self.scopes.append(values)
        try:
            pos = off
            for c in rec.children:
                pos = self.child(c, pos, limit, values, nodes)
        finally:
            self.scopes.pop()
        return pos

    def child(self, c: LNode, pos: int, limit: int | None, values: dict, nodes: list[Node]) -> int:
        if isinstance(c, LDerived):
            try:
                v = self.ev(c.expr)
            except (_Unknown, ZeroDivisionError):
                v = None
            values[c.id] = v
            if not c.hidden and v is not None:
                nodes.append(Node(c.id, c.meta.orig_name, pos, 0, v, "", unit=c.meta.unit))
            return pos
        if isinstance(c, LSwitch):
            g = self._case(c)
            if g is None:
                return pos
            return self.group(g, pos, limit, values, nodes)
        if isinstance(c, LOptional):
            if not self.ev(c.test):
                return pos
            return self.group(c.body, pos, limit, values, nodes)
        if isinstance(c, LRecord) and c.synthetic:
            return self.group(c, pos, limit, values, nodes)
        if isinstance(c, (LRecord, LArray)) and c.size is None:
            node, value = self.aggregate(c, pos, 0, limit)
            size = node.size
        else:
            size = self.size_of(c, pos, limit)
            if limit is not None and pos + size > limit:
                return self._overrun(c, pos, size, limit, values, nodes)
            node, value = self.field(c, pos, size, limit)
        if node is not None:
            nodes.append(node)
        values[c.id] = value
        return pos + size

    def _overrun(self, c: LNode, pos: int, size: int, limit: int, values: dict, nodes: list[Node]) -> int:
        """A field that runs past its element's declared size: shown cut, with a warning."""
        avail = max(limit - pos, 0)
        raw = self.window(pos, avail)[0] or b""
        self.warnings.append(f"{c.id} ({size} bytes at {pos}) runs past its element's end at {limit}")
        nodes.append(Node(c.id, c.meta.orig_name, pos, avail, None, raw.hex(" ").upper(), partial=True))
        values[c.id] = None
        return max(limit, pos)

    def _case(self, sw: LSwitch) -> LRecord | None:
        v = self.ev(sw.on)
        for keys, g in sw.cases:
            if any(lo <= v <= hi for lo, hi in keys):
                return g
        return sw.default

    def group(self, g: LRecord, pos: int, limit, values: dict, nodes: list[Node]) -> int:
        inner: dict = {}
        end = self.record(g, pos, limit, inner, nodes)
        values.update(inner)
        return end

    def field(self, c: LNode, off: int, size: int, limit) -> tuple[Node | None, Any]:
        """Decode one field (any kind); returns its node (None when outside the data) and value."""
        meta = c.meta
        if isinstance(c, (LRecord, LArray)):
            if size == 0 or (off < self.end and off + size > self.start):
                return self.aggregate(c, off, size, limit)
            return None, None
        if size == 0 and self.start <= off <= self.end:
            pass
        elif off + size <= self.start or off >= self.end:
            return None, None
        raw, partial = self.window(off, size)
        if raw is None:
            return None, None
        node = Node(c.id, meta.orig_name, off, size, raw=raw.hex(" ").upper(), unit=meta.unit)
        if partial:
            node.partial = True
            node.value = None
            return node, None
        if isinstance(c, LScalar):
            plain, shown = _scalar_display(c, raw)
            node.value = shown
            node.enum = _enum_label(c.enum, plain) if isinstance(plain, int) else None
            return node, plain
        if isinstance(c, LBlob):
            plain, shown = _blob_display(c, raw)
            node.value = shown
            if c.enum is not None and c.kind == "nibble":
                node.children = [
                    Node(f"[{i}]", "", off + i // 2, 1, v, f"{v:X}", enum=_enum_label(c.enum, v))
                    for i, v in enumerate(shown)
                ]
            return node, plain
        if isinstance(c, LBits):
            v = int.from_bytes(raw, "big" if c.big_endian else "little")
            node.value = v
            vals: dict = {}
            for mb in c.members:
                mv = (v >> mb.lo) & ((1 << mb.width) - 1)
                if mb.kind == "INT" and mv >> (mb.width - 1):
                    mv -= 1 << mb.width
                vals[mb.id] = mv
                if mb.kind == "FILL" and not mv:
                    continue
                shown = bool(mv) if mb.kind == "BOOL" else mv
                byte = (c.width - 1 - mb.lo // 8) if c.big_endian else mb.lo // 8
                node.children.append(Node(mb.id, mb.meta.orig_name, off + byte, 1, shown, f"{mv:X}",
                                          enum=_enum_label(mb.enum, mv), unit=mb.meta.unit))
            return node, vals
        return node, raw

    def aggregate(self, c: LNode, off: int, size: int, limit) -> tuple[Node, Any]:
        if isinstance(c, LRecord) and c.bound is not None and c.size is None:
            size = self.ev(c.bound)  # sized by the bytes before it (evaluated at the parent level)
        node = Node(c.id, c.meta.orig_name, off, size, unit=c.meta.unit)
        if isinstance(c, LRecord):
            values: dict = {}
            end_limit = off + size if c.bound is not None or c.size is not None else limit
            end = self.record(c, off, end_limit, values, node.children)
            if c.bound is not None:
                values["_pad"] = b""
            if c.bound is not None and end < off + size:
                raw, partial = self.window(end, off + size - end)
                if raw is not None:
                    values["_pad"] = None if partial else raw
                    if raw.strip(b"\x00"):
                        node.children.append(Node("_pad", "padding", end, off + size - end, None,
                                                  raw.hex(" ").upper(), partial=partial))
            node.size = (off + size - off) if c.bound is not None else end - off
            node.partial = node.size > 0 and not (off >= self.start and off + node.size <= self.end)
            return node, values
        # arrays
        items: list = []
        count = c.count
        elements = [(None, c.element)] if c.element is not None else [(n, e) for n, e in c.segments]
        pos = off
        idx = 0
        total = None if count is None else self.ev(count)
        for seg_count, el in elements:
            n = total if seg_count is None else seg_count
            if n is None:  # [*]: until the bound
                stop = limit if limit is not None else self.end
                while pos < stop and pos < self.end:
                    pos = self._element(el, pos, limit, idx, node, items)
                    idx += 1
                continue
            if el.size is not None and el.size > 0:
                first = max(0, (self.start - pos) // el.size) if pos < self.start else 0
                last = min(n, -(-(self.end - pos) // el.size)) if self.end > pos else 0
                for i in range(n):
                    if i < first or i >= last:
                        items.append(None)
                    else:
                        self._element(el, pos + i * el.size, limit, idx + i, node, items)
                pos += n * el.size
                idx += n
            else:
                for _ in range(n):
                    pos = self._element(el, pos, limit, idx, node, items)
                    idx += 1
        node.size = pos - off
        node.partial = not (off >= self.start and pos <= self.end)
        if c.chain is not None:
            self._join_chain(c.chain, node, items)
        return node, items

    def _join_chain(self, chain, node: Node, items: list) -> None:
        """F33: a base element's field followed by the same field of the elements that continue it."""
        field_id, cond = chain
        elements = {int(ch.name[1:-1]): ch for ch in node.children if ch.name.startswith("[")}

        def continues(i: int) -> bool:
            if i >= len(items) or not isinstance(items[i], dict):
                return False
            self.scopes.append(items[i])
            try:
                return bool(self.ev(cond))
            except _Unknown:
                return False
            finally:
                self.scopes.pop()

        for i, el in elements.items():
            base = el.find(field_id)
            if base is None or continues(i):
                continue
            parts, j = [base], i + 1
            while continues(j) and j in elements and elements[j].find(field_id) is not None:
                parts.append(elements[j].find(field_id))
                j += 1
            if len(parts) == 1 or any(p.partial for p in parts):
                continue
            raw = " ".join(p.raw for p in parts)
            el.children.append(Node(f"{field_id}_chain", f"{base.orig_name} (joined over {len(parts)} entries)",
                                    base.offset, sum(p.size for p in parts), raw, raw))

    def _element(self, el: LNode, pos: int, limit, idx: int, parent: Node, items: list) -> int:
        size = self.size_of(el, pos, limit) if not isinstance(el, (LRecord, LArray)) or el.size is not None else None
        if size is None:
            sub, value = self.aggregate(el, pos, 0, limit)
            size = sub.size
        else:
            sub, value = self.field(el, pos, size, limit)
        if sub is not None:
            sub.name = f"[{idx}]"
            parent.children.append(sub)
        items.append(value)
        return pos + size


# ---------------------------------------------------------------------------- static plans
#
# The bulk path (issue 5 §8): a layout whose top level is only fixed-size leaves (scalars, blobs,
# bit fields) is the same at every call, so its walk is done once per bound layout: a "plan" of
# (leaf, offset, size) with the values of runs of fixed-size integers read by one
# ``struct.Struct.unpack_from``.  The plan gives exactly what ``_Walker.record`` gives.

_STRUCT_CODES = {(1, False): "B", (1, True): "b", (2, False): "H", (2, True): "h",
                 (4, False): "I", (4, True): "i", (8, False): "Q", (8, True): "q"}


class _Leaf:
    __slots__ = ("node", "name", "orig_name", "unit", "off", "size", "end", "enum", "run", "index", "kind",
                 "single")

    def __init__(self, node: LNode, off: int, size: int):
        self.node = node
        self.name = node.id
        self.orig_name = node.meta.orig_name
        self.unit = node.meta.unit
        self.off = off
        self.size = size  # a plan holds fixed-size fields only
        self.end = off + size
        self.enum = getattr(node, "enum", None) if isinstance(node, LScalar) else None
        self.kind = 0  # 0: generic field(); 1: fused integer (value from its run)
        self.run: _Run | None = None
        self.index = 0
        self.single: struct.Struct | None = None  # this integer alone


class _Run:
    """Consecutive fixed-size integers read by one ``unpack_from``."""

    __slots__ = ("off", "end", "struct")

    def __init__(self, off: int, end: int, fmt: str):
        self.off = off
        self.end = end
        self.struct = struct.Struct(fmt)


class _Plan:
    __slots__ = ("leaves", "runs", "size")

    def __init__(self, leaves: list[_Leaf], runs: list[_Run], size: int):
        self.leaves = leaves
        self.runs = runs
        self.size = size


_PLANS: dict[int, tuple[Bound, _Plan | None]] = {}


def _plan_of(bound: Bound, base: int) -> _Plan | None:
    hit = _PLANS.get(id(bound))
    if hit is not None and hit[0] is bound:
        return hit[1]
    plan = _make_plan(bound.root, base)
    if len(_PLANS) >= 512:  # layouts are rebound when the device learns: keep the cache bounded
        _PLANS.clear()
    _PLANS[id(bound)] = (bound, plan)
    return plan


def _make_plan(root: LRecord, base: int) -> _Plan | None:
    if root.size is None:
        return None
    leaves: list[_Leaf] = []
    pos = base
    for c in root.children:
        if not isinstance(c, (LScalar, LBlob, LBits)) or c.size is None:
            return None
        leaves.append(_Leaf(c, pos, c.size))
        pos += c.size
    runs: list[_Run] = []
    group: list[_Leaf] = []
    order = ""

    def flush() -> None:
        if len(group) > 1:
            run = _Run(group[0].off, group[-1].end, order + "".join(
                _STRUCT_CODES[(g.size, g.node.signed)] for g in group))
            runs.append(run)
            for i, g in enumerate(group):
                g.run, g.index = run, i
        group.clear()

    for leaf in leaves:
        c = leaf.node
        fusable = (isinstance(c, LScalar) and c.kind in ("int", "fill")
                   and (c.size, c.signed) in _STRUCT_CODES)
        o = (">" if c.big_endian else "<") if fusable else ""
        if not fusable or (group and o != order):
            flush()
        if fusable:
            leaf.kind = 1
            leaf.single = struct.Struct(o + _STRUCT_CODES[(c.size, c.signed)])
            order = o
            group.append(leaf)
    flush()
    return _Plan(leaves, runs, pos - base)


def _run_plan(plan: _Plan, walker: _Walker, values: dict, nodes: list[Node]) -> None:
    """What ``walker.record(bound.root, ...)`` does, from the plan."""
    data, start, end = walker.data, walker.start, walker.end
    unpacked: dict[int, tuple] = {}
    for run in plan.runs:
        if run.off >= start and run.end <= end:
            unpacked[id(run)] = run.struct.unpack_from(data, run.off - start)
    hexed = data.hex(" ").upper() if data else ""
    for leaf in plan.leaves:
        off = leaf.off
        if leaf.size and (leaf.end <= start or off >= end):
            values[leaf.name] = None  # outside this read
            continue
        if leaf.kind == 1 and off >= start and leaf.end <= end:
            a = off - start
            got = unpacked.get(id(leaf.run)) if leaf.run is not None else None
            v = got[leaf.index] if got is not None else leaf.single.unpack_from(data, a)[0]
            nodes.append(Node(leaf.name, leaf.orig_name, off, leaf.size, v,
                              hexed[3 * a : 3 * (a + leaf.size) - 1],
                              _enum_label(leaf.enum, v) if leaf.enum is not None else None,
                              leaf.unit))
            values[leaf.name] = v
            continue
        node, value = walker.field(leaf.node, off, leaf.size, None)
        if node is not None:
            nodes.append(node)
        values[leaf.name] = value


_DEFAULT_DEVICES: dict[int, tuple[m.Spec, Device]] = {}


def _default_device(spec: m.Spec) -> Device:
    """One default-profile Device per spec for callers that know nothing about the meter."""
    hit = _DEFAULT_DEVICES.get(id(spec))
    if hit is None or hit[0] is not spec:
        hit = _DEFAULT_DEVICES[id(spec)] = (spec, Device(spec))
    return hit[1]


def decode_table(spec: m.Spec, table: str, data: bytes, offset: int = 0, device: Device | None = None,
                 part: str = "table") -> DecodeResult:
    """Decode ``data`` read from ``table`` at ``offset`` (0 for a full read).

    ``device`` carries the meter's dimensions and firmware (a fresh default :class:`Device`
    when omitted).  ``part`` selects a procedure's ``request`` or ``response`` layout.
    Raises :class:`DecodeError` when the table is unknown or its layout cannot be bound.
    """
    device = device or _default_device(spec)
    decl = spec.find(table)
    if decl is None:
        raise DecodeError(f"unknown table {table}")
    try:
        bound: Bound = device.bound(decl.id if not isinstance(decl, m.Table) else table.upper(), part)
    except BindError as exc:
        raise DecodeError(f"{table}: cannot lay out the table ({exc.message})") from None
    base = {"request": 3, "response": 4}.get(part, 0) if isinstance(decl, m.Procedure) else 0
    walker = _Walker(bytes(data), offset + base)
    values: dict = {}
    nodes: list[Node] = []
    end = base
    plan = _plan_of(bound, base)
    try:
        if plan is not None:
            _run_plan(plan, walker, values, nodes)
            end = base + plan.size
        else:
            end = walker.record(bound.root, base, None, values, nodes)
    except _Unknown as exc:
        walker.warnings.append(
            f"layout after {exc.args[0]!r} depends on bytes outside this read; the rest is shown raw")
        covered = max((n.offset + n.size for n in nodes), default=offset + base)
        rest = walker.window(covered, walker.end - covered)[0]
        if rest:
            nodes.append(Node("_undecoded", "undecoded bytes", covered, len(rest), None, rest.hex(" ").upper(), partial=True))
    if walker.end > end and bound.root.size is not None:
        extra = walker.window(end, walker.end - end)[0] or b""
        if extra:
            walker.warnings.append(f"{len(extra)} byte(s) beyond the table's {end - base}-byte layout")
            nodes.append(Node("_extra", "bytes beyond the layout", end, len(extra), None, extra.hex(" ").upper()))
    return DecodeResult(
        table.upper(), decl.name, offset, len(data), nodes, values, list(bound.defaults_used), walker.warnings,
    )


def table_size(spec: m.Spec, table: str, device: Device | None = None) -> int | None:
    """The table's size for this device, or None when it depends on its own bytes."""
    device = device or Device(spec)
    try:
        return device.bound(table.upper()).size
    except BindError as exc:
        raise DecodeError(f"{table}: cannot lay out the table ({exc.message})") from None


def encode_table(spec: m.Spec, table: str, values: dict, device: Device | None = None, part: str = "table") -> bytes:
    """Build table bytes from plain values (the shape :meth:`DecodeResult.values` returns).

    Missing fields take their spec default (numeric ``value``/``default``) or zero.
    """
    from osgpdissect.construct_backend import build_values

    device = device or Device(spec)
    decl = spec.find(table)
    if decl is None:
        raise DecodeError(f"unknown table {table}")
    try:
        bound = device.bound(decl.id if not isinstance(decl, m.Table) else table.upper(), part)
    except BindError as exc:
        raise DecodeError(f"{table}: cannot lay out the table ({exc.message})") from None
    return build_values(bound.root, values)


__all__ = ["Device", "DecodeResult", "Node", "decode_table", "encode_table", "table_size", "BExpr"]
