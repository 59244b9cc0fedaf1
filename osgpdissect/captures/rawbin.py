"""Raw binary: the bytes of one direction, nothing else (also ``sigrok-cli -B uart=rx`` output).

No times: runs carry ``time=None`` and come in file order.  The direction comes from the path
(``FILE:tx`` / ``FILE:rx``) or the ``tx=``/``rx=`` options.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures.base import CaptureError, CaptureOptions, Source

__all__ = ["read", "write_raw"]


def read(src: Source, opts: CaptureOptions) -> Iterator[ByteRun]:
    """Read a raw byte file of one direction in ``max_run``-sized runs."""
    if src.direction is None:
        raise CaptureError(f"{src.path}: raw binary has no direction: give it as "
                           f"{src.path}:tx or {src.path}:rx")
    try:
        with open(src.path, "rb"):
            pass
    except OSError as exc:
        raise CaptureError(f"{src.path}: cannot read: {exc.strerror or exc}") from None
    return _runs(src.path, src.direction, opts.max_run)


def _runs(path: str, direction: Direction, size: int) -> Iterator[ByteRun]:
    with open(path, "rb") as f:
        offset = 0
        while True:
            block = f.read(size)
            if not block:
                return
            yield ByteRun(direction, block, None, (), (), f"{path}@{offset}")
            offset += len(block)


def write_raw(runs: Iterable[ByteRun], path: str, direction: Direction) -> None:
    """Write the bytes of ``direction``'s runs back to back."""
    with open(path, "wb") as f:
        for run in runs:
            if run.direction is direction:
                f.write(run.data)
