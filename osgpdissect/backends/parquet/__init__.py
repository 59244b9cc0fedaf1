"""Capture archives as Parquet: flat ``exchanges`` and ``fields`` tables (issue 20).

``rows`` turns decoded records into flat rows (no pyarrow needed); ``schema`` and ``writer``
need the ``archive`` extra (``pip install 'osgpdissect[archive]'``): call :func:`require` first
for a clear message when it is missing.
"""

from __future__ import annotations

from osgpdissect.backends.parquet.rows import exchange_row, field_rows, part_name

__all__ = ["ArchiveUnavailable", "exchange_row", "field_rows", "part_name", "require"]

INSTALL_HINT = "pip install 'osgpdissect[archive]'"


class ArchiveUnavailable(ValueError):
    """The ``archive`` extra (pyarrow, dask[distributed]) is not installed."""


def require(*modules: str) -> None:
    """Import ``modules`` (default: pyarrow) or raise :class:`ArchiveUnavailable` naming the
    extra to install."""
    import importlib

    for name in modules or ("pyarrow",):
        try:
            importlib.import_module(name)
        except ImportError:
            raise ArchiveUnavailable(
                f"Parquet archives need {name.split('.')[0]}, which is not installed: "
                f"{INSTALL_HINT}") from None
