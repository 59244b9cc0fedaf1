"""Non-seekable inputs (``-``, ``/dev/stdin``, pipes, devices) copied to a temporary file, so
format detection can look at their start and the reader still gets every byte."""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import sys
import tempfile
from typing import BinaryIO

from osgpdissect.captures.base import CaptureError

__all__ = ["MAX_SPOOL", "STDIN_NAMES", "seekable_path"]

STDIN_NAMES = ("-", "/dev/stdin")
MAX_SPOOL = 1 << 30  # bytes taken from a pipe before giving up
_BLOCK = 1 << 20


def _needs_spool(path: str) -> bool:
    if path == "-":
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # the reader says why
    return not stat.S_ISREG(mode)


def seekable_path(path: str, limit: int = MAX_SPOOL) -> str:
    """``path`` itself when it is a regular file, else a temporary copy of its bytes (removed
    at exit).  Raises :class:`CaptureError` past ``limit`` bytes."""
    if not _needs_spool(path):
        return path
    label = "stdin" if path in STDIN_NAMES else os.path.basename(path) or "input"
    folder = tempfile.mkdtemp(prefix="osgpdissect-")
    atexit.register(shutil.rmtree, folder, True)
    copy = os.path.join(folder, label)
    try:
        if path == "-":
            _copy(sys.stdin.buffer, copy, limit, label)
        else:
            with open(path, "rb") as src:
                _copy(src, copy, limit, label)
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return copy


def _copy(src: BinaryIO, dest: str, limit: int, label: str) -> None:
    total = 0
    with open(dest, "wb") as out:
        while True:
            block = src.read(_BLOCK)
            if not block:
                return
            total += len(block)
            if total > limit:
                raise CaptureError(f"{label}: more than {limit >> 20} MiB from a pipe or device: "
                                   "save it to a file and decode that")
            out.write(block)
