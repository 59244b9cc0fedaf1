"""Loading the committed TLS captures (tests/data/tls) and the guide's TLS frames."""

from __future__ import annotations

import json
from pathlib import Path

from sec_testkeys import register

DATA = Path(__file__).resolve().parents[1] / "data" / "tls"

# The guide's TLS example frames (guide l.426-443), as printed (garbled: see GUIDE_NOTES).
GUIDE_TLS: list[tuple[str, str, str]] = [
    (
        "tls1_client_hello",
        "C->S",
        "003558160303002F0100002B03035CA65721AA86A8DB2D599157AA0C33811942A7EE9289F16633621976850D"
        "DFF400000400A900FF0100",
    ),
    (
        "tls1_server_hello",
        "S->C",
        "00600016030300510200004D030324391AAC5759A0D3FC9BF4E94C9362B15C78C3F71AC0D883FB70D71EA400"
        "5E60204EC1BC0A54D0D54F2FE9021B2FA864E5782C0D01FEA2415BEC6E388AE7876A4600A9000005FF0100010"
        "016030300040E000000",
    ),
    (
        "tls1_client_key_exchange_finished",
        "C->S",
        "004259160303000910000005000364000114030300010116030300280000000000000057FA688F171AB5EF34"
        "8EC67079B587211A8962267E683E57D18EEB8563077A36",
    ),
    (
        "tls1_server_finished",
        "S->C",
        "003400140303000101160303002800000000000000767848C8F97DE67247D03872E43DEF40EBB05A3B50FE84"
        "5D3553AA16C10C7FC1",
    ),
    (
        "tls1_client_key_exchange_finished_dup",
        "C->S",
        "0042591603030009100005000364000114030300010116030300280000000000000057FA688F171AB5EF348E"
        "C67079B587211A8962267E683E57D18EEB8563077A36",
    ),
    (
        "tls1_server_finished_dup",
        "S->C",
        "003400140303000101160303002800000000000000767848C8F97DE67247D03872E43DEF40EBB05A3B50FE84"
        "5D3553AA16C10C7FC1",
    ),
    (
        "tls2_table_read_request",
        "C->S",
        "002680170303002000000000000001E7F9867E27321D43E70BF8F9BA302443F0F07271B4DE5AC1",
    ),
    (
        "tls2_table_read_response",
        "S->C",
        "002200170303001C00000000000001680FA05379BEB36ECB96CC66E2D1CEA965C728EA",
    ),
]


def load_capture(name: str) -> tuple[list[tuple[str, int, bytes]], dict]:
    """((direction, code, payload) per frame, sidecar) of a committed capture."""
    frames = []
    for line in (DATA / f"{name}.hex").read_text().splitlines():
        direction, hex_ = line.split()
        raw = bytes.fromhex(hex_)
        assert int.from_bytes(raw[:2], "big") == len(raw) - 2
        frames.append((direction, raw[2], raw[3:]))
    sidecar = json.loads((DATA / f"{name}.json").read_text())
    register(bytes.fromhex(sidecar["psk_hex"]), sidecar["test_mak_ascii"].encode())
    if "server_psk_hex" in sidecar:
        register(bytes.fromhex(sidecar["server_psk_hex"]))
    return frames, sidecar


def guide_frame(frame_id: str) -> tuple[str, int, bytes]:
    for fid, direction, hex_ in GUIDE_TLS:
        if fid == frame_id:
            raw = bytes.fromhex(hex_)
            return direction, raw[2], raw[3:]
    raise KeyError(frame_id)


def repair_gcm_nonce(payload: bytes) -> bytes:
    """Re-insert the 00 the guide lost from the 8-byte explicit nonce of its GCM record."""
    from osgpdissect.security.tlsrec import split_records

    records, _ = split_records(payload)
    out = b""
    for rec in records:
        body = rec.body
        if rec.truncated and rec.declared == len(body) + 1 and rec.content_type in (22, 23):
            body = b"\x00" + body
        out += bytes([rec.content_type]) + rec.version.to_bytes(2, "big")
        out += rec.declared.to_bytes(2, "big") + body
    return out
