"""ET52/ET53 transactions (guide l.1140-1377, 2746-2802).

ET52 (requests) and ET53 (responses) share one layout (``spec/tables/et52.osgp``), with the
guide's mixed endianness: ``size UINT16 LSB | type UINT8 | number UINT16 LSB | [group count
UINT8 + UINT16[count] for type 3 (E202)] | records: length UINT16 LSB + bare C12.18 message (MSB
header, LSB data) | number UINT16 LSB`` at ``size - 2``.  Images are decoded and built by the
codec against that layout; this module reads the transaction off the decoded tree.  ET52 may be
written in several partial writes and ET53 read in pieces (first 5 bytes, then the whole size):
:class:`TableImage` assembles them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.messages import Request, Response, parse_command
from osgpdissect.codec import DecodeError, DecodeResult, Node, decode_table, encode_table
from osgpdissect.lang import model as m
from osgpdissect.lang.spec import load_default_spec
from osgpdissect.mep.frames import parse_rc4_response_body

__all__ = [
    "TableImage",
    "Transaction",
    "TransactionTracker",
    "build_transaction",
    "parse_transaction",
    "transaction_header",
    "transaction_size",
]

_IMAGE_LIMIT = 4096  # larger than ET52 (≤ 896) and ET53 (1785)
_LAYOUT = "ET52"  # ET53 is `layout ET52(...)`: the same fields
_HEADER = 5  # size, type, number
_TRAILER = 2  # the closing transaction number at size - 2
_MIN_SIZE = _HEADER + _TRAILER
REQUESTS, RESPONSES, GROUP_REQUEST = 0, 1, 3  # transaction types (TransactionType)


@dataclass(slots=True)
class Transaction:
    """One ET52/ET53 image, parsed."""

    size: int
    type: int
    number: int
    messages: list[bytes] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    trailer: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def type_name(self) -> str:
        return C.TRANSACTION_TYPES.get(self.type, f"unknown {self.type}")


def _decode(image: bytes, spec: m.Spec | None) -> DecodeResult:
    return decode_table(spec or load_default_spec(), _LAYOUT, image)


def _whole(node: Node | None) -> int | None:
    """A decoded scalar's value; None when the field is missing or cut by the bytes."""
    if node is None or node.partial or not isinstance(node.value, int):
        return None
    return node.value


def _header(decoded: DecodeResult) -> tuple[int, int, int] | None:
    size, kind, number = (
        _whole(decoded.find(name))
        for name in ("transaction_size", "transaction_type", "transaction_number")
    )
    if size is None or kind is None or number is None:
        return None
    return size, kind, number


def transaction_header(data: bytes, spec: m.Spec | None = None) -> Transaction | None:
    """Size, type and number of an image's first bytes (None before 5 bytes are known)."""
    try:
        head = _header(_decode(data[:_HEADER], spec))
    except DecodeError:
        return None
    return None if head is None else Transaction(*head)


def transaction_size(data: bytes, spec: m.Spec | None = None) -> int | None:
    """The Transaction Size field of an image's first bytes (None before 2 bytes)."""
    try:
        return _whole(_decode(data[:2], spec).find("transaction_size"))
    except DecodeError:
        return None


def parse_transaction(image: bytes, spec: m.Spec | None = None) -> Transaction:
    """Parse a complete ET52/ET53 image (at least ``size`` bytes from offset 0).

    The codec decodes the image; damage is read off what it decoded, cut or left over.
    """
    image = bytes(image)
    try:
        decoded = _decode(image, spec)
    except DecodeError as exc:
        return Transaction(0, 0, 0, problems=[f"transaction not decoded: {exc}"])
    head = _header(decoded)
    if head is None:
        return Transaction(0, 0, 0, problems=[f"only {len(image)} bytes: no transaction header"])
    txn = Transaction(*head)
    size = txn.size
    fits = _MIN_SIZE <= size <= len(image)
    if not fits:
        txn.problems.append(f"transaction size {size} does not fit the {len(image)} bytes")
        if size < _MIN_SIZE:  # no room for a record list or a trailer
            return txn
    txn.group_ids = _group_ids(decoded, size)
    if fits and decoded.find("_undecoded") is not None:
        # The codec stops where a record's 2-byte length is cut by the trailer: one stray byte
        # at size - 3.  The records before it are those of a read that ends there.
        stray = size - _TRAILER - 1
        txn.problems.append(f"stray byte at {stray} before the trailer")
        _records(_decode(image[:stray], spec), txn)
        return txn
    _records(decoded, txn)
    txn.trailer = _whole(decoded.find("transaction_number_end")) if fits else None
    if txn.trailer is not None and txn.trailer != txn.number:
        txn.problems.append(
            f"closing transaction number {txn.trailer} differs from opening {txn.number}"
        )
    return txn


def _group_ids(decoded: DecodeResult, size: int) -> list[int]:
    """The group list's complete entries inside the transaction (type 3 only)."""
    ids = []
    for element in getattr(decoded.find("group_ids"), "children", ()):
        node = element.find("group_id")
        value = _whole(node)
        if node is not None and value is not None and node.offset + node.size <= size:
            ids.append(value)
    return ids


def _records(decoded: DecodeResult, txn: Transaction) -> None:
    """Messages of the record list; a message cut by the trailer or the bytes is kept cut."""
    for element in getattr(decoded.find("record_list.records"), "children", ()):
        length, message = element.find("length_l"), element.find("message")
        if message is None or _whole(length) is None:
            break
        data = bytes.fromhex(message.raw)
        txn.messages.append(data)
        if message.partial:
            txn.problems.append(
                f"record at {element.offset} says {length.value} bytes, {len(data)} left"
            )
            break


def build_transaction(
    kind: int,
    number: int,
    messages: Iterable[bytes],
    group_ids: Iterable[int] = (),
    spec: m.Spec | None = None,
) -> bytes:
    """An ET52/ET53 image built by the codec: ``kind`` is the transaction type; ``group_ids``
    are written for type 3 only."""
    records = [{"length_l": len(msg), "message": bytes(msg)} for msg in messages]
    values: dict[str, Any] = {
        "transaction_type": kind,
        "transaction_number": number,
        "record_list": {"records": records},
        "transaction_number_end": number,
    }
    size = _MIN_SIZE + sum(2 + r["length_l"] for r in records)
    if kind == GROUP_REQUEST:  # the only type with a group list (E202)
        groups = list(group_ids)
        values["group_id_count"] = len(groups)
        values["group_ids"] = [
            {"group_id": {"sub_group": g & 0xFF, "group": g >> 8 & 0xFF}} for g in groups
        ]
        size += 1 + 2 * len(groups)
    values["transaction_size"] = size
    return encode_table(spec or load_default_spec(), _LAYOUT, values)


class TableImage:
    """Bytes of one table seen at various offsets; complete when ``[0, size)`` is known."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.known = bytearray()  # 1 where a byte was seen

    def reset(self) -> None:
        self.data.clear()
        self.known.clear()

    def put(self, offset: int, chunk: bytes) -> None:
        end = offset + len(chunk)
        if end > _IMAGE_LIMIT:
            return
        if end > len(self.data):
            grow = end - len(self.data)
            self.data += bytes(grow)
            self.known += bytes(grow)
        self.data[offset:end] = chunk
        self.known[offset:end] = b"\x01" * len(chunk)

    def complete_size(self) -> int | None:
        """The transaction size when bytes ``[0, size)`` are all known, else None."""
        if len(self.known) < 2 or not (self.known[0] and self.known[1]):
            return None
        size = transaction_size(bytes(self.data[:2]))
        if size is None or size < _HEADER or size > len(self.known) or 0 in self.known[:size]:
            return None
        return size


class TransactionTracker:
    """Assembles ET52 writes and ET53 reads and pairs responses with commands by position."""

    def __init__(self) -> None:
        self.request_image = TableImage()
        self.response_image = TableImage()
        self.pending: dict[int, list[Request]] = {}  # transaction number -> commands

    def on_et52_write(self, offset: int, data: bytes) -> dict[str, Any]:
        if offset == 0:
            self.request_image.reset()
        self.request_image.put(offset, data)
        size = self.request_image.complete_size()
        out: dict[str, Any] = {"kind": "transaction request", "complete": size is not None}
        if size is None:
            out["note"] = "ET52 not complete yet (written in several partial writes)"
            return out
        txn = parse_transaction(bytes(self.request_image.data[:size]))
        commands = [parse_command(msg) for msg in txn.messages]
        self.pending[txn.number] = commands
        while len(self.pending) > 8:
            self.pending.pop(next(iter(self.pending)))
        out.update(_header_json(txn))
        out["commands"] = [command_json(cmd) for cmd in commands]
        return out

    def on_et53_read(self, offset: int, data: bytes, tables: Any) -> dict[str, Any]:
        """``tables`` is a :class:`~osgpdissect.c1218.tables.TableContext` for inner decodes."""
        if offset == 0:
            self.response_image.reset()
        self.response_image.put(offset, data)
        out: dict[str, Any] = {"kind": "transaction response"}
        size = self.response_image.complete_size()
        if size is None:
            if all(self.response_image.known[:_HEADER]):
                head = transaction_header(bytes(self.response_image.data[:_HEADER]))
                if head is not None:
                    out.update(_header_json(head))
            out["complete"] = False
            return out
        txn = parse_transaction(bytes(self.response_image.data[:size]))
        out.update(_header_json(txn))
        out["complete"] = True
        commands = self.pending.get(txn.number)
        if commands is None:
            out["problems"].append(
                f"no ET52 write of transaction {txn.number} seen: responses shown raw"
            )
        elif len(commands) != len(txn.messages):
            out["problems"].append(f"{len(txn.messages)} responses for {len(commands)} commands")
        items = []
        for i, msg in enumerate(txn.messages):
            cmd = commands[i] if commands is not None and i < len(commands) else None
            resp = (
                parse_rc4_response_body(msg, cmd) if msg else Response("opaque", problems=["empty"])
            )
            item: dict[str, Any] = {
                "index": i,
                "command": command_json(cmd) if cmd else None,
                "response": response_json(resp),
            }
            if cmd is not None and resp.code == C.OK and cmd.table is not None:
                if cmd.is_read and resp.data:
                    item["decoded"] = tables.decode(cmd.table, cmd.offset or 0, resp.data)
                elif cmd.is_write and cmd.data:
                    item["decoded"] = tables.decode(cmd.table, cmd.offset or 0, cmd.data)
            items.append(item)
        out["responses"] = items
        return out


def _header_json(txn: Transaction) -> dict[str, Any]:
    return {
        "size": txn.size,
        "type": txn.type,
        "type_name": txn.type_name,
        "number": txn.number,
        "trailer": txn.trailer,
        "group_ids": txn.group_ids,
        "problems": list(txn.problems),
    }


def command_json(req: Request) -> dict[str, Any]:
    """A bare C12.18 request as JSON (also used for the exchange's own request)."""
    return {
        "code": req.code,
        "code_name": C.request_code_name(req.code) if req.code is not None else None,
        "table": C.table_id(req.table) if req.table is not None else None,
        "table_number": req.table,
        "offset": req.offset,
        "count": req.count,
        "data": req.data.hex() if req.data else None,
        "problems": list(req.problems),
    }


def response_json(resp: Response) -> dict[str, Any]:
    code = resp.code
    return {
        "code": code,
        "code_name": C.response_code_name(code, resp.mode == "tls") if code is not None else None,
        "count": resp.count,
        "data": resp.data.hex() if resp.data else None,
        "next_seq": resp.next_seq,
        "problems": list(resp.problems),
    }
