"""Guide frames from the guide's vector file (tests/data/guide-frames.json; a copied subset lives in-line)."""

from __future__ import annotations

GUIDE_KEY = bytes([0x01] * 16)  # the key behind the guide's RC4-mode examples

# id -> wire hex (2-byte length | body | digest), from the shared vector file. The ET53 full
# response uses the field-table form (the one-line dump at guide l.1315 drops a 00).
FRAMES: dict[str, str] = {
    "rc4_ex1_read_req_bad_seq": "00143F0017000000002C0102030474861F6D7658DD56",
    "rc4_ex1_resp_invalid_seq": "000D0C77635B9035863C1DF5B91482",
    "rc4_ex1_read_req_retry": "00143F0017000000002C77635B9113DB85A135A0575E",
    "rc4_ex2_write_req": "00154F083200001E00010177636E2F86E50E2667D1E63C",
    "rc4_ex2_write_resp": "00090086E50E2667D1E63C",
    "txn_multi_write_req": (
        "00574F08340000000043430000010008003F080B000000000A08003F0014000000000A08003F0015"
        "000000000A08003F0804000037000108003F080E000000000C08003F080F000000001F01005B4E42E6"
        "ED6A9CEFF4CC0E39"
    ),
    "txn_multi_write_resp": "000900ED6A9CEFF4CC0E39",
    "txn_et53_header_read_req": "00143F083500000000055B4E42E7489775DAD853E3A3",
    "txn_et53_header_read_resp": "00100000056F00010100974B99CAA3314519",
    "txn_et53_full_read_req": "00143F0835000000006F5B4E42E81B3204497445A87A",
    "txn_et53_full_read_resp": (
        "007A00006F6F000101000D0000000A054224050605020103F90D0000000A3F0EFD0F08100104081A0D"
        "0000000A3F0E0C0F08000104081A0400000001040F0000000C000000000011010001042F0022000000"
        "1F004200010002014500010002014800010002010300F80302014B00010002010100BFD4EBF2B7E01F43"
    ),
    "ep17_bt07_write_req": "0017400007000611080700F8035B4E4309697AB201497E9CF7",
    "ep17_bt07_write_resp": "000900697AB201497E9CF7",
    "appA_partial_read_req": "00143F00340000000006F52F54817CFF9A5347DBABFC",
    "appB_partial_read_resp": "00110000060402100F3B37303D9BBE3DA3A8B6",
}

# (request id, response id or None) for the 13 digests the guide key reproduces.
EXCHANGES: list[tuple[str, str | None]] = [
    ("rc4_ex1_read_req_bad_seq", "rc4_ex1_resp_invalid_seq"),
    ("rc4_ex1_read_req_retry", None),
    ("rc4_ex2_write_req", "rc4_ex2_write_resp"),
    ("txn_multi_write_req", "txn_multi_write_resp"),
    ("txn_et53_header_read_req", "txn_et53_header_read_resp"),
    ("txn_et53_full_read_req", "txn_et53_full_read_resp"),
    ("ep17_bt07_write_req", "ep17_bt07_write_resp"),
]


def split(frame_id: str) -> tuple[bytes, bytes]:
    """(body, digest) of a guide frame; checks the length field."""
    raw = bytes.fromhex(FRAMES[frame_id])
    assert int.from_bytes(raw[:2], "big") == len(raw) - 2, frame_id
    return raw[2:-8], raw[-8:]
