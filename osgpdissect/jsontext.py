"""JSON text by hand where ``json.dumps`` of a whole dict is the bottleneck.

Each helper returns exactly what ``json.dumps(value, default=json_default)`` returns for its
value (default separators, ASCII escapes), so hand-assembled lines equal the dumped dicts.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as json_str
from typing import Any

__all__ = ["dumps", "json_default", "json_str", "json_value", "str_list"]

_INF = float("inf")


def json_default(value: Any) -> Any:
    """What ``json.dumps`` cannot encode itself: bytes as hex, anything else as ``str``."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    return str(value)


def dumps(value: Any) -> str:
    """``json.dumps`` with :func:`json_default`."""
    return json.dumps(value, default=json_default)


def json_value(v: Any) -> str:
    """``dumps(v)``, fast for ``None``, ``str``, ``int``, ``bool`` and ``float``."""
    t = type(v)
    if v is None:
        return "null"
    if t is str:
        return json_str(v)
    if t is int:
        return int.__repr__(v)
    if t is bool:
        return "true" if v else "false"
    if t is float:
        if v != v:
            return "NaN"
        if v == _INF:
            return "Infinity"
        if v == -_INF:
            return "-Infinity"
        return float.__repr__(v)
    return dumps(v)


def str_list(items: Any) -> str:
    """``dumps(items)``, fast for a list of strings."""
    if type(items) is list and all(type(x) is str for x in items):
        return "[" + ", ".join(json_str(x) for x in items) + "]" if items else "[]"
    return dumps(items)
