"""A meter image: table bytes built from values through the codec, plus keys and firmware.

The image file (TOML or JSON) holds ``profile``, ``fw``, ``kind`` (the server: ``osgp``, a
meter, the default; ``cpm0600``, ``cpm6000``, ``cpm6010``: the spec's access lists), a ``[keys]`` table (as a key file:
``mak``, ``mbk``, ``rc4_key``), an ``[optical]`` table (``password``) and ``[tables.<ID>]`` tables, each either field values by field
id (unspecified fields take the spec's defaults) or ``hex = "..."`` (the table's bytes, as
``osgpdissect twin`` writes them).  Dimension tables (ET11, BT21, BT00) are built first, so the
other tables are laid out by the dimensions the image holds.  A table of the spec the image
does not name is built from defaults when first touched.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from osgpdissect.codec import Device, decode_table, encode_table, table_size
from osgpdissect.errors import DecodeError, OsgpError
from osgpdissect.lang import model as m
from osgpdissect.lang.spec import load_default_spec
from osgpdissect.security.keys import KeyRing

__all__ = ["ImageError", "MeterImage"]

DIMENSION_TABLES = ("BT00", "BT21", "ET11")


class ImageError(OsgpError):
    """A meter image that cannot be loaded or built."""


class MeterImage:
    """Table bytes of one simulated meter, laid out by its own dimension tables."""

    def __init__(self, spec: m.Spec | None = None, profile: str = "gen4", fw: str | None = None,
                 keys: KeyRing | None = None) -> None:
        self.spec = spec or load_default_spec()
        self.profile = profile
        self.fw = fw
        self.device = Device(self.spec, profile, fw=fw)
        self.keys = keys or KeyRing()
        self.tables: dict[str, bytearray] = {}
        self.password = b""  # the optical port's security password
        self.seq: int | None = None  # the MEP server's last sequence number, when given
        self.kind = "osgp"  # the MEP server: osgp (a meter), cpm0600, cpm6000, cpm6010

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path, spec: m.Spec | None = None) -> MeterImage:
        """Read an image file (``.json``, else TOML)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise ImageError(f"{path}: cannot read the meter image ({why})") from None
        return cls.from_mapping(data, spec, source=str(path))

    @classmethod
    def from_mapping(cls, data: dict[str, Any], spec: m.Spec | None = None,
                     source: str = "image") -> MeterImage:
        keys = KeyRing.from_mapping(data.get("keys", {}), f"{source}: keys")
        fw = data.get("fw")
        image = cls(spec, str(data.get("profile", "gen4")), str(fw) if fw is not None else None,
                    keys)
        image.kind = str(data.get("kind", "osgp"))
        mep = data.get("mep", {})
        if isinstance(mep, dict) and mep.get("seq") is not None:
            image.seq = int(mep["seq"]) & 0xFFFFFFFF
        optical = data.get("optical", {})
        if isinstance(optical, dict) and optical.get("password"):
            image.password = str(optical["password"]).encode("latin-1")
        tables = data.get("tables", {})
        if not isinstance(tables, dict):
            raise ImageError(f"{source}: 'tables' must be a table of tables")
        order = [t for t in DIMENSION_TABLES if t in tables]
        order += [t for t in tables if t not in DIMENSION_TABLES]
        for table in order:
            entry = tables[table]
            if not isinstance(entry, dict):
                raise ImageError(f"{source}: tables.{table} must be a table")
            image.set_table(table, entry)
        return image

    def set_table(self, table: str, entry: dict[str, Any]) -> None:
        """Set a table from values (``{"field": value}``) or ``{"hex": "..."}``."""
        table = table.upper()
        if "hex" in entry:
            try:
                data = bytes.fromhex(str(entry["hex"]).replace(" ", ""))
            except ValueError:
                raise ImageError(f"tables.{table}.hex is not hex") from None
        else:
            data = self.build(table, entry)
        self.put(table, 0, data)

    def build(self, table: str, values: dict[str, Any]) -> bytes:
        """Table bytes from values, through the codec, against this meter's dimensions."""
        try:
            data = encode_table(self.spec, table, dict(values), self.device)
            known = decode_table(self.spec, table, data, 0, self.device).values()
        except DecodeError as exc:
            raise ImageError(str(exc)) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ImageError(f"{table}: cannot build the table from its values ({exc})") from None
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ImageError(f"{table}: no field {', '.join(unknown)} at the top of the table "
                             f"(its fields: {', '.join(known)})")
        return data

    # ------------------------------------------------------------------ access
    def knows(self, table: str) -> bool:
        return table in self.tables or self.spec.find(table) is not None

    def get(self, table: str) -> bytearray | None:
        """The table's bytes (built from defaults when the spec knows it and the image does not
        hold it); None when the table does not exist on this meter."""
        data = self.tables.get(table)
        if data is not None:
            return data
        decl = self.spec.find(table)
        if not isinstance(decl, m.Table):
            return None
        try:
            size = table_size(self.spec, table, self.device)
            data_bytes = self.build(table, {})
        except (DecodeError, ImageError):
            return None
        if size is not None and len(data_bytes) != size:
            return None
        self.put(table, 0, data_bytes)
        return self.tables[table]

    def put(self, table: str, offset: int, data: bytes) -> None:
        """Store bytes at ``offset`` (the table grows when needed); the device learns them."""
        current = self.tables.setdefault(table, bytearray())
        end = offset + len(data)
        if end > len(current):
            current.extend(bytes(end - len(current)))
        current[offset:end] = data
        self.device.learn(table, 0, bytes(current))

    def access(self, table: str, op: str) -> tuple[str, ...]:
        """The keys allowed to ``op`` (read/write) ``table`` on this kind of server, by the
        spec (both keys when the spec does not say)."""
        decl = self.spec.find(table)
        if decl is None:
            return ("MAK", "MBK")
        for entry in decl.header.access:
            if entry.op == op:
                return entry.keys if not entry.clients or self.kind in entry.clients else ()
        return ("MAK", "MBK") if op == "read" else ("MAK",)

    def to_mapping(self) -> dict[str, Any]:
        """The image as a mapping with every table as hex (keys and passwords not written)."""
        out: dict[str, Any] = {"profile": self.profile}
        if self.fw:
            out["fw"] = self.fw
        if self.seq is not None:
            out["mep"] = {"seq": self.seq}
        out["tables"] = {t: {"hex": bytes(d).hex()} for t, d in sorted(self.tables.items())}
        return out

    def to_toml(self) -> str:
        """The image as TOML text (what :meth:`load` reads back)."""
        data = self.to_mapping()
        lines = ["# osgpdissect meter image: add [keys] (mak/mbk) or pass --keys to simulate",
                 f'profile = "{data["profile"]}"']
        if "fw" in data:
            lines.append(f'fw = "{data["fw"]}"')
        if "mep" in data:
            lines += ["", "[mep]", f"seq = {data['mep']['seq']}"]
        for table, entry in data["tables"].items():
            lines += ["", f"[tables.{table}]", f'hex = "{entry["hex"]}"']
        return "\n".join(lines) + "\n"
