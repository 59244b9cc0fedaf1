"""Procedure calls (BT07 writes) and their results (BT08 / ET59 / ET85 reads), decoded by the spec.

The header is the guide's (l.1409-1430): number ``UINT(0..11)`` + response handling
``UINT(12..15)`` in a UINT16, the procedure sequence number (PSN), then parameters (call) or
result code + response data (result).  Parameters and response data are decoded against the
procedure's ``request`` / ``response`` layout when the spec has one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from osgpdissect.codec import DecodeResult, decode_table, encode_table
from osgpdissect.errors import DecodeError
from osgpdissect.lang import model as m
from osgpdissect.layout.device import Device

ANSI_RESULTS = {
    0: "procedure completed",
    1: "procedure accepted but not fully completed",
    2: "invalid parameter for known procedure, procedure ignored",
    3: "procedure conflicts with current device setup, procedure ignored",
    4: "timing constraint, procedure ignored",
    5: "no authorization for requested procedure, procedure ignored",
    6: "unrecognized procedure, procedure ignored",
}


def procedure_id(number: int) -> str:
    """``0x811`` -> ``"EP17"``; ``10`` -> ``"BP10"``."""
    return f"{'EP' if number & 0x800 else 'BP'}{number & 0x7FF:02d}"


@dataclass
class ProcedureCall:
    number: int
    id: str
    name: str
    response_handling: int
    psn: int
    parameters: DecodeResult | None = None
    raw_parameters: bytes = b""
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "procedure": self.id, "number": self.number, "name": self.name,
            "response_handling": self.response_handling, "psn": self.psn,
            "parameters": self.parameters.to_json()["fields"] if self.parameters else None,
            "raw_parameters": self.raw_parameters.hex(" ").upper(), "warnings": self.warnings,
        }


@dataclass
class ProcedureResult:
    number: int
    id: str
    name: str
    psn: int
    result_code: int
    result: str
    data: DecodeResult | None = None
    raw_data: bytes = b""
    matches_call: bool | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "procedure": self.id, "number": self.number, "name": self.name, "psn": self.psn,
            "result_code": self.result_code, "result": self.result,
            "data": self.data.to_json()["fields"] if self.data else None,
            "raw_data": self.raw_data.hex(" ").upper(), "matches_call": self.matches_call,
            "warnings": self.warnings,
        }


def _procedure(spec: m.Spec, number: int) -> m.Procedure | None:
    return spec.procedure_by_number(number)


_CALL_HEADER, _RESULT_HEADER = 3, 4  # ProcedureRequestHeader, ProcedureResponseHeader


def _header(spec: m.Spec, table: str, data: bytes, device: Device | None) -> dict:
    """The procedure header of BT07 (call) or BT08 (result; ET59/ET85 share it), by the codec."""
    return decode_table(spec, table, data, 0, device).values()["header"]


def call_header(spec: m.Spec, data: bytes, device: Device | None = None) -> tuple[int, int, int]:
    """(procedure number, response handling, PSN) of BT07 bytes (at least 3)."""
    head = _header(spec, "BT07", data[:_CALL_HEADER], device)
    return head["proc"]["procedure_number"], head["proc"]["response_handling"], head["psn"]


def result_header(spec: m.Spec, data: bytes, device: Device | None = None) -> tuple[int, int, int]:
    """(procedure number, PSN, result code) of BT08/ET59/ET85 bytes (at least 4)."""
    head = _header(spec, "BT08", data[:_RESULT_HEADER], device)
    return head["proc"]["procedure_number"], head["psn"], head["result_code"]


def call_bytes(spec: m.Spec, number: int, psn: int, parameters: bytes = b"",
               handling: int = 0) -> bytes:
    """BT07 bytes of a procedure call (header + parameters), built by the codec."""
    header = {"proc": {"procedure_number": number & 0xFFF, "response_handling": handling},
              "psn": psn}
    return encode_table(spec, "BT07", {"header": header, "parameters": bytes(parameters)})


def result_bytes(spec: m.Spec, number: int, psn: int, code: int, data: bytes = b"") -> bytes:
    """A procedure result (BT08/ET59/ET85 bytes: header + response data), built by the codec."""
    header = {"proc": {"procedure_number": number & 0xFFF}, "psn": psn, "result_code": code}
    return encode_table(spec, "BT08", {"header": header, "data": bytes(data)})


def decode_procedure_call(spec: m.Spec, data: bytes, device: Device | None = None) -> ProcedureCall:
    """Decode the data of a BT07 write (header + parameters)."""
    if len(data) < _CALL_HEADER:
        raise DecodeError(f"a BT07 write carries at least 3 header bytes, got {len(data)}")
    number, handling, psn = call_header(spec, data, device)
    proc = _procedure(spec, number)
    call = ProcedureCall(number, procedure_id(number), proc.name if proc else "", handling, psn,
                         raw_parameters=bytes(data[3:]))
    if proc is None:
        call.warnings.append(f"{call.id} is not in the spec")
    elif proc.request:
        try:
            call.parameters = decode_table(spec, proc.id, data[3:], 0, device, part="request")
        except DecodeError as exc:
            call.warnings.append(str(exc))
    elif data[3:]:
        call.warnings.append(f"the guide does not lay out {call.id}'s parameters")
    return call


def decode_procedure_result(spec: m.Spec, data: bytes, call: bytes | ProcedureCall | None = None,
                            device: Device | None = None) -> ProcedureResult:
    """Decode a BT08/ET59/ET85 read; ``call`` (BT07 data or a decoded call) checks the match."""
    if len(data) < _RESULT_HEADER:
        raise DecodeError(f"a procedure response carries at least 4 header bytes, got {len(data)}")
    number, psn, code = result_header(spec, data, device)
    proc = _procedure(spec, number)
    meaning = None
    if proc is not None and proc.results is not None:
        meaning = next((e.label for e in proc.results.entries if e.lo <= code <= e.hi), None)
    meaning = meaning or ANSI_RESULTS.get(code, f"procedure-specific code {code}")
    res = ProcedureResult(number, procedure_id(number), proc.name if proc else "", psn, code, meaning,
                          raw_data=bytes(data[4:]))
    if proc is not None and proc.response and data[4:]:
        try:
            res.data = decode_table(spec, proc.id, data[4:], 0, device, part="response")
        except DecodeError as exc:
            res.warnings.append(str(exc))
    if call is not None:
        if isinstance(call, (bytes, bytearray)):
            call = decode_procedure_call(spec, bytes(call), device)
        res.matches_call = call.number == number and call.psn == psn
        if not res.matches_call:
            res.warnings.append(
                f"result is for {res.id} PSN {psn}, the last call was {call.id} PSN {call.psn}")
    return res
