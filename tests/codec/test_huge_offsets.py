"""Issue 21 item 3: a read at a huge offset costs what a read at offset 0 costs.

Work is counted as Python function calls made while decoding (``sys.setprofile``), so the test
measures what the decoder does (elements visited, nodes made), not the wall clock.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
from core_helpers import run_cli

from osgpdissect.bytestream import ByteRun, Direction
from osgpdissect.codec import decode_table
from osgpdissect.mep import dissect

HUGE_OFFSETS = (0xFFFFFF, 2147483648)


def _calls(fn: Callable[[], object]) -> int:
    """Python function calls made by ``fn()``."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("table", ["BT63", "BT64", "BT23", "ET13"])
@pytest.mark.parametrize("offset", HUGE_OFFSETS)
def test_decode_at_huge_offset_does_constant_work(spec, codec_mode, table, offset):
    """issue 21 item 3: elements before the window are skipped arithmetically."""
    data = bytes(range(1, 17))
    decode_table(spec, table, data, offset=offset, compiled=codec_mode)  # warm the caches
    decode_table(spec, table, data, offset=1, compiled=codec_mode)
    near = _calls(lambda: decode_table(spec, table, data, offset=1, compiled=codec_mode))
    far = _calls(lambda: decode_table(spec, table, data, offset=offset, compiled=codec_mode))
    assert far <= 2 * near + 200, (table, offset, near, far)


def test_table_command_at_offset_2_pow_31():
    """issue 21 item 3: ``table BT63 --hex ff --offset 2147483648`` took 132 s and 1.3 GB."""
    res = run_cli("table", "BT63", "--hex", "ff", "--offset", "2147483648")
    assert res.returncode == 0, res.stderr
    assert "@2147483648" in res.stdout and "FF" in res.stdout


def _partial_reads(n: int, offset: int) -> list[ByteRun]:
    """``n`` BT63 partial reads of 16 bytes at ``offset`` with their responses."""
    digest = bytes(8)
    runs = []
    for i in range(n):
        body = bytes([0x3F]) + (63).to_bytes(2, "big") + offset.to_bytes(3, "big")
        body += (16).to_bytes(2, "big") + (0x100 + i).to_bytes(4, "big") + digest
        runs.append(ByteRun(Direction.C2S, len(body).to_bytes(2, "big") + body, i * 0.5))
        data = bytes(range(16))
        reply = b"\x00" + len(data).to_bytes(2, "big") + data + digest
        runs.append(ByteRun(Direction.S2C, len(reply).to_bytes(2, "big") + reply, i * 0.5 + 0.1))
    return runs


def test_capture_of_partial_reads_at_0xffffff_does_constant_work():
    """issue 21 item 3: 20 partial reads at offset 0xFFFFFF cost 1.4 s CPU each (28 s)."""
    list(dissect(_partial_reads(2, 0xFFFFFF)))  # warm the caches
    list(dissect(_partial_reads(2, 16)))
    near = _calls(lambda: list(dissect(_partial_reads(20, 16))))
    records = []
    far = _calls(lambda: records.extend(dissect(_partial_reads(20, 0xFFFFFF))))
    assert [r.kind for r in records] == ["exchange"] * 20
    assert far <= 2 * near + 2000, (near, far)
