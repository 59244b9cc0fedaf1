"""What a MEP request expects back and what a response is, as small tuples, and whether one
can answer the other: the evidence for pairing without timestamps
(:mod:`osgpdissect.captures.order`) and for refusing a pairing the shapes contradict
(:class:`~osgpdissect.mep.pairing.Pairer` on untimed frames).

A partial read is answered with the count it asked for (or an error code), a full read with
data up to its maximum, a write with a bare OK; TLS-mode requests with a TLS code; encrypted
frames and damaged bytes are not compared.
"""

from __future__ import annotations

from osgpdissect.c1218 import codes as M
from osgpdissect.c1218.messages import Alert, Frame, Malformed
from osgpdissect.mep.frames import parse_request

Item = Frame | Alert | Malformed

__all__ = ["request_shape", "response_fit", "response_shape", "shape_fit"]


def request_shape(item: Item) -> tuple:
    """What a request expects back: ``("pread", count)``, ``("fread", max or None)``,
    ``("write",)``, ``("tls",)``, ``("opaque",)`` (encrypted) or ``("damaged",)``."""
    if not isinstance(item, Frame):
        return ("damaged",)
    req = parse_request(item.raw)
    if req.mode == "tls":
        return ("tls",)
    if req.mode != "rc4":
        return ("opaque",)
    if req.code == M.PARTIAL_READ:
        return ("pread", req.count)
    if req.is_read:
        return ("fread", req.count)
    return ("write",)


def response_shape(item: Item) -> tuple:
    """What a response is: ``("data", count)``, ``("ok",)``, ``("error",)``, ``("unknown",)``
    (a code no plaintext response has), ``("bad",)`` (shape inconsistent), ``("damaged",)``;
    the second-to-last element says whether a TLS request could get it."""
    if not isinstance(item, Frame):
        return ("damaged", True)
    raw = item.raw
    tls = len(raw) > 2 and raw[2] in M.TLS_RESPONSE_CODES
    if len(raw) < 3 + M.DIGEST_LEN:
        return ("bad", tls)
    body = raw[2 : -M.DIGEST_LEN]
    code, rest = body[0], len(body) - 1
    if code not in M.RESPONSE_CODES:
        return ("unknown", tls)
    if code != M.OK:
        return ("error" if rest == (4 if code == M.INVALID_SEQUENCE else 0) else "bad", tls)
    if rest == 0:
        return ("ok", tls)
    if rest >= 2 and ((body[1] << 8) | body[2]) == rest - 2:
        return ("data", tls, rest - 2)
    return ("bad", tls)


def shape_fit(req: tuple, resp: tuple) -> int | None:
    """How well a response of shape ``resp`` answers a request of shape ``req``: a score > 0,
    or None when it cannot."""
    kind, rkind = req[0], resp[0]
    if kind == "damaged" or rkind == "damaged":
        return 1  # damaged bytes: may be that response, weakly
    if kind == "tls":
        return 2 if resp[1] else None
    if kind == "opaque":
        return 2  # encrypted: nothing to compare
    if rkind == "unknown":
        return 1
    if rkind == "error":
        return 2
    if rkind == "bad":
        return None
    if kind == "write":
        return 4 if rkind == "ok" else None
    if rkind != "data":
        return None
    if kind == "pread":
        return 4 if resp[2] == req[1] else 1
    return 3 if req[1] is None or resp[2] <= req[1] else None


def response_fit(request: Item, response: Item) -> int | None:
    """How well ``response`` answers ``request``: a score > 0, or None when it cannot."""
    return shape_fit(request_shape(request), response_shape(response))
