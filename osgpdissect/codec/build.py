"""Building table bytes from plain values (the shape ``DecodeResult.values()`` gives).

Missing fields take their spec default (numeric ``value``/``default``) or zero; padding kept
from a decode (``_pad``) is written back while it fits, else every element is re-padded with
zeros.
"""

from __future__ import annotations

from osgpdissect.codec.compiler import structure
from osgpdissect.layout.binder import Bound, LRecord


def build_values(root: LRecord, values: dict, compiled: bool | None = None) -> bytes:
    """Bytes of a table (its bound root layout) from plain values."""
    return build_bound(Bound("", root), values, compiled)


def build_bound(bound: Bound, values: dict, compiled: bool | None = None) -> bytes:
    """Bytes of a bound table from plain values (through its cached construct structure)."""
    return structure(bound, 0, compiled).build(values or {})
