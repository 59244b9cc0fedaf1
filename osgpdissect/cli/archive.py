"""``osgpdissect decode ... -O parquet OUT``: captures into a Parquet archive (issue 20).

Each capture is one task: it is opened, decoded with its own :class:`TableContext` (its own
device) and written to its own part of ``OUT/exchanges/`` and ``OUT/fields/``.  With
``--jobs N`` (N > 1) the tasks run on a Dask local cluster of N worker processes; with
``--scheduler tcp://host:8786`` on an existing Dask cluster (OUT must then be a folder every
worker can write, and key files a path every worker can read).  A capture that fails is
reported and the others go on; the parts are the same whichever way the captures were decoded.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CaptureTask", "Settings", "TaskResult", "decode_capture", "expand", "run_archive"]

_GLOB = set("*?[")


@dataclass(frozen=True)
class Settings:
    """The decode options a task needs (picklable; the attribute names of ``decode``'s
    arguments, so its helpers take either).  Keys are never carried here: workers read them
    from ``keys`` (a file path) and their own environment."""

    format: str | None = None
    option: tuple[str, ...] = ()
    protocol: str = "auto"
    profile: str | None = None
    max_gap: float = 0.1
    keys: str | None = None
    table: tuple[str, ...] = ()
    errors: bool = False
    direction: str | None = None


@dataclass(frozen=True)
class CaptureTask:
    """One capture: its name in the archive (as given) and the files (``--tx``/``--rx``) it is
    read from (absolute paths)."""

    name: str
    files: tuple[str, ...] = ()
    tx: str | None = None
    rx: str | None = None


@dataclass
class TaskResult:
    capture: str
    records: int = 0
    malformed: int = 0
    fields: int = 0
    size: int = 0
    error: str = ""
    notes: list[str] = field(default_factory=list)


def expand(specs: list[str]) -> list[str]:
    """Capture files of ``DIR_OR_GLOB...``: a folder gives every file under it (hidden ones
    left out), a pattern its matches (``**`` recurses), in sorted order, each file once."""
    out: list[str] = []
    for spec in specs:
        if os.path.isdir(spec):
            found = []
            for root, dirs, files in os.walk(spec):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found += [os.path.join(root, f) for f in files if not f.startswith(".")]
            if not found:
                raise ValueError(f"{spec}: no capture files in this folder")
            out += sorted(found)
        elif not os.path.exists(spec) and _GLOB & set(spec):
            found = sorted(p for p in glob.glob(spec, recursive=True) if os.path.isfile(p))
            if not found:
                raise ValueError(f"{spec}: no file matches")
            out += found
        else:
            out.append(spec)
    return list(dict.fromkeys(out))


def decode_capture(task: CaptureTask, folder: str, settings: Settings) -> TaskResult:
    """Decode one capture into its archive parts (runs in a worker).  Never raises: a failure
    is the result's ``error``, and the capture's parts are then not written."""
    result = TaskResult(task.name)
    try:
        _decode_into(task, folder, settings, result)
    except Exception as exc:  # one capture's failure must not stop the others
        result.error = str(exc) if _expected(exc) else f"internal error: {type(exc).__name__}: {exc}"
    return result


def _expected(exc: Exception) -> bool:
    from osgpdissect.captures import CaptureError
    from osgpdissect.errors import OsgpError

    return isinstance(exc, CaptureError | OsgpError | ValueError | OSError)


def _decode_into(task: CaptureTask, folder: str, settings: Settings, result: TaskResult) -> None:
    from osgpdissect.backends.parquet.writer import CaptureWriter
    from osgpdissect.captures import CaptureOptions, open_capture
    from osgpdissect.cli.decode import _DIRECTIONS, _reassembly, _security, _tables
    from osgpdissect.cli.filters import RecordFilter, parse_table
    from osgpdissect.cli.pipeline import (
        LineErrorTracker,
        TimeCheck,
        decode_records,
        finish_records,
    )
    from osgpdissect.cli.redact import SecretMasker

    options = CaptureOptions.parse(list(settings.option)) if settings.option else CaptureOptions()
    if task.tx:
        options.tx = task.tx
    if task.rx:
        options.rx = task.rx
    for path in (*task.files, task.tx, task.rx):
        if path:
            try:
                result.size += os.path.getsize(path)
            except OSError:
                pass
    keep = RecordFilter([parse_table(t) for t in settings.table], settings.errors,
                        _DIRECTIONS.get(settings.direction or ""))
    times = TimeCheck()
    capture = open_capture(list(task.files), format=settings.format, options=options)
    result.notes += capture.notes
    errors = LineErrorTracker()
    records = decode_records(errors.observe(times.observe(capture)), settings.protocol,
                             security=_security(settings), tables=_tables(settings),
                             reassembly=_reassembly(settings))
    with CaptureWriter(folder, task.name) as writer:
        for item in finish_records(records, errors, SecretMasker()):
            result.records += 1
            result.malformed += item.record.kind == "malformed"
            if keep.active and not keep(item.record, item.line_errors):
                continue
            writer.add(item)
    result.fields = writer.fields.count
    warning = times.warning()
    if warning:
        result.notes.append(warning)
    if result.records == result.malformed:
        result.notes.append("no frame found (check the format, the baud rate and the protocol)")


def tasks_of(args: argparse.Namespace, files: list[str]) -> list[CaptureTask]:
    """One task per capture file, plus one for a ``--tx``/``--rx`` pair."""
    from osgpdissect.captures import split_path

    out = []
    for spec in expand(files):
        if split_path(spec).direction is not None:
            raise ValueError(f"{spec}: with --output parquet each file is one capture; give "
                             "a two-line capture as --tx FILE --rx FILE")
        out.append(CaptureTask(spec, (os.path.abspath(spec),)))
    if args.tx or args.rx:
        name = " + ".join(p for p in (args.tx, args.rx) if p)
        out.append(CaptureTask(name, (), _absolute(args.tx), _absolute(args.rx)))
    if not out:
        raise ValueError("no capture files given")
    return out


def _absolute(path: str | None) -> str | None:
    """``path`` for a worker whose folder may not be ours (the name in the archive stays as
    given)."""
    return os.path.abspath(path) if path else path


def settings_of(args: argparse.Namespace) -> Settings:
    return Settings(args.format, tuple(args.option), args.protocol, args.profile, args.max_gap,
                    _absolute(args.keys), tuple(args.table), args.errors, args.direction)


def run_archive(args: argparse.Namespace, folder: str, files: list[str]) -> int:
    """Decode every capture into ``folder``; returns the exit status (2 when a capture
    failed, 1 when one gave no frame, else 0).  Each problem is one line on stderr."""
    from osgpdissect.backends.parquet import require

    jobs = getattr(args, "jobs", 1)
    scheduler = getattr(args, "scheduler", None)
    if jobs < 1:
        raise ValueError(f"bad --jobs {jobs}: must be >= 1")
    require("pyarrow")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ValueError(f"--output parquet {folder}: exists and is no folder")
    tasks = tasks_of(args, files)
    settings = settings_of(args)
    from osgpdissect.cli.decode import _security, _tables

    _security(settings)  # a key file that does not load is a usage error, before any task
    if settings.profile:
        _tables(settings)  # so is an unknown profile
    os.makedirs(folder, exist_ok=True)
    bar = FileProgress(len(tasks), _progress(args))
    try:
        if scheduler or jobs > 1:
            require("dask", "distributed")
            results = _on_dask(tasks, folder, settings, jobs, scheduler, bar)
        else:
            results = []
            for task in tasks:
                results.append(decode_capture(task, folder, settings))
                bar.done(results[-1])
    finally:
        bar.close()
    return _report(results)


def _on_dask(tasks: list[CaptureTask], folder: str, settings: Settings, jobs: int,
             scheduler: str | None, bar: FileProgress) -> list[TaskResult]:
    """Run the tasks on a Dask cluster: a local one of ``jobs`` processes, or ``scheduler``'s."""
    import logging

    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
    else:
        cluster = LocalCluster(n_workers=min(jobs, len(tasks)), threads_per_worker=1,
                               processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
    folder = os.path.abspath(folder)
    results: list[TaskResult] = []
    try:
        futures = {client.submit(decode_capture, task, folder, settings, pure=False,
                                 key=f"osgpdissect-{k}-{task.name}"): task
                   for k, task in enumerate(tasks)}
        for future in as_completed(futures):
            task = futures[future]
            if future.status == "finished":
                result = future.result()
            else:  # the worker died (killed, out of memory): only this capture is lost
                result = TaskResult(task.name, error=f"task failed: {future.exception()}")
            results.append(result)
            bar.done(result)
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def _report(results: list[TaskResult]) -> int:
    failed = [r for r in results if r.error]
    empty = False
    for r in sorted(results, key=lambda r: r.capture):
        for note in r.notes:
            sys.stderr.write(f"osgpdissect decode: {r.capture}: note: {note}\n")
            empty |= note.startswith("no frame found")
        if r.error:
            where = "" if r.error.startswith(r.capture) else f"{r.capture}: "
            sys.stderr.write(f"osgpdissect decode: {where}{r.error}\n")
    if failed:
        sys.stderr.write(f"osgpdissect decode: {len(failed)} of {len(results)} capture(s) "
                         "failed; the others are in the archive\n")
        return 2
    return 1 if empty else 0


def _progress(args: argparse.Namespace) -> bool:
    mode = getattr(args, "progress", "auto")
    return sys.stderr.isatty() if mode == "auto" else mode == "always"


class FileProgress:
    """A progress bar over capture files on stderr (rich), advanced as each one finishes."""

    def __init__(self, total: int, enabled: bool, console: Any = None) -> None:
        self._bar: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(TextColumn("captures"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[failed]} failed"), TimeRemainingColumn(),
                             console=console or Console(file=sys.stderr), transient=True)
        self._task = self._bar.add_task("captures", total=total, failed=0)
        self._failed = 0
        self._bar.start()

    def done(self, result: TaskResult) -> None:
        if self._bar is None:
            return
        self._failed += bool(result.error)
        self._bar.update(self._task, advance=1, failed=self._failed)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
