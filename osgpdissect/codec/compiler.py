"""Bound layout -> construct structure (:class:`TableCodec`), compiled, cached per layout.

``structure(bound, base)`` gives the compiled structure (``construct``'s ``Compiled``, whose
emitted module holds the whole table's decoder) or, with ``compiled=False`` or the environment
variable ``OSGPDISSECT_CODEC=interpreted``, the interpreted one.  A structure does not depend on
the read window (the window is a parse parameter), so one cache entry serves every read of a
layout.  The cache is keyed by the bound layout's key (table, part, hash of the layout; equal
layouts bound by different devices share one structure) and bounded (layouts are rebound when a
device learns its dimension tables).
"""

from __future__ import annotations

import io
import os
from types import SimpleNamespace

import construct as cs

from osgpdissect.codec.constructs import TableCodec
from osgpdissect.layout.binder import Bound, LRecord

ENV = "OSGPDISSECT_CODEC"
CACHE_LIMIT = 512

_CACHE: dict[tuple[str, int, bool], tuple[LRecord, cs.Construct]] = {}


_mode: list[bool] = []  # the environment's choice, read once


def compiled_by_default() -> bool:
    """False when ``OSGPDISSECT_CODEC=interpreted`` is set (read at first use; see
    :func:`refresh_mode`)."""
    if not _mode:
        _mode.append(os.environ.get(ENV, "").strip().lower() != "interpreted")
    return _mode[0]


def refresh_mode() -> None:
    """Read ``OSGPDISSECT_CODEC`` again (after changing the environment)."""
    _mode.clear()


def structure(bound: Bound, base: int = 0, compiled: bool | None = None) -> cs.Construct:
    """The construct structure decoding ``bound`` (a procedure part's layout starts at ``base``)."""
    if compiled is None:
        compiled = compiled_by_default()
    mine = bound.derived.get((base, compiled))  # this binding asked before: no key, no compare
    if mine is not None:
        return mine
    codec = _shared(bound, base, compiled)
    bound.derived[(base, compiled)] = codec
    return codec


def _shared(bound: Bound, base: int, compiled: bool) -> cs.Construct:
    """The structure of ``bound``'s layout, shared by equal layouts of other bindings."""
    key = (bound.key or f"id:{id(bound.root)}", base, compiled)
    hit = _CACHE.get(key)
    if hit is not None and (hit[0] is bound.root or hit[0] == bound.root):
        return hit[1]
    codec: cs.Construct = TableCodec(bound.root, base)
    if compiled:
        codec = codec.compile()
    if len(_CACHE) >= CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = (bound.root, codec)
    return codec


def cache_clear() -> None:
    _CACHE.clear()


def parse_window(codec: cs.Construct, data: bytes, start: int) -> tuple:
    """``codec.parse(data, start=start)``: (nodes, values, warnings) of bytes read at table
    offset ``start``.  A compiled structure's parser is called with the one context value it
    reads (``this._params.start``), without ``Construct.parse``'s generic context set-up (a
    third of a small table's decode); an interpreted one goes through ``parse``."""
    if isinstance(codec, cs.Compiled):
        return codec.parsefunc(io.BytesIO(data), SimpleNamespace(_params=SimpleNamespace(start=start)))
    return codec.parse(data, start=start)
