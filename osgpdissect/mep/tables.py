"""The one place the dissector calls the spec-driven table decoder (``osgpdissect.decode``).

:class:`TableContext` holds the spec and one ``Device`` per capture (what the capture taught
about the meter: dimension tables, firmware, generation).  Everything table-specific goes through
it, so there is no second table decoder here: without the spec backend the data stays raw and
the record says why.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from osgpdissect.jsontext import dumps
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


class TableDecoding:
    """Table bytes decoded (or not) against the spec.

    The fields are kept as whichever form the decoder produced: node dicts (``nodes``) or
    their JSON text (``fields_json``, the bulk path); each is made from the other on demand.
    """

    __slots__ = ("table", "name", "offset", "data", "defaults_used", "warnings", "problems",
                 "_nodes", "_text")

    def __init__(
        self,
        table: str,
        name: str,
        offset: int,
        data: bytes,
        nodes: list[dict[str, Any]] | None = None,
        defaults_used: list[str] | None = None,
        warnings: list[str] | None = None,
        fields_json: str | None = None,
    ) -> None:
        self.table = table  # "ET11"
        self.name = name  # "MFG Dimension Table" ("" when the spec does not know the table)
        self.offset = offset
        self.data = data
        self.defaults_used: list[str] = defaults_used if defaults_used is not None else []
        self.warnings: list[str] = warnings if warnings is not None else []
        self.problems: list[str] = []  # also in warnings; the record raises them (!)
        self._nodes = nodes if nodes is not None or fields_json is not None else []
        self._text = fields_json

    @property
    def nodes(self) -> list[dict[str, Any]]:
        if self._nodes is None:
            self._nodes = json.loads(self._text or "[]")
        return self._nodes

    @nodes.setter
    def nodes(self, value: list[dict[str, Any]]) -> None:
        self._nodes, self._text = value, None

    @property
    def fields_json(self) -> str:
        """The JSON text of ``nodes``."""
        if self._nodes is not None:
            return dumps(self._nodes)
        return self._text or "[]"

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


def _failed(table: str, exc: Exception) -> Any:
    from osgpdissect.inference import Inference  # noqa: PLC0415

    return Inference(notes=[f"dimension inference for {table} failed: {type(exc).__name__}"])


class TableContext:
    """Spec + per-capture device state.  ``spec``/``device`` default to the project's spec and
    a fresh ``Device(spec, profile)`` when the spec backend is installed."""

    def __init__(self, spec: Any = None, device: Any = None, profile: str | None = None) -> None:
        self.available = False
        self.reason = ""
        self.spec = spec
        self.device = device
        self._decoder: Any = None
        self._names: dict[int, str] = {}
        self._ids: dict[int, str] = {}
        try:
            from osgpdissect.decode import Device  # noqa: PLC0415
            from osgpdissect.fields_json import FieldsJsonDecoder  # noqa: PLC0415

            if self.spec is None:
                from osgpdissect.spec import load_default_spec  # noqa: PLC0415

                self.spec = load_default_spec()
            if self.device is None:
                self.device = Device(self.spec, profile=profile) if profile else Device(self.spec)
            self._decoder = FieldsJsonDecoder(self.spec, self.device)
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
            decoded = self._decoder.decode(table, data, offset)
            result = TableDecoding(
                table,
                name,
                offset,
                data,
                defaults_used=list(decoded.defaults_used) if decoded.defaults_used else None,
                warnings=list(decoded.warnings) if decoded.warnings else None,
                fields_json=decoded.text,
            )
        except Exception as exc:  # a decoder bug must cost one table, never the capture
            log.debug("decoding %s failed", table, exc_info=True)
            why = f"decoding {table} failed: {type(exc).__name__}: {exc}"
            result = self._raw(table, name, offset, data, why)
        if inference is not None:
            result.warnings[:0] = [*inference.notes, *inference.problems]
            result.problems = list(inference.problems)
        if learn:
            self.learn(table, offset, data)
        return result

    def _infer(self, table: str, offset: int, data: bytes, table_size: int | None, evidence: str):
        infer = getattr(self.device, "infer", None)
        if infer is None:
            return None
        try:
            return infer(table, offset, data, table_size, evidence)
        except Exception as exc:  # inference is best effort: the decode goes on without it
            log.debug("device.infer(%s) failed", table, exc_info=True)
            return None if isinstance(exc, RecursionError) else _failed(table, exc)

    def _id_of(self, number: int) -> str:
        table = self._ids[number] = C.table_id(number)
        return table

    @staticmethod
    def _raw(table: str, name: str, offset: int, data: bytes, why: str) -> TableDecoding:
        """The bytes undecoded, with the reason."""
        nodes = [node("data", data.hex(), offset=offset, raw=data)]
        return TableDecoding(table, name, offset, data, nodes=nodes, warnings=[why])

    def learn(self, table: str, offset: int, data: bytes) -> None:
        """Tell the device about table bytes the capture showed (read, or written and acked)."""
        if not self.available or self.device is None:
            return
        try:
            self.device.learn(table, offset, data)
        except Exception as exc:  # learning is best effort
            log.debug("device.learn(%s) failed: %s", table, exc)
