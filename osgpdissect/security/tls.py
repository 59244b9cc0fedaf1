"""Placeholder; replaced below."""


class TlsTracker:
    def __init__(self, keys):
        self.keys = keys
