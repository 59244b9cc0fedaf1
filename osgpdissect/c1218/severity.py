"""One severity model for MEP and optical records: what the ``!`` mark, ``decode -e`` and the
statistics call an *error*, and what is only a *note*.

* errors: malformed bytes, unanswered requests and orphan responses, error response codes,
  frame problems (wrong lengths, counts that disagree), digest mismatches, CRC failures and
  damaged packets, UART line errors, transaction and procedure problems, table layouts that
  do not fit the bytes, and any warning not known to be a note;
* notes: expected recoveries and normal protocol events: the meter's 0x0C answer with the
  sequence to use and the request that follows it, an identical resend, a NAKed packet sent
  again, a late response, a write the meter refused (the refusal itself is the error).

Legend of the text output: ``!`` a record with errors, ``~`` a record with notes only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from osgpdissect.c1218 import codes as C

__all__ = ["ERROR_MARK", "NOTE_MARK", "classify", "error_reasons", "mark", "note_reasons"]

ERROR_MARK = "!"
NOTE_MARK = "~"

_NOTE_WARNINGS = (
    "follows the 0x0C hint",
    "past the 0x0C hint + 1",
    "invalid sequence number: meter says",
    "identical resend of an answered request",
    "second response to a retried request",
    "ms after the request (timeout",
    " s after the request",
    "packet NAKed at",
    "wake-up bytes from the meter",
    "response digest repeats the request digest",
)
_NOTE_TABLE_WARNINGS = ("write not acknowledged", " inferred ")  # + what the bytes taught (issue 15)
_BAD_DIGEST = ("mismatch", "unverifiable")


def _is_note(text: str, patterns: tuple[str, ...] = _NOTE_WARNINGS) -> bool:
    return any(p in text for p in patterns)


def classify(rec: Any, line_errors: Iterable[Any] = ()) -> tuple[list[str], list[str]]:
    """``(errors, notes)``: short reasons (categories counted by ``--stats``), each list empty
    when there is none; the record's warnings themselves say the detail."""
    errors: list[str] = []
    notes: list[str] = []
    if rec.kind in ("malformed", "unanswered", "orphan"):
        errors.append(rec.kind)
    resp = getattr(rec, "response", None)
    code = getattr(resp, "code", None)
    mode = getattr(resp, "mode", "")
    if code is not None and code != C.OK and mode != "opaque":
        if code == C.INVALID_SEQUENCE and mode == "rc4":
            notes.append("0x0C: sequence resync")
        else:
            errors.append(f"response {_code_name(resp)}")
    for part in (getattr(rec, "request", None), resp):
        errors.extend("frame problem" for _ in getattr(part, "problems", None) or ())
    sec = getattr(rec, "security", None) or {}
    for key in ("request_digest", "response_digest"):
        status = sec.get(key)
        if isinstance(status, str) and any(bad in status for bad in _BAD_DIGEST):
            errors.append(f"{key.split('_')[0]} {status}")
    errors.extend(f"{err.kind} error" for err in line_errors)
    for name in ("transaction", "procedure"):
        part = getattr(rec, name, None) or {}
        errors.extend(f"{name} problem" for _ in part.get("problems") or ())
    table = getattr(rec, "table", None)
    for warning in getattr(table, "warnings", None) or ():
        (notes if _is_note(warning, _NOTE_TABLE_WARNINGS) else errors).append("table layout")
    for warning in rec.warnings:
        if "invalid sequence number: meter says" in warning:
            continue  # the 0x0C response, counted above
        if _is_note(warning):
            notes.append("sequence after 0x0C" if "0x0C hint" in warning else "note")
        else:
            errors.append("warning")
    return errors, notes


def error_reasons(rec: Any, line_errors: Iterable[Any] = ()) -> list[str]:
    return classify(rec, line_errors)[0]


def note_reasons(rec: Any, line_errors: Iterable[Any] = ()) -> list[str]:
    return classify(rec, line_errors)[1]


def mark(rec: Any) -> str:
    """`` !`` (errors), `` ~`` (notes only) or ``""`` for a summary line."""
    errors, notes = classify(rec)
    if errors:
        return " " + ERROR_MARK
    return " " + NOTE_MARK if notes else ""


def _code_name(resp: Any) -> str:
    name = getattr(resp, "code_name", None)
    if name:
        return str(name)
    return C.response_code_name(resp.code, resp.mode == "tls")
