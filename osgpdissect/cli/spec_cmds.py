"""``tables``, ``show``, ``spec check``, ``spec coverage``."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("tables", help="list every spec'd table and procedure")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_tables)

    p = sub.add_parser("show", help="show one layout: offsets, sizes, types, enums")
    p.add_argument("table", help="ET13, BT23, EP17, 2061, 0x080D, ...")
    p.add_argument("--profile", help="layout profile (gen3, gen4)")
    p.add_argument("--dims", help="JSON file with known dimensions / firmware")
    p.set_defaults(run=run_show)

    p = sub.add_parser("spec", help="spec tools: check, coverage")
    ss = p.add_subparsers(dest="spec_command", metavar="SUBCOMMAND")
    c = ss.add_parser("check", help="validate the spec; file:line:col messages")
    c.add_argument("--root", help="spec folder (default: the shipped spec)")
    c.set_defaults(run=run_check)
    c = ss.add_parser("coverage", help="what the guide defines vs what is transcribed")
    c.add_argument("--json", action="store_true")
    c.add_argument("--root", help="spec folder (default: the shipped spec)")
    c.set_defaults(run=run_coverage)
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])


def run_tables(args) -> int:
    from osgpdissect.lang.spec import load_default_spec

    spec = load_default_spec()
    rows = []
    for tid in sorted(set(spec.tables) | set(spec.procedures), key=lambda t: (t[:2], int(t[2:]))):
        d = spec.find(tid)
        number = d.number if not (hasattr(d, "family_end") and d.family_end) else \
            (__import__("osgpdissect.lang.model", fromlist=["KIND_BASE"]).KIND_BASE[tid[:2]] + int(tid[2:]))
        rows.append((tid, number, d.name, d.header.status))
    if args.json:
        print(json.dumps([{"id": t, "number": n, "hex": f"0x{n:04X}", "name": nm, "status": st}
                          for t, n, nm, st in rows], indent=1))
        return 0
    for t, n, nm, st in rows:
        mark = "" if st == "defined" else f"  [{st}]"
        print(f"{t:<5} {n:>5}  0x{n:04X}  {nm}{mark}")
    return 0


def run_show(args) -> int:
    from osgpdissect.cli.filters import resolve_table
    from osgpdissect.errors import OsgpError
    from osgpdissect.lang.spec import load_default_spec
    from osgpdissect.layout.device import Device
    from osgpdissect.layout.show import layout_lines

    spec = load_default_spec()
    try:
        args.table = str(resolve_table(args.table, spec))
    except ValueError as exc:
        raise OsgpError(str(exc)) from None
    from osgpdissect.layout.binder import BindError

    dev = Device.from_file(spec, args.dims, args.profile) if args.dims else Device(spec, args.profile)
    try:
        print("\n".join(layout_lines(spec, args.table.upper(), dev)))
    except BindError as exc:
        raise OsgpError(f"{args.table}: cannot lay out with these dimensions: {exc}") from None
    return 0


def _load(args):
    from osgpdissect.layout.validate import load_and_validate

    return load_and_validate(Path(args.root) if getattr(args, "root", None) else None)


def run_check(args) -> int:
    from osgpdissect.errors import SpecError

    try:
        spec, report = _load(args)
    except SpecError as exc:
        for d in exc.diagnostics:
            print(d.render(), file=sys.stderr)
        print(f"{len(exc.diagnostics)} error(s)", file=sys.stderr)
        return 1
    for d in report.diagnostics:
        print(d.render(), file=sys.stderr)
    n_tables = len(set(spec.tables) | set(spec.procedures))
    checked = sum(report.checked.values())
    if report.diagnostics:
        print(f"{len(report.diagnostics)} error(s) in {n_tables} tables/procedures", file=sys.stderr)
        return 1
    excused = sum(len(v) for v in report.mismatches.values())
    print(f"spec ok: {n_tables} tables/procedures, {checked} stated offsets checked, "
          f"{excused} mismatches explained in ERRATA")
    return 0


def run_coverage(args) -> int:
    from osgpdissect.errors import SpecError
    from osgpdissect.layout.coverage import coverage

    try:
        spec, report = _load(args)
    except SpecError as exc:
        for d in exc.diagnostics:
            print(d.render(), file=sys.stderr)
        return 1
    rows = coverage(spec, report)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=1))
        return 0
    for r in rows:
        line = f"l.{r.guide_line}" if r.guide_line else ""
        extra = f" offsets {r.offsets_checked}" if r.offsets_checked else ""
        if r.mismatches_excused:
            extra += f", {r.mismatches_excused} excused"
        if r.errors:
            extra += f", {r.errors} ERRORS"
        if r.errata:
            extra += f", errata {' '.join(r.errata)}"
        print(f"{r.id:<6} {line:<7} {r.status:<36} {r.name}{extra}")
    done = sum(1 for r in rows if r.status == "transcribed")
    total = sum(1 for r in rows if r.id in __import__("osgpdissect.layout.coverage", fromlist=["DEFINED"]).DEFINED)
    print(f"{done}/{total} layouts the guide defines are transcribed")
    return 0
