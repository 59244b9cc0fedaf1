"""``osgpdissect table ID --hex HEX``: decode table bytes, full or partial."""

from __future__ import annotations

import json
import re


def add_parser(sub) -> None:
    p = sub.add_parser("table", help="decode table bytes (a full or partial read)")
    p.add_argument("table", help="ET11, BT23, 2061, 0x080D; EP17 decodes a procedure's request "
                   "(its response with --response)")
    p.add_argument("--hex", required=True, help="the bytes, e.g. '05 42 24' or 054224")
    p.add_argument("--offset", type=lambda s: int(s, 0), default=0, help="offset of the first byte (partial read)")
    p.add_argument("--dims", help="JSON file with known dimensions / firmware")
    p.add_argument("--profile", help="layout profile (gen3, gen4)")
    p.add_argument("--response", action="store_true", help="decode a procedure's response data")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def parse_hex(text: str) -> bytes:
    from osgpdissect.errors import OsgpError

    cleaned = re.sub(r"0x|[\s,:;-]", "", text, flags=re.I)
    if len(cleaned) % 2 or re.search(r"[^0-9A-Fa-f]", cleaned):
        raise OsgpError(f"--hex: not hex bytes: {text[:40]!r}")
    return bytes.fromhex(cleaned)


def run(args) -> int:
    from osgpdissect.c1218.render import table_lines
    from osgpdissect.cli.filters import resolve_table
    from osgpdissect.codec import decode_table
    from osgpdissect.errors import OsgpError
    from osgpdissect.lang import model as m
    from osgpdissect.lang.spec import load_default_spec
    from osgpdissect.layout.device import Device

    spec = load_default_spec()
    data = parse_hex(args.hex)
    try:
        args.table = str(resolve_table(args.table, spec))
    except ValueError as exc:
        raise OsgpError(str(exc)) from None
    decl = spec.find(args.table)
    dev = Device.from_file(spec, args.dims, args.profile) if args.dims else Device(spec, args.profile)
    part = "table"
    if isinstance(decl, m.Procedure):
        part = "response" if args.response else "request"
    from osgpdissect.layout.binder import BindError

    try:
        res = decode_table(spec, args.table, data, args.offset, dev, part=part)
    except BindError as exc:
        raise OsgpError(f"{args.table}: cannot lay out with these dimensions: {exc}") from None
    if args.json:
        print(json.dumps(res.to_json(), indent=1, default=str))
        return 0
    print(f"{res.table_id} {res.name} @{res.offset} ({res.size} bytes)")
    print("\n".join(table_lines(res, depth=0)))
    return 0
