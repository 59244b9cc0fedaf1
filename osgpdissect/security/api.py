"""The interface the MEP dissector calls: RC4-mode exchange opening and TLS tracking."""

from __future__ import annotations

from dataclasses import dataclass

from .digest import Digest, block_size, digest
from .keys import KeyRing
from .rc4 import exchange_cipher
from .tls import TlsTracker

__all__ = [
    "MISMATCH",
    "NOT_INFORMATIVE",
    "NO_KEY",
    "UNVERIFIABLE",
    "DigestCheck",
    "OpenedExchange",
    "Security",
    "looks_like_plain_request",
    "zero_extension",
]

NOT_INFORMATIVE = "not informative (an all-zero reply repeats the request digest)"
MISMATCH = "digest mismatch"
NO_KEY = "no key"
UNVERIFIABLE = "unverifiable"
_VERIFIED = "verified with {}"

_READ_CODES = {0x30: 7, 0x3F: 12}  # fixed body lengths incl. the 4-byte sequence number


@dataclass(frozen=True)
class DigestCheck:
    """Outcome of one digest check. ``key`` is "MAK"/"MBK" when verified."""

    status: str
    key: str | None = None
    detail: str = ""

    @property
    def verified(self) -> bool:
        return self.key is not None


@dataclass(frozen=True)
class OpenedExchange:
    """One RC4-mode request/response pair after digest checks and optional decryption."""

    request_body: bytes
    response_body: bytes | None
    encrypted: bool
    request_check: DigestCheck
    response_check: DigestCheck | None
    access_level: str | None
    notes: tuple[str, ...] = ()
    sequence: int | None = None  # the request's sequence number (when plaintext is known)
    next_sequence: int | None = None  # a 0x0C response's "correct next" sequence number


def looks_like_plain_request(body: bytes) -> bool:
    """True when ``body`` is shaped like a plaintext request (code .. 4-byte sequence)."""
    if not body:
        return False
    code = body[0]
    if code in _READ_CODES:
        # 0x30 is table id only; the guide's table also lists a count (2 more bytes).
        return len(body) == _READ_CODES[code] or (code == 0x30 and len(body) == 9)
    if code == 0x40 and len(body) >= 9:
        return len(body) == 9 + int.from_bytes(body[3:5], "big")
    if code == 0x4F and len(body) >= 12:
        return len(body) == 12 + int.from_bytes(body[6:8], "big")
    return False


def _request_digests(key: bytes, body: bytes) -> list[tuple[bytes, str]]:
    """Candidate request digests: one-shot, plus the reference code's split form at a
    block boundary (the two only differ when the length is a multiple of 192)."""
    out = [(digest(key, body), "")]
    if body and len(body) % block_size(len(key)) == 0:
        split = Digest(key).update(body).final(reference_quirk=True)
        out.append((split, "split-call form: extra zero block at the 192-byte boundary"))
    return out


def _verify_request(auth: list[tuple[str, bytes]], body: bytes, mac: bytes) -> DigestCheck | None:
    for label, key in auth:
        for value, form in _request_digests(key, body):
            if value == mac:
                return DigestCheck(_VERIFIED.format(label), label, form)
    return None


class Security:
    """Security-layer services for a dissector session, given optional keys."""

    def __init__(self, keys: KeyRing | None = None) -> None:
        self.keys = keys if keys is not None else KeyRing()

    def __repr__(self) -> str:
        return f"Security({self.keys!r})"

    def tls_tracker(self) -> TlsTracker:
        """A fresh tracker for one MEP port's TLS-mode traffic."""
        return TlsTracker(self.keys)

    def open_rc4_exchange(
        self,
        request_body: bytes,
        request_digest: bytes,
        response_body: bytes | None,
        response_digest: bytes | None,
    ) -> OpenedExchange:
        """Check digests (MAK first, then MBK) and decrypt when needed and possible.

        ``request_body`` is code .. sequence number and ``response_body`` code .. data, both
        as on the wire (possibly encrypted); digests are the 8 trailing bytes.
        """
        req, req_mac = bytes(request_body), bytes(request_digest)
        resp = None if response_body is None else bytes(response_body)
        resp_mac = None if response_digest is None else bytes(response_digest)
        auth = self.keys.auth_keys()
        plain_shape = looks_like_plain_request(req)

        if not auth:
            notes = () if plain_shape else ("request does not look like plaintext (encrypted?)",)
            return _finish(
                req, req_mac, resp, resp_mac, DigestCheck(NO_KEY), DigestCheck(NO_KEY), notes=notes
            )

        check = _verify_request(auth, req, req_mac)
        if check is not None:
            key = dict(auth)[check.key]  # type: ignore[index]
            resp_check = _check_response(key, check.key, req, resp, resp_mac)
            return _finish(req, req_mac, resp, resp_mac, check, resp_check, level=check.key)

        opened = self._try_decrypt(req, req_mac, resp, resp_mac)
        if opened is not None:
            return opened

        has_enc = any(self.keys.encryption_key(label) for label, _ in auth)
        repaired = None if plain_shape else _repair_code(auth, req, req_mac)
        if repaired is not None:
            code, label = repaired
            detail = (f"request digest fails under {' and '.join(lb for lb, _ in auth)}: "
                      f"request code 0x{req[0]:02X} damaged (0x{code:02X}, one bit away, "
                      f"verifies under {label})")
            fixed = bytes((code,)) + req[1:]
            resp_check = _check_unauthenticated(auth, fixed, resp, resp_mac)
            return _finish(
                req, req_mac, resp, resp_mac, DigestCheck(MISMATCH, detail=detail), resp_check
            )
        if not has_enc and not plain_shape:
            req_check = DigestCheck(UNVERIFIABLE, detail="encrypted request and no encryption key")
            resp_check = DigestCheck(
                UNVERIFIABLE, detail="encrypted exchange and no encryption key"
            )
            return _finish(
                req,
                req_mac,
                resp,
                resp_mac,
                req_check,
                resp_check,
                encrypted=True,
                notes=("encrypted (no encryption key)",),
            )
        detail = "request digest fails under " + " and ".join(label for label, _ in auth)
        if has_enc:
            detail += " (plaintext and decrypted)"
        if resp and resp[0] == 0x0B:
            detail += ": explains the 0x0B"
        resp_check = _check_unauthenticated(auth, req, resp, resp_mac)
        return _finish(
            req, req_mac, resp, resp_mac, DigestCheck(MISMATCH, detail=detail), resp_check
        )

    def _try_decrypt(
        self, req: bytes, req_mac: bytes, resp: bytes | None, resp_mac: bytes | None
    ) -> OpenedExchange | None:
        """Decrypt with each key's derived encryption key; keep the one that verifies."""
        for label, key in self.keys.auth_keys():
            enc_key = self.keys.encryption_key(label)
            if enc_key is None:
                continue
            cipher = exchange_cipher(enc_key, req_mac)
            plain_req = cipher.crypt(req)
            check = _verify_request([(label, key)], plain_req, req_mac)
            if check is None:
                continue
            notes = ["encrypted (decrypted with the derived encryption key)"]
            plain_resp = None if resp is None else cipher.crypt(resp)
            resp_check = _check_response(key, label, plain_req, plain_resp, resp_mac)
            if resp and resp[0] == 0x0B and not resp_check.verified:
                # A 0x0B response is never encrypted: read it as sent.
                plain_resp = resp
                resp_check = _check_response(key, label, plain_req, resp, resp_mac)
                notes.append("0x0B response is never encrypted")
            return _finish(
                plain_req,
                req_mac,
                plain_resp,
                resp_mac,
                check,
                resp_check,
                level=label,
                encrypted=True,
                notes=tuple(notes),
            )
        return None


def _repair_code(
    auth: list[tuple[str, bytes]], req: bytes, mac: bytes
) -> tuple[int, str] | None:
    """``(code, key label)`` when the request verifies with one bit of its code byte flipped
    (a damaged plaintext request, not an encrypted one); None otherwise."""
    if not req:
        return None
    for bit in range(8):
        code = req[0] ^ (1 << bit)
        check = _verify_request(auth, bytes((code,)) + req[1:], mac)
        if check is not None and check.key is not None:
            return code, check.key
    return None


def zero_extension(req: bytes, resp: bytes | None, req_mac: bytes,
                   resp_mac: bytes | None) -> bool:
    """Whether a reply is the known trivial forgery: its digested bytes are the request's
    plus only zero bytes, and it carries the request's digest (zero padding makes the two
    digests equal, so the reply proves nothing)."""
    return bool(resp) and resp_mac == req_mac and not (resp or b"").strip(b"\x00")


def _check_response(
    key: bytes, label: str | None, req: bytes, resp: bytes | None, resp_mac: bytes | None
) -> DigestCheck:
    if resp is None:
        return DigestCheck(UNVERIFIABLE, detail="no response")
    if resp_mac is None:
        return DigestCheck(UNVERIFIABLE, detail="no response digest")
    if digest(key, req + resp) == resp_mac:
        return DigestCheck(_VERIFIED.format(label), label)
    return DigestCheck(MISMATCH, detail=f"response digest fails under {label}")


def _check_unauthenticated(
    auth: list[tuple[str, bytes]], req: bytes, resp: bytes | None, resp_mac: bytes | None
) -> DigestCheck:
    """Response to a request no key verifies (typically 0x0B): try every key."""
    if resp is None or resp_mac is None:
        return DigestCheck(UNVERIFIABLE, detail="no response digest")
    for label, key in auth:
        if digest(key, req + resp) == resp_mac:
            return DigestCheck(_VERIFIED.format(label), label)
    return DigestCheck(
        UNVERIFIABLE, detail="request not authenticated, so the response digest input is unknown"
    )


def _finish(
    req: bytes,
    req_mac: bytes,
    resp: bytes | None,
    resp_mac: bytes | None,
    req_check: DigestCheck,
    resp_check: DigestCheck,
    *,
    level: str | None = None,
    encrypted: bool = False,
    notes: tuple[str, ...] = (),
) -> OpenedExchange:
    """Assemble the result; ``req``/``resp`` are plaintext unless the exchange stayed sealed."""
    sealed = encrypted and level is None
    response_check: DigestCheck | None = resp_check
    if resp is None:
        response_check = None
    elif zero_extension(req, resp, req_mac, resp_mac) and not sealed:
        response_check = DigestCheck(
            NOT_INFORMATIVE,
            detail="zero padding gives an all-zero reply the request digest (trivially "
            "forgeable)",
        )
    next_seq = None
    if not sealed and resp and resp[0] == 0x0C and len(resp) >= 5:
        next_seq = int.from_bytes(resp[1:5], "big")
    return OpenedExchange(
        request_body=req,
        response_body=resp,
        encrypted=encrypted,
        request_check=req_check,
        response_check=response_check,
        access_level=level,
        notes=notes,
        sequence=None if sealed or len(req) < 5 else int.from_bytes(req[-4:], "big"),
        next_sequence=next_seq,
    )
