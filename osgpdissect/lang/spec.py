"""Loading the shipped spec: parsed once per process (cached on disk)."""

from __future__ import annotations

from functools import cache

from osgpdissect.lang import model as m
from osgpdissect.lang.cache import load_spec_cached
from osgpdissect.resources import spec_dir


@cache
def load_default_spec() -> m.Spec:
    """The spec shipped with osgpdissect (``spec/``), parsed once.

    A warm load comes from :mod:`osgpdissect.lang.cache` and does not import the parser.
    """
    root = spec_dir()

    def parse() -> m.Spec:
        from osgpdissect.lang.loader import load_spec

        return load_spec(root)

    return load_spec_cached(root, parse)
