"""Byte values as logic-analyzer software prints them: ``0xD4``, ``212``, ``0b11010100``, ``'A'``.

Saleae Logic 1 in ASCII radix prints printable characters bare (``A``), a space as ``' '``,
a comma as ``COMMA`` and control characters as C escapes (``\\r``, ``\\n``, ``\\t``); the same
parser also takes quoted characters (``'A'``), ``\\xHH``, control-character names (``NUL``,
``CR``, ``ESC``...) and Logic 1 table suffixes such as ``0x41 (framing error)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["ValueParser", "ValueTable", "guess_ascii", "format_value"]

_CONTROL_NAMES = ("NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 "
                  "NAK SYN ETB CAN EM SUB ESC FS GS RS US").split()
_NAMES: dict[str, int] = {n: i for i, n in enumerate(_CONTROL_NAMES)}
_NAMES.update({"COMMA": 0x2C, "SPACE": 0x20, "SP": 0x20, "DEL": 0x7F, "TAB": 9, "NULL": 0,
               "QUOTE": 0x22, "[CR]": 13, "[LF]": 10, "<CR>": 13, "<LF>": 10})
_ESCAPES = {"\\r": 13, "\\n": 10, "\\t": 9, "\\0": 0, "\\\\": 0x5C, "\\'": 0x27, '\\"': 0x22,
            "\\a": 7, "\\b": 8, "\\f": 12, "\\v": 11, "\\e": 27}
_SUFFIX = re.compile(r"\s*\(((?:framing|parity)(?: error)?(?: & (?:framing|parity) error)?|error)\)\s*$",
                     re.I)


def _char(text: str) -> int:
    if len(text) == 1:
        v = ord(text)
        if v > 0xFF:
            raise ValueError(f"not a byte: {text!r}")
        return v
    if text in _ESCAPES:
        return _ESCAPES[text]
    low = text.lower()
    if low.startswith("\\x") and 3 <= len(text) <= 4:
        return int(text[2:], 16)
    name = text.upper()
    if name in _NAMES:
        return _NAMES[name]
    raise ValueError(f"not a byte value: {text!r}")


def guess_ascii(values: Iterable[str]) -> bool:
    """True when some value is neither prefixed (0x/0b) nor all digits: an ASCII-radix export."""
    for raw in values:
        s = _SUFFIX.sub("", raw.strip())
        if not s:
            if raw:
                return True
            continue
        low = s[:2].lower()
        if low in ("0x", "0b") and len(s) > 2:
            continue
        if not s.isdigit():
            return True
    return False


class ValueParser:
    """Parses value strings of one export (radix ``auto``/``hex``/``dec``/``bin``/``ascii``).

    In ASCII mode a single digit means that character; otherwise it is decimal.  Calls return
    ``(byte, error_kind_or_None)`` and raise ValueError.  Results are cached per string.
    """

    def __init__(self, radix: str = "auto", ascii_mode: bool = False) -> None:
        self.radix = radix
        self.ascii_mode = ascii_mode or radix == "ascii"
        self._cache: dict[str, tuple[int, str | None]] = {}

    def __call__(self, text: str) -> tuple[int, str | None]:
        hit = self._cache.get(text)
        if hit is None:
            hit = self._parse(text)
            if len(self._cache) < 4096:
                self._cache[text] = hit
        return hit

    def _parse(self, text: str) -> tuple[int, str | None]:
        error = None
        m = _SUFFIX.search(text)
        if m:
            kind = m.group(1).lower()
            error = "parity" if kind.startswith("parity") else "framing"
            text = text[: m.start()]
        s = text.strip()
        if not s:
            if text == " ":
                return 0x20, error
            raise ValueError("empty value")
        low = s.lower()
        if low.startswith("0x") and len(s) > 2:
            v = int(s[2:], 16)
        elif low.startswith("0b") and len(s) > 2:
            v = int(s[2:], 2)
        elif len(s) >= 3 and s[0] == "'" and s[-1] == "'":
            inner = s[1:-1]
            v = int(inner) if len(inner) > 1 and inner.isdigit() else _char(inner)
        elif len(s) >= 3 and s[0] == '"' and s[-1] == '"':
            v = _char(s[1:-1])
        elif self.radix == "hex" and len(s) <= 2 and all(c in "0123456789abcdefABCDEF" for c in s):
            v = int(s, 16)
        elif self.radix == "bin" and s and set(s) <= {"0", "1"}:
            v = int(s, 2)
        elif self.ascii_mode and len(s) == 1:
            v = ord(s)
        elif s.isdigit():
            v = int(s)
        else:
            v = _char(s)
        if not 0 <= v <= 0xFF:
            raise ValueError(f"value out of byte range: {text!r}")
        return v, error


_PRINTABLE_ASCII = {13: "\\r", 10: "\\n", 9: "\\t", 0x20: "' '", 0x2C: "COMMA"}


def format_value(value: int, radix: str) -> str:
    """Print a byte the way Saleae Logic 1 does in ``radix`` (hex, dec, bin, ascii)."""
    if radix == "hex":
        return f"0x{value:02X}"
    if radix == "dec":
        return str(value)
    if radix == "bin":
        return f"0b{value:08b}"
    if radix == "ascii":
        if value in _PRINTABLE_ASCII:
            return _PRINTABLE_ASCII[value]
        if 0x21 <= value < 0x7F:
            return chr(value)
        return f"0x{value:02X}"
    raise ValueError(f"unknown radix {radix!r}")


class ValueTable:
    """Bulk form of a :class:`ValueParser`: a lookup table from value strings to bytes,
    seeded with every byte in hex (both cases) and decimal, learning the other strings of
    the export as they come (at most ``limit`` of them)."""

    def __init__(self, parse: ValueParser, limit: int = 8192) -> None:
        self.parse = parse
        self.limit = limit
        self.table: dict[str, int] = {}
        for b in range(256):
            for text in (f"0x{b:02X}", f"0x{b:02x}", str(b)):
                self._learn(text)

    def _learn(self, text: str) -> bool:
        """Put ``text`` in the table when it parses without an error kind; False if not."""
        try:
            value, error = self.parse(text)
        except ValueError:
            return False
        if error is not None:
            return False
        if len(self.table) < self.limit:
            self.table[text] = value
        return True

    def decode(self, texts: list[str]) -> tuple[bytes, list[tuple[int, str]]] | None:
        """The bytes of ``texts`` and ``(index, error kind)`` pairs from value suffixes, or
        None when a string does not parse (the caller then reads row by row for the message)."""
        table = self.table
        try:
            return bytes(map(table.__getitem__, texts)), []
        except KeyError:
            pass
        for text in set(texts).difference(table):
            self._learn(text)
        try:
            return bytes(map(table.__getitem__, texts)), []
        except KeyError:
            pass
        out = bytearray()
        errors: list[tuple[int, str]] = []
        for i, text in enumerate(texts):
            value = table.get(text)
            if value is None:
                try:
                    value, kind = self.parse(text)
                except ValueError:
                    return None
                if kind:
                    errors.append((i, kind))
            out.append(value)
        return bytes(out), errors
