"""``decode DIR -O parquet OUT --jobs 2`` on a Dask local cluster of processes (issue 20): the
Parquet rows equal the one-by-one JSON output value by value, and the parts equal those of a
one-by-one (in-process) decode; the guide's DuckDB and pandas examples run on the archive."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from archive_corpus import write_corpus
from cli_helpers import GUIDE_MAK, json_lines, run_cli

from osgpdissect.backends.parquet import part_name
from osgpdissect.backends.parquet.rows import value_columns
from osgpdissect.cli import main

ROOT = Path(__file__).resolve().parents[2]
FWD = "register_data.totals.fwd_active_wh"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: Any) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("captures")
    return folder, write_corpus(folder, 200, unreadable=2)


@pytest.fixture(scope="module")
def dask_archive(corpus: Any, tmp_path_factory: Any) -> tuple[Path, int, str]:
    """The corpus decoded once with ``--jobs 2`` (one cluster start for the module; the CLI
    shuts it down before returning), the example key in the environment the workers inherit
    (module fixtures run before the autouse one that sets it for each test)."""
    folder, _ = corpus
    out = tmp_path_factory.mktemp("dask") / "archive"
    import io
    from contextlib import redirect_stderr

    err = io.StringIO()
    with pytest.MonkeyPatch.context() as env, redirect_stderr(err):
        env.setenv("OSGP_MAK", GUIDE_MAK)  # workers read keys from their own environment
        rc = main(["decode", str(folder), "-O", "parquet", str(out), "--jobs", "2",
                   "--progress", "never"])
    return out, rc, err.getvalue()


def _rows(folder: Path, table: str) -> dict[str, list[dict[str, Any]]]:
    """Rows of an archive table by capture, in record order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in pq.read_table(folder / table).to_pylist():
        out.setdefault(row["capture"], []).append(row)
    return out


def _leaves(nodes: list[dict[str, Any]], prefix: str = "") -> list[dict[str, Any]]:
    """The JSON tree's fields in the archive's order, each with its path."""
    out = []
    for n in nodes:
        path = f"{prefix}{n['name']}"
        if n["value"] is not None or not n.get("children"):
            out.append({**n, "path": path})
        out += _leaves(n.get("children", []), path + ".")
    return out


def test_dask_archive_equals_one_by_one_json(corpus: Any, dask_archive: Any, capsys: Any) -> None:
    """Issue 20: 200 captures (MEP pcap/hex, optical, damaged) and 2 unreadable files."""
    _, paths = corpus
    out, rc, err = dask_archive
    broken = [p for p in paths if p.name.startswith("broken")]
    assert rc == 2
    for p in broken:
        assert str(p) in err
    assert "2 of 202 capture(s) failed" in err
    exchanges, fields = _rows(out, "exchanges"), _rows(out, "fields")
    assert len(os.listdir(out / "exchanges")) == 200 == len(os.listdir(out / "fields"))
    assert set(exchanges) == {str(p) for p in paths if p not in broken}
    kinds = {"malformed": 0, "optical": 0, "defaulted": 0, "compared": 0}
    for path in paths:
        rc1, text, _ = run_cli(capsys, "-O", "json", str(path))
        if path in broken:
            assert rc1 == 2 and str(path) not in exchanges
            continue
        records = json_lines(text)
        rows = exchanges[str(path)]
        assert [r["record"] for r in rows] == [j["index"] for j in records]
        want_fields = []
        for row, rec in zip(rows, records, strict=True):
            req, resp = rec["request"] or {}, rec["response"] or {}
            assert row["kind"] == rec["record"] and row["protocol"] == rec["protocol"]
            assert row["time"] == rec["time"] and row["latency"] == (rec["pairing"] or {}).get(
                "latency")
            for col, key in (("code", "code"), ("table", "table"), ("offset", "offset"),
                             ("count", "count"), ("seq", "seq"), ("request_hex", "hex")):
                assert row[col] == req.get(key), col
            assert row["response_code"] == resp.get("code")
            assert row["response_hex"] == resp.get("hex")
            assert row["malformed_hex"] == (rec["malformed"] or {}).get("hex")
            assert row["warnings"] == rec["warnings"]
            assert row["request_digest"] == (rec["security"] or {}).get("request_digest")
            kinds["malformed"] += rec["record"] == "malformed"
            kinds["optical"] += rec["protocol"] == "optical"
            if rec["decoded"]:
                assert row["defaults_used"] == rec["decoded"]["defaults_used"]
                kinds["defaulted"] += bool(rec["decoded"]["defaults_used"])
                want_fields += [(rec["index"], rec["decoded"]["table"], n)
                                for n in _leaves(rec["decoded"]["fields"])]
        got = fields.get(str(path), [])
        assert len(got) == len(want_fields)
        for row, (index, table, node) in zip(got, want_fields, strict=True):
            assert (row["record"], row["table"], row["path"]) == (index, table, node["path"])
            assert (row["name"], row["offset"], row["size"]) == (
                node["orig_name"], node["offset"], node["size"])
            assert {k: row[k] for k in ("value_num", "value_int", "value_text")} == \
                value_columns(node["value"])
            assert row["unit"] == node.get("unit") and row["enum"] == node.get("enum")
            assert row["raw"] == (node["raw"] or None)
            assert row["partial"] == node.get("partial", False)
            kinds["compared"] += 1
    assert kinds["malformed"] >= 50 and kinds["optical"] >= 50 and kinds["defaulted"] >= 50
    assert kinds["compared"] > 10000


def test_dask_parts_equal_in_process_parts(corpus: Any, dask_archive: Any,
                                            tmp_path: Path) -> None:
    """Issue 20: the parts written on the cluster are those of captures decoded one by one,
    in this process (every fifth capture, each in its own run, into one folder)."""
    _, paths = corpus
    out, _, _ = dask_archive
    alone = tmp_path / "alone"
    some = [str(p) for p in paths if not p.name.startswith("broken")][::5]
    for path in some:
        assert main(["decode", path, "-O", "parquet", str(alone), "--progress", "never"]) == 0
    for table in ("exchanges", "fields"):
        names = sorted(os.listdir(alone / table))
        assert names == sorted(f"{part_name(p)}.parquet" for p in some)
        for name in names:
            assert pq.read_table(out / table / name).equals(pq.read_table(alone / table / name))


def _examples() -> list[str]:
    """The Python code blocks of the archives guide page, in order."""
    text = (ROOT / "docs" / "guide" / "archives.rst").read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    return [re.sub(r"^    ", "", b, flags=re.M) for b in blocks]


def test_guide_examples_answer_bt23_energy_per_capture(dask_archive: Any, monkeypatch: Any,
                                                      capsys: Any) -> None:
    """Issue 20: the DuckDB and pandas examples of docs/guide/archives.rst on the archive."""
    out, _, _ = dask_archive
    monkeypatch.chdir(out.parent)
    scope: dict[str, Any] = {}
    blocks = _examples()
    assert len(blocks) == 3
    for block in blocks:
        exec(compile(block, "archives.rst", "exec"), scope)  # the guide's own examples
    energy = scope["energy"]
    assert len(energy) >= 100
    last = scope["last"]
    assert [(c, v) for c, v, _, _ in energy] == list(last.items())
    for capture, value, _, readings in energy[:12]:  # against the JSON output
        rc, text, _ = run_cli(capsys, "-O", "json", capture)
        found = [n["value"] for r in json_lines(text)
                 if r["record"] == "exchange" and (r["decoded"] or {}).get("table") == "BT23"
                 for n in _leaves(r["decoded"]["fields"])
                 if n["path"] == FWD and not n.get("partial")]
        assert (value, readings) == (found[-1], len(found))
    assert scope["problems"] and all(reason for _, reason, _ in scope["problems"])


def test_scheduler_runs_on_an_existing_cluster(corpus: Any, tmp_path: Path,
                                               dask_archive: Any) -> None:
    """Issue 20: ``--scheduler ADDRESS`` sends the tasks to a running cluster (here one
    in-process worker on tcp), with the same parts."""
    from distributed import LocalCluster

    _, paths = corpus
    out, _, _ = dask_archive
    some = [str(p) for p in paths[-6:]]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                      dashboard_address=None) as cluster:
        rc = main(["decode", *some, "-O", "parquet", str(tmp_path / "a"), "--scheduler",
                   cluster.scheduler_address, "--progress", "never"])
    assert rc == 0
    for p in some:
        name = f"{part_name(p)}.parquet"
        assert pq.read_table(tmp_path / "a" / "fields" / name).equals(
            pq.read_table(out / "fields" / name))
