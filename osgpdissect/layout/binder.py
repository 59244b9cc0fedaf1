"""Bind a table's model to a device context: the layout every backend works from.

Binding resolves everything that does not depend on the bytes being decoded — other tables'
fields (dimensions), firmware/generation gates, record parameters, ``index``-dependent
variants — into constants.  What remains dynamic refers only to fields of the same bytes
(``Local`` references) and becomes ``this``-expressions in construct.  Sizes and offsets are
integers wherever the layout is static for that context.

This module imports nothing third-party.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from osgpdissect.lang import model as m

# ---------------------------------------------------------------------------- bound expressions


@dataclass(frozen=True, slots=True)
class Local:
    """A field of the bytes being decoded: ``up`` construct levels above, then ``path``."""

    name: str
    up: int
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BExpr:
    op: str
    args: tuple[BoundExpr, ...]


BoundExpr = int | bool | Local | BExpr


class BindError(Exception):
    """A name or construct the binder cannot resolve; carries the spec position."""

    def __init__(self, pos: m.Pos, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message


# ---------------------------------------------------------------------------- bound nodes

SCALAR_TYPES: dict[str, tuple[str, int, bool]] = {
    # name: (kind, bytes, signed)
    **{f"UINT{b}": ("int", b // 8, False) for b in (8, 16, 24, 32, 40, 48, 64)},
    **{f"INT{b}": ("int", b // 8, True) for b in (8, 16, 24, 32, 40, 48, 64)},
    "FILL8": ("fill", 1, False),
    "FILL16": ("fill", 2, False),
    "FILL32": ("fill", 4, False),
    "TIME": ("time", 3, False),
    "STIME_DATE": ("stime_date", 5, False),
    "LTIME_DATE": ("ltime_date", 6, False),
    "DATE": ("date", 3, False),
    "RDATE": ("rdate", 2, False),
    "ANSI_DATE": ("ansi_date", 2, False),
    "MFG_CODE": ("mfg_code", 2, False),
}
BLOB_TYPES = {"CHAR": "char", "HEX": "hex", "BCD": "bcd", "NIBBLE": "nibble"}
NI_FORMATS: dict[int, tuple[str, int, bool]] = {
    # ANSI C12.19 non-integer format codes that are integers of a given width.
    8: ("int", 4, True),
    9: ("int", 8, True),
    10: ("int", 4, True),
    11: ("int", 8, True),
    12: ("int", 8, True),
    13: ("int", 4, True),
    14: ("int", 6, True),
    15: ("int", 8, True),
}
BUILTIN_TYPES = set(SCALAR_TYPES) | set(BLOB_TYPES) | {"NI_FMAT1", "NI_FMAT2", "SET"}


@dataclass(frozen=True, slots=True)
class StatedAt:
    """A guide offset evaluated where the field is declared (``None`` value: not static)."""

    profile: str | None
    start: int | None
    end: int | None
    pos: m.Pos
    error: str = ""


@dataclass(frozen=True, slots=True)
class LNode:
    id: str
    meta: m.Meta
    size: int | None  # None: depends on the bytes
    stated: tuple[StatedAt, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class LScalar(LNode):
    kind: str = "int"  # int fill time stime_date ltime_date date rdate ansi_date mfg_code
    width: int = 1
    signed: bool = False
    big_endian: bool = False
    enum: m.Enum | None = None


@dataclass(frozen=True, slots=True)
class LBlob(LNode):
    """A byte run shown as one value: bytes (UINT8[n]), text, hex, BCD, nibbles, SET."""

    kind: str = "bytes"  # bytes char hex bcd nibble set
    length: BoundExpr | None = 0  # bytes; None = the rest of the enclosing bound
    count: BoundExpr = 0  # nibble count for NIBBLE
    big_endian: bool = False
    enum: m.Enum | None = None


@dataclass(frozen=True, slots=True)
class LBitMember:
    id: str
    kind: str
    lo: int
    hi: int
    meta: m.Meta
    enum: m.Enum | None = None
    stated: tuple[StatedAt, ...] = field(default=(), compare=False)

    @property
    def width(self) -> int:
        return self.hi - self.lo + 1


@dataclass(frozen=True, slots=True)
class LBits(LNode):
    width: int = 1
    big_endian: bool = False
    members: tuple[LBitMember, ...] = ()


@dataclass(frozen=True, slots=True)
class LRecord(LNode):
    children: tuple[LNode, ...] = ()
    bound: BoundExpr | None = None  # element_size: pad/truncate to this many bytes
    synthetic: bool = False  # a switch/if group: its fields belong to the parent
    stated_absolute: bool = False
    named: bool = False  # bound from a named record: the guide's offsets inside restart at 0


@dataclass(frozen=True, slots=True)
class LArray(LNode):
    count: BoundExpr | None = 0  # None: repeat until the enclosing bound is used up
    element: LNode | None = None
    segments: tuple[tuple[int, LNode], ...] = ()  # index-dependent elements, unrolled
    stated_absolute: bool = False
    chain: tuple[str, BoundExpr] | None = None  # F33: field joined across elements while expr holds


@dataclass(frozen=True, slots=True)
class LSwitch(LNode):
    on: BoundExpr = 0
    cases: tuple[tuple[tuple[tuple[int, int], ...], LRecord], ...] = ()
    default: LRecord | None = None


@dataclass(frozen=True, slots=True)
class LOptional(LNode):
    test: BoundExpr = False
    body: LRecord | None = None


@dataclass(frozen=True, slots=True)
class LDerived(LNode):
    expr: BoundExpr = 0
    hidden: bool = False  # a `let` kept for later expressions


@dataclass(frozen=True)
class Bound:
    """A table bound to one context."""

    table_id: str
    root: LRecord
    defaults_used: tuple[str, ...] = ()
    key: str = field(default="", compare=False)
    inferred_used: tuple[str, ...] = ()  # dimension values the device inferred from table sizes
    # what later stages made of this binding (the codec's structures), kept as long as it is
    derived: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def size(self) -> int | None:
        return self.root.size


# ---------------------------------------------------------------------------- context


class Resolver(Protocol):
    """Answers questions about the device the bytes came from."""

    def setting(self, name: str) -> int | m.Version | None: ...

    def remote(self, ref: m.Ref, path: tuple[str | int, ...]) -> int: ...


def version_key(v) -> tuple[int, int]:
    return v.key if isinstance(v, m.Version) else (int(v), 0)


# ---------------------------------------------------------------------------- expression evaluation


def _const(v) -> bool:
    return isinstance(v, (int, bool, m.Version))


_BINOPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a // b if b else _by_zero("/", a),
    "%": lambda a, b: a % b if b else _by_zero("%", a),
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "and": lambda a, b: bool(a) and bool(b),
    "or": lambda a, b: bool(a) or bool(b),
}


def _by_zero(op: str, a):
    """``a op 0`` is never a silent 0: ZeroDivisionError with the operator and left operand."""
    raise ZeroDivisionError(op, a)


def apply_op(op: str, a, b):
    """``a op b`` as the spec language defines it: ``/`` is floor division; ``/`` or ``%`` by
    zero raises ZeroDivisionError (the binder makes it a spec error for constants; the codec
    makes the value unknown at decode time)."""
    if isinstance(a, m.Version) or isinstance(b, m.Version):
        a, b = version_key(a), version_key(b)
    return _BINOPS[op](a, b)


def eval_bound(e: BoundExpr, lookup) -> int | bool:
    """Evaluate a bound expression; ``lookup(local)`` returns a decoded field's value."""
    if isinstance(e, (int, bool)):
        return e
    if isinstance(e, Local):
        return lookup(e)
    if e.op == "neg":
        return -eval_bound(e.args[0], lookup)
    if e.op == "not":
        return not eval_bound(e.args[0], lookup)
    if e.op == "if":
        return eval_bound(e.args[1] if eval_bound(e.args[0], lookup) else e.args[2], lookup)
    if e.op in ("min", "max"):
        vals = [eval_bound(a, lookup) for a in e.args]
        return min(vals) if e.op == "min" else max(vals)
    return apply_op(e.op, eval_bound(e.args[0], lookup), eval_bound(e.args[1], lookup))


class _Frame:
    """Names visible at one construct level: fields decoded so far and static symbols."""

    __slots__ = ("names", "static", "synthetic")

    def __init__(self, synthetic: bool = False):
        self.names: set[str] = set()
        self.static: dict[str, object] = {}
        self.synthetic = synthetic


# The layout context: firmware (of the meter, or of the module when cpm = 1), generation, the
# guide's X, device class (cpm: 1 = Control Point/OSGP Module) and "both MEP ports enabled".
CONTEXT_NAMES = ("fw", "generation", "x", "cpm", "two_mep_ports")
# The last path part of a remote() question "how many elements has this `[*]` array?"
COUNT_PART = "#count"
# A context that does not say otherwise is a meter with one MEP port enabled.
CONTEXT_DEFAULTS = {"cpm": 0, "two_mep_ports": 0}


class Binder:
    """Binds one table (and the records it uses) against a resolver."""

    def __init__(self, spec: m.Spec, resolver: Resolver, max_unroll: int = 4096):
        self.spec = spec
        self.resolver = resolver
        self.max_unroll = max_unroll
        self.frames: list[_Frame] = []
        self.statics: list[dict[str, object]] = [{}]  # params, index, family param
        self._record_stack: list[str] = []

    # -------------------------------------------------------------- evaluation
    def peval(self, e: m.Expr) -> BoundExpr | m.Version:
        if isinstance(e, m.Num):
            return e.value
        if isinstance(e, m.Version):
            return e
        if isinstance(e, m.Ref):
            return self._ref(e)
        if isinstance(e, m.BinOp):
            a, b = self.peval(e.left), self.peval(e.right)
            if _const(a) and _const(b):
                try:
                    return apply_op(e.op, a, b)
                except ZeroDivisionError:
                    raise BindError(e.pos, f"division by zero: {a} {e.op} {b}") from None
            if e.op == "and" and _const(a):
                return b if a else False
            if e.op == "or" and _const(a):
                return True if a else b
            return BExpr(e.op, (self._need_bound(a, e.pos), self._need_bound(b, e.pos)))
        if isinstance(e, m.UnOp):
            a = self.peval(e.operand)
            if _const(a):
                return -a if e.op == "neg" else (not a)
            return BExpr(e.op, (a,))
        if isinstance(e, m.Cond):
            t = self.peval(e.test)
            if _const(t):
                return self.peval(e.then if t else e.other)
            return BExpr("if", (t, self._need_bound(self.peval(e.then), e.pos), self._need_bound(self.peval(e.other), e.pos)))
        if isinstance(e, m.Call):
            return self._call(e)
        raise BindError(getattr(e, "pos", m.NOPOS), f"cannot evaluate {e!r}")

    def eval_stated(self, stated: tuple[m.Stated, ...]) -> tuple[StatedAt, ...]:
        out = []
        for st in stated:
            try:
                start = self.static(st.start, "a stated offset")
                end = self.static(st.end, "a stated offset") if st.end is not None else None
                out.append(StatedAt(st.profile, start, end, st.pos))
            except BindError as exc:
                out.append(StatedAt(st.profile, None, None, exc.pos, exc.message))
        return tuple(out)

    def static(self, e: m.Expr, what: str) -> int:
        v = self.peval(e)
        if isinstance(v, m.Version) or not _const(v):
            raise BindError(getattr(e, "pos", m.NOPOS), f"{what} must not depend on the decoded bytes here: {m.expr_text(e)}")
        return int(v)

    @staticmethod
    def _need_bound(v, pos) -> BoundExpr:
        if isinstance(v, m.Version):
            raise BindError(pos, "a firmware version can only be compared with `fw`")
        return v

    def _call(self, e: m.Call):
        if e.name == "sizeof":
            rec = self.spec.records.get(e.type_name or "")
            if rec is None:
                raise BindError(e.pos, f"unknown record type {e.type_name!r} in sizeof()")
            node = self._bind_record_def(rec, (), e.type_name or "", m.Meta())
            if node.size is None:
                raise BindError(e.pos, f"sizeof({e.type_name}) depends on the decoded bytes")
            return node.size
        if e.name in ("min", "max"):
            vals = [self.peval(a) for a in e.args]
            if all(_const(v) for v in vals):
                return min(vals) if e.name == "min" else max(vals)
            return BExpr(e.name, tuple(self._need_bound(v, e.pos) for v in vals))
        if e.name == "lookup":
            if len(e.args) != 3 or not isinstance(e.args[0], m.Ref) or not isinstance(e.args[1], m.Ref):
                raise BindError(e.pos, "lookup(array, key.path, value) takes a table array, a key path and a value")
            want = self.static(e.args[2], "lookup value")
            arr, key = e.args[0], e.args[1]
            if not _is_table_id(arr.head):
                raise BindError(e.pos, "lookup() works on another table's array")
            for i in range(self.max_unroll):
                try:
                    got = self.resolver.remote(arr, tuple(arr.parts[1:]) + (i,) + tuple(key.parts))
                except IndexError:
                    break
                if got == want:
                    return self.resolver.remote(arr, tuple(arr.parts[1:]) + (i,) + e.then)
            raise BindError(e.pos, f"lookup(): no element of {arr.text()} has {key.text()} == {want}")
        if e.name == "count":
            # count(BT61.sets): the number of elements of another table's `[*]` array, as the
            # device knows it (from the table's bytes, inferred, or 1)
            if len(e.args) != 1 or not isinstance(e.args[0], m.Ref) or not _is_table_id(str(e.args[0].head)):
                raise BindError(e.pos, "count() takes another table's array: count(BT61.sets)")
            arr = e.args[0]
            return self.resolver.remote(arr, (*arr.parts[1:], COUNT_PART))
        raise BindError(e.pos, f"unknown function {e.name}()")

    def _ref(self, r: m.Ref):
        head = r.parts[0]
        if isinstance(head, str) and _is_table_id(head):
            path = tuple(self.static(p, "index") if not isinstance(p, (str, int)) else p for p in r.parts[1:])
            if not path:
                raise BindError(r.pos, f"{head} needs a field: {head}.<field>")
            return self.resolver.remote(r, path)
        name = str(head)
        rest = tuple(str(p) for p in r.parts[1:] if isinstance(p, (str, int)))
        # local fields and static symbols, innermost first
        up = 0
        for frame in reversed(self.frames):
            if name in frame.static:
                v = frame.static[name]
                if rest:
                    raise BindError(r.pos, f"{name} is a symbol, not a record")
                return v
            if name in frame.names:
                return Local(name, up, rest)
            up += 1
        for scope in reversed(self.statics):
            if name in scope:
                v = scope[name]
                if isinstance(v, _Deferred):  # computed at a shallower level: re-aim its Locals
                    return _shift_up(v.value, len(self.frames) - v.depth)
                return v
        if name in CONTEXT_NAMES:
            v = self.resolver.setting(name)
            if v is None and name in CONTEXT_DEFAULTS:
                v = CONTEXT_DEFAULTS[name]
            if v is None:
                raise BindError(r.pos, f"the layout context has no value for {name!r}")
            return v
        raise BindError(r.pos, f"unresolved name {r.text()!r} (not a preceding field, symbol, parameter or table reference)")

    # -------------------------------------------------------------- items
    def bind_items(self, items: tuple[m.Item, ...], out: list[LNode]) -> None:
        frame = self.frames[-1]
        for it in items:
            if isinstance(it, m.Let):
                v = self.peval(it.expr)
                if _const(v):
                    frame.static[it.name] = v
                else:
                    # depends on the bytes: kept as a hidden computed field later items can use
                    frame.static.pop(it.name, None)
                    out.append(LDerived(it.name, m.Meta(), 0, expr=self._need_bound(v, it.pos), hidden=True))
                    frame.names.add(it.name)
                continue
            if isinstance(it, m.If):
                t = self.peval(it.test)
                if _const(t):
                    self.bind_items(it.then if t else it.other, out)
                    continue
                body = self._group(it.then, it.pos)
                if not it.other:
                    out.append(LOptional(f"_if_{it.pos.line}", m.Meta(), 0 if body.size == 0 else None,
                                         test=t, body=body))
                    continue
                # if/else: one two-way switch, so both branches start at the same offset
                other = self._group(it.other, it.pos)
                size = body.size if body.size == other.size else None
                test = t if isinstance(t, BExpr) and t.op in ("==", "!=", "<", "<=", ">", ">=", "and", "or", "not") \
                    else BExpr("!=", (t, 0))
                out.append(LSwitch(f"_if_{it.pos.line}", m.Meta(), size, on=test, cases=((((1, 1),), body),),
                                   default=other))
                continue
            if isinstance(it, m.Switch):
                on = self.peval(it.on)
                if _const(on):
                    chosen = _pick_case(it.cases, int(on))
                    if chosen is not None:
                        self.bind_items(chosen.body, out)
                    continue
                cases = []
                default = None
                for c in it.cases:
                    g = self._group(c.body, c.pos)
                    if c.keys:
                        cases.append((c.keys, g))
                    else:
                        default = g
                sizes = {g.size for _, g in cases} | ({default.size} if default else {0})
                size = sizes.pop() if len(sizes) == 1 else None
                out.append(LSwitch(f"_switch_{it.pos.line}", m.Meta(), size, on=on, cases=tuple(cases), default=default))
                continue
            node = self.bind_field(it)
            if it.meta.stated:
                node = replace(node, stated=self.eval_stated(it.meta.stated))
            if it.meta.label is not None:
                node = self._labelled(node, it.meta.label, it.pos)
            out.append(node)
            if isinstance(it, m.Derived):
                frame.names.add(it.id)
            else:
                frame.names.add(it.id)

    def _labelled(self, node: LNode, label: tuple[m.Expr, str], pos: m.Pos) -> LNode:
        """``label(BT22.summation_sources[0], SourceId)``: named after the source the device's
        bytes say this element holds; the spec's own name when they are not known."""
        expr, enum_name = label
        known = getattr(self.resolver, "known_value", None)
        if known is None or not isinstance(expr, m.Ref) or not _is_table_id(str(expr.head)):
            return node
        path = tuple(p if isinstance(p, (str, int)) else self.static(p, "index") for p in expr.parts[1:])
        value = known(expr, path)
        enum = self.spec.enums.get(enum_name)
        if value is None or enum is None:
            return node
        text = next((x.label for x in enum.entries if x.lo <= value <= x.hi and not x.template), None)
        name = f"{text} (source {value})" if text else f"source {value}"
        same = (text or "").casefold() == node.meta.orig_name.casefold()
        # another source than the spec's name: its unit is not known here
        return replace(node, meta=replace(node.meta, orig_name=name, unit=node.meta.unit if same else None))

    def _group(self, items, pos) -> LRecord:
        self.frames.append(_Frame(synthetic=True))
        try:
            out: list[LNode] = []
            self.bind_items(items, out)
        finally:
            self.frames.pop()
        return LRecord(f"_group_{pos.line}", m.Meta(), _sum_sizes(out), children=tuple(out), synthetic=True)

    def bind_field(self, it) -> LNode:
        if isinstance(it, m.Derived):
            v = self.peval(it.expr)
            return LDerived(it.id, it.meta, 0, expr=self._need_bound(v, it.pos))
        if isinstance(it, m.BitsField):
            return self._bits(it)
        if isinstance(it, m.RecordField):
            return self._record_field(it)
        return self._field(it)

    def _enum(self, ref, pos) -> m.Enum | None:
        if ref is None or isinstance(ref, m.Enum):
            return ref
        e = self.spec.enums.get(ref)
        if e is None:
            raise BindError(pos, f"unknown enum {ref!r}")
        return e

    def _bits(self, it: m.BitsField) -> LBits:
        c = it.container
        if c.name not in SCALAR_TYPES or SCALAR_TYPES[c.name][0] != "int":
            raise BindError(c.pos, f"a bits container must be an integer type, not {c.name}")
        width = SCALAR_TYPES[c.name][1]
        for d in c.dims:
            if d is None:
                raise BindError(c.pos, "a bits container cannot be `[*]`")
            width *= self.static(d, "bits container size")
        members = []
        for bm in it.members:
            if bm.hi < bm.lo or bm.hi >= width * 8:
                raise BindError(bm.pos, f"bit range {bm.lo}..{bm.hi} does not fit a {width * 8}-bit container")
            members.append(LBitMember(bm.id, bm.kind, bm.lo, bm.hi, bm.meta, self._enum(bm.meta.enum, bm.pos),
                                      self.eval_stated(bm.meta.stated)))
        return LBits(it.id, it.meta, width, width=width, big_endian=(it.endian == "msb"), members=tuple(members))

    def _field(self, it: m.Field) -> LNode:
        t = it.type
        big = it.endian == "msb"
        enum = self._enum(it.meta.enum, it.pos)
        name = t.name
        if name in ("NI_FMAT1", "NI_FMAT2"):
            code = self.resolver.setting("ni_format1" if name == "NI_FMAT1" else "ni_format2")
            kind, width, signed = NI_FORMATS.get(int(code or 8), NI_FORMATS[8])
            base: LNode = LScalar(it.id, it.meta, width, kind=kind, width=width, signed=signed, big_endian=big, enum=enum)
            return self._array(it, base, t.dims, it.element_size)
        if name in SCALAR_TYPES:
            kind, width, signed = SCALAR_TYPES[name]
            dims = t.dims
            if name in ("UINT8", "FILL8") and dims and enum is None:
                # a run of bytes: one value, not a list of ints
                *outer, last = dims
                length = self._count(last, t.pos)
                blob = LBlob(it.id, it.meta, length if isinstance(length, int) else None,
                             kind="fill" if name == "FILL8" else "bytes", length=length)
                return self._array(it, blob, tuple(outer), it.element_size)
            base = LScalar(it.id, it.meta, width, kind=kind, width=width, signed=signed, big_endian=big, enum=enum)
            return self._array(it, base, dims, it.element_size)
        if name in BLOB_TYPES:
            if not t.dims:
                raise BindError(t.pos, f"{name} needs a length: {name}[n]")
            *outer, last = t.dims
            n = self._count(last, t.pos)
            kind = BLOB_TYPES[name]
            if kind == "nibble":
                length = (n + 1) // 2 if isinstance(n, int) else BExpr("/", (BExpr("+", (n, 1)), 2))
                blob = LBlob(it.id, it.meta, length if isinstance(length, int) else None, kind=kind,
                             length=length, count=n, enum=enum)
            else:
                blob = LBlob(it.id, it.meta, n if isinstance(n, int) else None, kind=kind, length=n,
                             big_endian=big, enum=enum)
            return self._array(it, blob, tuple(outer), it.element_size)
        if name == "SET":
            if len(t.args) != 1:
                raise BindError(t.pos, "SET takes one argument: SET(bytes)")
            n = self.peval(t.args[0])
            n = self._need_bound(n, t.pos)
            blob = LBlob(it.id, it.meta, n if isinstance(n, int) else None, kind="set", length=n, enum=enum)
            return self._array(it, blob, t.dims, it.element_size)
        rec = self.spec.records.get(name)
        if rec is None:
            raise BindError(t.pos, f"unknown type {name!r}")
        node = self._record_array(
            it.id, it.meta, t.dims,
            lambda: self._bind_record_def(rec, tuple(self.peval(a) for a in t.args), it.id, it.meta),
            it.element_size, it.stated_absolute, rec, None, t.args)
        return self._chain(node, it.chain, it.pos)

    def _count(self, e: m.Expr | None, pos) -> BoundExpr | None:
        if e is None:
            return None
        v = self.peval(e)
        v = self._need_bound(v, pos)
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, int) and v < 0:
            raise BindError(pos, f"negative count {v} from {m.expr_text(e)}")
        return v

    def _array(self, it, base: LNode, dims, element_size) -> LNode:
        node = base
        for d in reversed(dims):
            count = self._count(d, it.pos)
            size = count * node.size if isinstance(count, int) and node.size is not None else None
            node = LArray(it.id, it.meta, size, count=count, element=node)
        return node

    def _record_field(self, it: m.RecordField) -> LNode:
        if it.uses:
            rec = self.spec.records.get(it.uses)
            if rec is None:
                raise BindError(it.pos, f"unknown record type {it.uses!r}")
            make = lambda: self._bind_record_def(rec, tuple(self.peval(a) for a in it.args), it.id, it.meta)  # noqa: E731
        else:
            make = lambda: self._bind_body(it.body, it.id, it.meta, None)  # noqa: E731
            rec = None
        node = self._record_array(it.id, it.meta, it.dims, make, it.element_size, it.stated_absolute, rec, it, it.args)
        return self._chain(node, it.chain, it.pos)

    def _chain(self, node: LNode, chain, pos: m.Pos) -> LNode:
        """Bind ``chain FIELD while COND`` (F33) against the array's element."""
        if chain is None:
            return node
        if not isinstance(node, LArray) or node.element is None or not isinstance(node.element, LRecord):
            raise BindError(pos, "`chain` needs an array of records with one element layout")
        field_id, cond = chain
        frame = _Frame()
        collect_names(node.element, frame.names)
        if field_id not in frame.names:
            raise BindError(pos, f"`chain {field_id}`: the element has no field {field_id!r}")
        self.frames.append(frame)
        try:
            bound = self._need_bound(self.peval(cond), pos)
        finally:
            self.frames.pop()
        return replace(node, chain=(field_id, bound))

    def _record_array(self, ident, meta, dims, make, element_size, absolute, rec, it=None, args=()) -> LNode:
        uses_index = _uses_name(rec.body if rec else (it.body if it else ()), "index", self.spec) or any(
            r.head == "index" for a in args for r in m.expr_refs(a))
        if not dims:
            node = make()
            return self._bounded(node, element_size)
        *outer, last = dims
        count = self._count(last, meta_pos(meta, it))
        if uses_index and isinstance(count, int):
            if count > self.max_unroll:
                raise BindError(meta_pos(meta, it), f"cannot unroll {count} index-dependent elements")
            segments: list[tuple[int, LNode]] = []
            for i in range(count):
                self.statics.append({"index": i})
                try:
                    el = self._bounded(make(), element_size)
                finally:
                    self.statics.pop()
                if segments and segments[-1][1] == el:
                    segments[-1] = (segments[-1][0] + 1, el)
                else:
                    segments.append((1, el))
            total = sum(c * e.size for c, e in segments) if all(e.size is not None for _, e in segments) else None
            node: LNode = LArray(ident, meta, total, count=count, segments=tuple(segments), stated_absolute=absolute)
        else:
            self.statics.append({"index": 0} if uses_index else {})
            try:
                el = self._bounded(make(), element_size)
            finally:
                self.statics.pop()
            size = count * el.size if isinstance(count, int) and el.size is not None else None
            node = LArray(ident, meta, size, count=count, element=el, stated_absolute=absolute)
        for d in reversed(outer):
            c = self._count(d, meta_pos(meta, it))
            size = c * node.size if isinstance(c, int) and node.size is not None else None
            node = LArray(ident, meta, size, count=c, element=node)
        return node

    def _bounded(self, node: LNode, element_size) -> LNode:
        if element_size is None or not isinstance(node, LRecord):
            return node
        b = self._need_bound(self.peval(element_size), m.NOPOS)  # evaluated at the parent level
        return LRecord(node.id, node.meta, b if isinstance(b, int) else None, children=node.children, bound=b,
                       stated_absolute=node.stated_absolute, named=node.named)

    def _bind_record_def(self, rec: m.RecordDef, args: tuple, ident: str, meta: m.Meta) -> LRecord:
        if len(args) != len(rec.params):
            raise BindError(rec.pos, f"record {rec.name} takes {len(rec.params)} argument(s), got {len(args)}")
        if rec.name in self._record_stack:
            raise BindError(rec.pos, f"record {rec.name} contains itself")
        self._record_stack.append(rec.name)
        depth = len(self.frames)
        self.statics.append({
            p: (a if _const(a) or isinstance(a, m.Version) else _Deferred(a, depth))
            for p, a in zip(rec.params, args, strict=True)
        })
        try:
            merged = _merge_meta(meta, rec.meta)
            node = replace(self._bind_body(rec.body, ident, merged, rec.element_size), named=True)
        finally:
            self.statics.pop()
            self._record_stack.pop()
        return node

    def _bind_body(self, items, ident, meta, element_size) -> LRecord:
        bound = None
        if element_size is not None:  # evaluated at the parent level, like construct's FixedSized
            bound = self._need_bound(self.peval(element_size), meta_pos(meta, None))
        self.frames.append(_Frame())
        try:
            out: list[LNode] = []
            self.bind_items(items, out)
        finally:
            self.frames.pop()
        size = _sum_sizes(out)
        if bound is not None:
            size = bound if isinstance(bound, int) else None
        return LRecord(ident, meta, size, children=tuple(out), bound=bound)

    # -------------------------------------------------------------- entry points
    def bind_table(self, table: m.Table | m.Procedure, table_id: str, part: str = "table",
                   args: tuple[tuple[str, m.Expr], ...] = ()) -> LRecord:
        """``args``: values for the table's ``param``s (from ``layout ET52(length = ...)``)."""
        self.frames = []
        statics: dict[str, object] = {}
        given = dict(args)
        for name, default in table.header.params:
            statics[name] = self.static(given.pop(name, default), f"layout parameter {name}")
        if given:
            raise BindError(table.pos, f"{table_id} has no layout parameter {next(iter(given))!r}")
        if isinstance(table, m.Table) and table.family_param:
            number = m.KIND_BASE[table.kind] + int(table_id[2:])
            self.statics.append({"number": number})
            try:
                statics[table.family_param] = self.static(table.family_expr, "family parameter")
            finally:
                self.statics.pop()
        self.statics.append(statics)
        try:
            if isinstance(table, m.Procedure):
                items = table.request if part == "request" else table.response
            else:
                items = table.body
            return self._bind_body(items, table_id, m.Meta(orig_name=table.name), None)
        finally:
            self.statics.pop()


@dataclass(frozen=True, slots=True)
class _Deferred:
    """A record argument that depends on the bytes, with the frame depth it was computed at."""

    value: BoundExpr
    depth: int


def _shift_up(e: BoundExpr, by: int) -> BoundExpr:
    if isinstance(e, Local):
        return Local(e.name, e.up + by, e.path)
    if isinstance(e, BExpr):
        return BExpr(e.op, tuple(_shift_up(a, by) for a in e.args))
    return e


def collect_names(rec: LRecord, out: set[str]) -> None:
    """Field ids of a record, looking into switch/if groups (their fields join the record's values)."""
    for c in rec.children:
        if isinstance(c, LSwitch):
            for _, g in c.cases:
                collect_names(g, out)
            if c.default:
                collect_names(c.default, out)
        elif isinstance(c, LOptional) and c.body:
            collect_names(c.body, out)
        elif isinstance(c, LRecord) and c.synthetic:
            collect_names(c, out)
        else:
            out.add(c.id)


def meta_pos(meta: m.Meta, it) -> m.Pos:
    if it is not None:
        return it.pos
    return meta.stated[0].pos if meta.stated else m.NOPOS


def _merge_meta(use: m.Meta, rec: m.Meta) -> m.Meta:
    """A record use keeps its own name/offset; docs fall back to the record's."""
    return replace(use, doc=use.doc or rec.doc, note=use.note or rec.note)


def _sum_sizes(nodes) -> int | None:
    total = 0
    for n in nodes:
        if n.size is None:
            return None
        total += n.size
    return total


def _pick_case(cases, value: int):
    default = None
    for c in cases:
        if not c.keys:
            default = c
        elif any(lo <= value <= hi for lo, hi in c.keys):
            return c
    return default


def _is_table_id(name: str) -> bool:
    return len(name) >= 3 and name[:2] in m.KIND_BASE and name[2:].isdigit()


_USES: dict[tuple[int, str, int], tuple[object, bool]] = {}


def _uses_name(items, name: str, spec: m.Spec, seen: frozenset = frozenset()) -> bool:
    """Does any expression under ``items`` (records included) reference ``name``?  (Remembered
    per item tuple: the model is immutable.)"""
    if seen:
        return _scan_uses(items, name, spec, seen)
    key = (id(items), name, id(spec))
    hit = _USES.get(key)
    if hit is not None and hit[0] is items:
        return hit[1]
    found = _scan_uses(items, name, spec, seen)
    if len(_USES) > 100_000:
        _USES.clear()
    _USES[key] = (items, found)
    return found


def _scan_uses(items, name: str, spec: m.Spec, seen: frozenset) -> bool:
    for it in items:
        exprs: list = []
        nested: tuple = ()
        if isinstance(it, m.Field):
            exprs += [d for d in it.type.dims if d is not None] + list(it.type.args)
            if it.element_size is not None:
                exprs.append(it.element_size)
            rec = spec.records.get(it.type.name)
            if rec and rec.name not in seen:
                if _uses_name(rec.body, name, spec, seen | {rec.name}):
                    return True
        elif isinstance(it, m.BitsField):
            exprs += [d for d in it.container.dims if d is not None]
        elif isinstance(it, m.RecordField):
            exprs += [d for d in it.dims if d is not None] + list(it.args)
            nested = it.body
            if it.uses and it.uses not in seen:
                rec = spec.records.get(it.uses)
                if rec and _uses_name(rec.body, name, spec, seen | {it.uses}):
                    return True
        elif isinstance(it, m.If):
            exprs.append(it.test)
            nested = it.then + it.other
        elif isinstance(it, m.Switch):
            exprs.append(it.on)
            nested = tuple(x for c in it.cases for x in c.body)
        elif isinstance(it, (m.Let, m.Derived)):
            exprs.append(it.expr)
        for e in exprs:
            if any(r.head == name for r in m.expr_refs(e)):
                return True
        if nested and _uses_name(nested, name, spec, seen):
            return True
    return False


# ---------------------------------------------------------------------------- static offsets


def walk_static(node: LRecord, base: int = 0):
    """Yield (node, absolute offset or None, path) for every node, statically where possible."""
    stack = [(node, base, ())]
    while stack:
        n, off, path = stack.pop()
        yield n, off, path
        kids: list = []
        if isinstance(n, LRecord):
            o = off
            for c in n.children:
                cpath = path if (n.synthetic or not path and n is node) else path
                kids.append((c, o, cpath + ((c.id,) if not _is_hidden(c) else ())))
                o = None if (o is None or c.size is None) else o + c.size
        elif isinstance(n, LArray) and n.element is not None:
            kids.append((n.element, off, path + (0,)))
        elif isinstance(n, LArray):
            o = off
            idx = 0
            for count, el in n.segments:
                kids.append((el, o, path + (idx,)))
                o = None if (o is None or el.size is None) else o + count * el.size
                idx += count
        elif isinstance(n, LSwitch):
            for _, g in n.cases:
                kids.append((g, off, path))
            if n.default:
                kids.append((n.default, off, path))
        elif isinstance(n, LOptional) and n.body:
            kids.append((n.body, off, path))
        stack.extend(reversed(kids))


def _is_hidden(n: LNode) -> bool:
    return isinstance(n, (LSwitch, LOptional)) or (isinstance(n, LRecord) and n.synthetic)
