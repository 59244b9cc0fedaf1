"""Load spec files (and ERRATA) into one :class:`~osgpdissect.lang.model.Spec`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from osgpdissect.errors import Diagnostic, SpecError
from osgpdissect.lang import model as m
from osgpdissect.lang.parser import parse_tree
from osgpdissect.lang.transform import ToModel
from osgpdissect.resources import errata_files, spec_files

_ERRATUM = re.compile(r"^###\s+(?P<id>[A-Za-z0-9_-]+):\s+(?P<target>[A-Z]{2}\d+[\w.\[\]]*)\s+\(guide l\.\s*(?P<line>\d+)")


def _expr_parser(filename: str):
    def parse(text: str, pos: m.Pos):
        try:
            tree = parse_tree(text, filename, start="expr")
        except SpecError as exc:
            d = exc.diagnostics[0]
            raise SpecError([Diagnostic(pos.file, pos.line, pos.col, f"in enum label: {d.message}")]) from None
        return ToModel(filename, parse).transform(tree)

    return parse


def parse_text(text: str, filename: str = "<text>") -> list:
    """Parse one file's text into its declarations (model objects)."""
    tree = parse_tree(text, filename)
    return ToModel(filename, _expr_parser(filename)).transform(tree)


def parse_errata(text: str, source: str) -> list[m.Erratum]:
    """Errata entries: ``### E012: ET03.image_crc (guide l.1536)`` headings and their text."""
    out: list[m.Erratum] = []
    current: dict | None = None
    body: list[str] = []
    for line in text.splitlines():
        hit = _ERRATUM.match(line)
        if hit or line.startswith("## ") or line.startswith("### "):
            if current:
                out.append(m.Erratum(current["id"], current["target"], current["line"], "\n".join(body).strip(), source))
            current, body = None, []
            if hit:
                current = {"id": hit["id"], "target": hit["target"], "line": int(hit["line"])}
            continue
        if current is not None:
            body.append(line)
    if current:
        out.append(m.Erratum(current["id"], current["target"], current["line"], "\n".join(body).strip(), source))
    return out


def _display(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def read_spec_text(path: Path, name: str) -> str:
    """A spec file's text; :class:`SpecError` at the first byte that is not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        head = data[: exc.start]
        line = head.count(b"\n") + 1
        col = exc.start - (head.rfind(b"\n") + 1) + 1
        raise SpecError([Diagnostic(name, line, col, f"not UTF-8 text (byte 0x{data[exc.start]:02x})")]) from None


def load_spec(root: Path, extra_texts: Iterable[tuple[str, str]] = ()) -> m.Spec:
    """Parse every ``*.osgp`` under ``root`` (plus ``extra_texts`` as (name, text) pairs).

    Raises :class:`SpecError` listing every syntax error and duplicate declaration found;
    semantic checks (names, offsets) are the validator's job.
    """
    if not root.is_dir():
        raise SpecError([Diagnostic(str(root), 0, 0, "no such spec folder")])
    diags: list[Diagnostic] = []
    decls: list = []
    names: list[str] = []
    sources = [(_display(p, root), read_spec_text(p, _display(p, root))) for p in spec_files(root)]
    sources += list(extra_texts)
    for name, text in sources:
        names.append(name)
        try:
            decls += parse_text(text, name)
        except SpecError as exc:
            diags += exc.diagnostics
    lines = {name: text.splitlines() for name, text in sources}
    spec = assemble(decls, diags, _read_errata(root), tuple(names), lines)
    if diags:
        raise SpecError(diags)
    return spec


def _read_errata(root: Path) -> list[m.Erratum]:
    errata: list[m.Erratum] = []
    for f in errata_files(root):
        errata += parse_errata(read_spec_text(f, _display(f, root)), _display(f, root))
    return errata


def assemble(decls: list, diags: list[Diagnostic], errata: list[m.Erratum], files: tuple[str, ...],
             lines: dict[str, list[str]] | None = None) -> m.Spec:
    """Index declarations; report duplicates with both positions."""
    tables: dict[str, m.Table] = {}
    procs: dict[str, m.Procedure] = {}
    records: dict[str, m.RecordDef] = {}
    enums: dict[str, m.Enum] = {}
    profiles: list[m.Profile] = []
    seen: dict[tuple[str, str], m.Pos] = {}

    def claim(kind: str, key: str, pos: m.Pos) -> bool:
        if (kind, key) in seen:
            first = seen[(kind, key)]
            src = (lines or {}).get(pos.file, [])
            snippet = src[pos.line - 1] if 0 < pos.line <= len(src) else ""
            diags.append(Diagnostic(pos.file, pos.line, pos.col, f"duplicate {kind} {key} (first declared at {first})",
                                    snippet))
            return False
        seen[(kind, key)] = pos
        return True

    for d in decls:
        if isinstance(d, m.Table):
            for member in d.members():
                if claim("table", member, d.pos):
                    tables[member] = d
        elif isinstance(d, m.Procedure):
            if claim("procedure", d.id, d.pos):
                procs[d.id] = d
        elif isinstance(d, m.RecordDef):
            if claim("type", d.name, d.pos):
                records[d.name] = d
        elif isinstance(d, m.Enum):
            if claim("type", d.name or "", d.pos):
                enums[d.name or ""] = d
        elif isinstance(d, m.Profile):
            if claim("profile", d.name, d.pos):
                profiles.append(d)
    profiles.sort(key=lambda p: (not p.pos.file.endswith("profiles.osgp"), p.pos.line))
    return m.Spec(tables, procs, records, enums, tuple(profiles), tuple(errata), files)
