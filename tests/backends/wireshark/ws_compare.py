"""Table field values as osgpdissect's JSON and as tshark's JSON give them, for comparison.

Both sides become a list of decoded table reads, each a list of ``(filter name, value text)``
leaves in display order.  Array elements (``[4]``) add nothing to a name, as in the plugin's
filter names; a plugin name that needed a type suffix (``_u32``) is compared without it.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SUFFIX = re.compile(r"_(u32|i32|u64|i64|bool|str|none)$")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def osgp_reads(json_lines: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(table id, leaves)`` of every decoded table in ``osgpdissect decode -O json`` output."""
    reads = []
    for line in json_lines.splitlines():
        rec = json.loads(line)
        dec = rec.get("decoded")
        if not dec or not dec.get("fields"):
            continue
        leaves: list[tuple[str, str]] = []
        prefix = "osgp." + dec["table"].lower()
        _walk_osgp(dec["fields"], prefix, leaves)
        reads.append((dec["table"], leaves))
    return reads


def _walk_osgp(nodes: list[dict], path: str, out: list[tuple[str, str]]) -> None:
    for n in nodes:
        name = n["name"]
        here = path if name.startswith("[") else f"{path}.{name}"
        if n.get("value") is not None and not n.get("partial"):
            out.append((here, _text(n["value"])))
        _walk_osgp(n.get("children", []), here, out)


def _pairs(text: str) -> Any:
    return json.loads(text, object_pairs_hook=lambda pairs: pairs)


def subtree_fields(plugin_source: str) -> set[str]:
    """Filter names of the plugin's record and array fields (they hold no value)."""
    return set(re.findall(r'abbrev="([^"]+)",name="(?:[^"\\]|\\.)*",ftype="none"',
                          plugin_source))


def tshark_reads(json_text: str, subtrees: set[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(table id, leaves)`` of every ``osgp.tables`` subtree in ``tshark -T json`` output;
    ``subtrees``: the record/array field names (:func:`subtree_fields`), which are no leaves."""
    reads: list[tuple[str, list[tuple[str, str]]]] = []
    for packet in _pairs(json_text):
        _find_tables(packet, reads, subtrees)
    return reads


def _find_tables(obj: Any, reads: list, subtrees: set[str]) -> None:
    if not isinstance(obj, list):
        return
    for item in obj:
        if not (isinstance(item, tuple) and len(item) == 2):
            _find_tables(item, reads, subtrees)
            continue
        key, value = item
        if key == "osgp.tables" and isinstance(value, list):
            leaves: list[tuple[str, str]] = []
            _walk_tshark(value, leaves, subtrees)
            table = leaves[0][0].split(".")[1].upper() if leaves else ""
            reads.append((table, leaves))
        else:
            _find_tables(value, reads, subtrees)


def _walk_tshark(obj: list, out: list[tuple[str, str]], subtrees: set[str]) -> None:
    for key, value in obj:
        if isinstance(value, list):
            _walk_tshark(value, out, subtrees)
        elif key.startswith("osgp.") and not key.endswith("_tree") and key not in subtrees:
            if key.count(".") >= 2 and key.split(".")[1][:2] in ("bt", "et"):
                out.append((_SUFFIX.sub("", key), value))
