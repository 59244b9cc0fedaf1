"""What both clients' scapy sockets share: a pyserial line, closed once, usable in ``with``."""

from __future__ import annotations

from typing import Any

from scapy.supersocket import SuperSocket


class SerialSuperSocket(SuperSocket):
    """A scapy ``SuperSocket`` over ``self.ser`` (a pyserial port the subclass opens)."""

    ser: Any
    closed: bool

    @staticmethod
    def select(sockets: list[SuperSocket], remain: float | None = None) -> list[SuperSocket]:
        return sockets  # a request/answer line: always ready for the next exchange

    def fileno(self) -> int:
        return self.ser.fileno()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.ser.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
