"""What the guide defines versus what the spec has transcribed (``spec coverage``).

The list of layouts is the guide's own (MEP Client Developer's Guide v1.1, as inventoried in
``shared/notes/seed-inventory.md`` §a): id -> guide line of its definition.
"""

from __future__ import annotations

from dataclasses import dataclass

from osgpdissect.lang import model as m
from osgpdissect.layout.validate import Report

DEFINED: dict[str, int] = {
    "ET03": 1516, "ET04": 1539, "ET09": 1669, "ET11": 1812, "ET13": 1870, "ET14": 1923, "ET15": 1980,
    "ET16": 2020, "ET21": 2100, "ET23": 2164, "ET29": 2194, "ET31": 2273, "ET34": 2305, "ET36": 2342,
    "ET41": 2388, "ET42": 2425, "ET45": 2553, "ET46": 2595, "ET47": 2620, "ET50": 2646, "ET51": 2708,
    "ET52": 2746, "ET53": 2789, "ET54": 2804, "ET55": 2896, "ET57": 3126, "ET58": 3155, "ET59": 3177,
    "ET61": 3203, "ET62": 3229, "ET66": 3299, "ET70": 3319, "ET71": 3340, "ET74": 3372, "ET75": 3413,
    "ET79": 3474, "ET80": 3526, "ET81": 3567, "ET85": 3600, "ET89": 3613, "ET90": 3693, "ET97": 3735,
    "BT00": 3794, "BT01": 3846, "BT07": 1409, "BT08": 1422, "BT15": 3871, "BT21": 3897, "BT22": 3940,
    "BT23": 4025, "BT24": 4108, "BT25": 4128, "BT26": 4150, "BT27": 4184, "BT28": 4208, "BT30": 4344,
    "BT33": 4375, "BT50": 4405, "BT52": 4447, "BT53": 4475, "BT54": 4495, "BT55": 4553, "BT60": 4592,
    "BT61": 4644, "BT62": 4692, "BT63": 4722, "BT64": 4756, "BT65": 4756, "BT66": 4756, "BT67": 4756,
    "BT74": 4823, "EP17": 4863, "EP19": 4901, "EP61": 4941,
}
# Used by the guide, never laid out in it.
REFERENCED: tuple[str, ...] = (
    "BT03", "BT04", "BT05", "BT06", "BT13", "BT16", "BT20", "BT51", "BT70", "BT71",
    "ET01", "ET02", "ET05", "ET06", "ET07", "ET10", "ET12", "ET20", "ET22", "ET30", "ET32", "ET38",
    "ET40", "ET48", "ET67", "ET76", "ET77", "ET92", "ET93", "ET94", "ET95", "ET96", "ET98",
    "MT24", "MT90", "MT97", "MT124", "FT06",
    "EP02", "EP03", "EP04", "EP06", "EP11", "EP16", "EP18", "EP39", "EP41", "EP50", "EP52", "EP64",
    "BP01", "BP04", "BP05", "BP10", "MP02", "MP33", "MP34",
)


@dataclass
class Row:
    id: str
    guide_line: int | None
    status: str  # transcribed | missing | referenced, not defined | referenced, layout not in the guide
    name: str = ""
    offsets_checked: int = 0
    mismatches_excused: int = 0
    errors: int = 0
    errata: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "id": self.id, "name": self.name, "guide_line": self.guide_line, "status": self.status,
            "offsets_checked": self.offsets_checked, "mismatches_excused": self.mismatches_excused,
            "errors": self.errors, "errata": list(self.errata),
        }


def coverage(spec: m.Spec, report: Report) -> list[Row]:
    rows: list[Row] = []
    for tid, line in DEFINED.items():
        decl = spec.find(tid)
        status = "missing"
        if decl is not None:
            st = decl.header.status
            status = "transcribed" if st == "defined" else f"{st} (incomplete)"
        rows.append(_row(spec, report, tid, line, status, decl))
    for tid in REFERENCED:
        decl = spec.find(tid)
        status = "referenced, not defined"
        if tid.startswith(("EP", "BP", "MP")):
            status = "referenced, layout not in the guide"
        if decl is not None and decl.header.status == "partial":
            status += " (partially described)"
        rows.append(_row(spec, report, tid, decl.header.guide_lines[0] if decl and decl.header.guide_lines else None,
                         status, decl, listed=decl is not None))
    # Declarations the inventory above does not name (e.g. procedures met in other tables' text):
    # every declaration of the spec has its row.
    listed = set(DEFINED) | set(REFERENCED)
    for tid in sorted(set(spec.tables) | set(spec.procedures)):
        if tid in listed:
            continue
        decl = spec.find(tid)
        st = decl.header.status
        if st == "defined":
            status = "transcribed"
        else:
            status = ("referenced, layout not in the guide" if tid.startswith(("EP", "BP", "MP"))
                      else "referenced, not defined")
            if st == "partial":
                status += " (partially described)"
        rows.append(_row(spec, report, tid, decl.header.guide_lines[0] if decl.header.guide_lines else None,
                         status, decl))
    return rows


def _row(spec, report, tid, line, status, decl, listed=True) -> Row:
    key = tid
    if decl is not None and isinstance(decl, m.Table) and decl.family_end:
        key = decl.id
    if decl is not None and decl.header.layout_of:  # ET53 = layout ET52: its offsets are checked there
        key = decl.header.layout_of
    return Row(
        tid, line, status if listed else status + " (not in spec)", decl.name if decl else "",
        report.checked.get(key, 0), len(report.mismatches.get(key, [])), report.errors.get(key, 0),
        tuple(e.ident for e in spec.errata_for(tid)),
    )
