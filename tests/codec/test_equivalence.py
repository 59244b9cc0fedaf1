"""The codec decodes exactly as the retired walker did (issue 14): 3150 table reads whose walker
decodings are frozen in ``tests/data/frozen/oracle-decodes.json.gz`` (every table and procedure
part, both profiles, defaults and windows cutting fields, the guide's vectors, a device that
learned its dimension tables, seeded random bytes) give the same nodes, warnings, defaults used
and values, compiled and interpreted; random reads decode alike both ways and never raise.

A spec change that changes decodings on purpose rewrites the file from the codec
(``pytest tests/codec --update-golden``); the diff of the decodings is reviewed like code."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osgpdissect import codec
from osgpdissect.codec import Device

from .helpers import ALL_PARTS, PROFILES, SPEC, defaults
from .oracle_corpus import case_json, cases, device, load_golden, result_of, write_golden


def _golden() -> list:
    return load_golden()


GOLDEN = _golden()


def test_the_frozen_corpus_is_the_corpus_of_today(update_golden):
    """The cases are made again from the spec: a spec change that alters them shows here."""
    if update_golden:
        write_golden(lambda *a, **k: codec.decode_table(*a, **k, compiled=False))
        GOLDEN[:] = _golden()
    assert [case_json(c) for c in cases()] == [c for c, _ in GOLDEN]


@pytest.mark.parametrize("chunk", range(10))
def test_frozen_oracle_decodings(chunk, codec_mode):
    mine = GOLDEN[chunk::10]
    for case, want in mine:
        table, part, profile, kind, offset, hexed = case
        got = result_of(lambda *a, **k: codec.decode_table(*a, **k, compiled=codec_mode),
                        (table, part, profile, kind, offset, bytes.fromhex(hexed)))
        assert got == want, case


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_reads_decode_alike_compiled_and_interpreted(data):
    table, part = data.draw(st.sampled_from(ALL_PARTS))
    profile = data.draw(st.sampled_from(PROFILES))
    size = Device(SPEC, profile).bound(table, part).size or 96
    offset = data.draw(st.integers(0, size + 2))
    raw = data.draw(st.binary(min_size=0, max_size=min(size + 4, 300)))
    both = [codec.decode_table(SPEC, table, raw, offset, Device(SPEC, profile), part=part,
                               compiled=mode).to_json() for mode in (True, False)]
    assert both[0] == both[1]


def test_zero_size_field_at_window_start_has_no_raw(codec_mode):
    """Found by fuzzing the codec: a zero-size field at the window's first byte showed the window's
    hex (a ``[0:-1]`` slice) in the compiled code; BT22 gen4 read at its end (offset 28)."""
    res = codec.decode_table(SPEC, "BT22", bytes.fromhex("efe1324f"), 28, Device(SPEC, "gen4"),
                             compiled=codec_mode)
    assert res.find("coin_demand_assoc").raw == ""


def test_chained_entries_join(codec_mode):
    """ET57 (F33): extension entries (type 3) join their DRH into the base entry's ``drh_chain``,
    in full reads and in windows that cut the chain."""
    data = bytearray(defaults("ET57", "gen3"))
    for i, entry_type in enumerate((1, 3, 3, 1, 3, 0, 2, 3)):
        data[4 * i] = entry_type | (i << 2)
        data[4 * i + 1 : 4 * i + 4] = bytes((i, 0x10 + i, 0x20 + i))
    res = codec.decode_table(SPEC, "ET57", bytes(data), 0, device("plain", "gen3"), compiled=codec_mode)
    chain = res.find("mdt_entries.[0].drh_chain")
    assert chain is not None and chain.raw == "00 10 20 01 11 21 02 12 22"
    for offset, count in ((2, 9), (4, 12), (13, 20)):
        window = codec.decode_table(SPEC, "ET57", bytes(data[offset:offset + count]), offset,
                                    device("plain", "gen3"), compiled=codec_mode)
        assert window.warnings == [] or all("chain" not in w for w in window.warnings)
