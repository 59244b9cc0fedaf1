"""Python source for the codec's constructs: what ``compile()`` turns a table structure into.

Each construct instance gets module-level functions specialised to its layout node (sizes,
names, expressions inlined), with the same rules as its interpreted ``walk``/``field``/
``aggregate`` methods in :mod:`osgpdissect.codec.constructs`:

* ``walk_N(st, pos, limit, values, nodes) -> end``: the node as a record's child;
* ``field_N(st, off, size, limit) -> (node, value)``: the node at a known offset and size;
* ``rec_N``/``agg_N``: a record's children / an aggregate's node and value.

Runs of consecutive fixed-size integers are read by ONE ``struct.unpack_from`` when they are
wholly inside the window and the element bound (else field by field, as interpreted).  Objects
the code needs (enums, structs, layout nodes) are module constants handed over through
:data:`CONSTS` while the module executes.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterator
from typing import Any

from osgpdissect.codec import constructs as k
from osgpdissect.codec.expr import emit as emit_expr
from osgpdissect.layout.binder import Local

CONSTS: dict[str, Any] = {}
_serial = itertools.count()

STRUCT_CODES = {
    (1, False): "B",
    (1, True): "b",
    (2, False): "H",
    (2, True): "h",
    (4, False): "I",
    (4, True): "i",
    (8, False): "Q",
    (8, True): "q",
}

RUNTIME_IMPORT = """
from osgpdissect.codec.emit_runtime import *
from osgpdissect.codec.emit import CONSTS as _CONSTS
"""


def _local(loc: Local) -> str:
    return f"lookup_in(scopes, {loc.up}, {loc.name!r}, {loc.path!r})"


def _ev(e) -> str:
    """Source of the walker's ``ev``: an int (the expression needs ``scopes`` in scope)."""
    if isinstance(e, (bool, int)):
        return repr(int(e))
    return f"int({emit_expr(e, _local)})"


def fusable(c: k.LayoutConstruct) -> bool:
    n = c.node
    return (
        isinstance(c, k.ScalarC)
        and n.kind in ("int", "fill")
        and n.size is not None
        and (n.size, n.signed) in STRUCT_CODES
    )


def runs_and_singles(kids) -> Iterator[list[k.LayoutConstruct] | k.LayoutConstruct]:
    """``kids`` in order: runs of fusable integers of one byte order (as lists), others alone."""
    i = 0
    while i < len(kids):
        if fusable(kids[i]):
            j = i
            while j < len(kids) and fusable(kids[j]) and kids[j].node.big_endian == kids[i].node.big_endian:
                j += 1
            yield list(kids[i:j])
            i = j
        else:
            yield kids[i]
            i += 1


def _indent(lines: list[str], by: int = 1) -> list[str]:
    return ["    " * by + s for s in lines]


class _EmitsOnce:
    """Emits each construct's functions once per compile; ``names`` returns their id suffix."""

    done: dict[int, str]

    def names(self, c: k.LayoutConstruct) -> str:
        """Emit ``c``'s functions (once); return its id suffix."""
        key = id(c)
        if key not in self.done:
            self.done[key] = str(next(_serial))
            self._emit(c, self.done[key])
        return self.done[key]

    def _emit(self, c: k.LayoutConstruct, suffix: str) -> None:
        raise NotImplementedError


class Emitter(_EmitsOnce):
    """Emits the functions of one compile (one ``CodeGen``)."""

    def __init__(self, code):
        self.code = code
        self.done: dict[int, str] = {}
        code.append(RUNTIME_IMPORT)

    # ------------------------------------------------------------ helpers
    def const(self, obj: Any, hint: str = "k") -> str:
        name = f"_{hint}{next(_serial)}"
        CONSTS[name] = obj
        self.code.append(f"{name} = _CONSTS.pop({name!r})")
        return name

    def define(self, src: str) -> None:
        self.code.append(src)

    def _emit(self, c: k.LayoutConstruct, suffix: str) -> None:
        if isinstance(c, k.RecordC):
            self._record(c, suffix)
        elif isinstance(c, k.ArrayC):
            self._array(c, suffix)
        elif isinstance(c, k.SwitchC):
            self._switch(c, suffix)
        elif isinstance(c, k.OptionalC):
            self._optional(c, suffix)
        elif isinstance(c, k.DerivedC):
            self._derived(c, suffix)
        else:
            self._leaf(c, suffix)

    # ------------------------------------------------------------ leaves
    def _size_src(self, c: k.LayoutConstruct) -> str:
        n = c.node
        if n.size is not None:
            return repr(n.size)
        if isinstance(c, k.BlobC):
            if n.length is None:
                return "max((limit if limit is not None else st.end) - pos, 0)"
            return _ev(n.length)
        return f"_raise_unknown({n.id!r})"

    def _walk_leaf_like(self, c: k.LayoutConstruct, s: str) -> None:
        """``walk`` for a node of static or computed size: overrun check, then ``field``."""
        n = c.node
        node_c = self.const(n, "n")
        self.define(f"""
def walk_{s}(st, pos, limit, values, nodes):
    scopes = st.scopes
    size = {self._size_src(c)}
    if limit is not None and pos + size > limit:
        return overrun(st, {node_c}, pos, size, limit, values, nodes)
    node, v = field_{s}(st, pos, size, limit)
    if node is not None:
        nodes.append(node)
    values[{n.id!r}] = v
    return pos + size
""")

    def _leaf(self, c: k.LayoutConstruct, s: str) -> None:
        n = c.node
        meta = n.meta
        lines = [
            f"def field_{s}(st, off, size, limit):",
            "    start = st.start",
            "    end = st.end",
            "    if size == 0 and start <= off <= end:",
            "        pass",
            "    elif off + size <= start or off >= end:",
            "        return None, None",
            "    if off < start or off + size > end:",
            f"        return partial_leaf(st, off, size, {n.id!r}, {meta.orig_name!r}, {meta.unit!r})",
            "    a = off - start",
            "    hexed = st.hexed",
            f"    node = Node({n.id!r}, {meta.orig_name!r}, off, size, None, "
            "hexed[3 * a:3 * (a + size) - 1] if size else '', "
            f"None, {meta.unit!r})",
        ]
        if fusable(c):
            fmt = ("<" if not n.big_endian else ">") + STRUCT_CODES[(n.size, n.signed)]
            st_c = self.const(struct.Struct(fmt), "s")
            lines.append(f"    v = {st_c}.unpack_from(st.data, a)[0]")
            lines.append("    node.value = v")
            if n.enum is not None:
                lines.append(f"    node.enum = enum_label({self.const(n.enum, 'e')}, v)")
            lines.append("    return node, v")
        elif isinstance(c, k.BitsC):
            lines += self._bits_body(c)
        else:
            inst = self.const(c, "c")
            lines.append(f"    return node, {inst}.full(node, off, st.data[a:a + size])")
        self.define("\n".join(lines) + "\n")
        self._walk_leaf_like(c, s)

    def _bits_body(self, c: k.BitsC) -> list[str]:
        return [*self._bits_lines(c, "node", "a", "off", "v"), "    return node, vals"]

    def _bits_lines(self, c: k.BitsC, node: str, a: str, off: str, out: str) -> list[str]:
        """Decode a bits container whose bytes are inside the window: ``node`` filled, ``out`` the
        members' values (indented one level)."""
        n = c.node
        order = "big" if n.big_endian else "little"
        lines = [
            f"    v = int.from_bytes(st.data[{a}:{a} + {n.size}], {order!r})",
            f"    {node}.value = v",
            f"    kids = {node}.children",
            "    vals = {}",
        ]
        for mb in n.members:
            mask = (1 << mb.width) - 1
            lines.append(f"    mv = (v >> {mb.lo}) & {mask}")
            if mb.kind == "INT":
                lines.append(f"    if mv >> {mb.width - 1}:")
                lines.append(f"        mv -= {1 << mb.width}")
            lines.append(f"    vals[{mb.id!r}] = mv")
            byte = (n.width - 1 - mb.lo // 8) if n.big_endian else mb.lo // 8
            shown = "bool(mv)" if mb.kind == "BOOL" else "mv"
            label = f"enum_label({self.const(mb.enum, 'e')}, mv)" if mb.enum is not None else "None"
            append = (
                f"kids.append(Node({mb.id!r}, {mb.meta.orig_name!r}, {off} + {byte}, 1, {shown}, "
                f"f'{{mv:X}}', {label}, {mb.meta.unit!r}))"
            )
            if mb.kind == "FILL":
                lines += ["    if mv:", f"        {append}"]
            else:
                lines.append(f"    {append}")
        if out != "vals":
            lines.append(f"    {out} = vals")
        return lines

    # ------------------------------------------------------------ whole records (inside the window)
    def children_whole(self, c: k.RecordC) -> bool:
        """Can the record's children be decoded with no window or bound checks when inside both?"""
        return all(self._child_whole(ch) for ch in c.children)

    def _child_whole(self, c: k.LayoutConstruct) -> bool:
        if isinstance(c, k.DerivedC):
            return True
        if isinstance(c, k.RecordC) and c.node.synthetic:
            return c.node.size is not None and self.children_whole(c)
        return self._item_whole(c)

    def _item_whole(self, c: k.LayoutConstruct) -> bool:
        n = c.node
        if n.size is None:
            return False
        if isinstance(c, (k.ScalarC, k.BlobC, k.BitsC)):
            return True
        if isinstance(c, k.RecordC) and not n.synthetic:
            if not self.children_whole(c):
                return False
            csum = sum(ch.node.size for ch in c.children)
            return csum == n.size if n.bound is None else csum <= n.size
        if isinstance(c, k.ArrayC):
            return (
                n.element is not None
                and n.chain is None
                and isinstance(n.count, int)
                and self._item_whole(c.parts[0][1])
            )
        return False

    def _whole_record(self, c: k.RecordC, s: str) -> None:
        """``recw_N``: the children of a record lying wholly inside the window and its bound."""
        body: list[str] = []
        kids = c.children
        rel = 0
        i = 0
        while i < len(kids):
            ch = kids[i]
            if fusable(ch):
                j = i
                while (
                    j < len(kids)
                    and fusable(kids[j])
                    and kids[j].node.big_endian == ch.node.big_endian
                ):
                    j += 1
                body += self._whole_run(kids[i:j], rel)
                rel += sum(r.node.size for r in kids[i:j])
                i = j
                continue
            pos = f"off + {rel}"
            n = ch.node
            if isinstance(ch, k.DerivedC):
                body.append(f"walk_{self.names(ch)}(st, {pos}, None, values, nodes)")
            elif isinstance(ch, k.RecordC) and n.synthetic:
                self.names(ch)
                body += [
                    "inner = {}",
                    f"recw_{self.done[id(ch)]}(st, {pos}, inner, nodes)",
                    "values.update(inner)",
                ]
            else:
                body += self._item_lines(ch, repr(n.id), pos, 0)
                body += ["nodes.append(n0)", f"values[{n.id!r}] = v0"]
            rel += n.size
            i += 1
        head = [
            f"def recw_{s}(st, off, values, nodes):",
            "    data = st.data",
            "    start = st.start",
        ]
        head.append("    hexed = st.hexed")
        if self._uses_scopes(c):  # a derived value below looks values up
            src = [
                *head,
                "    scopes = st.scopes",
                "    scopes.append(values)",
                "    try:",
                *_indent(body or ["pass"], 2),
                "    finally:",
                "        scopes.pop()",
            ]
        else:
            src = [*head, *_indent(body or ["pass"], 1)]
        self.define("\n".join(src) + "\n")

    def _uses_scopes(self, c: k.LayoutConstruct) -> bool:
        """Does a derived value inside ``c`` (on the whole path) evaluate an expression?"""
        if isinstance(c, k.DerivedC):
            return True
        if isinstance(c, k.RecordC):
            return any(self._uses_scopes(ch) for ch in c.children)
        if isinstance(c, k.ArrayC):
            return any(self._uses_scopes(el) for _, el in c.parts)
        return False

    def _whole_run(self, run: list[k.LayoutConstruct], rel: int) -> list[str]:
        order = ">" if run[0].node.big_endian else "<"
        fmt = order + "".join(STRUCT_CODES[(r.node.size, r.node.signed)] for r in run)
        st_c = self.const(struct.Struct(fmt), "s")
        names = [f"v{i}" for i in range(len(run))]
        out = [
            f"a = off + {rel} - start",
            f"{', '.join(names)}{',' if len(run) == 1 else ''} = {st_c}.unpack_from(data, a)",
        ]
        return out + self._run_nodes(names, run, f"off + {rel}", "")

    def _run_nodes(self, names: list[str], run: list[k.LayoutConstruct], base: str,
                   indent: str) -> list[str]:
        """The node and value of each integer of a fused run, unpacked into ``names`` from
        table offset ``base`` (``a``: where the run starts in the window's bytes)."""
        out = []
        rel = 0
        for name, r in zip(names, run, strict=True):
            n = r.node
            label = (
                f"enum_label({self.const(n.enum, 'e')}, {name})" if n.enum is not None else "None"
            )
            out.append(
                f"{indent}nodes.append(Node({n.id!r}, {n.meta.orig_name!r}, {base} + {rel}, {n.size}, "
                f"{name}, hexed[3 * a + {3 * rel}:3 * a + {3 * (rel + n.size) - 1}], {label}, "
                f"{n.meta.unit!r}))"
            )
            out.append(f"{indent}values[{n.id!r}] = {name}")
            rel += n.size
        return out

    def _item_lines(self, c: k.LayoutConstruct, name: str, pos: str, d: int) -> list[str]:
        """Lines setting ``n{d}`` (node) and ``v{d}`` (plain value) of a whole item at ``pos``."""
        n = c.node
        nd, vd, ad = f"n{d}", f"v{d}", f"a{d}"
        meta = n.meta
        if isinstance(c, (k.ScalarC, k.BlobC, k.BitsC)):
            hex_slice = f"hexed[3 * {ad}:3 * {ad} + {3 * n.size - 1}]" if n.size else "''"
            out = [
                f"{ad} = {pos} - start",
                f"{nd} = Node({name}, {meta.orig_name!r}, {pos}, {n.size}, None, "
                f"{hex_slice}, None, {meta.unit!r})",
            ]
            if fusable(c):
                fmt = ("<" if not n.big_endian else ">") + STRUCT_CODES[(n.size, n.signed)]
                out += [
                    f"{vd} = {self.const(struct.Struct(fmt), 's')}.unpack_from(data, {ad})[0]",
                    f"{nd}.value = {vd}",
                ]
                if n.enum is not None:
                    out.append(f"{nd}.enum = enum_label({self.const(n.enum, 'e')}, {vd})")
            elif isinstance(c, k.BitsC):
                out += [x[4:] for x in self._bits_lines(c, nd, ad, f"({pos})", vd)]
            elif isinstance(c, k.ScalarC):
                read = self.const(c.read, "r")
                out.append(f"{vd}, {nd}.value = {read}(data[{ad}:{ad} + {n.size}])")
                if n.enum is not None:
                    out.append(f"if isinstance({vd}, int):")
                    out.append(f"    {nd}.enum = enum_label({self.const(n.enum, 'e')}, {vd})")
            else:
                out.append(
                    f"{vd} = {self.const(c, 'c')}.full({nd}, {pos}, data[{ad}:{ad} + {n.size}])"
                )
            return out
        if isinstance(c, k.RecordC):
            self.names(c)
            cs_ = self.done[id(c)]
            csum = sum(ch.node.size for ch in c.children)
            out = [
                f"{nd} = Node({name}, {meta.orig_name!r}, {pos}, {n.size}, None, '', None, {meta.unit!r})",
                f"{vd} = {{}}",
                f"recw_{cs_}(st, {pos}, {vd}, {nd}.children)",
            ]
            if n.bound is not None:
                padlen = n.size - csum
                if padlen:
                    out += [
                        f"{ad} = {pos} - start + {csum}",
                        f"{vd}['_pad'] = data[{ad}:{ad} + {padlen}]",
                        f"if {vd}['_pad'].strip(b'\\x00'):",
                        f"    {nd}.children.append(Node('_pad', 'padding', {pos} + {csum}, {padlen}, None, "
                        f"hexed[3 * {ad}:3 * {ad} + {3 * padlen - 1}]))",
                    ]
                else:
                    out.append(f"{vd}['_pad'] = b''")
            return out
        assert isinstance(c, k.ArrayC)
        el = c.parts[0][1]
        es = el.node.size
        count = n.count
        kd, idx = f"k{d}", f"i{d}"
        out = [
            f"{nd} = Node({name}, {meta.orig_name!r}, {pos}, {n.size}, None, '', None, {meta.unit!r})",
            f"{kd} = {nd}.children",
        ]
        if fusable(el) and 0 < count <= 1024:  # one unpack for the whole array
            en = el.node
            fmt = ("<" if not en.big_endian else ">") + STRUCT_CODES[(es, en.signed)] * count
            label = f"enum_label({self.const(en.enum, 'e')}, x)" if en.enum is not None else "None"
            out += [
                f"{ad} = {pos} - start",
                f"t{d} = {self.const(struct.Struct(fmt), 's')}.unpack_from(data, {ad})",
                f"for {idx}, x in enumerate(t{d}):",
                f"    h = 3 * {ad} + {3 * es} * {idx}",
                f"    {kd}.append(Node(f'[{{{idx}}}]', {en.meta.orig_name!r}, {pos} + {es} * {idx}, {es}, x, "
                f"hexed[h:h + {3 * es - 1}], {label}, {en.meta.unit!r}))",
                f"{vd} = list(t{d})",
            ]
            return out
        inner = self._item_lines(el, f"f'[{{{idx}}}]'", f"({pos}) + {es} * {idx}", d + 1)
        out += [
            f"{vd} = []",
            f"for {idx} in range({count}):",
            *_indent(inner, 1),
            f"    {kd}.append(n{d + 1})",
            f"    {vd}.append(v{d + 1})",
        ]
        return out

    # ------------------------------------------------------------ derived, switch, optional
    def _derived(self, c: k.DerivedC, s: str) -> None:
        n = c.node
        show = (
            ""
            if n.hidden
            else (
                f"    if v is not None:\n"
                f"        nodes.append(Node({n.id!r}, {n.meta.orig_name!r}, pos, 0, v, '', None, {n.meta.unit!r}))\n"
            )
        )
        self.define(f"""
def walk_{s}(st, pos, limit, values, nodes):
    scopes = st.scopes
    try:
        v = {_ev(n.expr)}
    except DivisionByZero as exc:
        st.warnings.append(f"{n.id}: {{exc}}; its value is unknown")
        v = None
    except Unknown:
        v = None
    values[{n.id!r}] = v
{show}    return pos
""")

    def _group_call(self, g: k.RecordC) -> list[str]:
        gs = self.names(g)
        return [
            "inner = {}",
            f"e = rec_{gs}(st, pos, limit, inner, nodes)",
            "values.update(inner)",
            "return e",
        ]

    def _switch(self, c: k.SwitchC, s: str) -> None:
        lines = [
            f"def walk_{s}(st, pos, limit, values, nodes):",
            "    scopes = st.scopes",
            f"    v = {_ev(c.node.on)}",
        ]
        for keys, g in c.cases:
            test = " or ".join(f"{lo} <= v <= {hi}" for lo, hi in keys) or "False"
            lines.append(f"    if {test}:")
            lines += _indent(self._group_call(g), 2)
        if c.default is not None:
            lines += _indent(self._group_call(c.default))
        else:
            lines.append("    return pos")
        self.define("\n".join(lines) + "\n")

    def _optional(self, c: k.OptionalC, s: str) -> None:
        lines = [
            f"def walk_{s}(st, pos, limit, values, nodes):",
            "    scopes = st.scopes",
            f"    if not {_ev(c.node.test)}:",
            "        return pos",
        ]
        lines += _indent(self._group_call(c.body))
        self.define("\n".join(lines) + "\n")

    # ------------------------------------------------------------ records
    def _record(self, c: k.RecordC, s: str) -> None:
        n = c.node
        body: list[str] = []
        uses_window = False
        for part in runs_and_singles(c.children):
            if isinstance(part, list):
                body += self._fused(part)
                uses_window = True
            else:
                body.append(f"pos = walk_{self.names(part)}(st, pos, limit, values, nodes)")
        head = []
        if self.children_whole(c):
            csum = sum(ch.node.size for ch in c.children)
            self._whole_record(c, s)
            head += [
                f"    if off >= st.start and off + {csum} <= st.end and (limit is None or off + {csum} <= limit):",
                f"        recw_{s}(st, off, values, nodes)",
                f"        return off + {csum}",
            ]
        head.append("    scopes = st.scopes")
        if uses_window:
            head += ["    data = st.data", "    start = st.start", "    end = st.end"]
        src = [
            f"def rec_{s}(st, off, limit, values, nodes):",
            *head,
            "    scopes.append(values)",
            "    try:",
            "        pos = off",
            *_indent(body, 2),
            "    finally:",
            "        scopes.pop()",
            "    return pos",
        ]
        self.define("\n".join(src) + "\n")
        if n.synthetic:
            self.define(f"""
def walk_{s}(st, pos, limit, values, nodes):
    inner = {{}}
    e = rec_{s}(st, pos, limit, inner, nodes)
    values.update(inner)
    return e
""")
            return
        self._aggregate_common(c, s)
        self._record_aggregate(c, s)

    def _fused(self, run: list[k.LayoutConstruct]) -> list[str]:
        """One ``unpack_from`` for consecutive integers inside the window and the bound."""
        order = ">" if run[0].node.big_endian else "<"
        fmt = order + "".join(STRUCT_CODES[(r.node.size, r.node.signed)] for r in run)
        total = sum(r.node.size for r in run)
        st_c = self.const(struct.Struct(fmt), "s")
        names = [f"v{i}" for i in range(len(run))]
        fast = [
            f"e = pos + {total}",
            "if pos >= start and e <= end and (limit is None or e <= limit):",
            "    a = pos - start",
            "    hexed = st.hexed",
            f"    {', '.join(names)}{',' if len(run) == 1 else ''} = {st_c}.unpack_from(data, a)",
        ]
        fast += self._run_nodes(names, run, "pos", "    ")
        fast.append("    pos = e")
        fast.append("else:")
        fast += [f"    pos = walk_{self.names(r)}(st, pos, limit, values, nodes)" for r in run]
        return fast

    def _aggregate_common(self, c: k.LayoutConstruct, s: str) -> None:
        """``walk``/``field`` of an aggregate (record or array) from its ``agg`` function."""
        n = c.node
        if n.size is None:
            self.define(f"""
def walk_{s}(st, pos, limit, values, nodes):
    node, v = agg_{s}(st, pos, 0, limit)
    nodes.append(node)
    values[{n.id!r}] = v
    return pos + node.size
""")
        else:
            self._walk_leaf_like(c, s)
        self.define(f"""
def field_{s}(st, off, size, limit):
    if size == 0 or (off < st.end and off + size > st.start):
        return agg_{s}(st, off, size, limit)
    return None, None
""")

    def _record_aggregate(self, c: k.RecordC, s: str) -> None:
        n = c.node
        lines = [f"def agg_{s}(st, off, size, limit):", "    scopes = st.scopes"]
        if n.bound is not None and n.size is None:
            lines.append(f"    size = {_ev(n.bound)}")
        lines.append(
            f"    node = Node({n.id!r}, {n.meta.orig_name!r}, off, size, None, '', None, {n.meta.unit!r})"
        )
        lines.append("    values = {}")
        if n.bound is not None or n.size is not None:
            lines.append("    end_limit = off + size")
        else:
            lines.append("    end_limit = limit")
        lines.append(f"    end = rec_{s}(st, off, end_limit, values, node.children)")
        if n.bound is not None:
            lines.append("    record_pad(st, node, values, off, size, end)")
            lines.append("    node.size = size")
        else:
            lines.append("    node.size = end - off")
        lines.append(
            "    node.partial = node.size > 0 and not (off >= st.start and off + node.size <= st.end)"
        )
        lines.append("    return node, values")
        self.define("\n".join(lines) + "\n")

    # ------------------------------------------------------------ arrays
    def _array(self, c: k.ArrayC, s: str) -> None:
        n = c.node
        lines = [
            f"def agg_{s}(st, off, size, limit):",
            "    scopes = st.scopes",
            f"    node = Node({n.id!r}, {n.meta.orig_name!r}, off, size, None, '', None, {n.meta.unit!r})",
            "    kids = node.children",
            "    items = Items()",
            "    pos = off",
            "    idx = 0",
            f"    total = {'None' if n.count is None else _ev(n.count)}",
        ]
        for seg_count, el in c.parts:
            es = self.names(el)
            esize = el.node.size
            count = "total" if seg_count is None else repr(seg_count)
            by_agg = el.aggregate_kind and esize is None
            step = self._element_step(el, es, by_agg)
            if n.count is None and seg_count is None:
                lines += ["    stop = limit if limit is not None else st.end"]
                if esize:
                    lines += [
                        "    if pos < st.start and pos < stop:",
                        f"        k = min((st.start - pos) // {esize}, -(-(stop - pos) // {esize}))",
                        "        items.nones(k)",
                        f"        pos += k * {esize}",
                        "        idx += k",
                    ]
                lines += [
                    "    while pos < stop and pos < st.end:",
                    *_indent(step, 2),
                    "        idx += 1",
                ]
            elif esize:
                lines += [
                    f"    n = {count}",
                    f"    first = min(max(0, (st.start - pos) // {esize}) if pos < st.start else 0, n)",
                    f"    last = max(min(n, -(-(st.end - pos) // {esize})) if st.end > pos else 0, first)",
                    "    items.nones(first)",
                    "    base = pos",
                    "    for i in range(first, last):",
                    f"        pos = base + i * {esize}",
                    "        idx_i = idx + i",
                    *_indent([x.replace("[{idx}]", "[{idx_i}]") for x in step], 2),
                    "    items.nones(n - last)",
                    f"    pos = base + n * {esize}",
                    "    idx += n",
                ]
            else:
                lines += [f"    for _ in range({count}):", *_indent(step, 2), "        idx += 1"]
        lines += [
            "    node.size = pos - off",
            "    node.partial = not (off >= st.start and pos <= st.end)",
            "    value = items.done()",
        ]
        if n.chain is not None:
            lines.append(f"    join_chain(st, {self.const(n.chain, 'ch')}, node, value)")
        lines.append("    return node, value")
        self.define("\n".join(lines) + "\n")
        self._aggregate_common(c, s)

    def _element_step(self, el: k.LayoutConstruct, es: str, by_agg: bool) -> list[str]:
        """Decode one element at ``pos`` (named ``[idx]``), append its value, advance ``pos``."""
        if by_agg:
            get = [f"sub, v = agg_{es}(st, pos, 0, limit)", "size = sub.size"]
        else:
            get = [f"size = {self._size_src(el)}", f"sub, v = field_{es}(st, pos, size, limit)"]
        return [
            *get,
            "if sub is not None:",
            "    sub.name = f'[{idx}]'",
            "    kids.append(sub)",
            "items.append(v)",
            "pos += size",
        ]


class BuildEmitter(_EmitsOnce):
    """Emits the build functions of one compile: ``put_N(bs, v)`` writes one node's value and
    returns it completed; ``putc_N(bs, values)`` writes a record's children.  Fixed-size integer
    runs are packed by ONE ``struct.pack``; switch/if groups and leaves other than integers use
    their construct's ``put`` (the one definition)."""

    def __init__(self, em: Emitter):
        self.em = em
        self.done: dict[int, str] = {}

    def _emit(self, c: k.LayoutConstruct, s: str) -> None:
        if isinstance(c, k.RecordC):
            self._record(c, s)
        elif isinstance(c, k.ArrayC):
            self._array(c, s)
        else:
            inst = self.em.const(c, "c")
            self.em.define(f"def put_{s}(bs, v):\n    return {inst}.put(bs, v)\n")

    def _child(self, c: k.LayoutConstruct) -> list[str]:
        n = c.node
        if isinstance(c, k.RecordC) and n.synthetic:
            return [f"out.update(putc_{self.names(c)}(bs, values))"]
        if isinstance(c, (k.SwitchC, k.OptionalC, k.DerivedC)):
            return [f"{self.em.const(c, 'c')}.put_child(bs, values, out)"]
        return [f"out[{n.id!r}] = put_{self.names(c)}(bs, values.get({n.id!r}))"]

    def _record(self, c: k.RecordC, s: str) -> None:
        body: list[str] = []
        for run in runs_and_singles(c.children):
            if isinstance(run, list):
                order = ">" if run[0].node.big_endian else "<"
                fmt = order + "".join(STRUCT_CODES[(r.node.size, r.node.signed)] for r in run)
                pack = self.em.const(struct.Struct(fmt), "s")
                xs = []
                for m, r in enumerate(run):
                    x = f"x{m}"
                    xs.append(x)
                    body += [
                        f"{x} = values.get({r.node.id!r})",
                        f"{x} = {k.default_int(r.node.meta)!r} if {x} is None else int({x})",
                        f"out[{r.node.id!r}] = {x}",
                    ]
                body.append(f"bs.out += {pack}.pack({', '.join(xs)})")
            else:
                body += self._child(run)
        src = [
            f"def putc_{s}(bs, values):",
            "    out = {}",
            "    scopes = bs.scopes",
            "    scopes.append(out)",
            "    try:",
            *_indent(body or ["pass"], 2),
            "    finally:",
            "        scopes.pop()",
            "    return out",
        ]
        self.em.define("\n".join(src) + "\n")
        n = c.node
        lines = [f"def put_{s}(bs, v):", "    values = v or {}"]
        if n.bound is not None:
            lines += [
                f"    size = bs.ev({self.em.const(n.bound, 'b')})",
                "    begin = len(bs.out)",
                f"    out = putc_{s}(bs, values)",
                f"    pad_to(bs, out, values, begin, size, {n.id!r})",
                "    return out",
            ]
        else:
            lines.append(f"    return putc_{s}(bs, values)")
        self.em.define("\n".join(lines) + "\n")

    def _array(self, c: k.ArrayC, s: str) -> None:
        n = c.node
        lines = [f"def put_{s}(bs, v):", "    items = list(v or [])"]
        if n.count is not None:
            lines += [
                f"    want = bs.ev({self.em.const(n.count, 'b')})",
                "    items = items[:want] + [None] * (want - len(items))",
            ]
        lines += ["    out = []", "    i = 0"]
        for seg_count, el in c.parts:
            es = self.names(el)
            chunk = "items[i:]" if seg_count is None else f"items[i:i + {seg_count}]"
            lines += [
                f"    chunk = {chunk}",
                f"    out += [put_{es}(bs, x) for x in chunk]",
                "    i += len(chunk)",
            ]
        lines.append("    return out")
        self.em.define("\n".join(lines) + "\n")


def build_emitter_of(code) -> BuildEmitter:
    b = getattr(code, "codec_build_emitter", None)
    if b is None:
        b = code.codec_build_emitter = BuildEmitter(emitter_of(code))
    return b


def emit_child_build(c: k.LayoutConstruct, code) -> str:
    """A node built alone (values it needs from outside read as 0), as ``_build`` does."""
    b = build_emitter_of(code)
    s = b.names(c)
    b.em.define(f"""
def cbuild_{s}(obj, io, this):
    bs = BuildState()
    v = put_{s}(bs, obj)
    io.write(bytes(bs.out))
    return v
""")
    return f"cbuild_{s}(obj, io, this)"


def emit_table_build(table: k.TableCodec, code) -> str:
    em = emitter_of(code)
    rs = build_emitter_of(code).names(table.root)
    s = next(_serial)
    em.define(f"""
def build_table_{s}(obj, io, this):
    io.write(build_with(putc_{rs}, obj))
    return obj
""")
    return f"build_table_{s}(obj, io, this)"


def emitter_of(code) -> Emitter:
    em = getattr(code, "codec_emitter", None)
    if em is None:
        em = code.codec_emitter = Emitter(code)
    return em


def emit_table_parse(table: k.TableCodec, code) -> str:
    em = emitter_of(code)
    rs = em.names(table.root)
    s = next(_serial)
    em.define(f"""
def parse_table_{s}(io, this):
    st = CodecState(bytes(io.read()), int(this._params.start))
    this._params._codec = st
    values = {{}}
    nodes = []
    end = {table.base}
    try:
        end = rec_{rs}(st, {table.base}, None, values, nodes)
    except Unknown as exc:
        undecoded(st, nodes, exc)
    extra(st, nodes, end, {table.base}, {table.static_size!r})
    return nodes, values, st.warnings
""")
    return f"parse_table_{s}(io, this)"


def emit_child_parse(c: k.LayoutConstruct, code) -> str:
    em = emitter_of(code)
    s = em.names(c)
    em.define(f"""
def cparse_{s}(io, this):
    st = child_state(io, this)
    st.pos = walk_{s}(st, st.pos, st.limit, st.values, st.nodes)
    return st.values.get({c.node.id!r})
""")
    return f"cparse_{s}(io, this)"
