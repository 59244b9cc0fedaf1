"""TLS 1.2 wire parsing for the MEP tracker: records, handshake messages, names, PRF.

Pure parsing: no session state and no secrets. Parsers raise :class:`Malformed` on short or
inconsistent input; the tracker turns that into an error event.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

__all__ = [
    "CONTENT_TYPES",
    "HANDSHAKE_TYPES",
    "Malformed",
    "Reader",
    "Record",
    "alert_text",
    "parse_handshake_body",
    "prf",
    "split_records",
    "suite_name",
]

CONTENT_TYPES = {20: "ChangeCipherSpec", 21: "Alert", 22: "Handshake", 23: "ApplicationData"}
HANDSHAKE_TYPES = {
    0: "HelloRequest",
    1: "ClientHello",
    2: "ServerHello",
    4: "NewSessionTicket",
    11: "Certificate",
    12: "ServerKeyExchange",
    13: "CertificateRequest",
    14: "ServerHelloDone",
    15: "CertificateVerify",
    16: "ClientKeyExchange",
    20: "Finished",
}
SUITES = {
    0x00A8: "TLS_PSK_WITH_AES_128_GCM_SHA256",
    0x00A9: "TLS_PSK_WITH_AES_256_GCM_SHA384",
    0x00FF: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
}
EXTENSIONS = {
    0x0000: "server_name",
    0x000A: "supported_groups",
    0x000B: "ec_point_formats",
    0x000D: "signature_algorithms",
    0x0016: "encrypt_then_mac",
    0x0017: "extended_master_secret",
    0x0023: "session_ticket",
    0xFF01: "renegotiation_info",
}
ALERTS = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    21: "decryption_failed",
    40: "handshake_failure",
    47: "illegal_parameter",
    50: "decode_error",
    51: "decrypt_error",
    70: "protocol_version",
    80: "internal_error",
    115: "unknown_psk_identity",
}
EXT_EMS = 0x0017
KEY_IDS = {0: "MBK", 1: "MAK"}


class Malformed(ValueError):
    """Input too short or inconsistent for the structure being parsed."""


class Reader:
    """Bounds-checked big-endian reader."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int, field: str) -> bytes:
        if self.pos + n > len(self.data):
            have = len(self.data) - self.pos
            raise Malformed(f"{self.what}: {field} needs {n} bytes, {have} left")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int, field: str) -> int:
        return int.from_bytes(self.take(n, field), "big")

    def vector(self, len_bytes: int, field: str) -> bytes:
        return self.take(self.uint(len_bytes, field + " length"), field)

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


@dataclass(frozen=True)
class Record:
    """One TLS record as found in a MEP frame (``body`` may be short when truncated)."""

    content_type: int
    version: int
    declared: int
    body: bytes

    @property
    def truncated(self) -> bool:
        return len(self.body) < self.declared

    @property
    def name(self) -> str:
        return CONTENT_TYPES.get(self.content_type, f"unknown content type {self.content_type}")


def split_records(payload: bytes) -> tuple[list[Record], bytes]:
    """Records in ``payload`` and any trailing bytes too short for a record header."""
    out, pos = [], 0
    while len(payload) - pos >= 5:
        ctype = payload[pos]
        version = int.from_bytes(payload[pos + 1 : pos + 3], "big")
        declared = int.from_bytes(payload[pos + 3 : pos + 5], "big")
        body = payload[pos + 5 : pos + 5 + declared]
        out.append(Record(ctype, version, declared, body))
        pos += 5 + len(body)
    return out, payload[pos:]


def suite_name(code: int) -> str:
    return f"0x{code:04X} {SUITES.get(code, 'unknown')}"


def alert_text(body: bytes) -> str:
    if len(body) != 2:
        return f"alert of {len(body)} bytes (expected 2)"
    level = {1: "warning", 2: "fatal"}.get(body[0], f"level {body[0]}")
    return f"alert {level} {ALERTS.get(body[1], f'description {body[1]}')}"


def _extensions(r: Reader) -> list[tuple[int, bytes]]:
    if not r.left:
        return []
    block = Reader(r.vector(2, "extensions"), r.what)
    out = []
    while block.left:
        etype = block.uint(2, "extension type")
        out.append((etype, block.vector(2, f"extension 0x{etype:04X}")))
    return out


def _ext_names(exts: list[tuple[int, bytes]]) -> str:
    if not exts:
        return "none"
    return ", ".join(f"0x{t:04X} {EXTENSIONS.get(t, 'unknown')}" for t, _ in exts)


def parse_handshake_body(htype: int, body: bytes) -> dict[str, object]:
    """Decode one handshake message body into display fields (plus typed extras)."""
    name = HANDSHAKE_TYPES.get(htype, f"handshake type {htype}")
    r = Reader(body, name)
    f: dict[str, object] = {}
    if htype == 1:
        f["client_version"] = f"0x{r.uint(2, 'version'):04X}"
        f["random"] = r.take(32, "random").hex().upper()
        f["session_id"] = r.vector(1, "session id").hex().upper() or "(empty)"
        suites = r.vector(2, "cipher suites")
        f["cipher_suites"] = ", ".join(
            suite_name(int.from_bytes(suites[i : i + 2], "big")) for i in range(0, len(suites), 2)
        )
        f["compression"] = r.vector(1, "compression").hex().upper()
        exts = _extensions(r)
        f["extensions"] = _ext_names(exts)
        f["_ems"] = any(t == EXT_EMS for t, _ in exts)
    elif htype == 2:
        f["server_version"] = f"0x{r.uint(2, 'version'):04X}"
        f["random"] = r.take(32, "random").hex().upper()
        f["session_id"] = r.vector(1, "session id").hex().upper() or "(empty)"
        suite = r.uint(2, "cipher suite")
        f["cipher_suite"] = suite_name(suite)
        f["compression"] = f"0x{r.uint(1, 'compression'):02X}"
        exts = _extensions(r)
        f["extensions"] = _ext_names(exts)
        f["_suite"] = suite
        f["_ems"] = any(t == EXT_EMS for t, _ in exts)
    elif htype == 12:
        f["psk_identity_hint"] = r.vector(2, "identity hint").hex().upper() or "(empty)"
    elif htype == 16:
        ident = r.vector(2, "PSK identity")
        f["psk_identity"] = ident.hex().upper()
        if len(ident) == 3:
            f["mep_client_id"] = str(int.from_bytes(ident[:2], "little"))
            f["mep_key_id"] = f"{ident[2]} ({KEY_IDS.get(ident[2], 'unknown key')})"
        f["_identity"] = ident
    elif htype == 20:
        f["verify_data"] = r.take(r.left, "verify data").hex().upper()
    elif htype in (0, 14):
        pass
    else:
        f["body_length"] = str(len(body))
        r.take(r.left, "body")
    if r.left:
        raise Malformed(f"{name}: {r.left} unexpected trailing bytes")
    return f


def prf(secret: bytes, label: bytes, seed: bytes, length: int, hash_name: str) -> bytes:
    """TLS 1.2 PRF (RFC 5246 section 5): P_hash(secret, label + seed)."""
    seed = label + seed
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, hash_name).digest()
        out += hmac.new(secret, a + seed, hash_name).digest()
    return out[:length]


def transcript_hash(transcript: bytes, hash_name: str) -> bytes:
    return hashlib.new(hash_name, transcript).digest()
