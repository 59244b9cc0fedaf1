"""A progress bar on stderr for long decodes: rich (imported lazily), shown only when stderr
is a terminal and the decode has run for a second.  Progress is the read position of the
input files, taken from ``/proc/self/fdinfo`` (Linux); elsewhere the bar just counts records.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

__all__ = ["Progress"]

_DELAY = 1.0
_EVERY = 512  # records between clock checks


class Progress:
    """``tick()`` once per record; ``close()`` at the end.  Does nothing when disabled."""

    def __init__(self, paths: list[str], enabled: bool | None = None) -> None:
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.enabled = enabled
        self.paths: dict[str, int] = {}
        for p in paths:
            try:
                self.paths[os.path.realpath(p)] = os.path.getsize(p)
            except OSError:
                pass
        self.total = sum(self.paths.values()) or None
        self.seen: dict[str, int] = {}
        self.count = 0
        self.start = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self._proc = os.path.isdir("/proc/self/fdinfo")

    def tick(self) -> None:
        if not self.enabled:
            return
        self.count += 1
        if self.count % _EVERY:
            return
        now = time.monotonic()
        if self._bar is None:
            if now - self.start < _DELAY:
                return
            self._open()
        self._bar.update(self._task, completed=self.position(), records=self.count)

    def position(self) -> int:
        """Bytes read so far over all inputs (the record count when unknown)."""
        if not self._proc or self.total is None:
            return self.count
        try:
            fds = os.listdir("/proc/self/fd")
        except OSError:
            return self.count
        for fd in fds:
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target in self.paths:
                try:
                    with open(f"/proc/self/fdinfo/{fd}") as f:
                        pos = int(f.readline().split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                self.seen[target] = max(self.seen.get(target, 0), min(pos, self.paths[target]))
        return sum(self.seen.values())

    def _open(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        known = self._proc and self.total is not None
        columns: list[Any] = [TextColumn("decoding"), BarColumn()]
        if known:
            columns += [DownloadColumn(), TimeRemainingColumn()]
        columns += [TextColumn("{task.fields[records]} records"), TimeElapsedColumn()]
        self._bar = RichProgress(*columns, console=Console(file=sys.stderr), transient=True)
        self._bar.start()
        self._task = self._bar.add_task("decode", total=self.total if known else None,
                                        records=0)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
