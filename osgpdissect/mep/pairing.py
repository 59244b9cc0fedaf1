"""Pair requests and responses (guide l.246-248, 612-630).

MEP is half duplex and client driven: at most one request is outstanding, and the next frame
from the server answers it.  Rules:

* a request while another is outstanding: a byte-identical resend is a retry of it (l.618);
  anything else, the same command with another sequence number included, leaves the first one
  *unanswered* and waits for its own response (folding it into a retry would hand its response
  to the earlier request, e.g. the next poll after a damaged response: issue 21 item 7);
* a response with nothing outstanding is an *orphan*, unless it follows a retried exchange
  (a late answer to the first try: kept as an extra response of that exchange); without
  timestamps, a response whose shape cannot answer the outstanding request
  (:mod:`osgpdissect.mep.shapes`) leaves the request unanswered and is an orphan too;
* a frame's role comes from its direction; a plaintext frame whose code and shape say the
  opposite (pasted hex with wrong markers) takes the role its code gives, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from osgpdissect.bytestream import Direction
from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.messages import Alert, Frame, Malformed
from osgpdissect.c1218.records import Record, Retry
from osgpdissect.mep.frames import looks_like_frame
from osgpdissect.mep.reassembly import Item
from osgpdissect.mep.shapes import request_shape, response_shape, shape_fit

__all__ = ["Pairer", "frame_role", "pair"]

_REQUEST_START = frozenset(C.REQUEST_CODES) | frozenset(C.TLS_REQUEST_CODES)
_PLAIN_RESPONSE = frozenset(C.RESPONSE_CODES) - frozenset(C.REQUEST_CODES)


def frame_role(frame: Frame) -> tuple[str, str | None]:
    """``("request"|"response", warning)`` for a frame."""
    code = frame.raw[2] if len(frame.raw) > 2 else None
    if frame.direction is Direction.C2S:
        if (
            code in C.RESPONSE_CODES
            and code not in _REQUEST_START
            and looks_like_frame(frame.raw[2:])
        ):
            return "response", "frame on the client line is shaped like a response: taken as one"
        return "request", None
    if code in C.REQUEST_CODES and looks_like_frame(frame.raw[2:]):
        return "request", "frame on the meter line is shaped like a request: taken as one"
    return "response", None


class Pairer:
    """Turns frames/alerts/malformed items into records (frames only; no decoding)."""

    def __init__(self, response_timeout: float = 0.5) -> None:
        self.response_timeout = response_timeout
        self._outstanding: Record | None = None
        self._last: Record | None = None

    def feed(self, item: Item) -> tuple[Record, ...]:
        """The records ``item`` completes (usually none for a request, one for a response)."""
        if type(item) is Frame:  # (the class itself: the hot path skips isinstance)
            raw = item.raw
            code = raw[2] if len(raw) > 2 else None
            if item.direction is Direction.C2S and code in _REQUEST_START:
                return self._request(item, None)  # the usual cases, without frame_role()
            if item.direction is Direction.S2C and code in _PLAIN_RESPONSE:
                return self._response(item, None)
            role, warning = frame_role(item)
            if role == "request":
                return self._request(item, warning)
            return self._response(item, warning)
        if isinstance(item, Alert):
            rec = Record("alert", alert=item)
            if item.direction is Direction.C2S:
                rec.warnings.append("00 00 on the client line (alerts come from the meter)")
            return (rec,)
        if isinstance(item, Malformed):
            rec = Record("malformed", malformed=item)
            if self._outstanding is not None and item.direction is Direction.S2C:
                rec.warnings.append("damaged bytes while a request waits for its response")
            return (rec,)
        return ()

    def close(self) -> tuple[Record, ...]:
        if self._outstanding is None:
            return ()
        rec, self._outstanding = self._outstanding, None
        rec.kind = "unanswered"
        rec.warnings.append("no response before the end of the capture")
        return (rec,)

    def _request(self, frame: Frame, warning: str | None) -> tuple[Record, ...]:
        pending = self._outstanding
        done: tuple[Record, ...] = ()
        if pending is not None and pending.request_frame is not None:
            kind = _retry_kind(pending.request_frame, frame)
            if kind is not None:
                pending.retries.append(Retry(frame.time, kind))
                return ()
            pending.kind = "unanswered"
            pending.warnings.append("no response before the next request")
            self._outstanding = None
            done = (pending,)
        rec = Record("exchange", request_frame=frame)
        if warning:
            rec.warnings.append(warning)
        last = self._last
        if (
            last is not None
            and last.request_frame is not None
            and last.request_frame.raw == frame.raw
        ):
            rec.warnings.append("identical resend of an answered request")
        self._outstanding = rec
        return done

    def _response(self, frame: Frame, warning: str | None) -> tuple[Record, ...]:
        rec = self._outstanding
        done: tuple[Record, ...] = ()
        if rec is not None and _contradicts(rec, frame):
            rec.kind = "unanswered"  # untimed: the shapes say this is not its response
            rec.warnings.append("the next response cannot answer it (its shape does not fit)")
            self._outstanding = None
            done, rec = (rec,), None
        if rec is None:
            last = self._last
            if last is not None and last.retries and not last.extra_responses:
                last.extra_responses.append(frame)
                rec = Record("orphan", response_frame=frame)
                rec.warnings.append("second response to a retried request (answers the first try)")
                return (rec,)
            rec = Record("orphan", response_frame=frame)
            rec.warnings.append("response without an outstanding request")
            if warning:
                rec.warnings.append(warning)
            return (*done, rec)
        rec.response_frame = frame
        if warning:
            rec.warnings.append(warning)
        latency = rec.latency
        if latency is not None and latency > self.response_timeout and not rec.retries:
            rec.warnings.append(
                f"response {latency * 1000:.0f} ms after the request (timeout 500 ms, l.615)"
            )
        self._outstanding = None
        self._last = rec
        return (rec,)


def _contradicts(rec: Record, response: Frame) -> bool:
    """Untimed frames only (order was inferred, not seen): the response's shape cannot answer
    the outstanding request (a write answered with data, a read with a bare OK...)."""
    req = rec.request_frame
    if req is None or req.time is not None or response.time is not None:
        return False
    return shape_fit(request_shape(req), response_shape(response)) is None


def _retry_kind(first: Frame, again: Frame) -> str | None:
    """A retry is a byte-identical resend; a request with other bytes never is one."""
    return "identical resend" if again.raw == first.raw else None


def pair(items: Iterable[Item], response_timeout: float = 0.5) -> Iterator[Record]:
    pairer = Pairer(response_timeout)
    for item in items:
        yield from pairer.feed(item)
    yield from pairer.close()
