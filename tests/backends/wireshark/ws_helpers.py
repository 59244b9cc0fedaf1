"""Shared by the Wireshark backend tests: paths, the CLI in-process, tshark, the run cache.

Captures: ``examples/session.pcap`` and a pcap written by ``osgpdissect decode X -O pcap`` from
every test capture that decodes (``tests/data/captures``, ``tls``, ``optical``).  The plugin is
generated once, with the example session as a context capture (its dimension tables add the
layouts that capture needs beside the spec defaults').
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
from pathlib import Path

from osgpdissect.cli import main

ROOT = Path(__file__).resolve().parents[3]
SESSION = ROOT / "examples" / "session.pcap"
SOURCES = sorted(
    [p for p in (ROOT / "tests" / "data" / "captures").iterdir() if p.suffix != ".sr"]
    + list((ROOT / "tests" / "data" / "tls").glob("*.hex"))
    + list((ROOT / "tests" / "data" / "optical").glob("*.hex"))
)
CAPTURE_NAMES = ["session.pcap"] + [f"{p.parent.name}/{p.name}" for p in SOURCES]


def cli(*argv: str) -> tuple[int, str]:
    """Run ``osgpdissect`` in this process; (exit status, stdout)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue()


def tshark() -> str:
    path = shutil.which("tshark")
    assert path, "tshark is missing: apt-get install tshark (.ci/run installs it)"
    return path


class Runs:
    """tshark's and osgpdissect's outputs per capture, each made once."""

    def __init__(self, plugin: Path, pcaps: dict[str, Path]):
        self.plugin = plugin
        self.pcaps = pcaps
        self._tshark: dict[tuple, subprocess.CompletedProcess] = {}
        self._json: dict[str, str] = {}

    def tshark(self, name: str, *extra: str) -> subprocess.CompletedProcess:
        key = (name, *extra)
        if key not in self._tshark:
            cmd = [tshark(), "-n", "-X", f"lua_script:{self.plugin}", "-r",
                   str(self.pcaps[name]), "-2", *extra]
            self._tshark[key] = subprocess.run(cmd, capture_output=True, text=True, check=False)
        return self._tshark[key]

    def json(self, name: str) -> str:
        return self.tshark(name, "-T", "json").stdout

    def osgp_json(self, name: str) -> str:
        if name not in self._json:
            _, self._json[name] = cli("decode", str(self.pcaps[name]), "-O", "json")
        return self._json[name]

    def frames(self, name: str, display_filter: str) -> list[int]:
        """Frame numbers a display filter selects."""
        res = self.tshark(name, "-Y", display_filter, "-T", "fields", "-e", "frame.number")
        assert res.returncode == 0, res.stderr
        return [int(x) for x in res.stdout.split()]
