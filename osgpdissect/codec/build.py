"""Building table bytes from plain values (stage 3 replaces this stand-in)."""

from __future__ import annotations

from osgpdissect.construct_backend import build_values

__all__ = ["build_values"]
