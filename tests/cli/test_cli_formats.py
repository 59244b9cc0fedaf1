"""The example session in every capture format decodes to the same JSON; --output pcap
round-trips; analyzer line errors are shown on the frame they hit."""

from __future__ import annotations

import zipfile
from dataclasses import replace

import pytest
from cli_helpers import EXAMPLES, first_difference, json_lines, run_cli, same, strip

from osgpdissect.bytestream import Direction, LineError
from osgpdissect.captures import (
    write_hex_text,
    write_pcap,
    write_saleae_logic1_csv,
    write_saleae_logic2_csv,
    write_sigrok_sr,
)


def _decode(capsys, *argv: str) -> list[dict]:
    rc, out, err = run_cli(capsys, *argv, "-O", "json")
    assert rc == 0, err
    return [strip(r) for r in json_lines(out)]


@pytest.fixture(scope="module")
def files(tmp_path_factory, session_runs):
    d = tmp_path_factory.mktemp("formats")
    runs = session_runs
    out = {}
    out["logic2"] = [str(d / "s.csv")]
    write_saleae_logic2_csv(runs, out["logic2"][0], names={Direction.C2S: "Async Serial TX",
                                                           Direction.S2C: "Async Serial RX"})
    for radix in ("hex", "dec", "bin"):
        tx, rx = d / f"tx-{radix}.csv", d / f"rx-{radix}.csv"
        write_saleae_logic1_csv(runs, str(tx), radix=radix, direction=Direction.C2S)
        write_saleae_logic1_csv(runs, str(rx), radix=radix, direction=Direction.S2C)
        out[f"logic1-{radix}"] = [f"{tx}:tx", f"{rx}:rx"]
    out["sigrok"] = [str(d / "s.sr")]
    write_sigrok_sr(runs, out["sigrok"][0], baud=9600)
    out["pcap"] = [str(d / "s.pcap")]
    write_pcap(runs, out["pcap"][0])
    out["hex"] = [str(d / "s.hex")]
    write_hex_text(runs, out["hex"][0])
    return out


@pytest.mark.parametrize("fmt", ["logic1-hex", "logic1-dec", "logic1-bin", "sigrok", "pcap",
                                 "hex"])
def test_same_json_in_every_format(capsys, files, fmt):
    ref = _decode(capsys, *files["logic2"])
    got = _decode(capsys, *files[fmt])
    assert len(ref) == 14
    assert same(ref, got), first_difference(ref, got)


@pytest.mark.parametrize("name", ["session-logic2.csv", "session.sr", "session.pcap"])
def test_bundled_files_agree(capsys, name):
    ref = _decode(capsys, str(EXAMPLES / "session-logic2.csv"))
    got = _decode(capsys, str(EXAMPLES / name))
    assert same(ref, got), first_difference(ref, got)


def _content(path) -> object:
    if path.suffix == ".sr":  # a ZIP: member timestamps differ, member bytes must not
        with zipfile.ZipFile(path) as zf:
            return {name: zf.read(name) for name in zf.namelist()}
    return path.read_bytes()


def test_bundled_files_are_current(tmp_path, examples_mod):
    """make_examples.py regenerates the shipped files (byte for byte, .sr member by member)."""
    for path in examples_mod.write_all(tmp_path):
        assert _content(path) == _content(EXAMPLES / path.name), path.name


@pytest.mark.parametrize("src", ["session-logic2.csv", "session.sr"])
def test_output_pcap_round_trips(capsys, tmp_path, src):
    ref = _decode(capsys, str(EXAMPLES / src))
    pcap = tmp_path / "out.pcap"
    rc, out, err = run_cli(capsys, str(EXAMPLES / src), "--output", "pcap", str(pcap))
    assert rc == 0 and out == "" and err == ""
    assert pcap.read_bytes()[20:24] == (250).to_bytes(4, "little")  # LINKTYPE_RTAC_SERIAL
    assert same(ref, _decode(capsys, str(pcap)))
    # and again from the pcap: identical bytes
    pcap2 = tmp_path / "again.pcap"
    assert run_cli(capsys, str(pcap), "--output", "pcap", str(pcap2))[0] == 0
    assert pcap2.read_bytes() == pcap.read_bytes()


def test_output_pcap_with_stats(capsys, tmp_path):
    pcap = tmp_path / "out.pcap"
    rc, out, _ = run_cli(capsys, "--output", "pcap", str(pcap),
                         str(EXAMPLES / "session-logic2.csv"), "--stats")
    assert rc == 0 and "exchanges: 13" in out and pcap.stat().st_size > 1000


def _with_error(runs, table_hint: bytes, index: int, kind: str = "framing"):
    """The runs with a line error on byte ``index`` of the first S->C run after the request
    whose bytes contain ``table_hint``."""
    out, armed, done = [], False, False
    for run in runs:
        if run.direction is Direction.C2S and table_hint in run.data:
            armed = True
        elif armed and not done and run.direction is Direction.S2C:
            run = replace(run, errors=(LineError(index, kind),))
            done = True
        out.append(run)
    assert done
    return out


@pytest.mark.parametrize("writer", ["logic1", "logic2", "pcap"])
def test_framing_error_shown_on_its_frame(capsys, tmp_path, session_runs, writer):
    runs = _with_error(session_runs, b"\x30\x00\x1c", 60)  # BT28 response, byte 60
    if writer == "logic1":
        tx, rx = tmp_path / "tx.csv", tmp_path / "rx.csv"
        write_saleae_logic1_csv(runs, str(tx), direction=Direction.C2S)
        write_saleae_logic1_csv(runs, str(rx), direction=Direction.S2C)
        assert ",Error\n" in rx.read_text()
        argv = [f"{tx}:tx", f"{rx}:rx"]
    elif writer == "logic2":
        path = tmp_path / "s.csv"
        write_saleae_logic2_csv(runs, str(path))
        argv = [str(path)]
    else:
        path = tmp_path / "s.pcap"
        write_pcap(runs, str(path))
        argv = [str(path)]
    recs = _decode(capsys, *argv)
    hit = [r for r in recs if r["line_errors"]]
    assert len(hit) == 1 and hit[0]["request"]["table"] == "BT28"
    err = hit[0]["line_errors"][0]
    assert err["kind"] == "framing" and err["frame"] == "response" and err["direction"] == "S->C"
    assert err["index"] == 60
    rc, out, _ = run_cli(capsys, *argv, "--table", "BT28")
    assert "Line error: framing error on byte 60 of the response" in out
    assert "[framing error]" in out.splitlines()[0]
    rc, out, _ = run_cli(capsys, *argv, "--errors", "--summary")
    assert sum("BT28" in line for line in out.splitlines()) == 1
