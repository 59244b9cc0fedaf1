#!/usr/bin/env python3
"""Generate MEP TLS-mode test captures with a real TLS 1.2 PSK session (OpenSSL CLI).

Runs ``openssl s_server`` and ``openssl s_client`` on 127.0.0.1 only, with a small TCP relay
in between that records the raw TLS records of both directions. C12.18 requests are typed
into the client and responses into the server, one at a time, so every request and every
response is one TLS application-data record. The records are then wrapped in MEP TLS frames
(``len BE16 | code | records``) and written as a hex capture (``C->S <hex>`` / ``S->C <hex>``)
plus a JSON sidecar naming the PSK, the identity and the plaintexts.

The PSK is a made-up test key (never a real one): the first 16 characters of the 20-character
"MAK" ``TestOnlyMakNotReal!!``. ``openssl -psk_identity`` takes a C string, so the 3-byte MEP
identity must not contain 00: client id 0x4365 (LSB-first ``65 43``) with key id 1 (MAK).

Usage: ``python tests/data/tls/make_tls_vectors.py`` (needs ``openssl`` on PATH; the tests
only read the committed output).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
CIPHER = "PSK-AES256-GCM-SHA384"
TEST_MAK = "TestOnlyMakNotReal!!"  # made-up, test data only
PSK = TEST_MAK[:16].encode("ascii")
WRONG_PSK = b"NotTheMepKey0000"  # made-up, test data only
IDENTITY = bytes([0x65, 0x43, 0x01])  # client id 0x4365 (LSB first), key id 1 = MAK

# (C12.18 request, C12.18 response) pairs carried inside TLS (no sequence number or digest).
EXCHANGES = [
    ("3F080B000000000A", "00000A054224050605020103F9"),  # ET11 @0, 10 bytes
    ("3F0014000000000A", "00000A3F0EFD0F08100104081A"),  # BT20 @0, 10 bytes
    ("3F0015000000000A", "00000A3F0E0C0F08000104081A"),  # BT21 @0, 10 bytes
    ("3F084600008E0001", "00000102"),  # ET70 @142, 1 byte (the guide's TLS example 2)
    ("4F083200001E000101", "00"),  # ET50 @30 := 01 (partial write)
]

NO_EMS_CONF = """openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Options = -ExtendedMasterSecret
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Relay(threading.Thread):
    """Loopback TCP relay recording (direction, bytes) chunks in arrival order."""

    def __init__(self, listen_port: int, target_port: int) -> None:
        super().__init__(daemon=True)
        self.listen = socket.socket()
        self.listen.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listen.bind((HOST, listen_port))
        self.listen.listen(1)
        self.target_port = target_port
        self.log: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.closed = threading.Event()

    def run(self) -> None:
        client, _ = self.listen.accept()
        server = socket.create_connection((HOST, self.target_port))
        peers = {client: (server, "C->S"), server: (client, "S->C")}
        try:
            while True:
                ready, _, _ = select.select(list(peers), [], [], 10)
                if not ready:
                    break
                done = False
                for sock in ready:
                    data = sock.recv(65536)
                    other, direction = peers[sock]
                    if not data:
                        done = True
                        break
                    with self.lock:
                        self.log.append((direction, data))
                    other.sendall(data)
                if done:
                    break
        finally:
            client.close()
            server.close()
            self.listen.close()
            self.closed.set()

    def records(self) -> list[tuple[str, bytes]]:
        """Complete TLS records (direction, record bytes) in arrival order."""
        with self.lock:
            log = list(self.log)
        buffers = {"C->S": b"", "S->C": b""}
        out = []
        for direction, data in log:
            buf = buffers[direction] + data
            while len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[3:5], "big"):
                n = 5 + int.from_bytes(buf[3:5], "big")
                out.append((direction, buf[:n]))
                buf = buf[n:]
            buffers[direction] = buf
        return out

    def wait_for(self, predicate, timeout: float = 10.0) -> None:  # noqa: ANN001
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate(self.records()):
                return
            time.sleep(0.02)
        raise TimeoutError("relay: expected traffic did not appear")


def count(records: list[tuple[str, bytes]], direction: str, content_type: int) -> int:
    return sum(1 for d, r in records if d == direction and r[0] == content_type)


def drain(stream) -> threading.Thread:  # noqa: ANN001
    """Keep reading a child's output so it never blocks on a full pipe."""
    thread = threading.Thread(
        target=lambda: [None for _ in iter(lambda: stream.read(4096), b"")], daemon=True
    )
    thread.start()
    return thread


def run_session(server_psk: bytes, ems: bool, exchanges: list[tuple[str, str]]):
    """Run one s_server/s_client session through the relay; return the recorded records."""
    openssl = shutil.which("openssl")
    if openssl is None:
        sys.exit("openssl not found: apt-get update && apt-get install -y openssl")
    server_port, relay_port = free_port(), free_port()
    ident = IDENTITY.decode("latin-1")
    common = ["-cipher", CIPHER, "-tls1_2", "-no_ticket", "-psk_identity", ident]
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if not ems:
            conf = Path(tmp) / "no-ems.cnf"
            conf.write_text(NO_EMS_CONF)
            env["OPENSSL_CONF"] = str(conf)
        server = subprocess.Popen(
            [
                openssl,
                "s_server",
                "-accept",
                f"{HOST}:{server_port}",
                "-nocert",
                "-naccept",
                "1",
                "-psk",
                server_psk.hex(),
                *common,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        client = None
        try:
            line = b""
            while b"ACCEPT" not in line:
                line = server.stdout.readline()
                if not line:
                    raise RuntimeError("s_server did not start")
            drain(server.stdout)
            relay = Relay(relay_port, server_port)
            relay.start()
            client = subprocess.Popen(
                [
                    openssl,
                    "s_client",
                    "-connect",
                    f"{HOST}:{relay_port}",
                    "-psk",
                    PSK.hex(),
                    "-nocommands",
                    "-no_ign_eof",
                    *common,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
            )
            drain(client.stdout)
            if server_psk != PSK:
                relay.closed.wait(10)
                return relay.records()
            relay.wait_for(lambda r: count(r, "S->C", 20) == 1)  # server ChangeCipherSpec
            for n, (req, resp) in enumerate(exchanges, start=1):
                client.stdin.write(bytes.fromhex(req))
                client.stdin.flush()
                relay.wait_for(lambda r, n=n: count(r, "C->S", 23) == n)
                server.stdin.write(bytes.fromhex(resp))
                server.stdin.flush()
                relay.wait_for(lambda r, n=n: count(r, "S->C", 23) == n)
            client.stdin.close()  # EOF: s_client sends close_notify and exits
            relay.wait_for(lambda r: count(r, "C->S", 21) >= 1)
            time.sleep(0.3)
            return relay.records()
        finally:
            for proc in (client, server):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(5)


def frames(records: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Group consecutive same-direction records into MEP TLS frames."""
    grouped: list[tuple[str, list[bytes]]] = []
    for direction, record in records:
        if grouped and grouped[-1][0] == direction:
            grouped[-1][1].append(record)
        else:
            grouped.append((direction, [record]))
    out = []
    handshake_started = False
    for direction, recs in grouped:
        types = {r[0] for r in recs}
        if direction == "C->S":
            if types == {21}:
                code = 0x57  # TLS_TERMINATE carrying the close_notify alert
            elif 23 in types:
                code = 0x80
            else:
                code = 0x59 if handshake_started else 0x58
                handshake_started = True
        else:
            code = 0x01 if 21 in types else 0x00  # an alert from the server: TLS error
        body = bytes([code]) + b"".join(recs)
        if len(body) > 476:
            raise ValueError("MEP frame larger than 476 bytes")
        out.append((direction, len(body).to_bytes(2, "big") + body))
    return out


def write(name: str, records, sidecar: dict) -> None:  # noqa: ANN001
    lines = [f"{direction} {frame.hex().upper()}" for direction, frame in frames(records)]
    (HERE / f"{name}.hex").write_text("\n".join(lines) + "\n")
    (HERE / f"{name}.json").write_text(json.dumps(sidecar, indent=2) + "\n")


def main() -> None:
    version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    base = {
        "generator": "make_tls_vectors.py",
        "openssl": version,
        "cipher_suite": "0x00A9 TLS_PSK_WITH_AES_256_GCM_SHA384",
        "note": "made-up test keys; never real meter keys",
        "test_mak_ascii": TEST_MAK,
        "psk_hex": PSK.hex(),
        "psk_identity_hex": IDENTITY.hex(),
        "client_id": int.from_bytes(IDENTITY[:2], "little"),
        "key_id": IDENTITY[2],
    }
    for name, ems in (("session_ems", True), ("session_no_ems", False)):
        records = run_session(PSK, ems, EXCHANGES)
        write(
            name,
            records,
            {
                **base,
                "extended_master_secret": ems,
                "exchanges": [{"request": q, "response": r} for q, r in EXCHANGES],
                "ends_with": "client close_notify in a 0x57 TLS_TERMINATE frame",
            },
        )
    records = run_session(WRONG_PSK, False, [])
    write(
        "wrong_psk",
        records,
        {
            **base,
            "extended_master_secret": False,
            "server_psk_hex": WRONG_PSK.hex(),
            "exchanges": [],
            "ends_with": "server alert after the client's Finished fails to decrypt",
        },
    )


if __name__ == "__main__":
    main()
