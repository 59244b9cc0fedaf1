"""The site builds warning-free; every table and procedure has its page and is in both indexes."""

from __future__ import annotations

from pathlib import Path

from osgpdissect.backends.sphinx.pages import all_ids, label, page_name
from osgpdissect.lang.spec import load_default_spec


def test_every_decl_has_a_page(built_site: Path) -> None:
    missing = [t for t in all_ids(load_default_spec())
               if not (built_site / "tables" / f"{page_name(t)}.html").is_file()]
    assert not missing


def test_every_decl_in_both_indexes(built_site: Path) -> None:
    for index in ("by-number", "by-name"):
        html = (built_site / "reference" / f"{index}.html").read_text(encoding="utf-8")
        missing = [t for t in all_ids(load_default_spec())
                   if f'href="../tables/{page_name(t)}.html#{label(t)}"' not in html]
        assert not missing, f"{index}: {missing}"


def test_dimension_links_resolve(small_site: Path) -> None:
    html = (small_site / "tables" / "et13.html").read_text(encoding="utf-8")
    assert 'href="et11.html#osgp-et11-num-devices"' in html
    assert "ET13 — MEP/M-Bus Device Configuration (2061, 0x080D)" in html


def test_uses_index_links_records_to_tables(built_site: Path) -> None:
    html = (built_site / "reference" / "uses.html").read_text(encoding="utf-8")
    assert 'id="osgp-record-registerdata"' in html
    assert 'href="../tables/bt23.html#osgp-bt23"' in html


def test_search_index_built(built_site: Path) -> None:
    assert (built_site / "searchindex.js").stat().st_size > 10_000
