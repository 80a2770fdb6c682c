"""Unfenced C# listings in plain text (PDF pages, .txt notes), and the one list of code fonts
that PDF and Word reading share."""
from __future__ import annotations

import re
from typing import Sequence

from gh_ft.csharp.lexer import mask_non_code, matching_brace

MONOSPACE_FONT = re.compile(
    r"consol|courier|menlo|monaco|lucida ?console|typewriter|cascadia|source ?code|fira ?(?:code|mono)"
    r"|jetbrains|inconsolata|sans ?mono|mono(?:space|\b|\d|-|_)|andale|\bhack\b|cmtt|lmmono|fixedsys",
    re.IGNORECASE)

_MODIFIERS = (r"(?:(?:public|internal|private|protected|static|sealed|abstract|partial|unsafe|readonly|new"
              r"|override|virtual|async|extern)\s+)")
_NAME = r"[A-Za-z_]\w*"
_TYPE = r"[A-Za-z_][\w.]*(?:<[\w.,\s<>\[\]?]*>)?(?:\[[,\s]*\])*\??"
# A line that can open a listing: using, namespace, attribute, doc comment, type or member declaration.
LISTING_START = re.compile(
    r"^(?:using\s+(?:static\s+)?[A-Za-z_][\w.]*(?:\s*=\s*[\w.<>,\s]+)?\s*;"
    rf"|namespace\s+{_NAME}(?:\.{_NAME})*\s*[{{;]?$"
    r"|\[\s*(?:assembly\s*:\s*)?[A-Z][\w.]*(?:\s*\(.*\))?\s*\]$"
    r"|///"
    rf"|{_MODIFIERS}*(?:class|struct|interface|enum|record)\s+{_NAME}(?:\s*<[^>]*>)?\s*(?:(?::|where\b).*)?\{{?$"
    rf"|(?:public|internal|private|protected)\s+{_MODIFIERS}*"
    rf"(?:{_TYPE}\s+{_NAME}\s*(?:<[^>]*>\s*)?(?:\(.*|=>.*|\{{.*)?|{_NAME}\s*\(.*)$)")
# Lines that may sit between a listing's first line and its first '{' (masked text).
_PREAMBLE_LINE = re.compile(r"^(?::|,|where\b|#|\[)|[;,()]$|=>$")
_MAX_PREAMBLE = 40


def _prose_like(line: str) -> bool:
    """A sentence, not code: enough words and none of C#'s punctuation."""
    if line.startswith(("//", "/*", "*", "#")) or re.search(r"[;{}()=\"<>\[\]]", line):
        return False
    return len(re.findall(r"[A-Za-z]{2,}", line)) >= 5


def _cut_at_prose(lines: Sequence[str], start: int, end: int) -> int:
    """`end`, or earlier: before the first run of 3 sentence-like lines (a brace gone astray)."""
    run, last_code = 0, start
    for i in range(start, end):
        if _prose_like(lines[i]):
            run += 1
            if run == 3:
                return last_code + 1
        elif lines[i]:
            run, last_code = 0, i
    return end


def _block_end(lines: Sequence[str], start: int, brace_row: int) -> int:
    """End of the listing whose first '{' is on line start+brace_row: the line that closes
    it, or the line before a run of prose if that comes first (a brace gone astray)."""
    window = 200
    while True:  # windows grow geometrically: linear in the listing's length
        stop = min(len(lines), start + window)
        cut = _cut_at_prose(lines, start, stop)
        last_window = cut < stop or stop == len(lines)
        if cut <= start + brace_row:
            return cut
        masked = mask_non_code("\n".join(lines[start:cut]))
        rows = masked.split("\n")
        close = matching_brace(masked, sum(len(r) + 1 for r in rows[:brace_row]) + rows[brace_row].index("{"))
        if close >= 0:
            return start + masked.count("\n", 0, close) + 1
        if last_window:
            return cut
        window *= 4


def _listing_end(lines: Sequence[str], start: int) -> int:
    """Exclusive end of a listing opening at `start` (stripped lines), or `start` if none does."""
    head = mask_non_code("\n".join(lines[start:start + _MAX_PREAMBLE])).split("\n")
    last = start
    for k, row in enumerate(head):
        row = row.strip()
        if "{" in row:
            return _block_end(lines, start, k)
        if row and not (LISTING_START.match(lines[start + k]) or _PREAMBLE_LINE.search(row)):
            break
        if row:
            last = start + k
    # No block: a list of using directives or a one-line member, if it ends a statement.
    return last + 1 if ";" in "".join(head[:last - start + 1]) else start


def find_listings(lines: Sequence[str]) -> list[tuple[int, int]]:
    """[start, end) line ranges of C# listings in unfenced text; indentation is not needed."""
    stripped = [ln.strip() for ln in lines]
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(stripped):
        end = _listing_end(stripped, i) if LISTING_START.match(stripped[i]) else i
        if end <= i:
            i += 1
            continue
        start, floor = i, (found[-1][1] if found else 0)
        while start > floor and stripped[start - 1].startswith("//"):
            start -= 1  # a comment heading the listing (often the file name)
        if found and not any(stripped[found[-1][1]:start]):
            found[-1] = (found[-1][0], end)  # only blank lines between: one listing
        else:
            found.append((start, end))
        i = end
    return found
