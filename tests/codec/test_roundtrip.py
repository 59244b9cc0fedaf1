"""Build: parse -> build gives the same bytes for every table and procedure part, both profiles,
compiled and interpreted (defaults, the guide's vectors, random bytes that parse whole); """

from __future__ import annotations

import construct as cs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osgpdissect import codec
from osgpdissect.codec import Device, compiler
from osgpdissect.codec.constructs import BuildError

from .helpers import ALL_PARTS, HAND_MADE, PROFILES, SPEC, defaults, guide_vectors


def _all_nodes(nodes):
    for n in nodes:
        yield n
        yield from _all_nodes(n.children)


def _complete(v) -> bool:
    if isinstance(v, dict):
        return all(_complete(x) for x in v.values())
    if isinstance(v, list):
        return all(_complete(x) for x in v)
    return v is not None


def _whole(res) -> bool:
    """Decoded without warnings, nothing cut, nothing left raw, every field read."""
    return (
        not res.warnings
        and _complete(res.values())
        and not any(n.partial or n.name in ("_extra", "_undecoded") for n in _all_nodes(res.nodes))
    )


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(("table", "part"), ALL_PARTS)
def test_defaults_round_trip(table, part, profile, codec_mode):
    values = HAND_MADE.get(table, {})
    dev = Device(SPEC, profile)
    data = codec.encode_table(SPEC, table, values, dev, part=part, compiled=codec_mode)
    res = codec.decode_table(SPEC, table, data, device=dev, part=part, compiled=codec_mode)
    assert _whole(res)
    again = codec.encode_table(SPEC, table, res.values(), dev, part=part, compiled=codec_mode)
    assert again == data
    assert (
        codec.encode_table(SPEC, table, res.values(), dev, part=part, compiled=not codec_mode)
        == data
    )


@pytest.mark.parametrize(
    ("vid", "table", "data", "offset"), guide_vectors(), ids=lambda v: str(v)[:24]
)
def test_guide_vectors_round_trip(vid, table, data, offset, codec_mode):
    """Every whole field of the guide's example bytes is written back in place."""
    for profile in PROFILES:
        dev = Device(SPEC, profile)
        res = codec.decode_table(SPEC, table, data, offset, dev, compiled=codec_mode)
        full = codec.encode_table(SPEC, table, res.values(), dev, compiled=codec_mode)
        assert full == codec.encode_table(SPEC, table, res.values(), dev, compiled=not codec_mode)
        end = offset + len(data)
        checked = 0
        for n in _all_nodes(res.nodes):
            if n.partial or not n.raw or n.size == 0 or n.name.startswith("_") or n.children:
                continue
            if offset <= n.offset and n.offset + n.size <= end:
                assert (
                    full[n.offset : n.offset + n.size]
                    == data[n.offset - offset : n.offset - offset + n.size]
                ), n.name
                checked += 1
        assert checked
        if offset == 0 and _whole(res) and len(full) == len(data):
            assert full == data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_bytes_round_trip(data):
    table, part = data.draw(st.sampled_from(ALL_PARTS))
    profile = data.draw(st.sampled_from(PROFILES))
    dev = Device(SPEC, profile)
    size = dev.bound(table, part).size
    raw = data.draw(
        st.binary(min_size=size, max_size=size) if size is not None else st.binary(max_size=200)
    )
    res = codec.decode_table(SPEC, table, raw, device=dev, part=part)
    if not _whole(res):
        return
    built = codec.encode_table(SPEC, table, res.values(), dev, part=part, compiled=True)
    assert built == codec.encode_table(SPEC, table, res.values(), dev, part=part, compiled=False)
    if size is not None:
        assert built == raw
    else:
        assert built == raw[: len(built)]
        assert (
            codec.decode_table(SPEC, table, built, device=dev, part=part).values() == res.values()
        )


def test_random_round_trips_cover_most_tables():
    """Random bytes parse whole for most static tables (else the test above proves little)."""
    import random

    rng = random.Random(7)
    whole = 0
    static = [(t, p) for t, p in ALL_PARTS if Device(SPEC, "gen3").bound(t, p).size is not None]
    for table, part in static:
        dev = Device(SPEC, "gen3")
        raw = bytes(rng.randrange(256) for _ in range(dev.bound(table, part).size))
        res = codec.decode_table(SPEC, table, raw, device=dev, part=part)
        if _whole(res):
            whole += 1
            assert codec.encode_table(SPEC, table, res.values(), dev, part=part) == raw, table
    assert whole >= len(static) * 2 // 3


def test_padding_kept_while_it_fits_else_zeroed():
    """ET52: kept ``_pad`` is written back; when edited values grow the element, zeros instead."""
    dev = Device(SPEC, "gen3")
    base = defaults("ET52", "gen3")
    res = codec.decode_table(SPEC, "ET52", base, device=dev)
    assert codec.encode_table(SPEC, "ET52", res.values(), dev) == base


def test_compiled_build_is_emitted_code():
    s = compiler.structure(Device(SPEC, "gen3").bound("BT23"), 0, compiled=True)
    assert isinstance(s, cs.Compiled)
    assert "def build_table_" in s.source and ".pack(" in s.source


def test_value_too_wide_is_a_clear_error(codec_mode):
    """A value that does not fit its field raises the toolkit's error, not a struct traceback."""
    with pytest.raises(BuildError, match="does not fit"):
        codec.encode_table(
            SPEC,
            "BT52",
            {"clock_calendar": {"year": 300}},
            Device(SPEC, "gen3"),
            compiled=codec_mode,
        )
    first = next(n for n in codec.decode_table(SPEC, "ET11", defaults("ET11", "gen3")).nodes)
    with pytest.raises(BuildError, match="does not fit"):
        codec.encode_table(
            SPEC, "ET11", {first.name: 1 << 70}, Device(SPEC, "gen3"), compiled=codec_mode
        )


@pytest.mark.parametrize(("table", "part"), ALL_PARTS)
def test_parse_values_and_build_values_api(table, part):
    """``parse_values``/``build_values``: a full read's values, and the encoder's bytes."""
    dev = Device(SPEC, "gen3")
    root = dev.bound(table, part).root
    data = defaults(table, "gen3", part)
    if part == "table":
        assert (
            codec.parse_values(root, data) == codec.decode_table(SPEC, table, data, device=dev).values()
        )
        assert codec.parse_values(root, data, compiled=False) == codec.parse_values(root, data)
    values = HAND_MADE.get(table, {})
    assert codec.build_values(root, values) == codec.encode_table(SPEC, table, values, dev, part=part)



def test_value_of_wrong_kind_is_a_clear_error(codec_mode):
    """Text where a number belongs raises the toolkit's error, not a ValueError traceback."""
    with pytest.raises(BuildError, match="wrong kind"):
        codec.encode_table(
            SPEC,
            "BT52",
            {"time_date_qual": {"gmt_flag": "yes"}},
            Device(SPEC, "gen3"),
            compiled=codec_mode,
        )
