"""Fuzz targets for every entry point, shared by the suite's fuzz tests (small budgets) and
``make fuzz`` (``bench/fuzz.py``: large budgets in memory-capped child processes).

A target is a hypothesis strategy and a function of one drawn input.  The function returns when
the entry point handled the input (a result, or a clear error for the user) and raises
:class:`InternalError` when it did not (an exception other than the documented ones, exit status
70, a traceback or an "internal error" line).  Inputs are random bytes and mutations of valid
seeds written by the project's own writers (MEP guide frames plus an optical session).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from osgpdissect.bytestream import ByteRun, Direction

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
GUIDE_KEY = "01" * 16


class InternalError(AssertionError):
    """An entry point failed on an input in a way a user should never see."""


@dataclass(frozen=True)
class Target:
    """One entry point: ``stage`` is the tests/ folder its suite test lives in."""

    name: str
    stage: str
    strategy: st.SearchStrategy
    run: Callable[[Any], None]


# --------------------------------------------------------------------------- seeds


@cache
def workdir() -> Path:
    """A private folder for the files a target writes (one per process, removed at exit)."""
    path = Path(tempfile.mkdtemp(prefix=f"osgpfuzz-{os.getpid()}-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def mep_runs() -> list[ByteRun]:
    """The guide's RC4 frames as alternating timed runs."""
    vectors = json.loads((DATA / "guide-frames.json").read_text())
    runs, t = [], 0.1
    for v in vectors:
        if v.get("kind") != "frame" or v.get("transport") != "RC4" or "template" in v["id"]:
            continue
        wire = bytes.fromhex(v.get("hex_from_table") or v.get("hex_reconstructed_from_table")
                             or v["hex"])
        direction = Direction.C2S if v["direction"] == "request" else Direction.S2C
        times = tuple(round(t + i * 10 / 9600, 6) for i in range(len(wire)))
        runs.append(ByteRun(direction, wire, times[0], times, (), "guide"))
        t = times[-1] + 0.05
    return runs


def optical_runs(start: float) -> list[ByteRun]:
    """An optical session: ident, negotiate, logon, security (a password), reads, logoff."""
    from osgpdissect.optical import builders as B

    bt00 = bytes(range(40))
    exchanges = [
        (B.ident(), B.ident_response(std=0, ver=2, rev=0)),
        (B.negotiate(256, 8, 9600), B.negotiate_response(256, 8, 9600)),
        (B.logon(2, "reader"), B.ok()),
        (B.security("fuzz-pw"), B.ok()),
        (B.read(0), B.read_response(bt00)),
        (B.read(1), B.read_response(b"NES 83331-3I" + bytes(6))),
        (B.logoff(), B.ok()),
        (B.terminate(), B.ok()),
    ]
    return B.session(exchanges, start=start, packet_size=64)


@cache
def session_runs() -> tuple[ByteRun, ...]:
    mep = mep_runs()
    return tuple(mep + optical_runs(mep[-1].byte_times[-1] + 1.0))


def _pcapng_from(runs: tuple[ByteRun, ...]) -> bytes:
    """A pcapng file (SHB, IDB of link type 147 USER0, one EPB a run: direction byte + data,
    and the EPB direction flag)."""
    import struct

    def block(kind: int, body: bytes) -> bytes:
        body += bytes(-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", kind, n) + body + struct.pack("<I", n)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 147, 0, 0))
    for r in runs:
        usec = int(round(r.time * 1e6))
        flags = 1 if r.direction is Direction.S2C else 2
        opt = struct.pack("<HHI", 2, 4, flags) + struct.pack("<HH", 0, 0)
        payload = bytes([r.direction is Direction.S2C]) + r.data
        body = struct.pack("<IIIII", 0, usec >> 32, usec & 0xFFFFFFFF, len(payload), len(payload))
        body += payload + bytes(-len(payload) % 4) + opt
        out += block(6, body)
    return out


@cache
def format_seeds() -> dict[str, tuple[bytes, ...]]:
    """Valid files per ``-f`` format name, written by the project's writers (plus test data)."""
    from osgpdissect.captures import (
        write_hex_text,
        write_pcap,
        write_raw,
        write_saleae_logic1_csv,
        write_saleae_logic2_csv,
        write_sigrok_sr,
    )

    runs = session_runs()
    out: dict[str, list[bytes]] = {}

    def written(fmt: str, name: str, write: Callable[[str], None]) -> None:
        path = workdir() / f"seed-{name}"
        write(str(path))
        out.setdefault(fmt, []).append(path.read_bytes())

    written("hex", "s.txt", lambda p: write_hex_text(runs, p))
    written("raw", "s.bin", lambda p: write_raw(runs, p, Direction.C2S))
    written("pcap", "s.pcap", lambda p: write_pcap(runs, p))
    out["pcapng"] = [_pcapng_from(runs)]
    written("saleae1", "l1.csv", lambda p: write_saleae_logic1_csv(runs, p))
    written("saleae2", "l2.csv", lambda p: write_saleae_logic2_csv(runs, p))
    written("sigrok", "s.sr", lambda p: write_sigrok_sr(runs, p))
    caps = DATA / "captures"
    for path in sorted(caps.iterdir()):
        fmt = {"logic1": "saleae1", "logic2": "saleae2", "sigrok_ann": "sigrok-ann",
               "hex_paste": "hex", "sigrok_inv": "sigrok"}
        for prefix, name in fmt.items():
            if path.name.startswith(prefix):
                out.setdefault(name, []).append(path.read_bytes())
    return {k: tuple(v) for k, v in out.items()}


# --------------------------------------------------------------------------- mutation


@st.composite
def mutated(draw, seeds: tuple[bytes, ...], max_ops: int = 4) -> bytes:
    """A seed with a few byte-level faults: flip, drop, insert, duplicate, cut, splice."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, max_ops))):
        if not data:
            data += draw(st.binary(min_size=1, max_size=8))
            continue
        k = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(("flip", "drop", "insert", "dup", "cut", "byte", "digit")))
        if op == "flip":
            data[k] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte":
            data[k] = draw(st.sampled_from((0, 0xFF, 0xEE, 0x7F, 0x80, 0x0A, 0x2C, 0x22)))
        elif op == "digit":
            data[k:k + 1] = draw(st.sampled_from((b"9" * 12, b"-1", b"1e308", b"nan", b"0x")))
        elif op == "drop":
            del data[k:k + draw(st.integers(1, 64))]
        elif op == "insert":
            data[k:k] = draw(st.binary(min_size=1, max_size=16))
        elif op == "dup":
            n = draw(st.integers(1, 256))
            data[k:k] = data[k:k + n]
        else:
            del data[k:]
    return bytes(data)


@st.composite
def mutated_sr(draw, seeds: tuple[bytes, ...]) -> bytes:
    """A .sr file with one member mutated (then re-zipped: the ZIP layer stays valid)."""
    with zipfile.ZipFile(io.BytesIO(draw(st.sampled_from(seeds)))) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    name = draw(st.sampled_from(sorted(members)))
    members[name] = draw(mutated((members[name],)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, body in members.items():
            zf.writestr(n, body)
    return buf.getvalue()


def format_inputs(fmt: str) -> st.SearchStrategy[bytes]:
    seeds = format_seeds()[fmt]
    choices = [st.binary(max_size=512), mutated(seeds)]
    if fmt == "sigrok":
        choices.append(mutated_sr(seeds))
    return st.one_of(*choices)


# --------------------------------------------------------------------------- the CLI in-process


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """``osgpdissect ARGV`` in this process: (status, stdout, stderr); an internal error raises."""
    from osgpdissect.cli import main

    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="replace")
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:  # noqa: PERF203 - a command may exit itself
            rc = exc.code if isinstance(exc.code, int) else 2
    out.flush()
    text = out.buffer.getvalue().decode("utf-8", "replace")
    problems = err.getvalue()
    if rc == 70 or "Traceback" in problems or "internal error" in problems:
        raise InternalError(f"osgpdissect {' '.join(argv)} -> {rc}: {problems[-800:]}")
    if rc not in (0, 1, 2):
        raise InternalError(f"osgpdissect {' '.join(argv)} -> unexpected status {rc}")
    return rc, text, problems


def _write(name: str, data: bytes) -> Path:
    path = workdir() / name
    path.write_bytes(data)
    return path


_SUFFIX = {"hex": ".txt", "raw": ".bin", "pcap": ".pcap", "pcapng": ".pcapng", "saleae1": ".csv",
           "saleae2": ".csv", "sigrok": ".sr", "sigrok-ann": ".txt"}
_FLAGS = st.sampled_from([(), ("-O", "json"), ("-s",), ("--stats", "-q"), ("-e",), ("-p", "mep"),
                          ("-p", "optical"), ("--time", "delta"), ("-t", "BT00"),
                          ("-O", "pcap", "@out", "--force", "--mask-passwords")])


def decode_target(fmt: str) -> Target:
    """``decode FILE`` of one format: forced with ``-f`` or detected, with an output mode."""
    forced = "pcap" if fmt == "pcapng" else fmt

    def run(case: tuple[bytes, bool, tuple[str, ...]]) -> None:
        data, force, flags = case
        path = _write(f"in{_SUFFIX[fmt]}", data)
        name = f"{path}:tx" if fmt in ("raw", "saleae1", "sigrok-ann") else str(path)
        argv = ["decode", name, "--progress", "never", "--color", "never"]
        if fmt == "sigrok":
            argv += ["-o", "channels=D0:tx,D1:rx"]
        if force or fmt == "raw":
            argv += ["-f", forced]
        argv += [str(workdir() / "out.pcap") if f == "@out" else f for f in flags]
        run_main(argv)

    return Target(f"decode-{fmt}", "cli",
                  st.tuples(format_inputs(fmt), st.booleans(), _FLAGS), run)


@cache
def table_names() -> tuple[str, ...]:
    from osgpdissect.lang.spec import load_default_spec

    spec = load_default_spec()
    return tuple(sorted(t for t in spec.tables))


def _table_run(case: tuple[str, bytes, int, bool, bool]) -> None:
    table, data, offset, as_json, response = case
    argv = ["table", table, "--hex", data.hex(), "--offset", str(offset)]
    argv += ["--json"] if as_json else []
    argv += ["--response"] if response else []
    run_main(argv)


_OFFSETS = st.one_of(st.integers(0, 300), st.sampled_from((0xFFFF, 0xFFFFFF, 2**31, 2**40)))


def table_target() -> Target:
    strategy = st.tuples(st.sampled_from(table_names()), st.binary(max_size=300), _OFFSETS,
                         st.booleans(), st.booleans())
    return Target("table", "cli", strategy, _table_run)


_DIMS_SEEDS = (b'{"fw": "4.30"}', b'{"fw": 4.3, "BT21": {"nbr_tiers": 4}}',
               b'{"profile": "gen4", "ET11": {"num_devices": 6}}', b"{}", b"[]",
               b'{"BT21": {"nbr_summations": 99999999999}}', b"[" * 5000)


def _dims_run(case: tuple[bytes, str, bool]) -> None:
    data, table, show = case
    path = _write("dims.json", data)
    if show:
        run_main(["show", table, "--dims", str(path)])
    else:
        run_main(["table", table, "--hex", "00" * 12, "--dims", str(path)])


def dims_target() -> Target:
    text = st.one_of(st.binary(max_size=200), mutated(_DIMS_SEEDS),
                     st.recursive(st.one_of(st.integers(-2**70, 2**70), st.text(max_size=8),
                                            st.floats(), st.none(), st.booleans()),
                                  lambda c: st.one_of(st.lists(c, max_size=4),
                                                      st.dictionaries(st.text(max_size=12), c,
                                                                      max_size=4)),
                                  max_leaves=10).map(lambda v: json.dumps(v).encode()))
    tables = st.sampled_from(("BT21", "BT23", "ET11", "ET13", "BT63", "BT64"))
    return Target("dims", "cli", st.tuples(text, tables, st.booleans()), _dims_run)


_KEY_SEEDS = (f'mak = "{GUIDE_KEY}"\n'.encode(), f'mbk = "{GUIDE_KEY}"\nrc4_key = "{GUIDE_KEY}"\n'
              .encode(), f'[[psk]]\nidentity = "640001"\nkey = "{GUIDE_KEY}"\n'.encode(),
              b'mak = "abcdefghijklmnopqrst"\n', b"a = " + b"[" * 5000)


def _keys_run(data: bytes) -> None:
    keys = _write("keys.toml", data)
    os.chmod(keys, 0o600)
    capture = _write("capture.txt", format_seeds()["hex"][0])
    rc, out, err = run_main(["decode", str(capture), "--keys", str(keys), "--progress", "never"])
    text = out + err
    if GUIDE_KEY in text.lower() or "abcdefghijklmnopqrst" in text:
        raise InternalError("a key of the keys file was printed")


def keys_target() -> Target:
    return Target("keys", "cli", st.one_of(st.binary(max_size=200), mutated(_KEY_SEEDS)),
                  _keys_run)


_SPEC_SEED = (
    b'table ET01 "T" {\n'
    b'    UINT8 n "N" @0\n'
    b'    UINT16[n] a "A" @1\n'
    b'    bits UINT8 f "F" {\n'
    b'        BOOL(0) x "X"\n'
    b'        UINT(1..3) y "Y"\n'
    b"    }\n"
    b'    derived d "D" = n * 2 / (n + 1)\n'
    b'    STRING(4) s "S"\n'
    b"}\n"
)


_DEEP_SPEC = b'table ET01 "T" {\n    UINT8 n "N" @0\n    UINT8[' + b"n+" * 700 + b'1] b "B"\n}\n'


def _spec_run(data: bytes) -> None:
    root = workdir() / "spec"
    root.mkdir(exist_ok=True)
    (root / "t.osgp").write_bytes(data)
    run_main(["spec", "check", "--root", str(root)])


def spec_target() -> Target:
    texts = st.one_of(st.binary(max_size=300), mutated((_SPEC_SEED, _DEEP_SPEC)))
    return Target("spec-check", "cli", texts, _spec_run)


# --------------------------------------------------------------------------- library decoders


def _codec_run(case: tuple[str, bytes, int, bool]) -> None:
    from osgpdissect.codec import decode_table, encode_table
    from osgpdissect.errors import OsgpError
    from osgpdissect.lang.spec import load_default_spec

    table, data, offset, compiled = case
    spec = load_default_spec()
    try:
        res = decode_table(spec, table, data, offset=offset, compiled=compiled)
    except OsgpError:
        return
    json.dumps(res.to_json())
    if offset == 0 and not res.warnings:
        try:
            encode_table(spec, table, res.values(), compiled=compiled)
        except OsgpError:
            pass


def codec_target() -> Target:
    strategy = st.tuples(st.sampled_from(table_names()), st.binary(max_size=300), _OFFSETS,
                         st.booleans())
    return Target("codec", "codec", strategy, _codec_run)


def _wire_mutants() -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=300), mutated(tuple(r.data for r in session_runs())))


def _runs_strategy() -> st.SearchStrategy[list[ByteRun]]:
    def build(chunks: list[tuple[bool, bytes, bool]]) -> list[ByteRun]:
        runs, t = [], 0.0
        for c2s, data, timed in chunks:
            if data:
                times = tuple(t + i * 1e-3 for i in range(len(data))) if timed else ()
                runs.append(ByteRun(Direction.C2S if c2s else Direction.S2C, data,
                                    t if timed else None, times))
                t += len(data) * 1e-3 + 0.05
        return runs

    return st.lists(st.tuples(st.booleans(), _wire_mutants(), st.booleans()),
                    max_size=6).map(build)


def _mep_run(case: tuple[list[ByteRun], bool]) -> None:
    from osgpdissect.mep import dissect
    from osgpdissect.security import Security
    from osgpdissect.security.keys import KeyRing

    runs, keyed = case
    security = Security(KeyRing(mak=bytes.fromhex(GUIDE_KEY))) if keyed else None
    for rec in dissect(runs, security=security):
        json.dumps(rec.to_json())
        if any(w.startswith("internal error") for w in rec.warnings):
            raise InternalError(rec.warnings)


def _optical_run(runs: list[ByteRun]) -> None:
    from osgpdissect.lang.spec import load_default_spec
    from osgpdissect.layout.device import Device
    from osgpdissect.mixed import decode_mixed

    for rec in decode_mixed(runs, Device(load_default_spec(), profile="gen3")):
        json.dumps(rec.to_json())


def _scapy_run(case: tuple[bytes, bytes, str, int]) -> None:
    from osgpdissect.backends.scapy import dissect_exchange, dissect_frame
    from osgpdissect.backends.scapy.optical import dissect_packet, dissect_service
    from osgpdissect.backends.scapy.tables import table_layer

    a, b, table, offset = case
    for direction in ("C->S", "S->C"):
        dissect_frame(a, direction).summary()
    if len(a) > 2 and len(b) > 2:
        dissect_exchange(a, b)
    dissect_packet(a).summary()
    dissect_service(b, "response", dissect_service(a, "request")).summary()
    table_layer(table, offset, b).summary()


def library_targets() -> list[Target]:
    runs = _runs_strategy()
    wires = _wire_mutants()
    return [
        codec_target(),
        Target("mep-dissect", "mep", st.tuples(runs, st.booleans()), _mep_run),
        Target("optical-dissect", "optical", runs, _optical_run),
        Target("scapy-layers", "backends", st.tuples(wires, wires, st.sampled_from(
            table_names()), st.integers(0, 600)), _scapy_run),
    ]


def all_targets() -> list[Target]:
    """Every entry point, CLI formats first."""
    fmts = ["hex", "raw", "pcap", "pcapng", "saleae1", "saleae2", "sigrok", "sigrok-ann"]
    return [*(decode_target(f) for f in fmts), table_target(), dims_target(), keys_target(),
            spec_target(), *library_targets()]


# --------------------------------------------------------------------------- in the suite

SUITE_EXAMPLES = int(os.environ.get("OSGP_FUZZ_EXAMPLES", "40"))


def targets_of(stage: str) -> list[Target]:
    return [t for t in all_targets() if t.stage == stage]


def check(target: Target, examples: int = SUITE_EXAMPLES) -> None:
    """Run ``examples`` deterministic cases of ``target``; the first internal error fails."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(target.strategy)
    def case(value: Any) -> None:
        target.run(value)

    case()
