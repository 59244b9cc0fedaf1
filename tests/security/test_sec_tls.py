"""TlsTracker against real OpenSSL captures (tests/data/tls) and the guide's TLS frames."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sec_guide import GUIDE_KEY
from sec_testkeys import OTHER_KEY, checked
from sec_tlsdata import GUIDE_TLS, guide_frame, load_capture, repair_gcm_nonce

from osgpdissect.security import KeyRing, PskEntry, Security
from osgpdissect.security.tls import (
    DECRYPTION_FAILED,
    AppData,
    TlsError,
    TlsEvent,
    TlsInfo,
    TlsTracker,
)
from osgpdissect.security.tlsrec import prf

SESSIONS = ["session_ems", "session_no_ems"]


def run(tracker: TlsTracker, frames: list[tuple[str, int, bytes]]) -> list[TlsEvent]:
    events: list[TlsEvent] = []
    for direction, code, payload in frames:
        out = tracker.feed(direction, code, payload)
        assert all(isinstance(e, TlsEvent) for e in out)
        events.extend(out)
    for event in events:
        checked(event)
    return events


def infos(events: list[TlsEvent], what: str) -> list[TlsInfo]:
    return [e for e in events if isinstance(e, TlsInfo) and e.what == what]


def expected_plaintexts(sidecar: dict) -> list[tuple[str, bytes]]:
    out = []
    for ex in sidecar["exchanges"]:
        out += [("C->S", bytes.fromhex(ex["request"])), ("S->C", bytes.fromhex(ex["response"]))]
    return out


@pytest.mark.parametrize("name", SESSIONS)
def test_full_session_decrypts_with_mak(name: str) -> None:
    frames, side = load_capture(name)
    keys = KeyRing(mak=side["test_mak_ascii"])  # PSK = first 16 characters of the MAK
    tracker = Security(keys).tls_tracker()
    events = run(tracker, frames)
    assert [e for e in events if isinstance(e, TlsError)] == []
    apps = [(e.direction, e.plaintext) for e in events if isinstance(e, AppData)]
    assert apps == expected_plaintexts(side)
    assert len(apps) >= 6  # several table reads
    finished = infos(events, "Finished")
    assert [dict(f.fields).get("verified") for f in finished] == ["yes", "yes"]
    assert infos(events, "keys")[0].summary == "session keys derived from the MAK"
    assert "alert warning close_notify" in [e.summary for e in infos(events, "Alert")]
    assert not tracker.established  # the 0x57 terminate reset the session


@pytest.mark.parametrize("name", SESSIONS)
def test_ems_flag_matches_capture(name: str) -> None:
    frames, side = load_capture(name)
    events = run(TlsTracker(), frames)
    hello = dict(infos(events, "ServerHello")[0].fields)
    assert ("extended_master_secret" in hello["extensions"]) is side["extended_master_secret"]


def test_explicit_psk_entry() -> None:
    frames, side = load_capture("session_ems")
    entry = PskEntry(bytes.fromhex(side["psk_identity_hex"]), bytes.fromhex(side["psk_hex"]))
    events = run(TlsTracker(KeyRing(psk=[entry])), frames)
    assert len([e for e in events if isinstance(e, AppData)]) == 2 * len(side["exchanges"])
    assert infos(events, "psk")[0].summary.endswith(": explicit PSK entry")


def test_key_found_by_trial_when_identity_names_another_key() -> None:
    frames, side = load_capture("session_no_ems")
    # The identity says MAK (key id 1) but only an MBK is configured: try every key.
    events = run(TlsTracker(KeyRing(mbk=side["psk_hex"])), frames)
    assert "trying every known key" in infos(events, "psk")[0].summary
    assert infos(events, "keys")[0].summary == "session keys derived from the MBK"
    assert len([e for e in events if isinstance(e, AppData)]) == 10


@pytest.mark.parametrize("name", SESSIONS)
def test_handshake_shown_without_psk(name: str) -> None:
    frames, side = load_capture(name)
    events = run(TlsTracker(), frames)
    assert not any(isinstance(e, (AppData, TlsError)) for e in events)
    cke = dict(infos(events, "ClientKeyExchange")[0].fields)
    assert cke == {"psk_identity": "654301", "mep_client_id": "17253", "mep_key_id": "1 (MAK)"}
    hello = dict(infos(events, "ClientHello")[0].fields)
    assert "0x00A9 TLS_PSK_WITH_AES_256_GCM_SHA384" in hello["cipher_suites"]
    assert len(infos(events, "ChangeCipherSpec")) == 2
    assert infos(events, "ServerHelloDone")
    assert "records stay encrypted" in infos(events, "psk")[0].summary
    assert any(
        e.summary == "encrypted ApplicationData (no PSK)" for e in infos(events, "encrypted")
    )


def test_wrong_psk_on_a_good_session() -> None:
    frames, _ = load_capture("session_ems")
    events = run(TlsTracker(KeyRing(mak=OTHER_KEY)), frames)
    errors = [e.text for e in events if isinstance(e, TlsError)]
    assert errors == [DECRYPTION_FAILED]
    assert not any(isinstance(e, AppData) for e in events)
    assert any("earlier failure" in e.summary for e in infos(events, "encrypted"))


def test_wrong_psk_capture_with_the_clients_key() -> None:
    frames, side = load_capture("wrong_psk")
    events = run(TlsTracker(KeyRing(mak=side["psk_hex"])), frames)
    assert dict(infos(events, "Finished")[0].fields)["verified"] == "yes"
    alert = infos(events, "Alert")[0].summary
    assert alert.startswith("alert fatal bad_record_mac during the handshake")
    assert infos(events, "frame")[-1].summary.startswith("TLS error (0x01)")


def test_wrong_psk_capture_with_the_servers_key() -> None:
    frames, side = load_capture("wrong_psk")
    events = run(TlsTracker(KeyRing(mak=side["server_psk_hex"])), frames)
    assert [e.text for e in events if isinstance(e, TlsError)] == [DECRYPTION_FAILED]


def test_finished_mismatch_when_transcript_is_altered() -> None:
    """Change a ClientHello extension byte (not the randoms): keys still match in the
    non-EMS session, so records decrypt but both Finished checks fail."""
    frames, side = load_capture("session_no_ems")
    direction, code, payload = frames[0]
    altered = bytearray(payload)
    altered[-1] ^= 0x01  # last signature_algorithms byte
    frames = [(direction, code, bytes(altered)), *frames[1:]]
    events = run(TlsTracker(KeyRing(mak=side["psk_hex"])), frames)
    errors = [e.text for e in events if isinstance(e, TlsError)]
    assert errors == ["Finished verify_data mismatch"] * 2
    assert len([e for e in events if isinstance(e, AppData)]) == 10


def test_new_handshake_resets_the_session() -> None:
    frames, side = load_capture("session_ems")
    tracker = TlsTracker(KeyRing(mak=side["psk_hex"]))
    run(tracker, frames[:4])
    assert tracker.established
    run(tracker, frames[:1])
    assert not tracker.established


def test_frame_codes() -> None:
    t = TlsTracker()
    ev = run(t, [("C->S", 0x57, b"\x00")])
    assert [e.text for e in ev][-2:] == ["terminate data (1 bytes)", "TLS session terminated"]
    ev = run(t, [("S->C", 0x03, b"")])
    assert ev[0].text == "Invalid identity or key (0x03), 0 bytes of TLS data" and len(ev) == 1
    ev = run(t, [("S->C", 0x42, b"")])
    assert ev[-1].text == "unexpected S->C code 0x42"
    ev = run(t, [("C->S", 0x80, bytes.fromhex("1703030002abcd"))])
    assert ev[-1].text == "application data before ChangeCipherSpec"
    ev = run(t, [("X->Y", 0x80, b"")])
    assert isinstance(ev[0], TlsError)
    ev = run(t, [("C->S", 0x59, bytes.fromhex("160303"))])
    assert ev[-1].text == "3 trailing bytes: too short for a TLS record"


def test_prf_sha384_matches_openssl_kdf() -> None:
    # openssl kdf -keylen 64 -kdfopt digest:SHA384 -kdfopt hexsecret:b032...
    #   -kdfopt hexseed:<"test label" + cd66...> TLS1-PRF
    out = prf(
        bytes.fromhex("b0323523c1853599584d88568bbb05eb"),
        b"test label",
        bytes.fromhex("cd665cf6a8447dd6ff8b27555edb7465"),
        64,
        "sha384",
    )
    assert out.hex().upper() == (
        "09BC0E7F405D494F045027FB66B2C929FF9C3EA6B2EF7356B95550FDD0B2190E"
        "EDAAA74304D4852171D32309A4140B83907CC365BDC14CD269626315BD5E1BDF"
    )


# -- the guide's (garbled) TLS examples ------------------------------------------------------


@pytest.mark.parametrize("frame_id", [fid for fid, _, _ in GUIDE_TLS])
def test_guide_frames_parse_alone(frame_id: str) -> None:
    direction, code, payload = guide_frame(frame_id)
    events = run(TlsTracker(KeyRing(mak=GUIDE_KEY)), [(direction, code, payload)])
    assert events and isinstance(events[0], TlsInfo) and events[0].what == "frame"


def test_guide_handshake_fields() -> None:
    frames = [guide_frame(fid) for fid, _, _ in GUIDE_TLS]
    events = run(TlsTracker(), frames)
    hello = dict(infos(events, "ClientHello")[0].fields)
    assert hello["random"] == "5CA65721AA86A8DB2D599157AA0C33811942A7EE9289F16633621976850DDFF4"
    assert hello["extensions"] == "none"
    server = dict(infos(events, "ServerHello")[0].fields)
    assert server["cipher_suite"] == "0x00A9 TLS_PSK_WITH_AES_256_GCM_SHA384"
    assert server["session_id"].startswith("4EC1BC0A")
    cke = dict(infos(events, "ClientKeyExchange")[0].fields)
    assert cke == {"psk_identity": "640001", "mep_client_id": "100", "mep_key_id": "1 (MAK)"}
    errors = [e.text for e in events if isinstance(e, TlsError)]
    assert "Handshake record truncated: declares 40 bytes, 39 present" in errors
    assert "ApplicationData record truncated: declares 32 bytes, 31 present" in errors
    assert any(t.startswith("incomplete handshake message discarded") for t in errors)


def test_guide_tls_example_decrypts_with_guide_key_after_nonce_repair() -> None:
    """Restoring the lost 00 of each 8-byte GCM explicit nonce, the guide's TLS examples
    decrypt and verify with PSK = 16 x 01 (the RC4 examples' key), identity 64 00 01."""
    ids = [
        "tls1_client_hello",
        "tls1_server_hello",
        "tls1_client_key_exchange_finished",
        "tls1_server_finished",
        "tls2_table_read_request",
        "tls2_table_read_response",
    ]
    frames = [(d, c, repair_gcm_nonce(p)) for d, c, p in map(guide_frame, ids)]
    events = run(TlsTracker(KeyRing(mak=GUIDE_KEY)), frames)
    assert [e for e in events if isinstance(e, TlsError)] == []
    assert [dict(f.fields).get("verified") for f in infos(events, "Finished")] == ["yes", "yes"]
    apps = [(e.direction, e.plaintext.hex().upper()) for e in events if isinstance(e, AppData)]
    assert apps == [("C->S", "3F084600008E0001"), ("S->C", "00000102")]


# -- robustness ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    direction=st.sampled_from(["C->S", "S->C", "bogus"]),
    code=st.integers(0, 255),
    payload=st.one_of(
        st.binary(max_size=80),
        st.builds(
            lambda t, b: bytes([t, 3, 3]) + len(b).to_bytes(2, "big") + b,
            st.sampled_from([20, 21, 22, 23]),
            st.binary(max_size=60),
        ),
    ),
)
def test_garbage_never_raises(direction: str, code: int, payload: bytes) -> None:
    tracker = TlsTracker(KeyRing(mak=GUIDE_KEY))
    for d, c, p in [guide_frame("tls1_client_hello"), guide_frame("tls1_server_hello")]:
        tracker.feed(d, c, p)
    events = tracker.feed(direction, code, payload)
    assert events and all(isinstance(e, TlsEvent) for e in events)


@settings(max_examples=150, deadline=None)
@given(index=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_bit_flips_in_a_real_session_never_raise(index: int, bit: int) -> None:
    frames, side = load_capture("session_no_ems")
    n = index % len(frames)
    direction, code, payload = frames[n]
    corrupted = bytearray(payload)
    corrupted[index % len(payload)] ^= 1 << bit
    frames[n] = (direction, code, bytes(corrupted))
    events = run(TlsTracker(KeyRing(mak=side["psk_hex"])), frames)
    assert events
