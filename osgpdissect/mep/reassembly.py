"""Cut timestamped, direction-tagged bytes into MEP frames, alerts and malformed records.

Rules (guide l.256, 549-565, 612-630):

* a frame is ``<length BE16>`` + that many bytes, length ≤ 476; ``00 00`` is the server's alert;
* the server sends long responses as 117-byte segments with 25 ms pauses, so frames are cut by
  the length field, never by short gaps;
* a pause longer than ``max_gap`` (default 0.1 s; requests may not pause > 50 ms) or the other
  direction starting to talk (the link is half duplex) ends a *chunk*: no frame spans a chunk
  boundary, so a frame still incomplete there is reported as truncated;
* after damage the stream is resynchronised on the first position that holds a structurally
  consistent frame (:func:`~osgpdissect.mep.frames.looks_like_frame`, optionally confirmed by
  ``confirm``, e.g. a digest check when keys are known).  While in sync, frames whose code is
  unknown (RC4-encrypted) are accepted too;
* a frame that lost bytes (cut short, a byte dropped) swallows the start of the next one, and
  without times nothing but the length marks where it ended: when the bytes after a frame are
  not a frame start, or a well-formed frame ends exactly where it does (for a well-formed
  response: only after a pause, as read data often holds such bytes), the frame ends at the
  earliest well-formed frame inside it that is followed by a frame start or the end (its
  bytes before that are reported malformed); a frame that is exactly one run is taken as
  is.  Untimed input holds a frame until the bytes after it tell; timed input (maybe live)
  never waits.

Everything is a generator over a bounded buffer (at most one chunk tail), so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.messages import Alert, Frame, Malformed
from osgpdissect.mep.frames import looks_like_frame

__all__ = ["Item", "ReassemblyOptions", "StreamReassembler", "reassemble"]

Item = Frame | Alert | Malformed
_MIN_OPAQUE = 1 + C.DIGEST_LEN  # shortest RC4 frame body (a bare response code + digest)
ALERT_PERIOD = 1.0  # "the MEP server will continue to emit the alert once per second" (l.553)
_RECHECK = 32  # bytes to wait for before looking again at a frame held back (bounds the work)
_RESTART_BYTES = 3  # byte times of silence before a byte that say a new transmission began
_MAX_ALERTS_SKIPPED = 8  # alerts looked past for the frame after a frame (bounds the look)
_ZERO_RUN = "zero bytes back to back (alerts come once per second): a damaged frame?"


@dataclass(frozen=True, slots=True)
class ReassemblyOptions:
    """``max_gap``: seconds of silence that end a chunk.  ``byte_time``: seconds per byte, to
    estimate a run's end when the reader gives one time per run (10 bits at 9600 baud).
    ``half_duplex``: the other direction talking ends this direction's chunk (untimed frames
    held for the bytes after them are then given at the switch; without it, such a frame may
    come out after the other direction's next frame).
    ``confirm``: extra check of a resync candidate's body (e.g. digest with known keys)."""

    max_gap: float = 0.1
    byte_time: float = 10 / 9600
    half_duplex: bool = True
    confirm: Callable[[bytes], bool] | None = None


class _Piece:
    """Where a run's bytes sit in the buffer, to give bytes their times back."""

    __slots__ = ("start", "time", "byte_times", "source")

    def __init__(self, start: int, time: float | None, byte_times: tuple[float, ...], source: str):
        self.start = start
        self.time = time
        self.byte_times = byte_times
        self.source = source


class StreamReassembler:
    """Frames of one direction.  ``feed`` runs, then ``close`` at a boundary or the end."""

    def __init__(self, direction: Direction, options: ReassemblyOptions | None = None) -> None:
        self.direction = direction
        self.options = options or ReassemblyOptions()
        self._buf = bytearray()
        self._pieces: list[_Piece] = []
        self._last_time: float | None = None  # estimated time of the last byte fed
        self._in_sync = True
        self._frame_end = -1  # buffer index just after the last frame cut
        self._shaped_at = -1  # buffer index of a frame start found well-formed (-1: none)
        self._held_at = -1  # buffer index of a frame held until the bytes after it are in
        self._held_size = 0  # buffer size when it was last looked at
        self._side_codes = _REQUEST_SIDE if direction is Direction.C2S else _RESPONSE_SIDE
        self._byte_time = self.options.byte_time  # (the options are frozen)

    # -- input ------------------------------------------------------------------------------
    def take_whole(self, run: ByteRun) -> Frame | None:
        """The fast path: ``run`` is exactly one acceptable frame and nothing is pending, so
        it becomes that frame with no buffering (what :meth:`feed` would yield; None: it is
        not that simple, use :meth:`feed`)."""
        data = run.data
        n = len(data)
        if n < 3 or ((data[0] << 8) | data[1]) != n - 2 or n > _MAX_FRAME or self._buf:
            return None
        times = run.byte_times
        if times:
            if len(times) != n:
                times = ()
            else:
                total = sum(times)
                if (
                    total - total != 0  # a NaN or infinite time
                    or times[-1] - times[0] > self.options.max_gap
                    or list(times) != sorted(times)
                ):
                    return None  # maybe a pause inside the run (feed() splits it)
        body = data[2:]
        if looks_like_frame(body):
            if not self._in_sync:
                confirm = self.options.confirm
                if confirm is not None and not confirm(body):
                    return None
        elif not self._accept(body, False):
            return None
        start: float | None
        end: float | None
        if times:
            start = times[0]
            end = self._last_time = times[-1]
        else:
            start = run.time
            end = None if start is None else round(start + (n - 1) * self._byte_time, 9)
            if end is not None:
                self._last_time = end
        self._in_sync = True
        self._frame_end = 0
        raw = data if type(data) is bytes else bytes(data)
        return Frame(self.direction, raw, start, end, run.source, 1)

    def reset(self) -> None:
        """``close()`` with nothing pending: a new chunk starts in sync."""
        if self._buf:
            raise RuntimeError("reset() with bytes pending: use close()")
        self._pieces.clear()
        self._in_sync = True
        self._frame_end = -1
        self._shaped_at = -1
        self._held_at = -1

    def feed(self, run: ByteRun) -> Iterator[Item]:
        """Add one run; yield what became final."""
        if not run.data:
            return
        for start, stop, time, times in self._split_at_gaps(run):
            if time is not None and self._last_time is not None and self._buf:
                if time - self._last_time > self.options.max_gap:
                    yield from self.close()
            self._pieces.append(_Piece(len(self._buf), time, times, run.source))
            self._buf += run.data[start:stop]
            if times:
                self._last_time = times[-1]
            elif time is not None:
                self._last_time = time + (stop - start - 1) * self.options.byte_time
            yield from self._scan(final=False)

    def close(self) -> Iterator[Item]:
        """End the current chunk: everything pending becomes final."""
        yield from self._scan(final=True)
        self._buf.clear()
        self._pieces.clear()
        self._in_sync = True
        self._frame_end = -1
        self._shaped_at = -1
        self._held_at = -1

    def _split_at_gaps(
        self, run: ByteRun
    ) -> Iterator[tuple[int, int, float | None, tuple[float, ...]]]:
        times = run.byte_times if len(run.byte_times) == len(run.data) else ()
        if not times:
            yield 0, len(run.data), run.time, ()
            return
        gap = self.options.max_gap
        start = 0
        for i in range(1, len(times)):
            if times[i] - times[i - 1] > gap:
                yield start, i, times[start], times[start:i]
                start = i
        yield start, len(times), times[start], times[start:]

    # -- cutting ----------------------------------------------------------------------------
    def _scan(self, final: bool) -> Iterator[Item]:
        buf = self._buf
        size = len(buf)
        pos = 0
        junk = -1  # start of pending garbage
        junk_why = ""  # why it is garbage, when more is known than "not a frame"
        while pos < size:
            avail = size - pos
            if avail < 2:
                if final:
                    junk = pos if junk < 0 else junk
                    pos = size
                break
            length = (buf[pos] << 8) | buf[pos + 1]
            if length == 0 and self.direction is Direction.S2C:
                zeros = self._zero_run_junk(pos, final)
                if zeros is None:
                    break
                if zeros > pos:
                    if junk < 0:
                        junk = pos
                        junk_why = _ZERO_RUN
                    pos = zeros
                    self._in_sync = False
                    continue
                verdict = self._alert_verdict(pos, final)
                if verdict is None:
                    break
                if verdict:
                    if junk >= 0:
                        yield self._garbage(junk, pos, junk_why)
                        junk, junk_why = -1, ""
                    yield Alert(self.direction, self._time_at(pos), self._source_at(pos))
                    pos += 2
                    self._in_sync = True
                    continue
            elif 0 < length <= C.MAX_MESSAGE:
                end = pos + 2 + length
                if end > size:
                    if not final:
                        break
                    restart = self._find_start(pos + 1, size)
                    if restart < 0:
                        if junk >= 0:
                            yield self._garbage(junk, pos, junk_why)
                            junk, junk_why = -1, ""
                        why = f"truncated frame: length says {length}, {avail - 2} bytes follow"
                        if not self._plausible_head(pos):
                            why = "garbage (no frame start found)"
                        yield self._malformed(pos, size, why)
                        pos = size
                        break
                    junk = pos if junk < 0 else junk
                    pos = restart
                    self._in_sync = False
                    continue
                body = bytes(buf[pos + 2 : end])
                shaped = self._shaped_at == pos or looks_like_frame(body)
                if self._accept(body, shaped):
                    if not final and pos == self._held_at and size < self._held_size + _RECHECK:
                        break  # still undecided: look again once more bytes are in
                    resync = self._overrun(pos, end, final, shaped)
                    if resync is None:
                        self._held_at, self._held_size = pos, size
                        break  # what follows the frame decides: wait for its bytes
                    if resync > pos:
                        if junk >= 0:
                            yield self._garbage(junk, pos, junk_why)
                        junk = pos
                        junk_why = (f"damaged frame: its length ({length}) runs past the frame "
                                    f"that starts {resync - pos} bytes in")
                        pos = resync
                        self._in_sync = False
                        continue
                    if junk >= 0:
                        yield self._garbage(junk, pos, junk_why)
                        junk, junk_why = -1, ""
                    yield self._frame(pos, end, body)
                    pos = end
                    self._frame_end = end
                    self._in_sync = True
                    continue
            junk = pos if junk < 0 else junk
            pos += 1
            self._in_sync = False
        if junk >= 0 and (final or pos - junk > C.MAX_MESSAGE + 2):
            yield self._garbage(junk, pos, junk_why)
            junk, junk_why = -1, ""
        keep = junk if junk >= 0 else pos
        self._consume(keep)

    def _accept(self, body: bytes, shaped: bool) -> bool:
        if shaped:
            confirm = self.options.confirm
            return self._in_sync or confirm is None or confirm(body)
        return (
            self._in_sync
            and len(body) >= _MIN_OPAQUE
            and body[0] not in C.RESPONSE_CODES
            and body[0] not in C.REQUEST_CODES
        )

    def _overrun(self, pos: int, end: int, final: bool, shaped: bool) -> int | None:
        """Where the frame cut at ``[pos, end)`` really ends, when its length ran past it.

        Without times, nothing but the length marks a frame's end: a frame that lost bytes
        (cut short, a byte dropped) swallows the start of the next one, or the whole of it.
        Two signs give that away: the bytes after the cut are not a frame start (nor alerts
        then one, nor the end), or a well-formed frame ends exactly where the cut one does.
        The second sign counts for a well-formed response only when the times show a pause
        before the inner frame: read data is full of small values, so a clean response often
        holds bytes that read as a short response ending with its own digest (a request's
        fields rarely read as a request).  Then the swallowed bytes are searched for the
        earliest frame that passes every check itself and is followed by a frame start or
        the end: the bytes before it are the damaged frame.  Returns that frame's offset, ``pos`` to keep the frame as cut, or
        None when more bytes are needed to tell.  ``shaped``: the frame passes
        :func:`~osgpdissect.mep.frames.looks_like_frame`."""
        buf = self._buf
        confirm = self.options.confirm
        if shaped and confirm is not None and confirm(bytes(buf[pos + 2 : end])):
            return pos  # its digest verifies: the frame is whole
        if self._whole_run(pos, end):
            return pos  # the run's own bounds are the frame's (as take_whole() takes it)
        if end == len(buf) and not final and self._last_time is not None:
            follows: bool | None = True  # timed (maybe live): do not hold a frame back
        else:
            follows = self._starts_frames(end, final, opaque=not shaped)
        if follows is None:
            return None
        if follows:
            if shaped and self.direction is Direction.S2C and self._last_time is None:
                return pos  # no times at all: no pause can show, the response stays whole
            tail = self._tail_frame(pos, end)
            if tail >= 0 and (not shaped or self.direction is Direction.C2S
                              or self._restarts_at(tail)):
                return tail
            return pos
        for q in range(pos + 1, min(end, len(buf) - 1)):
            length = (buf[q] << 8) | buf[q + 1]
            if not 0 < length <= C.MAX_MESSAGE:
                continue
            stop = q + 2 + length
            if stop > len(buf):
                if not final:
                    return None  # maybe a frame, once its bytes are in
                continue
            if self._well_formed(q, stop):
                after = self._starts_frames(stop, final)
                if after is None:
                    return None
                if after:
                    return q
        return pos

    def _restarts_at(self, index: int) -> bool:
        """Whether the times say a transmission began at byte ``index``: a pause of more than
        :data:`_RESTART_BYTES` byte times before it.  Untimed bytes never say so."""
        pieces = self._pieces
        i = self._piece_index(index)
        piece = pieces[i]
        k = index - piece.start
        if piece.byte_times and 0 < k < len(piece.byte_times):
            gap = piece.byte_times[k] - piece.byte_times[k - 1]
        elif k == 0 and i > 0 and piece.time is not None:
            before = self._time_in(pieces[i - 1], index - 1)
            if before is None:
                return False
            gap = piece.time - before
        else:
            return False
        return gap > _RESTART_BYTES * self._byte_time

    def _whole_run(self, pos: int, end: int) -> bool:
        """Whether ``[pos, end)`` is exactly the bytes of one run (one piece)."""
        pieces = self._pieces
        i = self._piece_index(pos)
        if pieces[i].start != pos:
            return False
        return end == len(self._buf) if i + 1 == len(pieces) else pieces[i + 1].start == end

    def _tail_frame(self, pos: int, end: int) -> int:
        return _tail_frame(self._buf, pos, end, self._side_codes, self.options.confirm)

    def _well_formed(self, start: int, end: int) -> bool:
        return _well_formed(bytes(self._buf[start + 2 : end]), self._side_codes,
                            self.options.confirm)

    def _starts_frames(self, pos: int, final: bool, opaque: bool = False) -> bool | None:
        """Whether the buffer ends at ``pos`` (when final), or a well-formed frame starts there,
        alerts (``00 00``, server side) before it allowed; ``opaque``: a frame of unknown code
        (RC4-encrypted) that fits counts too.  None: not enough bytes yet."""
        buf = self._buf
        size = len(buf)
        for _ in range(_MAX_ALERTS_SKIPPED + 1):
            if pos >= size:
                return True if final else None
            if pos + 2 > size:
                return False if final else None
            length = (buf[pos] << 8) | buf[pos + 1]
            if length == 0 and self.direction is Direction.S2C:
                pos += 2
                continue
            if not 0 < length <= C.MAX_MESSAGE:
                return False
            end = pos + 2 + length
            if end > size:
                return False if final else None
            body = bytes(buf[pos + 2 : end])
            if looks_like_frame(body):
                self._shaped_at = pos  # spares the check when the scan gets there
                return True
            return opaque and length >= _MIN_OPAQUE and body[0] not in C.RESPONSE_CODES \
                and body[0] not in C.REQUEST_CODES
        return True  # a run of alerts: the line is idle, not in the middle of a frame

    def _alert_verdict(self, pos: int, final: bool) -> bool | None:
        """``00 00`` at ``pos``: an alert (True), a stray ``00`` before a frame (False), or
        undecided until more bytes come (None)."""
        buf = self._buf
        if pos + 2 == len(buf):
            return True if final else None
        if self._follows_frame(pos + 2) is None and not final:
            return None
        if self._follows_frame(pos + 1):
            return False  # "00" + a frame starting with "00 .."
        # Out of sync, "00 00" amid other junk is junk too: an alert stands alone.
        return self._in_sync or bool(self._follows_frame(pos + 2))

    def _zero_run_junk(self, pos: int, final: bool) -> int | None:
        """End of the zero bytes at ``pos`` that cannot be alerts (``pos`` when they may be;
        None: undecided until more bytes come).

        An alert is two zero bytes, repeated once per second while its condition lasts
        (l.553), so alerts never come back to back: two zero pairs in a row, timed closer than
        half a period, are a damaged frame (e.g. ``00 09 00 00 ..`` with its length's low byte
        lost), not alerts.  Untimed input (pasted hex) gives no such evidence."""
        buf = self._buf
        size = len(buf)
        end = pos
        while end < size and buf[end] == 0:
            end += 1
        if end - pos < 4:
            return pos
        t0 = self._time_at(pos)
        t1 = self._time_at(pos + 2)
        if t0 is None or t1 is None or t1 - t0 >= ALERT_PERIOD / 2:
            return pos
        if end == size:
            if final:
                return end
            if end - pos > C.MAX_MESSAGE + 2:
                return end - 1  # bound the buffer on a line stuck at zero
            return None
        follows = self._follows_frame(end - 1)  # "00 xx ..": the last zero may start a frame
        if follows is None and not final:
            return None
        return end if follows is False else end - 1

    def _follows_frame(self, pos: int) -> bool | None:
        """Whether a complete, consistent frame starts at ``pos`` (None: not enough bytes)."""
        buf = self._buf
        if pos + 2 > len(buf):
            return None
        length = (buf[pos] << 8) | buf[pos + 1]
        if length == 0:
            return self.direction is Direction.S2C and pos + 2 == len(buf)
        if length > C.MAX_MESSAGE:
            return False
        end = pos + 2 + length
        if end > len(buf):
            return None
        return looks_like_frame(bytes(buf[pos + 2 : end]))

    def _find_start(self, lo: int, hi: int) -> int:
        """First position in [lo, hi) where a complete, consistent frame or an alert starts."""
        buf = self._buf
        for q in range(lo, hi - 1):
            length = (buf[q] << 8) | buf[q + 1]
            if length > C.MAX_MESSAGE:
                continue
            if length == 0:
                if q + 2 == hi and self.direction is Direction.S2C:
                    return q
                continue
            end = q + 2 + length
            if end <= hi and looks_like_frame(bytes(buf[q + 2 : end])):
                return q
        return -1

    def _plausible_head(self, pos: int) -> bool:
        buf = self._buf
        if pos + 2 >= len(buf):
            return self._in_sync
        code = buf[pos + 2]
        known = code in C.REQUEST_CODES or code in C.RESPONSE_CODES or code in C.TLS_REQUEST_CODES
        return known or self._in_sync

    # -- records ----------------------------------------------------------------------------
    def _frame(self, start: int, end: int, body: bytes) -> Frame:
        raw = bytes(self._buf[start:end])
        pieces = self._pieces
        first = self._piece_index(start)
        if first + 1 == len(pieces) or pieces[first + 1].start >= end:
            last = first  # the frame lies in one piece (the common case)
        else:
            last = self._piece_index(end - 1)
        return Frame(
            self.direction,
            raw,
            self._time_in(pieces[first], start),
            self._time_in(pieces[last], end - 1),
            pieces[first].source,
            last - first + 1,
        )

    def _garbage(self, start: int, end: int, why: str = "") -> Malformed:
        if not why:
            if start == self._frame_end:
                why = "stray bytes directly after a frame (that frame may be damaged)"
            else:
                why = "garbage between frames"
        return self._malformed(start, end, why)

    def _malformed(self, start: int, end: int, reason: str) -> Malformed:
        return Malformed(
            self.direction,
            bytes(self._buf[start:end]),
            reason,
            self._time_at(start),
            self._time_at(end - 1),
            self._source_at(start),
        )

    def _piece_index(self, index: int) -> int:
        pieces = self._pieces
        lo, hi = 0, len(pieces) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if pieces[mid].start <= index:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def _time_at(self, index: int) -> float | None:
        if not self._pieces:
            return None
        return self._time_in(self._pieces[self._piece_index(index)], index)

    def _time_in(self, piece: _Piece, index: int) -> float | None:
        """The time of byte ``index``, which lies in ``piece``."""
        k = index - piece.start
        if piece.byte_times and k < len(piece.byte_times):
            return piece.byte_times[k]
        if piece.time is None:
            return None
        if k == 0:
            return piece.time
        return round(piece.time + k * self.options.byte_time, 9)  # an estimate, without noise

    def _source_at(self, index: int) -> str:
        return self._pieces[self._piece_index(index)].source if self._pieces else ""

    def _consume(self, upto: int) -> None:
        self._frame_end = self._frame_end - upto if self._frame_end >= upto else -1
        self._shaped_at = self._shaped_at - upto if self._shaped_at >= upto else -1
        if self._held_at >= upto:
            self._held_at -= upto
            self._held_size -= upto
        else:
            self._held_at = -1
        if upto <= 0:
            return
        if upto >= len(self._buf):
            self._buf.clear()
            self._pieces.clear()
            return
        keep = self._piece_index(upto)
        del self._buf[:upto]
        pieces = self._pieces[keep:]
        for piece in pieces:
            if piece.start < upto:
                skip = upto - piece.start
                if piece.byte_times:
                    piece.byte_times = piece.byte_times[skip:]
                if piece.time is not None and not piece.byte_times:
                    piece.time = round(piece.time + skip * self.options.byte_time, 9)
                elif piece.byte_times:
                    piece.time = piece.byte_times[0]
                piece.start = 0
            else:
                piece.start -= upto
        self._pieces = pieces


_MAX_FRAME = C.MAX_MESSAGE + 2  # the length prefix included
_REQUEST_SIDE = frozenset(C.REQUEST_CODES) | frozenset(C.TLS_REQUEST_CODES)
_RESPONSE_SIDE = frozenset(C.RESPONSE_CODES) | frozenset(C.TLS_RESPONSE_CODES)


def _well_formed(body: bytes, side_codes: frozenset[int],
                 confirm: Callable[[bytes], bool] | None) -> bool:
    """The checks of a resynchronisation point: a request's code on the client side, a
    response's on the server side, the shape, and ``confirm`` when given."""
    return (bool(body) and body[0] in side_codes and looks_like_frame(body)
            and (confirm is None or confirm(body)))


def _tail_frame(buf: bytes | bytearray, pos: int, end: int, side_codes: frozenset[int],
                confirm: Callable[[bytes], bool] | None) -> int:
    """Start of a well-formed frame inside ``(pos, end)`` that ends exactly at ``end`` (a
    frame cut short followed by a whole one), or -1.  A bare code and digest (11 bytes that
    zero-filled data matches too easily) does not count."""
    found = -1
    stop = end - 2 - _MIN_OPAQUE  # more than a code and a digest
    for high in (0, 1):  # lengths ≤ 476: the high byte is 0 or 1 (found by bytes.find)
        q = buf.find(high, pos + 3, stop)
        while q >= 0 and (found < 0 or q < found):
            if ((high << 8) | buf[q + 1]) == end - q - 2 \
                    and _well_formed(bytes(buf[q + 2 : end]), side_codes, confirm):
                found = q
                break
            q = buf.find(high, q + 1, stop)
    return found


def reassemble(runs: Iterable[ByteRun], options: ReassemblyOptions | None = None) -> Iterator[Item]:
    """Frames, alerts and malformed records of both directions, in stream order."""
    streams = {d: StreamReassembler(d, options) for d in Direction}
    half_duplex = (options or ReassemblyOptions()).half_duplex
    last: Direction | None = None
    stream = streams[Direction.C2S]
    for run in runs:
        direction = run.direction
        if direction is not last:
            if half_duplex and last is not None:
                ending = streams[last]
                if ending._buf:
                    yield from ending.close()
                else:
                    ending.reset()
            last = direction
            stream = streams[direction]
        frame = stream.take_whole(run)
        if frame is not None:
            yield frame
        else:
            yield from stream.feed(run)
    for stream in streams.values():
        yield from stream.close()
