"""The one place the dissectors decode table bytes: through the codec, against the device.

:class:`TableContext` holds the spec and one ``Device`` per capture (what the capture taught
about the meter: dimension tables, firmware, generation).  Everything table-specific goes
through it; a table the spec does not know stays raw and the record says why.
"""

from __future__ import annotations

import logging
from typing import Any

from osgpdissect.c1218 import codes as C
from osgpdissect.codec import DecodeResult, Node, decode_table
from osgpdissect.codec.tree import find_node
from osgpdissect.errors import OsgpError
from osgpdissect.lang.spec import load_default_spec
from osgpdissect.layout.device import Device
from osgpdissect.layout.inference import Inference

__all__ = ["TableContext", "TableDecoding"]

log = logging.getLogger(__name__)


class TableDecoding:
    """Table bytes decoded (or not) against the spec: the decoded tree and what was said."""

    __slots__ = ("table", "name", "offset", "data", "nodes", "defaults_used", "warnings", "problems")

    def __init__(self, table: str, name: str, offset: int, data: bytes, nodes: list[Node],
                 defaults_used: list[str] | None = None, warnings: list[str] | None = None) -> None:
        self.table = table  # "ET11"
        self.name = name  # "MFG Dimension Table" ("" when the spec does not know the table)
        self.offset = offset
        self.data = data
        self.nodes = nodes
        self.defaults_used: list[str] = defaults_used if defaults_used is not None else []
        self.warnings: list[str] = warnings if warnings is not None else []
        self.problems: list[str] = []  # also in warnings; the record raises them (!)

    @classmethod
    def of(cls, result: DecodeResult, data: bytes) -> TableDecoding:
        return cls(result.table_id, result.name, result.offset, data, result.nodes,
                   result.defaults_used, result.warnings)  # (the result is not kept)

    def find(self, path: str) -> Node | None:
        """The decoded field at a dotted path (see ``DecodeResult.find``)."""
        return find_node(self.nodes, path)

    @property
    def label(self) -> str:
        return f"{self.table} {self.name}".strip()

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "name": self.name,
            "offset": self.offset,
            "size": len(self.data),
            "fields": [n.to_json() for n in self.nodes],
            "defaults_used": self.defaults_used,
            "warnings": self.warnings,
        }


def _failed(table: str, exc: Exception) -> Inference:
    return Inference(notes=[f"dimension inference for {table} failed: {type(exc).__name__}"])


class TableContext:
    """Spec + per-capture device state.  ``spec``/``device`` default to the project's spec and
    a fresh ``Device(spec, profile)``."""

    def __init__(self, spec: Any = None, device: Any = None, profile: str | None = None) -> None:
        self.available = False
        self.reason = ""
        self.spec = spec
        self.device = device
        self._names: dict[int, str] = {}
        self._ids: dict[int, str] = {}
        try:
            if self.spec is None:
                self.spec = load_default_spec()
            if self.device is None:
                self.device = Device(self.spec, profile=profile) if profile else Device(self.spec)
            self.available = True
        except OsgpError as exc:  # a spec that does not load costs the table decoding only
            log.warning("the spec failed to load: %s", exc)
            self.reason = f"table decoding unavailable: {exc}"

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

    def decode(self, number: int, offset: int, data: bytes, learn: bool = True,
               table_size: int | None = None, evidence: str = "full read") -> TableDecoding:
        """Decode ``data`` found at ``offset`` of a table; remember it as device state.

        ``table_size``: the table's size when the bytes show it (a full read response); the
        device then infers dimensions and firmware that fit it (``Device.infer``)."""
        table = self._ids.get(number) or self._id_of(number)
        name = self._names.get(number)
        if name is None:
            name = self.name_of(number)
        if not self.available:
            return self._raw(table, name, offset, data, self.reason)
        if not name and self.spec.find(table) is None:
            return self._raw(table, name, offset, data, f"{table} is not in the spec: shown raw")
        inference = self._infer(table, offset, data, table_size, evidence)
        try:
            result = TableDecoding.of(decode_table(self.spec, table, data, offset, self.device), data)
        except Exception as exc:  # a decoder bug must cost one table, never the capture
            log.debug("decoding %s failed", table, exc_info=True)
            result = self._raw(table, name, offset, data, f"decoding {table} failed: {type(exc).__name__}: {exc}")
        if inference is not None:
            result.warnings[:0] = [*inference.notes, *inference.problems]
            result.problems = list(inference.problems)
        if learn:
            self.learn(table, offset, data)
        return result

    def _infer(self, table: str, offset: int, data: bytes, table_size: int | None,
               evidence: str) -> Inference | None:
        try:
            return self.device.infer(table, offset, data, table_size, evidence)
        except Exception as exc:  # inference is best effort: the decode goes on without it
            log.debug("device.infer(%s) failed", table, exc_info=True)
            return None if isinstance(exc, RecursionError) else _failed(table, exc)

    def _id_of(self, number: int) -> str:
        table = self._ids[number] = C.table_id(number)
        return table

    @staticmethod
    def _raw(table: str, name: str, offset: int, data: bytes, why: str) -> TableDecoding:
        """The bytes undecoded, with the reason."""
        shown = data.hex(" ").upper()
        nodes = [Node("data", "undecoded bytes", offset, len(data), shown, shown)]
        return TableDecoding(table, name, offset, data, nodes, warnings=[why])

    def learn(self, table: str, offset: int, data: bytes) -> None:
        """Tell the device about table bytes the capture showed (read, or written and acked)."""
        if not self.available or self.device is None:
            return
        try:
            self.device.learn(table, offset, data)
        except Exception as exc:  # learning is best effort
            log.debug("device.learn(%s) failed: %s", table, exc)
