"""Per-user on-disk cache of the parsed shipped spec and of the lark parser tables.

Location: ``$OSGPDISSECT_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/osgpdissect``, else
``~/.cache/osgpdissect``. ``OSGPDISSECT_NO_CACHE=1`` turns caching off.

Entries are pickles and unpickling can run code, so an entry is read only from a directory
owned by the current user that is not group- or world-writable, and only if the file itself
is owned by that user and not group- or world-writable; elsewhere nothing is read or written.
Each entry starts with a line holding its key (a sha256 over everything it was built from),
and is written to a temporary file then renamed into place. Any problem with the cache
(missing, unwritable, corrupt, stale, unsafe) only means a normal parse: never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from osgpdissect import __version__
from osgpdissect.lang import model as m
from osgpdissect.resources import errata_files, grammar_path, spec_files

ENV_DIR = "OSGPDISSECT_CACHE_DIR"
ENV_OFF = "OSGPDISSECT_NO_CACHE"

_PACKAGE = Path(__file__).resolve().parent
# The code that shapes the cached model: a change here (same version number) must miss.
_CODE = ("model.py", "parser.py", "transform.py", "loader.py")


def cache_dir() -> Path | None:
    """Where the cache lives, or ``None`` when caching is turned off or unsupported."""
    if os.environ.get(ENV_OFF, "") not in ("", "0") or not hasattr(os, "getuid"):
        return None
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "osgpdissect"
    try:
        return Path.home() / ".cache" / "osgpdissect"
    except RuntimeError:  # no home directory
        return None


def _private(st: os.stat_result) -> bool:
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _safe_dir(create: bool) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
    except OSError:
        return None
    return folder if stat.S_ISDIR(st.st_mode) and _private(st) else None


def digest(parts: Iterable[tuple[str, bytes]]) -> str:
    """sha256 over labelled byte strings (length-prefixed, so no two inputs collide)."""
    h = hashlib.sha256()
    for label, data in parts:
        name = label.encode()
        h.update(len(name).to_bytes(4, "big") + name + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def read(name: str, key: str) -> bytes | None:
    """The payload of entry ``name`` if it exists, is safe to load and was stored under ``key``."""
    folder = _safe_dir(create=False)
    if folder is None:
        return None
    try:
        with open(folder / f"{name}.pickle", "rb") as f:
            if not _private(os.fstat(f.fileno())):
                return None
            if f.readline().rstrip(b"\n") != key.encode():
                return None
            return f.read()
    except OSError:
        return None


def write(name: str, key: str, payload: bytes) -> None:
    """Store entry ``name`` atomically; silently does nothing if that is not possible."""
    folder = _safe_dir(create=True)
    if folder is None:
        return
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(key.encode() + b"\n" + payload)
        os.replace(tmp, folder / f"{name}.pickle")
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def spec_key(root: Path) -> str:
    """Key of the spec tree at ``root``: its files, the grammar, the parsing code and versions."""
    parts = [("osgpdissect", __version__.encode()), ("python", f"{sys.version_info[:2]}".encode()),
             ("root", root.name.encode())]
    for p in [*spec_files(root), *errata_files(root)]:
        parts.append(("spec/" + p.relative_to(root).as_posix(), p.read_bytes()))
    parts.append(("grammar", grammar_path().read_bytes()))
    parts += [("code/" + c, (_PACKAGE / c).read_bytes()) for c in _CODE]
    return digest(parts)


def load_spec_cached(root: Path, build: Callable[[], m.Spec]) -> m.Spec:
    """The spec at ``root`` from the cache, else ``build()`` (whose result is then cached)."""
    if cache_dir() is None:
        return build()
    try:
        key = spec_key(root)
    except OSError:
        return build()
    blob = read("spec", key)
    if blob is not None:
        try:
            spec = pickle.loads(blob)
        except Exception:  # corrupt or from other code: any unpickling error means a rebuild
            spec = None
        if isinstance(spec, m.Spec):
            return spec
    spec = build()
    try:
        payload = pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
        if spec_key(root) != key:  # a file changed while it was parsed: do not store a mix
            return spec
    except Exception:  # an unpicklable model (or a vanished file) is a missed cache, not an error
        return spec
    write("spec", key, payload)
    return spec
