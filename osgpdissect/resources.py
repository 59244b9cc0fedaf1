"""Where the shipped spec and grammar live: inside the wheel, or at the repository root."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return ``spec`` or ``grammars``: the wheel's copy if present, else the checkout's."""
    shipped = _PACKAGE / "_data" / name
    if shipped.is_dir():
        return shipped
    return _PACKAGE.parent / name


def spec_dir() -> Path:
    return data_dir("spec")


def grammar_path() -> Path:
    return data_dir("grammars") / "osgp.lark"
