"""RC4 and the MEP per-exchange encryption scheme (guide Appendix B).

Per exchange: ``D`` = plaintext request digest; RC4 key ``K[i] = EncKey[i] ^ D[i]`` for
``i < 8`` and ``K[i] = EncKey[i]`` for ``8 <= i < 16``. The request body (code .. sequence
number) is encrypted with the keystream; the response body (code .. data) with its
continuation. Length and digests stay clear; digests are always over plaintext. ``EncKey``
is the derived ``mep_EncryptKey`` (see :mod:`osgpdissect.security.keys`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .digest import digest

__all__ = ["RC4", "EncodedExchange", "encode_exchange", "exchange_cipher", "exchange_key"]


class RC4:
    """Plain RC4 keystream; :meth:`crypt` continues the stream across calls."""

    __slots__ = ("_i", "_j", "_s")

    def __init__(self, key: bytes) -> None:
        if not 1 <= len(key) <= 256:
            raise ValueError(f"RC4 key must be 1..256 bytes, got {len(key)}")
        s = list(range(256))
        j = 0
        klen = len(key)
        for i in range(256):
            j = (j + s[i] + key[i % klen]) & 0xFF
            s[i], s[j] = s[j], s[i]
        self._s, self._i, self._j = s, 0, 0

    def __repr__(self) -> str:
        return "<RC4 keystream>"

    def crypt(self, data: bytes) -> bytes:
        """XOR ``data`` with the next ``len(data)`` keystream bytes."""
        s, i, j = self._s, self._i, self._j
        out = bytearray(data)
        for n in range(len(out)):
            i = (i + 1) & 0xFF
            si = s[i]
            j = (j + si) & 0xFF
            sj = s[j]
            s[i], s[j] = sj, si
            out[n] ^= s[(si + sj) & 0xFF]
        self._i, self._j = i, j
        return bytes(out)


def exchange_key(enc_key: bytes, request_digest: bytes) -> bytes:
    """The per-exchange RC4 key: first 8 bytes of ``enc_key`` XOR the request digest."""
    if len(enc_key) != 16 or len(request_digest) != 8:
        raise ValueError("exchange_key needs a 16-byte encryption key and an 8-byte digest")
    head = bytes(a ^ b for a, b in zip(enc_key[:8], request_digest, strict=True))
    return head + enc_key[8:]


def exchange_cipher(enc_key: bytes, request_digest: bytes) -> RC4:
    """A fresh keystream for one exchange; decrypt the request, then the response."""
    return RC4(exchange_key(enc_key, request_digest))


@dataclass(frozen=True)
class EncodedExchange:
    """Wire bodies and digests of one encrypted exchange (no length fields)."""

    request_body: bytes
    request_digest: bytes
    response_body: bytes | None
    response_digest: bytes | None


def encode_exchange(
    auth_key: bytes,
    enc_key: bytes | None,
    request_plain: bytes,
    response_plain: bytes | None = None,
) -> EncodedExchange:
    """Build one exchange as a client and server would send it.

    Digests are over plaintext (response digest over request + response). With
    ``enc_key`` the bodies are RC4-encrypted, except a ``0x0B`` response which is
    never encrypted.
    """
    req_digest = digest(auth_key, request_plain)
    resp_digest = None
    if response_plain is not None:
        resp_digest = digest(auth_key, request_plain + response_plain)
    if enc_key is None:
        return EncodedExchange(request_plain, req_digest, response_plain, resp_digest)
    cipher = exchange_cipher(enc_key, req_digest)
    req_wire = cipher.crypt(request_plain)
    resp_wire = None
    if response_plain is not None:
        resp_wire = (
            response_plain if response_plain[:1] == b"\x0b" else cipher.crypt(response_plain)
        )
    return EncodedExchange(req_wire, req_digest, resp_wire, resp_digest)
