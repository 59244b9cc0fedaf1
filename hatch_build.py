"""Wheel build hook: compile the bulk-path modules with mypyc (pure Python stays the fallback).

The modules named in ``mypyc-modules.txt`` are compiled to C extensions that sit beside their
``.py`` files; ``osgpdissect/compiled.json`` records each source's SHA-256 so that
``osgpdissect.acceleration`` loads an extension only while its sources are unchanged.

* editable install (``pip install -e .``, what ``make`` does): built in place in the checkout;
* wheel: built under ``build/mypyc`` and packed into the wheel, which then gets a platform tag.

``OSGPDISSECT_PURE_PYTHON=1`` skips the compilation.  A failed compilation (no C compiler, a
type error in a listed module) prints why and leaves a pure-Python build, unless
``OSGPDISSECT_REQUIRE_COMPILED=1`` makes it an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from contextlib import chdir
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = "osgpdissect"
MODULE_LIST = "mypyc-modules.txt"
MANIFEST = f"{PACKAGE}/compiled.json"
GROUP = f"{PACKAGE}_native"  # the shared library: osgpdissect_native__mypyc*.so, beside the package


def listed_modules(root: Path) -> list[str]:
    """Paths of the modules to compile, relative to ``root``."""
    lines = (root / MODULE_LIST).read_text(encoding="utf-8").splitlines()
    return [s for line in lines if (s := line.split("#", 1)[0].strip())]


def manifest(root: Path, paths: list[str]) -> dict[str, object]:
    modules = {
        p.removesuffix(".py").replace("/", "."): hashlib.sha256((root / p).read_bytes()).hexdigest()
        for p in paths
    }
    return {"compiler": "mypyc", "python": sys.implementation.cache_tag, "modules": modules}


def _stale_outputs(root: Path) -> list[Path]:
    """Extensions an earlier in-place build left in the package (any module list)."""
    made = [*(root / PACKAGE).rglob("*.so"), *root.glob(f"{GROUP}__mypyc*.so")]
    return [p for p in made if p.is_file()] + [root / MANIFEST]


def compile_modules(root: Path, paths: list[str], inplace: bool, out: Path) -> list[Path]:
    """Run mypyc + the C compiler; returns the extension files made (under ``root`` when
    ``inplace``, else under ``out``)."""
    from mypyc.build import mypycify  # noqa: PLC0415  (a build dependency only)
    from setuptools import Distribution  # noqa: PLC0415

    work = root / "build" / "mypyc"
    work.mkdir(parents=True, exist_ok=True)
    flags = ["--follow-imports=silent", "--cache-dir", str(work / "mypy-cache")]
    with chdir(root):
        extensions = mypycify(flags + paths, opt_level="3",
                              target_dir=str(work / "c"), group_name=GROUP)
        dist = Distribution({"name": PACKAGE, "ext_modules": extensions})
        build = dist.get_command_obj("build_ext")
        build.inplace = inplace
        build.build_lib = str(out)
        build.build_temp = str(work / "obj")
        build.parallel = os.cpu_count() or 1
        build.ensure_finalized()
        build.run()
        made = [Path(p) for p in build.get_outputs()]
    return [p if p.is_absolute() else root / p for p in made]


class CustomBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        editable = version == "editable"
        if editable:
            for old in _stale_outputs(root):
                old.unlink(missing_ok=True)
        if os.environ.get("OSGPDISSECT_PURE_PYTHON") == "1":
            self.app.display_info("osgpdissect: OSGPDISSECT_PURE_PYTHON=1, not compiling")
            return
        paths = listed_modules(root)
        out = root / "build" / "mypyc" / "lib"
        shutil.rmtree(out, ignore_errors=True)
        try:
            made = compile_modules(root, paths, editable, out)
        except (Exception, SystemExit) as exc:  # noqa: BLE001  (distutils reports by SystemExit)
            if os.environ.get("OSGPDISSECT_REQUIRE_COMPILED") == "1":
                raise
            self.app.display_warning(
                f"osgpdissect: mypyc compilation failed ({type(exc).__name__}: {exc}); "
                "installing the pure-Python modules (slower bulk decoding)"
            )
            return
        text = json.dumps(manifest(root, paths), indent=1, sort_keys=True) + "\n"
        if editable:
            (root / MANIFEST).write_text(text, encoding="utf-8")
            return
        (out / MANIFEST).parent.mkdir(parents=True, exist_ok=True)
        (out / MANIFEST).write_text(text, encoding="utf-8")
        build_data["force_include"][str(out / MANIFEST)] = MANIFEST
        for path in made:
            build_data["force_include"][str(path)] = path.relative_to(out).as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
