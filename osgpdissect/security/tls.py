"""MEP TLS-mode tracking: frames in, handshake fields and decrypted C12.18 payloads out.

Feed every MEP TLS-mode frame (request codes 0x58 handshake, 0x59 handshake-continue,
0x80 TLS_TABLE, 0x57 terminate; response codes 0x00 success, 0x01 TLS error, 0x03 invalid
identity or key) with its TLS records. The tracker parses records and handshake messages
without any key. Given the PSK (first 16 bytes of the MAK or MBK, chosen by the key id in
the 3-byte PSK identity, or an explicit PSK entry) it derives the TLS 1.2 keys (RFC 4279
premaster, SHA-384 PRF, extended master secret when negotiated), decrypts AES-GCM records,
verifies both Finished messages and emits :class:`AppData` with the inner C12.18 request or
response. It never raises on bad input: problems become :class:`TlsError` events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import KeyRing
from .tlsrec import (
    HANDSHAKE_TYPES,
    KEY_IDS,
    Malformed,
    Record,
    alert_text,
    parse_handshake_body,
    prf,
    split_records,
    transcript_hash,
)

__all__ = ["AppData", "TlsError", "TlsEvent", "TlsInfo", "TlsTracker", "DECRYPTION_FAILED"]

DECRYPTION_FAILED = "TLS decryption failed (wrong PSK?)"
C2S, S2C = "C->S", "S->C"
REQUEST_CODES = {
    0x57: "TLS_TERMINATE",
    0x58: "TLS_HANDSHAKE",
    0x59: "TLS_HANDSHAKE_CONT",
    0x80: "TLS_TABLE",
}
RESPONSE_CODES = {0x00: "Success", 0x01: "TLS error", 0x03: "Invalid identity or key"}
# suite -> (AES key length, PRF/transcript hash)
_GCM_SUITES = {0x00A8: (16, "sha256"), 0x00A9: (32, "sha384")}
_GCM_OVERHEAD = 8 + 16  # explicit nonce + tag


@dataclass(frozen=True)
class TlsEvent:
    """Base of everything :meth:`TlsTracker.feed` returns."""

    direction: str

    @property
    def text(self) -> str:  # pragma: no cover - overridden
        return ""


@dataclass(frozen=True)
class TlsInfo(TlsEvent):
    """A parsed item: ``what`` is e.g. "frame", "record", "ClientHello", "Finished"."""

    what: str
    summary: str
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return self.summary


@dataclass(frozen=True)
class AppData(TlsEvent):
    """Decrypted application data: the inner C12.18 request or response."""

    plaintext: bytes

    @property
    def text(self) -> str:
        return f"application data ({len(self.plaintext)} bytes): {self.plaintext.hex(' ').upper()}"


@dataclass(frozen=True)
class TlsError(TlsEvent):
    """Something that could not be parsed, decrypted or verified."""

    message: str

    @property
    def text(self) -> str:
        return self.message


@dataclass
class _Cipher:
    key: AESGCM = field(repr=False)
    iv: bytes = field(repr=False)


@dataclass
class _Session:
    """Per-handshake state. Holds secrets: never rendered into events."""

    client_random: bytes | None = None
    server_random: bytes | None = None
    suite: int | None = None
    ems_offered: bool = False
    ems: bool = False
    identity: bytes | None = None
    transcript: bytearray = field(default_factory=bytearray)
    session_hash: bytes | None = None  # transcript hash through ClientKeyExchange (EMS)
    candidates: list[tuple[str, bytes]] = field(default_factory=list, repr=False)
    master: bytes | None = field(default=None, repr=False)
    key_source: str | None = None
    encrypting: dict[str, bool] = field(default_factory=lambda: {C2S: False, S2C: False})
    ciphers: dict[str, _Cipher] = field(default_factory=dict, repr=False)
    pending_seq: dict[str, int] = field(default_factory=lambda: {C2S: 0, S2C: 0})
    failed: bool = False
    hs_buffer: dict[str, bytes] = field(default_factory=lambda: {C2S: b"", S2C: b""})


class TlsTracker:
    """Tracks one MEP port's TLS session across frames (see module doc)."""

    def __init__(self, keys: KeyRing | None = None) -> None:
        self.keys = keys if keys is not None else KeyRing()
        self._s = _Session()

    def __repr__(self) -> str:
        state = "keys derived" if self._s.master else "no session keys"
        return f"<TlsTracker {state}>"

    def reset(self) -> None:
        """Forget the current session (a new handshake or a terminate)."""
        self._s = _Session()

    @property
    def established(self) -> bool:
        """Both sides have switched to the negotiated cipher."""
        return all(self._s.encrypting.values())

    # -- frames ------------------------------------------------------------------------------

    def feed(self, direction: str, code: int, payload: bytes) -> list[TlsEvent]:
        """Process one MEP TLS-mode frame; returns the events it produced."""
        events: list[TlsEvent] = []
        payload = bytes(payload)
        if direction not in (C2S, S2C):
            return [TlsError(str(direction), f"unknown direction {direction!r}")]
        names = REQUEST_CODES if direction == C2S else RESPONSE_CODES
        label = names.get(code)
        summary = f"{label or 'unknown code'} (0x{code:02X}), {len(payload)} bytes of TLS data"
        events.append(TlsInfo(direction, "frame", summary))
        if label is None:
            events.append(TlsError(direction, f"unexpected {direction} code 0x{code:02X}"))
        if direction == C2S and code == 0x58:
            self.reset()
        if code == 0x57 and not _looks_like_records(payload):
            events.append(TlsInfo(direction, "terminate", f"terminate data ({len(payload)} bytes)"))
        else:
            events.extend(self._records(direction, payload))
        if direction == C2S and code == 0x57:
            self.reset()
            events.append(TlsInfo(direction, "session", "TLS session terminated"))
        return events

    def _records(self, direction: str, payload: bytes) -> list[TlsEvent]:
        events: list[TlsEvent] = []
        records, trailing = split_records(payload)
        for rec in records:
            events.append(
                TlsInfo(
                    direction,
                    "record",
                    f"record {rec.name}, version 0x{rec.version:04X}, length {rec.declared}",
                    (("content_type", str(rec.content_type)), ("length", str(rec.declared))),
                )
            )
            if rec.truncated:
                events.append(
                    TlsError(
                        direction,
                        f"{rec.name} record truncated: declares {rec.declared} bytes, "
                        f"{len(rec.body)} present",
                    )
                )
            if rec.content_type != 22 and self._s.hs_buffer[direction]:
                events.append(self._drop_partial_handshake(direction))
            events.extend(self._record(direction, rec))
        if trailing:
            events.append(
                TlsError(direction, f"{len(trailing)} trailing bytes: too short for a TLS record")
            )
        return events

    def _record(self, direction: str, rec: Record) -> list[TlsEvent]:
        s = self._s
        ctype = rec.content_type
        if ctype == 20:
            if rec.body != b"\x01":
                return [TlsError(direction, "ChangeCipherSpec body is not 01")]
            s.encrypting[direction] = True
            s.pending_seq[direction] = 0
            return [TlsInfo(direction, "ChangeCipherSpec", "ChangeCipherSpec: cipher now active")]
        sealed = s.encrypting[direction] and not (ctype == 22 and rec.declared < _GCM_OVERHEAD)
        if ctype not in (21, 22, 23):
            return [TlsError(direction, f"unknown TLS content type {ctype}")]
        if not sealed:
            if ctype == 23:
                return [TlsError(direction, "application data before ChangeCipherSpec")]
            return self._plain_content(direction, ctype, rec.body)
        if rec.truncated:
            return [
                TlsInfo(direction, "encrypted", f"encrypted {rec.name} not decrypted (truncated)")
            ]
        plain, events = self._decrypt(direction, rec)
        if plain is None:
            return events
        return events + self._plain_content(direction, ctype, plain, decrypted=True)

    def _plain_content(
        self, direction: str, ctype: int, body: bytes, decrypted: bool = False
    ) -> list[TlsEvent]:
        if ctype == 21:
            text = alert_text(body)
            if body[-1:] in (b"\x14", b"\x33") and not self.established:
                text += " during the handshake (PSK mismatch between client and meter?)"
            return [TlsInfo(direction, "Alert", text, (("alert", body.hex().upper()),))]
        if ctype == 23:
            return [AppData(direction, body)]
        return self._handshake_data(direction, body, decrypted)

    # -- handshake ---------------------------------------------------------------------------

    def _drop_partial_handshake(self, direction: str) -> TlsError:
        buf = self._s.hs_buffer[direction]
        self._s.hs_buffer[direction] = b""
        declared = int.from_bytes(buf[1:4], "big") if len(buf) >= 4 else None
        return TlsError(
            direction,
            f"incomplete handshake message discarded ({len(buf)} bytes"
            + (f", header declares {declared} body bytes)" if declared is not None else ")"),
        )

    def _handshake_data(self, direction: str, data: bytes, decrypted: bool) -> list[TlsEvent]:
        events: list[TlsEvent] = []
        buf = self._s.hs_buffer[direction] + data
        while len(buf) >= 4:
            length = int.from_bytes(buf[1:4], "big")
            if len(buf) < 4 + length:
                break
            msg, buf = buf[: 4 + length], buf[4 + length :]
            events.extend(self._handshake_message(direction, msg, decrypted))
        self._s.hs_buffer[direction] = buf
        return events

    def _handshake_message(self, direction: str, msg: bytes, decrypted: bool) -> list[TlsEvent]:
        s = self._s
        htype, body = msg[0], msg[4:]
        try:
            fields = parse_handshake_body(htype, body)
        except Malformed as exc:
            s.transcript += msg
            return [TlsError(direction, f"malformed handshake message: {exc}")]
        name = _hs_name(htype)
        shown = tuple((k, str(v)) for k, v in fields.items() if not k.startswith("_"))
        summary = name + (" (decrypted)" if decrypted else "")
        events: list[TlsEvent] = []
        if htype == 20:
            verdict = self._verify_finished(direction, body)
            if verdict is False:
                events.append(TlsError(direction, "Finished verify_data mismatch"))
            elif verdict:
                shown += (("verified", "yes"),)
        events.insert(0, TlsInfo(direction, name, summary, shown))
        if htype == 1:
            s.client_random = body[2:34]
            s.ems_offered = bool(fields["_ems"])
        elif htype == 2:
            s.server_random = body[2:34]
            s.suite = int(fields["_suite"])  # type: ignore[call-overload]
            s.ems = s.ems_offered and bool(fields["_ems"])
            if s.suite not in _GCM_SUITES:
                events.append(
                    TlsInfo(direction, "note", "cipher suite not supported for decryption")
                )
        if htype != 0:
            s.transcript += msg
        if htype == 16:
            s.identity = bytes(fields["_identity"])  # type: ignore[arg-type]
            s.session_hash = self._hash(bytes(s.transcript))
            events.extend(self._choose_psk(direction))
        return events

    def _hash(self, data: bytes) -> bytes | None:
        suite = _GCM_SUITES.get(self._s.suite or -1)
        return transcript_hash(data, suite[1]) if suite else None

    def _choose_psk(self, direction: str) -> list[TlsEvent]:
        s = self._s
        ident = s.identity or b""
        who = _identity_text(ident)
        found = self.keys.psk_for(ident)
        if found is not None:
            s.candidates = [found]
            return [TlsInfo(direction, "psk", f"PSK for {who}: {found[0]}")]
        s.candidates = [
            *self.keys.auth_keys(),
            *(("explicit PSK entry", e.psk) for e in self.keys.psk),
        ]
        if s.candidates:
            return [TlsInfo(direction, "psk", f"no PSK assigned to {who}: trying every known key")]
        return [TlsInfo(direction, "psk", f"no PSK for {who}: records stay encrypted")]

    def _verify_finished(self, direction: str, body: bytes) -> bool | None:
        """Check a decrypted Finished against the transcript before it (None: cannot)."""
        s = self._s
        suite = _GCM_SUITES.get(s.suite or -1)
        if s.master is None or suite is None:
            return None
        label = b"client finished" if direction == C2S else b"server finished"
        seed = transcript_hash(bytes(s.transcript), suite[1])
        return prf(s.master, label, seed, 12, suite[1]) == body

    # -- record protection ---------------------------------------------------------------------

    def _derive(self, psk: bytes) -> tuple[bytes, dict[str, _Cipher]] | None:
        s = self._s
        suite = _GCM_SUITES.get(s.suite or -1)
        if suite is None or s.client_random is None or s.server_random is None:
            return None
        key_len, hash_name = suite
        n = len(psk).to_bytes(2, "big")
        premaster = n + bytes(len(psk)) + n + psk  # RFC 4279 section 2
        if s.ems and s.session_hash is not None:
            master = prf(premaster, b"extended master secret", s.session_hash, 48, hash_name)
        else:
            master = prf(
                premaster, b"master secret", s.client_random + s.server_random, 48, hash_name
            )
        block = prf(
            master, b"key expansion", s.server_random + s.client_random, 2 * key_len + 8, hash_name
        )
        ck, sk = block[:key_len], block[key_len : 2 * key_len]
        civ, siv = block[2 * key_len : 2 * key_len + 4], block[2 * key_len + 4 :]
        return master, {C2S: _Cipher(AESGCM(ck), civ), S2C: _Cipher(AESGCM(sk), siv)}

    def _open(self, cipher: _Cipher, rec: Record, seq: int) -> bytes:
        nonce = cipher.iv + rec.body[:8]
        ct = rec.body[8:]
        aad = seq.to_bytes(8, "big") + bytes([rec.content_type]) + rec.version.to_bytes(2, "big")
        aad += (len(ct) - 16).to_bytes(2, "big")
        return cipher.key.decrypt(nonce, ct, aad)

    def _decrypt(self, direction: str, rec: Record) -> tuple[bytes | None, list[TlsEvent]]:
        s = self._s
        seq = s.pending_seq[direction]
        s.pending_seq[direction] = seq + 1
        what = f"encrypted {rec.name}"
        if s.failed:
            return None, [
                TlsInfo(direction, "encrypted", f"{what} not decrypted (earlier failure)")
            ]
        if len(rec.body) < _GCM_OVERHEAD:
            return None, [TlsError(direction, f"{what} too short for AES-GCM")]
        if s.master is None:
            if not s.candidates:
                return None, [TlsInfo(direction, "encrypted", f"{what} (no PSK)")]
            for source, psk in s.candidates:
                derived = self._derive(psk)
                if derived is None:
                    return None, [
                        TlsInfo(direction, "encrypted", f"{what} (no session parameters)")
                    ]
                try:
                    plain = self._open(derived[1][direction], rec, seq)
                except InvalidTag:
                    continue
                s.master, s.ciphers, s.key_source = derived[0], derived[1], source
                info = TlsInfo(direction, "keys", f"session keys derived from the {source}")
                return plain, [info]
            s.failed = True
            return None, [TlsError(direction, DECRYPTION_FAILED)]
        try:
            return self._open(s.ciphers[direction], rec, seq), []
        except InvalidTag:
            s.failed = True
            return None, [TlsError(direction, DECRYPTION_FAILED)]


def _looks_like_records(payload: bytes) -> bool:
    return len(payload) >= 5 and payload[0] in (20, 21, 22, 23) and payload[1] == 3


def _hs_name(htype: int) -> str:
    return HANDSHAKE_TYPES.get(htype, f"handshake type {htype}")


def _identity_text(ident: bytes) -> str:
    if len(ident) == 3:
        key = KEY_IDS.get(ident[2], f"key id {ident[2]}")
        return (
            f"identity {ident.hex().upper()} (client {int.from_bytes(ident[:2], 'little')}, {key})"
        )
    return f"identity {ident.hex().upper()}"
