"""A folder of small generated captures for the archive tests (issue 20): MEP polling sessions
(``bench/session_gen.py``) as pcap and hex text, optical sessions (``optical.builders``), MEP
sessions with damaged bytes, and captures that cannot be read at all."""

from __future__ import annotations

import importlib.util
import itertools
import struct
from pathlib import Path
from typing import Any

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.captures import write_hex_text, write_pcap
from osgpdissect.optical import builders as B

ROOT = Path(__file__).resolve().parents[1]
BT23, BT52 = 0x0017, 0x0034
KINDS = ("mep-pcap", "mep-hex", "optical", "damaged")


def session_gen() -> Any:
    """``bench/session_gen.py`` (not a package: loaded by path)."""
    spec = importlib.util.spec_from_file_location("session_gen", ROOT / "bench" / "session_gen.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def optical_runs(k: int) -> list[ByteRun]:
    """An optical session: identify, log on, read BT23 (partial: spec-default dimensions) and
    BT52.  (A 16-byte full read of BT23 would start a dimension search of ~2 s.)"""
    energy = struct.pack("<4i", 1000 + k, 20 + k, 300 + k, 4000 + k)
    clock = bytes((26, 1 + k % 12, 1 + k % 28, k % 24, 0, 0, 0x10))
    return B.session([(B.ident(), B.ident_response()),
                      (B.logon(2, "LAB"), B.ok()),
                      (B.read(BT23, 0, len(energy)), B.read_response(energy)),
                      (B.read(BT52), B.read_response(clock))], start=10.0 * k)


def damaged(runs: list[ByteRun], k: int) -> list[ByteRun]:
    """``runs`` with one response cut short, one byte flipped and a stretch of noise."""
    out = list(runs)
    i = 3 + k % 4
    cut = out[i]
    out[i] = ByteRun(cut.direction, cut.data[: len(cut.data) // 2], cut.time)
    j = i + 2
    flip = bytearray(out[j].data)
    flip[len(flip) // 2] ^= 0x5A
    out[j] = ByteRun(out[j].direction, bytes(flip), out[j].time)
    r = next(n for n in range(j, len(out)) if out[n].direction is Direction.S2C)
    noise = ByteRun(Direction.S2C, bytes(range(7, 7 + 5 + k % 9)), out[r].time + 0.08)
    out.insert(r + 1, noise)  # after a response, before the next request
    return out


def write_corpus(folder: Path, count: int = 200, unreadable: int = 2) -> list[Path]:
    """``count`` readable captures (the four kinds in turn) and ``unreadable`` files that are
    no capture; returns every path, sorted."""
    gen = session_gen()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, kind in zip(range(count), itertools.cycle(KINDS), strict=False):
        sub = folder / f"meter{k % 10}"
        sub.mkdir(exist_ok=True)
        if kind == "optical":
            path = sub / f"cap{k:04d}.txt"
            write_hex_text(optical_runs(k), str(path))
        else:
            runs = list(gen.session(10 + 2 * (k % 5), seed=k))
            if kind == "damaged":
                path = sub / f"cap{k:04d}.txt"
                write_hex_text(damaged(runs, k), str(path))
            elif kind == "mep-hex":
                path = sub / f"cap{k:04d}.txt"
                write_hex_text(runs, str(path))
            else:
                path = sub / f"cap{k:04d}.pcap"
                write_pcap(runs, str(path))
        paths.append(path)
    for k in range(unreadable):
        path = folder / f"broken{k}.pcap"
        path.write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(range(k, k + 30)))  # a pcap cut short
        paths.append(path)
    return sorted(paths)
