"""Format registry, content-based detection and the time-ordered merge of several inputs."""

from __future__ import annotations

import heapq
import itertools
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures import (
    hextext,
    order,
    pcap,
    rawbin,
    saleae1,
    saleae2,
    sigrok_ann,
    sigrok_sr,
    spool,
)
from osgpdissect.captures.base import CaptureError, CaptureOptions, Source, parse_direction

__all__ = ["Capture", "Reader", "READERS", "register_reader", "detect_format", "open_capture", "split_path"]

ReadFn = Callable[[Source, CaptureOptions], Iterator[ByteRun]]


@dataclass(frozen=True)
class Reader:
    """A registered format: its name, aliases, reader and content sniffers."""

    name: str
    read: ReadFn
    sniff_bytes: Callable[[bytes], bool] | None = None
    sniff_text: Callable[[str], bool] | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""


READERS: dict[str, Reader] = {}
_ALIASES: dict[str, str] = {}
_HEAD = 64 * 1024


def register_reader(reader: Reader) -> Reader:
    """Add a format (later registrations win on name clashes); detection tries them in order."""
    READERS[reader.name] = reader
    for alias in (reader.name, *reader.aliases):
        _ALIASES[alias.lower()] = reader.name
    return reader


register_reader(Reader("sigrok", sigrok_sr.read, sniff_bytes=sigrok_sr.sniff,
                       aliases=("sr", "sigrok-sr"), description="sigrok .sr session (UART decoded)"))
register_reader(Reader("pcap", pcap.read, sniff_bytes=pcap.sniff, aliases=("pcapng",),
                       description="pcap/pcapng, RTAC serial (250) or USER0 (147)"))
register_reader(Reader("saleae1", saleae1.read, sniff_text=saleae1.sniff,
                       aliases=("logic1", "saleae-logic1"),
                       description="Saleae Logic 1.x async serial export"))
register_reader(Reader("saleae2", saleae2.read, sniff_text=saleae2.sniff,
                       aliases=("logic2", "saleae-logic2"),
                       description="Saleae Logic 2 data-table export"))
register_reader(Reader("sigrok-ann", sigrok_ann.read, sniff_text=sigrok_ann.sniff,
                       aliases=("sigrok-text", "annotations"),
                       description="sigrok-cli UART annotation text"))
register_reader(Reader("hex", hextext.read, sniff_text=hextext.sniff, aliases=("hextext", "text"),
                       description="hex text, one frame per line"))
register_reader(Reader("raw", rawbin.read, aliases=("bin", "binary", "sigrok-bin"),
                       description="raw bytes of one direction"))


def split_path(spec: str) -> Source:
    """``capture.bin:tx`` -> Source(path, C->S); a suffix that is no direction stays in the path."""
    path, sep, suffix = spec.rpartition(":")
    if sep and path:
        d = parse_direction(suffix)
        if d is not None:
            return Source(path, d)
    return Source(spec)


def _canonical(format: str) -> str:
    name = _ALIASES.get(format.lower())
    if name is None:
        raise CaptureError(f"unknown capture format {format!r} (known: {', '.join(READERS)})")
    return name


def detect_format(path: str) -> str:
    """Name the format of ``path`` from its content (``FILE:tx`` suffixes are allowed)."""
    src = split_path(path)
    try:
        with open(src.path, "rb") as f:
            head = f.read(_HEAD)
    except OSError as exc:
        raise CaptureError(f"{src.path}: cannot read: {exc.strerror or exc}") from None
    for reader in READERS.values():
        if reader.sniff_bytes is not None and reader.sniff_bytes(head):
            return reader.name
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(src.path) as zf:
                if "metadata" in zf.namelist():
                    return "sigrok"
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            pass
    if not head:
        return "raw"
    text = _as_text(head)
    if text is None:
        _refuse_foreign_text(head, src.path)
        return "raw"
    for reader in READERS.values():
        if reader.sniff_text is not None and reader.sniff_text(text):
            return reader.name
    first = next((ln for ln in text.splitlines() if ln.strip()), "")[:60]
    raise CaptureError(f"{src.path}: unknown capture format (starts {first!r}); "
                       f"name it with format=")


def _refuse_foreign_text(head: bytes, path: str) -> None:
    """Text in another encoding is no raw serial capture: UTF-16 exports, or a CSV/hex
    export that is not UTF-8 (issue 21 item 9).  Raises CaptureError; a forced ``--format
    raw`` still reads such a file as bytes."""
    sample = head[:4096]
    even, odd = sample[0::2], sample[1::2]
    bom = sample[:2] in (b"\xff\xfe", b"\xfe\xff")
    if bom or (len(sample) >= 16 and (even.count(0) > 0.9 * len(even) or
                                      odd.count(0) > 0.9 * len(odd))
               and _printable_share(sample.replace(b"\x00", b"")) > 0.95):
        raise CaptureError(f"{path}: UTF-16 text: convert it to UTF-8 (e.g. iconv -f UTF-16 "
                           "-t UTF-8), or give --format raw for raw serial bytes")
    if b"\x00" not in sample and b"\n" in sample and _printable_share(sample) > 0.9:
        raise CaptureError(f"{path}: text that is not UTF-8 (another encoding?): convert it "
                           "to UTF-8, or give --format raw for raw serial bytes")


def _printable_share(data: bytes) -> float:
    if not data:
        return 0.0
    return sum(1 for b in data if 32 <= b < 127 or b in (9, 10, 13)) / len(data)


def _as_text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end
            return None
        text = head[: exc.start].decode("utf-8")
    bad = sum(1 for c in text if ord(c) < 32 and c not in "\r\n\t")
    return None if bad > len(text) // 100 else text


_WRAP = (OSError, ValueError, struct.error, zipfile.BadZipFile, zlib.error, EOFError,
         UnicodeError, OverflowError, MemoryError, NotImplementedError, KeyError, IndexError)


def _guarded(it: Iterator[ByteRun], src: Source, swap: bool,
             label: str | None = None) -> Iterator[ByteRun]:
    """Runs of one reader: swapped when asked, a copied pipe's path shown as ``label`` (``-``),
    reader failures as :class:`CaptureError`."""
    path = src.path
    try:
        if not swap and label is None:
            yield from it  # nothing to change: no Python step per run
            return
        for run in it:
            source = run.source
            if label is not None and source.startswith(path):
                source = label + source[len(path):]
            direction = run.direction.flipped() if swap else run.direction
            yield ByteRun(direction, run.data, run.time, run.byte_times, run.errors, source,
                          run.channel)
    except CaptureError as exc:
        if label is None:
            raise
        raise CaptureError(str(exc).replace(path, label)) from None
    except _WRAP as exc:
        raise CaptureError(f"{label or path}: cannot read: {type(exc).__name__}: {exc}") from exc


def _key(run: ByteRun) -> float:
    return float("-inf") if run.time is None else run.time


class Capture(Iterator[ByteRun]):
    """The runs of opened capture files, with ``notes``: one-line remarks for the user about
    how the input was read (e.g. "no timestamps: paired by order")."""

    def __init__(self, runs: Iterator[ByteRun], notes: list[str] | None = None,
                 labels: dict[str, str] | None = None) -> None:
        self._runs = runs
        self._notes = notes if notes is not None else []
        self._labels = labels or {}  # temporary copy of a pipe -> the name the user gave

    @property
    def notes(self) -> list[str]:
        out = []
        for note in self._notes:
            for path, label in self._labels.items():
                note = note.replace(path, label)
            out.append(note)
        return out

    def __next__(self) -> ByteRun:
        return next(self._runs)

    def __iter__(self) -> Iterator[ByteRun]:
        return self._runs  # a for loop steps the runs without a Python call per run


def _first(stream: Iterator[ByteRun]) -> tuple[ByteRun | None, Iterator[ByteRun]]:
    run = next(stream, None)
    return run, (stream if run is None else itertools.chain([run], stream))


def _merge(streams: list[Iterator[ByteRun]], notes: list[str]) -> Iterator[ByteRun]:
    """Several inputs as one stream: by time, or by protocol order when none has times."""
    if len(streams) == 1:
        return streams[0]
    peeked = [_first(s) for s in streams]
    firsts = [run for run, _ in peeked if run is not None]
    streams = [s for _, s in peeked]
    if firsts and all(run.time is None for run in firsts):
        sides: dict[Direction, list[Iterator[ByteRun]]] = {d: [] for d in Direction}
        for run, stream in peeked:
            if run is not None:
                sides[run.direction].append(stream)
        if sides[Direction.C2S] and sides[Direction.S2C]:
            notes.append(order.NOTE)
            return order.interleave_untimed(itertools.chain(*sides[Direction.C2S]),
                                            itertools.chain(*sides[Direction.S2C]))
    return heapq.merge(*streams, key=_key)


def _readable(src: Source) -> Source:
    """A regular file for ``src`` (pipes and stdin copied), refused when it holds no bytes."""
    path = spool.seekable_path(src.path)
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise CaptureError(f"{src.path}: cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise CaptureError(f"{src.path}: no bytes (the file is empty)")
    return Source(path, src.direction)


def _format_hint(src: Source, forced: str) -> str:
    """A command-like hint when ``forced`` is not what the content looks like ("" if it is)."""
    try:
        found = detect_format(src.path)
    except CaptureError:
        return ""
    if found == forced or (found == "raw" and forced not in ("pcap", "sigrok")):
        return ""  # raw is only detection's fallback for binary content
    what = READERS[found].description or found
    return f"{src.path} looks like a {what}, not {forced}: try -f {found}"


def open_capture(paths: list[str] | str, format: str | None = None,
                 options: CaptureOptions | None = None) -> Capture:
    """Open capture files and return their runs merged in time order.

    ``paths`` may carry direction suffixes (``tx.csv:tx``, ``meter.bin:rx``); ``options.tx`` /
    ``options.rx`` add more.  ``format`` forces a format for every file (a name or alias from
    :data:`READERS`); otherwise each file's format is detected from its content.  Files are
    checked and opened now (raising :class:`CaptureError`); reading is lazy and streaming.
    Inputs without times, one direction each (raw dumps, untimed annotation text), are put in
    protocol order (:mod:`osgpdissect.captures.order`) and the result's ``notes`` say so.
    """
    opts = options if options is not None else CaptureOptions()
    specs = [split_path(p) for p in ([paths] if isinstance(paths, str) else list(paths))]
    if opts.tx:
        specs.append(Source(split_path(opts.tx).path, Direction.C2S))
    if opts.rx:
        specs.append(Source(split_path(opts.rx).path, Direction.S2C))
    if not specs:
        raise CaptureError("no capture files given")
    forced = _canonical(format) if format else None
    streams = []
    labels: dict[str, str] = {}
    for given in specs:
        src = _readable(given)
        label = given.path if src.path != given.path else None
        try:
            streams.append(_open_one(src, forced, opts, label))
        except CaptureError as exc:
            if label is None:
                raise
            raise CaptureError(str(exc).replace(src.path, label)) from None
        if label is not None:
            labels[src.path] = label
    return Capture(_merge(streams, opts.notes), opts.notes, labels)


def _open_one(src: Source, forced: str | None, opts: CaptureOptions,
              label: str | None) -> Iterator[ByteRun]:
    """The guarded reader of one (regular) file."""
    name = forced or detect_format(src.path)
    hint = _format_hint(src, forced) if forced else ""
    if hint:
        opts.notes.append(hint)
    try:
        it = READERS[name].read(src, opts)
    except CaptureError as exc:
        if hint:
            raise CaptureError(f"{exc}; {hint}") from None
        raise
    except _WRAP as exc:
        raise CaptureError(f"{src.path}: cannot read: {type(exc).__name__}: {exc}") from exc
    return _guarded(it, src, opts.swap, label)
