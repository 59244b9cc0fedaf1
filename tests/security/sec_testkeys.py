"""Made-up keys used by the security tests (never real keys), and a leak check."""

from __future__ import annotations

from sec_guide import GUIDE_KEY
from sec_secrets_check import assert_no_key

ASCII_MAK = "Qm7pZx2Lw9Rt4Yv8Nc3K"  # 20 characters: key bytes = first 16 codes
HEX_MBK = "A1B2C3D4E5F60718293A4B5C6D7E8F90"
OTHER_KEY = bytes.fromhex("0F1E2D3C4B5A69788796A5B4C3D2E1F0")
ENC_KEY = bytes.fromhex("5EC0DE5EC0DE00112233445566778899")  # stands in for a derived key

_REGISTERED: list[bytes] = [
    GUIDE_KEY,
    ASCII_MAK[:16].encode(),
    ASCII_MAK.encode(),
    bytes.fromhex(HEX_MBK),
    OTHER_KEY,
    ENC_KEY,
]


def register(*keys: bytes) -> None:
    """Add keys (e.g. a TLS PSK from a sidecar) to the set checked by :func:`checked`."""
    for key in keys:
        if key not in _REGISTERED:
            _REGISTERED.append(key)


def registered() -> list[bytes]:
    return list(_REGISTERED)


_SEEN: list[object] = []


def checked(obj: object, *extra_keys: bytes) -> object:
    """Assert ``obj`` (str, repr, asdict JSON) shows no registered key; remember it."""
    assert_no_key(obj, registered() + list(extra_keys))
    _SEEN.append(obj)
    return obj


def seen() -> list[object]:
    return list(_SEEN)
