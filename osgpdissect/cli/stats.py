"""``--stats``: counters over the decoded records (constant memory: counters, not records)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from osgpdissect.c1218.severity import classify

__all__ = ["Stats"]

_READS = {0x30, 0x3F}
_WRITES = {0x40, 0x4F}


def _table_id(number: int) -> str:
    return f"ET{number - 2048:02d}" if number >= 2048 else f"BT{number:02d}"


class Stats:
    """Records by kind and protocol, exchanges, tables read/written, errors by kind, digest
    results and the time span of a decode."""

    def __init__(self) -> None:
        self.records = 0
        self.kinds: Counter[str] = Counter()
        self.protocols: Counter[str] = Counter()
        self.reads: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()
        self.digests: Counter[str] = Counter()
        self.first: float | None = None
        self.last: float | None = None
        self.shown = 0

    def add(self, item: Any) -> None:
        """Count one :class:`~osgpdissect.cli.pipeline.Decoded` record."""
        rec = item.record
        self.records += 1
        self.kinds[rec.kind] += 1
        self.protocols[item.protocol] += 1
        t = rec.time
        if t is not None:
            self.first = t if self.first is None else min(self.first, t)
            self.last = t if self.last is None else max(self.last, t)
        req = rec.request
        if req is not None and req.table is not None:
            if req.code in _READS:
                self.reads[_table_id(req.table)] += 1
            elif req.code in _WRITES:
                self.writes[_table_id(req.table)] += 1
        errors, notes = classify(rec, item.line_errors)
        for kind in errors:
            self.errors[kind] += 1
        for kind in notes:
            self.notes[kind] += 1
        sec = rec.security or {}
        for key in ("request_digest", "response_digest"):
            status = sec.get(key)
            if status:
                self.digests[f"{key.split('_')[0]}: {status}"] += 1

    def add_unclaimed(self, hits: list[Any]) -> None:
        for hit in hits:
            self.errors[f"{hit.kind} error outside any frame"] += 1

    @property
    def span(self) -> float | None:
        return None if self.first is None or self.last is None else self.last - self.first

    def to_json(self) -> dict[str, Any]:
        return {
            "record": "stats",
            "records": self.records,
            "shown": self.shown,
            "kinds": dict(self.kinds),
            "protocols": dict(self.protocols),
            "exchanges": self.kinds.get("exchange", 0),
            "tables_read": dict(sorted(self.reads.items())),
            "tables_written": dict(sorted(self.writes.items())),
            "errors": dict(self.errors.most_common()),
            "notes": dict(self.notes.most_common()),
            "digests": dict(self.digests.most_common()),
            "first_time": self.first,
            "last_time": self.last,
            "span": self.span,
        }

    def lines(self) -> list[str]:
        def counts(c: Counter[str]) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "none"

        span = self.span
        out = [
            "=" * 60,
            "Statistics",
            f"  records: {self.records} ({counts(self.kinds)})"
            + (f", {self.shown} shown" if self.shown != self.records else ""),
            f"  protocols: {counts(self.protocols)}",
            f"  exchanges: {self.kinds.get('exchange', 0)}",
            f"  tables read: {counts(self.reads)}",
            f"  tables written: {counts(self.writes)}",
            "  errors: " + (", ".join(f"{k} {v}" for k, v in self.errors.most_common()) or "none"),
            "  notes: " + (", ".join(f"{k} {v}" for k, v in self.notes.most_common()) or "none"),
            "  digests: " + (", ".join(f"{k} {v}" for k, v in self.digests.most_common())
                             or "none"),
        ]
        if span is not None:
            out.append(f"  time span: {self.first:.6f} .. {self.last:.6f} ({span:.3f} s)")
        else:
            out.append("  time span: unknown")
        out.append("=" * 60)
        return out
