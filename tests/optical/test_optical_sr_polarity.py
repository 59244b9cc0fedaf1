"""``.sr`` line polarity comes from the idle level, not a majority vote (issue 21 item 8)."""

from __future__ import annotations

from optical_helpers import session_runs

from osgpdissect.captures import open_capture, write_sigrok_sr
from osgpdissect.captures.uart import idle_inverted
from osgpdissect.optical import OpticalDissector


def test_optical_session_written_as_sr_decodes_to_its_ten_exchanges(tmp_path):
    """issue 21 item 8: the project's optical session through its own .sr writer gives its
    10 exchanges, not malformed and unanswered records."""
    path = tmp_path / "optical.sr"
    write_sigrok_sr(session_runs(), str(path))
    records = list(OpticalDissector().dissect(open_capture([str(path)])))
    exchanges = [r for r in records if r.kind == "exchange"]
    assert len(exchanges) == 10
    assert not [r for r in records if r.kind in ("malformed", "unanswered", "orphan")]


def test_inverted_optical_session_also_decodes(tmp_path):
    """issue 21 item 8: the same session on inverted lines decodes the same way."""
    path = tmp_path / "optical-inv.sr"
    write_sigrok_sr(session_runs(), str(path), invert=True)
    records = list(OpticalDissector().dissect(open_capture([str(path)])))
    assert sum(r.kind == "exchange" for r in records) == 10


def test_idle_level_beats_majority():
    """Mostly-low data (0x00 bytes) on a line idling high is not taken as inverted."""
    byte_zero = b"\x00" * 9 + b"\x01"  # start bit + eight 0 bits (low), stop bit (high)
    levels = b"\x01" * 50 + byte_zero * 40 + b"\x01" * 30
    assert levels.count(0) * 2 > len(levels)  # a vote would say "inverted"
    assert idle_inverted(levels) is False
    assert idle_inverted(bytes(1 - b for b in levels)) is True
    cut = levels[55:]  # starts inside a character: the longest steady stretch decides
    assert cut[0] != cut[-1]
    assert idle_inverted(cut) is False
    assert idle_inverted(bytes(1 - b for b in cut)) is True
