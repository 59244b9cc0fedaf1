"""DSL errors: exact ``file:line:col: message`` + the offending line, from the API and the CLI.

Each case is a one-table spec folder written to a temporary directory; file names in messages
are ``<folder>/t.osgp`` (the folder's name, then the path inside it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from core_helpers import SPECS, cli, run_cli, write_spec

from osgpdissect.errors import SpecError
from osgpdissect.lang.loader import load_spec
from osgpdissect.layout.validate import load_and_validate

# name -> (spec text, [(line, col, message, snippet)])  -- snippet None: none expected
CASES: dict[str, tuple[str, list[tuple[int, int, str, str | None]]]] = {
    "syntax": (
        'table ET01 "T" {\n'
        '    UINT8 a "A" @0\n'
        '    UINT8 b "B" @@1\n'
        "}\n",
        [(3, 18, "unexpected '@' (expected one of: int, lpar, name)", '    UINT8 b "B" @@1')],
    ),
    "unknown_type": (
        'table ET01 "T" {\n'
        '    UINT8 a "A" @0\n'
        '    UINT17 b "B" @1\n'
        "}\n",
        [(3, 5, "unknown type 'UINT17'", '    UINT17 b "B" @1')],
    ),
    "bad_bit_range": (
        'table ET01 "T" {\n'
        '    bits UINT8 flags "F" @0 {\n'
        '        BOOL(0) a "A"\n'
        '        UINT(4..9) b "B"\n'
        "    }\n"
        "}\n",
        [(4, 9, "bit range 4..9 does not fit a 8-bit container", '        UINT(4..9) b "B"')],
    ),
    "division_by_zero": (  # issue 21 item 10: x / 0 of constants is a spec error
        'table ET01 "T" {\n'
        '    UINT8 a "A" @0\n'
        '    UINT8[4 / 0] b "B" @1\n'
        "}\n",
        [(3, 11, "division by zero: 4 / 0", '    UINT8[4 / 0] b "B" @1')],
    ),
    "too_deep": (  # found by fuzzing: 700 chained operators raised RecursionError (exit 70)
        'table ET01 "T" {\n'
        '    UINT8 n "N" @0\n'
        '    UINT8[' + 'n+' * 700 + '1] b "B" @1\n'
        "}\n",
        [(3, 1223, "nested more than 100 levels deep (split the expression)",
          '    UINT8[' + 'n+' * 700 + '1] b "B" @1')],
    ),
    "unresolved": (
        'table ET01 "T" {\n'
        '    UINT8 a "A" @0\n'
        '    UINT8[count] b "B" @1\n'
        "}\n",
        [(3, 11, "unresolved name 'count' (not a preceding field, symbol, parameter or table reference)",
          '    UINT8[count] b "B" @1')],
    ),
    "unknown_table_ref": (
        'table ET01 "T" {\n'
        '    UINT8[ET02.count] a "A" @0\n'
        "}\n",
        [(2, 11, "unknown table ET02 in ET02.count", '    UINT8[ET02.count] a "A" @0')],
    ),
    "offset_mismatch": (
        'table ET01 "T" {\n'
        '    UINT16 a "A" @0\n'
        '    UINT8 b "B" @1\n'
        "}\n",
        [(3, 17, "ET01.b: computed offset 2, the guide states 1 (profile gen3) "
                 "(fix the layout, or list it in ERRATA.md)", '    UINT8 b "B" @1')],
    ),
    "size_mismatch": (
        'table ET01 "T" {\n'
        "    size 4\n"
        '    UINT16 a "A" @0\n'
        "}\n",
        [(1, 1, f"ET01 size is 2 bytes under profile {p}, the guide says 4 "
                "(fix the layout, or list it in ERRATA.md)", 'table ET01 "T" {') for p in ("gen3", "gen4")],
    ),
    "duplicate_id": (
        'table ET01 "T" {\n'
        '    UINT8 a "A" @0\n'
        '    UINT8 a "A again" @1\n'
        "}\n",
        [(3, 5, "duplicate id 'a' in ET01 (first at line 2)", '    UINT8 a "A again" @1')],
    ),
    "duplicate_bit_id": (
        'table ET01 "T" {\n'
        '    bits UINT8 f "F" @0 {\n'
        '        BOOL(0) a "A"\n'
        '        BOOL(1) a "A"\n'
        "    }\n"
        "}\n",
        [(4, 9, "duplicate bit id 'a' in f", '        BOOL(1) a "A"')],
    ),
    "unknown_enum": (
        'table ET01 "T" {\n'
        '    UINT8 a "A" @0 enum NoSuchEnum\n'
        "}\n",
        [(2, 5, "unknown enum 'NoSuchEnum'", '    UINT8 a "A" @0 enum NoSuchEnum')],
    ),
    "wrong_number": (
        'table ET01 "T" {\n'
        "    number 2050 0x0802\n"
        '    UINT8 a "A" @0\n'
        "}\n",
        [
            (1, 1, "ET01 is number 2049, the spec states 2050 (list it in ERRATA.md if the guide is wrong)",
             'table ET01 "T" {'),
            (1, 1, "ET01 is 0x0801, the spec states 0x0802", 'table ET01 "T" {'),
        ],
    ),
}

SYNTAX_LEVEL = {"syntax", "too_deep"}  # raised by the loader (SpecError), not reported by the validator


def _diags(folder: Path):
    try:
        _, report = load_and_validate(folder)
    except SpecError as exc:
        return exc.diagnostics
    return report.diagnostics


@pytest.mark.parametrize("case", sorted(CASES))
def test_api_diagnostics(tmp_path, case):
    text, want = CASES[case]
    folder = write_spec(tmp_path, case, text)
    diags = _diags(folder)
    got = [(d.file, d.line, d.col, d.message) for d in diags]
    assert got == [(f"{case}/t.osgp", ln, col, msg) for ln, col, msg, _ in want]
    for d, (ln, col, _, snippet) in zip(diags, want, strict=True):
        assert d.snippet == snippet
        rendered = d.render().splitlines()
        assert rendered[0] == f"{case}/t.osgp:{ln}:{col}: {d.message}"
        assert rendered[1] == "    " + snippet
        assert rendered[2] == "    " + " " * (col - 1) + "^"


def test_syntax_error_is_raised_by_loader(tmp_path):
    folder = write_spec(tmp_path, "syntax", CASES["syntax"][0])
    with pytest.raises(SpecError) as info:
        load_spec(folder)
    assert str(info.value).splitlines()[0] == (
        "syntax/t.osgp:3:18: unexpected '@' (expected one of: int, lpar, name)")


DUP_TABLE = (
    'table ET01 "T" {\n'
    '    UINT8 a "A" @0\n'
    "}\n"
    'table ET01 "T2" {\n'
    '    UINT8 a "A" @0\n'
    "}\n"
)


def test_duplicate_table_message(tmp_path):
    folder = write_spec(tmp_path, "duptable", DUP_TABLE)
    with pytest.raises(SpecError) as info:
        load_spec(folder)
    d = info.value.diagnostics
    assert [(x.file, x.line, x.col, x.message) for x in d] == [
        ("duptable/t.osgp", 4, 1, "duplicate table ET01 (first declared at duptable/t.osgp:1:1)")]


def test_duplicate_table_shows_line(tmp_path):
    folder = write_spec(tmp_path, "duptable", DUP_TABLE)
    with pytest.raises(SpecError) as info:
        load_spec(folder)
    assert info.value.diagnostics[0].snippet == 'table ET01 "T2" {'


ERRATA = """# Errata

### E001: ET01.b (guide l.12)
- **Guide says:** `B UINT8 1`.
- **Decision:** B follows the UINT16 at 0, so it is at 2.
- **Why:** a UINT16 at 0 ends at 1.
"""


def test_offset_mismatch_excused_by_errata(tmp_path):
    folder = write_spec(tmp_path, "excused", CASES["offset_mismatch"][0], errata=ERRATA)
    spec, report = load_and_validate(folder)
    assert report.diagnostics == []
    assert [e.ident for e in spec.errata] == ["E001"]
    assert spec.errata[0].target == "ET01.b" and spec.errata[0].line == 12
    # both stated offsets are checked under both profiles; the mismatch is counted as excused
    assert report.checked["ET01"] == 4
    assert report.mismatches["ET01"] == [
        "ET01.b: computed offset 2, the guide states 1 (profile gen3)",
        "ET01.b: computed offset 2, the guide states 1 (profile gen4)",
    ]
    r = cli("spec", "check", "--root", str(folder))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ("spec ok: 1 tables/procedures, 4 stated offsets checked, "
                                "2 mismatches explained in ERRATA")


def test_errata_for_another_field_does_not_excuse(tmp_path):
    folder = write_spec(tmp_path, "other", CASES["offset_mismatch"][0],
                        errata=ERRATA.replace("ET01.b", "ET01.a"))
    _, report = load_and_validate(folder)
    assert [d.message.split(" (fix")[0] for d in report.diagnostics] == [
        "ET01.b: computed offset 2, the guide states 1 (profile gen3)"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_spec_check_reports(tmp_path, case):
    text, want = CASES[case]
    folder = write_spec(tmp_path, case, text)
    r = cli("spec", "check", "--root", str(folder))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    for ln, col, msg, snippet in want:
        head = f"{case}/t.osgp:{ln}:{col}: {msg}"
        assert head in lines
        i = lines.index(head)
        assert lines[i + 1] == "    " + snippet
    tail = "error(s)" if case in SYNTAX_LEVEL else "error(s) in 1 tables/procedures"
    assert lines[-1] == f"{len(want)} {tail}"
    assert r.stdout == ""


def test_cli_spec_check_duplicate_table(tmp_path):
    folder = write_spec(tmp_path, "duptable", DUP_TABLE)
    r = cli("spec", "check", "--root", str(folder))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines()[0] == "duptable/t.osgp:4:1: duplicate table ET01 (first declared at duptable/t.osgp:1:1)"


def test_cli_spec_check_good_folder():
    r = run_cli("spec", "check", "--root", str(SPECS / "features"))  # the real command, once
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("spec ok: 30 tables/procedures, ")
    assert r.stderr == ""


def test_cli_spec_check_bad_folder_subprocess(tmp_path):
    folder = write_spec(tmp_path, "unknown_type", CASES["unknown_type"][0])
    r = run_cli("spec", "check", "--root", str(folder))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[:2] == ["unknown_type/t.osgp:3:5: unknown type 'UINT17'", '        UINT17 b "B" @1']  # 4 spaces + the line


def test_cli_spec_check_missing_folder(tmp_path):
    r = cli("spec", "check", "--root", str(tmp_path / "nope"))
    assert r.returncode != 0
    assert "Traceback" not in r.stderr


def test_many_errors_in_one_folder_all_reported(tmp_path):
    text = (
        'table ET01 "T" {\n'
        '    UINT8 a "A" @0\n'
        '    UINT8 b "B" @2\n'
        "}\n"
        'table ET02 "U" {\n'
        '    UINT8 a "A" @0 enum Nope\n'
        "}\n"
    )
    folder = write_spec(tmp_path, "many", text)
    _, report = load_and_validate(folder)
    assert sorted((d.line, d.col) for d in report.diagnostics) == [(3, 17), (6, 5)]
    assert report.errors == {"ET01": 1, "ET02": 1}
