"""Loading the shipped spec: parsed once per process (cached on disk), validated on demand."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from osgpdissect import model as m
from osgpdissect.resources import spec_dir, spec_files
from osgpdissect.spec_cache import load_spec_cached

if TYPE_CHECKING:
    from osgpdissect.validate import Report


@cache
def load_default_spec() -> m.Spec:
    """The spec shipped with osgpdissect (``spec/``), parsed once.

    A warm load comes from :mod:`osgpdissect.spec_cache` and does not import the parser.
    """
    root = spec_dir()

    def parse() -> m.Spec:
        from osgpdissect.dsl.loader import load_spec

        return load_spec(root)

    return load_spec_cached(root, parse)


def load_and_validate(root: Path | None = None) -> tuple[m.Spec, Report]:
    """Parse and validate a spec tree, always from its files (no model cache).

    Raises :class:`SpecError` on syntax errors.
    """
    from osgpdissect.dsl.loader import load_spec, read_spec_text
    from osgpdissect.validate import validate

    root = root or spec_dir()
    spec = load_spec(root)
    sources = {}
    for p in spec_files(root):
        try:
            rel = str(Path(root.name) / p.relative_to(root))
        except ValueError:
            rel = str(p)
        sources[rel] = read_spec_text(p, rel)
    return spec, validate(spec, sources)
