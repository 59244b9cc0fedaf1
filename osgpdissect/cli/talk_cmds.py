"""``osgpdissect read`` (ask a meter), ``simulate`` (be one) and ``twin`` (an image of a
captured meter).  Keys come from ``--keys FILE`` or the environment (``OSGP_MAK``, ``OSGP_MBK``,
``OSGP_RC4_KEY``), the optical password from ``--password-file`` or ``OSGP_PASSWORD``: never
from the command line."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from osgpdissect.errors import OsgpError


class UsageError(OsgpError):
    """A wrong option or input (exit status 2)."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser("read", help="read tables from a meter (MEP or optical port)",
                       description="Read tables from a meter on a serial port (or any pyserial "
                       "URL: socket://HOST:PORT, rfc2217://...) and print them decoded.")
    p.add_argument("tables", nargs="+", metavar="TABLE", help="ET11, BT23, ...")
    p.add_argument("--port", required=True, help="serial device or pyserial URL")
    p.add_argument("--optical", action="store_true", help="the optical port (ANSI C12.18)")
    p.add_argument("--keys", help="TOML key file (mak/mbk/rc4_key); else OSGP_MAK/OSGP_MBK")
    p.add_argument("--key", choices=("MAK", "MBK"), default="MAK", help="key to sign with")
    p.add_argument("--encrypt", action="store_true", help="RC4-encrypt the exchanges")
    p.add_argument("--seq", type=lambda s: int(s, 0), default=1,
                   help="first sequence number (the meter's is learned from a 0x0C reply)")
    p.add_argument("--password-file", help="file holding the optical password "
                   "(else OSGP_PASSWORD)")
    p.add_argument("--offset", type=lambda s: int(s, 0), help="partial read: first byte")
    p.add_argument("--count", type=lambda s: int(s, 0), help="partial read: byte count")
    p.add_argument("--baud", type=int, default=9600)
    p.add_argument("--timeout", type=float, default=2.0, help="answer timeout (seconds)")
    p.add_argument("--profile", help="meter profile for table layouts (gen3, gen4)")
    p.add_argument("--output", "-O", nargs="+", default=["text"], metavar="FORMAT",
                   help="text (default), json (JSON lines), and/or 'pcap FILE' (the exchange)")
    p.set_defaults(run=run_read)

    p = sub.add_parser("simulate", help="serve a simulated meter on a pty or TCP",
                       description="Serve a meter image on a pseudo-terminal (default; its path "
                       "is printed) or TCP, until Ctrl-C.")
    p.add_argument("--image", required=True, help="meter image (TOML or JSON)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="serve on a new pseudo-terminal")
    where.add_argument("--tcp", metavar="HOST:PORT", help="serve on TCP (socket:// clients)")
    p.add_argument("--optical", action="store_true", help="serve the optical port only")
    p.add_argument("--protocol", choices=("mep", "optical", "both"), default=None,
                   help="what the line carries (both: MEP and optical on one UART)")
    p.add_argument("--keys", help="TOML key file merged over the image's [keys]")
    p.add_argument("--seq", type=lambda s: int(s, 0), help="the meter's sequence number")
    p.add_argument("--drop-rate", type=float, default=0.0, help="share of answers lost")
    p.add_argument("--noise-rate", type=float, default=0.0, help="share of answers damaged")
    p.add_argument("--delay", type=float, default=0.0, help="pause before each answer (s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the fault choices")
    p.add_argument("--force", action="append", default=[], metavar="N=CODE",
                   help="answer request N with 0x0B or 0x0C (e.g. 3=0x0C)")
    p.set_defaults(run=run_simulate)

    p = sub.add_parser("twin", help="build a meter image from a capture",
                       description="Build a meter image holding every table window a MEP "
                       "capture read, to serve with `osgpdissect simulate`.")
    p.add_argument("capture", nargs="+", help="capture file(s), as for decode")
    p.add_argument("--output", "-o", required=True, help="image file to write (TOML)")
    p.add_argument("--keys", help="TOML key file (to read encrypted exchanges)")
    p.add_argument("--profile", help="meter profile (default: as the capture shows)")
    p.set_defaults(run=run_twin)


# ---------------------------------------------------------------------- shared
def key_ring(path: str | None) -> Any:
    from osgpdissect.security.keys import KeyRing

    ring = KeyRing.from_env(os.environ)
    if path:
        ring = ring.merge(KeyRing.from_toml(path))
    return ring


def _password(args: argparse.Namespace) -> bytes:
    if args.password_file:
        try:
            with open(args.password_file, "rb") as fh:
                return fh.read(256).rstrip(b"\r\n")
        except OSError as exc:
            raise UsageError(f"password file: cannot read it ({exc.strerror})") from None
    return os.environ.get("OSGP_PASSWORD", "").encode("latin-1")


def _outputs(items: list[str]) -> tuple[set[str], str | None]:
    kinds, pcap, it = set(), None, iter(items)
    for item in it:
        if item == "pcap":
            pcap = next(it, None)
            if pcap is None:
                raise UsageError("-O pcap needs a file name")
        elif item in ("text", "json"):
            kinds.add(item)
        else:
            raise UsageError(f"unknown output {item!r} (text, json, pcap FILE)")
    return kinds or ({"text"} if pcap is None else set()), pcap


# ---------------------------------------------------------------------- read
def run_read(args: argparse.Namespace) -> int:
    import serial

    from osgpdissect.c1218.tables import TableContext

    kinds, pcap = _outputs(args.output)
    if (args.offset is None) != (args.count is None):
        raise UsageError("--offset and --count go together (a partial read)")
    context = TableContext(profile=args.profile)
    try:
        client = _client(args, context)
    except serial.SerialException as exc:
        raise UsageError(f"cannot open {args.port}: {exc}") from None
    status = 0
    try:
        for table in args.tables:
            try:
                decoding = client.read(table, args.offset, args.count)
            except OsgpError as exc:
                sys.stderr.write(f"osgpdissect read: {table}: {exc}\n")
                status = 1
                continue
            _print(decoding, kinds)
        if args.optical:
            client.stop()
    finally:
        client.close()
        if pcap is not None:
            from osgpdissect.captures import write_pcap

            write_pcap(client.runs, pcap)
    return status


def _client(args: argparse.Namespace, context: Any) -> Any:
    if args.optical:
        from osgpdissect.talk.c1218_socket import C1218Socket

        client = C1218Socket(args.port, _password(args), baud=args.baud, timeout=args.timeout,
                             context=context)
        client.start()
        return client
    from osgpdissect.talk.mep_socket import MEPSocket

    ring = key_ring(args.keys)
    if ring.empty:
        raise UsageError("no key: give --keys FILE or set OSGP_MAK / OSGP_MBK")
    return MEPSocket(args.port, ring, key=args.key, seq=args.seq, encrypt=args.encrypt,
                     baud=args.baud, timeout=args.timeout, context=context)


def _print(decoding: Any, kinds: set[str]) -> None:
    from osgpdissect import jsontext
    from osgpdissect.c1218.render import table_lines

    if "json" in kinds:
        print(jsontext.dumps(decoding.to_json()))
    if "text" in kinds:
        print(f"{decoding.label} @{decoding.offset} ({len(decoding.data)} bytes)")
        for line in table_lines(decoding, depth=0):
            print(line)
    sys.stdout.flush()


# ---------------------------------------------------------------------- simulate
def run_simulate(args: argparse.Namespace) -> int:
    import signal
    import threading

    from osgpdissect.sim.image import MeterImage
    from osgpdissect.sim.mep_server import MEPServer
    from osgpdissect.sim.optical_server import OpticalServer
    from osgpdissect.sim.serve import Faults, Simulator

    image = MeterImage.load(args.image)
    if args.keys:
        image.keys = image.keys.merge(key_ring(args.keys))
    for name in ("drop_rate", "noise_rate"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            raise UsageError(f"--{name.replace('_', '-')} must be between 0 and 1")
    protocol = args.protocol or ("optical" if args.optical else "mep")
    if args.optical and protocol != "optical":
        raise UsageError("--optical and --protocol disagree")
    optical = OpticalServer(image) if protocol in ("optical", "both") else None
    if protocol == "optical":
        server: Any = optical
    else:
        if image.keys.empty:
            raise UsageError("the image has no [keys] and no --keys was given")
        server = MEPServer(image, args.seq, force=_forced(args.force))
    faults = Faults(args.drop_rate, args.noise_rate, args.delay, args.seed)
    sim = Simulator(server, faults=faults, optical=optical if protocol == "both" else None)
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        try:
            path = sim.open_tcp(host or "127.0.0.1", int(port))
        except (ValueError, OSError) as exc:
            raise UsageError(f"--tcp {args.tcp}: {exc}") from None
    else:
        path = sim.open_pty()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in background
    signal.signal(signal.SIGTERM, _interrupt)
    what = {"mep": "MEP", "optical": "optical", "both": "MEP and optical"}[protocol]
    print(f"serving {what} on {path}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    log = getattr(server, "log", None)
    if log is not None:
        print(f"requests {log.requests}, resends {log.resends}, authentication failures "
              f"{log.auth_failures}, sequence errors {log.seq_errors}, encrypted "
              f"{log.encrypted}, answers dropped {faults.dropped}, damaged {faults.damaged}")
    return 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _forced(items: list[str]) -> dict[int, int]:
    out = {}
    for item in items:
        n, _, code = item.partition("=")
        try:
            value = int(code, 0)
            out[int(n)] = value
        except ValueError:
            raise UsageError(f"--force {item!r}: expected N=0x0B or N=0x0C") from None
        if value not in (0x0B, 0x0C):
            raise UsageError(f"--force {item!r}: only 0x0B and 0x0C can be forced")
    return out


# ---------------------------------------------------------------------- twin
def run_twin(args: argparse.Namespace) -> int:
    from osgpdissect.captures import CaptureError, open_capture
    from osgpdissect.security import Security
    from osgpdissect.sim.twin import twin_image

    ring = key_ring(args.keys)
    security = None if ring.empty else Security(ring)
    try:
        image, last_seq = twin_image(open_capture(args.capture), security, args.profile)
    except CaptureError as exc:
        raise UsageError(str(exc)) from None
    if not image.tables:
        raise UsageError("the capture shows no table read: nothing to build an image from")
    image.seq = last_seq
    try:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(image.to_toml())
    except OSError as exc:
        raise UsageError(f"{args.output}: cannot write ({exc.strerror})") from None
    print(f"{args.output}: {len(image.tables)} tables ({', '.join(image.tables)})")
    return 0
