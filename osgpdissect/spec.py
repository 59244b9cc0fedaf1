"""Loading the shipped spec: parsed once per process, validated on demand."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from osgpdissect import model as m
from osgpdissect.dsl.loader import load_spec, spec_files
from osgpdissect.resources import spec_dir
from osgpdissect.validate import Report, validate


@cache
def load_default_spec() -> m.Spec:
    """The spec shipped with osgpdissect (``spec/``), parsed once."""
    return load_spec(spec_dir())


def load_and_validate(root: Path | None = None) -> tuple[m.Spec, Report]:
    """Parse and validate a spec tree; raises :class:`SpecError` on syntax errors."""
    root = root or spec_dir()
    spec = load_spec(root)
    sources = {}
    for p in spec_files(root):
        try:
            rel = str(Path(root.name) / p.relative_to(root))
        except ValueError:
            rel = str(p)
        sources[rel] = p.read_text(encoding="utf-8")
    return spec, validate(spec, sources)
