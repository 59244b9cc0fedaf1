"""MEP security layer: OSGP digest, MEP keys, per-exchange RC4 and TLS tracking.

Entry point for the dissector::

    sec = Security(KeyRing.from_toml(path).merge(KeyRing.from_env(os.environ)))
    opened = sec.open_rc4_exchange(req_body, req_digest, resp_body, resp_digest)
    tracker = sec.tls_tracker()
    for event in tracker.feed("C->S", code, records):
        ...  # TlsInfo / TlsError (event.text) or AppData (event.plaintext: C12.18)

Modules: :mod:`.digest` (keyed digest), :mod:`.keys` (KeyRing), :mod:`.rc4` (per-exchange
encryption and an encoder), :mod:`.api` (RC4-mode checks), :mod:`.tls` / :mod:`.tlsrec`
(TLS-mode tracking and TLS 1.2 parsing).
"""

from .api import DigestCheck, OpenedExchange, Security
from .digest import Digest, digest
from .keys import KeyMaterialError, KeyRing, PskEntry
from .tls import AppData, TlsError, TlsEvent, TlsInfo, TlsTracker

__all__ = [
    "AppData",
    "Digest",
    "DigestCheck",
    "KeyMaterialError",
    "KeyRing",
    "OpenedExchange",
    "PskEntry",
    "Security",
    "TlsError",
    "TlsEvent",
    "TlsInfo",
    "TlsTracker",
    "digest",
]
