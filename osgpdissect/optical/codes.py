"""ANSI C12.18 codes, names and limits (optical port).  Bindings are data, in one place."""

from __future__ import annotations

STP = 0xEE  # start of packet
ACK = 0x06
NAK = 0x15
ACK_ZERO = 0x00  # some NES meters answer 0x00 where an ACK is expected
WAKE_UP = 0x55
LINK_BYTES: dict[int, str] = {ACK: "ack", NAK: "nak", ACK_ZERO: "ack0", WAKE_UP: "wakeup"}

HEADER_LEN = 6  # EE identity control sequence length(2)
CRC_LEN = 2
MAX_DATA = 8192  # largest packet size a negotiate can ask for

# control byte bits
CTRL_MULTI = 0x80
CTRL_FIRST = 0x40
CTRL_TOGGLE = 0x20
CTRL_FORMAT = 0x03  # data format (C12.22 bits; 0 for C12.18)

IDENT = 0x20
TERMINATE = 0x21
FULL_READ = 0x30
PARTIAL_READ = 0x3F
FULL_WRITE = 0x40
PARTIAL_WRITE = 0x4F
LOGON = 0x50
SECURITY = 0x51
LOGOFF = 0x52
NEGOTIATE_BASE = 0x60
NEGOTIATE_LAST = 0x6B
WAIT = 0x70

USER_LEN = 10
PASSWORD_LEN = 20

SERVICES: dict[int, str] = {
    IDENT: "ident",
    TERMINATE: "terminate",
    FULL_READ: "read",
    PARTIAL_READ: "read_partial",
    FULL_WRITE: "write",
    PARTIAL_WRITE: "write_partial",
    LOGON: "logon",
    SECURITY: "security",
    LOGOFF: "logoff",
    WAIT: "wait",
    **{code: "negotiate" for code in range(NEGOTIATE_BASE, NEGOTIATE_LAST + 1)},
}
for _code in range(0x31, 0x3A):
    SERVICES[_code] = "read_index"  # partial read by element index (not decoded)
for _code in range(0x41, 0x4A):
    SERVICES[_code] = "write_index"
SERVICES[0x3E] = "read_default"

READ_CODES = frozenset({FULL_READ, PARTIAL_READ})
WRITE_CODES = frozenset({FULL_WRITE, PARTIAL_WRITE})

OK = 0x00
RESPONSE_CODES: dict[int, tuple[str, str]] = {
    0x00: ("ok", "Acknowledge"),
    0x01: ("err", "Error"),
    0x02: ("sns", "Service Not Supported"),
    0x03: ("isc", "Insufficient Security Clearance"),
    0x04: ("onp", "Operation Not Possible"),
    0x05: ("iar", "Inappropriate Action Requested"),
    0x06: ("bsy", "Device Busy"),
    0x07: ("dnr", "Data Not Ready"),
    0x08: ("dlk", "Data Locked"),
    0x09: ("rno", "Renegotiate Request"),
    0x0A: ("isss", "Invalid Service Sequence State"),
}

STANDARDS: dict[int, str] = {
    0x00: "ANSI C12.18",
    0x01: "Industry Canada",
    0x02: "ANSI C12.21",
    0x03: "ANSI C12.22",
}

BAUD_CODES: dict[int, int | None] = {
    0x00: None,  # externally defined
    0x01: 300,
    0x02: 600,
    0x03: 1200,
    0x04: 2400,
    0x05: 4800,
    0x06: 9600,
    0x07: 14400,
    0x08: 19200,
    0x09: 28800,
    0x0A: 57600,
    0x0B: 38400,
    0x0C: 115200,
    0x0D: 128000,
    0x0E: 256000,
}

FEATURES: dict[int, str] = {
    0x06: "authentication",
    0x07: "authentication with ticket",
}


def service_name(code: int) -> str:
    return SERVICES.get(code, f"unknown 0x{code:02X}")


def response_code_name(code: int) -> str:
    """``4`` → ``"onp"`` (the C12.18 abbreviation)."""
    entry = RESPONSE_CODES.get(code)
    return entry[0] if entry else f"unknown 0x{code:02X}"


def response_code_text(code: int) -> str:
    entry = RESPONSE_CODES.get(code)
    return entry[1] if entry else f"unknown response code 0x{code:02X}"


def baud_name(code: int) -> str:
    if code not in BAUD_CODES:
        return f"unknown baud code 0x{code:02X}"
    rate = BAUD_CODES[code]
    return "externally defined" if rate is None else str(rate)


def table_checksum(data: bytes) -> int:
    """The C12.18 table-data checksum: two's complement of the byte sum (mod 256)."""
    return (-sum(data)) & 0xFF
