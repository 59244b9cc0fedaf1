"""The in-test copy of guide frames matches the guide's vector file (tests/data, a copy of
shared/vectors/guide-frames.json)."""

import json
from pathlib import Path

from sec_guide import FRAMES

VECTORS = Path(__file__).resolve().parents[1] / "data" / "guide-frames.json"


def test_frames_match_shared_vectors() -> None:
    by_id = {f["id"]: f for f in json.loads(VECTORS.read_text())}
    for frame_id, hex_ in FRAMES.items():
        entry = by_id[frame_id]
        assert hex_ == (entry.get("hex_from_table") or entry["hex"]), frame_id
