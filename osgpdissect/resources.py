"""Where the shipped spec and grammar live (inside the wheel, or at the repository root), and
which files make up a spec tree."""

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


def spec_files(root: Path) -> list[Path]:
    """Every ``*.osgp`` file under ``root``, sorted."""
    return sorted(p for p in root.rglob("*.osgp") if p.is_file())


def errata_files(root: Path) -> list[Path]:
    """``ERRATA.md`` and ``errata-parts/*.md`` under ``root``, those that exist."""
    files = [root / "ERRATA.md", *sorted((root / "errata-parts").glob("*.md"))]
    return [f for f in files if f.is_file()]
