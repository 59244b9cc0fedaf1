"""Which bulk-path modules run compiled (mypyc) and which as Python source.

The install compiles the modules of ``mypyc-modules.txt`` (see ``hatch_build.py``) and writes
``compiled.json``: each module with the SHA-256 of the source it was compiled from.  An
extension is used only when every listed source still has that hash — after an edit the whole
set runs from source (compiled modules call each other directly, so they are used all or none).
``OSGPDISSECT_PURE_PYTHON=1`` asks for the sources too.  Both ways decode the same bytes to the
same output; the test suite holds them to it.

:func:`install` (called by ``osgpdissect/__init__``) puts a finder in front of the import system
that serves the ``.py`` files when the extensions are not to be used; :func:`status` says which.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path

__all__ = ["PURE_ENV", "install", "status"]

PURE_ENV = "OSGPDISSECT_PURE_PYTHON"
_PACKAGE_DIR = Path(__file__).resolve().parent
_MANIFEST = _PACKAGE_DIR / "compiled.json"


def _source_of(module: str) -> Path:
    return _PACKAGE_DIR.parent.joinpath(*module.split(".")).with_suffix(".py")


class _Decision:
    """Made once, on the first import of a listed module (or the first :func:`status`)."""

    def __init__(self) -> None:
        self.modules: dict[str, str] = {}
        self.compiled = False
        self.reason = "not compiled (pure-Python install)"
        try:
            data = json.loads(_MANIFEST.read_text(encoding="utf-8"))
            self.modules = {str(k): str(v) for k, v in data["modules"].items()}
            built_for = data.get("python")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return
        if os.environ.get(PURE_ENV) == "1":
            self.reason = f"pure Python ({PURE_ENV}=1)"
        elif built_for != sys.implementation.cache_tag:
            self.reason = f"pure Python (compiled for {built_for}, running {sys.implementation.cache_tag})"
        elif missing := [m for m in self.modules if not _extension_of(m)]:
            self.reason = f"pure Python (no compiled extension for {missing[0]})"
        elif changed := [m for m, digest in self.modules.items() if not _matches(m, digest)]:
            self.reason = (
                f"pure Python ({changed[0]} changed since it was compiled: reinstall, e.g. `make`)"
            )
        else:
            self.compiled, self.reason = True, "compiled (mypyc)"


def _extension_of(module: str) -> bool:
    source = _source_of(module)
    stem = source.with_suffix("")
    return any(Path(f"{stem}{suffix}").is_file() for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def _matches(module: str, digest: str) -> bool:
    try:
        return hashlib.sha256(_source_of(module).read_bytes()).hexdigest() == digest
    except OSError:
        return False


_decision: _Decision | None = None


def _decide() -> _Decision:
    global _decision
    if _decision is None:
        _decision = _Decision()
    return _decision


class _SourceFinder:
    """Serves a listed module's ``.py`` when its extension is not to be used."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if not name.startswith("osgpdissect."):
            return None
        decision = _decide()
        if decision.compiled or name not in decision.modules:
            return None
        source = _source_of(name)
        loader = importlib.machinery.SourceFileLoader(name, str(source))
        return importlib.util.spec_from_file_location(name, source, loader=loader)


def install() -> None:
    """Put the finder in front (once); cheap: nothing is read before a listed import."""
    if not _MANIFEST.exists() or any(f is _SourceFinder for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _SourceFinder)  # type: ignore[arg-type]


def status() -> tuple[bool, str]:
    """(compiled?, why) for this process."""
    decision = _decide()
    return decision.compiled, decision.reason
