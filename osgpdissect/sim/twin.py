"""``twin``: a meter image from a decoded MEP capture, so a meter once captured can be served.

Every window a read answered goes into the image at its offset, in capture order (the last
read of a byte wins); the rest of each table takes the spec's defaults, laid out by the
dimension tables the capture read.  Keys are never written into the image.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from osgpdissect.bytestream import ByteRun
from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.tables import TableContext
from osgpdissect.mep.dissector import Dissector
from osgpdissect.sim.image import DIMENSION_TABLES, MeterImage

__all__ = ["twin_image", "windows_read"]


def windows_read(runs: Iterable[ByteRun], security: Any = None, profile: str | None = None
                 ) -> tuple[list[tuple[str, int, bytes, bool]], int | None, TableContext]:
    """(table, offset, bytes, whole table?) of every answered read in capture order, the last
    request sequence number seen, and the decoding context (what the capture taught)."""
    tables = TableContext(profile=profile)
    out: list[tuple[str, int, bytes, bool]] = []
    last_seq = None
    for rec in Dissector(security=security, tables=tables).dissect(runs):
        req, resp = rec.request, rec.response
        if req is None:
            continue
        if req.seq is not None:
            last_seq = req.seq
        if (req.is_read and req.table is not None and resp is not None and resp.code == C.OK
                and rec.table is not None):
            data = bytes(rec.table.data)
            whole = req.code == C.FULL_READ and (req.count is None or len(data) < req.count)
            out.append((C.table_id(req.table), req.offset or 0, data, whole))
    return out, last_seq, tables


def twin_image(runs: Iterable[ByteRun], security: Any = None, profile: str | None = None,
               spec: Any = None) -> tuple[MeterImage, int | None]:
    """The image of what a capture read, and the capture's last sequence number.  A full read
    gives a table's size; other tables take the layout the capture's dimensions give them."""
    windows, last_seq, tables = windows_read(runs, security, profile)
    if profile is None:
        generation = tables.device.setting("generation") if tables.available else None
        profile = "gen3" if generation is not None and int(generation) < 4 else "gen4"
    image = MeterImage(spec or tables.spec, profile)
    order = sorted(windows, key=lambda w: w[0] not in DIMENSION_TABLES)  # stable: dims first
    for table, offset, data, whole in order:
        if whole:
            image.tables[table] = bytearray()
        elif table not in image.tables:
            image.get(table)  # the spec's defaults for the bytes the capture did not show
        image.put(table, offset, data)
    return image, last_seq
