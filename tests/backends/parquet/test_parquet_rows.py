"""The archive backend (issue 20): flat rows from the codec tree, the row-group writer, the
schema page, the missing-extra message."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from osgpdissect.backends.parquet import ArchiveUnavailable, part_name, require
from osgpdissect.backends.parquet.rows import dimensions, field_rows, value_columns
from osgpdissect.backends.parquet.schema import EXCHANGE_COLUMNS, FIELD_COLUMNS
from osgpdissect.backends.parquet.writer import CaptureWriter
from osgpdissect.c1218.records import Record
from osgpdissect.c1218.tables import TableDecoding
from osgpdissect.cli import main
from osgpdissect.cli.pipeline import Decoded
from osgpdissect.codec import Node

ROOT = Path(__file__).resolve().parents[3]


def _decoding(defaults: list[str] | None = None, warnings: list[str] | None = None) -> Any:
    bits = [Node("on_demand", "On-demand", 4, 1, True, "1"),
            Node("reserved", "Reserved", 4, 1, False, "0")]
    entry = Node("[0]", "Entry", 2, 3, None, "", partial=True, children=[
        Node("flags", "Alert Flags", 4, 1, 2, "02", children=bits)])
    nodes = [Node("totals", "Totals", 0, 2, None, "", children=[
                 Node("fwd_active_wh", "Fwd Active Wh", 0, 2, 1234, "D2 04", unit="Wh")]),
             Node("entries", "Entries", 2, 3, None, "", partial=True, children=[entry]),
             Node("mode", "Mode", 5, 1, 1, "01", enum="metering")]
    return TableDecoding("BT23", "Current Register Data", 0, bytes(6), nodes, defaults, warnings)


def test_field_rows_paths_and_columns() -> None:
    """Issue 20: a row per field with a value or without children, paths joined by dots."""
    rows = list(field_rows("cap", 7, _decoding()))
    assert [r["path"] for r in rows] == ["totals.fwd_active_wh", "entries.[0].flags",
                                         "entries.[0].flags.on_demand",
                                         "entries.[0].flags.reserved", "mode"]
    first = rows[0]
    assert (first["capture"], first["record"], first["table"], first["unit"]) == (
        "cap", 7, "BT23", "Wh")
    assert (first["value_num"], first["value_int"], first["value_text"]) == (1234.0, 1234, "1234")
    assert rows[-1]["enum"] == "metering" and rows[2]["value_text"] == "true"
    assert not rows[0]["partial"] and rows[0]["raw"] == "D2 04"
    assert set(rows[0]) == set(FIELD_COLUMNS)
    assert list(field_rows("cap", 1, None)) == []


def test_value_columns() -> None:
    assert value_columns(None) == {"value_num": None, "value_int": None, "value_text": None}
    assert value_columns(False) == {"value_num": 0.0, "value_int": 0, "value_text": "false"}
    assert value_columns(2.5)["value_text"] == "2.5"
    assert value_columns("26-12-03")["value_num"] is None
    assert value_columns(b"\x01\xff")["value_text"] == "01ff"
    assert value_columns(2**70) == {"value_num": float(2**70), "value_int": None,
                                    "value_text": str(2**70)}


def test_dimensions_flag() -> None:
    assert dimensions(_decoding(["BT21.nbr_tiers"])) == "defaulted"
    assert dimensions(_decoding([], ["dimensions inferred from the 220-byte full read: x = 1"])) \
        == "inferred"
    assert dimensions(_decoding()) is None


def test_writer_row_groups_and_atomic_parts(tmp_path: Path) -> None:
    """Issue 20: rows go out in row groups as they stream; a failed capture leaves no part."""
    item = Decoded(Record("exchange", index=1, table=_decoding()))
    with CaptureWriter(str(tmp_path), "a.txt", row_group=3) as writer:
        for k in range(4):
            item.record.index = k + 1
            writer.add(item)
    name = part_name("a.txt") + ".parquet"
    fields = pq.ParquetFile(tmp_path / "fields" / name)
    assert fields.metadata.num_rows == 20 and fields.metadata.num_row_groups == 7
    assert pq.read_table(tmp_path / "exchanges" / name).column("record").to_pylist() == [1, 2, 3, 4]
    with pytest.raises(RuntimeError), CaptureWriter(str(tmp_path), "b.txt", row_group=3) as w:
        w.add(item)
        w.add(item)
        w.add(item)
        raise RuntimeError("the capture broke")
    assert sorted(p.name for p in (tmp_path / "fields").iterdir()) == [name]


def test_part_names_are_stable() -> None:
    assert part_name("x/cap.pcap") == part_name("x/cap.pcap") != part_name("x/cap2.pcap")
    assert re.fullmatch(r"part-[0-9a-f]{16}", part_name("x/cap.pcap"))


def test_schema_page_documents_every_column() -> None:
    """Issue 20: docs/guide/archives.rst lists the columns of both tables, in order."""
    text = (ROOT / "docs" / "guide" / "archives.rst").read_text(encoding="utf-8")
    tables = text.split("The ``fields`` table")
    for part, columns in ((tables[0], EXCHANGE_COLUMNS), (tables[1], FIELD_COLUMNS)):
        listed = re.findall(r"^([a-z_]+) +(?:string|int64|float64|bool|list<string>) ", part,
                            flags=re.M)
        assert listed == list(columns)


def test_missing_extra_is_named(monkeypatch: Any, tmp_path: Path, capsys: Any) -> None:
    """Issue 20: without pyarrow, one line naming the extra to install, exit status 2."""
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
    with pytest.raises(ArchiveUnavailable, match=r"osgpdissect\[archive\]"):
        require()
    cap = tmp_path / "c.txt"
    cap.write_text("0.0 C->S 00 01\n")
    rc = main(["decode", str(cap), "-O", "parquet", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and "pip install 'osgpdissect[archive]'" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv, message", [
    (["-O", "parquet"], "--output parquet needs a folder"),
    (["-O", "json", "x.txt", "--jobs", "2"], "--jobs and --scheduler go with --output parquet"),
    (["-O", "parquet", "OUT", "x.txt", "--jobs", "0"], "bad --jobs 0"),
    (["-O", "parquet", "OUT", "nothing-here/*.pcap"], "no file matches"),
])
def test_usage_errors(argv: list[str], message: str, tmp_path: Path, monkeypatch: Any,
                      capsys: Any) -> None:
    monkeypatch.chdir(tmp_path)
    rc = main(["decode", *argv])
    assert rc == 2 and message in capsys.readouterr().err


def test_folder_of_captures_in_process(tmp_path: Path, capsys: Any) -> None:
    """Issue 20: a folder without --jobs decodes in this process; filters apply."""
    caps = tmp_path / "caps"
    caps.mkdir()
    for k, table in enumerate(("00 17", "00 17", "00 1c")):  # BT23, BT23, BT28 full reads
        (caps / f"c{k}.txt").write_text(
            f"0.{k}0 C->S 00 0f 30 {table} 00 00 00 0{k} 00 00 00 00 00 00 00 00\n")
    (caps / ".hidden").write_text("not a capture")
    rc = main(["decode", str(caps), "-O", "parquet", str(tmp_path / "a"), "--progress",
               "never", "--table", "BT23"])
    assert rc == 0, capsys.readouterr().err
    rows = pq.read_table(tmp_path / "a" / "exchanges").to_pylist()
    assert sorted(r["capture"] for r in rows) == [str(caps / "c0.txt"), str(caps / "c1.txt")]
    assert {r["kind"] for r in rows} == {"unanswered"} and rows[0]["table"] == "BT23"
    assert rows[0]["errors"][0] == "unanswered" and rows[0]["seq"] in (0, 1)
    assert len(list((tmp_path / "a" / "exchanges").iterdir())) == 3  # c2: a part, no rows


def test_progress_bar_counts_captures() -> None:
    """Issue 20: the bar advances per capture and counts the failed ones."""
    import io

    from rich.console import Console

    from osgpdissect.cli.archive import FileProgress, TaskResult

    out = io.StringIO()
    bar = FileProgress(3, True, Console(file=out, force_terminal=True, width=100))
    bar.done(TaskResult("a"))
    bar.done(TaskResult("b", error="cannot read"))
    bar._bar.refresh()
    bar.close()
    assert "2/3" in out.getvalue() and "1 failed" in out.getvalue()
