"""The example captures in tests/data/optical decode through the capture readers."""

from __future__ import annotations

from pathlib import Path

from optical_helpers import device

from osgpdissect.captures import open_capture
from osgpdissect.mixed import decode_mixed
from osgpdissect.optical import decode_optical_runs

DATA = Path(__file__).resolve().parents[1] / "data" / "optical"


def test_session_capture_decodes():
    recs = [r.to_json() for r in decode_optical_runs(open_capture(str(DATA / "session.hex")), device())]
    assert [r["record"] for r in recs].count("exchange") == 10
    assert all(r["warnings"] == [] for r in recs)
    assert {r["decoded"]["table"] for r in recs if r["decoded"]} == {"BT00", "BT01", "BT21", "BT23"}


def test_mixed_capture_decodes():
    recs = [r.to_json() for r in decode_mixed(open_capture(str(DATA / "mixed.hex")), device())]
    kinds = [(r.get("protocol", "mep"), r["record"]) for r in recs]
    assert kinds.count(("optical", "exchange")) == 4
    assert ("mep", "exchange") in kinds and ("mep", "alert") in kinds
    assert not any(r["record"] == "malformed" for r in recs)
