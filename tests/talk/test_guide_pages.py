"""The sessions of the guide pages "Talking to a meter" and "Simulating a meter" run as written
(issue 17): their ``toml`` blocks with a caption are written as files, then every ``pycon``
block of a page runs as one doctest, in that folder."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "guide"
_BLOCK = re.compile(r"^\.\. code-block:: (\w+)\n((?:   :\w+:.*\n)*)\n((?:(?:   .*)?\n)+)", re.M)


def _blocks(page: str) -> list[tuple[str, str, str]]:
    """(language, caption, body) of every code block of a page."""
    out = []
    for lang, options, body in _BLOCK.findall((DOCS / page).read_text()):
        caption = re.search(r":caption: (.+)", options)
        text = "\n".join(line[3:] for line in body.rstrip("\n").split("\n"))
        out.append((lang, caption.group(1).strip() if caption else "", text + "\n"))
    return out


@pytest.mark.parametrize("page", ["simulate.rst", "talk.rst"])
def test_guide_page_session_runs_as_written(page, tmp_path, monkeypatch):
    """Issue 17: the page's session gives the outputs the page shows."""
    files = {cap: body for p in ("simulate.rst", "talk.rst") for lang, cap, body in _blocks(p)
             if lang == "toml" and cap}
    assert set(files) == {"meter.toml", "keys.toml"}
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    monkeypatch.chdir(tmp_path)
    session = "\n".join(body for lang, _, body in _blocks(page) if lang == "pycon")
    assert session.count(">>>") >= 5
    test = doctest.DocTestParser().get_doctest(session, {}, page, page, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0 and runner.tries == len(test.examples)
