"""Issue 18: the user-guide page's console example runs as written (plugin + tshark)."""

from __future__ import annotations

import shlex
import shutil
import subprocess

from ws_helpers import ROOT, tshark

PAGE = ROOT / "docs" / "guide" / "wireshark.rst"


def _commands() -> list[tuple[list[str], list[str]]]:
    """``(argv, expected output lines)`` of every ``$`` line of the page's console blocks."""
    out: list[tuple[list[str], list[str]]] = []
    in_console = False
    for line in PAGE.read_text().splitlines():
        if line.startswith(".. code-block:: console"):
            in_console = True
            continue
        if in_console and line and not line.startswith(" "):
            in_console = False
        if not in_console or not line.strip():
            continue
        text = line.strip()
        if text.startswith("$ "):
            out.append((shlex.split(text[2:]), []))
        else:
            out[-1][1].append(text)
    return out


def test_guide_example_runs(tmp_path, plugin):
    """Issue 18: each command of the Wireshark page prints what the page shows (the page's
    ``osgpdissect wireshark`` line is the one the session's plugin was generated with)."""
    commands = _commands()
    assert len(commands) >= 4
    for argv, expected in commands:
        argv = [str(tmp_path / a) if a.startswith("plugins") else a for a in argv]
        argv = [a.replace("lua_script:plugins", f"lua_script:{tmp_path}/plugins") for a in argv]
        if argv[0] == "osgpdissect":
            assert argv[1:] == ["wireshark", "--out", str(tmp_path / "plugins"), "--context",
                                "examples/session.pcap"]
            (tmp_path / "plugins").mkdir()
            shutil.copy(plugin, tmp_path / "plugins" / "osgp.lua")
            continue
        assert argv[0] == "tshark"
        res = subprocess.run([tshark(), *argv[1:]], capture_output=True, text=True, cwd=ROOT,
                             check=False)
        assert res.returncode == 0, res.stderr
        assert res.stdout.splitlines() == expected, argv
