"""MEP key material: MBK / MAK, the derived RC4 encryption key and TLS PSK entries.

Keys are secrets: nothing here puts key bytes or key text into ``repr``, ``str`` or error
messages. Accepted spellings for a 16-byte key:

* 20 ASCII characters, as utilities hand them out: the first 16 characters' codes are the key
  bytes (not hex);
* 32 hex digits;
* 16 raw bytes (``bytes`` input only).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from os import PathLike

__all__ = [
    "KeyMaterialError",
    "KeyRing",
    "PskEntry",
    "derive_encryption_key",
    "parse_key",
    "set_encryption_key_derivation",
]

KEY_LEN = 16
_HEX32 = re.compile(r"[0-9A-Fa-f]{32}")


class KeyMaterialError(ValueError):
    """Bad key material. The message names the field, never the key text."""


def parse_key(value: str | bytes, name: str) -> bytes:
    """Normalise one 16-byte key from its accepted spellings (see module doc)."""
    if isinstance(value, bytes | bytearray):
        if len(value) == KEY_LEN:
            return bytes(value)
        if len(value) == 20:
            return bytes(value[:KEY_LEN])
        raise KeyMaterialError(f"{name}: expected 16 or 20 key bytes, got {len(value)} bytes")
    if not isinstance(value, str):
        raise KeyMaterialError(f"{name}: expected a string, got {type(value).__name__}")
    text = value.strip()
    if len(text) == 32 and _HEX32.fullmatch(text):
        return bytes.fromhex(text)
    if len(text) == 20:
        if not text.isascii():
            raise KeyMaterialError(f"{name}: 20-character key contains non-ASCII characters")
        return text[:KEY_LEN].encode("ascii")
    raise KeyMaterialError(
        f"{name}: expected 20 ASCII characters or 32 hex digits, got {len(text)} characters"
    )


def _parse_hex_bytes(value: object, name: str) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if not isinstance(value, str):
        raise KeyMaterialError(f"{name}: expected a hex string, got {type(value).__name__}")
    text = value.replace(" ", "").replace(":", "")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise KeyMaterialError(f"{name}: not a hex string ({len(text)} characters)") from None
    if not raw:
        raise KeyMaterialError(f"{name}: empty")
    return raw


class PskEntry:
    """An explicit TLS PSK for one identity (identity bytes as sent in ClientKeyExchange).

    A plain class, not a dataclass, so ``dataclasses.asdict`` can never walk into it.
    """

    __slots__ = ("identity", "psk")

    def __init__(self, identity: bytes, psk: bytes) -> None:
        self.identity = bytes(identity)
        self.psk = bytes(psk)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PskEntry) and (self.identity, self.psk) == (
            other.identity,
            other.psk,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PskEntry(identity={self.identity.hex()}, psk=<{len(self.psk)} bytes hidden>)"

    __str__ = __repr__


#: Pluggable derivation of the 16-byte RC4 ``mep_EncryptKey`` from a MEP key. The guide omits
#: the constant and the procedure and no public source gives them, so there is no default.
EncKeyDerivation = Callable[[bytes], bytes]
_derivation: EncKeyDerivation | None = None


def set_encryption_key_derivation(func: EncKeyDerivation | None) -> None:
    """Install (or clear with ``None``) the MEP-key -> encryption-key derivation."""
    global _derivation
    _derivation = func


def derive_encryption_key(mep_key: bytes) -> bytes | None:
    """Derived encryption key for ``mep_key``, or ``None`` when no derivation is installed."""
    if _derivation is None:
        return None
    out = _derivation(mep_key)
    if len(out) != KEY_LEN:
        raise KeyMaterialError(f"encryption key derivation returned {len(out)} bytes, expected 16")
    return bytes(out)


_MAX_KEY_FILE = 1 << 20  # a key file is a few lines; more is the wrong file

_KEY_FIELDS = ("mak", "mbk", "rc4_key", "rc4_key_mak", "rc4_key_mbk")


class KeyRing:
    """MBK, MAK, optional derived RC4 encryption key(s) and TLS PSK entries.

    ``rc4_key`` is the derived 16-byte ``mep_EncryptKey``; ``rc4_key_mak``/``rc4_key_mbk``
    override it per access key when both are known. Immutable; a plain class (not a
    dataclass) so ``dataclasses.asdict`` of a result object can never expose it.
    """

    __slots__ = ("mak", "mbk", "psk", "rc4_key", "rc4_key_mak", "rc4_key_mbk")

    mak: bytes | None
    mbk: bytes | None
    rc4_key: bytes | None
    rc4_key_mak: bytes | None
    rc4_key_mbk: bytes | None
    psk: tuple[PskEntry, ...]

    def __init__(
        self,
        *,
        mbk: str | bytes | None = None,
        mak: str | bytes | None = None,
        rc4_key: str | bytes | None = None,
        rc4_key_mak: str | bytes | None = None,
        rc4_key_mbk: str | bytes | None = None,
        psk: tuple[PskEntry, ...] | list[PskEntry] = (),
    ) -> None:
        values = {
            "mbk": mbk,
            "mak": mak,
            "rc4_key": rc4_key,
            "rc4_key_mak": rc4_key_mak,
            "rc4_key_mbk": rc4_key_mbk,
        }
        for name, value in values.items():
            object.__setattr__(self, name, None if value is None else parse_key(value, name))
        object.__setattr__(self, "psk", tuple(psk))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("KeyRing is immutable; use merge()")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KeyRing):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in (*_KEY_FIELDS, "psk"))

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def create(
        cls,
        *,
        mbk: str | bytes | None = None,
        mak: str | bytes | None = None,
        rc4_key: str | bytes | None = None,
        psk: Mapping[bytes, bytes] | None = None,
    ) -> KeyRing:
        """Build from any accepted key spellings; ``psk`` maps identity -> PSK bytes."""
        entries = tuple(PskEntry(i, p) for i, p in (psk or {}).items())
        return cls(mbk=mbk, mak=mak, rc4_key=rc4_key, psk=entries)

    def __repr__(self) -> str:
        have = [n for n in _KEY_FIELDS if getattr(self, n) is not None]
        ids = ",".join(e.identity.hex() for e in self.psk)
        return f"KeyRing(keys=[{', '.join(have)}], psk_identities=[{ids}])"

    __str__ = __repr__

    @property
    def empty(self) -> bool:
        """True when the ring holds no key at all."""
        return not self.psk and all(getattr(self, n) is None for n in _KEY_FIELDS)

    def auth_keys(self) -> list[tuple[str, bytes]]:
        """(label, key) in the server's trial order: MAK first, then MBK."""
        out = []
        if self.mak is not None:
            out.append(("MAK", self.mak))
        if self.mbk is not None:
            out.append(("MBK", self.mbk))
        return out

    def encryption_key(self, label: str) -> bytes | None:
        """Derived RC4 encryption key for access key ``label`` ("MAK"/"MBK"), if known."""
        specific = self.rc4_key_mak if label == "MAK" else self.rc4_key_mbk
        if specific is not None:
            return specific
        if self.rc4_key is not None:
            return self.rc4_key
        base = self.mak if label == "MAK" else self.mbk
        return derive_encryption_key(base) if base is not None else None

    def psk_for(self, identity: bytes) -> tuple[str, bytes] | None:
        """PSK for a TLS identity: an explicit entry, else MAK/MBK by the MEP key id byte."""
        for entry in self.psk:
            if entry.identity == identity:
                return "explicit PSK entry", entry.psk
        if len(identity) == 3:
            key_id = identity[2]
            if key_id == 1 and self.mak is not None:
                return "MAK", self.mak
            if key_id == 0 and self.mbk is not None:
                return "MBK", self.mbk
        return None

    def merge(self, other: KeyRing) -> KeyRing:
        """Keys from ``other`` override this ring's; PSK entries are combined."""

        def pick(name: str) -> bytes | None:
            value = getattr(other, name)
            return value if value is not None else getattr(self, name)

        ids = {e.identity for e in other.psk}
        psk = tuple(e for e in self.psk if e.identity not in ids) + other.psk
        return KeyRing(
            mbk=pick("mbk"),
            mak=pick("mak"),
            rc4_key=pick("rc4_key"),
            rc4_key_mak=pick("rc4_key_mak"),
            rc4_key_mbk=pick("rc4_key_mbk"),
            psk=psk,
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], source: str = "keys") -> KeyRing:
        """Build from a TOML-like mapping (see :meth:`from_toml` for the layout)."""
        known = {"mbk", "mak", "rc4_key", "rc4_key_mak", "rc4_key_mbk", "psk"}
        unknown = set(data) - known
        if unknown:
            # an entry's name may be a key typed in the wrong place: never quote it
            raise KeyMaterialError(
                f"{source}: {len(unknown)} unknown entr{'y' if len(unknown) == 1 else 'ies'} "
                f"(names not shown: they may be keys); allowed: {', '.join(sorted(known))}"
            )
        kwargs: dict[str, object] = {}
        for name in known - {"psk"}:
            if name in data:
                kwargs[name] = _key_value(data[name], f"{source}: {name}")
        entries = []
        raw_psk = data.get("psk", [])
        if not isinstance(raw_psk, list):
            raise KeyMaterialError(f"{source}: psk must be an array of tables")
        for n, item in enumerate(raw_psk):
            if not isinstance(item, Mapping) or set(item) != {"identity", "key"}:
                raise KeyMaterialError(f"{source}: psk[{n}] needs exactly 'identity' and 'key'")
            ident = _parse_hex_bytes(item["identity"], f"{source}: psk[{n}].identity")
            key = _parse_hex_bytes(item["key"], f"{source}: psk[{n}].key")
            entries.append(PskEntry(ident, key))
        return cls(**kwargs, psk=tuple(entries))  # type: ignore[arg-type]

    @classmethod
    def from_toml(cls, path: str | PathLike[str]) -> KeyRing:
        """Load a TOML key file.

        Top-level strings ``mak``, ``mbk``, ``rc4_key`` (also ``rc4_key_mak`` /
        ``rc4_key_mbk``), each 32 hex digits or 20 ASCII characters, and an optional array
        of tables ``[[psk]]`` with hex strings ``identity`` (e.g. "640001") and ``key``.
        """
        try:
            with open(path, "rb") as fh:
                raw = fh.read(_MAX_KEY_FILE + 1)
        except OSError as exc:
            # the name given may be a key typed after --keys: never quote it
            why = exc.strerror or type(exc).__name__
            raise KeyMaterialError(f"key file: cannot read it: {why} (its name is not shown: "
                                   "it may be a key)") from None
        if len(raw) > _MAX_KEY_FILE:
            raise KeyMaterialError(f"key file: larger than {_MAX_KEY_FILE} bytes: not a key file")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            # the codec's message quotes a byte and its position: say only what is wrong
            raise KeyMaterialError("key file: not UTF-8 text") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            # tomllib may quote a character of the file: keep only the position.
            where = re.search(r"\(at (line \d+, column \d+|end of document)\)", str(exc))
            pos = f" at {where.group(1)}" if where else ""
            raise KeyMaterialError(f"key file: invalid TOML{pos}") from None
        except RecursionError:  # tomllib recurses into nested arrays and inline tables
            raise KeyMaterialError("key file: invalid TOML (nested too deeply)") from None
        return cls.from_mapping(data, "key file")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> KeyRing:
        """Read ``OSGP_MBK``, ``OSGP_MAK`` and ``OSGP_RC4_KEY`` from ``environ``."""
        kwargs = {}
        for var, name in (("OSGP_MBK", "mbk"), ("OSGP_MAK", "mak"), ("OSGP_RC4_KEY", "rc4_key")):
            value = environ.get(var)
            if value:
                kwargs[name] = parse_key(value, var)
        return cls(**kwargs)


def _key_value(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise KeyMaterialError(f"{name}: expected a string, got {type(value).__name__}")
    return parse_key(value, name)
