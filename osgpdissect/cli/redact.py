"""The one output-side rule for secrets (issue 21 item 1): bytes that read as a C12.18 security
request body (an optical password and its CRC, see
:func:`osgpdissect.optical.records.secret_spans`) never reach an output, whatever protocol
the record holding them was decoded as.

:class:`SecretMasker` keeps the last bytes of each direction as context, so a password cut
between two records or two runs (a MEP frame boundary or a pause inside the packet) is still
recognised.  :meth:`SecretMasker.redact` rewrites a decoded record before it is shown; a MEP
record whose frames hold such bytes keeps only its frames' masked hex (its decoded fields
would show the password).  :meth:`SecretMasker.mask_run` masks the bytes of a run for a pcap.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from osgpdissect.bytestream import ByteRun, Direction

__all__ = ["MASK_BYTE", "REDACTED_NOTE", "SecretMasker", "mask_line_errors", "masked_hex"]

MASK_BYTE = 0x2A  # "*": what a masked byte becomes in a written pcap
_CONTEXT = 32  # bytes of each direction kept: a header, a code and what they announce
_HEADER_AND_CODE = 7  # EE, identity, control, sequence, length (2), code
REDACTED_NOTE = ("bytes that read as an optical (C12.18) security request are masked (a "
                 "password); the frame is not decoded")


_SECURITY = b"\x51"  # the C12.18 security request code
_LENGTH_21 = b"\x00\x15"  # the length of a security request's data
_SPANS: list[Any] = []


def _spans() -> Any:
    """:func:`osgpdissect.optical.records.secret_spans`, imported once."""
    if not _SPANS:
        from osgpdissect.optical.records import secret_spans

        _SPANS.append(secret_spans)
    return _SPANS[0]


def masked_hex(raw: bytes, hidden: bytearray | bytes) -> str:
    """``raw`` as hex with the bytes flagged in ``hidden`` shown as ``**``."""
    return "".join("**" if h else f"{b:02x}" for b, h in zip(raw, hidden, strict=True))


def _hidden_in_shown(shown: str | None, n: int) -> bytearray:
    """Positions already masked (``**``) in a hex string of ``n`` bytes."""
    out = bytearray(n)
    if shown is not None and len(shown) == 2 * n:
        for i in range(n):
            if shown[2 * i] == "*":
                out[i] = 1
    return out


class SecretMasker:
    """Finds password bytes in what streams past, direction by direction (see the module)."""

    def __init__(self) -> None:
        self._tail: dict[Direction, bytes] = dict.fromkeys(Direction, b"")
        self.found = 0  # bytes masked so far
        self.secret_directions: set[Direction] = set()  # of the last record redacted

    def hidden(self, direction: Direction, raw: bytes, *, stretch: bool = False) -> bytearray:
        """Flags (1 = secret) for each byte of ``raw``, the next bytes of ``direction``.
        ``stretch``: ``raw`` is a damaged stretch that may begin inside a packet header; else a
        frame (cut by its length prefix): the stricter rule, and the next bytes start afresh."""
        context = self._tail[direction]
        data = context + raw
        # A frame that read whole ends at a known boundary: what follows starts afresh (bytes
        # of one frame's digest and the next frame's length often pass for a damaged header).
        self._tail[direction] = data[-_CONTEXT:] if stretch else b""
        out = bytearray(len(raw))
        if _SECURITY not in data and _LENGTH_21 not in data:  # every rule needs one of them
            return out
        base = len(context)
        for start, size in _spans()(data, early_at=base if stretch else None,
                                    strict=not stretch):
            if not stretch and start < base + _HEADER_AND_CODE and not _intact_before(data, start):
                continue  # a damaged header across a frame's start: the frame's own length
            lo, hi = max(start, base), min(start + size, len(data))
            if hi > lo:
                out[lo - base : hi - base] = b"\x01" * (hi - lo)
        self.found += out.count(1)
        return out

    def mask_run(self, run: ByteRun) -> ByteRun:
        """``run`` with its password bytes replaced by ``*`` (0x2A)."""
        hide = self.hidden(run.direction, run.data)
        if not any(hide):
            return run
        data = bytes(MASK_BYTE if h else b for b, h in zip(run.data, hide, strict=True))
        return replace(run, data=data)

    def redact(self, rec: Any) -> Any:
        """``rec`` (a decoded record) as it may be shown: password bytes masked.  Optical
        records mask their own security packets and stretches with the same rule (their
        decoder knows where a password is due); their bytes still feed the context here."""
        self.secret_directions = set()
        if type(rec).__name__ == "OpticalRecord":  # (no import: optical may be absent)
            if not rec.show_password:
                for blob in _blobs(rec):
                    if any(self.hidden(blob.direction, blob.raw)) or rec.mask_all:
                        self.secret_directions.add(blob.direction)
            return rec
        if _plain_frames(rec, self._tail):
            return rec
        frames_hit = False
        for blob in _blobs(rec):
            stretch = blob is rec.malformed
            hide = self.hidden(blob.direction, blob.raw, stretch=stretch)
            if stretch:
                hide = bytearray(a | b for a, b in zip(
                    hide, _hidden_in_shown(blob.shown_hex, len(blob.raw)), strict=True))
            if any(hide):
                blob.shown_hex = masked_hex(blob.raw, hide)
                self.secret_directions.add(blob.direction)
                frames_hit = frames_hit or not stretch
        if frames_hit:
            _strip_decoding(rec)
        return rec


def _plain_frames(rec: Any, tail: dict[Direction, bytes]) -> bool:
    """Whether ``rec`` is whole frames only, none with a byte that any rule starts from (the
    common case, decided without :meth:`SecretMasker.hidden`; frames leave no context)."""
    if rec.malformed is not None or rec.extra_responses:
        return False
    for frame in (rec.request_frame, rec.response_frame):
        if frame is not None and (tail[frame.direction] or _SECURITY in frame.raw
                                  or _LENGTH_21 in frame.raw):
            return False
    return True


def _intact_before(data: bytes, start: int) -> bool:
    """Whether an intact ``00 15 51`` (length 21, security code) ends right before ``start``."""
    return start >= 3 and data[start - 3 : start] == b"\x00\x15\x51"


def mask_line_errors(hits: list[Any], directions: set[Direction]) -> list[Any]:
    """Line errors with the byte value hidden on the directions that carried secrets (an
    errored byte may be a password byte)."""
    if not directions or not hits:
        return hits
    return [replace(h, value=None) if h.direction in directions else h for h in hits]


def _blobs(rec: Any) -> list[Any]:
    """The byte-carrying parts of a record (frames, extra responses, a malformed stretch),
    in stream order as far as the record knows it."""
    out: list[Any] = []
    for part in (getattr(rec, "malformed", None), getattr(rec, "request_frame", None),
                 getattr(rec, "response_frame", None)):
        if part is not None and isinstance(getattr(part, "raw", None), bytes | bytearray):
            out.append(part)
    out += [f for f in getattr(rec, "extra_responses", ()) or () if isinstance(f.raw, bytes)]
    return out


def _strip_decoding(rec: Any) -> None:
    """Drop what was decoded from frames that hold password bytes: only masked hex stays."""
    rec.request = None
    rec.response = None
    rec.table = None
    rec.procedure = None
    rec.transaction = None
    rec.security = None
    rec.warnings = [REDACTED_NOTE]
