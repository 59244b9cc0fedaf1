"""``decode -Y EXPR``: a display filter over decoded fields and record attributes, and the
field lookup ``-T fields -e FIELD`` shares with it.

The expression is parsed with lark (never evaluated as Python)::

    et13.device_config.baud_rate == 4          # a decoded field: table id, then field names
    bt23.register_data.totals[0].fwd_active_wh > 1000
    digest == mismatch and not table == ET11   # record attributes (see FIELDS)
    warnings contains "sequence" || code_name == "Full Table Read"

A field names every value it has in a record (an array field one per element; ``[N]`` picks
one); a comparison holds when any value satisfies it, a bare field when it has a value.
Numbers compare as numbers (``0x`` hex accepted), words and quoted strings as text without
regard to case (an enumerated field also matches its meaning); ``contains`` looks for a
substring.  Unknown tables and unknown attributes are rejected when the filter is parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

__all__ = ["FIELDS", "DisplayFilter", "FieldPath", "FilterError", "field_values",
           "format_value", "parse_field", "parse_filter"]

GRAMMAR = r"""
?start: or_test
?or_test: and_test | or_test ("or" | "||") and_test -> or_
?and_test: not_test | and_test ("and" | "&&") not_test -> and_
?not_test: ("not" | "!") not_test -> not_ | atom
?atom: field OP value -> compare
     | field -> present
     | "(" or_test ")"
field: NAME (_DOT NAME | "[" INT "]")*
?value: NUMBER -> number
      | STRING -> string
      | WORD -> word
_DOT: "."
OP: "==" | "!=" | "<=" | ">=" | "<" | ">" | "contains" | "eq" | "ne" | "lt" | "le" | "gt" | "ge"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
INT: /[0-9]+/
NUMBER.2: /-?(0[xX][0-9a-fA-F]+|[0-9]+(\.[0-9]+)?)(?![A-Za-z0-9_])/
STRING: /"[^"]*"|'[^']*'/
WORD: /[A-Za-z_][A-Za-z0-9_.:>\-]*/
%ignore /[ \t\r\n]+/
"""

_OPS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class FilterError(ValueError):
    """A filter or field that cannot be used; ``column`` (1-based) when the syntax is at fault."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


def _record_json(item: Any) -> dict[str, Any]:
    return item.to_json()


def _digest_words(item: Any) -> list[str]:
    sec = item.record.security or {}
    out = []
    for key in ("request_digest", "response_digest"):
        text = sec.get(key)
        if not text:
            continue
        if text.startswith("verified"):
            out.append("verified")
        elif "mismatch" in text:
            out.append("mismatch")
        elif text == "no key":
            out.append("nokey")
        else:
            out.append(text)
    return out


def _tables(item: Any) -> list[Any]:
    from osgpdissect.c1218.codes import table_id
    from osgpdissect.cli.filters import record_procedure, record_tables

    out: list[Any] = [table_id(n) for n in sorted(record_tables(item.record))]
    proc = record_procedure(item.record)
    return [*out, proc] if proc else out


def _errors(item: Any) -> list[str]:
    from osgpdissect.cli.filters import error_kinds

    return list(error_kinds(item.record, item.line_errors))


def _direction(item: Any) -> list[str]:
    from osgpdissect.cli.filters import record_direction

    d = record_direction(item.record)
    return [d] if d else []


def _one(value: Any) -> list[Any]:
    return [] if value is None else [value]


@dataclass(frozen=True)
class Attribute:
    """A record attribute of the filter language: its values and what it means."""

    values: Callable[[Any], list[Any]]
    help: str
    literal: Callable[[str], Any] | None = None  # how a word compared with it is read


def _table_literal(text: str) -> str:
    from osgpdissect.cli.filters import resolve_table

    try:
        return str(resolve_table(text))
    except ValueError as exc:
        raise FilterError(str(exc)) from None


def _direction_literal(text: str) -> str:
    return {"c2s": "C->S", "tx": "C->S", "s2c": "S->C", "rx": "S->C"}.get(text.lower(), text)


FIELDS: dict[str, Attribute] = {
    "kind": Attribute(lambda i: [i.record.kind], "exchange, unanswered, orphan, alert, "
                      "malformed, wakeup, link"),
    "index": Attribute(lambda i: [i.record.index], "record number"),
    "time": Attribute(lambda i: _one(i.record.time), "record time (seconds)"),
    "latency": Attribute(lambda i: _one(i.record.latency), "response latency (seconds)"),
    "protocol": Attribute(lambda i: [i.protocol], "mep, optical or unknown"),
    "direction": Attribute(_direction, "direction of the first frame (C->S, S->C; tx, rx)",
                           _direction_literal),
    "table": Attribute(_tables, "tables and procedure the record touches (ET13, BT23, EP17)",
                       _table_literal),
    "code": Attribute(lambda i: _one(getattr(i.record.request, "code", None)),
                      "request code"),
    "code_name": Attribute(lambda i: _one(i.to_json()["request"]["code_name"]
                                          if i.record.request is not None else None),
                           "request code name"),
    "digest": Attribute(_digest_words, "digest checks: verified, mismatch, nokey, "
                        "unverifiable"),
    "error": Attribute(lambda i: [bool(_errors(i))], "true when the record is marked !"),
    "errors": Attribute(_errors, "why the record is marked ! (one value per reason)"),
}

_JSON_KEYS = ("record", "request", "response", "pairing", "security", "decoded", "procedure",
              "transaction", "malformed", "alert", "link", "line_errors", "warnings")


@dataclass(frozen=True)
class FieldPath:
    """A field: a record attribute, a JSON key path, or a table id and decoded field names."""

    text: str
    head: str  # attribute name, JSON key, or table id (ET13)
    steps: tuple[str | int, ...]
    source: str  # "attribute", "json" or "table"

    @property
    def literal(self) -> Callable[[str], Any] | None:
        return FIELDS[self.head].literal if self.source == "attribute" else None


def _make_field(parts: list[Token], text: str) -> FieldPath:
    from osgpdissect.cli.filters import resolve_table

    head = str(parts[0])
    steps = tuple(int(p) if p.type == "INT" else str(p) for p in parts[1:])
    low = head.lower()
    if low in FIELDS and not steps:
        return FieldPath(text, low, steps, "attribute")
    if low in _JSON_KEYS or (low in ("index", "time", "protocol") and steps):
        return FieldPath(text, low, steps, "json")
    if low[:2] in ("et", "bt", "ep", "bp", "mt", "st") and low[2:].isdigit():
        try:
            return FieldPath(text, str(resolve_table(head)), steps, "table")
        except ValueError as exc:
            raise FilterError(str(exc)) from None
    known = ", ".join(sorted({*FIELDS, *_JSON_KEYS}))
    raise FilterError(f"unknown field {head!r} (a table id such as et13, or one of: {known})")


def field_values(path: FieldPath, item: Any) -> list[Any]:
    """Every value ``path`` has in ``item`` (a decoded record with its protocol)."""
    if path.source == "attribute":
        return FIELDS[path.head].values(item)
    if path.source == "json":
        return list(_json_walk(_record_json(item).get(path.head), path.steps))
    table = item.record.table
    out: list[Any] = []
    if table is not None and table.table == path.head:
        nodes = list(_node_walk(table.nodes, path.steps))
        out = [_NodeValue(n) for n in nodes]
    proc = item.record.procedure
    if not out and isinstance(proc, dict) and proc.get("procedure") == path.head:
        out = list(_json_walk(proc, path.steps))
    return out


def _json_walk(value: Any, steps: tuple[str | int, ...]) -> Iterator[Any]:
    if isinstance(value, list) and not (steps and isinstance(steps[0], int)):
        for v in value:
            yield from _json_walk(v, steps)
        return
    if not steps:
        if value is not None:
            yield value
        return
    step, rest = steps[0], steps[1:]
    if isinstance(step, int):
        if isinstance(value, list) and 0 <= step < len(value):
            yield from _json_walk(value[step], rest)
    elif isinstance(value, dict):
        if step in value:
            yield from _json_walk(value[step], rest)
        elif isinstance(value.get("fields"), dict | list):  # optical fields, procedure fields
            yield from _json_walk(value["fields"], steps)
    if isinstance(value, dict) and isinstance(step, str) and value.get("name") == step:
        # a decoded node in JSON (decoded.fields...): its value, or on into its children
        yield from _json_walk(value.get("children") if rest else value.get("value"), rest)


def _node_walk(nodes: list[Any], steps: tuple[str | int, ...]) -> Iterator[Any]:
    """Decoded nodes along ``steps``; array elements (``[N]``) are looked through unless an
    index step names one."""
    if not steps:
        yield from nodes
        return
    step, rest = steps[0], steps[1:]
    for node in nodes:
        if isinstance(step, int):
            if node.name == f"[{step}]":
                if rest:
                    yield from _node_walk(node.children, rest)
                else:
                    yield node
            continue
        if node.name == step:
            if rest:
                yield from _node_walk(node.children, rest)
            else:
                yield node
        elif node.name.startswith("["):
            yield from _node_walk(node.children, steps)


class _NodeValue:
    """A decoded field's value with its enumeration meaning (both match a word)."""

    __slots__ = ("node",)

    def __init__(self, node: Any) -> None:
        self.node = node


def _plain(value: Any) -> Any:
    return value.node.value if isinstance(value, _NodeValue) else value


def _texts(value: Any) -> list[str]:
    if isinstance(value, _NodeValue):
        out = [format_value(value.node.value)]
        if value.node.enum:
            out.append(str(value.node.enum))
        return [t.lower() for t in out]
    return [format_value(value).lower()]


def format_value(value: Any) -> str:
    """A value as ``-T fields`` prints it: numbers in decimal, booleans as true/false, text as
    is, a structure (no value of its own) as nothing."""
    value = _plain(value)
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray):
        return value.hex()
    return str(value)


def _number(value: Any) -> float | None:
    value = _plain(value)
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return None


def _compare(op: str, have: Any, want: Any) -> bool:
    if op == "contains":
        return any(str(want).lower() in t for t in _texts(have))
    if isinstance(want, float):
        got = _number(have)
        if got is None:
            return False
        return {"==": got == want, "!=": got != want, "<": got < want, "<=": got <= want,
                ">": got > want, ">=": got >= want}[op]
    texts = _texts(have)
    word = str(want).lower()
    if word in ("true", "false") and isinstance(_plain(have), bool):
        texts = [format_value(have)]
    if op == "==":
        return word in texts
    if op == "!=":
        return word not in texts
    text = texts[0]
    return {"<": text < word, "<=": text <= word, ">": text > word, ">=": text >= word}[op]


class _Number(float):
    """A number of the filter with its text (``0x080D`` is a table id to ``table``)."""

    text: str

    def __new__(cls, value: float, text: str) -> _Number:
        obj = super().__new__(cls, value)
        obj.text = text
        return obj


class _Build(Transformer):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def field(self, parts: list[Token]) -> FieldPath:
        start = parts[0].start_pos or 0
        end = parts[-1].end_pos if parts[-1].end_pos is not None else len(self.text)
        if parts[-1].type == "INT":
            end += 1
        return _make_field(parts, self.text[start:end])

    @v_args(inline=True)
    def number(self, tok: Token) -> float:
        value = float(int(tok, 0)) if tok.lower().lstrip("-").startswith("0x") else float(tok)
        return _Number(value, str(tok))

    @v_args(inline=True)
    def string(self, tok: Token) -> str:
        return str(tok)[1:-1]

    @v_args(inline=True)
    def word(self, tok: Token) -> str:
        return str(tok)

    @v_args(inline=True)
    def compare(self, path: FieldPath, op: Token, want: Any) -> Callable[[Any], bool]:
        name = _OPS.get(str(op), str(op))
        if path.literal is not None and isinstance(want, str | _Number):
            want = path.literal(want.text if isinstance(want, _Number) else want)

        def test(item: Any) -> bool:
            return any(_compare(name, v, want) for v in field_values(path, item))
        return test

    @v_args(inline=True)
    def present(self, path: FieldPath) -> Callable[[Any], bool]:
        def test(item: Any) -> bool:
            values = field_values(path, item)
            if path.source == "attribute" and path.head == "error":
                return bool(values and values[0])
            return bool(values)
        return test

    @v_args(inline=True)
    def not_(self, inner: Callable[[Any], bool]) -> Callable[[Any], bool]:
        return lambda item: not inner(item)

    @v_args(inline=True)
    def and_(self, a: Callable[[Any], bool], b: Callable[[Any], bool]) -> Callable[[Any], bool]:
        return lambda item: a(item) and b(item)

    @v_args(inline=True)
    def or_(self, a: Callable[[Any], bool], b: Callable[[Any], bool]) -> Callable[[Any], bool]:
        return lambda item: a(item) or b(item)


_PARSERS: dict[str, Lark] = {}


def _parser(start: str) -> Lark:
    if start not in _PARSERS:
        _PARSERS[start] = Lark(GRAMMAR, start=start, parser="lalr")
    return _PARSERS[start]


def _syntax_error(text: str, exc: LarkError) -> FilterError:
    column = getattr(exc, "column", None)
    tok = getattr(exc, "token", None)
    if (isinstance(exc, UnexpectedEOF) or column in (None, -1)
            or getattr(tok, "type", "") == "$END"):
        column = len(text) + 1
        what = "unexpected end of the filter"
    elif isinstance(exc, UnexpectedCharacters):
        what = f"unexpected character {text[column - 1]!r}"
    else:
        what = f"unexpected {str(tok)!r}" if tok else "unexpected input"
    pointer = " " * (column - 1) + "^"
    return FilterError(f"syntax error at column {column}: {what}\n  {text}\n  {pointer}", column)


class DisplayFilter:
    """A parsed ``-Y`` expression; call it with a decoded item (record + protocol)."""

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            tree = _parser("start").parse(text)
        except UnexpectedInput as exc:
            raise _syntax_error(text, exc) from None
        except LarkError as exc:
            raise FilterError(f"cannot read the filter: {exc}") from None
        try:
            self._test = _Build(text).transform(tree)
        except LarkError as exc:  # errors raised inside the transformer come wrapped
            inner = getattr(exc, "orig_exc", None)
            if isinstance(inner, FilterError):
                raise inner from None
            raise FilterError(f"cannot read the filter: {exc}") from None

    def __call__(self, item: Any) -> bool:
        return bool(self._test(item))


def parse_filter(text: str) -> DisplayFilter:
    """``text`` as a :class:`DisplayFilter`; raises :class:`FilterError`."""
    return DisplayFilter(text)


def parse_field(text: str) -> FieldPath:
    """One ``-e`` field name; raises :class:`FilterError`."""
    try:
        tree = _parser("field").parse(text.strip())
    except UnexpectedInput as exc:
        raise _syntax_error(text.strip(), exc) from None
    try:
        return _Build(text.strip()).transform(tree)
    except LarkError as exc:
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, FilterError):
            raise inner from None
        raise FilterError(f"cannot read the field: {exc}") from None
