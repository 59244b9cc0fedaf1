"""Issue 21: every CLI input survives fuzzing: each capture format (hex, raw, pcap, pcapng,
Saleae Logic 1/2 CSV, sigrok .sr and annotations, forced or detected, in every output mode),
``table``, ``--dims`` files, keys files and ``spec check --root`` end with a result or a clear
message, never an internal error (``make fuzz`` runs the same targets with large budgets)."""

from __future__ import annotations

import sys

import pytest
from fuzz_targets import check, targets_of


@pytest.mark.parametrize("target", targets_of("cli"), ids=lambda t: t.name)
def test_cli_entry_point_survives_fuzzing(target):
    check(target)


def test_an_internal_error_fails_the_fuzz_check(monkeypatch):
    """The harness is real: exit status 70 (an internal error) makes a target's check fail."""
    from fuzz_targets import InternalError, table_target

    import osgpdissect.cli

    def broken(argv):
        print("osgpdissect: internal error: KeyError: 'x'", file=sys.stderr)
        return 70

    monkeypatch.setattr(osgpdissect.cli, "main", broken)
    with pytest.raises(InternalError, match="internal error: KeyError"):
        check(table_target(), 3)
