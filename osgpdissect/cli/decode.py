"""``osgpdissect decode``: dissect MEP captures into a tree, one-line summaries or JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``decode`` subcommand; returns its parser."""
    p = subparsers.add_parser(
        "decode",
        help="dissect MEP captures",
        description="Dissect MEP traffic: frames, exchanges, tables, procedures, transactions.",
    )
    p.add_argument("files", nargs="+", help="capture files (FILE:tx / FILE:rx set a direction)")
    p.add_argument(
        "--format", "-f", default=None, help="capture format (e.g. hex); default: detect"
    )
    p.add_argument("--output", "-O", choices=("text", "json"), default="text")
    p.add_argument("--summary", "-s", action="store_true", help="one line per record")
    p.add_argument("--keys", help="TOML key file (MBK/MAK, encryption keys, TLS PSKs)")
    p.add_argument("--profile", help="meter profile for table layouts (e.g. gen3, gen4)")
    p.add_argument(
        "--option",
        "-o",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="capture reader option (repeatable), e.g. -o baud=9600",
    )
    p.add_argument(
        "--max-gap",
        type=float,
        default=0.1,
        help="seconds of silence that end a frame (default 0.1)",
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns the exit status.  Errors are one line on stderr."""
    from osgpdissect.captures import CaptureError, CaptureOptions, open_capture  # noqa: PLC0415
    from osgpdissect.errors import OsgpError  # noqa: PLC0415
    from osgpdissect.mep import Dissector, ReassemblyOptions, TableContext  # noqa: PLC0415
    from osgpdissect.mep.render import summary_line, tree_lines  # noqa: PLC0415

    out = sys.stdout
    try:
        security = _security(args)
        options = CaptureOptions.parse(args.option) if args.option else CaptureOptions()
        runs = open_capture(args.files, format=args.format, options=options)
        dissector = Dissector(
            security=security,
            tables=TableContext(profile=args.profile),
            reassembly=ReassemblyOptions(max_gap=args.max_gap),
        )
        for rec in dissector.dissect(runs):
            if args.output == "json":
                out.write(json.dumps(rec.to_json(), default=_json_default) + "\n")
            elif args.summary:
                out.write(summary_line(rec) + "\n")
            else:
                out.write("\n".join(tree_lines(rec)) + "\n\n")
    except (CaptureError, OsgpError, ValueError, OSError) as exc:
        sys.stderr.write(f"osgpdissect decode: {exc}\n")
        return 2
    except BrokenPipeError:
        return 0
    return 0


def _security(args: argparse.Namespace) -> Any:
    """Keys from ``--keys FILE`` and the environment (``OSGP_MAK``, ``OSGP_MBK``, ``OSGP_RC4_KEY``).

    Keys are never taken from the command line, where ``ps`` and shell history would keep them.
    """
    import os  # noqa: PLC0415

    if not (args.keys or any(os.environ.get(v) for v in ("OSGP_MAK", "OSGP_MBK", "OSGP_RC4_KEY"))):
        return None
    from osgpdissect.security import Security  # noqa: PLC0415
    from osgpdissect.security.keys import KeyRing  # noqa: PLC0415

    ring = KeyRing.from_env(os.environ)
    if args.keys:
        ring = ring.merge(KeyRing.from_toml(args.keys))
    return Security(ring)


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    return str(value)
