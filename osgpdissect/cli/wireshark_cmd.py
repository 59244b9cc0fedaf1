"""``osgpdissect wireshark --out DIR [--install] [--context CAPTURE]``: write the Lua plugin."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("wireshark", help="write a Wireshark Lua dissector generated from the spec")
    p.add_argument("--out", help="folder to write osgp.lua into")
    p.add_argument("--install", action="store_true",
                   help="also copy it into the personal Lua plugins folder tshark reports")
    p.add_argument("--context", action="append", default=[], metavar="CAPTURE",
                   help="MEP capture whose dimension tables (ET11, BT00, BT21, ...) add layouts "
                        "beside the spec defaults' (repeatable)")
    p.add_argument("--table", action="append", default=[], metavar="TABLE",
                   help="only these tables (repeatable; default: every laid-out table)")
    p.set_defaults(run=run)


def personal_lua_folder() -> Path:
    """The ``Personal Lua Plugins`` folder of ``tshark -G folders``."""
    from osgpdissect.errors import OsgpError

    tshark = shutil.which("tshark")
    if tshark is None:
        raise OsgpError("--install needs tshark (Debian: apt-get install tshark) to find the "
                        "personal Lua plugins folder")
    out = subprocess.run([tshark, "-G", "folders"], capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        m = re.match(r"Personal Lua Plugins:\s*(.+)$", line.strip())
        if m:
            return Path(m.group(1).strip())
    raise OsgpError("tshark -G folders names no personal Lua plugins folder")


def run(args) -> int:
    from osgpdissect.backends.wireshark import PLUGIN_NAME, generate
    from osgpdissect.captures import CaptureError
    from osgpdissect.errors import OsgpError
    from osgpdissect.lang.spec import load_default_spec

    if not args.out and not args.install:
        raise OsgpError("wireshark: give --out DIR, --install or both")
    spec = load_default_spec()
    unknown = [t for t in args.table if spec.find(t.upper()) is None]
    if unknown:
        raise OsgpError(f"wireshark: unknown table {', '.join(unknown)}")
    try:
        source = generate(spec, tables=args.table or None, contexts=args.context)
    except CaptureError as exc:
        raise OsgpError(f"wireshark: {exc}") from None
    targets = [Path(args.out)] if args.out else []
    if args.install:
        targets.append(personal_lua_folder())
    for folder in targets:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / PLUGIN_NAME).write_text(source, encoding="utf-8")
        except OSError as exc:
            raise OsgpError(f"wireshark: cannot write {folder / PLUGIN_NAME}: "
                            f"{exc.strerror or exc}") from None
        print(f"wrote {folder / PLUGIN_NAME}")
    return 0
