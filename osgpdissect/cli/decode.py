"""``osgpdissect decode``: dissect captures into a tree, one-line summaries, JSON lines or a
pcap, with filters, statistics and a progress bar.  Streaming: records are written as they are
decoded, so memory stays flat however long the capture."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser", "run"]

_DIRECTIONS = {"c2s": "C->S", "tx": "C->S", "s2c": "S->C", "rx": "S->C"}


class UsageError(ValueError):
    """A bad option value: one line, exit status 2."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``decode`` subcommand; returns its parser."""
    p = subparsers.add_parser(
        "decode",
        help="dissect MEP and optical-port captures",
        description="Dissect MEP / optical (C12.18) traffic from Saleae, sigrok, pcap, raw or "
        "hex captures: frames, exchanges, tables, procedures, transactions.",
    )
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="capture files (FILE:tx / FILE:rx give a file's direction); with "
                   "--output parquet, folders and glob patterns of captures")
    p.add_argument("--format", "-f", default=None,
                   help="capture format (saleae1, saleae2, sigrok, sigrok-ann, pcap, hex, raw); "
                   "default: detect from the content")
    p.add_argument("--live", nargs="+", metavar="PORT:DIR",
                   help="decode as bytes arrive from serial taps: PORT:tx (the client's line) "
                   "and PORT:rx (the meter's); Ctrl-C ends it")
    p.add_argument("--baud", type=int, default=9600, help="baud rate of the --live taps")
    p.add_argument("--tx", metavar="FILE", help="capture file of the client's (C->S) line")
    p.add_argument("--rx", metavar="FILE", help="capture file of the meter's (S->C) line")
    p.add_argument("--output", "-O", nargs="+", default=["text"], metavar="FORMAT",
                   help="text (default), json (JSON lines), 'pcap FILE' (RTAC serial pcap; "
                   "pcapng with direction flags when FILE ends in .pcapng; 'text pcap FILE' / "
                   "'json pcap FILE' write both) or 'parquet FOLDER' (an archive: exchanges and "
                   "fields tables, one capture per file; needs osgpdissect[archive])")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="with --output parquet: decode N captures at once on a Dask local "
                   "cluster of N processes (default 1: in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --output parquet: run the captures on an existing Dask cluster "
                   "(tcp://host:8786); the output folder must be shared with its workers")
    p.add_argument("--force", action="store_true",
                   help="with --output pcap: replace an existing file (never a capture input)")
    p.add_argument("--mask-passwords", action="store_true",
                   help="with --output pcap: mask optical passwords (*) in the written pcap")
    p.add_argument("--summary", "-s", action="store_true", help="one line per record")
    p.add_argument("--stats", action="store_true",
                   help="statistics after the records (exchanges, tables, errors, digests)")
    p.add_argument("--quiet", "-q", action="store_true", help="no records (with --stats)")
    p.add_argument("--table", "-t", action="append", default=[], metavar="TABLE",
                   help="only records touching this table (ET13, BT23, 2061; repeatable)")
    p.add_argument("--errors", action="store_true",
                   help="only records with errors (marked !; notes, marked ~, are "
                   "expected recoveries and are not selected)")
    p.add_argument("--display-filter", "-Y", metavar="EXPR",
                   help="only records the expression selects, e.g. "
                   "'et13.device_config.baud_rate == 4', 'digest == mismatch', "
                   "'table == BT23 and not error' (and/or/not, == != < <= > >=, contains)")
    p.add_argument("-T", dest="style", choices=("text", "json", "fields"),
                   help="output style, as tshark's -T: text, json, or fields (with -e)")
    p.add_argument("-e", dest="fields", action="append", default=[], metavar="FIELD",
                   help="with -T fields: a field to print (repeatable; tab-separated, one line "
                   "per record), e.g. -e index -e table -e bt23.register_data.nbr_demand_resets")
    p.add_argument("-c", dest="count", type=int, metavar="N",
                   help="stop after N records shown")
    p.add_argument("-x", dest="hexdump", action="store_true",
                   help="text output: a hex dump of each frame after its tree")
    p.add_argument("--direction", "-d", choices=sorted(_DIRECTIONS),
                   help="only records whose first frame goes this way")
    p.add_argument("--protocol", "-p", choices=("auto", "mep", "optical"), default="auto",
                   help="auto (default: split MEP/optical when optical packets are present)")
    p.add_argument("--time", choices=("absolute", "relative", "delta"), default="absolute",
                   help="text output times: absolute (default: as captured, ISO 8601 UTC for "
                   "wall-clock times), relative (since the first record) or delta (since the "
                   "previous record)")
    p.add_argument("--color", "--colour", choices=("auto", "always", "never"), default="auto",
                   help="colour the text output (auto: when stdout is a terminal)")
    p.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                   help="progress bar on stderr (auto: stderr is a terminal, stdout is not)")
    p.add_argument("--keys", help="TOML key file (MBK/MAK, encryption keys, TLS PSKs); keys "
                   "also come from OSGP_MAK / OSGP_MBK / OSGP_RC4_KEY, never the command line")
    p.add_argument("--profile", help="meter profile for table layouts (e.g. gen3, gen4)")
    p.add_argument("--option", "-o", action="append", default=[], metavar="KEY=VALUE",
                   help="capture reader option (repeatable), e.g. -o baud=9600")
    p.add_argument("--max-gap", type=float, default=0.1,
                   help="seconds of silence that end a frame (default 0.1)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show a traceback on internal errors")
    p.set_defaults(run=run, func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns the exit status.  Errors are one line on stderr (exit 2)."""
    from osgpdissect.captures import CaptureError
    from osgpdissect.errors import OsgpError

    try:
        return _decode(args)
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        return 130
    except (CaptureError, OsgpError, ValueError, OSError) as exc:
        if getattr(args, "debug", False):
            raise
        sys.stderr.write(f"osgpdissect decode: {exc}\n")
        return 2


def _plan(args: argparse.Namespace) -> tuple[str, str | None, list[str]]:
    """(output kind, pcap file or parquet folder, capture files) from ``--output`` and the
    positionals."""
    out = list(args.output)
    kind = out.pop(0).lower()
    files = list(args.files)
    pcap = None
    style = getattr(args, "style", None)
    if style is not None:
        if kind != "text" or out:
            raise UsageError("-T and --output cannot be combined")
        kind = style
    if kind == "fields" and not args.fields:
        raise UsageError("-T fields needs at least one -e FIELD")
    if args.fields and kind != "fields":
        raise UsageError("-e FIELD needs -T fields (--errors selects records with errors)")
    if args.count is not None and args.count < 1:
        raise UsageError(f"bad -c {args.count}: must be 1 or more")
    if kind in ("text", "json") and out and out[0].lower() == "pcap":
        out.pop(0)  # `--output json pcap FILE`: JSON lines on stdout and the pcap (tee)
        if not out:
            raise UsageError("--output pcap needs a file name: --output pcap FILE")
        pcap = out.pop(0)
    elif kind in ("pcap", "parquet"):
        if not out:
            what = "a file name: --output pcap FILE" if kind == "pcap" else \
                "a folder: --output parquet FOLDER"
            raise UsageError(f"--output {kind} needs {what}")
        pcap = out.pop(0)
    elif kind not in ("text", "json", "fields"):
        raise UsageError(f"bad --output {kind!r}: text, json, pcap FILE or parquet FOLDER")
    if kind != "parquet" and (getattr(args, "jobs", 1) != 1 or getattr(args, "scheduler", None)):
        raise UsageError("--jobs and --scheduler go with --output parquet FOLDER")
    files = out + files  # `--output json cap.csv`: the rest are capture files
    if getattr(args, "live", None):
        if files or args.tx or args.rx:
            raise UsageError("--live reads serial taps: give no capture files with it")
        return kind, pcap, files
    if not files and not (args.tx or args.rx):
        raise UsageError("no capture files given")
    return kind, pcap, files


def _decode(args: argparse.Namespace) -> int:
    from osgpdissect.captures import CaptureOptions, open_capture
    from osgpdissect.cli.filters import RecordFilter, resolve_table
    from osgpdissect.cli.outputs import JsonOutput, PcapTee, TextOutput
    from osgpdissect.cli.pipeline import (
        LineErrorTracker,
        TimeCheck,
        decode_records,
        finish_records,
    )
    from osgpdissect.cli.progress import Progress
    from osgpdissect.cli.redact import SecretMasker
    from osgpdissect.cli.stats import Stats

    kind, pcap_path, files = _plan(args)
    try:
        tables = [resolve_table(t) for t in args.table]
    except ValueError as exc:
        raise UsageError(f"-t: {exc}") from None
    display, fields = _display(args)
    if not args.max_gap > 0:
        raise UsageError(f"bad --max-gap {args.max_gap}: must be > 0")
    if kind == "parquet":
        from osgpdissect.cli.archive import run_archive

        return run_archive(args, pcap_path or "", files)
    options = CaptureOptions.parse(args.option) if args.option else CaptureOptions()
    if args.tx:
        options.tx = args.tx
    if args.rx:
        options.rx = args.rx
    security = _security(args)
    times = TimeCheck()
    if args.live:
        from osgpdissect.talk.live import LiveCapture

        capture = LiveCapture(args.live, args.baud)
        capture.start()
        sys.stderr.write(f"osgpdissect decode: listening on {', '.join(args.live)} "
                         "(Ctrl-C ends)\n")
        sys.stderr.flush()
    else:
        capture = open_capture(files, format=args.format, options=options)
    runs: Any = times.observe(capture)
    for note in capture.notes:
        sys.stderr.write(f"osgpdissect decode: note: {note}\n")
    shown_notes = len(capture.notes)

    out = sys.stdout
    progress = Progress([f.rsplit(":", 1)[0] if _has_dir(f) else f
                         for f in [*files, *(p for p in (args.tx, args.rx) if p)]],
                        _progress_enabled(args, kind) and not args.live)
    if pcap_path:
        _check_pcap_target(pcap_path, [*files, *(p for p in (args.tx, args.rx) if p)],
                           args.force)
    tee = (PcapTee(pcap_path, mask=args.mask_passwords, direct=_is_stream(pcap_path))
           if pcap_path else None)
    try:
        if tee is not None:
            runs = tee.tee(runs)
        if tee is not None and kind == "pcap" and not args.stats:  # a conversion: no decoding
            for _ in runs:
                progress.tick()
            tee.close()
            _pcap_notice(tee)
            _time_warning(times)
            return 0
        writer: Any = None
        if kind == "json":
            writer = JsonOutput(out)
        elif kind == "text":
            from osgpdissect.cli.outputs import Clock, use_colour

            writer = TextOutput(out, args.summary, use_colour(out, args.color),
                                Clock(getattr(args, "time", "absolute")), args.hexdump)
        elif kind == "fields":
            from osgpdissect.cli.outputs import FieldsOutput

            writer = FieldsOutput(out, fields)
        if args.quiet or kind == "pcap":
            show = None
        else:
            show = writer
        stats = Stats() if args.stats else None
        keep = RecordFilter(tables, args.errors, _DIRECTIONS.get(args.direction or ""), display)
        errors = LineErrorTracker()
        masker = SecretMasker()
        records = decode_records(errors.observe(runs), args.protocol, security=security,
                                 tables=_tables(args), reassembly=_reassembly(args))
        counts = {"records": 0, "malformed": 0}
        shown = 0
        for item in finish_records(records, errors, masker):
            counts["records"] += 1
            counts["malformed"] += item.record.kind == "malformed"
            progress.tick()
            if stats is not None:
                stats.add(item)
            if keep.active and not keep(item.record, item.line_errors, item):
                continue
            if stats is not None:
                stats.shown += 1
            if show is not None:
                show.write(item)
            shown += 1
            if args.count is not None and shown >= args.count:
                break
        stopped = args.count is not None and shown >= args.count
        left = [] if stopped else errors.finish()
        if left:
            sys.stderr.write(f"osgpdissect decode: {len(left)} line error(s) outside any "
                             "frame\n")
        _time_warning(times)
        for note in [*capture.notes[shown_notes:], *_capture_hints(errors.bytes_seen, errors.seen, files)]:
            sys.stderr.write(f"osgpdissect decode: note: {note}\n")
        if stats is not None:
            stats.add_unclaimed(left)
            (writer or TextOutput(out)).write_stats(stats)
        out.flush()
        if tee is not None:
            tee.close()
            _pcap_notice(tee)
        return _no_frame_status(counts, files)
    finally:
        progress.close()
        if tee is not None and not tee.closed:
            tee.close(check=False)


def _display(args: argparse.Namespace) -> tuple[Any, list[Any]]:
    """The ``-Y`` filter and the ``-e`` fields, parsed (a syntax error names its column)."""
    if not args.display_filter and not args.fields:
        return None, []  # (the filter language's parser loads only when asked for)
    from osgpdissect.cli.display_filter import FilterError, parse_field, parse_filter

    try:
        display = parse_filter(args.display_filter) if args.display_filter else None
    except FilterError as exc:
        raise UsageError(f"-Y: {exc}") from None
    fields = []
    for name in args.fields:
        try:
            fields.append(parse_field(name))
        except FilterError as exc:
            raise UsageError(f"-e {name}: {exc}") from None
    return display, fields


def _time_warning(times: Any) -> None:
    line = times.warning()
    if line:
        sys.stderr.write(f"osgpdissect decode: {line}\n")


def _check_pcap_target(path: str, inputs: list[str], force: bool) -> None:
    """Refuse to write the pcap onto a capture input, or onto an existing file without
    ``--force`` (issue 21 item 2)."""
    import os

    from osgpdissect.captures import split_path

    for spec in inputs:
        src = split_path(spec).path
        if _same_file(path, src) or (os.path.exists(spec) and _same_file(path, spec)):
            raise UsageError(f"--output pcap {path}: that is a capture input; "
                             "choose another file")
    if os.path.isdir(path):
        raise UsageError(f"--output pcap {path}: is a folder")
    if _is_stream(path):
        return  # a pipe or a device (/dev/stdout): written directly, nothing to destroy
    if os.path.lexists(path) and not force:
        raise UsageError(f"--output pcap {path}: the file exists (--force replaces it)")


def _is_stream(path: str) -> bool:
    """Whether ``path`` exists and is no regular file (a FIFO, a character device)."""
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _same_file(a: str, b: str) -> bool:
    import os

    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _pcap_notice(tee: Any) -> None:
    """Say when the written pcap holds optical passwords in clear (issue 21 item 1)."""
    if tee.secret_bytes and not tee.mask:
        sys.stderr.write(f"osgpdissect decode: note: {tee.path} holds what reads as optical "
                         "(C12.18) passwords in clear (a byte-exact conversion); "
                         "--mask-passwords masks them\n")


def _capture_hints(seen: dict[Any, int], line_errors: int, files: list[str]) -> list[str]:
    """One-line hints about the capture as a whole: a missing direction, many line errors."""
    from osgpdissect.bytestream import Direction

    hints = []
    total = sum(seen.values())
    if total and len([d for d in Direction if seen.get(d)]) == 1:
        only = next(d for d in Direction if seen.get(d))
        side, missing, suffix = (("client", "meter's (S->C)", "rx") if only is Direction.C2S
                                 else ("meter", "client's (C->S)", "tx"))
        hints.append(f"only {only.value} ({side}) bytes in the capture: the {missing} line is "
                     f"missing, so requests go unanswered or responses orphaned; add it as "
                     f"FILE:{suffix} or map its channel with -o channels=NAME:{suffix}")
    if line_errors >= 10 and line_errors * 10 > total:
        hints.append(f"{line_errors} UART errors in {total} bytes: the baud rate or character "
                     "format is probably wrong (check -o baud=, parity=, stop_bits=, or the "
                     "analyzer's settings before exporting)")
    return hints


def _no_frame_status(counts: dict[str, int], files: list[str]) -> int:
    """0, or 1 with a message when the capture gave no frame at all (every record, if any,
    is malformed bytes)."""
    if counts["records"] > counts["malformed"]:
        return 0
    where = ", ".join(files) if files else "the input"
    what = (f"only {counts['malformed']} stretch(es) of malformed bytes" if counts["malformed"]
            else "no bytes the dissector could use")
    sys.stderr.write(f"osgpdissect decode: no frame found in {where}: {what} (check the "
                     "format, the baud rate and the protocol)\n")
    return 1


def _has_dir(spec: str) -> bool:
    from osgpdissect.captures import split_path

    return split_path(spec).direction is not None


def _progress_enabled(args: argparse.Namespace, kind: str) -> bool:
    if args.progress != "auto":
        return args.progress == "always"
    if not sys.stderr.isatty():
        return False
    quiet_stdout = kind == "pcap" or args.quiet
    return quiet_stdout or not sys.stdout.isatty()


def _tables(args: argparse.Namespace) -> Any:
    from osgpdissect.mep import TableContext

    if args.profile:
        try:
            from osgpdissect.lang.spec import load_default_spec

            known = [p.name for p in load_default_spec().profiles]
        except ImportError:
            known = []
        if known and args.profile not in known:
            raise UsageError(f"unknown --profile {args.profile!r} (known: {', '.join(known)})")
    return TableContext(profile=args.profile)


def _reassembly(args: argparse.Namespace) -> Any:
    from osgpdissect.mep import ReassemblyOptions

    return ReassemblyOptions(max_gap=args.max_gap)


def _security(args: argparse.Namespace) -> Any:
    """Keys from ``--keys FILE`` and the environment (``OSGP_MAK``, ``OSGP_MBK``, ``OSGP_RC4_KEY``).
    Keys are never taken from the command line, where ``ps`` and shell history would keep them.
    """
    import os

    if not (args.keys or any(os.environ.get(v) for v in ("OSGP_MAK", "OSGP_MBK", "OSGP_RC4_KEY"))):
        return None
    from osgpdissect.security import Security
    from osgpdissect.security.keys import KeyRing

    ring = KeyRing.from_env(os.environ)
    if args.keys:
        ring = ring.merge(KeyRing.from_toml(args.keys))
        _warn_if_shared(args.keys)
    return Security(ring)


def _warn_if_shared(path: str) -> None:
    """Warn when the key file can be read by its group or by everyone (issue 21 item 10)."""
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        who = "everyone" if mode & stat.S_IROTH else "its group"
        sys.stderr.write(f"osgpdissect decode: warning: the key file can be read by {who} "
                         f"(mode {stat.S_IMODE(mode):04o}); chmod 600 it\n")


def _silence_stdout() -> None:
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
