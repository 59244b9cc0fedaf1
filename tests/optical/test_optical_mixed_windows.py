"""The mixed MEP/optical splitter streams in bounded windows that end only where no exchange
is open (issue 16 item 7): a long session without pauses decodes as each protocol alone."""

from __future__ import annotations

import pytest
from optical_helpers import device, mep_request, mep_response

import osgpdissect.mixed as mixed
from osgpdissect.bytestream import ByteRun
from osgpdissect.c1218.tables import TableContext
from osgpdissect.mep import Dissector
from osgpdissect.optical import OpticalDissector
from osgpdissect.optical import builders as B


def _summary(records: list) -> list[tuple]:
    return [(type(r).__name__, r.time, tuple(r.warnings)) for r in records]


def _optical_session(n: int) -> list[ByteRun]:
    exchanges = [(B.ident(), B.ident_response(std=0, ver=2, rev=0)),
                 (B.negotiate(64, 8, 9600), B.negotiate_response(64, 8, 9600))]
    exchanges += [(B.read(1), B.read_response(bytes((k + i) & 0xFF for i in range(100))))
                  for k in range(n)]  # 100 bytes in 64-byte packets: two-packet responses
    return B.session(exchanges, packet_size=64)


def _window_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The segment count of every window the splitter decodes (filled as it runs)."""
    sizes: list[int] = []
    real = mixed._window

    def window(segments, *args):
        sizes.append(len(segments))
        yield from real(segments, *args)

    monkeypatch.setattr(mixed, "_window", window)
    return sizes


def test_long_optical_session_cut_only_at_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 16 item 7: an optical session with no pause, far longer than a window, gives
    the records of the optical dissector alone (no window cut inside an exchange: no "ACK
    with no packet to answer"), window after window."""
    runs = _optical_session(60)
    monkeypatch.setattr(mixed, "_WINDOW_SOFT", 25)
    cuts = _window_sizes(monkeypatch)
    got = [rec for rec, _ in mixed.iter_mixed(runs, tables=TableContext(device=device()))]
    want = list(OpticalDissector(TableContext(device=device())).dissect(runs))
    assert len(cuts) > 5 and max(cuts) < 60  # many windows, each bounded
    assert _summary(got) == _summary(want)
    assert not any("no packet to answer" in w for r in got for w in r.warnings)


def test_hard_limit_bounds_a_window_that_never_rests(monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 16 item 7: segments that never reach a rest point still end a window at the
    hard limit (memory bounded whatever the stream)."""
    runs = _optical_session(20)
    monkeypatch.setattr(mixed, "_WINDOW_SOFT", 10)
    monkeypatch.setattr(mixed, "_WINDOW_HARD", 30)
    monkeypatch.setattr(mixed._Idle, "after", lambda self, seg: False)
    sizes = _window_sizes(monkeypatch)
    list(mixed.iter_mixed(runs, tables=TableContext(device=device())))
    assert len(sizes) > 3 and max(sizes) == 30


def test_mep_windows_end_after_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 16 item 7: MEP exchanges in a long window-cut stream pair as the MEP dissector
    alone pairs them."""
    from optical_helpers import timed

    from osgpdissect.bytestream import Direction

    runs, t = [], 0.0
    for k in range(80):
        for d, data in ((Direction.C2S, mep_request(1, 0, 16, 0x100 + k)),
                        (Direction.S2C, mep_response(bytes(range(16))))):
            runs.append(timed(d, data, t))
            t = runs[-1].byte_times[-1] + 0.02
    monkeypatch.setattr(mixed, "_WINDOW_SOFT", 15)
    got = [rec for rec, _ in mixed.iter_mixed(runs, tables=TableContext(device=device()))]
    want = list(Dissector(tables=TableContext(device=device())).dissect(runs))
    assert [(r.kind, r.time, tuple(r.warnings)) for r in got] == \
        [(r.kind, r.time, tuple(r.warnings)) for r in want]
    assert len(got) == 80
