"""Fixtures of the Wireshark backend tests: the generated plugin (once, with the example
session as context capture), the pcaps it runs on, and the shared tshark/osgpdissect runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from ws_helpers import SESSION, SOURCES, Runs, cli


@pytest.fixture(scope="session")
def ws_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("wireshark")


@pytest.fixture(scope="session")
def plugin(ws_dir: Path) -> Path:
    rc, _ = cli("wireshark", "--out", str(ws_dir / "plugin"), "--context", str(SESSION))
    assert rc == 0
    return ws_dir / "plugin" / "osgp.lua"


@pytest.fixture(scope="session")
def pcaps(ws_dir: Path) -> dict[str, Path]:
    """Capture name -> pcap path."""
    out = {"session.pcap": SESSION}
    for src in SOURCES:
        target = ws_dir / f"{src.parent.name}-{src.name}.pcap"
        rc, _ = cli("decode", str(src), "-O", "pcap", str(target), "-q")
        assert rc in (0, 1) and target.is_file(), src
        out[f"{src.parent.name}/{src.name}"] = target
    return out


@pytest.fixture(scope="session")
def runs(plugin: Path, pcaps: dict[str, Path]) -> Runs:
    return Runs(plugin, pcaps)
