"""The one place the dissector calls the spec-driven table decoder (``osgpdissect.decode``).

:class:`TableContext` holds the spec and one ``Device`` per capture (what the capture taught
about the meter: dimension tables, firmware, generation).  Everything table-specific goes through
it, so there is no second table decoder here: without the spec backend the data stays raw and
the record says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from osgpdissect.mep import codes as C

__all__ = ["TableContext", "TableDecoding", "node"]

log = logging.getLogger(__name__)


def node(
    name: str,
    value: Any = None,
    *,
    orig_name: str = "",
    offset: int | None = None,
    size: int | None = None,
    raw: bytes | None = None,
    enum: str | None = None,
    unit: str | None = None,
    partial: bool = False,
    children: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A decoded-field node in the JSON shape of ``osgpdissect.decode.Node.to_json``."""
    return {
        "name": name,
        "orig_name": orig_name or name,
        "offset": offset,
        "size": size if size is not None else (len(raw) if raw is not None else None),
        "value": value,
        "raw": raw.hex() if raw is not None else None,
        "enum": enum,
        "unit": unit,
        "partial": partial,
        "children": children or [],
    }


@dataclass(slots=True)
class TableDecoding:
    """Table bytes decoded (or not) against the spec."""

    table: str  # "ET11"
    name: str  # "MFG Dimension Table" ("" when the spec does not know the table)
    offset: int
    data: bytes
    nodes: list[dict[str, Any]] = field(default_factory=list)
    defaults_used: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.table} {self.name}".strip()

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "name": self.name,
            "offset": self.offset,
            "size": len(self.data),
            "fields": self.nodes,
            "defaults_used": self.defaults_used,
            "warnings": self.warnings,
        }


class TableContext:
    """Spec + per-capture device state.  ``spec``/``device`` default to the project's spec and
    a fresh ``Device(spec, profile)`` when the spec backend is installed."""

    def __init__(self, spec: Any = None, device: Any = None, profile: str | None = None) -> None:
        self.available = False
        self.reason = ""
        self.spec = spec
        self.device = device
        self._decode_table: Any = None
        self._names: dict[int, str] = {}
        try:
            from osgpdissect.decode import Device, decode_table  # noqa: PLC0415

            if self.spec is None:
                from osgpdissect.spec import load_default_spec  # noqa: PLC0415

                self.spec = load_default_spec()
            if self.device is None:
                self.device = Device(self.spec, profile=profile) if profile else Device(self.spec)
            self._decode_table = decode_table
            self.available = True
        except ImportError as exc:
            self.reason = f"table decoding unavailable ({exc})"
        except Exception as exc:  # the spec backend failing must not stop the dissector
            log.warning("spec backend failed to load: %s", exc)
            self.reason = f"table decoding unavailable: {type(exc).__name__}: {exc}"

    def name_of(self, number: int) -> str:
        """The spec's name of a table (``""`` when unknown)."""
        cached = self._names.get(number)
        if cached is not None:
            return cached
        name = ""
        if self.spec is not None:
            try:
                entry = self.spec.find(C.table_id(number))
            except Exception as exc:  # a spec lookup problem only costs the name
                log.debug("spec.find(%s) failed: %s", number, exc)
                entry = None
            name = getattr(entry, "name", "") or ""
        self._names[number] = name
        return name

    def decode(self, number: int, offset: int, data: bytes, learn: bool = True) -> TableDecoding:
        """Decode ``data`` found at ``offset`` of a table; remember it as device state."""
        table = C.table_id(number)
        result = TableDecoding(table, self.name_of(number), offset, data)
        if not self.available:
            result.nodes = [node("data", data.hex(), offset=offset, raw=data)]
            result.warnings.append(self.reason)
            return result
        try:
            if self.spec.find(table) is None:
                result.nodes = [node("data", data.hex(), offset=offset, raw=data)]
                result.warnings.append(f"{table} is not in the spec: shown raw")
                return result
            decoded = self._decode_table(self.spec, table, data, offset=offset, device=self.device)
            blob = decoded.to_json()
            result.nodes = (
                blob.get("nodes", blob.get("fields", [])) if isinstance(blob, dict) else blob
            )
            result.defaults_used = list(getattr(decoded, "defaults_used", []) or [])
            result.warnings.extend(str(w) for w in getattr(decoded, "warnings", []) or [])
        except Exception as exc:  # a decoder bug must cost one table, never the capture
            log.debug("decode_table(%s) failed", table, exc_info=True)
            result.nodes = [node("data", data.hex(), offset=offset, raw=data)]
            result.warnings.append(f"decoding {table} failed: {type(exc).__name__}: {exc}")
        if learn:
            self.learn(table, offset, data)
        return result

    def learn(self, table: str, offset: int, data: bytes) -> None:
        """Tell the device about table bytes the capture showed (read, or written and acked)."""
        if not self.available or self.device is None:
            return
        try:
            self.device.learn(table, offset, data)
        except Exception as exc:  # learning is best effort
            log.debug("device.learn(%s) failed: %s", table, exc)
