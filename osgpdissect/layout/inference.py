"""Dimensions and firmware from evidence: the size of a table's bytes.

A full read returns the whole table, so its length is the table's size.  When the layout the
device would use (spec defaults for dimensions never read, the profile's firmware) has another
size, :func:`infer` searches for the dimension values that give exactly that size:

* the variables are the dimension fields the layout took from spec defaults or from an earlier
  inference; each ranges over a small integer domain (a bit's width, the field's ``range``, or
  a window around its present value);
* solutions with fewer changed values come first, then the smallest total change; the first is
  kept in the device (``Device.inferred``) and the others are listed;
* no solution: the firmware is tried (newer when the bytes are longer than the layout, older
  when shorter); none either: the defaults stay and a problem is raised.

Bytes beyond the layout in any read mean a newer firmware as well.  A dimension table read
later always wins over what was inferred (``Device.learn``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations, product
from typing import Any

from osgpdissect.lang import model as m
from osgpdissect.layout.binder import Binder, BindError, LBits, version_key

MAX_CHANGES = 3  # values changed at once
WINDOW = 16  # enumerated values around a dimension's present value
MAX_EVALUATIONS = 600  # layouts sized per search (about a second at worst)
_SKIPPED_PREFIXES = ("BT00.",)  # number formats: not dimensions


@dataclass
class Inference:
    """What one decode learned from the size of its bytes."""

    notes: list[str] = field(default_factory=list)  # said in the record
    problems: list[str] = field(default_factory=list)  # raised as a visible problem (!)


@dataclass(frozen=True)
class Variable:
    key: str
    current: int
    lo: int
    hi: int

    def alternatives(self) -> list[int]:
        """Values to enumerate, other than the present one, nearest first: 0 and a window
        around the present value (the widest variable of a search is solved for instead)."""
        near = range(max(self.lo, self.current - WINDOW), min(self.hi, self.current + WINDOW) + 1)
        vals = {v for v in near if v != self.current}
        if self.lo == 0 and self.current != 0:
            vals.add(0)
        return sorted(vals, key=lambda v: (abs(v - self.current), v))


class _Trial:
    """A hypothetical device: ``values`` replace the inferred ones, ``fw`` the firmware."""

    def __init__(self, device: Any, values: dict[str, int], fw: m.Version | None = None):
        self.device = device
        self.values = values
        self.fw = fw

    def setting(self, name: str):
        if self.fw is not None:
            if name == "fw":
                return self.fw
            if name in ("generation", "x") and self.device.generation is None \
                    and not self.device.setting("cpm"):
                gen = 4 if self.fw.major >= 4 else 3
                return gen if name == "generation" else int(gen >= 4)
        return self.device.setting(name)

    def remote(self, ref: m.Ref, path: tuple, search: bool = False) -> int:
        return self.device.lookup(ref, path, search, trial=self)


class _Sizer(Binder):
    """A binder that only needs the size: no stated offsets, ``sizeof`` remembered."""

    def __init__(self, spec: m.Spec, resolver: Any):
        super().__init__(spec, resolver)
        self._sizes: dict[str | None, Any] = {}

    def eval_stated(self, stated):
        return ()

    def _call(self, e: m.Call):
        if e.name != "sizeof":
            return super()._call(e)
        if e.type_name not in self._sizes:
            self._sizes[e.type_name] = super()._call(e)
        return self._sizes[e.type_name]


class _Search:
    def __init__(self, device: Any, table_id: str):
        self.device = device
        self.table_id = table_id
        decl = device.spec.find(table_id)
        self.args: tuple = ()
        if isinstance(decl, m.Table) and decl.header.layout_of:
            self.args = decl.header.layout_args
            decl = device.spec.find(decl.header.layout_of) or decl
        self.decl = decl
        self.evaluations = 0
        self._memo: dict[tuple, int | None] = {}

    def size(self, values: dict[str, int], fw: m.Version | None = None) -> int | None:
        key = (tuple(sorted(values.items())), fw)
        if key in self._memo:
            return self._memo[key]
        self.evaluations += 1
        trial = _Trial(self.device, {**self.device.inferred, **values}, fw)
        try:
            size = _Sizer(self.device.spec, trial).bind_table(self.decl, self.table_id,
                                                              args=self.args).size
        except (BindError, IndexError, ZeroDivisionError, ValueError, OverflowError):
            size = None  # values the layout cannot take
        self._memo[key] = size
        return size

    @property
    def exhausted(self) -> bool:
        return self.evaluations >= MAX_EVALUATIONS


def infer(device: Any, table_id: str, offset: int, data: bytes, table_size: int | None,
          evidence: str) -> Inference:
    """Make the device's layout of ``table_id`` agree with the size its bytes show.

    ``table_size``: the table's size known from the bytes (a full read: ``len(data)``), or
    None (then only bytes beyond the layout count, as evidence of a newer firmware)."""
    out = Inference()
    decl = device.spec.find(table_id)
    if not isinstance(decl, m.Table) or decl.header.status == "referenced":
        return out
    try:
        bound = device.bound(table_id)
    except BindError:
        return out
    size, end = bound.size, offset + len(data)
    agrees = size is None or (size == table_size if table_size is not None else end <= size)
    if agrees:
        _earlier(device, bound, out)
        return out
    miss = (table_id, table_size, end, bound.key, device.setting("fw"))
    if miss in device.inference_misses:  # searched before, in vain: say it again, do not search
        out.problems.append(device.inference_misses[miss])
        _earlier(device, bound, out)
        return out
    search = _Search(device, table_id)
    what = f"the {table_size}-byte {evidence}" if table_size is not None else \
        f"{end - size} byte(s) beyond the {size}-byte layout"
    variables = _variables(device, bound) if table_size is not None else []
    if variables:
        solutions = _solve(search, variables, table_size)
        if solutions:
            _adopt(device, search, bound, variables, solutions, what, out)
            return out
    if _infer_firmware(device, search, size, table_size, end, table_id, evidence, out):
        return out
    names = ", ".join(v.key for v in variables)
    tried = f" (searched {names}" + (" and the firmware" if _fw_free(device) else "") + ")" \
        if names else (" (searched the firmware)" if _fw_free(device) else "")
    if names or _fw_free(device):
        stopped = f", search stopped after {search.evaluations} layouts" if search.exhausted else ""
        problem = f"{what} of {table_id} fits no dimension set{tried}{stopped}: decoded with the spec defaults"
        out.problems.append(problem)
        device.inference_misses[miss] = problem
    _earlier(device, bound, out)
    return out


def _earlier(device: Any, bound: Any, out: Inference) -> None:
    if bound.inferred_used:
        shown = ", ".join(f"{k} = {device.inferred[k]}" for k in bound.inferred_used
                          if k in device.inferred)
        if shown:
            out.notes.append(f"dimensions inferred earlier from table sizes: {shown}")


def _fw_free(device: Any) -> bool:
    return device.fw is None and "fw" not in device.settings


# ------------------------------------------------------------------------- dimensions


def _variables(device: Any, bound: Any) -> list[Variable]:
    out: list[Variable] = []
    for key in (*bound.defaults_used, *bound.inferred_used):
        if key.startswith(_SKIPPED_PREFIXES) or any(v.key == key for v in out):
            continue
        var = _variable(device, key)
        if var is not None:
            out.append(var)
    return out


def _variable(device: Any, key: str) -> Variable | None:
    """The dimension ``key`` with its present value and the domain the search may use."""
    table_id, *path = key.split(".")
    ref = m.Ref((table_id, *path))
    parts = tuple(int(p) if p.isdigit() else p for p in path)
    try:
        current = int(device.lookup(ref, parts))
    except (BindError, IndexError, ValueError):
        return None
    lo, hi = 0, max(2 * current, current + WINDOW, 255)
    try:
        decl = device.spec.find(table_id)
        if isinstance(decl, m.Table) and decl.header.status != "referenced" and decl.body:
            from osgpdissect.layout.device import _locate  # the device's own path walk

            _off, node, member, _i = _locate(device.bound(table_id).root, parts, ref)
            meta = member.meta if member is not None else node.meta
            bits = member.width if member is not None else 8 * (node.size or 1)
            if isinstance(node, LBits) and member is None:
                return None  # a whole bit field is no dimension
            hi = (1 << bits) - 1
            if meta.valid_range is not None:
                lo, hi = meta.valid_range
    except (BindError, IndexError):
        pass
    if not lo <= current <= hi:
        lo, hi = min(lo, current), max(hi, current)
    return Variable(key, current, lo, hi)


def _solve(search: _Search, variables: list[Variable], target: int) -> list[dict[str, int]]:
    """Assignments giving ``target`` bytes: fewest changes first, then smallest change."""
    for k in range(1, min(MAX_CHANGES, len(variables)) + 1):
        found: list[dict[str, int]] = []
        for subset in combinations(variables, k):
            # the widest domain is solved for, the others are enumerated
            inner = max(subset, key=lambda v: v.hi - v.lo)
            outer = [v for v in subset if v is not inner]
            for combo in product(*(v.alternatives() for v in outer)):
                if search.exhausted:
                    break
                fixed = {v.key: c for v, c in zip(outer, combo, strict=True)}
                found += [{**fixed, inner.key: x} for x in _solve_one(search, fixed, inner, target)]
        if found:
            return sorted(found, key=lambda a: _distance(a, variables))
        if search.exhausted:
            break
    return []


def _solve_one(search: _Search, fixed: dict[str, int], var: Variable, target: int) -> list[int]:
    """Values of ``var`` (not its present one) giving ``target``, the others ``fixed``."""
    alts = var.alternatives()
    if var.hi - var.lo <= 3:
        return [v for v in alts if search.size({**fixed, var.key: v}) == target]
    a = search.size({**fixed, var.key: var.lo})
    b = search.size({**fixed, var.key: var.lo + 1})
    c = search.size({**fixed, var.key: var.lo + 2})
    if a is None or b is None or c is None or c - b != b - a:
        # not a straight line (elements laid out by index, say): try the values near it
        return [v for v in alts if search.size({**fixed, var.key: v}) == target]
    slope = b - a
    if slope == 0:
        return []  # the size does not depend on it here
    step, rest = divmod(target - a, slope)
    value = var.lo + step
    if rest == 0 and var.lo <= value <= var.hi and value != var.current \
            and search.size({**fixed, var.key: value}) == target:
        return [value]
    return []


def _distance(assign: dict[str, int], variables: list[Variable]) -> tuple[int, int]:
    current = {v.key: v.current for v in variables}
    return len(assign), sum(abs(v - current[k]) for k, v in assign.items())


def _adopt(device: Any, search: _Search, bound: Any, variables: list[Variable],
           solutions: list[dict[str, int]], what: str, out: Inference) -> None:
    chosen = solutions[0]
    before = {v.key: v.current for v in variables}
    device.inferred.update(chosen)
    device.forget_layouts()
    after = {}
    for v in variables:
        var = _variable(device, v.key)
        if var is not None:
            after[v.key] = var.current
    shown = [f"{k} = {after.get(k, val)}" for k, val in chosen.items()]
    follows = [f"{k} = {val}" for k, val in after.items() if k not in chosen and before.get(k) != val]
    note = f"dimensions inferred from {what}: " + ", ".join(shown)
    if follows:
        note += " (with it, from the spec defaults: " + ", ".join(follows) + ")"
    others = solutions[1:4]
    if others:
        note += "; also fitting: " + "; ".join(", ".join(f"{k} = {v}" for k, v in o.items())
                                              for o in others)
        if len(solutions) > 4:
            note += f" (+{len(solutions) - 4} more)"
    out.notes.append(note)


# ------------------------------------------------------------------------- firmware


_VERSIONS: dict[int, tuple[Any, tuple[m.Version, ...]]] = {}


def spec_versions(spec: m.Spec) -> tuple[m.Version, ...]:
    """Every firmware version the spec compares with, in order."""
    hit = _VERSIONS.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    found: set[tuple[int, int]] = set()
    seen: set[int] = set()
    leaves = (str, int, float, bool, type(None), m.Pos)
    stack: list[Any] = [*spec.tables.values(), *spec.procedures.values(), *spec.records.values()]
    while stack:
        x = stack.pop()
        if isinstance(x, m.Version):
            found.add(x.key)
        elif isinstance(x, leaves) or id(x) in seen:
            continue
        else:
            seen.add(id(x))
            if isinstance(x, (tuple, list)):
                stack.extend(x)
            elif isinstance(x, dict):
                stack.extend(x.values())
            else:
                names = getattr(x, "__dataclass_fields__", None)
                if names:
                    stack.extend(getattr(x, name) for name in names)
    versions = tuple(m.Version(a, b) for a, b in sorted(found))
    _VERSIONS[id(spec)] = (spec, versions)
    return versions


def _infer_firmware(device: Any, search: _Search, size: int, table_size: int | None, end: int,
                    table_id: str, evidence: str, out: Inference) -> bool:
    if not _fw_free(device):
        return False
    fw = device.setting("fw")
    if fw is None:
        return False
    here = version_key(fw)
    module = bool(device.setting("cpm"))
    series = [v for v in spec_versions(device.spec) if (v.major <= 1) == module]
    want = table_size if table_size is not None else end
    n = f"{want}-byte {table_id}" + (f" ({evidence})" if table_size is not None else "")
    if want > size:  # longer than the layout: a newer firmware, the first whose layout fits
        for v in (v for v in series if v.key > here):
            got = search.size({}, v)
            if got is not None and (got == want if table_size is not None else got >= want):
                _set_fw(device, v)
                out.notes.append(f"firmware >= {_vtext(v)} inferred from the {n}")
                return True
        return False
    older = [v for v in reversed(series) if v.key < here]
    above = fw
    for v in older:  # shorter: an older firmware, the newest whose layout fits
        got = search.size({}, v)
        if got == want:
            _set_fw(device, v)
            out.notes.append(f"firmware < {_vtext(above)} inferred from the {n}")
            return True
        above = v
    return False


def _set_fw(device: Any, v: m.Version) -> None:
    device.inferred_fw = v
    device.forget_layouts()


def _vtext(v: Any) -> str:
    return f"{v.major}.{v.minor:02d}" if isinstance(v, m.Version) else str(v)
