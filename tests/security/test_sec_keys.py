"""KeyRing parsing, loaders, merging and secrecy."""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_testkeys import ASCII_MAK, HEX_MBK, checked

from osgpdissect.security.keys import (
    KeyMaterialError,
    KeyRing,
    PskEntry,
    derive_encryption_key,
    parse_key,
    set_encryption_key_derivation,
)


def test_ascii_key_uses_first_16_character_codes() -> None:
    assert parse_key(ASCII_MAK, "mak") == ASCII_MAK[:16].encode()


def test_hex_key() -> None:
    assert parse_key(HEX_MBK, "mbk") == bytes.fromhex(HEX_MBK)
    assert parse_key(HEX_MBK.lower(), "mbk") == bytes.fromhex(HEX_MBK)


def test_raw_bytes() -> None:
    raw = bytes(range(16))
    assert parse_key(raw, "mak") == raw
    assert parse_key(raw + b"XXXX", "mak") == raw


@pytest.mark.parametrize(
    "value,message",
    [
        ("Secret7", "mak: expected 20 ASCII characters or 32 hex digits, got 7 characters"),
        ("Z" * 32, "mak: expected 20 ASCII characters or 32 hex digits, got 32 characters"),
        ("é" * 20, "mak: 20-character key contains non-ASCII characters"),
        (b"short", "mak: expected 16 or 20 key bytes, got 5 bytes"),
        (12345, "mak: expected a string, got int"),
    ],
    ids=["too-short", "not-hex", "non-ascii", "short-bytes", "wrong-type"],
)
def test_errors_name_the_field_not_the_key(value: object, message: str) -> None:
    with pytest.raises(KeyMaterialError) as info:
        parse_key(value, "mak")  # type: ignore[arg-type]
    assert str(checked(info.value)) == message


def test_repr_hides_keys() -> None:
    ring = KeyRing(mak=ASCII_MAK, mbk=HEX_MBK, psk=[PskEntry(b"\x64\x00\x01", b"\x11" * 16)])
    text = repr(checked(ring))
    assert text == "KeyRing(keys=[mak, mbk], psk_identities=[640001])"
    assert str(ring) == text
    assert "11111111" not in repr(ring.psk[0])


def test_keyring_is_immutable() -> None:
    ring = KeyRing(mak=ASCII_MAK)
    with pytest.raises(AttributeError):
        ring.mak = b"\x00" * 16  # type: ignore[misc]


def test_trial_order_mak_first() -> None:
    ring = KeyRing(mbk=HEX_MBK, mak=ASCII_MAK)
    assert [label for label, _ in ring.auth_keys()] == ["MAK", "MBK"]
    assert KeyRing().empty and not ring.empty


def test_from_env() -> None:
    env = {"OSGP_MAK": ASCII_MAK, "OSGP_MBK": HEX_MBK, "OSGP_RC4_KEY": "00" * 16, "PATH": "/bin"}
    ring = checked(KeyRing.from_env(env))
    assert ring.mak == ASCII_MAK[:16].encode()
    assert ring.mbk == bytes.fromhex(HEX_MBK)
    assert ring.rc4_key == bytes(16)
    assert KeyRing.from_env({}).empty


def test_from_env_error_names_variable() -> None:
    with pytest.raises(KeyMaterialError, match=r"^OSGP_MBK: expected .* got 3 characters$"):
        KeyRing.from_env({"OSGP_MBK": "abc"})


def test_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(
        f'mak = "{ASCII_MAK}"\nmbk = "{HEX_MBK}"\nrc4_key = "{"ab" * 16}"\n'
        '[[psk]]\nidentity = "640001"\nkey = "00112233445566778899aabbccddeeff"\n'
    )
    ring = checked(KeyRing.from_toml(path))
    assert ring.mak == ASCII_MAK[:16].encode()
    assert ring.rc4_key == b"\xab" * 16
    assert ring.psk == (
        PskEntry(b"\x64\x00\x01", bytes.fromhex("00112233445566778899aabbccddeeff")),
    )


@pytest.mark.parametrize(
    "content,pattern",
    [
        (
            'mak = "Secret7"\n',
            "key file: mak: expected 20 ASCII characters or 32 hex digits, got 7",
        ),
        ("mak = 5\n", "key file: mak: expected a string, got int"),
        ('mak = "unterminated\n', "key file: invalid TOML at line 1"),
        ('colour = "blue"\n', r"key file: 1 unknown entry \(names not shown"),
        ('[[psk]]\nidentity = "01"\n', r"key file: psk\[0\] needs exactly 'identity' and 'key'"),
        (
            '[[psk]]\nidentity = "0g"\nkey = "00"\n',
            r"key file: psk\[0\].identity: not a hex string",
        ),
    ],
    ids=["short", "number", "bad-toml", "unknown", "psk-missing", "psk-bad-hex"],
)
def test_toml_errors(tmp_path: Path, content: str, pattern: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(content)
    with pytest.raises(KeyMaterialError, match=pattern) as info:
        KeyRing.from_toml(path)
    checked(info.value)
    assert "Secret7" not in str(info.value) and "unterminated" not in str(info.value)


def test_merge_overrides_and_combines() -> None:
    base = KeyRing(mak=ASCII_MAK, psk=[PskEntry(b"A", b"\x01" * 16), PskEntry(b"B", b"\x02" * 16)])
    extra = KeyRing(mbk=HEX_MBK, psk=[PskEntry(b"B", b"\x03" * 16)])
    merged = checked(base.merge(extra))
    assert merged.mak == base.mak and merged.mbk == extra.mbk
    assert merged.psk == (PskEntry(b"A", b"\x01" * 16), PskEntry(b"B", b"\x03" * 16))
    assert KeyRing(mak=ASCII_MAK).merge(KeyRing(mak=HEX_MBK)).mak == bytes.fromhex(HEX_MBK)


def test_psk_selection_by_identity_key_id() -> None:
    ring = KeyRing(mak=ASCII_MAK, mbk=HEX_MBK, psk=[PskEntry(b"X", b"\x05" * 16)])
    assert ring.psk_for(b"\x64\x00\x01") == ("MAK", ring.mak)
    assert ring.psk_for(b"\x64\x00\x00") == ("MBK", ring.mbk)
    assert ring.psk_for(b"X") == ("explicit PSK entry", b"\x05" * 16)
    assert ring.psk_for(b"\x64\x00\x07") is None


def test_encryption_key_derivation_is_pluggable() -> None:
    ring = KeyRing(mak=ASCII_MAK)
    assert derive_encryption_key(ring.mak) is None  # not public: no default
    assert ring.encryption_key("MAK") is None
    set_encryption_key_derivation(lambda key: bytes(b ^ 0x5A for b in key))
    try:
        assert ring.encryption_key("MAK") == bytes(b ^ 0x5A for b in ring.mak)
        assert ring.encryption_key("MBK") is None
        set_encryption_key_derivation(lambda key: b"short")
        with pytest.raises(KeyMaterialError, match="returned 5 bytes"):
            ring.encryption_key("MAK")
    finally:
        set_encryption_key_derivation(None)
    assert (
        KeyRing(mak=ASCII_MAK, rc4_key="00" * 16, rc4_key_mbk="11" * 16).encryption_key("MBK")
        == b"\x11" * 16
    )


@pytest.mark.parametrize("nested", ["a = " + "[" * 200_000, "a = " + "{b=" * 200_000])
def test_deeply_nested_key_file_is_invalid_toml(tmp_path, nested):
    """Found by fuzzing: tomllib recursed into a key file nested 200 000 deep (RecursionError,
    exit 70): it is invalid TOML, said without quoting the file."""
    path = tmp_path / "keys.toml"
    path.write_text(nested)
    with pytest.raises(KeyMaterialError, match=r"^key file: invalid TOML \(nested too deeply\)$"):
        KeyRing.from_toml(path)
