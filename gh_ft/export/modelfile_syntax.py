"""Ollama's Modelfile and Go-template syntax: reading a Modelfile as Ollama does, and
writing values and template text so that it reads back exactly what was meant.

Ollama's Modelfile parser (parser/parser.go) has no escapes: a value is bare (one line),
"quoted" or \"\"\"triple-quoted\"\"\" (either ends at the first line end that follows a closing
quote), and characters that are not printable are dropped. `modelfile_quote` tries the forms
and keeps the first that `parse_modelfile` (a port of that parser) reads back unchanged, or
raises. Literal text inside a Go template can say anything through string actions
(`{{ "\\"" }}`), so `go_template_text` routes what the Modelfile cannot carry (and "{{")
through them.
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
from pathlib import Path
from typing import Any

import jinja2


class ModelfileError(GhFtError, ValueError):
    pass


# ---- Go templates --------------------------------------------------------------------------------

def go_string(text: str) -> str:
    """A Go interpreted string literal for `text` (printable characters kept as they are)."""
    out = ['"']
    for ch in text:
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == " " or ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out) + '"'


def go_template_text(literal: str) -> str:
    """Go-template source that renders exactly `literal`, and that a triple-quoted Modelfile
    value can carry: braces that would open an action, every third quote of a run, and
    characters Ollama's Modelfile parser drops go through string actions."""
    out: list[str] = []
    quotes = 0
    for i, ch in enumerate(literal):
        nxt = literal[i + 1] if i + 1 < len(literal) else ""
        # "{" before "{" opens an action; a final "{" would join the action that follows.
        unsafe = ((ch == "{" and nxt in ("{", "")) or (ch == '"' and quotes == 2)
                  or (ch not in "\n\t" and ch != " " and not ch.isprintable()))
        if unsafe:
            out.append("{{ " + go_string(ch) + " }}")
            quotes = 0
        else:
            out.append(ch)
            quotes = quotes + 1 if ch == '"' else 0
    return "".join(out)


# ---- Ollama's Modelfile syntax ------------------------------------------------------------

COMMANDS = ("from", "license", "template", "system", "adapter", "draft", "renderer", "parser", "parameter",
            "message", "requires")


def _go_isprint(ch: str) -> bool:
    # Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space;
    # Python's isprintable draws the same line (not "Other", not "Separator").
    return ch == " " or ch.isprintable()


def _unquote(s: str) -> tuple[str, bool]:
    if s[:3] == '"""':
        return (s[3:-3], True) if len(s) >= 6 and s[-3:] == '"""' else ("", False)
    if s[:1] == '"':
        return (s[1:-1], True) if len(s) >= 2 and s[-1] == '"' else ("", False)
    return s, True


def parse_modelfile(text: str) -> list[tuple[str, str]]:
    """(command, value) pairs as Ollama's parser reads them: FROM is "model", a PARAMETER is
    its own name. Raises ModelfileError where Ollama would refuse the file."""
    commands: list[tuple[str, str]] = []
    state, buf, name, line = "nil", [], "", 1
    strip = " \t\r\n"
    for ch in text.removeprefix("\ufeff"):
        if ch in "\r\n":
            line += 1
        emit: str | None = ch
        if state == "nil":
            nxt, emit = ("comment", None) if ch == "#" else ("nil", None) if ch in " \t\r\n" else ("name", ch)
        elif state == "name":
            if ch.isascii() and ch.isalpha():
                nxt = "name"
            elif ch in " \t":
                nxt, emit = "value", None
            else:
                raise ModelfileError(f"line {line}: a command must be one of {', '.join(COMMANDS)}")
        elif state == "param":
            if (ch.isascii() and ch.isalnum()) or ch == "_":
                nxt = "param"
            elif ch in " \t":
                nxt, emit = "value", None
            else:
                raise ModelfileError(f"line {line}: bad PARAMETER name")
        elif state == "comment":
            nxt, emit = ("nil" if ch in "\r\n" else "comment"), None
        else:  # value
            nxt = "nil" if ch in " \t\r\n" else "value"
        if nxt != state:
            word = "".join(buf)
            if state == "name":
                lowered = word.lower()
                if lowered not in COMMANDS:
                    raise ModelfileError(f"line {line}: unknown command {word!r}")
                if lowered == "message":
                    raise ModelfileError(f"line {line}: MESSAGE is not used by gh-ft Modelfiles")
                if lowered == "parameter":
                    nxt = "param"
                else:
                    name = "model" if lowered == "from" else lowered
            elif state == "param":
                name = word
            elif state == "value":
                value, ok = _unquote(word.strip(strip))
                if not ok or ch in " \t":
                    buf.append(ch)
                    continue
                commands.append((name, value))
            buf, state = [], nxt
        if emit is not None and _go_isprint(emit):
            buf.append(emit)
    if state == "value":
        value, ok = _unquote("".join(buf).strip(strip))
        if not ok:
            raise ModelfileError("unexpected end of file inside a quoted value")
        commands.append((name, value))
    elif state not in ("nil", "comment"):
        raise ModelfileError("unexpected end of file after a command name")
    if not any(c == "model" for c, _ in commands):
        raise ModelfileError("no FROM line")
    return commands


def modelfile_quote(value: Any) -> str:
    """`value` written so that Ollama's parser reads back exactly str(value); raises
    ModelfileError when no form can carry it (e.g. a character Ollama drops)."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises here, naming the missing value
    if isinstance(value, bool) or value is None or not isinstance(value, (str, int, float, Path)):
        raise ModelfileError(f"cannot write {value!r} into a Modelfile")
    text = str(value)
    # Bare where nothing needs quoting, else one-line quotes, triple quotes for several lines;
    # each candidate is parsed back and the first exact one wins.
    forms = [text] if text and not any(c in text for c in ' \t\r\n"') else []
    multiline = "\n" in text or "\r" in text
    forms += [f'"""{text}"""', f'"{text}"'] if multiline else [f'"{text}"', f'"""{text}"""']
    for form in forms:
        try:
            if parse_modelfile(f"FROM {form}\n") == [("model", text)]:
                return form
        except ModelfileError:
            continue
    dropped = sorted({repr(c) for c in text if not (_go_isprint(c) or c in "\t\r\n")})
    why = (f"Ollama's parser drops the characters {', '.join(dropped)}" if dropped
           else "it holds three quotes before a line end")
    raise ModelfileError(f"{text[:60]!r} cannot be written as one Modelfile value: {why}")
