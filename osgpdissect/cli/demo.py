"""``osgpdissect demo``: decode the bundled example capture (``examples/session-logic2.csv``, a
Saleae Logic 2 export of a MEP session) and print its decoded tree, as ``osgpdissect decode``
would with the guide's example key (sixteen 0x01 bytes) as MAK."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXAMPLE = "session-logic2.csv"
GUIDE_KEY = bytes([0x01] * 16)  # published in the MEP guide's examples: not a secret


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="decode the bundled example capture",
                       description="Decode examples/session-logic2.csv (MEP registration, "
                       "dimension reads, an alert, register reads, a transaction, a procedure "
                       "call) with the guide's example key.")
    p.add_argument("--summary", "-s", action="store_true", help="one line per record")
    p.add_argument("--stats", action="store_true", help="statistics after the records")
    p.set_defaults(run=run, func=run)


def examples_dir() -> Path:
    from osgpdissect.resources import data_dir

    return data_dir("examples")


def run(args: argparse.Namespace) -> int:
    from osgpdissect.captures import CaptureError, open_capture
    from osgpdissect.cli.outputs import TextOutput, use_colour
    from osgpdissect.cli.pipeline import LineErrorTracker, decode_records
    from osgpdissect.cli.redact import SecretMasker, mask_line_errors
    from osgpdissect.cli.stats import Stats
    from osgpdissect.mep import TableContext
    from osgpdissect.security import Security
    from osgpdissect.security.keys import KeyRing

    path = examples_dir() / EXAMPLE
    out = sys.stdout
    try:
        runs = open_capture([str(path)])
    except CaptureError as exc:
        sys.stderr.write(f"osgpdissect demo: {exc}\n")
        return 2
    print(f"# {path.name}: a MEP session captured as a Saleae Logic 2 export, decoded with "
          "the guide's example key as MAK", file=out)
    print("# (the same as: OSGP_MAK=<key> osgpdissect decode " + str(path) + ")\n", file=out)
    writer = TextOutput(out, getattr(args, "summary", False), use_colour(out))
    stats = Stats()
    errors = LineErrorTracker()
    security = Security(KeyRing(mak=GUIDE_KEY))
    masker = SecretMasker()  # the output-side rule of `decode` (issue 21 item 1)
    for item in decode_records(errors.observe(runs), "auto", security=security,
                               tables=TableContext()):
        item.line_errors = errors.claim(item.record)
        item.record = masker.redact(item.record)
        item.line_errors = mask_line_errors(item.line_errors, masker.secret_directions)
        stats.add(item)
        writer.write(item)
    if getattr(args, "stats", False):
        writer.write_stats(stats)
    return 0
