"""The static-layout plan of ``osgpdissect.decode`` (the bulk path) gives exactly what the
generic walker gives: same nodes, values, warnings, for every table, at any read window."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osgpdissect import decode as D
from osgpdissect.lang.spec import load_default_spec

SPEC = load_default_spec()
DEVICE = D.Device(SPEC)


def _planned_tables() -> list[str]:
    out = []
    for tid in sorted(SPEC.tables):
        try:
            bound = DEVICE.bound(tid)
        except Exception:  # tables that cannot be laid out are the walker's business
            continue
        if D._plan_of(bound, 0) is not None:
            out.append(tid)
    return out


PLANNED = _planned_tables()


def _both(table: str, data: bytes, offset: int, monkeypatch) -> tuple[dict, dict]:
    fast = D.decode_table(SPEC, table, data, offset=offset, device=DEVICE)
    with monkeypatch.context() as mp:
        mp.setattr(D, "_plan_of", lambda bound, base: None)
        slow = D.decode_table(SPEC, table, data, offset=offset, device=DEVICE)
    return (fast.to_json() | {"values": fast.values()}), (
        slow.to_json() | {"values": slow.values()}
    )


def test_some_tables_have_plans():
    assert {"ET11", "BT52"} <= set(PLANNED)


@pytest.mark.parametrize("table", PLANNED)
def test_full_table_same_as_walker(table, monkeypatch):
    size = DEVICE.bound(table).size
    data = bytes((i * 37 + 11) & 0xFF for i in range(size))
    fast, slow = _both(table, data, 0, monkeypatch)
    assert fast == slow


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PLANNED), st.integers(0, 64), st.binary(max_size=80))
def test_any_window_same_as_walker(table, offset, data):
    mp = pytest.MonkeyPatch()
    try:
        fast, slow = _both(table, data, offset, mp)
    finally:
        mp.undo()
    assert fast == slow
