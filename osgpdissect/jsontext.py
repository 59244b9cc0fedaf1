"""JSON text by hand where ``json.dumps`` of a whole dict is the bottleneck.

Each helper returns exactly what :func:`dumps` returns for its value (``json.dumps`` with
default separators, ASCII escapes), so hand-assembled lines equal the dumped dicts.  JSON has
no NaN or infinity: a non-finite float is written as ``null`` (issue 21 item 9), so every line
is valid JSON.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as json_str
from typing import Any

__all__ = ["dumps", "json_default", "jsonable"]

_INF = float("inf")


def json_default(value: Any) -> Any:
    """What ``json.dumps`` cannot encode itself: bytes as hex, anything else as ``str``."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    return str(value)


def jsonable(value: Any) -> Any:
    """``value`` with every object that has ``to_json()`` (in dicts and lists) replaced by it."""
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


_ENCODE = json.JSONEncoder(default=json_default, allow_nan=False).encode  # one, not one per line


def dumps(value: Any) -> str:
    """``json.dumps`` with :func:`json_default`; non-finite floats as ``null``."""
    try:
        return _ENCODE(value)
    except ValueError:  # a NaN or an infinity somewhere (rare): replace them, dump again
        return _ENCODE(_finite(value))


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float (in dicts, lists, tuples) replaced by None."""
    if type(value) is float:
        return value if value - value == 0 else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


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
        if v != v or v in (_INF, -_INF):
            return "null"  # JSON has no NaN / Infinity
        return float.__repr__(v)
    return dumps(v)


def str_list(items: Any) -> str:
    """``dumps(items)``, fast for a list of strings."""
    if type(items) is list and all(type(x) is str for x in items):
        return "[" + ", ".join(json_str(x) for x in items) + "]" if items else "[]"
    return dumps(items)
