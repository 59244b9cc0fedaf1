"""What one meter has taught us: firmware, generation and the bytes of its dimension tables.

A :class:`Device` answers the binder's questions (``ET11.num_devices``, ``fw``, ...) from
table bytes learned in a capture, from explicit settings, or from the spec's defaults under
the chosen profile — and remembers which defaults it had to use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from osgpdissect.errors import OsgpError
from osgpdissect.lang import model as m
from osgpdissect.layout import inference
from osgpdissect.layout.binder import (
    COUNT_PART,
    Binder,
    BindError,
    Bound,
    LArray,
    LBitMember,
    LBits,
    LBlob,
    LNode,
    LRecord,
)

IntReader = Callable[[bytes], int]
IntReaderFactory = Callable[[LNode], IntReader]
"""Makes, for one layout node, the reader of the integer its complete bytes hold."""

_registered: list[IntReaderFactory] = []


def register_int_reader(factory: IntReaderFactory) -> None:
    """Set the reader factory Devices use when none is given (:mod:`osgpdissect.codec` registers
    its own on import: table bytes are interpreted by the codec only)."""
    _registered[:] = [factory]


def _registered_reader() -> IntReaderFactory:
    if not _registered:
        raise OsgpError("no table reader registered: import osgpdissect.codec before reading "
                        "dimension values from table bytes")
    return _registered[0]


class _Sparse:
    """Bytes of one table known so far (partial reads fill holes)."""

    __slots__ = ("data", "known")

    def __init__(self):
        self.data = bytearray()
        self.known = bytearray()

    def put(self, offset: int, chunk: bytes) -> None:
        end = offset + len(chunk)
        if end > len(self.data):
            grow = end - len(self.data)
            self.data += bytes(grow)
            self.known += bytes(grow)
        self.data[offset:end] = chunk
        self.known[offset:end] = b"\x01" * len(chunk)

    def get(self, offset: int, size: int) -> bytes | None:
        end = offset + size
        if end > len(self.data) or self.known.find(0, offset, end) >= 0:
            return None
        return bytes(self.data[offset:end])

    def holds(self, offset: int, chunk: bytes) -> bool:
        """Whether ``chunk`` is already known at ``offset``."""
        end = offset + len(chunk)
        return (
            end <= len(self.data)
            and self.data[offset:end] == chunk
            and self.known.find(0, offset, end) < 0
        )


def parse_version(text: str | float | int | m.Version) -> m.Version:
    """A firmware version as the guide writes it: ``"3.50"`` (major 3, revision 50).

    A number (``4.3`` from JSON) and a one-digit revision (``"4.3"``) read as decimals: 4.30.
    """
    if isinstance(text, m.Version):
        return text
    if isinstance(text, bool):
        raise OsgpError(f"firmware version must look like 3.50 or 4.0, got {text!r}")
    if isinstance(text, (int, float)):
        text = f"{text:.2f}"
    try:
        major, minor = (str(text).strip().split(".") + ["0"])[:2]
        if len(minor) == 1:
            minor += "0"
        if len(minor) != 2 or int(minor) < 0 or int(major) < 0:
            raise ValueError(text)
        return m.Version(int(major), int(minor))
    except ValueError:
        raise OsgpError(f"firmware version must look like 3.50 or 4.0, got {text!r}") from None


def _profile(spec: m.Spec, name: str | None) -> m.Profile:
    """The spec's profile ``name`` (its first when None); OsgpError naming the known ones."""
    if not spec.profiles:
        return m.Profile("none", "none", ())
    try:
        return spec.profile(name)
    except KeyError:
        known = ", ".join(p.name for p in spec.profiles)
        raise OsgpError(f"unknown profile {name!r} (known: {known})") from None


class Device:
    """The decode context of one meter.

    ``profile`` names a spec profile (``gen3``, ``gen4``); ``fw``/``generation`` override it;
    ``values`` pre-seeds dimension values as ``{"ET11.num_devices": 6}``.  ``int_reader`` makes
    the reader of a dimension field's bytes (default: the one :mod:`osgpdissect.codec` registers).
    """

    def __init__(self, spec: m.Spec, profile: str | None = None, *, fw: str | m.Version | None = None,
                 generation: int | None = None, values: dict[str, int] | None = None,
                 settings: dict[str, int] | None = None, int_reader: IntReaderFactory | None = None):
        self.spec = spec
        self._int_reader = int_reader  # None: the registered one (the codec's)
        self._int_readers: dict[int, tuple[LNode, IntReader]] = {}  # id(node) -> (node, reader)
        self.profile = _profile(spec, profile)
        self.fw = parse_version(fw) if fw is not None else None
        self.generation = generation
        self.values = dict(values or {})
        self.settings = dict(settings or {})  # context overrides: cpm, two_mep_ports
        self._tables: dict[str, _Sparse] = {}
        self._bound: dict[tuple[str, str], Bound] = {}
        self._deps: dict[tuple[str, str], set[str]] = {}  # bound layout -> tables it consulted
        self._consulted: set[str] = set()  # every table some layout ever consulted (a superset)
        self._dep_stack: list[set[str]] = []
        self._binding: list[tuple[str, str]] = []
        self._defaults: list[str] = []
        # What the bytes themselves showed (Device.infer): dimension values and a firmware, used
        # after real table bytes and before the spec defaults; a dimension table read wins.
        self.inferred: dict[str, int] = {}
        self.inferred_fw: m.Version | None = None
        self._inferred_hits: list[str] = []
        self.inference_misses: dict[tuple, str] = {}  # searches that found nothing (not repeated)
        self.version = 0

    # ------------------------------------------------------------------ learning
    MAX_LEARN = 1 << 20  # no table of the guide comes near this; a bogus 24-bit offset must not allocate
    MAX_DIMS_FILE = 1 << 20  # bytes of a --dims file

    def learn(self, table_id: str, offset: int, data: bytes) -> None:
        """Remember bytes of a table (a read response or write request at ``offset``)."""
        if not data or offset < 0 or offset + len(data) > self.MAX_LEARN:
            return
        sparse = self._tables.get(table_id)
        if sparse is None:
            sparse = self._tables[table_id] = _Sparse()
        elif sparse.holds(offset, data):
            return  # nothing new: every cached layout still holds
        sparse.put(offset, bytes(data))
        if self.inferred:
            prefix = table_id + "."
            for key in [k for k in self.inferred if k.startswith(prefix)]:
                del self.inferred[key]  # the real dimension table always wins
        if table_id in self._consulted:
            for k in [k for k, deps in self._deps.items() if table_id in deps]:
                self._bound.pop(k, None)
                self._deps.pop(k, None)
        self.version += 1

    def known(self, table_id: str, offset: int, size: int) -> bytes | None:
        t = self._tables.get(table_id)
        return t.get(offset, size) if t else None

    @classmethod
    def from_file(cls, spec: m.Spec, path: str | Path, profile: str | None = None) -> Device:
        """Load ``--dims FILE``: JSON ``{"profile": "gen4", "fw": "4.30", "cpm": 0, "ET11.num_devices": 6}``."""
        try:
            with open(path, "rb") as fh:
                data = fh.read(cls.MAX_DIMS_FILE + 1)
        except OSError as exc:
            raise OsgpError(f"{path}: cannot read dimensions file ({exc})") from None
        if len(data) > cls.MAX_DIMS_FILE:  # a few entries; more is the wrong file (/dev/zero)
            raise OsgpError(f"{path}: larger than {cls.MAX_DIMS_FILE} bytes: not a dimensions file")
        try:
            raw = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise OsgpError(f"{path}: cannot read dimensions file ({why})") from None
        if not isinstance(raw, dict):
            raise OsgpError(f"{path}: dimensions file must hold a JSON object")
        prof = raw.pop("profile", profile)
        fw = raw.pop("fw", None)
        gen = raw.pop("generation", None)
        settings = {k: raw.pop(k) for k in ("cpm", "two_mep_ports") if k in raw}
        try:
            values = {k: int(v) for k, v in raw.items()}
            sets = {k: int(v) for k, v in settings.items()}
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise OsgpError(f"{path}: bad dimensions entry ({exc})") from None
        for name, value in values.items():
            if not 0 <= value <= cls.MAX_LEARN:  # a count of elements: no table holds more
                shown = str(value) if len(str(value)) <= 20 else f"{str(value)[:12]}... (huge)"
                raise OsgpError(f"{path}: dimension {name} = {shown} is out of range "
                                f"(0 .. {cls.MAX_LEARN})")
        try:
            return cls(spec, prof, fw=fw, generation=int(gen) if gen is not None else None,
                       values=values, settings=sets)
        except OsgpError as exc:
            raise OsgpError(f"{path}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise OsgpError(f"{path}: bad dimensions entry ({exc})") from None

    # ------------------------------------------------------------------ resolver protocol
    def setting(self, name: str):
        if name in self.settings:
            return self.settings[name]
        if name == "fw":
            return self.fw or self.inferred_fw or self.profile.get("fw")
        if name == "generation":
            if self.generation is not None:
                return self.generation
            if self.inferred_fw is not None and not self.setting("cpm"):
                return 4 if self.inferred_fw.major >= 4 else 3
            return self.profile.get("generation")
        if name == "x":
            gen = self.setting("generation")
            if gen is None:
                return self.profile.get("x")
            return 1 if int(gen) >= 4 else 0
        if name in ("ni_format1", "ni_format2"):
            if "BT00" not in self.spec.tables:
                return 8
            try:
                return self.remote(m.Ref(("BT00", name)), (name,), search=True)
            except BindError:
                return 8
        return self.profile.get(name)

    def remote(self, ref: m.Ref, path: tuple, search: bool = False) -> int:
        return self.lookup(ref, path, search)

    def lookup(self, ref: m.Ref, path: tuple, search: bool = False, trial=None) -> int:
        """A dimension value: explicit, from table bytes, inferred, or the spec default.

        ``trial`` (a resolver with ``values``): a hypothetical device for Device.infer, whose
        values replace the inferred ones and through which defaults are evaluated; nothing is
        recorded on this device then."""
        table_id = str(ref.parts[0])
        if trial is None:
            for deps in self._dep_stack:
                deps.add(table_id)
        key = f"{table_id}." + ".".join(str(p) for p in path)
        if key in self.values:
            return self.values[key]
        if trial is not None and key in trial.values:
            return trial.values[key]
        used = self._defaults if trial is None else []
        via = self if trial is None else trial
        table = self.spec.tables.get(table_id)
        if table is None:
            raise BindError(ref.pos, f"unknown table {table_id} in {ref.text()}")
        if table.header.status == "referenced" or not table.body:
            for d in table.header.dims:
                if d.id == path[0]:
                    if trial is None and key in self.inferred:
                        self._inferred_hits.append(key)
                        return self.inferred[key]
                    used.append(key)
                    return self._eval_default(d.default, ref.pos, key, via=via)
            raise BindError(ref.pos, f"{table_id} is not laid out in the guide and has no dim {path[0]!r}")
        if table.header.layout_of:
            table_id = table.header.layout_of
        if path and path[-1] == COUNT_PART:
            return self._element_count(table_id, ref, path[:-1], key, used, trial)
        bound = self.bound(table_id)
        if search:
            path = _find_path(bound.root, path[0]) or path
        offset, node, member, index = _locate(bound.root, path, ref)
        raw = self.known(table_id, offset, node.size or 0) if node.size else None
        if raw is not None:
            try:
                value = self._int_of(node, raw)
            except TypeError as exc:  # a date or time field: no number
                raise BindError(ref.pos, f"{ref.text()}: {exc}") from None
            if member is not None:
                value = (value >> member.lo) & ((1 << member.width) - 1)
            return value
        if trial is None and key in self.inferred:
            self._inferred_hits.append(key)
            return self.inferred[key]
        meta = member.meta if member is not None else node.meta
        if meta.default is not None:
            used.append(key)
            return self._eval_default(meta.default, ref.pos, key, index, via=via)
        if meta.value is not None:
            try:
                v = int(meta.value, 0)
            except ValueError:
                v = None
            if v is not None:
                used.append(key)
                return v
        raise BindError(ref.pos, f"{key} is used as a dimension but has no numeric value or default in the spec")

    def known_value(self, ref: m.Ref, path: tuple) -> int | None:
        """A value of another table from its bytes only (None when they were not read)."""
        table_id = str(ref.parts[0])
        for deps in self._dep_stack:
            deps.add(table_id)  # reading the table later changes the label
        if table_id not in self._tables:
            return None
        try:
            offset, node, member, _index = _locate(self.bound(table_id).root, path, ref)
        except (BindError, IndexError):
            return None
        raw = self.known(table_id, offset, node.size or 0) if node.size else None
        if raw is None:
            return None
        try:
            value = self._int_of(node, raw)
        except TypeError:  # a date or time field: no number
            return None
        return (value >> member.lo) & ((1 << member.width) - 1) if member is not None else value

    def _element_count(self, table_id: str, ref: m.Ref, path: tuple, key: str, used: list,
                       trial) -> int:
        """Elements of the `[*]` array at ``path`` (``count(BT61.sets)``): from the table's bytes
        known from offset 0 on, else inferred, else 1."""
        node: LNode = self.bound(table_id).root
        offset = 0
        for part in path:
            if not isinstance(node, LRecord):
                raise BindError(ref.pos, f"{ref.text()}: {node.id} has no field {part!r}")
            node, offset = _child(node, str(part), offset, ref)
        el = node.element if isinstance(node, LArray) else None
        if not isinstance(node, LArray) or node.count is not None or el is None or not el.size:
            raise BindError(ref.pos, f"count({ref.text()}) needs a `[*]` array of fixed-size elements")
        sparse = self._tables.get(table_id)
        if sparse is not None:
            gap = sparse.known.find(0)
            known = len(sparse.known) if gap < 0 else gap
            if known >= offset + el.size:
                return (known - offset) // el.size
        if trial is None and key in self.inferred:
            self._inferred_hits.append(key)
            return self.inferred[key]
        used.append(key)
        return 1

    def _eval_default(self, expr: m.Expr, pos: m.Pos, key: str, index: int | None = None,
                      via=None) -> int:
        b = Binder(self.spec, via if via is not None else self)
        if index is not None:
            b.statics.append({"index": index})
        v = b.peval(expr)
        if isinstance(v, m.Version) or not isinstance(v, (int, bool)):
            raise BindError(pos, f"the default of {key} must be a number")
        return int(v)

    # ------------------------------------------------------------------ binding
    def bound(self, table_id: str, part: str = "table") -> Bound:
        """The table's layout for this device (cached until something new is learned)."""
        ck = (table_id, part)
        hit = self._bound.get(ck)
        if hit is not None:
            return hit
        decl = self.spec.find(table_id)
        if decl is None:
            raise BindError(m.NOPOS, f"unknown table or procedure {table_id}")
        args: tuple = ()
        if isinstance(decl, m.Table) and decl.header.layout_of:
            other = self.spec.find(decl.header.layout_of)
            if other is None:
                raise BindError(decl.pos, f"layout {decl.header.layout_of}: unknown table")
            decl, args = other, decl.header.layout_args
        if ck in self._binding:
            raise BindError(decl.pos, f"{table_id} depends on itself ({' -> '.join(t for t, _ in self._binding)})")
        self._binding.append(ck)
        self._dep_stack.append({"BT00"})  # NI formats come from BT00
        mark = len(self._defaults)
        hits = len(self._inferred_hits)
        try:
            root = Binder(self.spec, self).bind_table(decl, table_id, part, args)
        finally:
            self._binding.pop()
            deps = self._dep_stack.pop()
        self._deps[ck] = deps
        self._consulted |= deps
        used = tuple(dict.fromkeys(self._defaults[mark:]))
        inferred = tuple(dict.fromkeys(self._inferred_hits[hits:]))
        result = Bound(table_id, root, used, key=f"{table_id}:{part}:{hash(root)}",
                       inferred_used=inferred)
        self._bound[ck] = result
        return result

    _READER_CACHE = 4096  # nodes of layouts since dropped are let go past this

    def _int_of(self, node: LNode, raw: bytes) -> int:
        """The integer of a dimension field's bytes, read by the codec's reader for the node
        (made once per node)."""
        hit = self._int_readers.get(id(node))
        if hit is None or hit[0] is not node:
            if len(self._int_readers) >= self._READER_CACHE:
                self._int_readers.clear()
            hit = (node, (self._int_reader or _registered_reader())(node))
            self._int_readers[id(node)] = hit
        return hit[1](raw)

    def forget_layouts(self) -> None:
        """Drop every cached layout (after something inferred changed the context)."""
        self._bound.clear()
        self._int_readers.clear()
        self._deps.clear()
        self.version += 1

    def infer(self, table_id: str, offset: int, data: bytes, table_size: int | None = None,
              evidence: str = "full read"):
        """Dimensions and firmware from the size of table bytes (see osgpdissect.layout.inference)."""
        return inference.infer(self, table_id, offset, data, table_size, evidence)


def _find_path(root: LRecord, name: str) -> tuple | None:
    """Depth-first search for a field or bit member called ``name`` (first array element)."""

    def walk(n: LNode, path: tuple):
        if n.id == name and path:
            return path
        if isinstance(n, LBits):
            for mb in n.members:
                if mb.id == name:
                    return path + (name,)
        if isinstance(n, LRecord):
            for c in n.children:
                hit = walk(c, path if n.synthetic else path + (c.id,))
                if hit:
                    return hit
        return None

    for c in root.children:
        hit = walk(c, (c.id,))
        if hit:
            return hit
    return None


def _locate(root: LRecord, path: tuple, ref: m.Ref):
    """(absolute offset, node, bit member or None) of a static field path."""
    node: LNode = root
    offset = 0
    member = None
    index = None
    for part in path:
        if member is not None:
            raise BindError(ref.pos, f"{ref.text()}: a bit has no fields")
        if isinstance(part, int) and isinstance(node, LBits):
            # a bit chosen by number (BT60.lp_flags[6 + ds]): the member that is that bit
            if not 0 <= part < node.width * 8:
                raise BindError(ref.pos, f"{ref.text()}: bit {part} is outside {node.id}")
            member = next((mb for mb in node.members if mb.lo == mb.hi == part), None) \
                or LBitMember(f"bit_{part}", "BOOL", part, part, m.Meta())
            continue
        if isinstance(part, int):
            if not isinstance(node, LArray):
                raise BindError(ref.pos, f"{ref.text()}: {node.id} is not an array")
            if isinstance(node.count, int) and part >= node.count:
                raise IndexError(part)
            index = part
            if node.element is not None:
                el = node.element
                if el.size is None:
                    raise BindError(ref.pos, f"{ref.text()}: element size depends on the data")
                offset += part * el.size
                node = el
            else:
                i = part
                for count, el in node.segments:
                    if i < count:
                        offset += i * (el.size or 0)
                        node = el
                        break
                    offset += count * (el.size or 0)
                    i -= count
                else:
                    raise IndexError(part)
            continue
        if isinstance(node, LBits):
            for mb in node.members:
                if mb.id == part:
                    member = mb
                    break
            else:
                raise BindError(ref.pos, f"{ref.text()}: {node.id} has no bit {part!r}")
            continue
        if isinstance(node, LArray):
            # implicit element 0 (the guide's `BT61.x` for single-data-set meters)
            node, offset = (node.element or node.segments[0][1]), offset
        if not isinstance(node, LRecord):
            raise BindError(ref.pos, f"{ref.text()}: {node.id} has no field {part!r}")
        found = _child(node, part, offset, ref)
        node, offset = found
    if isinstance(node, (LRecord, LArray)) or (isinstance(node, LBlob) and node.kind not in ("bytes",)):
        raise BindError(ref.pos, f"{ref.text()} is not a number")
    return offset, node, member, index


def _child(rec: LRecord, name: str, offset: int, ref: m.Ref):
    o = offset
    for c in rec.children:
        if isinstance(c, LRecord) and c.synthetic:
            hit = _child(c, name, o, ref)
            if hit:
                return hit
        if c.id == name:
            return c, o
        if c.size is None:
            raise BindError(ref.pos, f"{ref.text()}: the offset of {name!r} depends on the data")
        o += c.size
    raise BindError(ref.pos, f"{ref.text()}: no field {name!r} in {rec.id}")

