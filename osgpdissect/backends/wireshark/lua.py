"""Lua source text for Python values: strings, numbers, lists and tables (no evaluation)."""

from __future__ import annotations

from typing import Any

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}


def string(text: str) -> str:
    """A double-quoted Lua string literal (bytes above 0x7E as decimal escapes, UTF-8)."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.extend(f"\\{b}" for b in ch.encode("utf-8"))
    return '"' + "".join(out) + '"'


def literal(value: Any) -> str:
    """A Lua literal of a value: None → nil, dict → table with string keys, list → array."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, (list, tuple)):
        return "{" + ",".join(literal(v) for v in value) + "}"
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if v is None:
                continue
            key = k if k.isidentifier() else "[" + string(k) + "]"
            items.append(f"{key}={literal(v)}")
        return "{" + ",".join(items) + "}"
    raise TypeError(f"no Lua literal for {type(value).__name__}")
