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
    """Blocking reads of exactly ``n`` bytes from ``fd`` that end when the stop pipe fires."""

    def __init__(self, fd: int, stop: int, tap: Callable[[str, bytes], None]) -> None:
        self.fd, self.stop, self.tap = fd, stop, tap

    def read(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            ready, _, _ = select.select([self.fd, self.stop], [], [])
            if self.stop in ready:
                raise LineClosed
            try:
                data = os.read(self.fd, n - len(out))
            except OSError:
                raise LineClosed from None
            if not data:
                raise LineClosed
            self.tap("rx", data)
            out += data
        return out

    def write(self, data: bytes) -> None:
        _write_all(self.fd, data)
        self.tap("tx", data)


class Simulator:
    """A :class:`MEPServer` or :class:`OpticalServer` served on a pty (:meth:`open_pty`) or
    TCP (:meth:`open_tcp`)."""

    def __init__(self, server: MEPServer | OpticalServer,
                 tap: Callable[[str, bytes], None] | None = None,
                 faults: Faults | None = None) -> None:
        self.server = server
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
        if isinstance(self.server, OpticalServer):
            try:
                self.server.serve(_FdLine(fd, self._stop_r, self._tapped))
            except LineClosed:
                pass
            return
        cutter = FrameCutter()
        while True:
            idle = ALERT_INTERVAL if self.server.alerting() else None
            ready, _, _ = select.select([fd, self._stop_r], [], [], idle)
            if self._stop_r in ready:
                return
            if not ready:  # idle while an alert condition lasts: the alert, once a second
                _write_all(fd, b"\x00\x00")
                self._tapped("tx", b"\x00\x00")
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            self._tapped("rx", data)
            for frame in cutter.feed(data):
                out = self.server.handle(frame)
                out = self.faults.apply(out)
                if self._alert or self.server.alerting():
                    self._alert = False
                    out = b"\x00\x00" + out
                for at in range(0, len(out), SEGMENT):
                    chunk = out[at : at + SEGMENT]
                    _write_all(fd, chunk)
                    self._tapped("tx", chunk)

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
