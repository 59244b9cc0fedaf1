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
]

NOT_INFORMATIVE = "not informative (bare 00 reply repeats the request digest)"
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


def _verify_request(keys: KeyRing, body: bytes, mac: bytes) -> DigestCheck | None:
    for label, key in keys.auth_keys():
        for value, form in _request_digests(key, body):
            if value == mac:
                return DigestCheck(_VERIFIED.format(label), label, form)
    return None


def _tail_seq(body: bytes) -> int | None:
    return int.from_bytes(body[-4:], "big") if len(body) >= 5 else None


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
        keys = self.keys
        request_body, request_digest = bytes(request_body), bytes(request_digest)
        if response_body is not None:
            response_body = bytes(response_body)
        if response_digest is not None:
            response_digest = bytes(response_digest)
        plain_shape = looks_like_plain_request(request_body)

        if not keys.auth_keys():
            notes = () if plain_shape else ("request does not look like plaintext (encrypted?)",)
            return self._result(
                request_body, request_digest, response_body, response_digest,
                DigestCheck(NO_KEY), None, False, notes,
                lambda: DigestCheck(NO_KEY),
            )

        check = _verify_request(keys, request_body, request_digest)
        if check is not None:
            key = dict(keys.auth_keys())[check.key]  # type: ignore[index]
            return self._result(
                request_body, request_digest, response_body, response_digest,
                check, check.key, False, (),
                lambda: self._check_response(key, check.key, request_body, response_body,
                                             response_digest),
            )

        opened = self._try_decrypt(request_body, request_digest, response_body, response_digest)
        if opened is not None:
            return opened

        tried = " and ".join(label for label, _ in keys.auth_keys())
        has_enc = any(keys.encryption_key(label) for label, _ in keys.auth_keys())
        resp_code = response_body[0] if response_body else None
        if not has_enc and not plain_shape:
            check = DigestCheck(UNVERIFIABLE, detail="encrypted request and no encryption key")
            return self._result(
                request_body, request_digest, response_body, response_digest,
                check, None, True, ("encrypted (no encryption key)",),
                lambda: DigestCheck(UNVERIFIABLE, detail="encrypted exchange, no encryption key"),
            )
        detail = f"request digest fails under {tried}"
        if has_enc:
            detail += " (plaintext and decrypted)"
        if resp_code == 0x0B:
            detail += ": explains the 0x0B"
        return self._result(
            request_body, request_digest, response_body, response_digest,
            DigestCheck(MISMATCH, detail=detail), None, False, (),
            lambda: self._check_unauthenticated(request_body, response_body, response_digest),
        )

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _result(
        request_body: bytes,
        request_digest: bytes,
        response_body: bytes | None,
        response_digest: bytes | None,
        request_check: DigestCheck,
        level: str | None,
        encrypted: bool,
        notes: tuple[str, ...],
        response_checker,  # noqa: ANN001 - zero-argument callable returning DigestCheck
    ) -> OpenedExchange:
        if response_body is None:
            response_check = None
        elif response_body == b"\x00" and response_digest == request_digest:
            response_check = DigestCheck(
                NOT_INFORMATIVE,
                detail="zero padding makes a lone 00 reply carry the request digest (forgeable)",
            )
        else:
            response_check = response_checker()
        plain_known = not encrypted
        next_seq = None
        if plain_known and response_body and response_body[0] == 0x0C and len(response_body) >= 5:
            next_seq = int.from_bytes(response_body[1:5], "big")
        return OpenedExchange(
            request_body=request_body,
            response_body=response_body,
            encrypted=encrypted,
            request_check=request_check,
            response_check=response_check,
            access_level=level,
            notes=notes,
            sequence=_tail_seq(request_body) if plain_known else None,
            next_sequence=next_seq,
        )

    @staticmethod
    def _check_response(
        key: bytes,
        label: str | None,
        request_plain: bytes,
        response_plain: bytes | None,
        response_digest: bytes | None,
    ) -> DigestCheck:
        if response_digest is None or response_plain is None:
            return DigestCheck(UNVERIFIABLE, detail="no response digest")
        if digest(key, request_plain + response_plain) == response_digest:
            return DigestCheck(_VERIFIED.format(label), label)
        return DigestCheck(MISMATCH, detail=f"response digest fails under {label}")

    def _check_unauthenticated(
        self, request_body: bytes, response_body: bytes | None, response_digest: bytes | None
    ) -> DigestCheck:
        """Response to a request no key verifies (typically 0x0B): try every key."""
        if response_digest is None or response_body is None:
            return DigestCheck(UNVERIFIABLE, detail="no response digest")
        for label, key in self.keys.auth_keys():
            if digest(key, request_body + response_body) == response_digest:
                return DigestCheck(_VERIFIED.format(label), label)
        return DigestCheck(
            UNVERIFIABLE, detail="request not authenticated, so the response digest input is unknown"
        )

    def _try_decrypt(
        self,
        request_body: bytes,
        request_digest: bytes,
        response_body: bytes | None,
        response_digest: bytes | None,
    ) -> OpenedExchange | None:
        for label, key in self.keys.auth_keys():
            enc_key = self.keys.encryption_key(label)
            if enc_key is None:
                continue
            cipher = exchange_cipher(enc_key, request_digest)
            plain_req = cipher.crypt(request_body)
            check = _verify_request(KeyRing(**{label.lower(): key}), plain_req, request_digest)
            if check is None:
                continue
            notes = ["encrypted (decrypted with the derived encryption key)"]
            plain_resp = None
            resp_check: DigestCheck | None = None
            if response_body is not None:
                plain_resp = cipher.crypt(response_body)
                resp_check = self._check_response(key, label, plain_req, plain_resp,
                                                  response_digest)
                if not resp_check.verified and response_body[:1] == b"\x0b":
                    resp_check = self._check_response(key, label, plain_req, response_body,
                                                      response_digest)
                    plain_resp = response_body
                    notes.append("0x0B response is never encrypted")
            opened = self._result(
                plain_req, request_digest, plain_resp, response_digest,
                check, label, False, tuple(notes), lambda rc=resp_check: rc,
            )
            return OpenedExchange(
                request_body=opened.request_body,
                response_body=opened.response_body,
                encrypted=True,
                request_check=opened.request_check,
                response_check=opened.response_check,
                access_level=opened.access_level,
                notes=opened.notes,
                sequence=opened.sequence,
                next_sequence=opened.next_sequence,
            )
        return None
