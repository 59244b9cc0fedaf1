"""The spec model: frozen dataclasses for tables, procedures, records, fields and expressions.

This module imports nothing third-party.  Every node keeps its source position so later
stages (validator, backends) can point at the spec line that caused a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ---------------------------------------------------------------------------- positions


@dataclass(frozen=True, slots=True)
class Pos:
    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NOPOS = Pos("<builtin>", 0, 0)

# ---------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Num:
    value: int
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class Version:
    """A firmware version literal as the guide writes it: ``3.50`` is major 3, revision 50."""

    major: int
    minor: int
    pos: Pos = NOPOS

    @property
    def key(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor:02d}" if self.minor >= 10 else f"{self.major}.{self.minor}"


@dataclass(frozen=True, slots=True)
class Ref:
    """A name path: ``ET11.num_devices``, ``len_l``, ``BT61.sets[n].nbr_chns_set``.

    ``parts`` holds strings (names), ints (positional parts) and :data:`Expr` (indexes).
    """

    parts: tuple[str | int | Expr, ...]
    pos: Pos = NOPOS

    @property
    def head(self) -> str:
        return str(self.parts[0])

    def text(self) -> str:
        out = ""
        for i, p in enumerate(self.parts):
            if isinstance(p, (str, int)):
                out += ("." if i else "") + str(p)
            else:
                out += f"[{expr_text(p)}]"
        return out


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # + - * / % == != < <= > >= and or
    left: Expr
    right: Expr
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class UnOp:
    op: str  # neg, not
    operand: Expr
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class Cond:
    test: Expr
    then: Expr
    other: Expr
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class Call:
    """``sizeof(Rec)``, ``min(a, b)``, ``max(a, b)``, ``lookup(array, key.path, value).field``."""

    name: str
    args: tuple[Expr, ...]
    then: tuple[str, ...] = ()  # field path applied to the result
    type_name: str | None = None  # for sizeof
    pos: Pos = NOPOS


Expr = Num | Version | Ref | BinOp | UnOp | Cond | Call


def expr_text(e: Expr) -> str:
    """Render an expression back to spec syntax (for docs and messages)."""
    if isinstance(e, Num):
        return str(e.value)
    if isinstance(e, Version):
        return str(e)
    if isinstance(e, Ref):
        return e.text()
    if isinstance(e, BinOp):
        return f"{_wrap(e.left)} {e.op} {_wrap(e.right)}"
    if isinstance(e, UnOp):
        return f"-{_wrap(e.operand)}" if e.op == "neg" else f"not {_wrap(e.operand)}"
    if isinstance(e, Cond):
        return f"if {expr_text(e.test)} then {expr_text(e.then)} else {expr_text(e.other)}"
    if isinstance(e, Call):
        if e.name == "sizeof":
            return f"sizeof({e.type_name})"
        tail = "".join("." + t for t in e.then)
        return f"{e.name}({', '.join(expr_text(a) for a in e.args)}){tail}"
    raise TypeError(e)


def _wrap(e: Expr) -> str:
    return f"({expr_text(e)})" if isinstance(e, (BinOp, Cond)) else expr_text(e)


def expr_refs(e: Expr) -> list[Ref]:
    """Every :class:`Ref` inside an expression (including index expressions)."""
    out: list[Ref] = []
    stack: list[Expr] = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Ref):
            out.append(x)
            stack.extend(p for p in x.parts if not isinstance(p, (str, int)))
        elif isinstance(x, BinOp):
            stack += [x.left, x.right]
        elif isinstance(x, UnOp):
            stack.append(x.operand)
        elif isinstance(x, Cond):
            stack += [x.test, x.then, x.other]
        elif isinstance(x, Call):
            stack.extend(x.args)
    return out


# ---------------------------------------------------------------------------- enumerations


@dataclass(frozen=True, slots=True)
class EnumEntry:
    lo: int
    hi: int
    label: str
    template: bool = False  # label contains {expr} placeholders over `value`
    reserved: bool = False
    parts: tuple[str | Expr, ...] = ()  # parsed template: text and expressions
    pos: Pos = NOPOS

    def matches(self, value: int) -> bool:
        return self.lo <= value <= self.hi


@dataclass(frozen=True, slots=True)
class Enum:
    name: str | None
    entries: tuple[EnumEntry, ...]
    flags: bool = False  # keys are bit masks; several may apply
    doc: str = ""
    pos: Pos = NOPOS


# ---------------------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A field's type: a builtin or record name, optional arguments, array dimensions."""

    name: str
    args: tuple[Expr, ...] = ()
    dims: tuple[Expr | None, ...] = ()  # None = `[*]`, fill the rest of the enclosing element
    pos: Pos = NOPOS


# ---------------------------------------------------------------------------- field metadata


@dataclass(frozen=True, slots=True)
class Stated:
    """An offset the guide prints: a number, a range or an expression, maybe for one profile."""

    start: Expr
    end: Expr | None = None  # inclusive end of a stated byte range
    profile: str | None = None
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class Meta:
    """Documentation-side attributes shared by every field-like node."""

    orig_name: str = ""
    doc: str = ""
    note: str = ""
    value: str | None = None  # the guide's Value column, verbatim
    default: Expr | None = None
    vci: str | None = None
    unit: str | None = None
    scale: float | None = None
    enum: Enum | str | None = None  # inline enum or the name of a top-level one
    valid_range: tuple[int, int] | None = None
    markers: tuple[tuple[str, str], ...] = ()  # ("reserved"|"writeonly"|"deprecated", text)
    stated: tuple[Stated, ...] = ()
    stated_length: tuple[tuple[str | None, int], ...] = ()  # (profile, bytes)
    # label(BT22.summation_sources[0], SourceId): the name comes from another table's value,
    # shown through an enum, when the device has read it (F29)
    label: tuple[Expr, str] | None = None

    def has_marker(self, name: str) -> bool:
        return any(m == name for m, _ in self.markers)


# ---------------------------------------------------------------------------- layout items


@dataclass(frozen=True, slots=True)
class Field:
    id: str
    type: TypeRef
    meta: Meta = Meta()
    endian: str | None = None  # "msb" / "lsb"; None = the table default (LSB)
    element_size: Expr | None = None
    stated_absolute: bool = False
    pos: Pos = NOPOS
    chain: tuple[str, Expr] | None = None  # (field, while-condition): F33, record arrays only


@dataclass(frozen=True, slots=True)
class BitMember:
    id: str
    kind: str  # BOOL UINT INT FILL
    lo: int
    hi: int
    meta: Meta = Meta()
    pos: Pos = NOPOS

    @property
    def width(self) -> int:
        return self.hi - self.lo + 1


@dataclass(frozen=True, slots=True)
class BitsField:
    """A byte, word or byte array whose bits are named (``bits UINT16 x { ... }``)."""

    id: str
    container: TypeRef
    members: tuple[BitMember, ...]
    meta: Meta = Meta()
    endian: str | None = None
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class RecordField:
    """An inline record, an array of them, or a use of a named record (``= Name(args)``)."""

    id: str
    dims: tuple[Expr | None, ...]
    body: tuple[Item, ...]
    meta: Meta = Meta()
    uses: str | None = None
    args: tuple[Expr, ...] = ()
    element_size: Expr | None = None
    stated_absolute: bool = False
    pos: Pos = NOPOS
    chain: tuple[str, Expr] | None = None  # (field, while-condition): F33


@dataclass(frozen=True, slots=True)
class If:
    test: Expr
    then: tuple[Item, ...]
    other: tuple[Item, ...] = ()
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class Case:
    keys: tuple[tuple[int, int], ...]  # inclusive ranges; empty = else
    body: tuple[Item, ...]
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class Switch:
    on: Expr
    cases: tuple[Case, ...]
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class Let:
    name: str
    expr: Expr
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class Derived:
    id: str
    expr: Expr
    meta: Meta = Meta()
    pos: Pos = NOPOS


Item = Field | BitsField | RecordField | If | Switch | Let | Derived

# ---------------------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Access:
    op: str  # read / write / call
    keys: tuple[str, ...]  # MBK, MAK; empty = none
    clients: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Dim:
    """A dimension the guide relies on in a table it never lays out (``dim``)."""

    id: str
    orig_name: str
    default: Expr
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class Header:
    number: int | None = None  # as stated (assertion)
    number_hex: int | None = None
    guide_lines: tuple[int, ...] = ()
    access: tuple[Access, ...] = ()
    doc: str = ""
    note: str = ""
    status: str = "defined"
    sizes: tuple[tuple[str | None, Expr], ...] = ()  # (profile, stated size)
    layout_of: str | None = None
    dims: tuple[Dim, ...] = ()
    ram_only: bool = False
    # Appendix C: "write" (Write - NVM), "read" (Read - NVM Only); () listed with neither;
    # None: the table is not in Appendix C.
    nvm: tuple[str, ...] | None = None
    # `param length = ET11.txn_request_len`: a symbol of the table's layout, with its default;
    # `layout ET52(length = ET11.txn_response_len)` binds the shared layout with other values.
    params: tuple[tuple[str, Expr], ...] = ()
    layout_args: tuple[tuple[str, Expr], ...] = ()


KIND_BASE = {"BT": 0, "BP": 0, "ET": 2048, "EP": 2048, "MT": 2048, "MP": 2048, "FT": 0}


class _Numbered:
    """Kind, index and wire number from an id like ``ET11`` (ETnn = 2048 + nn, BTnn = nn)."""

    __slots__ = ()
    id: str

    @property
    def kind(self) -> str:
        return self.id[:2]

    @property
    def index(self) -> int:
        return int(self.id[2:])

    @property
    def number(self) -> int:
        return KIND_BASE[self.kind] + self.index


@dataclass(frozen=True, slots=True)
class Table(_Numbered):
    id: str  # ET11
    name: str
    header: Header
    body: tuple[Item, ...]
    family_end: str | None = None  # BT67 for BT64..BT67
    family_param: str | None = None
    family_expr: Expr | None = None
    pos: Pos = NOPOS
    is_procedure = False

    def members(self) -> list[str]:
        """Ids of all tables this declaration defines (a family defines several)."""
        if not self.family_end:
            return [self.id]
        return [f"{self.kind}{i:02d}" for i in range(self.index, int(self.family_end[2:]) + 1)]


@dataclass(frozen=True, slots=True)
class Procedure(_Numbered):
    id: str  # EP17
    name: str
    header: Header
    request: tuple[Item, ...] = ()
    response: tuple[Item, ...] = ()
    results: Enum | None = None
    pos: Pos = NOPOS
    is_procedure = True


@dataclass(frozen=True, slots=True)
class RecordDef:
    name: str
    params: tuple[str, ...]
    body: tuple[Item, ...]
    meta: Meta = Meta()
    element_size: Expr | None = None
    pos: Pos = NOPOS


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    title: str
    settings: tuple[tuple[str, int | Version | str], ...]
    pos: Pos = NOPOS

    def get(self, key: str, default=None):
        for k, v in self.settings:
            if k == key:
                return v
        return default


@dataclass(frozen=True, slots=True)
class Erratum:
    ident: str
    target: str  # ET03 or ET03.image_crc
    line: int
    text: str
    source: str = ""


@dataclass(frozen=True)
class Spec:
    """The whole spec: every declaration of every file, keyed for lookup."""

    tables: dict[str, Table] = field(default_factory=dict)  # by id, families expanded
    procedures: dict[str, Procedure] = field(default_factory=dict)
    records: dict[str, RecordDef] = field(default_factory=dict)
    enums: dict[str, Enum] = field(default_factory=dict)
    profiles: tuple[Profile, ...] = ()
    errata: tuple[Erratum, ...] = ()
    files: tuple[str, ...] = ()

    def find(self, ref: str | int) -> Table | Procedure | None:
        """A table or procedure by id (``"ET11"``, ``"EP17"``) or by table wire number."""
        if isinstance(ref, int):
            return self.table_by_number(ref)
        ref = ref.upper()
        return self.tables.get(ref) or self.procedures.get(ref)

    def table_by_number(self, number: int) -> Table | None:
        kind = "ET" if number & 0x800 else "BT"
        return self.tables.get(f"{kind}{number & 0x7FF:02d}")

    def procedure_by_number(self, number: int) -> Procedure | None:
        kind = "EP" if number & 0x800 else "BP"
        return self.procedures.get(f"{kind}{number & 0x7FF:02d}")

    def profile(self, name: str | None = None) -> Profile:
        if name is None:
            return self.profiles[0]
        for p in self.profiles:
            if p.name == name:
                return p
        raise KeyError(name)

    def errata_for(self, target: str) -> list[Erratum]:
        return [e for e in self.errata if e.target == target or e.target.startswith(target + ".")]


def table_id(kind: str, number: int) -> str:
    """``("ET", 2059)`` -> ``"ET11"``."""
    return f"{kind}{number - KIND_BASE[kind]:02d}"
