"""A small C# lexer: enough to tell code from strings, chars and comments.

Used where a full parse is not needed or not trustworthy: hashing/normalising code
for duplicate detection, and the brace-matching fallback when tree-sitter reports
errors inside a class. Strings (regular, verbatim, interpolated, raw), char literals
and comments are single tokens, so braces inside them never count.
"""
from __future__ import annotations

import re
from typing import Iterator, NamedTuple

# Order matters: raw strings before regular ones, verbatim/interpolated prefixes
# before identifiers, comments before the '/' operator.
_TOKEN_RE = re.compile(
    r"""
    (?P<preproc>^[ \t]*\#[^\n]*)
  | (?P<ws>[^\S\n]+|\n)
  | (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>
        \$*(?P<rawq>\"{3,})(?:.*?(?P=rawq)|.*)          # raw string (C# 11), $ prefixes allowed; unclosed: to the end
      | (?:\$@|@\$|@)"(?:[^"]|"")*(?:"|\Z)             # verbatim / interpolated verbatim
      | \$"(?:[^"\\\n{]|\\.|\{\{|\{(?:[^{}"]|"(?:[^"\\\n]|\\.)*"|\{[^{}]*\})*\})*(?:"|$)  # interpolated
      | "(?:[^"\\\n]|\\.)*(?:"|$)                      # regular
    )
  | (?P<char>'(?:[^'\\\n]|\\.[^'\n]*)')
  | (?P<ident>@?[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)
  | (?P<number>(?:0[xXbB][0-9A-Fa-f_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)[A-Za-z]*|\.\d[\d_]*(?:[eE][+-]?\d+)?[A-Za-z]*)
  | (?P<op>\?\?=|<<=|>>=|=>|==|!=|<=|>=|&&|\|\||\+\+|--|\+=|-=|\*=|/=|%=|&=|\|=|\^=|\?\?|\?\.|::|->|.)
    """,
    re.VERBOSE | re.DOTALL | re.MULTILINE,
)


class Token(NamedTuple):
    kind: str  # ws, comment, string, char, preproc, ident, number, op
    text: str
    start: int


def tokenize(code: str) -> Iterator[Token]:
    """Yield every token, whitespace and comments included; never raises."""
    for m in _TOKEN_RE.finditer(code):
        kind = m.lastgroup
        if kind == "rawq":  # named sub-group of a raw string
            kind = "string"
        yield Token(kind, m.group(), m.start())


def raw_tokens(code: str) -> Iterator[tuple[str, str]]:
    """(kind, text) pairs: `tokenize` without the per-token objects, for hot loops."""
    for m in _TOKEN_RE.finditer(code):
        kind = m.lastgroup
        yield ("string" if kind == "rawq" else kind), m.group()


def code_tokens(code: str) -> list[Token]:
    """Tokens without whitespace, comments and preprocessor lines (#region etc.)."""
    return [t for t in tokenize(code) if t.kind not in ("ws", "comment", "preproc")]


def mask_non_code(code: str) -> str:
    """Same length as `code`; string, char and comment contents become spaces
    (newlines kept), so offsets and line numbers still match the original."""
    out: list[str] = []
    for tok in tokenize(code):
        if tok.kind in ("string", "char", "comment", "preproc"):
            out.append(re.sub(r"[^\n]", " ", tok.text))
        else:
            out.append(tok.text)
    return "".join(out)


def matching_brace(masked: str, open_index: int) -> int:
    """Index of the '}' closing the '{' at open_index in masked text, or -1."""
    depth = 0
    for i in range(open_index, len(masked)):
        c = masked[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1
