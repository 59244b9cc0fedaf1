"""Construct classes for bound layouts: one per layout node kind, parsing into the Node tree.

Every class wraps one layout node and knows how to decode it at an absolute table offset inside a
read WINDOW (``CodecState``: the bytes read, where they start in the table, the scopes of values
seen so far, the warnings).  The state travels in construct's context as ``this._params._codec``
(visible at every level, compiled or not): :class:`TableCodec` creates it from the stream and the
``start`` parameter; a child's ``_parse`` decodes at the state's cursor.

The decoding rules (those of the walker the codec replaced; its decodings are frozen in the
tests): fields wholly inside the window are decoded, fields cut at either end are
``partial`` with their bytes, a layout that needs a value outside the window stops with
:class:`Unknown` (the table shows the rest ``_undecoded``), bytes past a static layout are
``_extra``.  Each class also emits Python source (``_emitparse``) for ``compile()``: see
:mod:`osgpdissect.codec.emit`.
"""

from __future__ import annotations

import struct
from typing import Any

import construct as cs

from osgpdissect.codec.display import (
    DATE_PARTS,
    bits_reader,
    blob_display,
    enum_label,
    scalar_bytes,
    scalar_reader,
)
from osgpdissect.codec.expr import DivisionByZero, Unknown, evaluate
from osgpdissect.codec.tree import Node
from osgpdissect.errors import DecodeError
from osgpdissect.layout.binder import (
    BoundExpr,
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


class CodecState:
    """One table read being decoded: bytes, window, value scopes, warnings, the cursor."""

    __slots__ = (
        "data",
        "start",
        "end",
        "scopes",
        "warnings",
        "_hexed",
        "pos",
        "limit",
        "values",
        "nodes",
    )

    def __init__(self, data: bytes, start: int):
        self.data = data
        self.start = start
        self.end = start + len(data)
        self.scopes: list[dict] = []
        self.warnings: list[str] = []
        self._hexed: str | None = None
        self.pos = start
        self.limit: int | None = None
        self.values: dict = {}
        self.nodes: list[Node] = []

    @property
    def hexed(self) -> str:
        """The whole window as ``"01 02 AB"`` (sliced per field: 3 characters a byte)."""
        if self._hexed is None:
            self._hexed = self.data.hex(" ").upper()
        return self._hexed

    def lookup(self, loc: Local) -> Any:
        try:
            v = self.scopes[-1 - loc.up][loc.name]
        except (IndexError, KeyError):
            raise Unknown(loc.name) from None
        for p in loc.path:
            if not isinstance(v, dict) or p not in v:
                raise Unknown(loc.name)
            v = v[p]
        if v is None:
            raise Unknown(loc.name)
        return v

    def ev(self, e: BoundExpr) -> int:
        if isinstance(e, (int, bool)):
            return int(e)
        return int(evaluate(e, self.lookup))

    def window(self, off: int, size: int) -> tuple[bytes | None, bool]:
        """(bytes, partial): the field's bytes if inside the window, else the part we have."""
        a, b = off, off + size
        if a >= self.start and b <= self.end:
            return self.data[a - self.start : b - self.start], False
        lo, hi = max(a, self.start), min(b, self.end)
        if lo < hi:
            return self.data[lo - self.start : hi - self.start], True
        return None, False


def lookup_in(scopes: list[dict], up: int, name: str, path: tuple[str, ...]) -> Any:
    """``CodecState.lookup`` for compiled code (same rules)."""
    try:
        v = scopes[-1 - up][name]
    except (IndexError, KeyError):
        raise Unknown(name) from None
    for p in path:
        if not isinstance(v, dict) or p not in v:
            raise Unknown(name)
        v = v[p]
    if v is None:
        raise Unknown(name)
    return v


def child_state(stream, context) -> CodecState:
    """The state a node construct parses with: the table's, or (parsed alone) one whose window
    is the rest of the stream, starting at the ``start`` parameter (default 0)."""
    st = context._params.get("_codec")
    if st is None:
        st = CodecState(bytes(stream.read()), int(context._params.get("start", 0)))
        context._params._codec = st
    return st


def overrun(
    st: CodecState, c: LNode, pos: int, size: int, limit: int, values: dict, nodes: list[Node]
) -> int:
    """A field that runs past its element's declared size: shown cut, with a warning."""
    avail = max(limit - pos, 0)
    raw = st.window(pos, avail)[0] or b""
    st.warnings.append(f"{c.id} ({size} bytes at {pos}) runs past its element's end at {limit}")
    nodes.append(Node(c.id, c.meta.orig_name, pos, avail, None, raw.hex(" ").upper(), partial=True))
    values[c.id] = None
    return max(limit, pos)


class LayoutConstruct(cs.Construct):
    """Base: a construct decoding one layout node at the state's cursor."""

    aggregate_kind = False
    node: Any  # the layout node (each subclass narrows it)

    def __init__(self, node: LNode):
        super().__init__()
        self.node = node
        self.name = node.id

    # ------------------------------------------------------------ construct protocol
    def _parse(self, stream, context, path):
        st = child_state(stream, context)
        st.pos = self.walk(st, st.pos, st.limit, st.values, st.nodes)
        return st.values.get(self.node.id)

    def _sizeof(self, context, path):
        if self.node.size is None:
            raise cs.SizeofError(f"{self.node.id}: the size depends on the bytes", path=path)
        return self.node.size

    def _emitparse(self, code):
        from osgpdissect.codec.emit import emit_child_parse

        return emit_child_parse(self, code)

    def _emitbuild(self, code):
        from osgpdissect.codec.emit import emit_child_build

        return emit_child_build(self, code)

    # ------------------------------------------------------------ decoding
    def size_at(self, st: CodecState, off: int, limit: int | None) -> int:
        if self.node.size is not None:
            return self.node.size
        raise Unknown(self.node.id)

    def walk(
        self, st: CodecState, pos: int, limit: int | None, values: dict, nodes: list[Node]
    ) -> int:
        """Decode this node as a child of a record at ``pos``; return the end offset."""
        c = self.node
        node: Node | None
        if self.aggregate_kind and c.size is None:
            node, value = self.aggregate(st, pos, 0, limit)
            size = node.size
        else:
            size = self.size_at(st, pos, limit)
            if limit is not None and pos + size > limit:
                return overrun(st, c, pos, size, limit, values, nodes)
            node, value = self.field(st, pos, size, limit)
        if node is not None:
            nodes.append(node)
        values[c.id] = value
        return pos + size

    def field(
        self, st: CodecState, off: int, size: int, limit: int | None
    ) -> tuple[Node | None, Any]:
        """The node (None when outside the window) and plain value of this field at ``off``."""
        if self.aggregate_kind:
            if size == 0 or (off < st.end and off + size > st.start):
                return self.aggregate(st, off, size, limit)
            return None, None
        if size == 0 and st.start <= off <= st.end:
            pass
        elif off + size <= st.start or off >= st.end:
            return None, None
        raw, partial = st.window(off, size)
        if raw is None:
            return None, None
        meta = self.node.meta
        node = Node(
            self.node.id, meta.orig_name, off, size, None, raw.hex(" ").upper(), None, meta.unit
        )
        if partial:
            node.partial = True
            return node, None
        return node, self.full(node, off, raw)

    def full(self, node: Node, off: int, raw: bytes) -> Any:
        """Fill ``node`` from the leaf's complete bytes; return the plain value."""
        raise NotImplementedError

    def aggregate(self, st: CodecState, off: int, size: int, limit: int | None) -> tuple[Node, Any]:
        raise NotImplementedError

    def put_child(self, bs: BuildState, values: dict, out: dict) -> None:
        """Write this node as a record's child from the record's given ``values`` into ``out``."""
        out[self.node.id] = self.put(bs, values.get(self.node.id))

    def _build(self, obj, stream, context, path):
        """Build this node alone (values it needs from outside read as 0)."""
        bs = BuildState()
        value = self.put(bs, obj)
        stream.write(bytes(bs.out))
        return value


class ScalarC(LayoutConstruct):
    """A scalar leaf: integers, FILL, the guide's date/time types, ANSI_DATE, MFG_CODE."""

    node: LScalar

    def __init__(self, node: LScalar):
        super().__init__(node)
        self.read = scalar_reader(node)

    def full(self, node: Node, off: int, raw: bytes) -> Any:
        plain, node.value = self.read(raw)
        if self.node.enum is not None and isinstance(plain, int):
            node.enum = enum_label(self.node.enum, plain)
        return plain

    def put(self, bs: BuildState, v: Any) -> Any:
        n = self.node
        if n.kind in DATE_PARTS:
            parts = {p: 0 for p in DATE_PARTS[n.kind]}
            parts.update(v or {})
            bs.out += scalar_bytes(n, parts)
            return parts
        x = default_int(n.meta) if v is None else int(v)
        bs.out += scalar_bytes(n, x)
        return x


class BlobC(LayoutConstruct):
    """A byte run shown as one value; ``length`` None = the rest of the enclosing bound."""

    node: LBlob

    def size_at(self, st: CodecState, off: int, limit: int | None) -> int:
        n = self.node
        if n.size is not None:
            return n.size
        if n.length is None:
            return max((limit if limit is not None else st.end) - off, 0)
        return st.ev(n.length)

    def full(self, node: Node, off: int, raw: bytes) -> Any:
        plain, shown = blob_display(self.node, raw)
        node.value = shown
        if self.node.enum is not None and self.node.kind == "nibble":
            e = self.node.enum
            node.children = [
                Node(f"[{i}]", "", off + i // 2, 1, v, f"{v:X}", enum_label(e, v))
                for i, v in enumerate(shown)
            ]
        return plain

    def put(self, bs: BuildState, v: Any) -> Any:
        n = self.node
        length = bs.ev(n.length) if n.length is not None else None
        if v is None:
            v = bytes(length or 0)
        elif isinstance(v, str):
            v = v.encode("latin-1")
        v = bytes(v)
        if length is not None:
            v = v[:length].ljust(length, b"\x00")
        bs.out += v
        return v


class BitsC(LayoutConstruct):
    """A bit-field container: LSB-first members, signed INT members, FILL hidden when 0."""

    node: LBits

    def __init__(self, node: LBits):
        super().__init__(node)
        self.read = bits_reader(node)

    def full(self, node: Node, off: int, raw: bytes) -> Any:
        c = self.node
        v = self.read(raw)
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
            node.children.append(
                Node(
                    mb.id,
                    mb.meta.orig_name,
                    off + byte,
                    1,
                    shown,
                    f"{mv:X}",
                    enum_label(mb.enum, mv),
                    mb.meta.unit,
                )
            )
        return vals

    def put(self, bs: BuildState, v: Any) -> Any:
        n = self.node
        given = dict(v or {})
        vals = {mb.id: int(given.get(mb.id, default_int(mb.meta))) for mb in n.members}
        raw = 0
        for mb in n.members:
            raw |= (vals[mb.id] & ((1 << mb.width) - 1)) << mb.lo
        bs.out += raw.to_bytes(n.width, "big" if n.big_endian else "little")
        return vals


class DerivedC(LayoutConstruct):
    """A computed value (``derived``) or a hidden ``let`` kept for later expressions."""

    node: LDerived

    def walk(self, st, pos, limit, values, nodes):
        c = self.node
        try:
            v = st.ev(c.expr)
        except DivisionByZero as exc:
            st.warnings.append(f"{c.id}: {exc}; its value is unknown")
            v = None
        except Unknown:
            v = None
        values[c.id] = v
        if not c.hidden and v is not None:
            nodes.append(Node(c.id, c.meta.orig_name, pos, 0, v, "", None, c.meta.unit))
        return pos

    def put(self, bs: BuildState, v: Any) -> Any:
        try:
            return int(evaluate(self.node.expr, bs.lookup))
        except (TypeError, ZeroDivisionError):
            return None

    def put_child(self, bs: BuildState, values: dict, out: dict) -> None:
        out[self.node.id] = self.put(bs, None)


class RecordC(LayoutConstruct):
    """A record: own scope, element ``bound`` with ``_pad``; synthetic groups join the parent."""

    node: LRecord
    aggregate_kind = True

    def __init__(self, node: LRecord):
        super().__init__(node)
        self.children = [construct_of(c) for c in node.children]

    def record(
        self, st: CodecState, off: int, limit: int | None, values: dict, nodes: list[Node]
    ) -> int:
        """Decode the children at ``off`` into ``values``/``nodes``; return the end offset."""
        st.scopes.append(values)
        try:
            pos = off
            for c in self.children:
                pos = c.walk(st, pos, limit, values, nodes)
        finally:
            st.scopes.pop()
        return pos

    def group(self, st, pos, limit, values, nodes) -> int:
        inner: dict = {}
        end = self.record(st, pos, limit, inner, nodes)
        values.update(inner)
        return end

    def walk(self, st, pos, limit, values, nodes):
        if self.node.synthetic:
            return self.group(st, pos, limit, values, nodes)
        return super().walk(st, pos, limit, values, nodes)

    def aggregate(self, st, off, size, limit):
        c = self.node
        if c.bound is not None and c.size is None:
            size = st.ev(c.bound)  # sized by the bytes before it (evaluated at the parent level)
        node = Node(c.id, c.meta.orig_name, off, size, None, "", None, c.meta.unit)
        values: dict = {}
        end_limit = off + size if c.bound is not None or c.size is not None else limit
        end = self.record(st, off, end_limit, values, node.children)
        if c.bound is not None:
            record_pad(st, node, values, off, size, end)
        node.size = size if c.bound is not None else end - off
        node.partial = node.size > 0 and not (off >= st.start and off + node.size <= st.end)
        return node, values

    def put(self, bs: BuildState, v: Any) -> Any:
        """Write the record; an element bound pads (kept ``_pad`` first, then zeros) to its size."""
        n = self.node
        values = v or {}
        size = bs.ev(n.bound) if n.bound is not None else None  # evaluated at the parent level
        begin = len(bs.out)
        out = self.put_children(bs, values)
        if size is not None:
            pad_to(bs, out, values, begin, size, n.id)
        return out

    def put_children(self, bs: BuildState, values: dict) -> dict:
        out: dict = {}
        bs.scopes.append(out)
        try:
            for c in self.children:
                c.put_child(bs, values, out)
        finally:
            bs.scopes.pop()
        return out

    def put_child(self, bs: BuildState, values: dict, out: dict) -> None:
        if self.node.synthetic:
            _group_child(self, bs, values, out)
        else:
            out[self.node.id] = self.put(bs, values.get(self.node.id))


class SwitchC(LayoutConstruct):
    """A switch (or if/else): case ranges, default; the chosen group's fields join the parent."""

    node: LSwitch

    def __init__(self, node: LSwitch):
        super().__init__(node)
        self.cases = [(keys, RecordC(g)) for keys, g in node.cases]
        self.default = RecordC(node.default) if node.default is not None else None

    def choose(self, st: CodecState) -> RecordC | None:
        v = st.ev(self.node.on)
        for keys, g in self.cases:
            if any(lo <= v <= hi for lo, hi in keys):
                return g
        return self.default

    def walk(self, st, pos, limit, values, nodes):
        g = self.choose(st)
        if g is None:
            return pos
        return g.group(st, pos, limit, values, nodes)

    def put(self, bs: BuildState, v: Any) -> Any:
        """Build alone: ``v`` holds the chosen group's fields."""
        out: dict = {}
        self.put_child(bs, v or {}, out)
        return out

    def put_child(self, bs: BuildState, values: dict, out: dict) -> None:
        v = bs.test(self.node.on)
        for keys, g in self.cases:
            if any(lo <= v <= hi for lo, hi in keys):
                _group_child(g, bs, values, out)
                return
        if self.default is not None:
            _group_child(self.default, bs, values, out)


class OptionalC(LayoutConstruct):
    """``if`` without ``else``: the body's fields join the parent when the test holds."""

    node: LOptional

    def __init__(self, node: LOptional):
        super().__init__(node)
        assert node.body is not None
        self.body = RecordC(node.body)

    def walk(self, st, pos, limit, values, nodes):
        if not st.ev(self.node.test):
            return pos
        return self.body.group(st, pos, limit, values, nodes)

    def put(self, bs: BuildState, v: Any) -> Any:
        """Build alone: ``v`` holds the body's fields."""
        out: dict = {}
        self.put_child(bs, v or {}, out)
        return out

    def put_child(self, bs: BuildState, values: dict, out: dict) -> None:
        if bs.test(self.node.test):
            _group_child(self.body, bs, values, out)


class ArrayC(LayoutConstruct):
    """An array: ``count`` (None = greedy to the bound), index ``segments``, F33 ``chain`` joining.

    Elements of a fixed size outside the window are skipped arithmetically (a read at a huge
    offset costs the same as one at 0).
    """

    node: LArray
    aggregate_kind = True

    def __init__(self, node: LArray):
        super().__init__(node)
        if node.element is not None:
            self.parts: list[tuple[int | None, LayoutConstruct]] = [
                (None, construct_of(node.element))
            ]
        else:
            self.parts = [(n, construct_of(e)) for n, e in node.segments]

    def aggregate(self, st, off, size, limit):
        c = self.node
        node = Node(c.id, c.meta.orig_name, off, size, None, "", None, c.meta.unit)
        items = Items()
        pos = off
        idx = 0
        total = None if c.count is None else st.ev(c.count)
        for seg_count, el in self.parts:
            n = total if seg_count is None else seg_count
            esize = el.node.size
            if n is None:  # [*]: until the bound
                stop = limit if limit is not None else st.end
                if esize and pos < st.start and pos < stop:
                    # whole elements before the window give no node and a None value: skip them
                    k = min((st.start - pos) // esize, -(-(stop - pos) // esize))
                    items.nones(k)
                    pos += k * esize
                    idx += k
                while pos < stop and pos < st.end:
                    pos = self.element(st, el, pos, limit, idx, node, items)
                    idx += 1
                continue
            if esize is not None and esize > 0:
                first = min(max(0, (st.start - pos) // esize) if pos < st.start else 0, n)
                last = max(min(n, -(-(st.end - pos) // esize)) if st.end > pos else 0, first)
                items.nones(first)
                for i in range(first, last):
                    self.element(st, el, pos + i * esize, limit, idx + i, node, items)
                items.nones(n - last)
                pos += n * esize
                idx += n
            else:
                for _ in range(n):
                    pos = self.element(st, el, pos, limit, idx, node, items)
                    idx += 1
        node.size = pos - off
        node.partial = not (off >= st.start and pos <= st.end)
        value = items.done()
        if c.chain is not None:
            join_chain(st, c.chain, node, value)
        return node, value

    @staticmethod
    def element(st, el: LayoutConstruct, pos, limit, idx, parent: Node, items: list) -> int:
        if not el.aggregate_kind or el.node.size is not None:
            size = el.size_at(st, pos, limit)
            sub, value = el.field(st, pos, size, limit)
        else:
            sub, value = el.aggregate(st, pos, 0, limit)
            size = sub.size
        if sub is not None:
            sub.name = f"[{idx}]"
            parent.children.append(sub)
        items.append(value)
        return pos + size

    def put(self, bs: BuildState, v: Any) -> Any:
        n = self.node
        items = list(v or [])
        if n.count is not None:
            want = bs.ev(n.count)
            items = items[:want] + [None] * (want - len(items))
        out: list = []
        i = 0
        for seg_count, el in self.parts:
            chunk = items[i:] if seg_count is None else items[i : i + seg_count]
            out += [el.put(bs, x) for x in chunk]
            i += len(chunk)
        return out


class Items:
    """An array's values being collected; long runs of None (elements outside the window) are
    counted, not stored, so a read at a huge offset costs the same as one at 0."""

    __slots__ = ("lead", "body", "trail")
    BIG = 4096

    def __init__(self):
        self.lead = 0
        self.body: list = []
        self.trail = 0

    def nones(self, k: int) -> None:
        if k > 0:
            if self.body:
                self.trail += k
            else:
                self.lead += k

    def append(self, v: Any) -> None:
        if v is None:
            self.nones(1)
            return
        if self.trail:
            self.body.extend([None] * self.trail)
            self.trail = 0
        self.body.append(v)

    def done(self) -> list:
        if self.lead + self.trail > self.BIG:
            return NoneRuns(self.lead, self.body, self.trail)
        if not self.lead and not self.trail:
            return self.body
        return [None] * self.lead + self.body + [None] * self.trail


class NoneRuns(list):
    """A long array seen through a window: ``lead`` Nones, the decoded items, ``trail`` Nones.

    Behaves as the full list for ``len``, indexing, iteration and ``==`` without storing the
    Nones; as a ``list`` subclass it holds only the decoded items.
    """

    def __init__(self, lead: int, body: list, trail: int):
        super().__init__(body)
        self.lead = lead
        self.trail = trail

    def __len__(self) -> int:
        return self.lead + super().__len__() + self.trail

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        j = i - self.lead
        return super().__getitem__(j) if 0 <= j < super().__len__() else None

    def __iter__(self):
        yield from (None for _ in range(self.lead))
        yield from super().__iter__()
        yield from (None for _ in range(self.trail))

    def __repr__(self) -> str:
        return f"NoneRuns(lead={self.lead}, items={list.__repr__(self)}, trail={self.trail})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, list) or len(self) != len(other):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]


def join_chain(st: CodecState, chain, node: Node, items: list) -> None:
    """F33: a base element's field followed by the same field of the elements that continue it."""
    field_id, cond = chain
    elements = {int(ch.name[1:-1]): ch for ch in node.children if ch.name.startswith("[")}

    def continues(i: int) -> bool:
        if i >= len(items) or not isinstance(items[i], dict):
            return False
        st.scopes.append(items[i])
        try:
            return bool(st.ev(cond))
        except Unknown:
            return False
        finally:
            st.scopes.pop()

    for i, el in elements.items():
        base = el.find(field_id)
        if base is None or continues(i):
            continue
        parts, j = [base], i + 1
        while continues(j) and j in elements:
            nxt = elements[j].find(field_id)
            if nxt is None:
                break
            parts.append(nxt)
            j += 1
        if len(parts) == 1 or any(p.partial for p in parts):
            continue
        raw = " ".join(p.raw for p in parts)
        el.children.append(
            Node(
                f"{field_id}_chain",
                f"{base.orig_name} (joined over {len(parts)} entries)",
                base.offset,
                sum(p.size for p in parts),
                raw,
                raw,
            )
        )


_KINDS: dict[type, type[LayoutConstruct]] = {
    LScalar: ScalarC,
    LBlob: BlobC,
    LBits: BitsC,
    LDerived: DerivedC,
    LRecord: RecordC,
    LSwitch: SwitchC,
    LOptional: OptionalC,
    LArray: ArrayC,
}


def construct_of(node: LNode) -> LayoutConstruct:
    """The construct class instance for one layout node."""
    return _KINDS[type(node)](node)


class TableCodec(cs.Construct):
    """A whole bound table (or procedure part) read through a window.

    Parse with ``codec.parse(data, start=offset + base)``; the result is
    ``(nodes, values, warnings)``.
    """

    def __init__(self, root: LRecord, base: int):
        super().__init__()
        self.root = RecordC(root)
        self.base = base
        self.static_size = root.size

    def _parse(self, stream, context, path):
        data = stream.read()
        st = CodecState(bytes(data), int(context._params.start))
        context._params._codec = st
        values: dict = {}
        nodes: list[Node] = []
        end = self.base
        try:
            end = self.root.record(st, self.base, None, values, nodes)
        except Unknown as exc:
            undecoded(st, nodes, exc)
        extra(st, nodes, end, self.base, self.static_size)
        return nodes, values, st.warnings

    def _sizeof(self, context, path):
        if self.static_size is None:
            raise cs.SizeofError("the table's size depends on its bytes", path=path)
        return self.static_size

    def _emitparse(self, code):
        from osgpdissect.codec.emit import emit_table_parse

        return emit_table_parse(self, code)

    def _build(self, obj, stream, context, path):
        stream.write(build_bytes(self.root, obj))
        return obj

    def _emitbuild(self, code):
        from osgpdissect.codec.emit import emit_table_build

        return emit_table_build(self, code)


def undecoded(st: CodecState, nodes: list[Node], exc: Unknown) -> None:
    """The layout needs a value outside the read (or one divided by zero): warn, show the rest
    raw."""
    if isinstance(exc, DivisionByZero):
        st.warnings.append(f"{exc} in a layout expression; the rest is shown raw")
    else:
        st.warnings.append(
            f"layout after {exc.args[0]!r} depends on bytes outside this read; the rest is shown raw"
        )
    covered = max((n.offset + n.size for n in nodes), default=st.start)
    rest = st.window(covered, st.end - covered)[0]
    if rest:
        nodes.append(
            Node(
                "_undecoded",
                "undecoded bytes",
                covered,
                len(rest),
                None,
                rest.hex(" ").upper(),
                partial=True,
            )
        )


def extra(st: CodecState, nodes: list[Node], end: int, base: int, static_size: int | None) -> None:
    """Bytes past a static layout: shown ``_extra`` with a warning."""
    if st.end > end and static_size is not None:
        rest = st.window(end, st.end - end)[0] or b""
        if rest:
            st.warnings.append(f"{len(rest)} byte(s) beyond the table's {end - base}-byte layout")
            nodes.append(
                Node(
                    "_extra", "bytes beyond the layout", end, len(rest), None, rest.hex(" ").upper()
                )
            )


# ============================================================================ building


class BuildError(DecodeError):
    """Values that cannot be written into the layout."""


class PadOverflow(Exception):
    """Kept padding no longer fits an element bound: the table is rebuilt with zero padding."""


class BuildState:
    """One table being built: output bytes, scopes of the (completed) values written so far.

    A value the build needs but was not given reads as 0 (missing fields take defaults).
    """

    __slots__ = ("out", "scopes", "keep_pads")

    def __init__(self, keep_pads: bool = True):
        self.out = bytearray()
        self.scopes: list[dict] = []
        self.keep_pads = keep_pads

    def lookup(self, loc: Local) -> Any:
        v = self.scopes[-1 - loc.up].get(loc.name, 0) if loc.up < len(self.scopes) else 0
        for p in loc.path:
            v = v.get(p, 0) if isinstance(v, dict) else 0
        return v if v is not None else 0

    def ev(self, e: BoundExpr) -> int:
        """A size or count: never negative; an expression that cannot be computed gives 0."""
        if isinstance(e, (int, bool)):
            return int(e)
        try:
            return max(int(evaluate(e, self.lookup)), 0)
        except (TypeError, ZeroDivisionError):
            return 0

    def test(self, e: BoundExpr) -> Any:
        return e if isinstance(e, (int, bool)) else evaluate(e, self.lookup)


def default_int(meta) -> int:
    """A field's build default: literal ``default``, numeric ``value`` (TRUE/FALSE 1/0), else 0."""
    from osgpdissect.lang.model import Num

    if meta.default is not None and isinstance(meta.default, Num):
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


def _group_child(g: RecordC, bs: BuildState, values: dict, out: dict) -> None:
    out.update(g.put_children(bs, values))


def build_bytes(root: RecordC, values: dict) -> bytes:
    """A table's bytes from plain values; kept ``_pad`` is dropped when it no longer fits."""
    return build_with(root.put_children, values)


def build_with(put_children, values: dict) -> bytes:
    """Run a root's ``put_children`` (interpreted or emitted): retry without kept padding when it
    no longer fits; values that cannot be written raise :class:`BuildError`."""
    try:
        try:
            bs = BuildState()
            put_children(bs, values or {})
        except PadOverflow:
            bs = BuildState(keep_pads=False)
            put_children(bs, values or {})
    except PadOverflow as exc:
        raise BuildError(
            f"{exc.args[0]}: the values need more bytes than its element size"
        ) from None
    except (OverflowError, struct.error) as exc:
        raise BuildError(f"a value does not fit its field: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise BuildError(f"a value of the wrong kind for its field: {exc}") from None
    return bytes(bs.out)


def pad_to(bs: BuildState, out: dict, values: dict, begin: int, size: int, name: str) -> None:
    """Pad an element to its bound: kept ``_pad`` first (while it fits), then zeros."""
    used = len(bs.out) - begin
    pad = bytes(values.get("_pad") or b"") if bs.keep_pads else b""
    if used + len(pad) > size:
        raise PadOverflow(name)
    bs.out += pad + bytes(size - used - len(pad))
    out["_pad"] = pad


def record_pad(st: CodecState, node: Node, values: dict, off: int, size: int, end: int) -> None:
    """An element bound's padding: ``_pad`` value, and a node when not all zero."""
    values["_pad"] = b""
    if end < off + size:
        raw, partial = st.window(end, off + size - end)
        if raw is not None:
            values["_pad"] = None if partial else raw
            if raw.strip(b"\x00"):
                node.children.append(
                    Node(
                        "_pad",
                        "padding",
                        end,
                        off + size - end,
                        None,
                        raw.hex(" ").upper(),
                        partial=partial,
                    )
                )
