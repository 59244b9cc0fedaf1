"""The run assembler fed in runs (issue 16 item 7): ``add_run`` gives the same runs, in the
same order, as ``add`` called once per byte."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from osgpdissect.bytestream import Direction
from osgpdissect.captures.base import RunAssembler, gap_indexes

_GAP = 0.01

# a block: direction, channel, per-byte steps (some longer than the gap), error positions
_block = st.tuples(
    st.sampled_from(list(Direction)),
    st.sampled_from(["", "A"]),
    st.lists(st.sampled_from([0.001, 0.002, 0.02, 0.0, -0.005]), min_size=1, max_size=90),
    st.sets(st.integers(0, 89), max_size=3),
)


def _events(blocks: list) -> list[tuple]:
    t = 0.0
    out = []
    for k, (d, channel, steps, bad) in enumerate(blocks):
        rows = []
        for i, step in enumerate(steps):
            t = round(t + step, 6)
            kind = "framing" if i in bad else None
            rows.append((d, (k * 7 + i) & 0xFF, t, kind, f"f:{k}.{i}", channel))
        out.append(rows)
    return out


def _by_byte(blocks: list[list[tuple]], max_run: int) -> list:
    asm = RunAssembler(_GAP, max_run)
    out = []
    for rows in blocks:
        for ev in rows:
            out += asm.add(*ev) or []
    return out + asm.finish()


def _by_run(blocks: list[list[tuple]], max_run: int) -> list:
    asm = RunAssembler(_GAP, max_run)
    out = []
    for rows in blocks:
        d, channel = rows[0][0], rows[0][5]
        data = bytes(r[1] for r in rows)
        times = [r[2] for r in rows]
        errors = [(i, r[3]) for i, r in enumerate(rows) if r[3]]
        out += asm.add_run(d, data, times, errors, rows[0][4], channel,
                           where=lambda i, rows=rows: rows[i][4])
    return out + asm.finish()


@settings(max_examples=150, deadline=None)
@given(st.lists(_block, min_size=1, max_size=8), st.sampled_from([1, 3, 16, 4096]))
def test_add_run_equals_add_per_byte(blocks: list, max_run: int) -> None:
    """issue 16 item 7: add_run equals add once per byte (data, times, errors, sources,
    channels, release order)."""
    events = _events(blocks)
    want = _by_byte(events, max_run)
    got = _by_run(events, max_run)
    assert [(r.direction, r.data, r.time, r.byte_times, r.errors, r.source, r.channel)
            for r in got] == \
        [(r.direction, r.data, r.time, r.byte_times, r.errors, r.source, r.channel)
         for r in want]
    assert sum(len(r.data) for r in got) == sum(len(rows) for rows in events)


def test_gap_indexes_short_and_long_agree() -> None:
    """issue 16 item 7: the gap search finds the steps longer than the gap."""
    times = [i * 0.001 + (0.5 if i > 40 else 0) + (1.0 if i > 100 else 0) for i in range(150)]
    assert gap_indexes(times, _GAP) == [41, 101]
    assert gap_indexes(times[:50], _GAP) == [41]
    assert gap_indexes([], _GAP) == [] and gap_indexes([1.0], _GAP) == []


_REQ_SHAPES = st.sampled_from([("pread", 8), ("pread", 40), ("fread", None), ("fread", 20),
                               ("write",), ("tls",), ("opaque",), ("damaged",)])
_RESP_SHAPES = st.sampled_from([("data", False, 8), ("data", False, 40), ("data", True, 20),
                                ("ok", False), ("error", False), ("bad", False),
                                ("unknown", True), ("damaged", True)])


@settings(max_examples=200, deadline=None)
@example([("pread", 8), ("write",), ("pread", 40)], [("data", False, 8), ("ok", False)])
@example([("pread", 8), ("write",)], [("data", False, 8), ("ok", False), ("ok", False)])
@example([("pread", 8), ("pread", 8)], [("data", False, 8), ("data", False, 8)])
@given(st.lists(_REQ_SHAPES, max_size=12), st.lists(_RESP_SHAPES, max_size=12))
def test_untimed_alignment_shortcut_equals_table(reqs: list, resps: list) -> None:
    """issue 16 item 7: the untimed pairing's shortcut (every request answered in its place
    with the best fit) gives the steps of the full alignment table."""
    import pytest

    from osgpdissect.c1218.messages import Frame
    from osgpdissect.captures import order

    def units(shapes: list, d: Direction) -> list:
        return [order._Unit(Frame(d, b"\x00\x01\x00"), shape=s) for s in shapes]

    got = order._align(units(reqs, Direction.C2S), units(resps, Direction.S2C))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(order, "_BEST_FIT", 99)  # no shortcut: the table always
        want = order._align(units(reqs, Direction.C2S), units(resps, Direction.S2C))
    assert got == want


def test_an_integer_run_gap_gives_the_runs_of_the_same_float():
    """Review (session 6): ``CaptureOptions(run_gap=1)`` split a Logic 2 export into one-byte
    runs (``int.__lt__`` of a float is NotImplemented, which counts as true)."""
    from pathlib import Path

    from osgpdissect.captures import CaptureOptions, open_capture

    example = str(Path(__file__).resolve().parents[2] / "examples" / "session-logic2.csv")
    as_int = [r.data for r in open_capture([example], options=CaptureOptions(run_gap=1))]
    as_float = [r.data for r in open_capture([example], options=CaptureOptions(run_gap=1.0))]
    assert as_int == as_float and max(map(len, as_int)) > 1
