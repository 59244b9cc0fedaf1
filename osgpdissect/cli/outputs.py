"""Outputs of ``osgpdissect decode``: text tree / one-line summaries (ANSI colour when asked),
JSON lines, and a pcap writer fed run by run while the dissector streams.

JSON lines (``--output json``): one object per record, ``Record.to_json()`` of
:mod:`osgpdissect.c1218.records` (optical records: :mod:`osgpdissect.optical.records`) plus two
keys the CLI adds: ``protocol`` (``"mep"``, ``"optical"`` or ``"unknown"``) and
``line_errors`` (UART errors on the record's bytes).  See ``examples/README.md``.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from typing import IO, Any

from osgpdissect.bytestream import ByteRun
from osgpdissect.jsontext import dumps
from osgpdissect.mep import render as mep_render
from osgpdissect.optical import render as optical_render
from osgpdissect.optical.records import OpticalRecord

__all__ = ["Clock", "FieldsOutput", "JsonOutput", "PcapTee", "TextOutput", "hex_dump",
           "use_colour"]

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"
_DIM = "\x1b[2m"
_KIND_COLOUR = {"malformed": _RED, "unanswered": _RED, "orphan": _RED, "alert": _YELLOW,
                "wakeup": _DIM, "link": _DIM}


def use_colour(stream: IO[str], choice: str = "auto") -> bool:
    """``always``/``never``, or ``auto``: a terminal and no ``NO_COLOR`` in the environment."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class JsonOutput:
    """One JSON object per line."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def write(self, item: Any) -> None:
        self.out.write(dumps(item.to_json()) + "\n")

    def write_stats(self, stats: Any) -> None:
        self.out.write(dumps(stats.to_json()) + "\n")


class FieldsOutput:
    """``-T fields -e FIELD ...``: one tab-separated line per record, a field's several values
    joined by commas, an absent field empty (as tshark)."""

    def __init__(self, out: IO[str], fields: list[Any]) -> None:
        self.out = out
        self.fields = fields

    def write(self, item: Any) -> None:
        from osgpdissect.cli.display_filter import field_values, format_value

        cells = [",".join(format_value(v) for v in field_values(f, item)) for f in self.fields]
        self.out.write("\t".join(c.replace("\t", " ").replace("\n", " ") for c in cells) + "\n")

    def write_stats(self, stats: Any) -> None:
        self.out.write("\n".join(stats.lines()) + "\n")


_HEX_PARTS = (("request", "Request"), ("response", "Response"), ("malformed", "Malformed"),
              ("alert", "Alert"), ("link", "Link"))


def hex_dump(item: Any) -> Iterator[str]:
    """``-x``: each frame of a record as offset, 16 bytes of hex and their ASCII (masked
    password bytes stay ``**``, shown as ``*``)."""
    data = item.to_json()
    alert = getattr(item.record, "alert", None)
    if alert is not None and isinstance(data.get("alert"), dict):
        data["alert"]["hex"] = bytes(alert.raw).hex()  # (00 00: never a secret)
    for key, label in _HEX_PARTS:
        part = data.get(key)
        text = (part.get("hex") or part.get("masked_hex")) if isinstance(part, dict) else None
        if not text:
            continue
        pairs = [text[i:i + 2] for i in range(0, len(text), 2)]
        yield f"    {label} {part.get('direction', '')} ({len(pairs)} bytes)".rstrip()
        for at in range(0, len(pairs), 16):
            row = pairs[at:at + 16]
            chars = "".join("*" if p == "**" else (chr(int(p, 16)) if 32 <= int(p, 16) < 127
                                                   else ".") for p in row)
            yield f"    {at:04x}  {' '.join(row):<47}  {chars}"


WALL_CLOCK = 1e9  # seconds: times from here on (2001+) are wall-clock epoch times


class Clock:
    """How the text output shows a record's time (``decode --time``, like tshark's ``-t``):

    * ``absolute`` (default): as captured; wall-clock times (Logic 2 ISO columns, pcap
      stamps) as ISO 8601 UTC, capture-relative seconds as seconds;
    * ``relative``: seconds since the first record with a time;
    * ``delta``: seconds since the previous record with a time.
    """

    MODES = ("absolute", "relative", "delta")

    def __init__(self, mode: str = "absolute") -> None:
        if mode not in self.MODES:
            raise ValueError(f"bad --time {mode!r}: {', '.join(self.MODES)}")
        self.mode = mode
        self.first: float | None = None
        self.last: float | None = None

    def __call__(self, t: float | None) -> str:
        if t is None or t != t:
            return " " * 12
        if self.first is None:
            self.first = t
        prev, self.last = self.last, t
        if self.mode == "relative":
            return f"{t - self.first:12.6f}"
        if self.mode == "delta":
            return f"{t - (prev if prev is not None else t):12.6f}"
        if abs(t) >= WALL_CLOCK and abs(t) < 1e11:
            from datetime import UTC, datetime

            text = datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds")
            return text.replace("+00:00", "Z")
        return f"{t:12.6f}"


class TextOutput:
    """tshark -V-like tree (summary line, then the decoded tree) or ``summary`` lines."""

    def __init__(self, out: IO[str], summary: bool = False, colour: bool = False,
                 clock: Clock | None = None, hexdump: bool = False) -> None:
        self.out = out
        self.hexdump = hexdump
        self.summary = summary
        self.colour = colour
        self.clock = clock

    def write(self, item: Any) -> None:
        self.out.write("\n".join(self.lines(item)) + ("\n" if self.summary else "\n\n"))

    def lines(self, item: Any) -> Iterator[str]:
        rec = item.record
        head, tree = _render(rec)
        if self.clock is not None:
            head = _retime(head, rec, self.clock)
        if item.line_errors:
            kinds = sorted({e.kind for e in item.line_errors})
            head += f" [{'/'.join(kinds)} error]"
        if item.protocol == "optical" and "optical" not in head:
            head += " (optical)"
        yield self._paint(head, _BOLD + _KIND_COLOUR.get(rec.kind, "")) if self.colour else head
        if self.summary:
            if self.hexdump:
                yield from hex_dump(item)
            return
        for line in tree:
            yield self._tree_line(line)
        for err in item.line_errors:
            line = f"    Line error: {err.text()}"
            yield self._paint(line, _RED) if self.colour else line
        if self.hexdump:
            yield from hex_dump(item)

    def _tree_line(self, line: str) -> str:
        if not self.colour:
            return line
        s = line.lstrip()
        if s.startswith(("Warning:", "Problem:", "note:", "problem:")) or "mismatch" in s:
            return self._paint(line, _YELLOW)
        if s.startswith(("Request ", "Response ")):
            return self._paint(line, _CYAN)
        return line

    @staticmethod
    def _paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if code else text

    def write_stats(self, stats: Any) -> None:
        self.out.write("\n".join(stats.lines()) + "\n")


def renderer(rec: Any) -> Any:
    """The text renderer of a record: the optical one for optical records, else MEP's."""
    return optical_render if isinstance(rec, OpticalRecord) else mep_render


def summary_line(rec: Any) -> str:
    """One line per record, whichever port it came from."""
    return renderer(rec).summary_line(rec)


def _retime(head: str, rec: Any, clock: Clock) -> str:
    """``head`` with the renderers' time column (``index time ...``) shown by ``clock``."""
    t = rec.time
    shown = f"{t:12.6f}" if t is not None else " " * 12
    prefix = f"{rec.index:6d} {shown} "
    if not head.startswith(prefix):
        return head
    return f"{rec.index:6d} {clock(t)} " + head[len(prefix):]


def _render(rec: Any) -> tuple[str, Iterator[str]]:
    """The record's summary line and the rest of its tree."""
    lines = renderer(rec).tree_lines(rec)
    head = next(lines)
    return head, lines


class PcapTee:
    """Writes the runs that stream past to a pcap with :func:`osgpdissect.captures.write_pcap`
    in a helper thread fed through a bounded queue (so memory stays flat).

    The pcap goes to a temporary file in the target's folder, renamed onto ``path`` by
    :meth:`close` when everything was written (removed otherwise): a failure never leaves a
    partial file, and the target is untouched until the end.  ``mask`` replaces password bytes
    (:mod:`osgpdissect.cli.redact`) with ``*``; without it ``secret_bytes`` counts them."""

    _END = object()

    def __init__(self, path: str, *, mask: bool = False, direct: bool = False) -> None:
        import tempfile

        from osgpdissect.captures import write_pcap
        from osgpdissect.cli.redact import SecretMasker

        self.direct = direct  # a pipe or a device: written as it comes, never renamed
        if direct:
            self._tmp = path
        else:
            folder = os.path.dirname(os.path.abspath(path))
            # create the temporary file now: an unwritable folder fails before decoding
            fd, self._tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.",
                                             suffix=".tmp", dir=folder)
            os.close(fd)
            umask = os.umask(0o22)
            os.umask(umask)
            os.chmod(self._tmp, 0o666 & ~umask)  # what open() would give the file
        self.path = path
        self.count = 0
        self.mask = mask
        self._masker = SecretMasker()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=4096)
        self._error: BaseException | None = None
        self.closed = False
        self._thread = threading.Thread(target=self._work, args=(write_pcap,), daemon=True)
        self._thread.start()

    @property
    def secret_bytes(self) -> int:
        """Bytes that read as optical passwords among those written (masked or not)."""
        return self._masker.found

    def _work(self, write_pcap: Any) -> None:
        def feed() -> Iterator[ByteRun]:
            while (run := self._queue.get()) is not self._END:
                yield run

        try:
            write_pcap(feed(), self._tmp, pcapng=self.path.lower().endswith(".pcapng"))
        except BaseException as exc:  # reported by close()
            self._error = exc
            while self._queue.get() is not self._END:  # drain so the producer never blocks
                pass

    def tee(self, runs: Iterator[ByteRun]) -> Iterator[ByteRun]:
        for run in runs:
            masked = self._masker.mask_run(run)
            self._queue.put(masked if self.mask else run)
            self.count += 1
            yield run

    def close(self, check: bool = True) -> None:
        """Finish the file: renamed into place when complete, else removed.  Raises OSError
        when writing failed (unless ``check`` is false)."""
        if self.closed:
            return
        self.closed = True
        self._queue.put(self._END)
        self._thread.join()
        if not self.direct:
            self._finish(check)
        if check and self._error is not None:
            raise OSError(f"{self.path}: cannot write pcap: {_reason(self._error)}")

    def _finish(self, check: bool) -> None:
        """Rename the temporary file into place when all went well, else remove it."""
        if check and self._error is None:
            try:
                os.replace(self._tmp, self.path)
                return
            except OSError as exc:
                self._error = exc
        try:
            os.unlink(self._tmp)
        except OSError:
            pass


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
