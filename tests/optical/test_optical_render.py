"""Text output of optical and mixed records: readable, password masked."""

from __future__ import annotations

from optical_helpers import (
    PASSWORD,
    device,
    mep_request,
    mep_response,
    session_runs,
    table_image,
    timed,
)

from osgpdissect.bytestream import Direction
from osgpdissect.cli import outputs
from osgpdissect.mixed import decode_mixed
from osgpdissect.optical import builders as B
from osgpdissect.optical import decode_optical_runs
from osgpdissect.optical.render import tree_lines


def test_session_text_is_readable_and_masked():
    lines = []
    for rec in decode_optical_runs(session_runs(), device()):
        lines.extend(tree_lines(rec))
    text = "\n".join(lines)
    assert "optical read BT23" in text and "-> ok" in text
    assert "password: ********" in text
    assert PASSWORD not in text and PASSWORD.encode().hex() not in text
    assert "seq 0" in text and "[multi, first" in text


def test_mixed_records_print_through_one_renderer():
    runs = B.session([(B.read(21), B.read_response(table_image("BT21")))])
    runs.append(timed(Direction.C2S, mep_request(21, 0, 10, 5), 2.0))
    runs.append(timed(Direction.S2C, mep_response(table_image("BT21")), 2.1))
    lines = [outputs.summary_line(r) for r in decode_mixed(runs, device())]
    assert len(lines) == 3
    assert "optical read BT21" in lines[1]
    assert "optical" not in lines[2] and "BT21" in lines[2]
