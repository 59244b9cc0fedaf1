"""Lark tree -> model.  One Transformer; children are picked by kind, never by position."""

from __future__ import annotations

import re
from dataclasses import replace

from lark import Token, Transformer, Tree, v_args

from osgpdissect.lang import model as m


def _unquote(tok: str) -> str:
    if tok.startswith('"""'):
        return tok[3:-3]
    body = tok[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _join(strings: list[str]) -> str:
    return " ".join(s.strip() for s in strings if s.strip())


class _Attr:
    """A parsed field attribute, collected into :class:`model.Meta` by its owner."""

    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value):
        self.kind = kind
        self.value = value


class _Stmt(_Attr):
    """A parsed header statement."""


_TEMPLATE = re.compile(r"\{([^{}]+)\}")


class ToModel(Transformer):
    """Turn one file's tree into a list of declarations (tables, procedures, ...)."""

    def __init__(self, filename: str, parse_expr):
        super().__init__(visit_tokens=True)
        self.filename = filename
        self._parse_expr = parse_expr  # for `{expr}` placeholders inside enum labels

    # ------------------------------------------------------------ helpers
    def _pos(self, meta_or_tok) -> m.Pos:
        line = getattr(meta_or_tok, "line", None) or 0
        col = getattr(meta_or_tok, "column", None) or 0
        return m.Pos(self.filename, line, col)

    @staticmethod
    def _meta(attrs: list, orig: str = "") -> tuple[m.Meta, dict]:
        meta: dict = {"orig_name": orig}
        extra: dict = {}
        docs, notes, markers, stated, lengths = [], [], [], [], []
        for a in attrs:
            if not isinstance(a, _Attr):
                continue
            k, v = a.kind, a.value
            if k == "doc":
                docs.append(v)
            elif k == "note":
                notes.append(v)
            elif k == "marker":
                markers.append(v)
            elif k == "stated":
                stated.append(v)
            elif k == "length":
                lengths.append(v)
            elif k in ("value", "default", "vci", "unit", "scale", "enum", "valid_range", "label"):
                meta[k] = v
            else:
                extra[k] = v
        meta["doc"] = _join(docs)
        meta["note"] = _join(notes)
        meta["markers"] = tuple(markers)
        meta["stated"] = tuple(stated)
        meta["stated_length"] = tuple(lengths)
        return m.Meta(**meta), extra

    # ------------------------------------------------------------ tokens
    def STRING(self, tok: Token) -> str:  # noqa: N802 - lark callback name
        return _unquote(str(tok))

    # ------------------------------------------------------------ expressions
    @v_args(meta=True)
    def num(self, meta, children):
        tok = children[0]
        text = str(tok)
        return m.Num(int(text, 16) if text.lower().startswith("0x") else int(text), self._pos(meta))

    @v_args(meta=True)
    def decimal(self, meta, children):
        major, minor = str(children[0]).split(".")
        return m.Version(int(major), int(minor), self._pos(meta))

    @v_args(meta=True)
    def ref(self, meta, children):
        parts: list = []
        for c in children:
            if isinstance(c, Token):
                parts.append(int(c) if c.type == "INT" else str(c))
            elif isinstance(c, Tree) and c.data == "index_part":
                parts.append(c.children[0])
            else:
                parts.append(c)
        return m.Ref(tuple(parts), self._pos(meta))

    @v_args(meta=True)
    def binop(self, meta, children):
        left, op, right = children
        return m.BinOp(str(op), left, right, self._pos(meta))

    @v_args(meta=True)
    def compare(self, meta, children):
        left, op, right = children
        return m.BinOp(str(op), left, right, self._pos(meta))

    @v_args(meta=True)
    def and_(self, meta, children):
        return m.BinOp("and", children[0], children[1], self._pos(meta))

    @v_args(meta=True)
    def or_(self, meta, children):
        return m.BinOp("or", children[0], children[1], self._pos(meta))

    @v_args(meta=True)
    def not_(self, meta, children):
        return m.UnOp("not", children[0], self._pos(meta))

    @v_args(meta=True)
    def neg(self, meta, children):
        return m.UnOp("neg", children[0], self._pos(meta))

    @v_args(meta=True)
    def cond(self, meta, children):
        return m.Cond(children[0], children[1], children[2], self._pos(meta))

    @v_args(meta=True)
    def call(self, meta, children):
        name = str(children[0])
        args = tuple(c for c in children[1:] if not isinstance(c, Token))
        then = tuple(str(c) for c in children[1:] if isinstance(c, Token))
        return m.Call(name, args, then, pos=self._pos(meta))

    @v_args(meta=True)
    def sizeof(self, meta, children):
        return m.Call("sizeof", (), type_name=str(children[0]), pos=self._pos(meta))

    # ------------------------------------------------------------ enums
    def enum_int(self, children):
        text = str(children[0])
        v = int(text, 16) if text.lower().startswith("0x") else int(text)
        return (v, v)

    def enum_range(self, children):
        lo, hi = (int(str(c), 0) for c in children)
        return (lo, hi)

    def enum_label(self, children):
        c = children[0]
        return str(c)

    @v_args(meta=True)
    def enum_entry(self, meta, children):
        (lo, hi), label = children
        reserved = label.strip().lower() == "reserved"
        parts: list = []
        template = bool(_TEMPLATE.search(label))
        if template:
            pos = 0
            for mt in _TEMPLATE.finditer(label):
                if mt.start() > pos:
                    parts.append(label[pos : mt.start()])
                parts.append(self._parse_expr(mt.group(1), self._pos(meta)))
                pos = mt.end()
            if pos < len(label):
                parts.append(label[pos:])
        return m.EnumEntry(lo, hi, label, template, reserved, tuple(parts), self._pos(meta))

    @v_args(meta=True)
    def enum_body(self, meta, children):
        return m.Enum(None, tuple(children), pos=self._pos(meta))

    def enum_kind(self, children):
        return str(children[0])

    @v_args(meta=True)
    def enum_def(self, meta, children):
        kind, name, body = children
        return m.Enum(str(name), body.entries, flags=(kind == "flags"), pos=self._pos(meta))

    # ------------------------------------------------------------ attributes
    @v_args(meta=True)
    def offset_attr(self, meta, children):
        profile = None
        if isinstance(children[0], tuple) and children[0][0] == "profile":
            profile = children[0][1]
            children = children[1:]
        start, end = children[0]
        return _Attr("stated", m.Stated(start, end, profile, self._pos(meta)))

    def profile_tag(self, children):
        return ("profile", str(children[0]))

    @v_args(meta=True)
    def ofs_int(self, meta, children):
        return (m.Num(int(children[0]), self._pos(meta)), None)

    @v_args(meta=True)
    def ofs_range(self, meta, children):
        return (m.Num(int(children[0]), self._pos(meta)), m.Num(int(children[1]), self._pos(meta)))

    def ofs_expr(self, children):
        return (children[0], None)

    def ofs_expr_range(self, children):
        return (children[0], children[1])

    def value_attr(self, children):
        return _Attr("value", str(children[0]))

    def default_attr(self, children):
        return _Attr("default", children[0])

    def vci_attr(self, children):
        return _Attr("vci", str(children[0]))

    def unit_attr(self, children):
        return _Attr("unit", children[0])

    def label_attr(self, children):
        return _Attr("label", (children[0], str(children[1])))

    def scale_attr(self, children):
        return _Attr("scale", float(str(children[0])))

    def enum_attr(self, children):
        kind, what = children
        if isinstance(what, m.Enum):
            return _Attr("enum", replace(what, flags=(kind == "flags")))
        return _Attr("enum", str(what))

    def range_attr(self, children):
        return _Attr("valid_range", (int(children[0]), int(children[1])))

    def element_size_attr(self, children):
        return _Attr("element_size", children[0])

    def length_attr(self, children):
        profile = None
        if isinstance(children[0], tuple):
            profile = children[0][1]
            children = children[1:]
        return _Attr("length", (profile, int(children[0])))

    def chain_attr(self, children):
        return _Attr("chain", (str(children[0]), children[1]))

    def stated_mode(self, children):
        return str(children[0])

    def stated_attr(self, children):
        return _Attr("stated_absolute", children[0] == "absolute")

    def endian(self, children):
        return str(children[0])

    def endian_attr(self, children):
        return _Attr("endian", children[0])

    def marker(self, children):
        return str(children[0])

    def marker_attr(self, children):
        text = children[1] if len(children) > 1 else ""
        return _Attr("marker", (children[0], text))

    def doc_stmt(self, children):
        return _Attr("doc", _join(children))

    def note_stmt(self, children):
        return _Attr("note", _join(children))

    # ------------------------------------------------------------ items
    def dims(self, children):
        c = children[0]
        return None if isinstance(c, Token) and c.type == "STAR" else c

    def type_args(self, children):
        return tuple(children)

    @v_args(meta=True)
    def type_ref(self, meta, children):
        name = str(children[0])
        args: tuple = ()
        dims: list = []
        for c in children[1:]:
            if isinstance(c, tuple):
                args = c
            else:
                dims.append(c)
        return m.TypeRef(name, args, tuple(dims), self._pos(meta))

    def _split_head(self, children):
        """(id, orig, attrs) from ``NAME STRING? attr*`` children."""
        rest = list(children)
        ident = str(rest.pop(0))
        orig = ""
        if rest and isinstance(rest[0], str) and not isinstance(rest[0], Token):
            orig = rest.pop(0)
        return ident, orig, rest

    @v_args(meta=True)
    def field(self, meta, children):
        tref = children[0]
        ident, orig, attrs = self._split_head(children[1:])
        mt, extra = self._meta(attrs, orig)
        return m.Field(
            ident, tref, mt, extra.get("endian"), extra.get("element_size"),
            bool(extra.get("stated_absolute")), self._pos(meta), extra.get("chain"),
        )

    def bit_kind(self, children):
        return str(children[0])

    @v_args(meta=True)
    def bit_member(self, meta, children):
        kind = children[0]
        rest = list(children[1:])
        lo = int(rest.pop(0))
        hi = lo
        if rest and isinstance(rest[0], Token) and rest[0].type == "INT":
            hi = int(rest.pop(0))
        ident = ""
        if rest and isinstance(rest[0], Token) and rest[0].type == "NAME":
            ident = str(rest.pop(0))
        orig = ""
        if rest and isinstance(rest[0], str) and not isinstance(rest[0], Token):
            orig = rest.pop(0)
        mt, _ = self._meta(rest, orig)
        if not ident:
            ident = f"_fill_{lo}_{hi}" if kind == "FILL" else f"_bit_{lo}_{hi}"
        return m.BitMember(ident, kind, lo, hi, mt, self._pos(meta))

    @v_args(meta=True)
    def bits_field(self, meta, children):
        tref = children[0]
        ident, orig, rest = self._split_head(children[1:])
        members = [c for c in rest if isinstance(c, m.BitMember)]
        attrs = [c for c in rest if isinstance(c, _Attr)]
        mt, extra = self._meta(attrs, orig)
        return m.BitsField(ident, tref, tuple(members), mt, extra.get("endian"), self._pos(meta))

    def _record_parts(self, children):
        dims = []
        rest = list(children)
        while rest and not isinstance(rest[0], Token):
            dims.append(rest.pop(0))
        ident, orig, rest = self._split_head(rest)
        return tuple(dims), ident, orig, rest

    @v_args(meta=True)
    def record_field(self, meta, children):
        dims, ident, orig, rest = self._record_parts(children)
        attrs = [c for c in rest if isinstance(c, _Attr)]
        body = tuple(c for c in rest if not isinstance(c, _Attr))
        mt, extra = self._meta(attrs, orig)
        return m.RecordField(
            ident, dims, body, mt, None, (), extra.get("element_size"),
            bool(extra.get("stated_absolute")), self._pos(meta), extra.get("chain"),
        )

    @v_args(meta=True)
    def record_use(self, meta, children):
        dims, ident, orig, rest = self._record_parts(children)
        uses = str(rest.pop(0))
        args: tuple = ()
        if rest and isinstance(rest[0], tuple):
            args = rest.pop(0)
        mt, extra = self._meta(rest, orig)
        return m.RecordField(
            ident, dims, (), mt, uses, args, extra.get("element_size"),
            bool(extra.get("stated_absolute")), self._pos(meta), extra.get("chain"),
        )

    @v_args(meta=True)
    def if_block(self, meta, children):
        test = children[0]
        body = [c for c in children[1:] if not (isinstance(c, tuple) and c and c[0] == "else")]
        other: tuple = ()
        for c in children[1:]:
            if isinstance(c, tuple) and c and c[0] == "else":
                other = c[1]
        return m.If(test, tuple(body), other, self._pos(meta))

    def else_block(self, children):
        return ("else", tuple(children))

    def since_word(self, children):
        return str(children[0])

    def cpm_since(self, children):
        return ("cpm", str(children[0]))

    @v_args(meta=True)
    def since_block(self, meta, children):
        """``since fw X [cpm Y]``: an OSGP meter at X or later (or a Control Point/OSGP Module at
        Y or later); a module's firmware series (1.xx) is never compared with a meter version.
        ``before`` is the complement of the same ``since``."""
        word, ver = children[0], children[1]
        rest = list(children[2:])
        cpm_ver = None
        if rest and isinstance(rest[0], tuple) and rest[0][:1] == ("cpm",):
            cpm_ver = rest.pop(0)[1]
        pos = self._pos(meta)

        def version(text: str) -> m.Version:
            major, minor = text.split(".")
            return m.Version(int(major), int(minor), pos)

        def device_is(n: int) -> m.Expr:
            return m.BinOp("==", m.Ref(("cpm",), pos), m.Num(n, pos), pos)

        test: m.Expr = m.BinOp("and", device_is(0),
                               m.BinOp(">=", m.Ref(("fw",), pos), version(str(ver)), pos), pos)
        if cpm_ver is not None:
            on_cpm = m.BinOp(">=", m.Ref(("fw",), pos), version(cpm_ver), pos)
            test = m.BinOp("or", test, m.BinOp("and", device_is(1), on_cpm, pos), pos)
        if word != "since":
            test = m.UnOp("not", test, pos)
        return m.If(test, tuple(rest), (), pos)

    def case_int(self, children):
        v = int(str(children[0]), 0)
        return (v, v)

    def case_range(self, children):
        return (int(children[0]), int(children[1]))

    @v_args(meta=True)
    def case(self, meta, children):
        keys = tuple(c for c in children if isinstance(c, tuple))
        body = tuple(c for c in children if not isinstance(c, tuple))
        return m.Case(keys, body, self._pos(meta))

    @v_args(meta=True)
    def case_else(self, meta, children):
        return m.Case((), tuple(children), self._pos(meta))

    @v_args(meta=True)
    def switch_block(self, meta, children):
        return m.Switch(children[0], tuple(children[1:]), self._pos(meta))

    @v_args(meta=True)
    def let_stmt(self, meta, children):
        return m.Let(str(children[0]), children[1], self._pos(meta))

    @v_args(meta=True)
    def derived(self, meta, children):
        ident, orig, rest = self._split_head(children)
        expr = rest.pop(0)
        mt, _ = self._meta(rest, orig)
        return m.Derived(ident, expr, mt, self._pos(meta))

    # ------------------------------------------------------------ header statements
    def number_stmt(self, children):
        dec = int(children[0])
        hx = int(str(children[1]), 16) if len(children) > 1 else None
        return _Stmt("number", (dec, hx))

    def guide_stmt(self, children):
        return _Stmt("guide", tuple(int(c) for c in children))

    def access_op(self, children):
        return str(children[0])

    def key(self, children):
        return str(children[0])

    def access_stmt(self, children):
        op = children[0]
        keys = tuple(k for k in children[1:] if k in ("MBK", "MAK", "none"))
        clients = tuple(str(c) for c in children[1:] if isinstance(c, Token) and c.type == "NAME")
        return _Stmt("access", m.Access(op, tuple(k for k in keys if k != "none"), clients))

    def status(self, children):
        return str(children[0])

    def status_stmt(self, children):
        return _Stmt("status", children[0])

    def size_stmt(self, children):
        profile = None
        if isinstance(children[0], tuple):
            profile = children[0][1]
            children = children[1:]
        return _Stmt("size", (profile, children[0]))

    def layout_stmt(self, children):
        return _Stmt("layout", (str(children[0]), tuple(children[1:])))

    def layout_arg(self, children):
        return (str(children[0]), children[1])

    def param_stmt(self, children):
        return _Stmt("param", (str(children[0]), children[1]))

    @v_args(meta=True)
    def dim_stmt(self, meta, children):
        ident = str(children[0])
        orig = children[1] if len(children) == 3 else ""
        return _Stmt("dim", m.Dim(ident, orig, children[-1], self._pos(meta)))

    def flag_stmt(self, children):
        return _Stmt("ram_only", True)

    def nvm_flag(self, children):
        return str(children[0])

    def nvm_stmt(self, children):
        return _Stmt("nvm", tuple(c for c in children if c != "none"))

    def _header(self, stmts) -> m.Header:
        h: dict = {"access": [], "sizes": [], "dims": [], "doc": [], "note": []}
        for s in stmts:
            if isinstance(s, _Stmt):
                if s.kind == "number":
                    h["number"], h["number_hex"] = s.value
                elif s.kind == "guide":
                    h["guide_lines"] = s.value
                elif s.kind == "access":
                    h["access"].append(s.value)
                elif s.kind == "status":
                    h["status"] = s.value
                elif s.kind == "size":
                    h["sizes"].append(s.value)
                elif s.kind == "layout":
                    h["layout_of"], h["layout_args"] = s.value
                elif s.kind == "param":
                    h.setdefault("params", []).append(s.value)
                elif s.kind == "dim":
                    h["dims"].append(s.value)
                elif s.kind == "ram_only":
                    h["ram_only"] = True
                elif s.kind == "nvm":
                    h["nvm"] = s.value
            elif isinstance(s, _Attr) and s.kind in ("doc", "note"):
                h[s.kind].append(s.value)
        return m.Header(
            number=h.get("number"), number_hex=h.get("number_hex"),
            guide_lines=h.get("guide_lines", ()), access=tuple(h["access"]),
            doc=_join(h["doc"]), note=_join(h["note"]), status=h.get("status", "defined"),
            sizes=tuple(h["sizes"]), layout_of=h.get("layout_of"), dims=tuple(h["dims"]),
            ram_only=h.get("ram_only", False), nvm=h.get("nvm"),
            params=tuple(h.get("params", ())), layout_args=tuple(h.get("layout_args", ())),
        )

    # ------------------------------------------------------------ declarations
    def family(self, children):
        end = str(children[0])
        param = str(children[1]) if len(children) > 1 else None
        expr = children[2] if len(children) > 2 else None
        return ("family", end, param, expr)

    @v_args(meta=True)
    def table(self, meta, children):
        tid = str(children[0])
        rest = list(children[1:])
        fam = (None, None, None)
        if rest and isinstance(rest[0], tuple) and rest[0][0] == "family":
            _, *fam = rest.pop(0)
        name = rest.pop(0)
        stmts = [c for c in rest if isinstance(c, _Stmt) or (isinstance(c, _Attr) and c.kind in ("doc", "note"))]
        items = tuple(c for c in rest if not isinstance(c, _Attr))
        return m.Table(tid, name, self._header(stmts), items, fam[0], fam[1], fam[2], self._pos(meta))

    def request_block(self, children):
        return ("request", tuple(children))

    def response_block(self, children):
        return ("response", tuple(children))

    def results_block(self, children):
        return ("results", children[0])

    @v_args(meta=True)
    def procedure(self, meta, children):
        pid = str(children[0])
        name = children[1]
        rest = children[2:]
        blocks = {c[0]: c[1] for c in rest if isinstance(c, tuple)}
        stmts = [c for c in rest if isinstance(c, _Attr)]
        return m.Procedure(
            pid, name, self._header(stmts), blocks.get("request", ()), blocks.get("response", ()),
            blocks.get("results"), self._pos(meta),
        )

    def params(self, children):
        return ("params", tuple(str(c) for c in children))

    @v_args(meta=True)
    def record_def(self, meta, children):
        name = str(children[0])
        rest = list(children[1:])
        params: tuple = ()
        if rest and isinstance(rest[0], tuple) and rest[0][0] == "params":
            params = rest.pop(0)[1]
        orig = ""
        if rest and isinstance(rest[0], str) and not isinstance(rest[0], Token):
            orig = rest.pop(0)
        attrs = [c for c in rest if isinstance(c, _Attr)]
        body = tuple(c for c in rest if not isinstance(c, _Attr))
        mt, extra = self._meta(attrs, orig)
        return m.RecordDef(name, params, body, mt, extra.get("element_size"), self._pos(meta))

    def profile_set(self, children):
        key = str(children[0])
        tok = children[1]
        if isinstance(tok, Token) and tok.type == "DECIMAL":
            major, minor = str(tok).split(".")
            return (key, m.Version(int(major), int(minor)))
        if isinstance(tok, Token) and tok.type == "INT":
            return (key, int(tok))
        return (key, str(tok))

    @v_args(meta=True)
    def profile_def(self, meta, children):
        name = str(children[0])
        rest = list(children[1:])
        title = rest.pop(0) if rest and not isinstance(rest[0], tuple) else name
        return m.Profile(name, title, tuple(rest), self._pos(meta))

    def start(self, children):
        return list(children)
