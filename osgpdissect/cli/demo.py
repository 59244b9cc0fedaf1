"""``osgpdissect demo``: decode the bundled example and print the decoded trees."""

from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="decode the bundled example capture")
    p.set_defaults(run=run)


def examples_dir() -> Path:
    from osgpdissect.resources import data_dir

    return data_dir("examples")


def run(args) -> int:
    from osgpdissect.cli.table_cmd import parse_hex
    from osgpdissect.decode import decode_table
    from osgpdissect.device import Device
    from osgpdissect.render import node_lines
    from osgpdissect.spec import load_default_spec

    spec = load_default_spec()
    device = Device(spec)
    path = examples_dir() / "guide-payloads.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        table, at, hexdata = line.split(None, 2)
        offset = int(at.lstrip("@"))
        data = parse_hex(hexdata)
        res = decode_table(spec, table, data, offset, device)
        device.learn(table, offset, data)
        print(f"{res.table_id} {res.name} @{offset} ({len(data)} bytes)")
        print("\n".join(node_lines(res.nodes)))
        print()
    return 0
