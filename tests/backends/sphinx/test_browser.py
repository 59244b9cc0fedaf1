"""The ET13 page and the index rendered in headless Chromium: field table and bit diagram there."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (Debian: apt-get install -y chromium)")


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
                          capture_output=True, text=True)


def test_et13_rendered_dom_has_field_table_and_bit_diagram(small_site: Path) -> None:
    dom = _chromium("--dump-dom", (small_site / "tables" / "et13.html").as_uri()).stdout
    assert 'class="osgp-fields' in dom and "billing_read_frequency" in dom
    bits = dom[dom.index('class="osgp-bits'):]
    bits = bits[:bits.index("</table>")]
    for text in ("byte 0", "scheduled_read_alert", "delta_data_alert", 'colspan="3"'):
        assert text in bits


@pytest.mark.parametrize("page", ["tables/et13.html", "index.html"])
def test_screenshot(small_site: Path, tmp_path: Path, page: str) -> None:
    png = tmp_path / (page.replace("/", "_") + ".png")
    _chromium("--window-size=1400,1800", f"--screenshot={png}", (small_site / page).as_uri())
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


_MEASURE = """<script>
window.addEventListener("load", () => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) wide.push(el.tagName + "." + el.className);
  }
  document.body.setAttribute("data-width", String(width));
  document.body.setAttribute("data-scroll", String(document.documentElement.scrollWidth));
  document.body.setAttribute("data-wide", wide.slice(0, 5).join(" "));
});
</script>"""


@pytest.mark.parametrize("page", ["et13", "bt23", "ep19"])
def test_no_horizontal_overflow_at_1280(small_site: Path, page: str) -> None:
    """issue 19: ET13, BT23 and a procedure page (EP19) fit a 1280 px window: nothing reaches
    past the right edge (the Values column of enum meanings used to)."""
    import re

    from osgpdissect.backends.sphinx.pages import page_name

    src = small_site / "tables" / f"{page_name(page.upper())}.html"
    probe = src.with_name(f"_probe_{src.name}")  # beside the page: its CSS loads the same
    probe.write_text(src.read_text(encoding="utf-8").replace("</body>", _MEASURE + "</body>"),
                     encoding="utf-8")
    dom = _chromium("--window-size=1280,900", "--virtual-time-budget=10000", "--dump-dom",
                    probe.as_uri()).stdout
    found = dict(re.findall(r'data-(width|scroll)="(\d+)"', dom))
    assert found, "the measuring script did not run"
    wide = re.search(r'data-wide="([^"]*)"', dom)
    assert int(found["scroll"]) <= int(found["width"]), (found, wide and wide.group(1))
    assert wide is not None and wide.group(1) == ""
