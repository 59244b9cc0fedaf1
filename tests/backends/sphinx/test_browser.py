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


def test_et13_rendered_dom_has_field_table_and_bit_diagram(built_site: Path) -> None:
    dom = _chromium("--dump-dom", (built_site / "tables" / "et13.html").as_uri()).stdout
    assert 'class="osgp-fields' in dom and "billing_read_frequency" in dom
    bits = dom[dom.index('class="osgp-bits'):]
    bits = bits[:bits.index("</table>")]
    for text in ("byte 0", "scheduled_read_alert", "delta_data_alert", 'colspan="3"'):
        assert text in bits


@pytest.mark.parametrize("page", ["tables/et13.html", "index.html"])
def test_screenshot(built_site: Path, tmp_path: Path, page: str) -> None:
    png = tmp_path / (page.replace("/", "_") + ".png")
    _chromium("--window-size=1400,1800", f"--screenshot={png}", (built_site / page).as_uri())
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
