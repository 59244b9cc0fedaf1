"""The decoded tree: one :class:`Node` per field and the :class:`DecodeResult` of a table read.

Node shape (Python, JSON, CLI, scapy)::

    {"name", "orig_name", "offset", "size", "value", "raw"}
    + "enum" (the meaning), "unit", "partial" (cut by the read window), "children"

``offset`` is from the start of the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Node:
    """One decoded field (``__slots__``: a table read makes many of these)."""

    __slots__ = (
        "name",
        "orig_name",
        "offset",
        "size",
        "value",
        "raw",
        "enum",
        "unit",
        "partial",
        "children",
    )

    def __init__(
        self,
        name: str,
        orig_name: str,
        offset: int,
        size: int,
        value: Any = None,
        raw: str = "",
        enum: str | None = None,
        unit: str | None = None,
        partial: bool = False,
        children: list[Node] | None = None,
    ):
        self.name = name
        self.orig_name = orig_name
        self.offset = offset
        self.size = size
        self.value = value
        self.raw = raw
        self.enum = enum
        self.unit = unit
        self.partial = partial
        self.children = [] if children is None else children

    def __repr__(self) -> str:
        return (
            f"Node(name={self.name!r}, offset={self.offset}, size={self.size}, "
            f"value={self.value!r}, "
            f"raw={self.raw!r}, partial={self.partial}, children={len(self.children)})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        return all(getattr(self, s) == getattr(other, s) for s in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    def to_json(self) -> dict:
        out: dict = {
            "name": self.name,
            "orig_name": self.orig_name,
            "offset": self.offset,
            "size": self.size,
            "value": self.value,
            "raw": self.raw,
        }
        if self.enum is not None:
            out["enum"] = self.enum
        if self.unit is not None:
            out["unit"] = self.unit
        if self.partial:
            out["partial"] = True
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out

    def find(self, path: str) -> Node | None:
        """``node.find("device_config.[4].alert_flags")``."""
        node: Node | None = self
        for part in path.split("."):
            if node is None:
                return None
            node = next((c for c in node.children if c.name == part), None)
        return node


@dataclass
class DecodeResult:
    """A decoded table read: its nodes, plain values, defaults the layout used and warnings."""

    table_id: str
    name: str
    offset: int
    size: int
    nodes: list[Node]
    values_: dict
    defaults_used: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "table": self.table_id,
            "name": self.name,
            "offset": self.offset,
            "size": self.size,
            "fields": [n.to_json() for n in self.nodes],
            "defaults_used": list(self.defaults_used),
            "warnings": list(self.warnings),
        }

    def values(self) -> dict:
        """Plain values (ints, bytes, dicts, lists) in the shape ``encode_table`` takes."""
        return self.values_

    def find(self, path: str) -> Node | None:
        return find_node(self.nodes, path)


def find_node(nodes: list[Node], path: str) -> Node | None:
    """The node at a dotted ``path`` (``"mep_inbound_config.[0].mep_flags"``) among ``nodes``."""
    parts = path.split(".", 1)
    top = next((n for n in nodes if n.name == parts[0]), None)
    if top is None or len(parts) == 1:
        return top
    return top.find(parts[1])
