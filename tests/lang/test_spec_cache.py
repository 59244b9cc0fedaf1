"""The on-disk spec cache: same model as a fresh parse, invalidated by edits, never an error."""

from __future__ import annotations

import os
import pickle
import sys

import pytest
from core_helpers import cli, run_cli, write_spec
from lark.exceptions import UnexpectedInput

from osgpdissect.lang import cache as spec_cache
from osgpdissect.lang import parser as dsl_parser
from osgpdissect.lang.loader import load_spec
from osgpdissect.lang.spec import load_default_spec
from osgpdissect.resources import spec_dir

TABLE = 'table ET01 "One" {\n    UINT8 a "A" @0\n}\n'
ERRATA = "# Errata\n\n### E001: ET01.a (guide l.12)\nfirst\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private cache folder for one test (the session's own is never touched)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(spec_cache.ENV_DIR, str(folder))
    monkeypatch.delenv(spec_cache.ENV_OFF, raising=False)
    return folder


class Counting:
    """``load_spec(root)``, counting how often it really parsed."""

    def __init__(self, root):
        self.root, self.calls = root, 0

    def __call__(self):
        self.calls += 1
        return load_spec(self.root)


def _small(tmp_path, errata: str | None = ERRATA):
    return write_spec(tmp_path, "spec", TABLE, errata)


def test_cached_shipped_spec_equals_a_fresh_parse(cache):
    build = Counting(spec_dir())
    fresh = spec_cache.load_spec_cached(spec_dir(), build)
    cached = spec_cache.load_spec_cached(spec_dir(), build)
    assert build.calls == 1 and (cache / "spec.pickle").is_file()
    assert cached is not fresh
    assert cached == fresh
    assert repr(cached) == repr(fresh)
    assert cached.files == fresh.files and cached.errata == fresh.errata
    # shared declarations (table families) stay shared
    assert cached.tables.keys() == fresh.tables.keys()


def test_editing_a_spec_file_invalidates(tmp_path, cache):
    root = _small(tmp_path)
    build = Counting(root)
    first = spec_cache.load_spec_cached(root, build)
    assert spec_cache.load_spec_cached(root, build) == first and build.calls == 1
    (root / "t.osgp").write_text(TABLE.replace('"One"', '"Uno"'), encoding="utf-8")
    second = spec_cache.load_spec_cached(root, build)
    assert build.calls == 2 and second.tables["ET01"].name == "Uno"
    (root / "ERRATA.md").write_text(ERRATA.replace("first", "second"), encoding="utf-8")
    assert spec_cache.load_spec_cached(root, build).errata[0].text == "second"
    (root / "more.osgp").write_text('table ET02 "Two" {\n    UINT8 b "B" @0\n}\n', encoding="utf-8")
    assert "ET02" in spec_cache.load_spec_cached(root, build).tables
    assert build.calls == 4


def test_other_code_or_version_is_another_key(tmp_path, cache, monkeypatch):
    root = _small(tmp_path)
    key = spec_cache.spec_key(root)
    monkeypatch.setattr(spec_cache, "__version__", "99.0")
    assert spec_cache.spec_key(root) != key


@pytest.mark.parametrize("damage", ["payload", "whole", "empty"])
def test_corrupt_cache_file_falls_back(tmp_path, cache, damage):
    root = _small(tmp_path)
    build = Counting(root)
    want = spec_cache.load_spec_cached(root, build)
    entry = cache / "spec.pickle"
    header = entry.read_bytes().split(b"\n", 1)[0]
    entry.write_bytes({"payload": header + b"\n" + b"\x80\x05garbage",
                       "whole": os.urandom(200), "empty": b""}[damage])
    assert spec_cache.load_spec_cached(root, build) == want and build.calls == 2
    assert spec_cache.load_spec_cached(root, build) == want and build.calls == 2  # rewritten


def test_a_cached_object_of_another_type_is_ignored(tmp_path, cache):
    root = _small(tmp_path)
    build = Counting(root)
    spec_cache.write("spec", spec_cache.spec_key(root), pickle.dumps({"not": "a spec"}))
    assert spec_cache.load_spec_cached(root, build).tables["ET01"].name == "One"
    assert build.calls == 1


def test_unwritable_cache_dir_falls_back(tmp_path, monkeypatch):
    root = _small(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(spec_cache.ENV_DIR, str(blocker / "cache"))
    monkeypatch.delenv(spec_cache.ENV_OFF, raising=False)
    build = Counting(root)
    assert spec_cache.load_spec_cached(root, build).tables["ET01"].name == "One"
    assert spec_cache.load_spec_cached(root, build).tables["ET01"].name == "One"
    assert build.calls == 2


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() == 0, reason="root writes anywhere")
def test_read_only_cache_dir_falls_back(tmp_path, cache):
    root = _small(tmp_path)
    cache.mkdir(mode=0o500)
    try:
        build = Counting(root)
        spec_cache.load_spec_cached(root, build)
        assert build.calls == 1 and list(cache.iterdir()) == []
    finally:
        cache.chmod(0o700)


def test_shared_cache_dir_is_neither_read_nor_written(tmp_path, cache):
    root = _small(tmp_path)
    build = Counting(root)
    spec_cache.load_spec_cached(root, build)
    cache.chmod(0o777)  # anyone could have planted the pickle: do not load it
    spec_cache.load_spec_cached(root, build)
    assert build.calls == 2
    (cache / "spec.pickle").unlink()
    spec_cache.load_spec_cached(root, build)
    assert not (cache / "spec.pickle").exists()


def test_group_writable_entry_is_not_loaded(tmp_path, cache):
    root = _small(tmp_path)
    build = Counting(root)
    spec_cache.load_spec_cached(root, build)
    (cache / "spec.pickle").chmod(0o664)
    spec_cache.load_spec_cached(root, build)
    assert build.calls == 2


def test_no_cache_env(tmp_path, cache, monkeypatch):
    monkeypatch.setenv(spec_cache.ENV_OFF, "1")
    root = _small(tmp_path)
    build = Counting(root)
    spec_cache.load_spec_cached(root, build)
    spec_cache.load_spec_cached(root, build)
    dsl_parser.build_parser()
    assert build.calls == 2 and not cache.exists()


def test_default_location(tmp_path, monkeypatch):
    monkeypatch.delenv(spec_cache.ENV_DIR, raising=False)
    monkeypatch.delenv(spec_cache.ENV_OFF, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert spec_cache.cache_dir() == tmp_path / "xdg" / "osgpdissect"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert spec_cache.cache_dir() == tmp_path / "home" / ".cache" / "osgpdissect"
    monkeypatch.setenv(spec_cache.ENV_OFF, "1")
    assert spec_cache.cache_dir() is None


def test_cached_parser_parses_and_reports_like_a_fresh_one(cache):
    """Same trees and same syntax errors from the cached tables; a truncated entry is rebuilt."""
    fresh = dsl_parser.build_parser()
    assert (cache / "parser.pickle").is_file()
    loaded = dsl_parser.build_parser()
    assert loaded is not fresh
    text = (spec_dir() / "tables" / "et11.osgp").read_text(encoding="utf-8")
    assert loaded.parse(text, start="start") == fresh.parse(text, start="start")
    bad = 'table ET01 "T" {\n    UINT8 a "A" @\n}\n'
    errors = []
    for p in (fresh, loaded):
        with pytest.raises(UnexpectedInput) as info:
            p.parse(bad, start="start")
        errors.append((type(info.value), info.value.line, info.value.column, info.value.expected))
    assert errors[0] == errors[1]
    entry = cache / "parser.pickle"  # a truncated entry: built afresh
    entry.write_bytes(entry.read_bytes()[:200])
    assert dsl_parser.build_parser().parse(TABLE, start="start")


def test_warm_cli_does_not_import_the_parser(cache):
    """``osgpdissect tables`` on a warm cache unpickles the model: lark is never imported."""
    spec_cache.load_spec_cached(spec_dir(), load_default_spec)  # warm this test's cache
    assert (cache / "spec.pickle").is_file()
    proc = run_cli("tables", python_flags=("-X", "importtime"))
    assert proc.returncode == 0 and "ET11" in proc.stdout
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "osgpdissect.lang.cache" in modules
    assert not any(name == "lark" or name.startswith("lark.") for name in modules), sys.executable


def test_spec_check_root_reads_the_files_every_time(tmp_path, cache):
    root = _small(tmp_path)
    assert cli("spec", "check", "--root", str(root)).returncode == 0
    (root / "t.osgp").write_text(TABLE.replace("@0", "@"), encoding="utf-8")
    r = cli("spec", "check", "--root", str(root))
    assert r.returncode == 1 and r.stderr.startswith("spec/t.osgp:3:1: unexpected '}'")
