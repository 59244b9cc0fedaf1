"""Check the spec: names resolve, layouts bind, and the guide's offsets and sizes hold.

Every table is bound under every profile with the spec's default dimensions; each offset the
guide states (``@n``) and each size (``size``, ``length``) is compared with the computed one.
A mismatch is an error unless ``ERRATA.md`` lists the field (or the table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from osgpdissect.errors import Diagnostic
from osgpdissect.lang import model as m
from osgpdissect.lang.loader import load_spec, read_spec_text
from osgpdissect.layout.binder import (
    Binder,
    BindError,
    LArray,
    LBits,
    LNode,
    LOptional,
    LRecord,
    LSwitch,
)
from osgpdissect.layout.device import Device
from osgpdissect.resources import spec_dir, spec_files

# scapy Packet attributes a field id must not shadow (the scapy backend uses field ids).
SCAPY_RESERVED = frozenset(
    "name fields fields_desc payload underlayer time sent_time direction sniffed_on comment "
    "original explicit raw_packet_cache wirelen post_transforms aliastypes default_fields "
    "overload_fields overloaded_fields fieldtype packetfields parent show summary build copy "
    "command answers haslayer getlayer layers route mysummary dissect add_payload "
    "remove_payload hashret lastlayer firstlayer getfieldval setfieldval".split()
)


@dataclass
class Report:
    """What ``spec check`` / ``spec coverage`` print: diagnostics and per-table counts."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # table id -> stated offsets checked
    mismatches: dict[str, list[str]] = field(default_factory=dict)  # excused by errata
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.diagnostics


class _Checker:
    def __init__(self, spec: m.Spec, lines: dict[str, list[str]]):
        self.spec = spec
        self.lines = lines
        self.report = Report()
        self._seen: set[tuple] = set()
        self.excused = {e.target for e in spec.errata}

    def diag(self, pos: m.Pos, msg: str, table: str | None = None) -> None:
        key = (pos.file, pos.line, pos.col, msg.split(" (profile ")[0])
        if key in self._seen:
            return
        self._seen.add(key)
        src = self.lines.get(pos.file, [])
        snippet = src[pos.line - 1] if 0 < pos.line <= len(src) else ""
        self.report.diagnostics.append(Diagnostic(pos.file, pos.line, pos.col, msg, snippet))
        if table:
            self.report.errors[table] = self.report.errors.get(table, 0) + 1

    # ------------------------------------------------------------------ whole spec
    def run(self) -> Report:
        for rec in self.spec.records.values():
            self._names(rec.body, rec.name)
        done: set[int] = set()
        for tid, t in sorted(self.spec.tables.items()):
            self._header(tid, t)
            if id(t) not in done:
                self._names(t.body, tid)
                done.add(id(t))
            if t.header.status == "referenced" or t.header.layout_of:
                continue
            self._layout(tid, t, "table", 0)
        for pid, p in sorted(self.spec.procedures.items()):
            self._header(pid, p)
            self._names(p.request, pid)
            self._names(p.response, pid)
            if p.request:
                self._layout(pid, p, "request", 3)
            if p.response:
                self._layout(pid, p, "response", 4)
        return self.report

    def _header(self, tid: str, t) -> None:
        h = t.header
        if isinstance(t, m.Table) and t.family_end:
            return
        number = t.number
        if h.number is not None and h.number != number and tid not in self.excused:
            self.diag(t.pos, f"{tid} is number {number}, the spec states {h.number} (list it in ERRATA.md if the guide is wrong)", tid)
        if h.number_hex is not None and h.number_hex != number and tid not in self.excused:
            self.diag(t.pos, f"{tid} is 0x{number:04X}, the spec states 0x{h.number_hex:04X}", tid)
        if h.layout_of and self.spec.find(h.layout_of) is None:
            self.diag(t.pos, f"layout {h.layout_of}: no such table", tid)
        names = {p.name for p in self.spec.profiles}
        for prof, _ in h.sizes:
            if prof is not None and prof not in names:
                self.diag(t.pos, f"unknown profile {prof!r} in size statement", tid)

    def _names(self, items, scope: str) -> None:
        seen: dict[str, m.Pos] = {}
        for it in items:
            ident = getattr(it, "id", None)
            if isinstance(it, (m.If, m.Switch)):
                branches = [it.then, it.other] if isinstance(it, m.If) else [c.body for c in it.cases]
                for b in branches:
                    self._names(b, scope)
                continue
            if isinstance(it, m.Let) or ident is None:
                continue
            if ident in seen:
                self.diag(it.pos, f"duplicate id {ident!r} in {scope} (first at line {seen[ident].line})")
            seen[ident] = it.pos
            if ident in SCAPY_RESERVED:
                self.diag(it.pos, f"id {ident!r} clashes with a scapy Packet attribute; choose another id")
            if isinstance(it, m.RecordField) and it.body:
                self._names(it.body, f"{scope}.{ident}")
            if isinstance(it, m.BitsField):
                bits: dict[str, m.Pos] = {}
                for bm in it.members:
                    if bm.id in bits:
                        self.diag(bm.pos, f"duplicate bit id {bm.id!r} in {ident}")
                    bits[bm.id] = bm.pos

    # ------------------------------------------------------------------ layouts
    def _layout(self, tid: str, t, part: str, base: int) -> None:
        checked = 0
        for prof in self.spec.profiles or (m.Profile("none", "none", ()),):
            dev = Device(self.spec, prof.name if self.spec.profiles else None)
            try:
                bound = dev.bound(tid, part)
            except BindError as exc:
                self.diag(exc.pos if exc.pos.line else t.pos, exc.message, tid)
                continue
            binder = Binder(self.spec, dev)
            checked += self._check_node(tid, bound.root, base, 0, (), prof.name, binder, named=False)
            if part == "table":
                self._check_size(tid, t, bound.root.size, prof.name, binder)
        self.report.checked[tid] = self.report.checked.get(tid, 0) + checked

    def _check_size(self, tid, t, size, prof, binder) -> None:
        stated = _for_profile(t.header.sizes, prof)
        if stated is None:
            return
        try:
            want = binder.static(stated, "stated size")
        except BindError as exc:
            self.diag(exc.pos, exc.message, tid)
            return
        if size is None:
            return
        if size != want:
            self._mismatch(tid, tid, t.pos, f"{tid} size is {size} bytes under profile {prof}, the guide says {want}")

    def _mismatch(self, tid: str, target: str, pos: m.Pos, msg: str) -> None:
        parts = target.split(".")
        prefixes = {".".join(parts[:i]) for i in range(2, len(parts) + 1)} | {tid} if target == tid else \
            {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
        if prefixes & self.excused:
            self.report.mismatches.setdefault(tid, []).append(msg)
            return
        self.diag(pos, msg + " (fix the layout, or list it in ERRATA.md)", tid)

    def _check_node(self, tid, node: LNode, off, frame, path, prof, binder, named) -> int:
        """Check ``node`` at absolute offset ``off`` (None = dynamic); ``frame`` = base of relative offsets."""
        n = 0
        meta = getattr(node, "meta", None)
        target = tid + "".join("." + str(p) for p in path)
        if meta is not None and off is not None and frame is not None and not getattr(node, "synthetic", False):
            for st in _applicable(node.stated, prof):
                n += 1
                if st.error:
                    self.diag(st.pos, st.error, tid)
                    continue
                want = st.start
                got = off - frame
                if got != want:
                    self._mismatch(tid, target, st.pos, f"{target}: computed offset {got}, the guide states {want} (profile {prof})")
                elif st.end is not None and node.size is not None:
                    end = st.end
                    if want + node.size - 1 != end:
                        self._mismatch(tid, target, st.pos,
                                       f"{target}: ends at {want + node.size - 1}, the guide states {want}..{end} (profile {prof})")
            want_len = _for_profile(meta.stated_length, prof)
            if want_len is not None and node.size is not None and want_len != node.size:
                self._mismatch(tid, target, meta.stated[0].pos if meta.stated else m.NOPOS,
                               f"{target}: size {node.size}, the guide states {want_len} (profile {prof})")
        if isinstance(node, LBits):
            for mb in node.members:
                for st in _applicable(mb.stated, prof):
                    if off is None or frame is None:
                        continue
                    n += 1
                    if st.error:
                        self.diag(st.pos, st.error, tid)
                        continue
                    want = st.start
                    lo_byte = (node.width - 1 - mb.lo // 8) if node.big_endian else mb.lo // 8
                    # the guide gives a member the container's offset or its own byte's
                    if want not in (off - frame, off - frame + lo_byte):
                        self._mismatch(tid, f"{target}.{mb.id}", st.pos,
                                       f"{target}.{mb.id}: bit {mb.lo} lies at {off - frame + lo_byte}, the guide states {want} (profile {prof})")
        if isinstance(node, LRecord):
            o = off
            sub_frame = frame
            if named and not node.synthetic:
                sub_frame = off
            for c in node.children:
                cpath = path if getattr(c, "synthetic", False) or isinstance(c, (LSwitch, LOptional)) else path + (c.id,)
                n += self._check_node(tid, c, o, sub_frame, cpath, prof, binder, named=_is_named_use(c))
                o = None if (o is None or c.size is None) else o + c.size
        elif isinstance(node, LArray):
            els = [(1, node.element)] if node.element is not None else list(node.segments)
            o = off
            for count, el in els:
                el_frame = frame if node.stated_absolute and o == off else o
                if node.stated_absolute and o != off:
                    el_frame = None  # the guide states element 0 only
                if isinstance(el, LRecord):
                    n += self._check_children(tid, el, o, el_frame, path, prof, binder)
                o = None if (o is None or el.size is None) else o + count * el.size
        elif isinstance(node, LSwitch):
            for _, g in node.cases:
                n += self._check_node(tid, g, off, frame, path, prof, binder, named=False)
            if node.default:
                n += self._check_node(tid, node.default, off, frame, path, prof, binder, named=False)
        elif isinstance(node, LOptional) and node.body:
            n += self._check_node(tid, node.body, off, frame, path, prof, binder, named=False)
        return n

    def _check_children(self, tid, rec: LRecord, off, frame, path, prof, binder) -> int:
        n = 0
        o = off
        for c in rec.children:
            cpath = path if getattr(c, "synthetic", False) or isinstance(c, (LSwitch, LOptional)) else path + (c.id,)
            n += self._check_node(tid, c, o, frame, cpath, prof, binder, named=_is_named_use(c))
            o = None if (o is None or c.size is None) else o + c.size
        return n


def _is_named_use(node: LNode) -> bool:
    # set by the binder: a record bound from a named record definition keeps its own frame
    return isinstance(node, LRecord) and node.named


def _applicable(stated: tuple[m.Stated, ...], prof: str) -> list[m.Stated]:
    tagged = [s for s in stated if s.profile == prof]
    if tagged:
        return tagged
    return [s for s in stated if s.profile is None]


def _for_profile(items, prof):
    tagged = [v for p, v in items if p == prof]
    if tagged:
        return tagged[0]
    untagged = [v for p, v in items if p is None]
    return untagged[0] if untagged else None


def validate(spec: m.Spec, sources: dict[str, str] | None = None) -> Report:
    """Validate a loaded spec; ``sources`` maps file names to text for snippets."""
    lines = {k: v.splitlines() for k, v in (sources or {}).items()}
    return _Checker(spec, lines).run()


def load_and_validate(root: Path | None = None) -> tuple[m.Spec, Report]:
    """Parse and validate a spec tree, always from its files (no model cache).

    Raises :class:`SpecError` on syntax errors.
    """
    root = root or spec_dir()
    spec = load_spec(root)
    sources = {}
    for p in spec_files(root):
        try:
            rel = str(Path(root.name) / p.relative_to(root))
        except ValueError:
            rel = str(p)
        sources[rel] = read_spec_text(p, rel)
    return spec, validate(spec, sources)
