"""Bound layout -> construct.  A pure function of the layout; emits only compilable constructs.

Dynamic parts refer to fields of the same bytes and become ``this`` expressions (``this._``
for enclosing levels), so ``Struct.compile()`` accepts every structure built here.  Values are
plain: ints, bytes, dicts for records/bits/dates, lists for arrays; :func:`normalize` turns a
construct ``Container`` into that shape (dropping construct's bookkeeping keys) and
:func:`build_values` builds bytes from it, filling missing fields with defaults.
"""

from __future__ import annotations

from functools import lru_cache

import construct as c

from osgpdissect.layout.binder import (
    BExpr,
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
)

_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a // b,
    "%": lambda a, b: a % b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
}


def this_expr(e):
    """A bound expression as a construct ``this`` expression (or a plain int)."""
    if isinstance(e, bool):
        return int(e)
    if isinstance(e, int):
        return e
    if isinstance(e, Local):
        x = c.this
        for _ in range(e.up):
            x = x._
        x = x[e.name]
        for p in e.path:
            x = x[p]
        return x
    assert isinstance(e, BExpr)
    args = [this_expr(a) for a in e.args]
    if e.op == "neg":
        return 0 - args[0]
    if e.op == "not":
        return 1 - args[0]
    if e.op == "if":  # arithmetic select keeps it a compilable expression
        t, a, b = args
        return t * a + (1 - t) * b
    if e.op in ("min", "max"):
        a, b = args[0], args[1]
        lt = (a < b) if e.op == "min" else (a > b)
        return lt * a + (1 - lt) * b
    return _OPS[e.op](args[0], args[1])


def _int(width: int, signed: bool, big: bool):
    table = {
        (1, False): c.Int8ul, (1, True): c.Int8sl,
        (2, False): c.Int16ub if big else c.Int16ul, (2, True): c.Int16sb if big else c.Int16sl,
        (3, False): c.Int24ub if big else c.Int24ul, (3, True): c.Int24sb if big else c.Int24sl,
        (4, False): c.Int32ub if big else c.Int32ul, (4, True): c.Int32sb if big else c.Int32sl,
        (8, False): c.Int64ub if big else c.Int64ul, (8, True): c.Int64sb if big else c.Int64sl,
    }
    return table.get((width, signed)) or c.BytesInteger(width, signed=signed, swapped=not big)


_DATE_PARTS = {
    "time": ("hour", "minute", "second"),
    "stime_date": ("year", "month", "day", "hour", "minute"),
    "ltime_date": ("year", "month", "day", "hour", "minute", "second"),
    "date": ("year", "month", "day"),
}


def _node(n: LNode):
    if isinstance(n, LScalar):
        if n.kind in _DATE_PARTS:
            return c.Struct(*(p / c.Int8ul for p in _DATE_PARTS[n.kind]))
        return _int(n.width, n.signed, n.big_endian)
    if isinstance(n, LBlob):
        return c.GreedyBytes if n.length is None else c.Bytes(this_expr(n.length))
    if isinstance(n, LBits):
        raw = _int(n.width, False, n.big_endian)
        rebuild = 0
        for mb in n.members:
            rebuild = rebuild | ((c.this[mb.id] & ((1 << mb.width) - 1)) << mb.lo)
        fields = [
            "_raw" / c.Rebuild(raw, rebuild if n.members else 0),
            *(mb.id / c.Computed((c.this._raw >> mb.lo) & ((1 << mb.width) - 1)) for mb in n.members),
        ]
        return c.Struct(*fields)
    if isinstance(n, LRecord):
        inner = c.Struct(*_fields(n.children), *(["_pad" / c.GreedyBytes] if n.bound is not None else []))
        return inner if n.bound is None else c.FixedSized(this_expr(n.bound), inner)
    if isinstance(n, LArray):
        if n.element is not None:
            el = _node(n.element)
            return c.GreedyRange(el) if n.count is None else c.Array(this_expr(n.count), el)
        raise AssertionError("segmented arrays are emitted by _fields")
    raise TypeError(n)


def _fields(children):
    out = []
    for ch in children:
        if isinstance(ch, LDerived):
            out.append(ch.id / c.Computed(this_expr(ch.expr)))
        elif isinstance(ch, LSwitch):
            cases = {}
            for keys, g in ch.cases:
                body = _node(g)
                for lo, hi in keys:
                    if hi - lo > 4096:
                        raise ValueError(f"switch case range {lo}..{hi} is too wide for construct")
                    for k in range(lo, hi + 1):
                        cases.setdefault(k, body)
            default = _node(ch.default) if ch.default else c.Struct()
            out.append(ch.id / c.Switch(this_expr(ch.on), cases, default=default))
        elif isinstance(ch, LOptional):
            out.append(ch.id / c.If(this_expr(ch.test), _node(ch.body)))
        elif isinstance(ch, LRecord) and ch.synthetic:
            out.append(ch.id / _node(ch))
        elif isinstance(ch, LArray) and ch.element is None:
            for i, (count, el) in enumerate(ch.segments):
                out.append(f"_seg_{ch.id}_{i}" / c.Array(count, _node(el)))
        else:
            out.append(ch.id / _node(ch))
    return out


def struct_of(root: LRecord) -> c.Struct:
    """The construct for a bound table (a ``Struct``; compile it with ``.compile()``)."""
    return c.Struct(*_fields(root.children))


@lru_cache(maxsize=512)
def compiled_struct_of(root: LRecord):
    """Compiled construct of a bound layout, cached by the layout (bound layouts are hashable)."""
    return struct_of(root).compile()


# ---------------------------------------------------------------------------- values


def normalize(root: LRecord, container) -> dict:
    """A parsed ``Container`` as plain values in the walker's shape."""
    return _norm_record(root, container, [])


def _norm_record(rec: LRecord, ct, scopes: list) -> dict:
    out: dict = {}
    if ct is None:
        return out
    scopes = [*scopes, ct]
    for ch in rec.children:
        if isinstance(ch, (LSwitch, LOptional)) or (isinstance(ch, LRecord) and ch.synthetic):
            sub = ct.get(ch.id)
            if sub is None:
                continue
            group = _group_of(ch, scopes)
            if group is not None:
                out.update(_norm_record(group, sub, scopes))
            continue
        if isinstance(ch, LArray) and ch.element is None:
            items: list = []
            for i, (_, el) in enumerate(ch.segments):
                items += [_norm(el, v, scopes) for v in ct[f"_seg_{ch.id}_{i}"]]
            out[ch.id] = items
            continue
        out[ch.id] = _norm(ch, ct.get(ch.id), scopes)
    if rec.bound is not None and "_pad" in ct:
        out["_pad"] = bytes(ct["_pad"])
    return out


def _group_of(ch, scopes: list) -> LRecord | None:
    """The group that built a switch/if container: chosen by the switch value, as construct did."""
    if isinstance(ch, LRecord):
        return ch
    if isinstance(ch, LOptional):
        return ch.body
    from osgpdissect.layout.binder import eval_bound

    def lookup(loc: Local):
        v = scopes[-1 - loc.up][loc.name]
        for p in loc.path:
            v = v[p]
        return v

    value = eval_bound(ch.on, lookup)
    for keys, g in ch.cases:
        if any(lo <= value <= hi for lo, hi in keys):
            return g
    return ch.default


def _norm(n: LNode, v, scopes: list):
    if isinstance(n, LScalar):
        return {k: v[k] for k in _DATE_PARTS[n.kind]} if n.kind in _DATE_PARTS else v
    if isinstance(n, LBlob):
        return bytes(v)
    if isinstance(n, LBits):
        return {mb.id: v[mb.id] for mb in n.members}
    if isinstance(n, LRecord):
        return _norm_record(n, v, scopes)
    if isinstance(n, LArray):
        return [_norm(n.element, x, scopes) for x in v]
    if isinstance(n, LDerived):
        return v
    raise TypeError(n)


def _strip(d):
    if isinstance(d, dict):
        return {k: _strip(v) for k, v in d.items() if not (k.startswith("_") and k != "_pad")}
    if isinstance(d, list):
        return [_strip(x) for x in d]
    return d


def parse_values(root: LRecord, data: bytes, compiled: bool = True) -> dict:
    """Parse a whole table with construct (compiled by default) into plain values."""
    s = compiled_struct_of(root) if compiled else struct_of(root)
    return normalize(root, s.parse(data))


# ---------------------------------------------------------------------------- building


def _default_int(meta) -> int:
    """A field's build default: a literal ``default``, its numeric ``value`` (TRUE/FALSE as 1/0), else 0."""
    if meta.default is not None:
        from osgpdissect.lang.model import Num

        if isinstance(meta.default, Num):
            return meta.default.value
    if meta.value is None:
        return 0
    text = meta.value.strip().upper()
    if text in ("TRUE", "FALSE"):
        return int(text == "TRUE")
    try:
        return int(text, 0)
    except ValueError:
        return 0


def _fill(n: LNode, v, scope: list[dict]):
    """Complete ``v`` (maybe None) with defaults into the container construct builds from."""
    if isinstance(n, LScalar):
        if n.kind in _DATE_PARTS:
            base = {p: 0 for p in _DATE_PARTS[n.kind]}
            base.update(v or {})
            return base
        return _default_int(n.meta) if v is None else int(v)
    if isinstance(n, LBlob):
        length = _ev(n.length, scope) if n.length is not None else None
        if v is None:
            return bytes(length or 0)
        if isinstance(v, str):
            v = v.encode("latin-1")
        v = bytes(v)
        if length is not None:
            v = v[:length].ljust(length, b"\x00")
        return v
    if isinstance(n, LBits):
        vals = dict(v or {})
        return {mb.id: int(vals.get(mb.id, _default_int(mb.meta))) for mb in n.members}
    if isinstance(n, LRecord):
        return _fill_record(n, v or {}, scope)
    if isinstance(n, LArray):
        items = list(v or [])
        if n.count is not None:
            want = _ev(n.count, scope)
            items = items[:want] + [None] * (want - len(items))
        if n.element is not None:
            return [_fill(n.element, x, scope) for x in items]
        out = []
        i = 0
        for count, el in n.segments:
            out.append([_fill(el, x, scope) for x in items[i : i + count]])
            i += count
        return out
    return v


def _fill_record(rec: LRecord, values: dict, scope: list[dict]) -> dict:
    out: dict = {}
    scope.append(out)
    try:
        for ch in rec.children:
            if isinstance(ch, LDerived):
                continue
            if isinstance(ch, LSwitch):
                g = _choose(ch, scope)
                out[ch.id] = _fill_record(g, values, scope) if g is not None else {}
                continue
            if isinstance(ch, LOptional):
                from osgpdissect.layout.binder import eval_bound

                present = eval_bound(ch.test, lambda loc: _lookup(scope, loc))
                out[ch.id] = _fill_record(ch.body, values, scope) if present else None
                continue
            if isinstance(ch, LRecord) and ch.synthetic:
                out[ch.id] = _fill_record(ch, values, scope)
                continue
            filled = _fill(ch, values.get(ch.id), scope)
            if isinstance(ch, LArray) and ch.element is None:
                for i, part in enumerate(filled):
                    out[f"_seg_{ch.id}_{i}"] = part
            out[ch.id] = filled
        if rec.bound is not None:
            out["_pad"] = bytes(values.get("_pad") or b"")
    finally:
        scope.pop()
    return out


def _ev(e, scope) -> int:
    from osgpdissect.layout.binder import eval_bound

    if isinstance(e, (int, bool)):
        return int(e)
    try:
        return max(int(eval_bound(e, lambda loc: _lookup(scope, loc))), 0)
    except (TypeError, ZeroDivisionError):
        return 0


def _lookup(scope: list[dict], loc: Local):
    v = scope[-1 - loc.up].get(loc.name, 0)
    for p in loc.path:
        v = v.get(p, 0) if isinstance(v, dict) else 0
    return v if v is not None else 0


def _choose(sw: LSwitch, scope) -> LRecord | None:
    from osgpdissect.layout.binder import eval_bound

    v = eval_bound(sw.on, lambda loc: _lookup(scope, loc))
    for keys, g in sw.cases:
        if any(lo <= v <= hi for lo, hi in keys):
            return g
    return sw.default


def build_values(root: LRecord, values: dict) -> bytes:
    """Bytes of a table from plain values; missing fields take defaults.

    Padding kept from a decode (``_pad``) is written back when it still fits; when edited
    values change an element's used size, elements are re-padded with zeros instead.
    """
    filled = _fill_record(root, values or {}, [])
    try:
        return struct_of(root).build(filled)
    except c.PaddingError:
        return struct_of(root).build(_fill_record(root, _strip_pads(values or {}), []))


def _strip_pads(v):
    if isinstance(v, dict):
        return {k: _strip_pads(x) for k, x in v.items() if k != "_pad"}
    if isinstance(v, list):
        return [_strip_pads(x) for x in v]
    return v
