"""Procedure calls (BT07 writes) and their results (ET59/ET85/BT08 reads), l.1385-1464.

BT07 data: ``UINT16 LSB`` procedure number (bits 0..11) + response handling (bits 12..15),
PSN ``UINT8``, parameters.  Result tables: procedure number + filler, PSN, result code, data.
Headers are read by the codec (the spec's ProcedureRequestHeader/ProcedureResponseHeader).
The result is matched with the last call by procedure number and PSN.  Response table rule:
MEP1 reads ET59 when ET50.30 bit 1 ("ET59 Response") is set, else BT08; MEP2 reads ET85.
Parameter and result-data decoding is the spec's (``osgpdissect.c1218.procedures``) when present.
"""

from __future__ import annotations

import logging
from typing import Any

from osgpdissect.c1218 import codes as C
from osgpdissect.c1218 import procedures
from osgpdissect.c1218.procedures import call_header, result_header

__all__ = ["ProcedureTracker"]

log = logging.getLogger(__name__)

# ET50's "ET59 Response" flag of MEP client 1 (the first MEP inbound configuration)
ET59_RESPONSE_FLAG = "mep_inbound_config.[0].mep_flags.et59_response"


class ProcedureTracker:
    """Remembers the last BT07 call and the ET50 "ET59 Response" flag of one capture."""

    def __init__(self, tables: Any, client_psn_range: tuple[int, int] | None = (5, 9)) -> None:
        """``client_psn_range``: the PSNs a MEP client may use (l.1421); ``None`` where no such
        rule applies (optical C12.18 procedure calls)."""
        self.tables = tables
        self.client_psn_range = client_psn_range
        self.last_call: dict[str, Any] | None = None
        self.last_call_index: int | None = None
        self.et59_response: bool | None = None
        self._last_psn: int | None = None
        self._last_spec_call: Any = None  # the spec's ProcedureCall of ``last_call``

    def on_et50(self, decoding: Any) -> None:
        """ET50 decoded from a read, or from a write the meter acknowledged: pick up the ET59
        Response flag when the bytes held it."""
        flag = decoding.find(ET59_RESPONSE_FLAG)
        if flag is not None and flag.value is not None and not flag.partial:
            self.et59_response = bool(flag.value)

    def on_call(self, data: bytes, index: int) -> dict[str, Any]:
        """A BT07 write; ``index`` is the exchange number, for the result to point back."""
        out: dict[str, Any] = {"kind": "procedure call"}
        if len(data) < 3:
            out["problems"] = [f"BT07 write of {len(data)} bytes: no procedure header"]
            return out
        header = self._header(call_header, data)
        if isinstance(header, str):
            out.update(raw=data.hex(), problems=[header])
            self.last_call, self.last_call_index = out, index  # later results: not this one's
            self._last_spec_call = None
            return out
        number, handling, psn = header
        problems = []
        lo_hi = self.client_psn_range
        if lo_hi is not None and not lo_hi[0] <= psn <= lo_hi[1]:
            problems.append(f"PSN {psn} outside the MEP client range {lo_hi[0]}..{lo_hi[1]} (l.1421)")
        if psn == self._last_psn:
            problems.append(f"PSN {psn} repeats the previous call: the meter answers 0x04 (l.1422)")
        self._last_psn = psn
        out.update(
            procedure=C.procedure_id(number),
            number=number,
            name=self._name(number),
            response_handling=handling,
            psn=psn,
            parameters=data[3:].hex(),
            raw=data.hex(),
            problems=problems,
        )
        decoded = self._spec_call(data)
        if decoded is not None:
            out["decoded"] = decoded
        self.last_call, self.last_call_index = out, index
        return out

    def on_result(self, table: int, offset: int, data: bytes) -> dict[str, Any] | None:
        """A read of BT08/ET59/ET85 from offset 0: the result of the last call."""
        if offset != 0 or len(data) < 4:
            return None
        header = self._header(result_header, data)
        if isinstance(header, str):
            return {"kind": "procedure result", "data": data.hex(), "problems": [header]}
        number, psn, result = header
        out: dict[str, Any] = {
            "kind": "procedure result",
            "procedure": C.procedure_id(number),
            "number": number,
            "name": self._name(number),
            "psn": psn,
            "result_code": result,
            "result_name": C.PROCEDURE_RESULT_CODES.get(result, "procedure-specific code"),
            "data": data[4:].hex(),
            "problems": [],
        }
        call = self.last_call
        if call is None:
            out["problems"].append("no BT07 call seen before this result")
        elif "number" not in call:
            out["problems"].append("the last BT07 call's header was not read: "
                                   "this result cannot be matched with it")
        elif call["number"] != number or call["psn"] != psn:
            out["problems"].append(
                f"result of {C.procedure_id(number)} PSN {psn} does not match the last call "
                f"({call['procedure']} PSN {call['psn']}): posted by another user?"
            )
        else:
            out["call_exchange"] = self.last_call_index
        expected = self._expected_table()
        if expected is not None and table != expected and table != C.ET85:
            out["problems"].append(
                f"ET50.30.1 = {int(bool(self.et59_response))} puts MEP1 results in "
                f"{C.table_id(expected)}, not {C.table_id(table)}"
            )
        decoded = self._spec_result(data, call)
        if decoded is not None:
            out["decoded"] = decoded
        return out

    def _header(self, read: Any, data: bytes) -> tuple[int, int, int] | str:
        """The procedure header read by the codec (``call_header``/``result_header``), or why
        it could not be."""
        if not getattr(self.tables, "available", False):
            return f"procedure header not decoded: {getattr(self.tables, 'reason', '')}"
        try:
            return read(self.tables.spec, data, self.tables.device)
        except Exception as exc:  # a decoder bug costs this header, never the capture
            log.debug("procedure header failed", exc_info=True)
            return f"procedure header not decoded: {type(exc).__name__}: {exc}"

    def _expected_table(self) -> int | None:
        if self.et59_response is None:
            return None
        return C.ET59 if self.et59_response else C.BT08

    def _name(self, number: int) -> str:
        spec = getattr(self.tables, "spec", None)
        if spec is None:
            return ""
        try:
            entry = spec.find(C.procedure_id(number))
        except Exception as exc:  # a spec lookup problem only costs the name
            log.debug("spec.find(%s) failed: %s", number, exc)
            return ""
        return getattr(entry, "name", "") or ""

    def _spec_call(self, data: bytes) -> Any:
        self._last_spec_call = None
        if not getattr(self.tables, "available", False):
            return None
        try:
            call = procedures.decode_procedure_call(self.tables.spec, data, device=self.tables.device)
        except Exception as exc:  # the spec decoder is optional detail
            log.debug("decode_procedure_call failed: %s", exc)
            return {"warning": f"decode_procedure_call failed: {type(exc).__name__}: {exc}"}
        self._last_spec_call = call
        return _jsonable(call)

    def _spec_result(self, data: bytes, call: dict[str, Any] | None) -> Any:
        if not getattr(self.tables, "available", False):
            return None
        # The call as the spec decoded it (same device state), else its raw BT07 bytes.
        spec_call = self._last_spec_call if call is self.last_call else None
        if spec_call is None and call and "raw" in call:
            spec_call = bytes.fromhex(call["raw"])
        try:
            return _jsonable(procedures.decode_procedure_result(
                self.tables.spec, data, spec_call, device=self.tables.device))
        except Exception as exc:  # the spec decoder is optional detail
            log.debug("decode_procedure_result failed: %s", exc)
            return {"warning": f"decode_procedure_result failed: {type(exc).__name__}: {exc}"}


def _jsonable(value: Any) -> Any:
    to_json = getattr(value, "to_json", None)
    return to_json() if callable(to_json) else value
