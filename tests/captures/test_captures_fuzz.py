"""Garbage into every reader: a result or a CaptureError, never another exception."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

from capture_helpers import make_session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osgpdissect.captures import (
    READERS,
    CaptureError,
    CaptureOptions,
    detect_format,
    open_capture,
    write_hex_text,
    write_pcap,
    write_saleae_logic1_csv,
    write_saleae_logic2_csv,
    write_sigrok_sr,
)

_DIR = Path(tempfile.mkdtemp(prefix="capfuzz"))
_OPTS = CaptureOptions(channels={"uart-1": "tx", "D0": "tx", "D1": "rx", "x": "rx"})
_FUZZ = settings(max_examples=int(os.environ.get("CAPFUZZ_EXAMPLES", "60")), deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _consume(path: Path, fmt: str | None) -> None:
    try:
        fmt_ = fmt or detect_format(str(path))
        for run in open_capture([f"{path}:tx"], format=fmt_, options=_OPTS):
            assert isinstance(run.data, bytes)
    except CaptureError as exc:
        assert str(exc)


def _valid_files() -> dict[str, bytes]:
    session = make_session(n=4)
    out = {}
    for name, writer in [("l1.csv", lambda s, p: write_saleae_logic1_csv(s, p)),
                         ("l2.csv", write_saleae_logic2_csv), ("s.sr", write_sigrok_sr),
                         ("s.pcap", write_pcap), ("s.txt", write_hex_text)]:
        p = _DIR / f"valid-{name}"
        writer(session, str(p))
        out[name] = p.read_bytes()
    return out


_VALID = _valid_files()
_TEXT_HEADS = ["Time [s],Value,Parity Error,Framing Error\n", "name,type,start_time,duration,data\n",
               "uart-1: ", "> ", "[1.5] TX ", ""]


@_FUZZ
@given(data=st.binary(max_size=2000), fmt=st.sampled_from([None, *READERS]))
def test_random_bytes(data: bytes, fmt: str | None) -> None:
    p = _DIR / "random.bin"
    p.write_bytes(data)
    _consume(p, fmt)


@_FUZZ
@given(head=st.sampled_from(_TEXT_HEADS),
       text=st.text(alphabet=st.sampled_from(list("0123456789abcdefxX,:;[]'\" \n\t.-<>!#TRXCSe\\")),
                    max_size=600),
       fmt=st.sampled_from([None, "saleae1", "saleae2", "hex", "sigrok-ann"]))
def test_garbled_text(head: str, text: str, fmt: str | None) -> None:
    p = _DIR / "garbled.txt"
    p.write_text(head + text)
    _consume(p, fmt)


@_FUZZ
@given(name=st.sampled_from(sorted(_VALID)), data=st.data())
def test_mutated_valid_files(name: str, data: st.DataObject) -> None:
    raw = bytearray(_VALID[name])
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    p = _DIR / f"mut-{name}"
    p.write_bytes(bytes(raw[:cut] if data.draw(st.booleans()) else raw))
    _consume(p, None)


@_FUZZ
@given(meta=st.text(max_size=300), chunk=st.binary(max_size=3000), version=st.text(max_size=3))
def test_garbled_sr_zip(meta: str, chunk: bytes, version: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("version", version)
        zf.writestr("metadata", "[device 1]\ncapturefile=logic-1\nprobe1=TX\nsamplerate=10 kHz\n" + meta)
        zf.writestr("logic-1-1", chunk)
    p = _DIR / "g.sr"
    p.write_bytes(buf.getvalue())
    _consume(p, "sigrok")
