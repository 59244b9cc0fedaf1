"""Value rendering: the one definition of how a leaf's bytes are shown and what its plain value is.

Parse gives ``(plain, shown)``: *plain* is what later expressions and ``values()`` see (ints,
bytes, dicts of date parts), *shown* is a node's ``value``.  Build uses the inverse
(:func:`scalar_bytes`) from plain values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from osgpdissect.lang import model as m
from osgpdissect.layout.binder import LBits, LBlob, LNode, LScalar, apply_op

DATE_PARTS: dict[str, tuple[str, ...]] = {
    "time": ("hour", "minute", "second"),
    "stime_date": ("year", "month", "day", "hour", "minute"),
    "ltime_date": ("year", "month", "day", "hour", "minute", "second"),
    "date": ("year", "month", "day"),
}


def enum_label(e: m.Enum | None, value: Any) -> str | None:
    """The meaning of ``value`` under enum ``e``: a label, flag names joined, or a template."""
    if e is None or not isinstance(value, int):
        return None
    if e.flags:
        if value == 0:
            zero = [x.label for x in e.entries if x.lo == 0]
            return zero[0] if zero else None
        names = [x.label for x in e.entries if x.lo and (value & x.lo) == x.lo]
        return ", ".join(names) if names else None
    for x in e.entries:
        if x.lo <= value <= x.hi:
            if not x.template:
                return x.label
            return "".join(
                p if isinstance(p, str) else str(_template_value(p, value)) for p in x.parts
            )
    return None


def _template_value(e: m.Expr, value: int) -> Any:
    if isinstance(e, m.Num):
        return e.value
    if isinstance(e, m.Ref):
        return value
    if isinstance(e, m.BinOp):
        try:
            return apply_op(e.op, _template_value(e.left, value), _template_value(e.right, value))
        except (ZeroDivisionError, TypeError):  # x / 0 (or of "?"): the label part is unknown
            return "?"
    if isinstance(e, m.UnOp):
        return -_template_value(e.operand, value)
    return "?"


def _year(y: int) -> int:
    return 2000 + y if y < 100 else y


def scalar_reader(node: LScalar) -> Callable[[bytes], tuple[Any, Any]]:
    """The scalar's decoder: complete bytes -> (plain value, display value).

    Made once per layout node (parse, interpreted or compiled, calls it per read)."""
    k = node.kind
    if k in ("int", "fill"):
        order: Literal["big", "little"] = "big" if node.big_endian else "little"
        signed = node.signed

        def read_int(raw: bytes) -> tuple[Any, Any]:
            v = int.from_bytes(raw, order, signed=signed)
            return v, v

        return read_int
    if k in DATE_PARTS:
        parts = DATE_PARTS[k]
        shown = _DATE_SHOWN[k]

        def read_date(raw: bytes) -> tuple[Any, Any]:
            return dict(zip(parts, raw, strict=True)), shown(raw)

        return read_date

    def read_coded(raw: bytes) -> tuple[Any, Any]:
        v = int.from_bytes(raw, "little")
        if k == "ansi_date":
            return v, f"{_year(v & 0x7F):04d}-{(v >> 7) & 0xF:02d}-{(v >> 11) & 0x1F:02d}"
        if k == "mfg_code":
            return v, "".join(chr(((v >> s) & 0x1F) + 64) for s in (10, 5, 0))
        return v, v

    return read_coded


def bits_reader(node: LBits) -> Callable[[bytes], int]:
    """A bit-field container's whole integer (members are ``(v >> lo) & mask`` of it)."""
    order: Literal["big", "little"] = "big" if node.big_endian else "little"
    return lambda raw: int.from_bytes(raw, order)


def int_reader(node: LNode) -> Callable[[bytes], int]:
    """The integer a field's complete bytes hold, by the codec's rules for its kind: a scalar's
    plain value (endianness and sign of its type), a bits container's whole integer, a byte
    run LSB first.  Made once per node; :class:`~osgpdissect.layout.device.Device` reads
    dimension values with it (registered by :mod:`osgpdissect.codec`)."""
    if isinstance(node, LScalar):
        read = scalar_reader(node)

        def read_plain(raw: bytes) -> int:
            plain = read(raw)[0]
            if not isinstance(plain, int):
                raise TypeError(f"{node.id} ({node.kind}) is not a number")
            return plain

        return read_plain
    if isinstance(node, LBits):
        return bits_reader(node)
    return lambda raw: int.from_bytes(raw, "little")


_DATE_SHOWN: dict[str, Callable[[bytes], str]] = {
    "time": lambda r: f"{r[0]:02d}:{r[1]:02d}:{r[2]:02d}",
    "stime_date": lambda r: f"{_year(r[0]):04d}-{r[1]:02d}-{r[2]:02d} {r[3]:02d}:{r[4]:02d}",
    "ltime_date": lambda r: (
        f"{_year(r[0]):04d}-{r[1]:02d}-{r[2]:02d} {r[3]:02d}:{r[4]:02d}:{r[5]:02d}"
    ),
    "date": lambda r: f"{_year(r[0]):04d}-{r[1]:02d}-{r[2]:02d}",
}


def scalar_display(node: LScalar, raw: bytes) -> tuple[Any, Any]:
    """(plain value, display value) of a scalar's complete bytes."""
    return scalar_reader(node)(raw)


def scalar_shown(node: LScalar, raw: bytes) -> Any:
    """The display value of a scalar (what a node's ``value`` holds)."""
    return scalar_reader(node)(raw)[1]


def scalar_bytes(node: LScalar, plain: Any) -> bytes:
    """The inverse of :func:`scalar_display`: bytes of a plain scalar value."""
    if node.kind in DATE_PARTS:
        parts = plain or {}
        out = [int(parts.get(p, 0)) for p in DATE_PARTS[node.kind]]
        if any(not 0 <= x <= 255 for x in out):
            raise OverflowError(f"{node.id}: date/time parts are single bytes, got {out}")
        return bytes(out)
    big = node.big_endian and node.kind in ("int", "fill")
    signed = node.signed and node.kind in ("int", "fill")
    return int(plain).to_bytes(node.width, "big" if big else "little", signed=signed)


def blob_display(node: LBlob, raw: bytes) -> tuple[bytes, Any]:
    """(plain value, display value) of a blob's complete bytes; the plain value is the bytes."""
    k = node.kind
    if k == "char":
        return raw, raw.rstrip(b"\x00 ").decode("latin-1")
    if k in ("bytes", "hex", "fill"):
        return raw, raw.hex(" ").upper()
    if k == "bcd":
        digits = raw[::-1] if not node.big_endian else raw
        s = "".join(f"{b >> 4:X}{b & 0xF:X}" for b in digits)
        try:
            return raw, int(s)
        except ValueError:
            return raw, s
    if k == "nibble":
        n = node.count if isinstance(node.count, int) else len(raw) * 2
        nib = [
            (raw[i // 2] >> 4) if i % 2 == 0 else (raw[i // 2] & 0xF)
            for i in range(min(n, len(raw) * 2))
        ]
        return raw, nib
    if k == "set":
        return raw, [i for i in range(len(raw) * 8) if raw[i // 8] >> (i % 8) & 1]
    return raw, raw.hex()


def hex_text(raw: bytes) -> str:
    """Raw bytes as a node shows them: ``"01 02 AB"``."""
    return raw.hex(" ").upper()
