"""issue 19: the scapy guide page (docs/guide/scapy.rst) is a session the suite runs: its
``>>>`` examples, with their printed results, as doctests."""

from __future__ import annotations

import doctest
import shutil
from pathlib import Path

import osgpdissect.backends.scapy as S

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "guide" / "scapy.rst"


def test_scapy_page_session_runs(tmp_path, monkeypatch):
    """Every example of the page gives the output the page prints."""
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "session.pcap", tmp_path / "examples" / "session.pcap")
    monkeypatch.chdir(tmp_path)
    S.reset_link_state()
    text = PAGE.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, "scapy.rst", str(PAGE), 0)
    assert len(test.examples) >= 15
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
    assert (tmp_path / "built.pcap").is_file()
