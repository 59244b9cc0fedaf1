"""Value rendering: the one definition of how a leaf's bytes are shown and what its plain value is.

Parse gives ``(plain, shown)``: *plain* is what later expressions and ``values()`` see (ints,
bytes, dicts of date parts), *shown* is a node's ``value``.  Build uses the inverse
(:func:`scalar_bytes`) from plain values.
"""

from __future__ import annotations

from typing import Any

from osgpdissect import model as m
from osgpdissect.layout import LBlob, LScalar, apply_op

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
        return apply_op(e.op, _template_value(e.left, value), _template_value(e.right, value))
    if isinstance(e, m.UnOp):
        return -_template_value(e.operand, value)
    return "?"


def _year(y: int) -> int:
    return 2000 + y if y < 100 else y


def scalar_shown(node: LScalar, raw: bytes) -> Any:
    """The display value of a scalar (what a node's ``value`` holds)."""
    k = node.kind
    if k in ("int", "fill"):
        return int.from_bytes(raw, "big" if node.big_endian else "little", signed=node.signed)
    if k == "time":
        return f"{raw[0]:02d}:{raw[1]:02d}:{raw[2]:02d}"
    if k == "stime_date":
        return f"{_year(raw[0]):04d}-{raw[1]:02d}-{raw[2]:02d} {raw[3]:02d}:{raw[4]:02d}"
    if k == "ltime_date":
        return (
            f"{_year(raw[0]):04d}-{raw[1]:02d}-{raw[2]:02d} {raw[3]:02d}:{raw[4]:02d}:{raw[5]:02d}"
        )
    if k == "date":
        return f"{_year(raw[0]):04d}-{raw[1]:02d}-{raw[2]:02d}"
    v = int.from_bytes(raw, "little")
    if k == "ansi_date":
        return f"{_year(v & 0x7F):04d}-{(v >> 7) & 0xF:02d}-{(v >> 11) & 0x1F:02d}"
    if k == "mfg_code":
        return "".join(chr(((v >> s) & 0x1F) + 64) for s in (10, 5, 0))
    return v


def scalar_display(node: LScalar, raw: bytes) -> tuple[Any, Any]:
    """(plain value, display value) of a scalar's complete bytes."""
    k = node.kind
    if k in ("int", "fill"):
        v = int.from_bytes(raw, "big" if node.big_endian else "little", signed=node.signed)
        return v, v
    if k in DATE_PARTS:
        return dict(zip(DATE_PARTS[k], raw, strict=True)), scalar_shown(node, raw)
    return int.from_bytes(raw, "little"), scalar_shown(node, raw)


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
