"""Direction from content when channel, analyzer or file names do not decide it (issue 16
item 1).  Each case decodes to the same records as the well-named version of the session."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from pairing_corpus import build

from osgpdissect.bytestream import Direction
from osgpdissect.captures import (
    CaptureError,
    CaptureOptions,
    open_capture,
    write_saleae_logic1_csv,
    write_saleae_logic2_csv,
    write_sigrok_sr,
)
from osgpdissect.captures.direction import content_votes
from osgpdissect.mep import Dissector

C2S, S2C = Direction.C2S, Direction.S2C


def _records(paths, **opts) -> list[tuple]:
    options = CaptureOptions.parse(opts) if opts else CaptureOptions()
    capture = open_capture(paths, options=options)
    out = [(r.kind, r.request_frame and r.request_frame.raw,
            r.response_frame and r.response_frame.raw) for r in Dissector().dissect(capture)]
    return out


@pytest.fixture(scope="module")
def corpus():
    return build("flip")


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> list[tuple]:
    path = tmp_path_factory.mktemp("ref") / "named.csv"
    write_saleae_logic2_csv(corpus.runs, str(path), names={C2S: "TX", S2C: "RX"})
    return _records([str(path)])


@pytest.mark.parametrize("names", [
    {C2S: "Client TX", S2C: "Meter TX"},  # both end in TX
    {C2S: "Meter TX", S2C: "Client TX"},  # names that do not decide: the content does
    {C2S: "Async Serial [1]", S2C: "Async Serial"},
    {C2S: "Async Serial", S2C: "Async Serial [1]"},
])
def test_logic2_analyzer_names_that_do_not_decide(tmp_path, corpus, reference, names):
    """issue 16 item 1: Logic 2 analyzers named alike decode by content, with a note."""
    path = tmp_path / "s.csv"
    write_saleae_logic2_csv(corpus.runs, str(path), names=names)
    options = CaptureOptions()
    capture = open_capture([str(path)], options=options)
    got = [(r.kind, r.request_frame and r.request_frame.raw,
            r.response_frame and r.response_frame.raw) for r in Dissector().dissect(capture)]
    assert got == reference
    assert len(capture.notes) == 1
    note = capture.notes[0]
    assert f"{names[C2S]!r} taken as C->S" in note and f"{names[S2C]!r} as S->C" in note


def test_alike_lines_are_refused_with_the_exact_option(tmp_path):
    """issue 16 item 1: when both lines score alike the error names -o channels=..."""
    from osgpdissect.bytestream import ByteRun

    runs = [ByteRun(C2S if k % 2 == 0 else S2C, bytes([0x41 + k] * 5), 1.0 + k, ()) for k in
            range(6)]
    path = tmp_path / "alike.csv"
    write_saleae_logic2_csv(runs, str(path), names={C2S: "Async Serial", S2C: "Async Serial [1]"})
    with pytest.raises(CaptureError) as err:
        list(open_capture([str(path)]))
    assert "-o channels=Async Serial:tx,Async Serial [1]:rx" in str(err.value)
    got = _records([str(path)], channels="Async Serial:tx,Async Serial [1]:rx")
    assert got  # the suggested option works


def test_repeated_channels_options_combine():
    """issue 16 item 4: two -o channels= options add up instead of replacing each other."""
    opts = CaptureOptions.parse(["channels=A:tx", "channels=B:rx", "baud=9600"])
    assert opts.channels == {"A": C2S, "B": S2C}


def _sr(path: Path, runs, names=("TX", "RX")) -> None:
    write_sigrok_sr(runs, str(path), names=names)


@pytest.mark.parametrize("names", [("D0", "D1"), ("D1", "D0")])
def test_sigrok_default_channel_names(tmp_path, corpus, reference, names):
    """issue 16 item 1: sigrok D0/D1 channels get their directions from the bytes."""
    runs = corpus.runs[:60]
    ref = tmp_path / "named.sr"
    _sr(ref, runs)
    path = tmp_path / "d0d1.sr"
    _sr(path, runs, names)
    capture = open_capture([str(path)])
    got = [(r.kind, r.request_frame and r.request_frame.raw) for r in Dissector().dissect(capture)]
    want = [(k, q) for k, q, _ in _records([str(ref)])]
    assert got == want and len(got) > 20
    assert f"'{names[0]}' taken as C->S" in capture.notes[0]


def test_sigrok_eight_channels_two_active(tmp_path, corpus):
    """issue 16 item 1: of eight channels, the two that toggle are taken, by content."""
    runs = corpus.runs[:40]
    two = tmp_path / "two.sr"
    _sr(two, runs)
    eight = tmp_path / "eight.sr"
    with zipfile.ZipFile(two) as src, zipfile.ZipFile(eight, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "metadata":
                text = data.decode().replace("total probes=2", "total probes=8")
                text = text.replace("probe1=TX\nprobe2=RX\n", "".join(
                    f"probe{k + 1}=D{k}\n" for k in range(8)))
                data = text.encode()
            elif info.filename.startswith("logic-1"):
                # client line on D5, meter line on D2, D7 held high, the rest low
                data = bytes(((b & 1) << 5) | ((b >> 1 & 1) << 2) | 0x80 for b in data)
            dst.writestr(info, data)
    capture = open_capture([str(eight)])
    got = [(r.kind, r.request_frame and r.request_frame.raw) for r in Dissector().dissect(capture)]
    want = [(k, q) for k, q, _ in _records([str(two)])]
    assert got == want
    assert "'D5' taken as C->S" in capture.notes[0] and "'D2' as S->C" in capture.notes[0]


def test_logic1_files_named_tx_rx(tmp_path, corpus, reference):
    """issue 16 item 1: Logic 1 exports named ..._tx.csv / ..._rx.csv need no FILE:tx."""
    tx, rx = tmp_path / "meter_session_tx.csv", tmp_path / "meter_session_rx.csv"
    write_saleae_logic1_csv(corpus.runs, str(tx), direction=C2S)
    write_saleae_logic1_csv(corpus.runs, str(rx), direction=S2C)
    assert _records([str(rx), str(tx)]) == reference


def test_content_votes():
    """MEP requests count for the client, responses and alerts for the meter."""
    c = build("flip")
    tx = b"".join(r.data for r in c.runs if r.direction is C2S)
    rx = b"".join(r.data for r in c.runs if r.direction is S2C)
    client, meter = content_votes(tx)
    assert client > 50 and meter == 0
    client, meter = content_votes(rx)
    assert meter > 50 and client == 0


def test_logic2_two_analyzers_with_one_name(tmp_path, corpus, reference):
    """issue 16 item 1: two analyzers exported under the same name: each burst's direction
    comes from its content, and a note says so."""
    path = tmp_path / "same.csv"
    write_saleae_logic2_csv(corpus.runs, str(path), names={C2S: "Async Serial",
                                                           S2C: "Async Serial"})
    capture = open_capture([str(path)])
    got = [(r.kind, r.request_frame and r.request_frame.raw,
            r.response_frame and r.response_frame.raw) for r in Dissector().dissect(capture)]
    assert got == reference
    assert "carries both sides" in capture.notes[0]
