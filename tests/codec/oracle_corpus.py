"""The table reads whose decodings by the retired walker (``decode.py``, issue 14) are frozen in
``tests/data/frozen/oracle-decodes.json.gz``: every table and procedure part under both
profiles (defaults and windows cutting fields), the guide's vectors, a device that learned its
dimension tables, and seeded random bytes and windows.  The codec must give the same results.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable, Iterator

from osgpdissect.codec import Device, encode_table
from osgpdissect.jsontext import dumps

from .helpers import ALL_PARTS, HAND_MADE, PROFILES, REPO, SPEC, guide_vectors

GOLDEN = REPO / "tests" / "data" / "frozen" / "oracle-decodes.json.gz"
Case = tuple[str, str, str, str, int, bytes]  # table, part, profile, device kind, offset, data


def device(kind: str, profile: str) -> Device:
    """``plain``: the profile's defaults; ``learned``: ET11 and BT21 read with other values."""
    dev = Device(SPEC, profile)
    if kind == "learned":
        et11 = bytearray(defaults("ET11", profile))
        et11[0] = 3  # num_devices
        dev.learn("ET11", 0, bytes(et11))
        bt21 = bytearray(defaults("BT21", profile))
        bt21[5] = 2  # a BT21 dimension byte
        dev.learn("BT21", 0, bytes(bt21))
    return dev


def defaults(table: str, profile: str, part: str = "table", dev: Device | None = None) -> bytes:
    return encode_table(SPEC, table, HAND_MADE.get(table, {}), dev or Device(SPEC, profile), part=part)


def windows(size: int) -> list[tuple[int, int]]:
    """Windows cutting fields at either end, empty windows and windows past the end."""
    return sorted({(0, size), (0, 0), (1, size), (0, max(size - 1, 0)), (size, 0), (size, 3),
                   (size // 2, 1), (size // 3, size // 3 + 1), (max(size - 2, 0), 5)})


def cases() -> Iterator[Case]:
    for profile in PROFILES:
        for table, part in ALL_PARTS:
            data = defaults(table, profile, part)
            for offset, count in windows(len(data)):
                yield table, part, profile, "plain", offset, data[offset:offset + count]
            dev = device("learned", profile)
            if table not in ("ET42", "ET52", "ET53"):
                data = encode_table(SPEC, table, {}, dev, part=part)
            yield table, part, profile, "learned", 0, data
            yield table, part, profile, "learned", 2, data[2:9]
        for _, table, data, offset in guide_vectors():
            yield table, "table", profile, "plain", offset, data
    rng = random.Random(14)
    for _ in range(1500):
        table, part = rng.choice(ALL_PARTS)
        profile = rng.choice(PROFILES)
        size = Device(SPEC, profile).bound(table, part).size or 96
        offset = rng.choice((0, 0, rng.randrange(size + 3)))
        yield table, part, profile, "plain", offset, rng.randbytes(rng.randrange(min(size + 4, 300) + 1))


def result_of(decode: Callable, case: Case) -> dict:
    table, part, profile, kind, offset, data = case
    res = decode(SPEC, table, data, offset, device(kind, profile), part=part)
    return {"decoded": res.to_json(), "values": json.loads(dumps(res.values()))}


def case_json(case: Case) -> list:
    return [*case[:5], case[5].hex()]


def load_golden() -> list[tuple[list, dict]]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as f:
        return [(c, r) for c, r in json.load(f)["cases"]]


def write_golden(decode: Callable) -> None:
    """Rewrite the golden file with ``decode``'s results (``pytest --update-golden``)."""
    out = [(case_json(c), result_of(decode, c)) for c in cases()]
    note = ("decodings of the walker the codec replaced (issue 14), rewritten by the codec "
            "(pytest tests/codec --update-golden) when the spec changes them; do not edit")
    with gzip.open(GOLDEN, "wt", encoding="utf-8") as f:
        json.dump({"generated": note, "cases": out}, f)
