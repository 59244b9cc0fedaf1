"""The lark parser (built once; its tables cached on disk) and lark errors as diagnostics."""

from __future__ import annotations

import io
import sys
from functools import cache

import lark
from lark import Lark, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from osgpdissect.errors import Diagnostic, SpecError
from osgpdissect.lang import cache as spec_cache
from osgpdissect.resources import grammar_path

_OPTIONS = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": False,
            "start": ["start", "expr"]}


@cache
def _parser() -> Lark:
    return build_parser()


def build_parser() -> Lark:
    """The LALR parser; its tables come from the per-user cache when the grammar is unchanged."""
    grammar = grammar_path().read_text(encoding="utf-8")
    key = spec_cache.digest([("grammar", grammar.encode()), ("options", repr(_OPTIONS).encode()),
                             ("lark", lark.__version__.encode()),
                             ("python", f"{sys.version_info[:2]}".encode())])
    blob = spec_cache.read("parser", key)
    if blob is not None:
        try:
            return Lark.load(io.BytesIO(blob))
        except Exception:  # corrupt or from another lark: build it afresh
            pass
    parser = Lark(grammar, **_OPTIONS)
    if spec_cache.cache_dir() is not None:
        buf = io.BytesIO()
        try:
            parser.save(buf)
        except Exception:  # not worth failing a parse over
            return parser
        spec_cache.write("parser", key, buf.getvalue())
    return parser


def _line(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _expected(exc: UnexpectedInput) -> str:
    names = sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or [])
    shown = ", ".join(n.lower() for n in names[:8])
    return f" (expected one of: {shown}{', ...' if len(names) > 8 else ''})" if names else ""


def parse_tree(text: str, filename: str, start: str = "start") -> Tree:
    """Parse spec text; raise :class:`SpecError` with ``file:line:col`` on a syntax error."""
    try:
        tree = _parser().parse(text, start=start)
    except UnexpectedCharacters as exc:
        msg = f"unexpected character {text[exc.pos_in_stream]!r}{_expected(exc)}"
        raise SpecError([Diagnostic(filename, exc.line, exc.column, msg, _line(text, exc.line))]) from None
    except UnexpectedToken as exc:
        tok = exc.token
        what = "end of file" if tok.type == "$END" else f"{tok.value!r}"
        line, col = (tok.line or 0), (tok.column or 0)
        msg = f"unexpected {what}{_expected(exc)}"
        raise SpecError([Diagnostic(filename, line, col, msg, _line(text, line))]) from None
    except UnexpectedEOF as exc:
        last = text.rstrip().count("\n") + 1
        raise SpecError([Diagnostic(filename, last, 1, f"unexpected end of file{_expected(exc)}")]) from None
    _check_depth(tree, text, filename)
    return tree


MAX_DEPTH = 100  # nesting of the parse tree: deeper expressions would overflow the recursion of
# the later stages (transform, binder, the codec's emitted Python source)


def _check_depth(tree: Tree, text: str, filename: str) -> None:
    """Refuse a tree nested deeper than ``MAX_DEPTH`` (walked without recursion)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            line = getattr(node.meta, "line", 0) if not node.meta.empty else 0
            col = getattr(node.meta, "column", 0) if line else 0
            msg = f"nested more than {MAX_DEPTH} levels deep (split the expression)"
            snippet = _line(text, line) if line else ""
            raise SpecError([Diagnostic(filename, line, col, msg, snippet)])
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
