"""``osgpdissect docs [--open] [--out DIR]``: build the reference site with sphinx-build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def docs_source() -> Path:
    """The ``docs/`` folder of the checkout (the site is built from the source tree)."""
    return Path(__file__).resolve().parents[2] / "docs"


def sphinx_command(src: Path, out: Path, doctrees: Path | None = None, jobs: str | None = None) -> list[str]:
    """The sphinx-build command line: HTML, warnings are errors, all of them reported."""
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q"]
    if doctrees is not None:
        cmd += ["-d", str(doctrees)]
    if jobs:
        cmd += ["-j", jobs]
    return cmd + [str(src), str(out)]


def add_parser(sub) -> None:
    p = sub.add_parser("docs", help="build the reference site (Sphinx) from the spec")
    p.add_argument("--out", help="output folder (default: docs/_build/html)")
    p.add_argument("--open", action="store_true", help="open the built site in a web browser")
    p.set_defaults(run=run)


def run(args) -> int:
    from osgpdissect.errors import OsgpError

    src = docs_source()
    if not (src / "conf.py").is_file():
        raise OsgpError(f"the docs sources are not here ({src}); build from a checkout of osgpdissect")
    try:
        import sphinx  # noqa: F401
    except ImportError:
        raise OsgpError("Sphinx is not installed: pip install 'osgpdissect[docs]'") from None
    out = Path(args.out).resolve() if args.out else src / "_build" / "html"
    rc = subprocess.call(sphinx_command(src, out))
    if rc:
        print(f"osgpdissect: sphinx-build failed (exit {rc})", file=sys.stderr)
        return 1
    index = out / "index.html"
    print(f"built {index}")
    if args.open:
        import webbrowser

        webbrowser.open(index.as_uri())
    return 0
