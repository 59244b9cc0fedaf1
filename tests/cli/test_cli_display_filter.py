"""issue 19 (CLI): ``decode -Y EXPR``, ``-T fields -e FIELD``, ``-c N``, ``-x`` and table ids
resolved by one rule, against the bundled captures (examples/session.pcap: 14 records; the
optical session of tests/data/optical)."""

from __future__ import annotations

import json

import pytest
from cli_helpers import EXAMPLES, ROOT, json_lines, run_cli

from osgpdissect.cli import main

PCAP = str(EXAMPLES / "session.pcap")
OPTICAL = str(ROOT / "tests" / "data" / "optical" / "session.hex")
TLS = ROOT / "tests" / "data" / "tls"


def _indexes(capsys, *argv: str) -> list[int]:
    rc, out, err = run_cli(capsys, PCAP, "-O", "json", *argv)
    assert rc == 0, err
    return [r["index"] for r in json_lines(out)]


def test_decoded_field_filters(capsys):
    """issue 19: -Y over decoded fields: a table's field path, an enum meaning, array elements
    looked through or picked by [N], numbers in hex."""
    assert _indexes(capsys, "-Y", "et11.num_devices == 5") == [2]
    assert _indexes(capsys, "-Y", "bt00.nameplate_type == electric") == [3]
    assert _indexes(capsys, "-Y", "bt00.manufacturer contains ne") == [3]
    assert _indexes(capsys, "-Y", "et13.device_config.alert_flags.on_demand_request") == [7]
    assert _indexes(capsys, "-Y", "et13.device_config[4].alert_flags == 0x02") == [7]
    assert _indexes(capsys, "-Y", "et13.device_config[3].alert_flags") == []
    assert _indexes(capsys, "-Y", "bt23.register_data.totals.fwd_active_wh >= 1234567") == [8]


def test_record_attribute_filters(capsys):
    """issue 19: -Y over record attributes, and/or/not (and && || !), parentheses."""
    assert _indexes(capsys, "-Y", "table == ET11") == [1, 2, 10, 12]  # 10, 12: transaction
    assert _indexes(capsys, "-Y", "table == 2059 or table == 0x0000") == [1, 2, 3, 10, 12]
    assert _indexes(capsys, "-Y", "table == EP17") == [13, 14]
    assert _indexes(capsys, "-Y", "kind == alert") == [6]
    assert _indexes(capsys, "-Y", "!(kind == exchange) || index >= 14") == [6, 14]
    assert _indexes(capsys, "-Y", "table == ET53 and not transaction.responses") == [11]
    assert _indexes(capsys, "-Y", "warnings contains \"0x0c hint\"") == [2]
    assert _indexes(capsys, "-Y", "response.code_name == \"Invalid sequence number\"") == [1]
    assert _indexes(capsys, "-Y", "digest == verified and code == 0x3F") == [7, 8, 11, 12]


def test_digest_mismatch_filter(capsys, monkeypatch):
    """issue 19: -Y 'digest == mismatch' selects the exchanges a wrong MAK does not verify."""
    assert _indexes(capsys, "-Y", "digest == mismatch") == []
    monkeypatch.setenv("OSGP_MAK", "02" * 16)
    got = _indexes(capsys, "-Y", "digest == mismatch")
    assert got and 6 not in got and set(got) <= set(range(1, 15))


def test_filter_that_matches_nothing(capsys):
    """issue 19: a filter that selects no record prints nothing and exits 0."""
    rc, out, err = run_cli(capsys, PCAP, "-Y", "et11.num_devices == 6")
    assert (rc, out, err) == (0, "", "")


@pytest.mark.parametrize(("expr", "column"), [
    ("index == = 2", 10),
    ("table == ET11 and", 18),
    ("(kind == exchange", 18),
    ("index 2", 7),
])
def test_filter_syntax_error(capsys, expr, column):
    """issue 19: a syntax error is one clear message naming the column, exit status 2."""
    rc, out, err = run_cli(capsys, PCAP, "-Y", expr)
    assert rc == 2 and out == ""
    assert f"syntax error at column {column}" in err
    assert "Traceback" not in err
    assert err.splitlines()[1].strip() == expr  # the filter, then a caret under the column
    assert err.splitlines()[2].index("^") - err.splitlines()[1].index(expr[0]) == column - 1


@pytest.mark.parametrize("expr", ["foo == 1", "et999.x == 1", "table == ET999", "ep99"])
def test_filter_unknown_names_rejected(capsys, expr):
    """issue 19: unknown attributes and tables are rejected when the filter is read."""
    rc, out, err = run_cli(capsys, PCAP, "-Y", expr)
    assert rc == 2 and out == "" and "unknown" in err


def test_fields_output(capsys):
    """issue 19: -T fields -e FIELD ...: tab-separated, one line per record, several values
    joined by commas, absent ones empty."""
    rc, out, err = run_cli(capsys, PCAP, "-T", "fields", "-e", "index", "-e", "table",
                           "-e", "et11.num_devices", "-e", "digest", "-e", "kind")
    assert rc == 0, err
    lines = out.splitlines()
    assert len(lines) == 14
    assert lines[1] == "2\tET11\t5\tverified,verified\texchange"
    assert lines[5] == "6\t\t\t\talert"
    assert lines[12].split("\t")[1] == "BT07,EP17"


def test_count_stops_after_n_records_shown(capsys):
    """issue 19: -c N stops after N records shown (after -Y)."""
    assert _indexes(capsys, "-c", "3") == [1, 2, 3]
    assert _indexes(capsys, "-Y", "code == 0x3F", "-c", "2") == [7, 8]
    rc, out, _ = run_cli(capsys, PCAP, "-T", "fields", "-e", "index", "-c", "1")
    assert (rc, out) == (0, "1\n")


def test_hex_dump(capsys):
    """issue 19: -x prints each frame of a record as offset, hex and ASCII."""
    rc, out, err = run_cli(capsys, PCAP, "-x", "-Y", "index == 7")
    assert rc == 0, err
    assert "    Request C->S (22 bytes)" in out
    assert "    0000  00 14 3f 08 0d 00 01 10 00 01 5b 4e 42 05 53 9a  ..?.......[NB.S." in out
    assert "    Response S->C (14 bytes)" in out
    rc, out, _ = run_cli(capsys, PCAP, "-x", "-s", "-Y", "kind == alert")
    assert out.splitlines()[1:] == ["    Alert S->C (2 bytes)", f"    0000  00 00{' ' * 42}  .."]


def test_optical_records_filtered(capsys):
    """issue 19: -Y works on optical records (protocol, kind, request fields)."""
    rc, out, err = run_cli(capsys, OPTICAL, "-O", "json", "-Y", "protocol == optical and "
                           "kind == exchange and request.service contains logon")
    assert rc == 0, err
    recs = json_lines(out)
    assert recs and all(r["protocol"] == "optical" for r in recs)


def test_fields_usage_errors(capsys):
    """issue 19: -T fields needs -e; -e needs -T fields; -c must be positive."""
    for argv in (["-T", "fields"], ["-e", "index"], ["-c", "0"],
                 ["-T", "fields", "-e", "bogus"], ["-T", "json", "-O", "json"]):
        rc, out, err = run_cli(capsys, PCAP, *argv)
        assert rc == 2 and out == "" and err.startswith("osgpdissect decode: "), argv


@pytest.mark.parametrize("ident", ["ET13", "et13", "2061", "0x080D", "MT13"])
def test_table_ids_everywhere(capsys, ident):
    """issue 19: `table`, `show` and `decode -t` accept ETnn, decimal and 0x hex alike."""
    assert main(["table", ident, "--hex", "00"]) == 0
    assert capsys.readouterr().out.startswith("ET13 MEP/M-Bus Device Configuration")
    assert main(["show", ident]) == 0
    assert capsys.readouterr().out.startswith("ET13")
    rc, out, _ = run_cli(capsys, PCAP, "-s", "-t", ident)
    assert rc == 0 and [line.split()[0] for line in out.splitlines()] == ["7"]


@pytest.mark.parametrize("ident", ["ET999", "2999", "0x0FFF", "BP99", "XY13", "EP"])
def test_unknown_table_ids_rejected(capsys, ident):
    """issue 19: unknown ids are rejected the same way by table, show and decode -t."""
    assert main(["table", ident, "--hex", "00"]) == 2
    assert "osgpdissect: " in capsys.readouterr().err
    assert main(["show", ident]) == 2
    capsys.readouterr()
    rc, out, err = run_cli(capsys, PCAP, "-t", ident)
    assert rc == 2 and out == "" and "-t:" in err


def test_decode_t_procedure(capsys):
    """issue 19: decode -t EP17 selects the procedure's call and result."""
    rc, out, _ = run_cli(capsys, PCAP, "-s", "-t", "EP17")
    assert rc == 0 and [line.split()[0] for line in out.splitlines()] == ["13", "14"]


def test_table_help_advertises_no_rejected_option(capsys):
    """issue 19: `table --help` names no option the command rejects (--request)."""
    assert main(["table", "--help"]) == 0
    assert "--request" not in capsys.readouterr().out


def test_mode_names_rc4_only_when_encrypted(capsys):
    """issue 19: "mode": "rc4" only on encrypted frames; plaintext RC4-mode frames say
    "plain"."""
    rc, out, _ = run_cli(capsys, PCAP, "-O", "json")
    modes = {r[side]["mode"] for r in json_lines(out) for side in ("request", "response")
             if r[side]}
    assert modes == {"plain"}


def test_tls_view_without_repr(capsys, tmp_path):
    """issue 19: the TLS view shows no Python dict repr, names the negotiated cipher suite and
    the PSK identity as sent (all its bytes)."""
    side = json.loads((TLS / "session_ems.json").read_text())
    keys = tmp_path / "keys.toml"
    keys.write_text(f'[[psk]]\nidentity = "{side["psk_identity_hex"]}"\n'
                    f'key = "{side["psk_hex"]}"\n')
    keys.chmod(0o600)
    rc, out, err = run_cli(capsys, str(TLS / "session_ems.hex"), "--keys", str(keys))
    assert rc == 0, err
    assert "{'" not in out and "TlsInfo" not in out
    assert "cipher suite 0x00A9 TLS_PSK_WITH_AES_256_GCM_SHA384" in out
    assert "PSK identity 65 43 01" in out
    assert "Inner request: Partial Table Read (0x3F), ET11, offset 0, count 10" in out
    rc, out, _ = run_cli(capsys, str(TLS / "session_ems.hex"), "--keys", str(keys), "-O", "json")
    recs = json_lines(out)
    assert recs[0]["security"]["cipher_suite"].startswith("0x00A9")
    assert recs[1]["security"]["psk_identity"].startswith("65 43 01")
