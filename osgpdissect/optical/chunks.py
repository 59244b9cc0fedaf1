"""Group byte runs into *chunks*: bytes of one direction with no long pause and no word from
the other side in between (the optical link is half duplex).  No packet spans a chunk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from osgpdissect.bytestream import ByteRun, Direction

__all__ = ["Chunk", "ChunkOptions", "chunks"]


@dataclass(frozen=True, slots=True)
class ChunkOptions:
    """``max_gap``: seconds of silence that end a chunk (C12.18's inter-character timeout is
    500 ms).  ``byte_time``: seconds per byte when a reader gives one time per run (10 bits at
    9600 baud).  ``half_duplex``: the other direction talking ends the chunk."""

    max_gap: float = 0.5
    byte_time: float = 10 / 9600
    half_duplex: bool = True


@dataclass(slots=True)
class Chunk:
    """Bytes with a time and a source per byte (so every item keeps its own)."""

    direction: Direction
    data: bytearray = field(default_factory=bytearray)
    times: list[float | None] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    channel: str = ""

    def time_at(self, index: int) -> float | None:
        return self.times[index] if 0 <= index < len(self.times) else None

    def source_at(self, index: int) -> str:
        return self.sources[index] if 0 <= index < len(self.sources) else ""

    def run(self, start: int, end: int) -> ByteRun:
        """Bytes ``[start, end)`` as a :class:`ByteRun` with their own times."""
        times = self.times[start:end]
        exact = tuple(t for t in times if t is not None)
        return ByteRun(
            self.direction,
            bytes(self.data[start:end]),
            times[0] if times else None,
            exact if len(exact) == len(times) else (),
            (),
            self.source_at(start),
            self.channel,
        )


def chunks(runs: Iterable[ByteRun], options: ChunkOptions | None = None) -> Iterator[Chunk]:
    """Chunks of both directions in stream order (a generator: one chunk in memory)."""
    opts = options or ChunkOptions()
    open_: dict[Direction, Chunk] = {}
    last_time: dict[Direction, float | None] = {}
    last_dir: Direction | None = None
    for run in runs:
        if not run.data:
            continue
        d = run.direction
        if opts.half_duplex and last_dir is not None and d is not last_dir and last_dir in open_:
            yield open_.pop(last_dir)
        last_dir = d
        exact = len(run.byte_times) == len(run.data)
        for k, byte in enumerate(run.data):
            if exact:
                t: float | None = run.byte_times[k]
            elif run.time is not None:
                t = round(run.time + k * opts.byte_time, 9)
            else:
                t = None
            prev = last_time.get(d)
            chunk = open_.get(d)
            if chunk is not None and t is not None and prev is not None and t - prev > opts.max_gap:
                yield open_.pop(d)
                chunk = None
            if chunk is None:
                chunk = open_[d] = Chunk(d, channel=run.channel)
            chunk.data.append(byte)
            chunk.times.append(t)
            chunk.sources.append(run.source)
            last_time[d] = t if t is not None else prev
    for chunk in open_.values():
        yield chunk
