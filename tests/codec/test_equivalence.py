"""The codec decodes exactly as the walker (``osgpdissect.decode.decode_table``, the oracle):
every table and procedure part of the shipped spec, both profiles, compiled and interpreted —
defaults, deterministic and random partial windows, the guide's vectors, random bytes, and a
device that learned its dimension tables (layouts rebound)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osgpdissect.decode import Device

from .helpers import ALL_PARTS, PROFILES, SPEC, assert_same_as_oracle, defaults, guide_vectors


def _windows(size: int) -> list[tuple[int, int]]:
    """Windows cutting fields at either end, empty windows and windows past the end."""
    picks = {
        (0, size),
        (0, 0),
        (1, size),
        (0, max(size - 1, 0)),
        (size, 0),
        (size, 3),
        (size // 2, 1),
        (size // 3, size // 3 + 1),
        (max(size - 2, 0), 5),
    }
    return sorted(picks)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(("table", "part"), ALL_PARTS)
def test_defaults_and_windows_equal_oracle(table, part, profile, codec_mode):
    data = defaults(table, profile, part)
    for offset, count in _windows(len(data)):
        window = data[offset : offset + count]
        assert_same_as_oracle(
            table, window, offset, lambda: Device(SPEC, profile), part, codec_mode
        )


@pytest.mark.parametrize(
    ("vid", "table", "data", "offset"), guide_vectors(), ids=lambda v: str(v)[:24]
)
def test_guide_vectors_equal_oracle(vid, table, data, offset, codec_mode):
    for profile in PROFILES:
        assert_same_as_oracle(
            table, data, offset, lambda p=profile: Device(SPEC, p), "table", codec_mode
        )


def _learned(profile: str) -> Device:
    """A device that learned ET11 and BT21 (dimension tables) with non-default values."""
    dev = Device(SPEC, profile)
    et11 = bytearray(defaults("ET11", profile))
    et11[0] = 3  # num_devices
    dev.learn("ET11", 0, bytes(et11))
    bt21 = bytearray(defaults("BT21", profile))
    bt21[5] = 2  # a BT21 dimension byte (self/demand counts)
    dev.learn("BT21", 0, bytes(bt21))
    return dev


def test_learned_device_rebinds_layouts():
    """The learned device really changes layouts (else the next test proves nothing)."""
    changed = [
        t
        for t, _ in ALL_PARTS[:60]
        if _learned("gen3").bound(t).size != Device(SPEC, "gen3").bound(t).size
    ]
    assert changed


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(("table", "part"), ALL_PARTS)
def test_learned_device_equal_oracle(table, part, profile, codec_mode):
    dev = _learned(profile)
    from osgpdissect.decode import encode_table

    data = (
        encode_table(SPEC, table, {}, dev, part=part)
        if table not in ("ET42", "ET52", "ET53")
        else defaults(table, profile, part)
    )
    assert_same_as_oracle(table, data, 0, lambda: dev, part, codec_mode)
    assert_same_as_oracle(table, data[2:9], 2, lambda: dev, part, codec_mode)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_bytes_and_windows_equal_oracle(data):
    table, part = data.draw(st.sampled_from(ALL_PARTS))
    profile = data.draw(st.sampled_from(PROFILES))
    compiled = data.draw(st.booleans())
    size = Device(SPEC, profile).bound(table, part).size
    size = size if size is not None else 96
    offset = data.draw(st.integers(0, size + 2))
    raw = data.draw(
        st.binary(min_size=0, max_size=min(size + 4 - offset, 300))
        if offset
        else st.binary(min_size=0, max_size=size + 4)
    )
    assert_same_as_oracle(table, raw, offset, lambda: Device(SPEC, profile), part, compiled)


def test_zero_size_field_at_window_start_has_no_raw(codec_mode):
    """Found by fuzzing the codec: a zero-size field at the window's first byte showed the window's
    hex (a ``[0:-1]`` slice) in the compiled code; BT22 gen4 read at its end (offset 28)."""
    res = assert_same_as_oracle(
        "BT22", bytes.fromhex("efe1324f"), 28, lambda: Device(SPEC, "gen4"), "table", codec_mode
    )
    assert res.find("coin_demand_assoc").raw == ""


def test_chained_entries_join_as_the_oracle(codec_mode):
    """ET57 (F33): extension entries (type 3) join their DRH into the base entry's ``drh_chain``,
    in full reads and in windows that cut the chain."""
    data = bytearray(defaults("ET57", "gen3"))
    for i, entry_type in enumerate((1, 3, 3, 1, 3, 0, 2, 3)):
        data[4 * i] = entry_type | (i << 2)
        data[4 * i + 1 : 4 * i + 4] = bytes((i, 0x10 + i, 0x20 + i))
    res = assert_same_as_oracle(
        "ET57", bytes(data), 0, lambda: Device(SPEC, "gen3"), "table", codec_mode
    )
    chain = res.find("mdt_entries.[0].drh_chain")
    assert chain is not None and chain.raw == "00 10 20 01 11 21 02 12 22"
    for offset, count in ((2, 9), (4, 12), (13, 20)):
        window = bytes(data[offset : offset + count])
        assert_same_as_oracle(
            "ET57", window, offset, lambda: Device(SPEC, "gen3"), "table", codec_mode
        )
