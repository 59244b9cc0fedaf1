"""Text rendering of decoded trees and layouts (no third-party imports, fast start-up)."""

from __future__ import annotations

from collections.abc import Iterable

from osgpdissect.decode import Node

_MAX_RAW = 48


def _value(n: Node) -> str:
    if n.partial:
        return f"<partial: {n.raw}>"
    v = n.value
    if v is None:
        return ""
    if isinstance(v, str):
        return repr(v) if n.raw and not any(c.isdigit() or c == ":" for c in v[:1]) and " " not in v[:2] else v
    if isinstance(v, list):
        text = ", ".join(str(x) for x in v[:16])
        return f"[{text}{', ...' if len(v) > 16 else ''}]"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v} (0x{v:X})" if v > 9 else str(v)
    return str(v)


def node_lines(nodes: Iterable[Node], indent: str = "", show_raw: bool = True) -> list[str]:
    """Lines of a decoded tree: ``name (orig) = value [meaning] unit  @offset/size``."""
    out: list[str] = []
    nodes = list(nodes)
    for i, n in enumerate(nodes):
        last = i == len(nodes) - 1
        branch = "└─ " if last else "├─ "
        label = n.name if not n.orig_name or n.name.startswith("[") else f"{n.name} ({n.orig_name})"
        parts = [f"{indent}{branch}{label}"]
        val = _value(n)
        if val and not n.children:
            parts.append(f"= {val}")
        elif n.children and n.value is not None and not isinstance(n.value, list):
            parts.append(f"= {val}")
        if n.enum:
            parts.append(f"[{n.enum}]")
        if n.unit:
            parts.append(n.unit)
        loc = f"@{n.offset}/{n.size}"
        if show_raw and n.raw and not n.children:
            raw = n.raw if len(n.raw) <= _MAX_RAW else n.raw[:_MAX_RAW] + "..."
            loc += f" {raw}"
        out.append(" ".join(parts) + "   " + loc)
        if n.children:
            out += node_lines(n.children, indent + ("   " if last else "│  "), show_raw)
    return out
