"""Decoded table fields straight to JSON text: the bulk path of ``decode --output json``.

:class:`FieldsJsonDecoder` gives the same text as ``json.dumps([n.to_json() for n in
decode_table(...).nodes])``, faster in two ways:

* **fused**: a flat, fixed-size layout read in whole fields (a clock, a dimension table) is
  written field by field from a per-layout template; no ``Node`` objects are made, and a
  field's text is remembered by its own bytes (a clock's qualifier byte, an unchanged counter);
* **memoised**: the text of recent ``(layout, offset, bytes)`` is reused.  A layout is the
  device's *bound* layout, so a memo entry dies when the device learns something that changes
  it (a new ET11 re-lays ET13 out); polling captures repeat most reads byte for byte.

Both memos are bounded by the characters they hold.

Everything else goes through :func:`osgpdissect.decode.decode_table` unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from osgpdissect.decode import (
    _enum_label,
    _Leaf,
    _Plan,
    _plan_of,
    _scalar_display,
    _Walker,
    decode_table,
    scalar_shown,
)
from osgpdissect.errors import DecodeError
from osgpdissect.jsontext import dumps, json_str, json_value
from osgpdissect.lang import model as m
from osgpdissect.layout.binder import BindError, Bound, LBitMember, LBits, LScalar
from osgpdissect.layout.device import Device

__all__ = ["FieldsJson", "FieldsJsonDecoder", "fields_text"]

# The memos are dropped whole when full, so memory stays flat whatever the capture.
MEMO_CHARS = 4 << 20  # text remembered for whole reads, in characters
FIELD_MEMO_CHARS = 1 << 20  # text remembered for single top-level fields, in characters
FIELD_MEMO_SIZE = 256  # texts remembered per top-level field


@dataclass(frozen=True, slots=True)
class FieldsJson:
    """One decode: the JSON array of field nodes, and what the decoder had to say."""

    text: str
    defaults_used: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def fields_text(nodes: list) -> str:
    """The JSON text of decoded ``Node`` objects (the reference the fast paths must match)."""
    return dumps([n.to_json() for n in nodes])


class _Template:
    """Per-layout JSON pieces of the fused path, one entry per top-level field.

    ``heads[i]`` is the field's node up to ``"value": ``; ``units[i]`` its ``"unit"`` part;
    for a bit field, ``members[i]`` holds each member's head and unit part.  A top-level
    field's JSON depends on its own bytes only, so ``texts[i]`` remembers it by those bytes.
    """

    __slots__ = ("heads", "units", "members", "texts", "usable")

    def __init__(self, plan: _Plan) -> None:
        self.heads: list[str] = []
        self.units: list[str] = []
        self.members: list[tuple[tuple[LBitMember, str, str], ...]] = []
        self.texts: list[dict[bytes, str]] = []
        self.usable = True
        for leaf in plan.leaves:
            c = leaf.node
            self.heads.append(_head(leaf.name, leaf.orig_name, leaf.off, leaf.size))
            self.units.append(_unit(leaf.unit))
            self.texts.append({})
            members: tuple[tuple[LBitMember, str, str], ...] = ()
            if isinstance(c, LBits):
                members = tuple(
                    (
                        mb,
                        _head(mb.id, mb.meta.orig_name, leaf.off + _member_byte(c, mb), 1),
                        _unit(mb.meta.unit),
                    )
                    for mb in c.members
                )
            self.members.append(members)
            if not leaf.size:
                self.usable = False  # zero-size fields: the walker's rules, not worth copying

    def forget(self) -> None:
        for memo in self.texts:
            memo.clear()

    def field_text(self, i: int, leaf: _Leaf, raw: bytes) -> str:
        """The JSON of top-level field ``i`` holding ``raw`` (whole)."""
        c = leaf.node
        single = leaf.single
        if single is not None:  # a plain integer (kind 1)
            v = single.unpack(raw)[0]
            value = int.__repr__(v)
            extra = _enum_part(leaf.enum, v)
        elif isinstance(c, LScalar):
            if c.enum is not None:
                plain, shown = _scalar_display(c, raw)
                extra = _enum_part(c.enum, plain)
            else:
                shown, extra = scalar_shown(c, raw), ""
            value = json_value(shown)
        elif isinstance(c, LBits):
            v = int.from_bytes(raw, "big" if c.big_endian else "little")
            hexed = raw.hex(" ").upper()
            children = _bits_children(self.members[i], v)
            return f'{self.heads[i]}{v}, "raw": "{hexed}"{self.units[i]}{children}}}'
        else:  # a blob: the walker's own rules
            node = _Walker(raw, leaf.off).field(c, leaf.off, leaf.size, None)[0]
            return dumps(node.to_json()) if node is not None else ""
        hexed = raw.hex(" ").upper()
        return f'{self.heads[i]}{value}, "raw": "{hexed}"{extra}{self.units[i]}}}'


def _head(name: str, orig_name: str, offset: int, size: int) -> str:
    return (
        f'{{"name": {json_str(name)}, "orig_name": {json_str(orig_name)}, '
        f'"offset": {offset}, "size": {size}, "value": '
    )


def _unit(unit: str | None) -> str:
    return f', "unit": {json_str(unit)}' if unit is not None else ""


def _member_byte(bits: LBits, mb: LBitMember) -> int:
    """Which byte of the bit field holds the member's lowest bit (as the walker reports it)."""
    return (bits.width - 1 - mb.lo // 8) if bits.big_endian else mb.lo // 8


def _enum_part(e: m.Enum | None, value: Any) -> str:
    if e is None or type(value) is not int:
        return ""
    label = _enum_label(e, value)
    return f', "enum": {json_str(label)}' if label is not None else ""


def _bits_children(members: tuple[tuple[LBitMember, str, str], ...], v: int) -> str:
    parts: list[str] = []
    for mb, head, unit in members:
        mv = (v >> mb.lo) & ((1 << mb.width) - 1)
        kind = mb.kind
        if kind == "INT" and mv >> (mb.width - 1):
            mv -= 1 << mb.width
        if kind == "FILL" and not mv:
            continue
        shown = ("true" if mv else "false") if kind == "BOOL" else int.__repr__(mv)
        parts.append(f'{head}{shown}, "raw": "{mv:X}"{_enum_part(mb.enum, mv)}{unit}}}')
    return ', "children": [' + ", ".join(parts) + "]" if parts else ""


class FieldsJsonDecoder:
    """Decodes table bytes to :class:`FieldsJson` for one ``Device``."""

    def __init__(self, spec: m.Spec, device: Device) -> None:
        self.spec = spec
        self.device = device
        self._memo: dict[tuple[str, int, bytes], tuple[Bound, FieldsJson]] = {}
        self._memo_chars = 0
        self._field_chars = 0
        self._templates: dict[int, tuple[_Plan, _Template]] = {}
        self._decls: dict[str, m.Table | m.Procedure] = {}

    def decode(self, table: str, data: bytes, offset: int = 0) -> FieldsJson:
        """Like ``decode_table(spec, table, data, offset, device)``; raises ``DecodeError``."""
        table = table.upper()
        decl = self._decls.get(table)
        if decl is None:
            found = self.spec.find(table)
            if found is None:
                raise DecodeError(f"unknown table {table}")
            decl = self._decls[table] = found
        if not isinstance(decl, m.Table):
            return self._generic(table, data, offset)  # procedures: request/response parts
        try:
            bound = self.device.bound(table)
        except BindError as exc:
            raise DecodeError(f"{table}: cannot lay out the table ({exc.message})") from None
        if type(data) is not bytes:
            data = bytes(data)
        key = (table, offset, data)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is bound:
            return hit[1]
        plan = _plan_of(bound, 0)
        text = self._fused(plan, data, offset) if plan is not None else None
        if text is not None:
            result = FieldsJson(text, tuple(bound.defaults_used))
        else:
            result = self._generic(table, data, offset)
        self._memo_chars += len(result.text) + len(data)
        if self._memo_chars > MEMO_CHARS:
            self._memo.clear()
            self._memo_chars = len(result.text) + len(data)
        self._memo[key] = (bound, result)
        return result

    def _generic(self, table: str, data: bytes, offset: int) -> FieldsJson:
        res = decode_table(self.spec, table, data, offset=offset, device=self.device)
        return FieldsJson(fields_text(res.nodes), tuple(res.defaults_used), tuple(res.warnings))

    def _fused(self, plan: _Plan, data: bytes, offset: int) -> str | None:
        """The fields' JSON when the read covers whole top-level fields of a flat layout
        (None: take the general path: a field cut by the window, bytes beyond the layout)."""
        end = offset + len(data)
        if not data or end > plan.size:
            return None
        leaves = plan.leaves
        first = last = -1
        for i, leaf in enumerate(leaves):
            if leaf.end <= offset or leaf.off >= end:
                continue
            if leaf.off < offset or leaf.end > end:
                return None
            if first < 0:
                first = i
            last = i
        if first < 0:
            return None
        hit = self._templates.get(id(plan))
        if hit is None or hit[0] is not plan:
            if len(self._templates) >= 512:
                self._templates.clear()
            hit = self._templates[id(plan)] = (plan, _Template(plan))
        template = hit[1]
        if not template.usable:
            return None
        texts = template.texts
        parts: list[str] = []
        for i in range(first, last + 1):
            leaf = leaves[i]
            a = leaf.off - offset
            raw = data[a : a + leaf.size]
            memo = texts[i]
            text = memo.get(raw)
            if text is None:
                text = template.field_text(i, leaf, raw)
                self._field_chars += len(text) + len(raw)
                if self._field_chars > FIELD_MEMO_CHARS:
                    for _, other in self._templates.values():
                        other.forget()
                    self._field_chars = len(text) + len(raw)
                elif len(memo) >= FIELD_MEMO_SIZE:
                    memo.clear()
                memo[raw] = text
            if text:
                parts.append(text)
        return "[" + ", ".join(parts) + "]"
