"""The in-test copy of guide frames matches the shared vector file (when present)."""

import json
from pathlib import Path

import pytest
from sec_guide import FRAMES

VECTORS = Path("/work/shared/vectors/guide-frames.json")


@pytest.mark.skipif(not VECTORS.exists(), reason="shared vector file not available")
def test_frames_match_shared_vectors() -> None:
    by_id = {f["id"]: f for f in json.loads(VECTORS.read_text())}
    for frame_id, hex_ in FRAMES.items():
        entry = by_id[frame_id]
        assert hex_ == (entry.get("hex_from_table") or entry["hex"]), frame_id
