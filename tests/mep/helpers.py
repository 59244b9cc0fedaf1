"""Shared test helpers: the guide's frames as byte runs, frame builders."""

from __future__ import annotations

import json
from pathlib import Path

from osgpdissect.bytestream import ByteRun, Direction

VECTORS = Path(__file__).resolve().parents[1] / "data" / "guide-frames.json"  # copy of shared/vectors
GUIDE_KEY = bytes([1] * 16)  # the key behind the guide's examples (shared notes)


def guide_vectors() -> list[dict]:
    return json.loads(VECTORS.read_text())


def frame_hex(vector: dict) -> str:
    """The best wire bytes of a frame vector (the guide's table where its hex line is short)."""
    return (
        vector.get("hex_from_table") or vector.get("hex_reconstructed_from_table") or vector["hex"]
    )


def rc4_frames() -> list[dict]:
    """RC4 frame vectors that are complete (the ET52 template has placeholder security)."""
    return [
        v
        for v in guide_vectors()
        if v.get("kind") == "frame"
        and v.get("transport") == "RC4"
        and v["id"] != "txn_read_req_template"
    ]


def runs_of(vectors: list[dict], spacing: float = 0.3) -> list[ByteRun]:
    runs = []
    for i, v in enumerate(vectors):
        direction = Direction.C2S if v["direction"] == "request" else Direction.S2C
        runs.append(ByteRun(direction, bytes.fromhex(frame_hex(v)), i * spacing, source=v["id"]))
    return runs


DIGEST = bytes.fromhex("a1b2c3d4e5f60718")


def rc4_request(
    code: int,
    table: int,
    seq: int,
    offset: int = 0,
    count: int = 0,
    data: bytes = b"",
    digest: bytes = DIGEST,
) -> bytes:
    body = bytes([code]) + table.to_bytes(2, "big")
    if code in (0x3F, 0x4F):
        body += offset.to_bytes(3, "big")
    if code in (0x40, 0x4F):
        body += len(data).to_bytes(2, "big") + data
    elif code == 0x3F:
        body += count.to_bytes(2, "big")
    body += seq.to_bytes(4, "big") + digest
    return len(body).to_bytes(2, "big") + body


def rc4_response(code: int = 0, data: bytes | None = None, digest: bytes = DIGEST) -> bytes:
    body = bytes([code])
    if data is not None:
        body += len(data).to_bytes(2, "big") + data
    body += digest
    return len(body).to_bytes(2, "big") + body


def chunk_runs(chunks: list[tuple[bool, bytes]], spacing: float = 0.2) -> list[ByteRun]:
    """Byte runs from ``(client_to_server, bytes)`` pairs, ``spacing`` seconds apart."""
    return [
        ByteRun(Direction.C2S if c2s else Direction.S2C, wire, i * spacing)
        for i, (c2s, wire) in enumerate(chunks)
        if wire
    ]
