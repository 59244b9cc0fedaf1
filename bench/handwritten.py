"""The yardstick: a hand-written decoder of the bench session's capture file.

It reads the same pcap (classic, RTAC serial link type) as ``osgpdissect decode``, cuts frames by
their length prefix, pairs each response with the request before it, and decodes the same tables
(BT00 and BT21, read once, are kept raw; ET11, BT23 full and tier reads, BT28, BT52, ET13 entries) into the same
JSON content: the record, both frames with their fields, and every table field as a node
(name, guide name, offset, size, value, raw bytes, unit, enum meaning, children), one JSON line
per exchange.  The table layouts are typed in for the session's fixed dimensions: that is what
makes it hand-written.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import Any

import session_gen as g

SUMMATION_FIELDS = (
    ("fwd_active_wh", "Fwd Active Wh L1L2L3", "Wh"), ("rev_active_wh", "Rev Active Wh L1L2L3", "Wh"),
    ("import_reactive_varh", "Import Reactive VArh L1L2L3", "VArh"),
    ("export_reactive_varh", "Export Reactive VArh L1L2L3", "VArh"),
    ("power_outage_duration", "Power Outage Duration", "s"), ("power_outage_qty", "Power Outage Qty", None),
    ("fwd_plus_rev_active_wh", "Fwd+Rev Active Wh L1L2L3", "Wh"),
    ("fwd_minus_rev_active_wh", "Fwd-Rev Active Wh L1L2L3", "Wh"), ("pulse_input_1", "Pulse Input 1", None),
    ("pulse_input_2", "Pulse Input 2", None), ("error_counter", "Error Counter", None),
)
PRESENT_FIELDS = (
    ("fwd_active_w", "Fwd Active W L1L2L3", "W"), ("rev_active_w", "Rev Active W L1L2L3", "W"),
    ("import_reactive_var", "Import Reactive VAr L1L2L3", "VAr"),
    ("export_reactive_var", "Export Reactive VAr L1L2L3", "VAr"),
    ("rms_current_l1", "RMS Current (mA) L1", "mA"), ("rms_current_l2", "RMS Current (mA) L2", "mA"),
    ("rms_current_l3", "RMS Current (mA) L3", "mA"), ("rms_voltage_l1", "RMS Voltage (mV) L1", "mV"),
    ("rms_voltage_l2", "RMS Voltage (mV) L2", "mV"), ("rms_voltage_l3", "RMS Voltage (mV) L3", "mV"),
    ("power_factor_l1", "Power Factor L1 (1/1000)", None), ("frequency", "Frequency (mHz)", "mHz"),
    ("va", "VA L1L2L3", "VA"), ("power_factor_l2", "Power Factor L2 (1/1000)", None),
    ("power_factor_l3", "Power Factor L3 (1/1000)", None), ("sin_pa_l1", "Sin(PA) L1 (1/1000)", None),
    ("sin_pa_l2", "Sin(PA) L2 (1/1000)", None), ("sin_pa_l3", "Sin(PA) L3 (1/1000)", None),
    ("fwd_active_w_ctvt", "Fwd Active W L1L2L3 multiplied by CT/VT ratio if enabled", "W"),
    ("rev_active_w_ctvt", "Rev Active W L1L2L3 multiplied by CT/VT ratio if enabled", "W"),
    ("import_reactive_var_ctvt", "Import Reactive VAr L1L2L3 multiplied by CT/VT ratio if enabled", "VAr"),
    ("export_reactive_var_ctvt", "Export Reactive VAr L1L2L3 multiplied by CT/VT ratio if enabled", "VAr"),
    ("q1_reactive_var", "Q1 Reactive Var L1L2L3", "VAr"), ("q2_reactive_var", "Q2 Reactive Var L1L2L3", "VAr"),
    ("q3_reactive_var", "Q3 Reactive Var L1L2L3", "VAr"), ("q4_reactive_var", "Q4 Reactive Var L1L2L3", "VAr"),
)
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
FREQUENCIES = ("hourly (day and hour of the timestamp ignored)", "daily (day of the timestamp ignored)",
               "weekly", "monthly", "never")
SUMS = struct.Struct(f"<{len(SUMMATION_FIELDS)}i")
PRESENT = struct.Struct(f"<{len(PRESENT_FIELDS)}i")
TABLE_NAMES = {g.BT00: "General Configuration", g.ET11: "MFG Dimension Table", g.BT21: "Actual Register",
               g.BT23: "Current Register Data", g.BT28: "Present Register Data", g.BT52: "UTC Clock",
               g.ET13: "MEP/M-Bus Device Configuration"}


def node(name: str, orig: str, off: int, size: int, value: Any, raw: str, unit: str | None = None,
         enum: str | None = None, children: list | None = None, partial: bool = False) -> dict:
    out: dict[str, Any] = {"name": name, "orig_name": orig, "offset": off, "size": size, "value": value,
                           "raw": raw}
    if enum is not None:
        out["enum"] = enum
    if unit is not None:
        out["unit"] = unit
    if partial:
        out["partial"] = True
    if children:
        out["children"] = children
    return out


def _hex(data: bytes, a: int, n: int) -> str:
    return data[a:a + n].hex(" ").upper()


def summations(data: bytes, at: int, base: int) -> list[dict]:
    values = SUMS.unpack_from(data, at)
    end = base + 4 * len(SUMMATION_FIELDS)
    return [node(name, orig, base + 4 * i, 4, values[i], _hex(data, at + 4 * i, 4), unit)
            for i, (name, orig, unit) in enumerate(SUMMATION_FIELDS)] + [
        node("demands", "Demand Measurements", end, 0, None, ""), node("coincidents", "Coincidents", end, 0, None, "")]


def bt23(data: bytes, offset: int) -> list[dict]:
    block = 4 * g.SUMMATIONS
    if offset == 0:
        tiers = [node(f"[{k}]", "Tier Data Block", block * (k + 1), block, None, "",
                      children=summations(data, block * (k + 1), block * (k + 1))) for k in range(g.TIERS)]
        inner = [node("totals", "Total Data Block", 0, block, None, "", children=summations(data, 0, 0)),
                 node("tiers", "Tier Data Block", block, block * g.TIERS, None, "", children=tiers)]
        return [node("register_data", "Register Data", 0, g.BT23_SIZE, None, "", children=inner)]
    k = offset // block - 1
    tier = node(f"[{k}]", "Tier Data Block", offset, block, None, "", children=summations(data, 0, offset))
    tiers = node("tiers", "Tier Data Block", block, block * g.TIERS, None, "", children=[tier], partial=True)
    return [node("register_data", "Register Data", 0, g.BT23_SIZE, None, "", children=[tiers], partial=True)]


def bt28(data: bytes) -> list[dict]:
    values = PRESENT.unpack_from(data)
    return [node("present_demands", "Present Demands", 0, 0, None, "")] + [
        node(name, orig, 4 * i, 4, values[i], _hex(data, 4 * i, 4), unit)
        for i, (name, orig, unit) in enumerate(PRESENT_FIELDS)]


def bt52(data: bytes) -> list[dict]:
    y, mo, d, h, mi, s, q = data[:7]
    flags = [("dst_flag", "Daylight Saving Time", 3), ("gmt_flag", "Greenwich Mean Time", 4),
             ("tm_zn_applied_flag", "Time Zone Applied", 5), ("dst_applied_flag", "DST Applied", 6)]
    qual = [node("day_of_week", "Day of Week", 6, 1, q & 7, f"{q & 7:X}", enum=WEEKDAYS[q & 7])]
    qual += [node(n, o, 6, 1, bool(q >> b & 1), f"{q >> b & 1:X}") for n, o, b in flags]
    return [node("clock_calendar", "Clock Calendar", 0, 6,
                 f"{2000 + y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}", _hex(data, 0, 6)),
            node("time_date_qual", "Time Date Qualifier", 6, 1, q, f"{q:02X}", children=qual)]


def et13_entry(data: bytes, offset: int) -> list[dict]:
    k = offset // g.ET13_ENTRY
    day, hour, minute, freq, status, baud, alarms = struct.unpack_from("<BBBBHBB", data)
    b = offset
    kids = [
        node("billing_read_time", "Scheduled Billing Read Time", b, 3, None, "", children=[
            node("day", "Day", b, 1, day, _hex(data, 0, 1)), node("hour", "Hour", b + 1, 1, hour, _hex(data, 1, 1)),
            node("minute", "Minute", b + 2, 1, minute, _hex(data, 2, 1))]),
        node("billing_read_frequency", "Scheduled Billing Read Frequency", b + 3, 1, freq, _hex(data, 3, 1),
             enum=FREQUENCIES[freq] if freq < 5 else None),
        node("status_read_frequency", "Scheduled Status Read Frequency (M-Bus only)", b + 4, 2, status,
             _hex(data, 4, 2), unit="min"),
        node("baud_rate", "Baud Rate", b + 6, 1, baud, _hex(data, 6, 1)),
        node("device_alarm_bitmask", "Device Alarm Bitmask", b + 7, 1, alarms, _hex(data, 7, 1)),
        node("customer_id", "Customer ID", b + 8, 20, data[8:28].rstrip(b"\x00 ").decode("latin-1"),
             _hex(data, 8, 20)),
        node("app_reset_parameter", "App Reset Parameter", b + 28, 1, data[28], _hex(data, 28, 1)),
        node("security_key_length", "Security Key Length", b + 29, 1, data[29], _hex(data, 29, 1)),
        node("security_key", "Security Key", b + 30, 32, _hex(data, 30, 32), _hex(data, 30, 32)),
        node("ta", "Ta", b + 62, 2, struct.unpack_from("<H", data, 62)[0], _hex(data, 62, 2), unit="bit-times"),
        node("to", "To", b + 64, 2, struct.unpack_from("<H", data, 64)[0], _hex(data, 64, 2), unit="ms"),
    ]
    entry = node(f"[{k}]", "Device Config", b, g.ET13_ENTRY, None, "", children=kids)
    return [node("device_config", "Device Config", 0, 4 * g.ET13_ENTRY, None, "", children=[entry], partial=True)]


def et11(data: bytes) -> list[dict]:
    names = (("num_devices", "Number of Devices"), ("config_entry_size", "Config Entry Size"),
             ("status_entry_size", "Status Entry Size"), ("od_queue_size", "OD Queue Size"),
             ("od_entry_size", "OD Entry Size"))
    out = [node(n, o, i, 1, data[i], _hex(data, i, 1)) for i, (n, o) in enumerate(names)]
    out.append(node("data_entry_size", "Data Entry Size", 5, 2, struct.unpack_from("<H", data, 5)[0], _hex(data, 5, 2)))
    out.append(node("txn_request_len", "Txn Request Len", 7, 2, struct.unpack_from("<H", data, 7)[0], _hex(data, 7, 2)))
    return out


def decode_table(table: int, offset: int, data: bytes) -> list[dict]:
    if table == g.BT23:
        return bt23(data, offset)
    if table == g.BT28:
        return bt28(data)
    if table == g.BT52:
        return bt52(data)
    if table == g.ET13:
        return et13_entry(data, offset)
    if table == g.ET11:
        return et11(data)
    return [node(f"byte_{i}", "", i, 1, v, f"{v:02X}") for i, v in enumerate(data)]


def packets(path: str) -> Iterator[tuple[float, int, bytes]]:
    """(time, RTAC event, line bytes) of a classic little-endian pcap."""
    head = struct.Struct("<IIII")
    with open(path, "rb") as f:
        blob = f.read()
    pos = 24
    while pos + 16 <= len(blob):
        sec, usec, caplen, _ = head.unpack_from(blob, pos)
        pos += 16
        yield sec + usec / 1e6, blob[pos + 8], blob[pos + 12:pos + caplen]
        pos += caplen


def _frame(direction: str, t: float, raw: bytes, n: int, path: str) -> dict:
    return {"direction": direction, "time": t, "end_time": t + len(raw) * 10 / 9600, "source": f"{path}#{n}",
            "hex": raw.hex(), "length": len(raw) - 2, "segments": 1, "mode": "rc4"}


def records(path: str) -> Iterator[str]:
    request: dict | None = None
    index = 0
    for n, (t, event, raw) in enumerate(packets(path), 1):
        if event == 0x01:
            code, table = raw[2], struct.unpack_from(">H", raw, 3)[0]
            full = code == 0x30
            offset = 0 if full else int.from_bytes(raw[5:8], "big")
            count = None if full else struct.unpack_from(">H", raw, 8)[0]
            request = _frame("C->S", t, raw, n, path)
            request.update(code=code, code_name="Full Table Read" if full else "Partial Table Read",
                           table=f"{'ET' if table >= 2048 else 'BT'}{table % 2048:02d}", table_number=table,
                           table_name=TABLE_NAMES.get(table, ""), offset=offset, count=count, data=None,
                           seq=struct.unpack_from(">I", raw, len(raw) - 12)[0], digest=raw[-8:].hex(),
                           problems=[])
            continue
        if request is None:
            continue
        count = struct.unpack_from(">H", raw, 3)[0]
        data = raw[5:5 + count]
        response = _frame("S->C", t, raw, n, path)
        response.update(code=raw[2], code_name="OK", count=count, data=data.hex(), next_seq=None,
                        digest=raw[-8:].hex(), problems=[])
        index += 1
        rec = {"record": "exchange", "index": index, "time": request["time"], "request": request,
               "response": response,
               "pairing": {"rule": "order", "latency": t - request["end_time"], "retries": [],
                           "extra_responses": []},
               "security": {"request_digest": "no key", "response_digest": "no key", "access_level": None,
                            "encrypted": False, "notes": []},
               "procedure": None, "transaction": None, "malformed": None, "warnings": [],
               "protocol": "mep", "line_errors": [],
               "decoded": {"table": request["table"], "name": request["table_name"], "offset": request["offset"],
                           "size": len(data),
                           "fields": decode_table(request["table_number"], request["offset"], data),
                           "defaults_used": [], "warnings": []}}
        request = None
        yield json.dumps(rec)
