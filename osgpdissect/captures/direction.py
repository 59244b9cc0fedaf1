"""Which line is the client's and which the meter's, when the names do not say it: the bytes
of each line are scored as client or meter traffic.

Client evidence: MEP requests (length-prefixed, shaped like a table read/write), optical
packets carrying a service code, optical wake-up bytes.  Meter evidence: MEP responses and
``00 00`` alerts, optical packets carrying a response code.  Names still count first:
``channels=`` options, then TX/RX, client/meter, host, ``_tx``/``_rx`` in channel, analyzer
or file names (:func:`~osgpdissect.captures.base.guess_direction`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.c1218 import codes as M
from osgpdissect.captures.base import CaptureError, guess_direction
from osgpdissect.mep.frames import looks_like_frame
from osgpdissect.optical import codes as O
from osgpdissect.optical.packet import packet_status

__all__ = ["content_votes", "resolve_lines", "split_by_content"]


def content_votes(data: bytes) -> tuple[int, int]:
    """``(client, meter)``: how many whole messages in ``data`` only a client / only a meter
    sends."""
    client = meter = 0
    n = len(data)
    pos = 0
    while pos + 2 <= n:
        byte = data[pos]
        if byte == O.STP:
            status, end = packet_status(data, pos)
            if status == "ok":
                control = data[pos + 2]
                leading = not control & O.CTRL_MULTI or control & O.CTRL_FIRST
                first = data[pos + 6] if end - pos > 8 and leading else None
                if first in O.SERVICES:
                    client += 1
                elif first in O.RESPONSE_CODES:
                    meter += 1
                pos = end
                continue
        length = (byte << 8) | data[pos + 1]
        if length == 0:
            if pos + 4 <= n and data[pos + 2] == 0 and data[pos + 3] == 0:
                pos += 1  # a run of zeros: no alert evidence
                continue
            meter += 1 if pos + 2 == n or _frame_at(data, pos + 2) else 0
            pos += 2
            continue
        if length <= M.MAX_MESSAGE and pos + 2 + length <= n:
            body = data[pos + 2 : pos + 2 + length]
            if looks_like_frame(body):
                code = body[0]
                if code in M.REQUEST_CODES or code in M.TLS_REQUEST_CODES:
                    client += 1
                else:
                    meter += 1
                pos += 2 + length
                continue
        if byte == O.WAKE_UP and data[pos + 1] == O.STP:
            client += 1
        pos += 1
    return client, meter


def split_by_content(runs: Iterable[ByteRun], where: str, notes: list[str]) -> Iterator[ByteRun]:
    """Runs of one line that carries both sides (two analyzers exported under one name): each
    run (bytes between pauses) takes the direction its content scores, or the opposite of the
    previous run's when it scores neither way."""
    previous = Direction.S2C
    guessed = 0
    for run in runs:
        client, meter = content_votes(run.data)
        if client != meter:
            direction = Direction.C2S if client > meter else Direction.S2C
        else:
            direction = previous.flipped()
            guessed += 1
        previous = direction
        yield ByteRun(direction, run.data, run.time, run.byte_times, run.errors, run.source,
                      run.channel)
    if guessed:
        notes.append(f"{where}: {guessed} run(s) of the shared line scored neither way: "
                     "taken as the other side's turn")


def _frame_at(data: bytes, pos: int) -> bool:
    if pos + 2 > len(data):
        return False
    length = (data[pos] << 8) | data[pos + 1]
    end = pos + 2 + length
    return 0 < length <= M.MAX_MESSAGE and end <= len(data) and looks_like_frame(data[pos + 2:end])


def _hint(name: str, channels: Mapping[str, Direction], extra: str = "") -> Direction | None:
    if name in channels:
        return channels[name]
    return guess_direction(name) or (guess_direction(extra) if extra else None)


def resolve_lines(where: str, lines: Mapping[str, bytes], channels: Mapping[str, Direction],
                  notes: list[str], kind: str = "line",
                  extra_hint: str = "") -> dict[str, Direction]:
    """Directions of the named ``lines`` (name -> their first bytes).

    Names decide when they give two different directions (or one line with a direction);
    otherwise the content does, and ``notes`` gets one line saying which was taken as which
    and why.  Raises :class:`CaptureError`, naming the ``-o channels=...`` to pass, when the
    content cannot tell (both lines score alike).  ``extra_hint``: e.g. the file name, used for
    a single line.
    """
    names = list(lines)
    hints = {name: _hint(name, channels, extra_hint if len(names) == 1 else "") for name in names}
    decided = [d for d in hints.values() if d is not None]
    if len(names) == 1 and decided:
        return {names[0]: decided[0]}
    if len(names) == 2 and len(set(decided)) == 2:
        return dict(hints)  # type: ignore[arg-type]
    if len(names) > 2:
        if all(d is not None for d in hints.values()):
            return dict(hints)  # type: ignore[arg-type]
        raise CaptureError(f"{where}: {kind}s {', '.join(map(repr, names))}: cannot tell which is "
                           f"the client's; pass -o channels={names[0]}:tx,{names[1]}:rx")
    votes = {name: content_votes(lines[name]) for name in names}
    score = {name: c - m for name, (c, m) in votes.items()}
    why = "; ".join(f"{name!r}: {c} request(s), {m} response(s)" for name, (c, m) in votes.items())
    if len(names) == 1:
        name = names[0]
        if score[name] == 0:
            raise CaptureError(f"{where}: {kind} {name!r} has no direction and its bytes do not "
                               f"tell: pass -o channels={name}:tx (or :rx)")
        d = Direction.C2S if score[name] > 0 else Direction.S2C
        notes.append(f"{where}: {kind} {name!r} taken as {d.value} from its content ({why})")
        return {name: d}
    a, b = names
    if score[a] == score[b] and len(decided) == 1:
        d = decided[0]
        named = a if hints[a] is not None else b
        other = b if named == a else a
        notes.append(f"{where}: {kind} {named!r} taken as {d.value} by its name, {other!r} as "
                     f"{d.flipped().value} (the other line)")
        return {named: d, other: d.flipped()}
    if score[a] == score[b]:
        raise CaptureError(f"{where}: {kind}s {a!r} and {b!r}: the names do not say which is the "
                           f"client's and the bytes score alike ({why}); pass "
                           f"-o channels={a}:tx,{b}:rx (or {a}:rx,{b}:tx)")
    client, meter = (a, b) if score[a] > score[b] else (b, a)
    notes.append(f"{where}: {kind} {client!r} taken as C->S (client) and {meter!r} as S->C "
                 f"(meter) from their content ({why})")
    return {client: Direction.C2S, meter: Direction.S2C}
