"""MEP TLS-mode tracking (work in progress: the full tracker follows)."""

from __future__ import annotations

from .keys import KeyRing


class TlsTracker:
    """Tracks one MEP port's TLS session."""

    def __init__(self, keys: KeyRing | None = None) -> None:
        self.keys = keys if keys is not None else KeyRing()
