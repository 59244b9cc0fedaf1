"""Issue 18: display filters on the generated fields select the expected frames."""

from __future__ import annotations

import subprocess

from ws_helpers import ROOT, cli, tshark


def test_filter_on_table_field(runs):
    """Issue 18: a table field filter (``osgp.et11.num_devices``) selects the ET11 response."""
    assert runs.frames("session.pcap", "osgp.et11.num_devices == 5") == [4]
    assert runs.frames("session.pcap", "osgp.et11.num_devices == 6") == []
    assert runs.frames("session.pcap",
                       "osgp.bt23.register_data.totals.fwd_active_wh == 1234567") == [16]


def test_filter_on_enum_value_string(runs):
    """Issue 18: an enum field matches by its value string as by its number."""
    by_label = runs.frames("session.pcap",
                           'osgp.et50.mep_inbound_config.mep_id.device_class == "OSGP"')
    by_value = runs.frames("session.pcap", "osgp.et50.mep_inbound_config.mep_id.device_class == 5")
    assert by_label == by_value == [9]


def test_filter_on_expert_info(runs):
    """Issue 18: the 0x0C answer carries the invalid-sequence expert info."""
    assert runs.frames("session.pcap", "osgp.invalid_sequence") == [2]
    assert runs.frames("session.pcap", "osgp.response_code == 0x0c") == [2]


def test_request_response_links(runs):
    """Issue 18: requests link to their responses and back (pairing by conversation state)."""
    assert runs.frames("session.pcap", "osgp.response_in == 4") == [3]
    assert runs.frames("session.pcap", "osgp.request_in == 3") == [4]


def test_frame_split_across_packets_is_reassembled(runs):
    """Issue 18: the BT23 response, cut into two packets, is decoded in the packet that ends
    it, and the first packet shows a fragment."""
    assert runs.frames("session.pcap", "osgp.fragment") == [15, 18, 25]
    assert 16 in runs.frames("session.pcap", "osgp.tables")


def test_optical_password_masked_unless_preference(runs):
    """Issue 18: the security service's password is masked unless the preference says so."""
    name = "optical/session.hex"
    masked = runs.tshark(name, "-Y", "c1218.password", "-T", "fields", "-e", "c1218.password")
    assert masked.stdout.split() == ["*" * 20]
    shown = runs.tshark(name, "-o", "c1218.show_passwords:TRUE", "-Y", "c1218.password",
                        "-T", "fields", "-e", "c1218.password")
    assert shown.stdout.strip() and "*" not in shown.stdout


def test_optical_crc_error_expert(runs, tmp_path):
    """Issue 18: a damaged optical CRC gets the bad-CRC expert info, the others none."""
    assert runs.frames("optical/session.hex", "c1218.crc_bad") == []
    lines = (ROOT / "tests" / "data" / "optical" / "session.hex").read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if line.split()[2:3] == ["ee"])
    parts = lines[i].split()
    parts[-1] = f"{int(parts[-1], 16) ^ 0xFF:02x}"
    lines[i] = " ".join(parts)
    damaged = tmp_path / "damaged.hex"
    damaged.write_text("\n".join(lines) + "\n")
    pcap = tmp_path / "damaged.pcap"
    cli("decode", str(damaged), "-O", "pcap", str(pcap), "-q")
    res = subprocess.run([tshark(), "-n", "-X", f"lua_script:{runs.plugin}", "-r", str(pcap),
                          "-Y", "c1218.crc_bad", "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True)
    assert res.stdout.split() == ["2"]


def test_defaults_used_expert(runs, tmp_path):
    """Issue 18: a BT23 read with no BT21/BT00 read before it is laid out with the spec's
    defaults, and says so (``osgp.defaults_used``)."""
    from ws_helpers import SESSION

    from osgpdissect.captures import CaptureOptions, open_capture
    from osgpdissect.captures.pcap import write_pcap

    session = list(open_capture(str(SESSION), options=CaptureOptions()))
    alone = tmp_path / "bt23-alone.pcap"
    write_pcap(session[13:16], str(alone))  # the BT23 request and its two-packet response
    res = subprocess.run([tshark(), "-n", "-X", f"lua_script:{runs.plugin}", "-r", str(alone),
                          "-2", "-Y", "osgp.defaults_used", "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True)
    assert res.stdout.split() == ["3"]


def test_cut_frame_is_malformed_and_the_stream_resyncs(runs, tmp_path):
    """Issue 18: the BT23 response without its second packet is reported malformed
    (truncated) when the client talks next, and the following exchanges still decode."""
    from ws_helpers import SESSION

    from osgpdissect.captures import CaptureOptions, open_capture
    from osgpdissect.captures.pcap import write_pcap

    session = list(open_capture(str(SESSION), options=CaptureOptions()))
    cut = tmp_path / "cut.pcap"
    write_pcap(session[:15] + session[16:], str(cut))  # drop the response's second packet
    cmd = [tshark(), "-n", "-X", f"lua_script:{runs.plugin}", "-r", str(cut), "-2",
           "-T", "fields", "-e", "frame.number", "-Y"]
    malformed = subprocess.run([*cmd, "osgp.malformed"], capture_output=True, text=True,
                               check=True).stdout.split()
    bt28 = subprocess.run([*cmd, "osgp.bt28.fwd_active_w"], capture_output=True, text=True,
                          check=True).stdout.split()
    assert malformed == ["16"]  # the BT28 request's packet, which ends the cut response
    assert bt28 == ["18"]
