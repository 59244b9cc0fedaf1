"""ET52/ET53 transactions (guide l.1140-1377, 2746-2802).

ET52 (requests) and ET53 (responses) share one layout, with the guide's mixed endianness:
``size UINT16 LSB | type UINT8 | number UINT16 LSB | [group count UINT8 + UINT16[count] for
types 3/4] | records: length UINT16 LSB + bare C12.18 message (MSB header, LSB data) |
number UINT16 LSB`` at ``size - 2``.  ET52 may be written in several partial writes and ET53
read in pieces (first 5 bytes, then the whole size): :class:`TableImage` assembles them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from osgpdissect.c1218 import codes as C
from osgpdissect.c1218.messages import Request, Response, parse_command
from osgpdissect.mep.frames import parse_rc4_response_body

__all__ = ["TableImage", "Transaction", "TransactionTracker", "parse_transaction"]

_IMAGE_LIMIT = 4096  # larger than ET52 (≤ 896) and ET53 (1785)


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


def parse_transaction(image: bytes) -> Transaction:
    """Parse a complete ET52/ET53 image (at least ``size`` bytes from offset 0)."""
    if len(image) < 5:
        return Transaction(0, 0, 0, problems=[f"only {len(image)} bytes: no transaction header"])
    size = image[0] | image[1] << 8
    txn = Transaction(size, image[2], image[3] | image[4] << 8)
    if size < 7 or size > len(image):
        txn.problems.append(f"transaction size {size} does not fit the {len(image)} bytes")
        size = min(max(size, 5), len(image))
    pos = 5
    if txn.type in (3, 4) and pos < size:
        count = image[pos]
        pos += 1
        for _ in range(count):
            if pos + 2 > size:
                break
            txn.group_ids.append(image[pos] | image[pos + 1] << 8)
            pos += 2
    end = size - 2
    while pos < end:
        if pos + 2 > end:
            txn.problems.append(f"stray byte at {pos} before the trailer")
            break
        length = image[pos] | image[pos + 1] << 8
        pos += 2
        if pos + length > end:
            txn.problems.append(f"record at {pos - 2} says {length} bytes, {end - pos} left")
            txn.messages.append(bytes(image[pos:end]))
            pos = end
            break
        txn.messages.append(bytes(image[pos : pos + length]))
        pos += length
    if size >= 7 and len(image) >= size:
        txn.trailer = image[size - 2] | image[size - 1] << 8
        if txn.trailer != txn.number:
            txn.problems.append(
                f"closing transaction number {txn.trailer} differs from opening {txn.number}"
            )
    return txn


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
        size = self.data[0] | self.data[1] << 8
        if size < 5 or size > len(self.known) or 0 in self.known[:size]:
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
            known = bytes(self.response_image.data[:5])
            if len(known) == 5 and all(self.response_image.known[:5]):
                out.update(
                    _header_json(
                        Transaction(known[0] | known[1] << 8, known[2], known[3] | known[4] << 8)
                    )
                )
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
