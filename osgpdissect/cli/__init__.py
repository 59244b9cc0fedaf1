"""The ``osgpdissect`` command.  Subcommands import their heavy modules only when run."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from osgpdissect import __version__

# subcommand -> module exposing add_parser(subparsers) and run(args) -> int
COMMANDS = {
    "tables": "osgpdissect.cli.spec_cmds",
    "show": "osgpdissect.cli.spec_cmds",
    "spec": "osgpdissect.cli.spec_cmds",
    "table": "osgpdissect.cli.table_cmd",
    "decode": "osgpdissect.cli.decode",
    "demo": "osgpdissect.cli.demo",
    "docs": "osgpdissect.cli.docs",
    "read": "osgpdissect.cli.talk_cmds",
    "simulate": "osgpdissect.cli.talk_cmds",
    "twin": "osgpdissect.cli.talk_cmds",
    "wireshark": "osgpdissect.cli.wireshark_cmd",
}


class _Parser(argparse.ArgumentParser):
    """argparse, except that an unknown ``--option=value`` is named without its value (the
    value may be a key typed at a mistyped option: issue 21 item 10)."""

    def error(self, message: str):  # type: ignore[override]
        import re

        if message.startswith("unrecognized arguments:"):
            message = re.sub(r"(?<!\S)(--?[A-Za-z][\w-]*)=\S+", r"\1=...", message)
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="osgpdissect", description="Dissect OSGP MEP and optical-port traffic.")
    p.add_argument("--version", action="version", version=f"osgpdissect {__version__}")
    p.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    seen: set[str] = set()
    for _name, modname in COMMANDS.items():
        if modname in seen:
            continue
        mod = importlib.import_module(modname)
        seen.add(modname)
        mod.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--version" in argv[:1]:
        print(f"osgpdissect {__version__}")
        return 0
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the message
        return int(exc.code or 0) if exc.code in (0, None) else 2
    handler = getattr(args, "run", None) or getattr(args, "func", None)
    if handler is None:
        parser.print_help()
        return 2
    from osgpdissect.errors import OsgpError

    try:
        return int(handler(args) or 0)
    except OsgpError as exc:
        print(f"osgpdissect: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last resort: one clear line, traceback only with --debug
        if args.debug:
            raise
        print(f"osgpdissect: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)",
              file=sys.stderr)
        return 70
