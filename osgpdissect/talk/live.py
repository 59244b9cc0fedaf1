"""Live capture: bytes from two serial taps (the client's TX line and the meter's TX line) as
:class:`ByteRun` values stamped with the host's time of each read.

One thread waits on all ports at once (``select``) and reads whatever is ready, so the runs
come out in the order the bytes arrived.  :meth:`LiveCapture.stop` (and Ctrl-C while
iterating in the main thread) ends the capture after reading what the ports still hold; a
port that closes ends its direction.
"""

from __future__ import annotations

import os
import queue
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import serial

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures import split_path
from osgpdissect.errors import OsgpError

__all__ = ["LiveCapture", "LiveError"]


class LiveError(OsgpError):
    """A tap that cannot be opened or named."""


class LiveCapture:
    """Runs from serial taps given as ``PORT:tx`` / ``PORT:rx`` (tx = the client's line)."""

    def __init__(self, specs: list[str], baud: int = 9600,
                 on_read: Callable[[Direction, int], None] | None = None) -> None:
        self.notes: list[str] = []
        self.ports: list[tuple[Any, Direction, str]] = []
        self.on_read = on_read
        self.counts = {d: 0 for d in Direction}
        self._queue: queue.Queue[ByteRun | None] = queue.Queue()
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._previous: Any = None
        try:
            for item in specs:
                path, direction = _tap(item)
                try:
                    port = serial.serial_for_url(path, baudrate=baud, timeout=0)
                except (serial.SerialException, ValueError) as exc:
                    raise LiveError(f"--live {item}: cannot open it ({exc})") from None
                self.ports.append((port, direction, path))
        except LiveError:
            self.close()
            raise

    # ------------------------------------------------------------------ reading
    def start(self) -> None:
        """Start reading (Ctrl-C in the main thread then ends the capture cleanly)."""
        if self._thread is None:
            self._previous = _on_sigint(lambda *_: self.stop())
            self._thread = threading.Thread(target=self._read_loop, name="osgp-live",
                                            daemon=True)
            self._thread.start()

    def _read_loop(self) -> None:
        open_ports = list(self.ports)
        while open_ports:
            ready, _, _ = select.select([p for p, _, _ in open_ports] + [self._stop_r], [], [])
            stopping = self._stop_r in ready
            now = time.time()
            for entry in [e for e in open_ports if stopping or e[0] in ready]:
                if not self._read(entry, now):
                    open_ports.remove(entry)
            if stopping:
                break
        self._queue.put(None)

    def _read(self, entry: tuple[Any, Direction, str], now: float) -> bool:
        """Read what ``entry``'s port holds; False when the port is gone."""
        port, direction, path = entry
        try:
            data = port.read(max(port.in_waiting, 1))
        except (serial.SerialException, OSError):
            self.notes.append(f"{path}: the port closed")
            return False
        if data:
            self.counts[direction] += len(data)
            self._queue.put(ByteRun(direction, data, now, source=f"{path}"))
            if self.on_read is not None:
                self.on_read(direction, len(data))
        return True

    def stop(self) -> None:
        """End the capture (what the ports hold is still read)."""
        os.write(self._stop_w, b"x")

    def __iter__(self) -> Iterator[ByteRun]:
        self.start()
        try:
            while True:
                run = self._queue.get()
                if run is None:
                    return
                yield run
        finally:
            _on_sigint(self._previous)
            if self._thread is not None:
                self.stop()
                self._thread.join()
            self.close()

    def close(self) -> None:
        for port, _, _ in self.ports:
            port.close()
        self.ports = []
        for fd in (self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._stop_r = self._stop_w = -1


def _tap(item: str) -> tuple[str, Direction]:
    parts = split_path(item)
    if parts.direction is None:
        raise LiveError(f"--live {item}: say which line it taps: PORT:tx (client) or PORT:rx "
                        "(meter)")
    return parts.path, parts.direction


def _on_sigint(handler: Any) -> Any:
    """Install a SIGINT handler when this is the main thread; returns the previous one."""
    if threading.current_thread() is not threading.main_thread() or handler is None:
        return None
    return signal.signal(signal.SIGINT, handler)

