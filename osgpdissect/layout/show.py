"""``osgpdissect show``: a bound layout as text, with offsets, sizes, types and meanings."""

from __future__ import annotations

from osgpdissect.lang import model as m
from osgpdissect.layout.binder import (
    BExpr,
    LArray,
    LBits,
    LBlob,
    LDerived,
    LNode,
    Local,
    LOptional,
    LRecord,
    LScalar,
    LSwitch,
)
from osgpdissect.layout.device import Device


def bexpr_text(e) -> str:
    if isinstance(e, bool):
        return str(e).lower()
    if isinstance(e, int):
        return str(e)
    if isinstance(e, Local):
        return ".".join(("_." * e.up + e.name, *e.path)) if e.path else "_." * e.up + e.name
    if isinstance(e, BExpr):
        if e.op in ("neg", "not"):
            return f"{'-' if e.op == 'neg' else 'not '}{bexpr_text(e.args[0])}"
        if e.op == "if":
            return f"(if {bexpr_text(e.args[0])} then {bexpr_text(e.args[1])} else {bexpr_text(e.args[2])})"
        if e.op in ("min", "max"):
            return f"{e.op}({', '.join(bexpr_text(a) for a in e.args)})"
        return f"({bexpr_text(e.args[0])} {e.op} {bexpr_text(e.args[1])})"
    return "?"


def type_text(n: LNode) -> str:
    if isinstance(n, LScalar):
        if n.kind == "int":
            return f"{'INT' if n.signed else 'UINT'}{n.width * 8}{' msb' if n.big_endian else ''}"
        return n.kind.upper()
    if isinstance(n, LBlob):
        length = "*" if n.length is None else bexpr_text(n.length)
        return {"bytes": "UINT8", "fill": "FILL8"}.get(n.kind, n.kind.upper()) + f"[{length}]"
    if isinstance(n, LBits):
        return f"bits UINT{n.width * 8}{' msb' if n.big_endian else ''}"
    if isinstance(n, LArray):
        dims = []
        while isinstance(n, LArray) and n.element is not None:
            dims.append("*" if n.count is None else bexpr_text(n.count))
            n = n.element
        inner = type_text(n) if not isinstance(n, LArray) else "variants"
        if isinstance(n, LArray):
            dims.append(bexpr_text(n.count))
        return inner + "".join(f"[{d}]" for d in dims)
    if isinstance(n, LRecord):
        return "record"
    return ""


def nvm_text(nvm: tuple[str, ...]) -> str:
    """Appendix C's NVM columns for a table (``nvm`` of its header, not None)."""
    write = "written directly to NVM" if "write" in nvm else "writes not to NVM"
    read = "read from NVM only" if "read" in nvm else "read from RAM"
    return f"NVM (Appendix C): {write}; {read}"


def _enum_text(e: m.Enum | None) -> str:
    if e is None:
        return ""
    parts = []
    for x in e.entries[:12]:
        key = f"{x.lo}" if x.lo == x.hi else f"{x.lo}..{x.hi}"
        parts.append(f"{key}={x.label}")
    more = f" (+{len(e.entries) - 12})" if len(e.entries) > 12 else ""
    return "  {" + "; ".join(parts) + more + "}"


def layout_lines(spec: m.Spec, tid: str, device: Device) -> list[str]:
    decl = spec.find(tid)
    number = m.KIND_BASE[tid[:2]] + int(tid[2:])
    out = [f"{tid} — {decl.name} ({number}, 0x{number:04X})"]
    h = decl.header
    if h.guide_lines:
        out.append(f"  guide line {', '.join(map(str, h.guide_lines))}; status {h.status}")
    for a in h.access:
        keys = " ".join(a.keys) or "none"
        out.append(f"  {a.op}: {keys}" + (f"  (clients: {' '.join(a.clients)})" if a.clients else ""))
    if h.layout_of:
        args = ", ".join(f"{n} = {m.expr_text(e)}" for n, e in h.layout_args)
        out.append(f"  same layout as {h.layout_of}" + (f" ({args})" if args else ""))
    for name, default in h.params:
        out.append(f"  layout parameter {name} = {m.expr_text(default)}")
    if h.nvm is not None:
        out.append(f"  {nvm_text(h.nvm)}")
    for d in h.dims:
        out.append(f"  dim {d.id} ({d.orig_name}) default {m.expr_text(d.default)}")
    parts = ["request", "response"] if isinstance(decl, m.Procedure) else ["table"]
    for part in parts:
        if isinstance(decl, m.Procedure) and not (decl.request if part == "request" else decl.response):
            continue
        if decl.header.status == "referenced":
            continue
        bound = device.bound(tid, part)
        base = {"request": 3, "response": 4}.get(part, 0) if isinstance(decl, m.Procedure) else 0
        size = "depends on the data" if bound.size is None else f"{bound.size} bytes"
        out.append(f"  {part if part != 'table' else 'layout'} (profile {device.profile.name}): {size}")
        if bound.defaults_used:
            out.append(f"  dimensions from spec defaults: {', '.join(bound.defaults_used)}")
        out.append(f"  {'offset':>8} {'size':>5}  {'type':<22} field")
        _rows(bound.root.children, base, "  ", out)
    if isinstance(decl, m.Procedure) and decl.results:
        out.append("  results:" + _enum_text(decl.results))
    return out


def _rows(children, off, indent, out) -> None:
    o = off
    for c in children:
        if isinstance(c, LDerived):
            if not c.hidden:
                out.append(f"  {'':>8} {'':>5}  {'derived':<22}{indent}{c.id} = {bexpr_text(c.expr)}")
            continue
        if isinstance(c, LSwitch):
            out.append(f"  {_o(o):>8} {'':>5}  {'switch':<22}{indent}on {bexpr_text(c.on)}:")
            for keys, g in c.cases:
                ks = ",".join(f"{a}" if a == b else f"{a}..{b}" for a, b in keys)
                out.append(f"  {'':>8} {'':>5}  {'case':<22}{indent}  {ks}:")
                _rows(g.children, o, indent + "    ", out)
            if c.default:
                out.append(f"  {'':>8} {'':>5}  {'case':<22}{indent}  else:")
                _rows(c.default.children, o, indent + "    ", out)
        elif isinstance(c, LOptional):
            out.append(f"  {_o(o):>8} {'':>5}  {'if':<22}{indent}{bexpr_text(c.test)}:")
            _rows(c.body.children, o, indent + "  ", out)
        else:
            size = "?" if c.size is None else str(c.size)
            label = f"{c.id} \"{c.meta.orig_name}\"" if c.meta.orig_name else c.id
            extra = ""
            enum = getattr(c, "enum", None)
            if enum is not None:
                extra = _enum_text(enum)
            if c.meta.unit:
                extra += f"  [{c.meta.unit}]"
            stated = [s.start for s in c.stated if s.start is not None]
            if stated:
                extra += f"  (guide @{stated[0]})"
            out.append(f"  {_o(o):>8} {size:>5}  {type_text(c):<22}{indent}{label}{extra}")
            if isinstance(c, LBits):
                for mb in c.members:
                    rng = f"{mb.lo}" if mb.lo == mb.hi else f"{mb.lo}..{mb.hi}"
                    lbl = f"{mb.id} \"{mb.meta.orig_name}\"" if mb.meta.orig_name else mb.id
                    out.append(f"  {'':>8} {'':>5}  {mb.kind + '(' + rng + ')':<22}{indent}  {lbl}{_enum_text(mb.enum)}")
            elif isinstance(c, LRecord):
                _rows(c.children, o, indent + "  ", out)
            elif isinstance(c, LArray):
                els = [(None, c.element)] if c.element is not None else list(c.segments)
                eo = o
                for cnt, el in els:
                    if isinstance(el, LRecord):
                        tag = "element" if cnt is None else f"elements x{cnt}"
                        out.append(f"  {'':>8} {_s(el):>5}  {tag:<22}{indent}  (offsets relative to the element)")
                        _rows(el.children, 0, indent + "    ", out)
                    eo = eo
        o = None if (o is None or c.size is None) else o + c.size


def _o(o) -> str:
    return "?" if o is None else str(o)


def _s(n) -> str:
    return "?" if n.size is None else str(n.size)
