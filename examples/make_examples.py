"""Build the bundled example capture: one realistic MEP session, written as a Saleae Logic 2
data-table export, a sigrok ``.sr`` session and an RTAC-serial pcap.

    .venv/bin/python examples/make_examples.py [OUTDIR]      # default: this directory

Frames come from the project's scapy layers (:mod:`osgpdissect.backends.scapy.mep`); digests are
computed with :func:`osgpdissect.security.digest.digest` and the guide's example key (sixteen
0x01 bytes, as MAK).  Timing is a 9600 8N1 line: 1.04 ms per byte, the meter answers after
40 ms, responses over 117 bytes come in 117-byte segments 25 ms apart.  The output is
deterministic (no clock, no randomness), so regenerating gives identical files.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from scapy.packet import raw

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures import write_pcap, write_saleae_logic2_csv, write_sigrok_sr
from osgpdissect.backends.scapy.mep import MEPAlert, MEPRequest, MEPResponse
from osgpdissect.security.digest import digest

KEY = bytes([0x01] * 16)  # the guide's example key, used as MAK
BAUD = 9600
BYTE_TIME = 10 / BAUD
LATENCY = 0.040  # request end -> response start
PAUSE = 0.150  # response end -> next request
SEGMENT, SEGMENT_GAP = 117, 0.025
NAMES = {Direction.C2S: "MEP TX", Direction.S2C: "MEP RX"}

ET11, ET13, ET50, ET52, ET53, ET59 = (2048 + n for n in (11, 13, 50, 52, 53, 59))
BT00, BT07, BT21, BT23, BT28 = 0, 7, 21, 23, 28

# -- table contents (little-endian, as OSGP meters send them) --------------------------------
ET11_DATA = bytes.fromhex(  # first 10 bytes: the guide's ET53 example (l.1336)
    "054224050605020103F9" "00" "10" "40" "20" "00000000" "04" "0F" "20" "08" "06" "08" "04"
    "08" "04" "04" "0001" "0001")
BT00_DATA = bytes.fromhex(
    "02" "0A" "88" "4E455320" "02" "00" "10" "40" "01" "00"  # formats, 'NES ', nameplate...
    "08" "0A" "02" "05" "00" "00"  # set sizes: 8 / 10 / 2 / 5, no mfg status, no pending
    "FF3FB0000000E0FF" "FFFFFF3F00FE0F000000" "FF07" "FF3F000000"  # tables and procedures used
    "0000800000000000" "00000C000000700E0000")  # writable tables
BT21_DATA = bytes.fromhex("3F0E0C0F08000104081A")  # guide l.1350
ET50_REGISTRATION = (bytes.fromhex("800107" "05" "06" "100201030105" "08" "0123456789ABCDEF")
                     + bytes(10) + b"\x03")  # MEP ID (OSGP format) + flags: registered, ET59
ET13_ALERT_FLAGS = b"\x02"  # MEP entry (device 4) @8: on-demand request in ET15
ET13_ALERT_OFFSET = 4 * 66 + 8
ET52_TRANSACTION = bytes.fromhex(  # the guide's multi-read transaction (l.1290)
    "430000010008003F080B000000000A08003F0014000000000A08003F0015000000000A08003F0804"
    "000037000108003F080E000000000C08003F080F000000001F0100")
ET53_HEADER = bytes.fromhex("6F00010100")
ET53_FULL = bytes.fromhex(
    "6F000101000D0000000A054224050605020103F90D0000000A3F0EFD0F08100104081A0D0000000A3F0E0C0F"
    "08000104081A0400000001040F0000000C000000000011010001042F00220000001F00420001000201450001"
    "0002014800010002010300F80302014B00010002010100")
BT07_EP17 = bytes.fromhex("11080700F803")  # EP17, PSN 7: remove device 0x03F8 (l.1446)
ET59_RESULT = bytes.fromhex("11080700")  # EP17, PSN 7, procedure completed


def _int32s(*values: int) -> bytes:
    return b"".join(v.to_bytes(4, "little", signed=True) for v in values)


BT23_DATA = bytes([3]) + _int32s(  # demand resets, then the Total Data Block (196 bytes)
    1_234_567, 2_345, 345_678, 45_678, 3_600, 2, 1_236_912, 1_232_222, 0, 0, 0,
    200_000, 145_678, 20_000, 25_678) + bytes(136)
BT28_DATA = _int32s(*([0] * 8), 1_450, 0, 312, 0, 2_100, 2_050, 1_980, 230_100, 229_800,
                    231_000, 985, 50_010, 1_480, 990, 978, 171, 190, 205, 1_450, 0, 312, 0,
                    312, 0, 0, 0)


# -- frames ---------------------------------------------------------------------------------
class Session:
    """A client talking to one meter: sequence numbers, digests and byte timing."""

    def __init__(self, start: float = 0.5, seq: int = 1) -> None:
        self.t = start
        self.seq = seq
        self.runs: list[ByteRun] = []

    def _signed(self, pkt) -> tuple[bytes, bytes]:
        wire = raw(pkt)
        body = wire[2:-8]
        return wire[:-8] + digest(KEY, body), body

    def _send(self, direction: Direction, wire: bytes) -> None:
        pieces = [wire] if direction is Direction.C2S else [
            wire[i:i + SEGMENT] for i in range(0, len(wire), SEGMENT)]
        for k, piece in enumerate(pieces):
            if k:
                self.t += SEGMENT_GAP
            times = tuple(round(self.t + i * BYTE_TIME, 9) for i in range(len(piece)))
            self.runs.append(ByteRun(direction, piece, times[0], times))
            self.t = times[-1] + BYTE_TIME

    def exchange(self, code: int, table: int, *, offset: int = 0, count: int | None = None,
                 data: bytes = b"", reply: bytes | None = None, status: int = 0,
                 next_seq: int | None = None) -> None:
        """One request and its response; ``reply`` is the read data (None: a bare status)."""
        fields = {"code": code, "table": table, "seq": self.seq}
        if code in (0x3F, 0x4F):
            fields["offset"] = offset
        if code in (0x40, 0x4F):
            fields["data"] = data
        elif count is not None:
            fields["count"] = count
        request, req_body = self._signed(MEPRequest(**fields))
        self._send(Direction.C2S, request)
        self.t += LATENCY
        rfields: dict = {"code": status}
        if status == 0x0C:
            rfields["next_seq"] = next_seq
        elif reply is not None:
            rfields["data"] = reply
        wire = raw(MEPResponse(**rfields))
        response = wire[:-8] + digest(KEY, req_body + wire[2:-8])
        self._send(Direction.S2C, response)
        self.t += PAUSE
        self.seq = (next_seq + 1) if next_seq is not None else self.seq + 1

    def read(self, table: int, data: bytes, offset: int | None = None) -> None:
        if offset is None:  # MEP full read: 30 <table> <max reply length>
            self.exchange(0x30, table, count=0x0200, reply=data)
        else:
            self.exchange(0x3F, table, offset=offset, count=len(data), reply=data)

    def write(self, table: int, data: bytes, offset: int | None = None) -> None:
        if offset is None:
            self.exchange(0x40, table, data=data)
        else:
            self.exchange(0x4F, table, offset=offset, data=data)

    def alert(self) -> None:
        """The meter's unsolicited ``00 00``."""
        self._send(Direction.S2C, raw(MEPAlert()))
        self.t += PAUSE


def session() -> list[ByteRun]:
    """The example session's byte runs, in time order."""
    s = Session()
    # sequence sync: a stale sequence number, the meter answers 0x0C with the right one
    s.exchange(0x30, ET11, count=0x0200, status=0x0C, next_seq=0x5B4E4200)
    # dimensions
    s.read(ET11, ET11_DATA)
    s.read(BT00, BT00_DATA)
    s.read(BT21, BT21_DATA)
    # MEP registration
    s.write(ET50, ET50_REGISTRATION, offset=0)
    # an alert: which condition? the MEP entry's alert flags in ET13
    s.t += 0.8
    s.alert()
    s.read(ET13, ET13_ALERT_FLAGS, offset=ET13_ALERT_OFFSET)
    # registers
    s.read(BT23, BT23_DATA, offset=0)
    s.read(BT28, BT28_DATA)
    # a transaction: commands into ET52, header and results from ET53
    s.write(ET52, ET52_TRANSACTION, offset=0)
    s.read(ET53, ET53_HEADER, offset=0)
    s.read(ET53, ET53_FULL, offset=0)
    # a procedure call: EP17 through BT07, its result in ET59
    s.write(BT07, BT07_EP17)
    s.read(ET59, ET59_RESULT)
    return s.runs


def write_all(outdir: Path, runs: list[ByteRun] | None = None) -> list[Path]:
    """Write the three example files; returns their paths."""
    runs = session() if runs is None else runs
    outdir.mkdir(parents=True, exist_ok=True)
    paths = [outdir / "session-logic2.csv", outdir / "session.sr", outdir / "session.pcap"]
    write_saleae_logic2_csv(runs, str(paths[0]), names=NAMES, baud=BAUD)
    write_sigrok_sr(runs, str(paths[1]), baud=BAUD, names=(NAMES[Direction.C2S],
                                                            NAMES[Direction.S2C]))
    write_pcap(runs, str(paths[2]))
    return paths


def iter_session() -> Iterator[ByteRun]:
    yield from session()


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for p in write_all(out):
        print(f"wrote {p} ({p.stat().st_size} bytes)")
