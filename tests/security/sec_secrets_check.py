"""Helpers that assert key material never shows up in formatted output."""

from __future__ import annotations

import dataclasses
import json


def spellings(key: bytes) -> list[str]:
    """Every textual form a leaked key could take."""
    out = [key.hex(), key.hex().upper(), key.hex(" "), key.hex(" ").upper(), repr(key)]
    try:
        text = key.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    if text.isprintable() and len(text) >= 4:
        out.append(text)
    return out


def renderings(obj: object) -> list[str]:
    """str, repr and (for dataclasses) the JSON of ``dataclasses.asdict``."""
    out = [str(obj), repr(obj)]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out.append(json.dumps(dataclasses.asdict(obj), default=lambda b: b.hex()))
        out.append(repr(dataclasses.asdict(obj)))
    if isinstance(obj, BaseException):
        out.extend(str(a) for a in obj.args)
    return out


def assert_no_key(obj: object, keys: list[bytes]) -> None:
    texts = renderings(obj)
    for key in keys:
        for form in spellings(key):
            for text in texts:
                assert form not in text, f"key material leaked by {type(obj).__name__}"
