"""MEP security layer: OSGP digest, MEP keys, per-exchange RC4 and TLS tracking.

The dissector's entry point is :class:`Security` (see :mod:`.api`).
"""

from .api import DigestCheck, OpenedExchange, Security
from .digest import Digest, digest
from .keys import KeyMaterialError, KeyRing, PskEntry
from .tls import TlsTracker

__all__ = [
    "Digest",
    "DigestCheck",
    "KeyMaterialError",
    "KeyRing",
    "OpenedExchange",
    "PskEntry",
    "Security",
    "TlsTracker",
    "digest",
]
