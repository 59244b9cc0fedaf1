"""The one text rendering of a decoded table tree, shared by ``decode`` (both ports) and
``table``: each field as ``Guide Name @offset = value (meaning) unit``, children indented."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from osgpdissect.codec import Node

__all__ = ["decoded_lines", "table_lines"]


def decoded_lines(nodes: Iterable[Node], depth: int) -> Iterator[str]:
    """Lines of a decoded-field tree, indented ``depth`` levels."""
    pad = "    " * depth
    for n in nodes:
        value = n.value
        if n.children and value is None:
            text = ""
        elif value is None and n.raw:  # cut by the read window, or not decodable: its bytes
            text = f" = {n.raw}"
        else:
            text = f" = {value}"
        if n.enum:
            text += f" ({n.enum})"
        if n.unit:
            text += f" {n.unit}"
        partial = " (partial)" if n.partial else ""
        yield f"{pad}{n.orig_name or n.name} @{n.offset}{text}{partial}"
        yield from decoded_lines(n.children, depth + 1)


def table_lines(decoding, depth: int = 1) -> Iterator[str]:
    """A table decoding (a ``TableDecoding`` or ``DecodeResult``-like object) with its notes."""
    pad = "    " * depth
    yield from decoded_lines(decoding.nodes, depth + 1)
    for name in decoding.defaults_used:
        yield f"{pad}    (dimension from spec default: {name})"
    for w in decoding.warnings:
        yield f"{pad}    note: {w}"
