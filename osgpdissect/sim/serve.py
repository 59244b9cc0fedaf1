"""Serving a simulated meter on a pseudo-terminal or a TCP port, in a thread.

The serving loop waits on the line and on a stop pipe only (``select`` without a timeout), so
:meth:`Simulator.stop` ends it at once and nothing polls.  Responses go out in 117-byte
segments (guide l.626).  The alert sequence (``00 00``) goes out before each response and once
a second when idle while ET13's alert flags are set (:meth:`MEPServer.alerting`); one asked
for with :meth:`Simulator.alert` goes out before the next response.
"""

from __future__ import annotations

import os
import random
import select
import socket
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass

from osgpdissect.c1218 import codes as C
from osgpdissect.sim.mep_server import MEPServer
from osgpdissect.sim.optical_server import OpticalServer

__all__ = ["Faults", "FrameCutter", "LineClosed", "Simulator"]

SEGMENT = 117
OPTICAL_START = (0x55, 0xEE)  # a wake-up byte, a C12.18 packet start
ALERT_INTERVAL = 1.0  # "the MEP server will continue to emit the alert once per second"
MIN_FRAME = 1 + C.SEQ_LEN + C.DIGEST_LEN  # the shortest request body


@dataclass
class Faults:
    """Line faults for client developers: a response dropped whole (``drop_rate``), a byte of
    a response changed (``noise_rate``), a pause before each response (``delay`` seconds).
    ``seed`` makes a run repeatable."""

    drop_rate: float = 0.0
    noise_rate: float = 0.0
    delay: float = 0.0
    seed: int = 0
    dropped: int = 0
    damaged: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self.damaged_answers: list[bytes] = []  # as sent

    def apply(self, out: bytes) -> bytes:
        """The bytes to send instead of ``out`` (empty when dropped)."""
        if self.delay:
            time.sleep(self.delay)  # the meter's own slowness, not a wait for an event
        if self.drop_rate and self._random.random() < self.drop_rate:
            self.dropped += 1
            return b""
        if self.noise_rate and out and self._random.random() < self.noise_rate:
            self.damaged += 1
            at = self._random.randrange(len(out))
            out = out[:at] + bytes((out[at] ^ (1 << self._random.randrange(8)),)) + out[at + 1 :]
            self.damaged_answers.append(out)
        return out


class FrameCutter:
    """Cuts length-prefixed request frames from a byte stream; an impossible length loses one
    byte (resynchronisation on line noise)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        frames = []
        while len(self.buf) >= 2:
            length = (self.buf[0] << 8) | self.buf[1]
            if not MIN_FRAME <= length <= C.MAX_MESSAGE:
                del self.buf[0]
                self.dropped += 1
                continue
            if len(self.buf) < 2 + length:
                break
            frames.append(bytes(self.buf[: 2 + length]))
            del self.buf[: 2 + length]
        return frames


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class LineClosed(Exception):
    """The line ended or the simulator was stopped."""


class _FdLine:
    """Reads from ``fd`` that end when the stop pipe fires (:class:`LineClosed`), with bytes
    put back by :meth:`unread` served first; every read and write goes to the tap."""

    def __init__(self, fd: int, stop: int, tap: Callable[[str, bytes], None]) -> None:
        self.fd, self.stop, self.tap = fd, stop, tap
        self.pending = b""

    def read_some(self, idle: float | None = None) -> bytes:
        """What is there (at least one byte); ``b""`` after ``idle`` seconds without any."""
        if self.pending:
            data, self.pending = self.pending, b""
            return data
        ready, _, _ = select.select([self.fd, self.stop], [], [], idle)
        if self.stop in ready:
            raise LineClosed
        if not ready:
            return b""
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            raise LineClosed from None
        if not data:
            raise LineClosed
        self.tap("rx", data)
        return data

    def read(self, n: int) -> bytes:
        """Exactly ``n`` bytes."""
        out = b""
        while len(out) < n:
            data = self.read_some()
            take = n - len(out)
            out += data[:take]
            if len(data) > take:
                self.unread(data[take:])
        return out

    def unread(self, data: bytes) -> None:
        self.pending = bytes(data) + self.pending

    def write(self, data: bytes) -> None:
        _write_all(self.fd, data)
        self.tap("tx", data)


class Simulator:
    """A :class:`MEPServer` or :class:`OpticalServer` served on a pty (:meth:`open_pty`) or
    TCP (:meth:`open_tcp`); ``optical`` adds an optical server on the MEP server's line, as
    meters whose MEP and optical ports share one UART do."""

    def __init__(self, server: MEPServer | OpticalServer,
                 tap: Callable[[str, bytes], None] | None = None,
                 faults: Faults | None = None, optical: OpticalServer | None = None) -> None:
        self.server = server
        self.optical = optical  # served on the same line as a MEP server (one shared UART)
        self.faults = faults or Faults()
        self.tap = tap  # called with ("rx"|"tx", bytes) for every read and write on the line
        self.path = ""  # the pty's path, or "socket://host:port"
        self._stop_r, self._stop_w = os.pipe()
        self._threads: list[threading.Thread] = []
        self._fds: list[int] = []
        self._alert = False
        self._listener: socket.socket | None = None

    # ------------------------------------------------------------------ opening
    def open_pty(self) -> str:
        """Serve on a new pseudo-terminal; returns the path a client opens."""
        master, slave = os.openpty()
        tty.setraw(slave)
        self._fds += [master, slave]
        self.path = os.ttyname(slave)
        self._start(lambda: self._serve(master))
        return self.path

    def open_tcp(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on TCP, one client at a time; returns ``socket://host:port``."""
        self._listener = socket.create_server((host, port))
        self.path = f"socket://{host}:{self._listener.getsockname()[1]}"
        self._start(self._accept_loop)
        return self.path

    def _start(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name="osgp-sim", daemon=True)
        thread.start()
        self._threads.append(thread)

    def alert(self) -> None:
        """Send ``00 00`` before the next response."""
        self._alert = True

    # ------------------------------------------------------------------ loops
    def _accept_loop(self) -> None:
        assert self._listener is not None
        while True:
            ready, _, _ = select.select([self._listener, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            conn, _ = self._listener.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # answers, not streams
            with conn:
                self._serve(conn.fileno())

    def _serve(self, fd: int) -> None:
        line = _FdLine(fd, self._stop_r, self._tapped)
        try:
            if isinstance(self.server, OpticalServer):
                self.server.serve(line)
            else:
                self._serve_mep(line)
        except LineClosed:
            pass

    def _serve_mep(self, line: _FdLine) -> None:
        """MEP frames in, answers out; with an optical server too, a wake-up or packet start
        between frames hands the line to the optical session until it terminates."""
        assert isinstance(self.server, MEPServer)
        cutter = FrameCutter()
        while True:
            data = line.read_some(ALERT_INTERVAL if self.server.alerting() else None)
            if not data:  # idle while an alert condition lasts: the alert, once a second
                line.write(b"\x00\x00")
                continue
            if self.optical is not None and not cutter.buf and data[0] in OPTICAL_START:
                line.unread(data)
                self.optical.session(line)
                continue
            for frame in cutter.feed(data):
                out = self.faults.apply(self.server.handle(frame))
                if self._alert or self.server.alerting():
                    self._alert = False
                    out = b"\x00\x00" + out
                for at in range(0, len(out), SEGMENT):
                    line.write(out[at : at + SEGMENT])

    def _tapped(self, direction: str, data: bytes) -> None:
        if self.tap is not None:
            self.tap(direction, data)

    # ------------------------------------------------------------------ closing
    def stop(self) -> None:
        """End the serving threads and close what was opened."""
        os.write(self._stop_w, b"x")
        for thread in self._threads:
            thread.join()
        for fd in (*self._fds, self._stop_r, self._stop_w):
            os.close(fd)
        self._fds.clear()
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
