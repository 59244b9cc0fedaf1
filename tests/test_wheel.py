"""The wheel ships spec/ and grammars/ and decodes a table outside the repository.

Builds the wheel (hatchling, no network: ``--no-isolation``), installs it with ``pip --target``
into a temporary folder and runs Python from a directory outside the repo with only that
folder (plus the venv's dependencies) on the path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest
from core_helpers import REPO

SCRIPT = r"""
import json, sys
import osgpdissect
from osgpdissect.resources import spec_dir, grammar_path
from osgpdissect.lang.spec import load_default_spec
from osgpdissect.codec import decode_table
spec = load_default_spec()
res = decode_table(spec, "ET11", bytes.fromhex("054224050605020103F9"))
print(json.dumps({
    "module": osgpdissect.__file__, "spec_dir": str(spec_dir()), "grammar": str(grammar_path()),
    "values": {k: v for k, v in res.values().items() if v is not None},
    "repo_on_path": [p for p in sys.path if p.startswith(sys.argv[1])],
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    wheels = sorted(out.glob("osgpdissect-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_contents(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "osgpdissect/_data/grammars/osgp.lark" in names
    assert "osgpdissect/_data/spec/tables/et11.osgp" in names
    assert "osgpdissect/_data/spec/ERRATA.md" in names
    assert "osgpdissect/_data/spec/common/profiles.osgp" in names
    specs = [n for n in names if n.startswith("osgpdissect/_data/spec/") and n.endswith(".osgp")]
    shipped = [p for p in (REPO / "spec").rglob("*.osgp")]
    assert len(specs) == len(shipped)
    assert not [n for n in names if n.startswith("tests/")]


def test_installed_wheel_decodes_outside_repo(wheel, tmp_path):
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target",
                        str(target), str(wheel)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    # -S: no site processing, so the venv's editable-install .pth (which puts the repo on sys.path)
    # is not read; the dependencies come from the venv's site-packages given explicitly.
    deps = next(p for p in sys.path if p.endswith("site-packages") and os.path.isdir(os.path.join(p, "lark")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([str(target), deps])
    env["OSGPDISSECT_NO_CACHE"] = "1"  # parse the wheel's own spec and grammar, not a cached model
    r = subprocess.run([sys.executable, "-S", "-c", SCRIPT, str(REPO)], cwd=work, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout)
    assert got["module"].startswith(str(target))
    assert got["spec_dir"] == str(target / "osgpdissect" / "_data" / "spec")
    assert got["grammar"] == str(target / "osgpdissect" / "_data" / "grammars" / "osgp.lark")
    assert got["values"] == {"num_devices": 5, "config_entry_size": 66, "status_entry_size": 36,
                             "od_queue_size": 5, "od_entry_size": 6, "data_entry_size": 517,
                             "txn_request_len": 769}
    assert [p for p in got["repo_on_path"] if p != deps] == []  # nothing of the checkout but its venv
    # the installed CLI works from there too
    r = subprocess.run([sys.executable, "-S", "-m", "osgpdissect", "spec", "check"], cwd=work, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("spec ok: ")
