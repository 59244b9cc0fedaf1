"""Table payloads as scapy layers, one class per table, decoded and built by the codec.

``table_class("ET11")`` is ``MEPTableData_ET11``, made once: its fields are the table's top-level
fields (records are dicts, arrays lists, in the shape ``DecodeResult.values()`` gives).  Dissecting
runs the codec's parser over the bytes; building runs its builder over the field values, so::

    raw(MEPTableData_ET11(num_devices=6, config_entry_size=66))   # table bytes
    MEPTableData_ET11(those_bytes).num_devices                    # 6

A payload read at an offset (a partial read) is decoded through the read window and builds back
to the bytes it was dissected from.  Every class subclasses :class:`MEPTableData`, so
``MEPTableData in pkt`` finds any of them.  The device context (dimensions, firmware) is the
module's :class:`~osgpdissect.c1218.tables.TableContext` (``set_table_context``).
"""

from __future__ import annotations

import keyword
from typing import Any

from scapy.fields import Field, StrField
from scapy.packet import Packet

from osgpdissect.backends.scapy.truncated import StrictPacket
from osgpdissect.c1218 import codes as C
from osgpdissect.codec import DecodeResult, decode_table, encode_table
from osgpdissect.errors import DecodeError
from osgpdissect.layout.binder import BindError, collect_names

__all__ = ["MEPTableData", "set_table_context", "table_class", "table_layer", "table_context"]

_context: Any = None
_classes: dict[str, type[MEPTableData]] = {}


def set_table_context(context: Any) -> None:
    """Use this :class:`~osgpdissect.c1218.tables.TableContext` for names, decoding and building."""
    global _context
    _context = context


def table_context() -> Any:
    global _context
    if _context is None:
        from osgpdissect.c1218.tables import TableContext

        _context = TableContext()
    return _context


class TableValueField(Field[Any, Any]):
    """One top-level table field.  Its bytes are the layer's: the codec parses and builds the
    table as a whole (later fields' sizes depend on earlier ones), so the field itself reads and
    writes no bytes; it holds the value and shows it with its meaning, unit and offset."""

    __slots__ = ["key"]

    def __init__(self, name: str, key: str, default: Any) -> None:
        Field.__init__(self, name, default)
        self.key = key

    def addfield(self, pkt: Packet, s: bytes, val: Any) -> bytes:
        return s

    def getfield(self, pkt: Packet, s: bytes) -> tuple[bytes, Any]:
        return s, self.default

    def i2repr(self, pkt: Packet | None, x: Any) -> str:
        text = repr(x) if isinstance(x, (str, bytes)) else str(x)
        decoded = getattr(pkt, "decoded", None)
        node = decoded.find(self.key) if decoded is not None else None
        if node is None:
            return text
        if node.enum:
            text += f" ({node.enum})"
        if node.unit:
            text += f" {node.unit}"
        return f"{text}  [{node.orig_name} @{node.offset}]"


class MEPTableData(StrictPacket):
    """A table payload.  The per-table subclasses (:func:`table_class`) carry the fields."""

    name = "MEP Table Data"
    fields_desc: list[Field[Any, Any]] = [StrField("data", b"")]  # a table the spec does not know
    match_subclass = True  # ``MEPTableData in pkt`` finds every table's class
    table_id = ""
    __slots__ = ["decoded", "table_offset", "_window"]

    def __init__(self, *args: Any, table_offset: int = 0, **kwargs: Any) -> None:
        self.decoded: DecodeResult | None = None
        self.table_offset = table_offset
        self._window: bytes | None = None  # the bytes of a partial read, built back as they came
        super().__init__(*args, **kwargs)

    def do_dissect(self, s: bytes) -> bytes:
        if not self.table_id:
            return super().do_dissect(s)
        ctx = table_context()
        try:
            self.decoded = decode_table(ctx.spec, self.table_id, s, self.table_offset, ctx.device)
        except DecodeError:
            self.decoded = None
            return s
        values = self.decoded.values()
        for f in self.fields_desc:
            if isinstance(f, TableValueField) and f.key in values:
                self.fields[f.name] = values[f.key]
        if self.table_offset or _cut(self.decoded):
            self._window = bytes(s)
        self.raw_packet_cache = bytes(s)  # built back as dissected until a field is set
        return b""

    def self_build(self) -> bytes:
        if not self.table_id:
            return super().self_build()
        if self.raw_packet_cache is not None:
            return self.raw_packet_cache
        ctx = table_context()
        values = {f.key: self.getfieldval(f.name) for f in self.fields_desc if isinstance(f, TableValueField)}
        data = encode_table(ctx.spec, self.table_id, values, ctx.device)
        if self._window is not None and self.table_offset:  # a partial read: the same window
            return data[self.table_offset:self.table_offset + len(self._window)]
        return data

    def copy(self) -> MEPTableData:
        clone = super().copy()
        clone.decoded, clone.table_offset, clone._window = self.decoded, self.table_offset, self._window
        return clone

    def mysummary(self) -> str:
        return f"{self.table_id} @{self.table_offset}" if self.table_offset else self.table_id


def _cut(res: DecodeResult) -> bool:
    """Whether the decode did not cover the bytes as a whole table (cut fields, extra bytes)."""
    return any(n.partial or n.name in ("_extra", "_undecoded") for n in res.nodes)


_RESERVED = set(dir(Packet)) | {"decoded", "table_offset", "table_id"}


def _identifier(name: str, taken: set[str]) -> str:
    ident = "".join(ch if ch.isalnum() else "_" for ch in name).strip("_") or "field"
    if ident[0].isdigit() or keyword.iskeyword(ident) or ident in _RESERVED:
        ident = "f_" + ident
    base, k = ident, 2
    while ident in taken:
        ident, k = f"{base}_{k}", k + 1
    taken.add(ident)
    return ident


def table_class(table_id: str) -> type[MEPTableData]:
    """The layer class of a table (``"ET11"``), made once per table."""
    table_id = table_id.upper()
    cls = _classes.get(table_id)
    if cls is not None:
        return cls
    ctx = table_context()
    decl = ctx.spec.find(table_id)
    if decl is None:
        raise DecodeError(f"unknown table {table_id}")
    defaults = _defaults(ctx, table_id)
    taken: set[str] = set()
    fields: list[Field[Any, Any]] = [
        TableValueField(_identifier(key, taken), key, defaults.get(key))
        for key in _top_level_ids(ctx, table_id)
    ]
    cls = type(f"MEPTableData_{table_id}", (MEPTableData,), {
        "name": f"{table_id} {decl.name}", "fields_desc": fields, "table_id": table_id,
        "__slots__": [], "__module__": __name__,
    })
    _classes[table_id] = cls
    return cls


def _top_level_ids(ctx: Any, table_id: str) -> list[str]:
    """The table's top-level field ids (a switch's or an if's fields count as top level)."""
    try:
        root = ctx.device.bound(table_id).root
    except BindError:
        return []
    names: set[str] = set()
    collect_names(root, names)
    ordered = [c.id for c in root.children if c.id in names]
    return ordered + sorted(names - set(ordered))


def _defaults(ctx: Any, table_id: str) -> dict[str, Any]:
    """Field values of the table built from the spec's defaults (none where that cannot be built:
    tables laid out by their own bytes, such as ET52)."""
    try:
        data = encode_table(ctx.spec, table_id, {}, ctx.device)
        return decode_table(ctx.spec, table_id, data, 0, ctx.device).values()
    except Exception:  # defaults are a convenience: the class works without them
        return {}


def table_layer(table: int | str, offset: int, data: bytes) -> MEPTableData:
    """The payload layer of ``data`` read from ``table`` (number or id) at ``offset``."""
    table_id = C.table_id(table) if isinstance(table, int) else table
    if table_context().spec.find(table_id) is None:
        return MEPTableData(data, table_offset=offset)
    return table_class(table_id)(data, table_offset=offset)
