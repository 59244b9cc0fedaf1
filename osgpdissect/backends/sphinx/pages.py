"""The docs backend: the spec model as reStructuredText lines (pure functions, no Sphinx).

Pages use the roles of :mod:`osgpdissect.backends.sphinx.ext`: ``:osgp:def:`` marks a field's anchor,
``:osgp:field:`` / ``:osgp:table:`` / ``:osgp:record:`` link to one.  Offsets and sizes are
computed symbolically from the model, so a field whose place depends on other tables' fields
shows the expression (``5 + 4 × nch``); the profile defaults give the concrete numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from osgpdissect.lang import model as m
from osgpdissect.layout.binder import BLOB_TYPES, SCALAR_TYPES

Decl = m.Table | m.Procedure
Linker = Callable[[m.Ref], str | None]

# ---------------------------------------------------------------------------- text helpers

_ESCAPE = re.compile(r"([\\*`|])|(?<=\w)_(?=\W|$)|^([-+#=.:>])|(\[\w+\]_)")


def esc(text: str) -> str:
    """Escape free text for reST (emphasis, literals, references, substitutions)."""
    return _ESCAPE.sub(lambda mo: "\\" + mo.group(0), " ".join(text.split()))


def lit(text: str) -> str:
    return f"``{text}``" if text else ""


def page_name(tid: str) -> str:
    """The document name of a table's page below the pages folder: ``et13``."""
    return tid.lower()


def label(tid: str) -> str:
    return f"osgp-{tid.lower()}"


def number_of(tid: str) -> int:
    return m.KIND_BASE[tid[:2]] + int(tid[2:])


def title_of(spec: m.Spec, tid: str) -> str:
    n = number_of(tid)
    return f"{tid} — {spec.find(tid).name} ({n}, 0x{n:04X})"


def _sort_key(tid: str) -> tuple[str, int]:
    return (tid[:2], int(tid[2:]))


def all_ids(spec: m.Spec) -> list[str]:
    """Every table and procedure id of the spec (families expanded), sorted by kind and index."""
    return sorted(set(spec.tables) | set(spec.procedures), key=_sort_key)


# ---------------------------------------------------------------------------- symbolic sizes

_PREC = {"or": 1, "and": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
         "+": 4, "-": 4, "*": 5, "/": 5, "%": 5}
_SHOW_OP = {"*": "×"}


@dataclass(frozen=True)
class Lin:
    """A size as a sum: ``const + Σ coef·term`` (terms kept in first-seen order)."""

    terms: tuple[tuple[int, m.Expr], ...] = ()
    const: int = 0

    @property
    def is_const(self) -> bool:
        return not self.terms

    def key(self) -> str:
        return expr_plain(self.expr())

    def expr(self) -> m.Expr:
        out: m.Expr | None = None
        for coef, t in self.terms:
            term = t if abs(coef) == 1 else m.BinOp("*", m.Num(abs(coef)), t)
            if out is None:
                out = term if coef > 0 else m.UnOp("neg", term)
            else:
                out = m.BinOp("+" if coef > 0 else "-", out, term)
        if out is None:
            return m.Num(self.const)
        if self.const > 0:  # the guide's way: 5 + 4 × nch, but ET11.config_entry_size - 9
            return _lead(m.Num(self.const), out)
        if self.const:
            out = m.BinOp("-", out, m.Num(-self.const))
        return out


def _lead(const: m.Num, e: m.Expr) -> m.Expr:
    """``const + e`` with ``e``'s leading negation (if any) turned into a subtraction."""
    if isinstance(e, m.UnOp) and e.op == "neg":
        return m.BinOp("-", const, e.operand)
    if isinstance(e, m.BinOp) and e.op in "+-":
        return m.BinOp(e.op, _lead(const, e.left), e.right)
    return m.BinOp("+", const, e)


def add(a: Lin | None, b: Lin | None) -> Lin | None:
    if a is None or b is None:
        return None
    terms = list(a.terms)
    for coef, t in b.terms:
        k = expr_plain(t)
        for i, (c0, t0) in enumerate(terms):
            if expr_plain(t0) == k:
                terms[i] = (c0 + coef, t0)
                break
        else:
            terms.append((coef, t))
    return Lin(tuple((c, t) for c, t in terms if c), a.const + b.const)


def scale(a: Lin | None, k: int) -> Lin | None:
    if a is None:
        return None
    return Lin(tuple((c * k, t) for c, t in a.terms if c * k), a.const * k)


def mul(a: Lin | None, b: Lin | None) -> Lin | None:
    if a is None or b is None:
        return None
    if a.is_const:
        return scale(b, a.const)
    if b.is_const:
        return scale(a, b.const)
    return Lin(((1, m.BinOp("*", a.expr(), b.expr())),))


def lin(e: m.Expr) -> Lin:
    """Fold an expression into a :class:`Lin` (sums and constant products only)."""
    if isinstance(e, m.Num):
        return Lin((), e.value)
    if isinstance(e, m.BinOp) and e.op in "+-":
        r = lin(e.right)
        return add(lin(e.left), r if e.op == "+" else scale(r, -1))
    if isinstance(e, m.BinOp) and e.op == "*":
        return mul(lin(e.left), lin(e.right))
    if isinstance(e, m.BinOp) and e.op in "/%":
        a, b = lin(e.left), lin(e.right)
        if a.is_const and b.is_const and b.const:
            return Lin((), a.const // b.const if e.op == "/" else a.const % b.const)
        return Lin(((1, m.BinOp(e.op, a.expr(), b.expr())),))
    if isinstance(e, m.Cond):
        t, o = lin(e.then), lin(e.other)
        if t.key() == o.key():
            return t
        return Lin(((1, m.Cond(e.test, t.expr(), o.expr())),))
    return Lin(((1, e),))


def cond(test: m.Expr, a: Lin | None, b: Lin | None) -> Lin | None:
    if a is None or b is None:
        return None
    if a.key() == b.key():
        return a
    return Lin(((1, m.Cond(test, a.expr(), b.expr())),))


def subst(e: m.Expr, env: dict[str, m.Expr]) -> m.Expr:
    """Replace parameter/symbol names by their expressions (also inside index expressions)."""
    if not env:
        return e
    if isinstance(e, m.Ref):
        parts = tuple(p if isinstance(p, (str, int)) else subst(p, env) for p in e.parts)
        if len(parts) == 1 and isinstance(parts[0], str) and parts[0] in env:
            return env[parts[0]]
        return m.Ref(parts, e.pos)
    if isinstance(e, m.BinOp):
        return m.BinOp(e.op, subst(e.left, env), subst(e.right, env), e.pos)
    if isinstance(e, m.UnOp):
        return m.UnOp(e.op, subst(e.operand, env), e.pos)
    if isinstance(e, m.Cond):
        return m.Cond(subst(e.test, env), subst(e.then, env), subst(e.other, env), e.pos)
    if isinstance(e, m.Call):
        return m.Call(e.name, tuple(subst(a, env) for a in e.args), e.then, e.type_name, e.pos)
    return e


# ---------------------------------------------------------------------------- expressions as text


def expr_plain(e: m.Expr) -> str:
    """An expression as plain text, the guide's way (``×`` for products)."""
    return expr_rst(e, lambda r: None, plain=True)


def expr_rst(e: m.Expr, link: Linker, plain: bool = False) -> str:
    """An expression as reST: references through ``link`` (``None``: a literal name)."""

    def ref(r: m.Ref) -> str:
        if plain:
            return r.text()
        return link(r) or lit(r.text())

    def go(x: m.Expr, prec: int = 0) -> str:
        if isinstance(x, m.Num):
            return str(x.value)
        if isinstance(x, m.Version):
            return str(x)
        if isinstance(x, m.Ref):
            return ref(x)
        if isinstance(x, m.BinOp):
            p = _PREC[x.op]
            right_p = p + 1 if x.op in ("-", "/", "%") else p
            s = f"{go(x.left, p)} {_SHOW_OP.get(x.op, x.op)} {go(x.right, right_p)}"
            return f"({s})" if p < prec else s
        if isinstance(x, m.UnOp):
            return f"-{go(x.operand, 6)}" if x.op == "neg" else f"not {go(x.operand, 6)}"
        if isinstance(x, m.Cond):
            s = f"if {go(x.test)} then {go(x.then)} else {go(x.other)}"
            return f"({s})" if prec else s
        if isinstance(x, m.Call):
            if x.name == "sizeof":
                return f"sizeof({x.type_name if plain else record_ref(x.type_name or '')})"
            tail = "".join("." + t for t in x.then)
            return f"{x.name}({', '.join(go(a) for a in x.args)}){tail}"
        raise TypeError(x)

    return go(e)


def record_ref(name: str) -> str:
    return f":osgp:record:`{name}`"


def _is_table_id(name: str) -> bool:
    return len(name) >= 3 and name[:2] in m.KIND_BASE and name[2:].isdigit()


def is_context(e: m.Expr) -> bool:
    """Does a condition depend on the firmware / generation (a firmware gate)?"""
    return any(r.head in ("fw", "generation", "x") for r in m.expr_refs(e))


# ---------------------------------------------------------------------------- the field walk


@dataclass
class Row:
    offset: str
    size: str
    type: str
    key: str  # Table[.part].path, the anchor
    title: str  # path shown
    meta: m.Meta
    conds: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()  # more description paragraphs (reST)
    enum: m.Enum | None = None


@dataclass
class BitsInfo:
    key: str
    title: str
    offset: str
    nbytes: int | None
    big_endian: bool
    members: tuple[m.BitMember, ...]


@dataclass
class Walk:
    """State of one page's walk over the model."""

    spec: m.Spec
    prefix: str  # ET13 or EP19.request
    rows: list[Row] = field(default_factory=list)
    bits: list[BitsInfo] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    gates: list[str] = field(default_factory=list)
    lets: list[tuple[str, m.Expr]] = field(default_factory=list)
    scopes: list[dict[str, str]] = field(default_factory=lambda: [{}])
    total: Lin | None = None

    def link(self, r: m.Ref) -> str | None:
        head = r.head
        if _is_table_id(head):
            return f":osgp:field:`{r.text()}`" if self.spec.find(head) else None
        for scope in reversed(self.scopes):
            if head in scope:
                rest = "".join("." + str(p) for p in r.parts[1:] if isinstance(p, (str, int)))
                return f":osgp:field:`{r.text()} <{scope[head]}{rest}>`"
        return None

    def rst(self, e: m.Expr) -> str:
        return expr_rst(e, self.link)


def _off(base: Lin | None) -> str:
    return "varies" if base is None else expr_plain(base.expr())


def _size(s: Lin | None) -> str:
    return "varies" if s is None else expr_plain(s.expr())


def _enum(spec: m.Spec, e: m.Enum | str | None) -> m.Enum | None:
    if isinstance(e, str):
        return spec.enums.get(e)
    return e


def _type_size(spec: m.Spec, t: m.TypeRef, env: dict[str, m.Expr]) -> tuple[Lin | None, list]:
    """(size of one value ignoring array dims consumed here, remaining outer dims)."""
    dims = [None if d is None else subst(d, env) for d in t.dims]
    if t.name in SCALAR_TYPES:
        return Lin((), SCALAR_TYPES[t.name][1]), dims
    if t.name in ("NI_FMAT1", "NI_FMAT2"):
        return Lin((), 4), dims
    if t.name in BLOB_TYPES:
        if not dims:
            return None, []
        *outer, last = dims
        if last is None:
            return None, outer
        n = lin(last)
        if t.name == "NIBBLE":
            n = lin(m.BinOp("/", m.BinOp("+", n.expr(), m.Num(1)), m.Num(2)))
        return n, outer
    if t.name == "SET":
        return (lin(subst(t.args[0], env)) if t.args else None), dims
    return None, dims


def _dims_size(el: Lin | None, dims: Iterable[m.Expr | None]) -> Lin | None:
    size = el
    for d in dims:
        size = None if d is None else mul(lin(d), size)
    return size


def _type_text(w: Walk, t: m.TypeRef, env: dict[str, m.Expr], endian: str | None) -> str:
    name = record_ref(t.name) if t.name in w.spec.records else t.name
    args = f"({', '.join(w.rst(subst(a, env)) for a in t.args)})" if t.args else ""
    dims = "".join("[*]" if d is None else f"[{w.rst(subst(d, env))}]" for d in t.dims)
    glue = "\\ " if name.endswith("`") and (args or dims) else ""
    return f"{name}{glue}{args}{dims}" + (f" {endian}" if endian else "")


def walk_items(w: Walk, items: tuple[m.Item, ...], base: Lin | None, path: tuple[str, ...],
               env: dict[str, m.Expr], conds: tuple[str, ...], top: bool) -> Lin | None:
    """Add rows for ``items`` starting at ``base``; return their total size (None: varies)."""
    total: Lin | None = Lin()
    env = dict(env)
    for it in items:
        at = add(base, total) if base is not None else None
        size = _item(w, it, at, path, env, conds, top)
        total = add(total, size)
    return total


def _key(w: Walk, path: tuple[str, ...]) -> str:
    return ".".join((w.prefix, *path))


def _item(w: Walk, it: m.Item, at: Lin | None, path, env, conds, top) -> Lin | None:
    if isinstance(it, m.Let):
        e = subst(it.expr, env)
        if top:
            w.lets.append((it.name, e))
        else:
            env[it.name] = e
        return Lin()
    if isinstance(it, m.Derived):
        p = (*path, it.id)
        w.scopes[-1][it.id] = _key(w, p)
        w.rows.append(Row("", "", "derived", _key(w, p), ".".join(p), it.meta, conds,
                          (f"Computed, not on the wire: {it.id} = {w.rst(subst(it.expr, env))}.",),
                          _enum(w.spec, it.meta.enum)))
        return Lin()
    if isinstance(it, m.If):
        return _if(w, it, at, path, env, conds, top)
    if isinstance(it, m.Switch):
        return _switch(w, it, at, path, env, conds, top)
    if isinstance(it, m.BitsField):
        return _bits(w, it, at, path, env, conds)
    if isinstance(it, m.RecordField):
        rec = w.spec.records.get(it.uses) if it.uses else None
        body = rec.body if rec else it.body
        renv = dict(zip(rec.params, (subst(a, env) for a in it.args), strict=False)) if rec else env
        if rec:
            renv = {**{k: v for k, v in env.items() if k in ("index",)}, **renv}
        tname = (record_ref(it.uses) + (f"\\ ({', '.join(w.rst(subst(a, env)) for a in it.args)})" if it.args else "")) \
            if it.uses else "record"
        esize = it.element_size if it.element_size is not None else (rec.element_size if rec else None)
        return _record(w, it.id, it.meta, tname, body, [None if d is None else subst(d, env) for d in it.dims],
                       esize, renv, env, at, path, conds)
    if isinstance(it, m.Field):
        rec = w.spec.records.get(it.type.name)
        if rec is not None:
            renv = dict(zip(rec.params, (subst(a, env) for a in it.type.args), strict=False))
            esize = it.element_size if it.element_size is not None else rec.element_size
            return _record(w, it.id, it.meta, _type_text(w, it.type, env, None), rec.body,
                           [None if d is None else subst(d, env) for d in it.type.dims], esize, renv, env, at,
                           path, conds)
        el, outer = _type_size(w.spec, it.type, env)
        size = _dims_size(el, outer)
        p = (*path, it.id)
        w.scopes[-1][it.id] = _key(w, p)
        w.rows.append(Row(_off(at), _size(size), _type_text(w, it.type, env, it.endian), _key(w, p), ".".join(p),
                          it.meta, conds, (), _enum(w.spec, it.meta.enum)))
        return size
    raise TypeError(it)


def _record(w: Walk, ident: str, meta: m.Meta, tname: str, body, dims, esize, renv, env, at, path, conds):
    p = (*path, ident)
    key = _key(w, p)
    w.scopes[-1][ident] = key
    dims_text = "".join("[*]" if d is None else f"[{w.rst(d)}]" for d in dims)
    glue = "\\ " if tname.endswith("`") and dims_text else ""
    row = Row(_off(at), "", tname + glue + dims_text, key,
              ".".join(p), meta, conds)
    w.rows.append(row)
    w.scopes.append({})
    inner_base = Lin() if dims else at
    el = walk_items(w, body, inner_base, p, renv, (), False)
    local = set(w.scopes.pop())
    if el is not None and any(r.head in local for r in m.expr_refs(el.expr())):
        el = None  # depends on the element's own fields
    if esize is not None:
        el = lin(subst(esize, env))
    size = _dims_size(el, dims)
    row.size = _size(size)
    if dims:
        row.extra = (f"Each element: {_size(el)} bytes; the offsets of its fields are relative to the element.",)
    return size


def _if(w: Walk, it: m.If, at, path, env, conds, top) -> Lin | None:
    test = subst(it.test, env)
    t = expr_plain(test)
    n0 = len(w.rows)
    a = walk_items(w, it.then, at, path, env, (*conds, f"when {t}"), top)
    n1 = len(w.rows)
    b = walk_items(w, it.other, at, path, env, (*conds, f"unless {t}"), top)
    names = _row_names(w, n0, n1, len(path))
    other = _row_names(w, n1, len(w.rows), len(path))
    text = f"When {w.rst(test)}: {names or 'nothing'}" + (f"; otherwise: {other}." if it.other else ".")
    where = f" (in {lit('.'.join(path))})" if path else ""
    (w.gates if is_context(test) else w.variants).append(text[:-1] + where + ".")
    return cond(test, a, b)


def _switch(w: Walk, it: m.Switch, at, path, env, conds, top) -> Lin | None:
    on = subst(it.on, env)
    sizes: list[Lin | None] = []
    cases: list[str] = []
    listed = [k for c in it.cases for k in c.keys]
    for c in it.cases:
        keys = _keys_text(c.keys) if c.keys else (f"none of {_keys_text(listed)}" if listed else "anything")
        n0 = len(w.rows)
        sizes.append(walk_items(w, c.body, at, path, env, (*conds, f"when {expr_plain(on)} is {keys}"), top))
        cases.append(f"{keys} → {_row_names(w, n0, len(w.rows), len(path)) or 'nothing'}")
    where = f" (in {lit('.'.join(path))})" if path else ""
    what = "the element index" if expr_plain(on) == "index" else w.rst(on)
    w.variants.append(f"By {what}{where}: " + "; ".join(cases) + ".")
    keys = {s.key() if s is not None else None for s in sizes}
    return sizes[0] if len(keys) == 1 and sizes else None


def _keys_text(keys) -> str:
    return ", ".join(str(lo) if lo == hi else f"{lo}..{hi}" for lo, hi in keys)


def _row_names(w: Walk, a: int, b: int, depth: int) -> str:
    """Links to the rows ``a..b`` at one nesting depth (not their members)."""
    return ", ".join(f":osgp:field:`{r.title.rsplit('.', 1)[-1]} <{r.key}>`" for r in w.rows[a:b]
                     if r.title.count(".") == depth and r.size[:3] != "bit")


def _bits(w: Walk, it: m.BitsField, at, path, env, conds) -> Lin | None:
    el, outer = _type_size(w.spec, it.container, env)
    size = _dims_size(el, outer)
    p = (*path, it.id)
    key = _key(w, p)
    w.scopes[-1][it.id] = key
    w.rows.append(Row(_off(at), _size(size), "bits " + _type_text(w, it.container, env, it.endian), key, ".".join(p),
                      it.meta, conds))
    for bm in it.members:
        rng = f"bit {bm.lo}" if bm.lo == bm.hi else f"bits {bm.lo}..{bm.hi}"
        w.rows.append(Row("", rng, bm.kind, f"{key}.{bm.id}", f"{'.'.join(p)}.{bm.id}", bm.meta, conds, (),
                          _enum(w.spec, bm.meta.enum)))
    nbytes = size.const if size is not None and size.is_const else None
    w.bits.append(BitsInfo(key, ".".join(p), _off(at), nbytes, it.endian == "msb", it.members))
    return size


def walk_decl(spec: m.Spec, tid: str, part: str = "table", source: str | None = None) -> Walk:
    """Walk a table (or one part of a procedure) into rows, bit fields and conditions.

    ``source`` names the table whose items are walked when ``tid`` only says "same layout as".
    """
    decl = spec.find(source or tid)
    prefix = tid if part == "table" else f"{tid}.{part}"
    w = Walk(spec, prefix)
    env: dict[str, m.Expr] = {}
    if isinstance(decl, m.Table) and decl.family_param and decl.family_expr is not None:
        env[decl.family_param] = lin(subst(decl.family_expr, {"number": m.Num(number_of(tid))})).expr()
    if isinstance(decl, m.Procedure):
        items = decl.request if part == "request" else decl.response
        base = Lin((), 3 if part == "request" else 4)
    else:
        items, base = decl.body, Lin()
    size = walk_items(w, items, base, (), env, (), True)
    w.total = size
    return w


# ---------------------------------------------------------------------------- bit diagrams


def bit_diagram(nbytes: int, members: Iterable[m.BitMember], big_endian: bool = False) -> list[str]:
    """A grid table drawing a bit container byte by byte (bit numbers over member names)."""
    members = list(members)
    rows: list[tuple[str, list[str], list[tuple[int, int, str]]]] = []
    for k in range(nbytes):
        byte_index = nbytes - 1 - k if big_endian else k
        hi_bit = byte_index * 8 + 7
        bitnums = [str(hi_bit - i) for i in range(8)]
        cells: list[tuple[int, int, str]] = []  # (first column, span, text); columns 1..8
        col = 1
        while col <= 8:
            bit = hi_bit - (col - 1)
            mb = next((x for x in members if x.lo <= bit <= x.hi), None)
            span = 1
            while col + span <= 8 and next((x for x in members if x.lo <= bit - span <= x.hi), None) is mb:
                span += 1
            cells.append((col, span, _bit_label(mb)))
            col += span
        rows.append((f"byte {k}", bitnums, cells))
    widths = [max(len(r[0]) for r in rows) + 2] + [max(len(r[1][i]) for r in rows) + 2 for i in range(8)]
    for _, _, cells in sorted(rows, key=lambda r: 0):
        for start, span, text in sorted(cells, key=lambda c: c[1]):
            have = sum(widths[start:start + span]) + span - 1
            need = len(text) + 2
            for i in range(need - have):
                widths[start + i % span] += 1
    full = "+" + "+".join("-" * w for w in widths) + "+"
    inner = "|" + " " * widths[0] + "+" + "+".join("-" * w for w in widths[1:]) + "+"
    out = [full]
    for name, bitnums, cells in rows:
        out.append("|" + f" {name}".ljust(widths[0]) + "|" + "|".join(f" {b}".ljust(widths[i + 1])
                                                                  for i, b in enumerate(bitnums)) + "|")
        out.append(inner)
        line = "|" + " " * widths[0] + "|"
        for start, span, text in cells:
            line += f" {text}".ljust(sum(widths[start:start + span]) + span - 1) + "|"
        out.append(line)
        out.append(full)
    return out


def _bit_label(mb: m.BitMember | None) -> str:
    if mb is None:
        return ""
    if mb.kind == "FILL" and (mb.id.startswith("_") or not mb.id):
        return "fill"
    return mb.id


# ---------------------------------------------------------------------------- page parts


def _list_table(header: list[str], rows: list[list[list[str]]], cls: str, widths: str | None = None) -> list[str]:
    """A ``list-table``; each cell is a list of paragraphs."""
    out = [".. list-table::", "   :header-rows: 1", f"   :class: {cls}"]
    if widths:
        out.append(f"   :widths: {widths}")
    out.append("")
    for r in [[[h] for h in header], *rows]:
        for i, cell in enumerate(r):
            lead = "   * - " if i == 0 else "     - "
            paras = [p for p in cell if p] or [""]
            out.append((lead + paras[0]).rstrip())
            for p in paras[1:]:
                out += ["", "       " + p]
    out.append("")
    return out


def _section(title: str, char: str = "-") -> list[str]:
    return [title, char * len(title), ""]


def access_lines(h: m.Header) -> list[str]:
    if not h.access:
        return []
    rows = []
    for a in h.access:
        rows.append([[a.op], ["✓" if "MBK" in a.keys else "—"], ["✓" if "MAK" in a.keys else "—"],
                     [", ".join(a.clients) if a.clients else ("—" if not a.keys else "any")]])
    return _section("Access") + _list_table(["Operation", "MBK", "MAK", "Client types"], rows, "osgp-access")


def _meta_paras(w: Walk, r: Row) -> list[str]:
    mt = r.meta
    out: list[str] = []
    if r.conds:
        out.append("*" + esc("; ".join(c[0].upper() + c[1:] for c in r.conds)) + ".*")
    if mt.orig_name:
        out.append(f"“{esc(mt.orig_name)}”")
    if mt.doc:
        out.append(esc(mt.doc))
    if mt.note:
        out.append("Note: " + esc(mt.note))
    for mk, text in mt.markers:
        out.append(f"**{mk}**" + (f": {esc(text)}" if text else ""))
    if mt.valid_range:
        out.append(f"Range {mt.valid_range[0]}..{mt.valid_range[1]}.")
    out += list(r.extra)
    return out


def _value_paras(w: Walk, r: Row) -> list[str]:
    out = []
    if r.meta.value is not None:
        out.append(f"value {lit(r.meta.value)}")
    if r.meta.default is not None:
        out.append(f"default {w.rst(r.meta.default)}")
    return out


MAX_ENUM = 24


def enum_paras(spec: m.Spec, e: m.Enum | None, ref: m.Enum | str | None = None) -> list[str]:
    """Enumeration values as one paragraph per entry (long enums cut, named ones linked)."""
    if e is None:
        return []
    out = []
    if isinstance(ref, str):
        out.append(("flags " if e.flags else "enum ") + f":osgp:enum:`{ref}`")
    elif e.flags:
        out.append("flags:")
    for x in e.entries[:MAX_ENUM]:
        key = _key_text(x.lo, e.flags) if x.lo == x.hi else f"{_key_text(x.lo, e.flags)}..{_key_text(x.hi, e.flags)}"
        labeltext = "*reserved*" if x.reserved and not x.label else esc(x.label)
        out.append(f"{lit(key)} {labeltext}".rstrip())
    if len(e.entries) > MAX_ENUM:
        out.append(f"… {len(e.entries) - MAX_ENUM} more")
    return out


def _key_text(v: int, flags: bool) -> str:
    return f"0x{v:02X}" if flags else str(v)


_LONG_FORMULA = 80  # characters: a longer offset/size formula is summarised in the note


def field_table(w: Walk) -> list[str]:
    """The fields: offset and size as numbers (per profile when dimensions vary, with the
    formula as a note), then enumeration meanings in their own tables below."""
    concrete = _profile_offsets(w)
    varies = bool(concrete) and any(not (_is_number(r.offset) and _is_number(r.size))
                                    for r in w.rows if r.type != "derived")
    rows = []
    for r in w.rows:
        title = r.title.rsplit(".", 1)[-1]
        depth = r.title.count(".")
        name = "↳ " * depth + f":osgp:def:`{title} <{r.key}>`"
        notes = _meta_paras(w, r)
        if r.enum is not None:
            notes.append("Values: in the tables below the fields.")
        if varies:
            where = [_concrete_cell(concrete[p].get(_path_of(w, r))) for p in concrete]
            formula = _formula_note(r)
            cells = [[c] for c in where]
            notes = notes + ([formula] if formula else [])
        else:
            cells = [[r.offset], [r.size]]
        rows.append([*cells, [r.type], [name], [lit(r.meta.vci or "")], _value_paras(w, r),
                     [esc(r.meta.unit or "")] + ([f"scale {r.meta.scale:g}"] if r.meta.scale else []),
                     notes])
    head = ([f"{p} offset / size" for p in concrete] if varies else ["Offset", "Size"])
    out = [VCI_LEGEND, ""] if any(r.meta.vci for r in w.rows) else []
    if varies:
        out += ["Offsets and sizes are bytes under each profile's default dimensions (inside an "
                "array: those of its first element); where they depend on dimensions the "
                "formula is noted.  ``osgpdissect show TABLE --dims FILE`` gives them for "
                "other dimensions.", ""]
    out += _list_table([*head, "Type", "Name", "VCI", "Value / default", "Unit", "Description"],
                       rows, "osgp-fields", "auto")
    return out + _values_tables(w)


VCI_LEGEND = ("VCI (the guide's value control identifier: who controls the value): ``F`` fixed; "
              "``M`` the meter (MEP server) controls it, also dimensions that vary by device; "
              "``H`` the host or the configuration software; ``P`` program-ID dependent (fixed "
              "for a firmware build: read again when ET04's program ID changes); ``HD`` host "
              "direct (written directly); ``HI`` host indirect (written through a pending table).")


def _values_tables(w: Walk) -> list[str]:
    """One small table of meanings per enumerated field (they wrap, off the field table)."""
    seen: set[str] = set()
    with_enum = [r for r in w.rows
                 if r.enum is not None and not (r.key in seen or seen.add(r.key))]
    if not with_enum:
        return []
    out = ["**Values**", ""]
    for r in with_enum:
        e = r.enum
        assert e is not None
        title = r.title.rsplit(".", 1)[-1]
        ref = r.meta.enum if isinstance(r.meta.enum, str) else None
        out += [f":osgp:field:`{title} <{r.key}>`" + (f" (:osgp:enum:`{ref}`)" if ref else "")
                + (" — flags" if e.flags else "") + ":", ""]
        rows = []
        for x in e.entries[:MAX_ENUM]:
            key = (_key_text(x.lo, e.flags) if x.lo == x.hi
                   else f"{_key_text(x.lo, e.flags)}..{_key_text(x.hi, e.flags)}")
            rows.append([[lit(key)], ["*reserved*" if x.reserved and not x.label else esc(x.label)]])
        if len(e.entries) > MAX_ENUM:
            rows.append([["…"], [f"{len(e.entries) - MAX_ENUM} more"]])
        out += _list_table(["Value", "Meaning"], rows, "osgp-values")
    return out


def _is_number(text: str) -> bool:
    return text.isdigit()


def _path_of(w: Walk, r: Row) -> tuple[str, ...]:
    return tuple(r.key.split(".")[len(w.prefix.split(".")):])


def _concrete_cell(at: tuple[int | None, int | None] | None) -> str:
    if at is None:
        return "—"
    off, size = at
    return f"{'?' if off is None else off} / {'?' if size is None else size}"


def _formula_note(r: Row) -> str:
    parts = []
    for what, text in (("offset", r.offset), ("size", r.size)):
        if not text or _is_number(text):
            continue
        if len(text) > _LONG_FORMULA:
            import re

            names = sorted(set(re.findall(r"\b[A-Z]{2}\d+(?:\.\w+)+", text)))
            text = "depends on " + ", ".join(names) if names else "varies"
            parts.append(f"{what} {esc(text)}")
        else:
            parts.append(f"{what} = {lit(text)}")
    return ("Formula: " + "; ".join(parts) + ".") if parts else ""


def _profile_offsets(w: Walk) -> dict[str, dict[tuple[str, ...], tuple[int | None, int | None]]]:
    """Per profile: field path -> (offset, size) in bytes, bound with its default dimensions
    (procedures count from BT07's start or the response header, as the guide does)."""
    from osgpdissect.layout.binder import walk_static
    from osgpdissect.layout.device import Device

    tid, _, part = w.prefix.partition(".")
    part = part or "table"
    base = {"request": 3, "response": 4}.get(part, 0)
    out: dict[str, dict[tuple[str, ...], tuple[int | None, int | None]]] = {}
    for prof in w.spec.profiles:
        try:
            bound = Device(w.spec, prof.name).bound(tid, part)
        except Exception:  # a layout that cannot be bound statically stays symbolic
            return {}
        found: dict[tuple[str, ...], tuple[int | None, int | None]] = {}
        for node, off, path in walk_static(bound.root, base):
            key = tuple(p for p in path if isinstance(p, str))
            if key and key not in found:
                found[key] = (off, node.size)
        out[prof.name] = found
    return out


def bits_lines(w: Walk) -> list[str]:
    out: list[str] = []
    for b in w.bits:
        where = f"byte offset {b.offset}" + (" of each element" if "." in b.title and _in_array(w, b) else "")
        out += [f":osgp:field:`{b.title} <{b.key}>` ({where}" + (", big-endian" if b.big_endian else "") + "):", ""]
        if b.nbytes is None:
            out += ["The container's size depends on the data; members: "
                    + ", ".join(f"{lit(x.id)} {x.lo}..{x.hi}" for x in b.members) + ".", ""]
            continue
        out += [".. table::", "   :class: osgp-bits", ""]
        out += ["   " + line for line in bit_diagram(b.nbytes, b.members, b.big_endian)]
        out.append("")
    return out


def _in_array(w: Walk, b: BitsInfo) -> bool:
    parent = b.key.rsplit(".", 1)[0]
    return any(r.key == parent and "[" in r.type for r in w.rows)


def errata_lines(spec: m.Spec, tid: str, decl: Decl) -> list[str]:
    errs = spec.errata_for(tid)
    if isinstance(decl, m.Table) and decl.family_end and tid != decl.id:
        errs = errs + [e for e in spec.errata_for(decl.id) if e not in errs]
    if not errs:
        return []
    out = _section("Errata")
    for e in errs:
        out += [f"**{e.ident}** — {lit(e.target)} (guide line {e.line}; {lit(e.source)})", ""]
        out += [_md(line) for line in e.text.splitlines()] + [""]
    return out


def _md(line: str) -> str:
    """One Markdown line of ERRATA.md as reST (code spans become literals)."""
    parts = re.split(r"(`[^`]+`)", line.rstrip())
    text = "".join(lit(p[1:-1]) if p.startswith("`") and p.endswith("`") and len(p) > 1
                   else _md_text(p) for p in parts)
    return text


_BOLD = re.compile(r"((?<![^\s(])\*\*(?=\w)[^*]+?(?<=\S)\*\*(?!\w))")


def _md_text(s: str) -> str:
    """Markdown text: ``**bold**`` kept, Markdown escapes undone, other markup escaped."""
    out = []
    for b in _BOLD.split(s):
        if _BOLD.fullmatch(b):
            out.append(b)
        else:
            b = re.sub(r"\\([*_`\\])", r"\1", b)
            out.append(re.sub(r"([\\`|*])|(?<=\w)_(?=\W|$)", lambda mo: "\\" + mo.group(0), b))
    return "".join(out)


# ---------------------------------------------------------------------------- pages


def dimensioning_lines(w: Walk, decl: Decl, tid: str, part: str, sizes: dict[str, str]) -> list[str]:
    total = w.total
    out: list[str] = []
    if total is None:
        out.append("size varies with the data (see the variants below).")
    else:
        plain = expr_plain(total.expr())
        if len(plain) > 4 * _LONG_FORMULA:
            import re

            names = sorted(set(re.findall(r"\b[A-Z]{2}\d+(?:\.\w+)+", plain)))
            out.append("size depends on " + ", ".join(f":osgp:field:`{n}`" if w.spec.find(
                n.split(".")[0]) else lit(n) for n in names) + " (the formula the guide states "
                "is below; the sizes under each profile's defaults follow it).")
        else:
            out.append(f"size = {w.rst(total.expr())} bytes")
    out.append("")
    if w.lets:
        out += ["where", ""]
        out += [f"- {lit(n)} = {w.rst(e)}" for n, e in w.lets] + [""]
    if part == "table" and decl.header.sizes:
        stated = "; ".join(f"{w.rst(e)} bytes" + (f" ({p})" if p else "") for p, e in decl.header.sizes)
        out += [f"The guide states: {stated}.", ""]
    if sizes:
        out += ["With each profile's defaults: " + "; ".join(f"{p}: {s}" for p, s in sizes.items()) + ".", ""]
    return out


def profile_sizes(spec: m.Spec, tid: str, part: str) -> dict[str, str]:
    """The size under each profile's defaults, and the dimensions that came from defaults."""
    from osgpdissect.layout.device import Device

    out = {}
    for prof in spec.profiles:
        try:
            b = Device(spec, prof.name).bound(tid, part)
        except Exception:  # a layout that cannot be bound statically is documented symbolically only
            continue
        text = "depends on the data" if b.size is None else f"{b.size} bytes"
        if b.defaults_used:
            text += " (from " + ", ".join(f":osgp:field:`{d}`" if spec.find(d.split(".")[0]) and "#" not in d
                                           else lit(d)
                                           for d in b.defaults_used) + ")"
        out[prof.name] = text
    return out


def _head(spec: m.Spec, tid: str, decl: Decl) -> list[str]:
    title = title_of(spec, tid)
    h = decl.header
    out = [f".. _{label(tid)}:", "", title, "=" * len(title), "",
           f".. index:: single: {tid}; {esc(decl.name)}", f"   single: {esc(decl.name)}; {tid}", ""]
    if h.doc:
        out += [esc(h.doc), ""]
    if h.note:
        out += [".. note::", "", "   " + esc(h.note), ""]
    facts = []
    if isinstance(decl, m.Table) and decl.family_end:
        members = decl.members()
        facts.append((":Family:", f"{members[0]}..{members[-1]} share one layout; "
                       f"{lit(decl.family_param or 'n')} = {number_of(tid) - number_of(members[0])} here"))
    if h.guide_lines:
        facts.append((":Guide:", "line " + ", ".join(map(str, h.guide_lines))))
    facts.append((":Status:", h.status + (" (RAM only)" if h.ram_only else "")))
    if h.nvm is not None:
        facts.append((":NVM:", "Write - NVM: " + ("yes" if "write" in h.nvm else "no")
                       + "; Read - NVM Only: " + ("yes" if "read" in h.nvm else "no") + " (Appendix C)"))
    facts.append((":Spec:", f"{lit(decl.pos.file)} line {decl.pos.line}"))
    if h.layout_of:
        args = ", ".join(f"{lit(n)} = {lit(m.expr_text(e))}" for n, e in h.layout_args)
        facts.append((":Layout:", f"same layout as :osgp:table:`{h.layout_of}`" + (f" with {args}" if args else "")))
    for name, default in h.params:
        facts.append((":Parameter:", f"{lit(name)} = {lit(m.expr_text(default))} (unless a table using this layout says otherwise)"))
    out += [f"{k} {v}" for k, v in facts] + [""]
    return out


def _dims_lines(h: m.Header, tid: str, w: Walk) -> list[str]:
    if not h.dims:
        return []
    rows = [[[f":osgp:def:`{d.id} <{tid}.{d.id}>`"], [lit(d.orig_name)], [w.rst(d.default)]] for d in h.dims]
    return (_section("Dimensions used by other tables")
            + ["The guide lays this table out elsewhere (or not at all); other tables use these of its fields:", ""]
            + _list_table(["Field", "Guide", "Default"], rows, "osgp-dims"))


_PROCEDURE_OFFSETS = {
    "request": "Offsets are the guide's: they count from the start of the data written to BT07, "
               "whose bytes 0-2 are the procedure header (procedure number and sequence number), "
               "so the first parameter is at offset 3.",
    "response": "Offsets are the guide's: they count from the start of the procedure response "
                "(ET59 or BT08), whose bytes 0-3 are its header (procedure number, sequence "
                "number and result code), so the first response field is at offset 4.",
}


def _layout_parts(w: Walk, decl: Decl, tid: str, part: str, level: str) -> list[str]:
    out: list[str] = []
    out += _section("Dimensioning", level) + dimensioning_lines(w, decl, tid, part, profile_sizes(w.spec, tid, part))
    if w.rows:
        out += _section("Fields", level)
        if isinstance(decl, m.Procedure):
            out += [_PROCEDURE_OFFSETS.get(part, _PROCEDURE_OFFSETS["request"]), ""]
        out += field_table(w)
    if w.bits:
        out += _section("Bit fields", level) + bits_lines(w)
    if w.variants:
        out += _section("Variants and conditions", level) + [f"- {v}" for v in w.variants] + [""]
    if w.gates:
        out += _section("Firmware gates", level) + [f"- {g}" for g in w.gates] + [""]
    return out


def table_page(spec: m.Spec, tid: str) -> list[str]:
    """The reST of one table's page (``tid`` may be any member of a family)."""
    decl = spec.tables[tid]
    out = _head(spec, tid, decl) + access_lines(decl.header)
    src = spec.find(decl.header.layout_of) if decl.header.layout_of else decl
    if decl.header.status != "referenced" and isinstance(src, m.Table) and src.body:
        w = walk_decl(spec, tid, source=src.id)
        out += _layout_parts(w, decl, tid, "table", "-")
    elif decl.header.status == "referenced":
        out += ["The guide uses this table but does not lay it out.", ""]
    out += _dims_lines(decl.header, tid, Walk(spec, tid))
    out += errata_lines(spec, tid, decl)
    return out


def procedure_page(spec: m.Spec, pid: str) -> list[str]:
    """The reST of one procedure's page: request, response and result codes."""
    decl = spec.procedures[pid]
    out = _head(spec, pid, decl) + access_lines(decl.header)
    for part, items in (("request", decl.request), ("response", decl.response)):
        if not items:
            continue
        out += _section(part.capitalize())
        out += _layout_parts(walk_decl(spec, pid, part), decl, pid, part, "~")
    if decl.results is not None:
        rows = [[[lit(str(x.lo) if x.lo == x.hi else f"{x.lo}..{x.hi}")], [esc(x.label)]] for x in decl.results.entries]
        out += _section("Result codes") + _list_table(["Code", "Meaning"], rows, "osgp-results")
    if not decl.request and not decl.response and decl.header.status != "defined":
        out += ["The guide uses this procedure but does not lay out its request or response.", ""]
    out += _dims_lines(decl.header, pid, Walk(spec, pid))
    out += errata_lines(spec, pid, decl)
    return out


def decl_page(spec: m.Spec, tid: str) -> list[str]:
    tid = tid.upper()
    if tid in spec.procedures:
        return procedure_page(spec, tid)
    if tid in spec.tables:
        return table_page(spec, tid)
    raise KeyError(tid)


# ---------------------------------------------------------------------------- indexes


def index_by_number(spec: m.Spec) -> list[str]:
    """Tables, then procedures, by wire number (decimal and hex)."""
    out: list[str] = []
    for what, ids in (("Tables", sorted(spec.tables, key=number_of)),
                      ("Procedures", sorted(spec.procedures, key=number_of))):
        if not ids:
            continue
        rows = [[[str(number_of(t))], [f"0x{number_of(t):04X}"], [f":osgp:table:`{t}`"], [esc(spec.find(t).name)],
                 [spec.find(t).header.status]] for t in ids]
        out += _section(what) + _list_table(["Number", "Hex", "Id", "Name", "Status"], rows, "osgp-index")
    return out


def index_by_name(spec: m.Spec) -> list[str]:
    ids = sorted(all_ids(spec), key=lambda t: (spec.find(t).name.lower(), _sort_key(t)))
    rows = [[[esc(spec.find(t).name)], [f":osgp:table:`{t}`"], [str(number_of(t))], [f"0x{number_of(t):04X}"]]
            for t in ids]
    return _list_table(["Name", "Id", "Number", "Hex"], rows, "osgp-index")


@dataclass
class Uses:
    records: dict[str, set[str]] = field(default_factory=dict)
    enums: dict[str, set[str]] = field(default_factory=dict)
    dims: dict[str, set[str]] = field(default_factory=dict)


def collect_uses(spec: m.Spec) -> Uses:
    """Which tables use which record type, named enumeration and other table's field."""
    u = Uses()
    for tid in all_ids(spec):
        decl = spec.find(tid)
        items: tuple = decl.request + decl.response if isinstance(decl, m.Procedure) else decl.body
        _uses_items(spec, items, tid, u, set())
        for _p, e in decl.header.sizes:
            _uses_expr(e, tid, u)
    return u


def _uses_expr(e: m.Expr | None, tid: str, u: Uses) -> None:
    if e is None:
        return
    for r in m.expr_refs(e):
        if _is_table_id(r.head) and len(r.parts) > 1:
            path = ".".join(str(p) for p in r.parts if isinstance(p, (str, int)))
            u.dims.setdefault(path, set()).add(tid)
    if isinstance(e, m.Call) and e.type_name:
        u.records.setdefault(e.type_name, set()).add(tid)
    for x in _subexprs(e):
        if isinstance(x, m.Call) and x.type_name:
            u.records.setdefault(x.type_name, set()).add(tid)


def _subexprs(e: m.Expr):
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        if isinstance(x, m.BinOp):
            stack += [x.left, x.right]
        elif isinstance(x, m.UnOp):
            stack.append(x.operand)
        elif isinstance(x, m.Cond):
            stack += [x.test, x.then, x.other]
        elif isinstance(x, m.Call):
            stack += list(x.args)


def _uses_meta(meta: m.Meta, tid: str, u: Uses) -> None:
    if isinstance(meta.enum, str):
        u.enums.setdefault(meta.enum, set()).add(tid)
    _uses_expr(meta.default, tid, u)


def _uses_items(spec: m.Spec, items, tid: str, u: Uses, seen: set[str]) -> None:
    for it in items:
        if isinstance(it, (m.Let, m.Derived)):
            _uses_expr(it.expr, tid, u)
            if isinstance(it, m.Derived):
                _uses_meta(it.meta, tid, u)
        elif isinstance(it, m.If):
            _uses_expr(it.test, tid, u)
            _uses_items(spec, it.then + it.other, tid, u, seen)
        elif isinstance(it, m.Switch):
            _uses_expr(it.on, tid, u)
            _uses_items(spec, tuple(x for c in it.cases for x in c.body), tid, u, seen)
        elif isinstance(it, m.BitsField):
            _uses_meta(it.meta, tid, u)
            for d in it.container.dims:
                _uses_expr(d, tid, u)
            for bm in it.members:
                _uses_meta(bm.meta, tid, u)
        elif isinstance(it, m.RecordField):
            _uses_meta(it.meta, tid, u)
            for e in (*it.dims, *it.args, it.element_size):
                _uses_expr(e, tid, u)
            if it.uses:
                _use_record(spec, it.uses, tid, u, seen)
            _uses_items(spec, it.body, tid, u, seen)
        elif isinstance(it, m.Field):
            _uses_meta(it.meta, tid, u)
            for e in (*it.type.dims, *it.type.args, it.element_size):
                _uses_expr(e, tid, u)
            if it.type.name in spec.records:
                _use_record(spec, it.type.name, tid, u, seen)


def _use_record(spec: m.Spec, name: str, tid: str, u: Uses, seen: set[str]) -> None:
    u.records.setdefault(name, set()).add(tid)
    if name not in seen:
        _uses_items(spec, spec.records[name].body, tid, u, seen | {name})


def index_uses(spec: m.Spec) -> list[str]:
    """"Which tables use this record type / enumeration (source ids, ...) / dimension"."""
    u = collect_uses(spec)
    out: list[str] = []

    def refs(ids: set[str]) -> str:
        return ", ".join(f":osgp:table:`{t}`" for t in sorted(ids, key=_sort_key))

    out += _section("Record types")
    rows = []
    for name in sorted(set(spec.records) | set(u.records)):
        rec = spec.records.get(name)
        title = esc(rec.meta.orig_name) if rec and rec.meta.orig_name else ""
        where = f"{lit(rec.pos.file)} line {rec.pos.line}" if rec else ""
        rows.append([[f":osgp:defrecord:`{name}`"], [title], [where], [refs(u.records.get(name, set())) or "—"]])
    out += _list_table(["Record", "Title", "Spec", "Used by"], rows, "osgp-uses")
    out += _section("Enumerations")
    rows = []
    for name in sorted(set(spec.enums) | set(u.enums)):
        e = spec.enums.get(name)
        n = f"{len(e.entries)} {'flags' if e.flags else 'values'}" if e else ""
        rows.append([[f":osgp:defenum:`{name}`"], [n], [refs(u.enums.get(name, set())) or "—"]])
    out += _list_table(["Enumeration", "Entries", "Used by"], rows, "osgp-uses")
    out += _section("Dimensions and other tables' fields")
    rows = [[[f":osgp:field:`{d}`" if spec.find(d.split('.')[0]) else lit(d)], [refs(ids)]]
            for d, ids in sorted(u.dims.items(), key=lambda kv: (_sort_key(kv[0].split(".")[0]), kv[0]))]
    out += _list_table(["Field", "Used by"], rows, "osgp-uses")
    return out


# ---------------------------------------------------------------------------- dependencies


def decl_files(spec: m.Spec, tid: str) -> list[str]:
    """Spec files (as the model names them) a page is generated from."""
    decl = spec.find(tid)
    files = {decl.pos.file}
    if isinstance(decl, m.Table) and decl.header.layout_of and spec.find(decl.header.layout_of):
        files.add(spec.find(decl.header.layout_of).pos.file)
    u = Uses()
    items: tuple = decl.request + decl.response if isinstance(decl, m.Procedure) else decl.body
    _uses_items(spec, items, tid, u, set())
    files |= {spec.records[r].pos.file for r in u.records if r in spec.records}
    files |= {spec.enums[e].pos.file for e in u.enums if e in spec.enums}
    return sorted(f for f in files if f and not f.startswith("<"))
