"""The codec: bound layouts compiled to construct structures that parse and build.

Every table byte the toolkit reads or writes goes through ``decode_table``/``encode_table``
(``table_size`` gives a bound layout's size).
"""

from __future__ import annotations

from osgpdissect.codec.build import build_bound, build_values
from osgpdissect.codec.compiler import parse_window, structure
from osgpdissect.codec.display import int_reader
from osgpdissect.codec.tree import DecodeResult, Node
from osgpdissect.errors import DecodeError
from osgpdissect.lang import model as m
from osgpdissect.layout.binder import BindError, Bound, LRecord
from osgpdissect.layout.device import Device, register_int_reader

# Devices read dimension values (ET11.num_devices, ...) from learned table bytes with the codec's
# rules; layout/ sits below the codec, so the codec hands its reader down.
register_int_reader(int_reader)

_DEFAULT_DEVICES: dict[int, tuple[m.Spec, Device]] = {}


def _default_device(spec: m.Spec) -> Device:
    """One default-profile Device per spec for callers that know nothing about the meter."""
    hit = _DEFAULT_DEVICES.get(id(spec))
    if hit is None or hit[0] is not spec:
        hit = _DEFAULT_DEVICES[id(spec)] = (spec, Device(spec))
    return hit[1]


def _bound(
    spec: m.Spec, table: str, device: Device, part: str
) -> tuple[m.Table | m.Procedure, Bound, int]:
    decl = spec.find(table)
    if decl is None:
        raise DecodeError(f"unknown table {table}")
    try:
        bound = device.bound(decl.id if not isinstance(decl, m.Table) else table.upper(), part)
    except BindError as exc:
        raise DecodeError(f"{table}: cannot lay out the table ({exc.message})") from None
    base = {"request": 3, "response": 4}.get(part, 0) if isinstance(decl, m.Procedure) else 0
    return decl, bound, base


def decode_table(
    spec: m.Spec,
    table: str,
    data: bytes,
    offset: int = 0,
    device: Device | None = None,
    part: str = "table",
    compiled: bool | None = None,
) -> DecodeResult:
    """Decode ``data`` read from ``table`` at ``offset`` (0 for a full read).

    ``device`` carries the meter's dimensions and firmware (a default :class:`Device` when
    omitted).  ``part`` selects a procedure's ``request`` or ``response`` layout.  Raises
    :class:`DecodeError` when the table is unknown or its layout cannot be bound.
    """
    device = device or _default_device(spec)
    decl, bound, base = _bound(spec, table, device, part)
    nodes, values, warnings = parse_window(structure(bound, base, compiled), bytes(data), offset + base)
    return DecodeResult(
        table.upper(),
        decl.name,
        offset,
        len(data),
        nodes,
        values,
        list(bound.defaults_used),
        warnings,
    )


def table_size(spec: m.Spec, table: str, device: Device | None = None) -> int | None:
    """The table's size for this device, or None when it depends on its own bytes."""
    device = device or Device(spec)
    try:
        return device.bound(table.upper()).size
    except BindError as exc:
        raise DecodeError(f"{table}: cannot lay out the table ({exc.message})") from None


def encode_table(
    spec: m.Spec,
    table: str,
    values: dict,
    device: Device | None = None,
    part: str = "table",
    compiled: bool | None = None,
) -> bytes:
    """Build table bytes from plain values (the shape :meth:`DecodeResult.values` returns).

    Missing fields take their spec default (numeric ``value``/``default``) or zero.
    """
    device = device or Device(spec)
    _, bound, _ = _bound(spec, table, device, part)
    return build_bound(bound, values, compiled)


def parse_values(root: LRecord, data: bytes, compiled: bool = True) -> dict:
    """Plain values of a whole table's bytes (the ``values()`` of a full read)."""
    bound = Bound("", root)
    return parse_window(structure(bound, 0, compiled), bytes(data), 0)[1]


__all__ = [
    "DecodeError",
    "DecodeResult",
    "Device",
    "Node",
    "build_values",
    "decode_table",
    "encode_table",
    "int_reader",
    "parse_values",
    "table_size",
]
