"""MEP codes, names and limits as the guide gives them (Tables 2.1-2.7, l.258-380).

Bindings are data, in one place: the layers, the parser and the renderer read them from here.
"""

from __future__ import annotations

MAX_MESSAGE = 476  # "as large as 476 bytes (excluding the two-byte length field)" (l.256)
DIGEST_LEN = 8
SEQ_LEN = 4

FULL_READ = 0x30
PARTIAL_READ = 0x3F
FULL_WRITE = 0x40
PARTIAL_WRITE = 0x4F

REQUEST_CODES: dict[int, str] = {
    FULL_READ: "Full Table Read",
    PARTIAL_READ: "Partial Table Read",
    FULL_WRITE: "Full Table Write",
    PARTIAL_WRITE: "Partial Table Write",
}
READ_CODES = frozenset({FULL_READ, PARTIAL_READ})
WRITE_CODES = frozenset({FULL_WRITE, PARTIAL_WRITE})

TLS_TERMINATE = 0x57
TLS_HANDSHAKE = 0x58
TLS_HANDSHAKE_CONT = 0x59
TLS_TABLE = 0x80
TLS_REQUEST_CODES: dict[int, str] = {
    TLS_TERMINATE: "TLS_TERMINATE",
    TLS_HANDSHAKE: "TLS_HANDSHAKE",
    TLS_HANDSHAKE_CONT: "TLS_HANDSHAKE_CONT",
    TLS_TABLE: "TLS_TABLE",
}

OK = 0x00
INVALID_SEQUENCE = 0x0C
RESPONSE_CODES: dict[int, str] = {
    0x00: "OK",
    0x01: "Unrecognized request",
    0x02: "Unsupported request",
    0x03: "No permission for specified request",
    0x04: "Requested operation not possible",
    0x05: "Table operation not possible",
    0x0A: "IS - Invalid Service Sequence State",
    0x0B: "Authentication failure",
    0x0C: "Invalid sequence number",
}
TLS_RESPONSE_CODES: dict[int, str] = {
    0x00: "Success",
    0x01: "TLS error",
    0x03: "Invalid identity or key",
}

# TLS record content types that may follow a TLS-mode code (RFC 5246 §6.2.1).
TLS_RECORD_TYPES = frozenset({0x14, 0x15, 0x16, 0x17})

# Procedure and transaction tables (l.1385-1464, l.1140-1377).
BT07 = 7
BT08 = 8
ET50 = 2048 + 50
ET52 = 2048 + 52
ET53 = 2048 + 53
ET59 = 2048 + 59
ET85 = 2048 + 85
PROCEDURE_RESPONSE_TABLES = frozenset({BT08, ET59, ET85})

PROCEDURE_RESULT_CODES: dict[int, str] = {
    0: "Procedure completed",
    1: "Procedure accepted but not fully completed",
    2: "Invalid parameter for known procedure, procedure ignored",
    3: "Procedure conflicts with current device setup, procedure ignored",
    4: "Timing constraint, procedure ignored",
    5: "No authorization for requested procedure, procedure ignored",
    6: "Unrecognized procedure, procedure ignored",
}

TRANSACTION_TYPES: dict[int, str] = {
    0: "requests",
    1: "responses",
    2: "partial responses",
    3: "group broadcast",
    4: "group denied",
}


def table_id(number: int) -> str:
    """``2059`` → ``"ET11"``, ``23`` → ``"BT23"`` (ETnn = 2048 + nn)."""
    if number >= 2048:
        return f"ET{number - 2048:02d}"
    return f"BT{number:02d}"


def procedure_id(number: int) -> str:
    """``0x811`` → ``"EP17"``, ``5`` → ``"BP05"`` (EPnn = 2048 + nn)."""
    if number >= 2048:
        return f"EP{number - 2048:02d}"
    return f"BP{number:02d}"


def request_code_name(code: int) -> str:
    return REQUEST_CODES.get(code) or TLS_REQUEST_CODES.get(code) or f"unknown 0x{code:02X}"


def response_code_name(code: int, tls: bool = False) -> str:
    names = TLS_RESPONSE_CODES if tls else RESPONSE_CODES
    return names.get(code, f"unknown 0x{code:02X}")
