"""One error base class for the whole toolkit, and spec errors that point at a source line."""

from __future__ import annotations

from dataclasses import dataclass


class OsgpError(Exception):
    """Base of every error osgpdissect raises on purpose; the CLI prints these as one line."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem in a spec file: ``file:line:col: message`` plus the offending line."""

    file: str
    line: int
    col: int
    message: str
    snippet: str = ""

    def render(self) -> str:
        head = f"{self.file}:{self.line}:{self.col}: {self.message}" if self.line else f"{self.file}: {self.message}"
        if not self.snippet:
            return head
        caret = " " * max(self.col - 1, 0) + "^"
        return f"{head}\n    {self.snippet}\n    {caret}"


class SpecError(OsgpError):
    """The spec does not parse or does not validate; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.render() for d in diagnostics))


class DecodeError(OsgpError):
    """Bytes could not be decoded against a layout."""
