"""PDF → DocumentContent: pdfium text, code indentation restored from glyph positions.

pdfium runs in a child process (this file run as a script, stdlib + pypdfium2 only)
so a broken or hostile PDF can at worst crash or stall the child: the caller gets a
DocumentError, never a segfault or a hang. The child sends back one record per text
line; running headers, paragraphs, headings and code listings are worked out here.

pdfium's plain text collapses runs of spaces, so leading (and, in monospace lines,
inner) spaces are rebuilt from each glyph's x origin and the font's advance width.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass

from gh_ft.collect.listings import MONOSPACE_FONT, find_listings  # stdlib only: the pdfium child uses it too

if __name__ != "__main__":  # the pdfium child needs none of this
    from gh_ft.collect.documents import (CodeBlock, DocumentContent, DocumentError, Part, assemble,
                                         clean_code, parses_as_csharp)

_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " "})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ud800-\udfff\uffff]")

# ---------------------------------------------------------------- child: pdfium → line records


def _page_lines(raw, textpage) -> list[list]:
    """[text, x, y, size, mono, advance, bold] for each text line of one page."""
    import ctypes

    n = textpage.count_chars()
    if n <= 0:
        return []
    handle = textpage.raw
    text = textpage.get_text_range(0, n)
    if len(text) != n:  # keep text index == char index, which the position calls use
        text = "".join(chr(raw.FPDFText_GetUnicode(handle, i)) for i in range(n))
    x, y, flags = ctypes.c_double(), ctypes.c_double(), ctypes.c_int()
    name_buf, box = ctypes.create_string_buffer(256), raw.FS_RECTF()

    def origin(i: int) -> float:
        raw.FPDFText_GetCharOrigin(handle, i, ctypes.byref(x), ctypes.byref(y))
        return x.value

    def font(i: int) -> str:
        raw.FPDFText_GetFontInfo(handle, i, name_buf, len(name_buf), ctypes.byref(flags))
        return name_buf.value.decode("utf-8", "replace").split("+")[-1]  # drop the subset tag

    def monospace(name: str) -> bool:
        return bool(flags.value & 1) or bool(MONOSPACE_FONT.search(name))  # FixedPitch flag or name

    lines = []
    for m in re.finditer(r"[^\r\n]+", text):
        seg = m.group()
        body = seg.strip()
        if not body:
            continue
        first = m.start() + len(seg) - len(seg.lstrip())
        last = m.start() + len(seg.rstrip()) - 1
        x0 = origin(first)
        y0 = y.value
        size = raw.FPDFText_GetFontSize(handle, first)
        name = font(first)
        bold = "bold" in name.lower() or raw.FPDFText_GetFontWeight(handle, first) >= 600
        mono = monospace(name)
        last_name = font(last) if mono and last > first else name
        mono = mono and monospace(last_name)  # a prose line merely starting with inline code is prose
        advance = 0.0
        if mono:
            raw.FPDFText_GetLooseCharBox(handle, first, ctypes.byref(box))
            advance = box.right - box.left if 0 < box.right - box.left < 2 * size else 0.6 * size
            if last_name == name and round((origin(last) - x0) / advance) != last - first:
                body = _columns(text, first, last, x0, advance, origin)  # spaces were collapsed
            body = body.replace("\ufffe", "-")
        else:
            body = body.replace("\ufffe", "")  # pdfium's mark for a word hyphenated at a line end
        body = _CONTROL.sub("", body.translate(_LIGATURES))
        lines.append([body, round(x0, 2), round(y0, 2), round(size, 2), mono, round(advance, 3), bold])
    return lines


def _columns(text: str, first: int, last: int, x0: float, advance: float, origin) -> str:
    """A monospace line rebuilt glyph by glyph at the column its x origin gives."""
    out: list[str] = []
    col = 0
    for i in range(first, last + 1):
        if text[i].isspace():
            continue
        want = round((origin(i) - x0) / advance)
        if want > col:
            out.append(" " * (want - col))
            col = want
        out.append(text[i])
        col += 1
    return "".join(out)


def read_pdf_lines(path: str) -> list[list[list]]:
    """Line records of every page; ValueError (with the reason) if pdfium cannot open it."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as e:
        reason = str(e)
        if "password" in reason.lower():
            raise ValueError("encrypted PDF: it needs a password to open") from None
        raise ValueError(f"not a valid PDF: {reason}") from None
    try:
        pages, broken = [], 0
        for index in range(len(pdf)):
            try:
                page = pdf[index]
                textpage = page.get_textpage()
            except pdfium.PdfiumError:  # one damaged page should not cost the whole book
                pages.append([])
                broken += 1
                continue
            pages.append(_page_lines(raw, textpage))
            textpage.close()
            page.close()
        if pages and broken == len(pages):
            raise ValueError("not a valid PDF: none of its pages can be read")
        return pages
    finally:
        pdf.close()


def _child_main(path: str) -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY:  # a PDF that balloons memory fails alone
            resource.setrlimit(resource.RLIMIT_AS, (min(8 << 30, hard) if hard > 0 else 8 << 30, hard))
    except (ImportError, ValueError, OSError):
        pass
    try:
        result: dict = {"pages": read_pdf_lines(path)}
    except Exception as e:  # noqa: BLE001 - reported to the parent as text
        result = {"error": str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e}"}
    sys.stdout.write(json.dumps(result))


# ---------------------------------------------------------------- parent: reading


def _check_pdf_file(path: str) -> None:
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
            f.seek(max(0, os.fstat(f.fileno()).st_size - 4096))
            tail = f.read()
    except OSError as e:
        raise DocumentError(f"cannot read {path}: {e.strerror or e}") from None
    if b"%PDF-" not in head:
        raise DocumentError(f"not a valid PDF: {path} has no %PDF header")
    if b"%%EOF" not in tail:  # pdfium would silently recover what it can of a cut-off file
        raise DocumentError(f"not a valid PDF: {path} is truncated (no %%EOF marker at its end)")


def _read_isolated(path: str, timeout: float) -> list[list[list]]:
    # -P: gh_ft/collect must not go on sys.path (its code.py and secrets.py would shadow the stdlib)
    command = [sys.executable, "-P", os.path.abspath(__file__), os.path.abspath(path)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise DocumentError(f"{path}: reading the PDF took longer than {timeout:g} s; given up") from None
    except OSError as e:
        raise DocumentError(f"{path}: could not start the PDF reader: {e}") from None
    if done.returncode != 0:
        why = f"signal {-done.returncode}" if done.returncode < 0 else done.stderr.decode(errors="replace")[-300:]
        raise DocumentError(f"not a valid PDF: the PDF reader failed on {path} ({why.strip()})")
    try:
        result = json.loads(done.stdout)
    except ValueError:
        raise DocumentError(f"{path}: the PDF reader returned no usable result") from None
    if "error" in result:
        raise DocumentError(f"{result['error']} ({path})")
    return result["pages"]


def extract_pdf(path: str | os.PathLike, *, timeout: float = 120.0, isolate: bool = True) -> DocumentContent:
    name = os.fspath(path)
    _check_pdf_file(name)
    if isolate:
        records = _read_isolated(name, timeout)
    else:
        try:
            records = read_pdf_lines(name)
        except ValueError as e:
            raise DocumentError(f"{e} ({name})") from None
    if not records:
        raise DocumentError(f"not a valid PDF: {name} has no pages")
    if not any(records):
        raise DocumentError(f"{name}: no extractable text in {len(records)} page(s) (scanned images?)")
    return layout([[_Line(*r, page=p + 1) for r in page] for p, page in enumerate(records)])



# ---------------------------------------------------------------- parent: layout


@dataclass
class _Line:
    text: str
    x: float       # origin of the first glyph
    y: float       # baseline, from the page bottom
    size: float
    mono: bool
    advance: float  # monospace advance width, 0 for other fonts
    bold: bool
    page: int      # 1-based


_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[\[(\u2013\u2014-]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[\])\u2013\u2014-]?(?:\s*(?:/|of)\s*\d{1,4})?$",
    re.IGNORECASE)


def _body_size(pages: list[list[_Line]]) -> float:
    """The most used (by characters) proportional font size: the body text size."""
    sizes: Counter[float] = Counter()
    for line in (ln for page in pages for ln in page if not ln.mono):
        sizes[round(line.size * 2) / 2] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _running_key(text: str) -> str:
    return " ".join(re.sub(r"\d+", "#", text).lower().split())


def _strip_running_lines(pages: list[list[_Line]], body_size: float) -> list[list[_Line]]:
    """Drop page numbers and headers/footers: lines repeated at the top or bottom of pages."""
    def edge(page: list[_Line]) -> set[int]:
        ys = sorted({round(ln.y) for ln in page})
        ends = set(ys[:2] + ys[-2:])
        return {i for i, ln in enumerate(page) if round(ln.y) in ends}

    def may_repeat(line: _Line) -> bool:  # headings and code are never running lines
        return (not line.mono and bool(re.search("[A-Za-z]", line.text))
                and (not body_size or line.size <= body_size * 1.1))

    edges = [edge(page) for page in pages]
    seen: Counter[str] = Counter()
    for page, ends in zip(pages, edges):
        seen.update({_running_key(page[i].text) for i in ends if may_repeat(page[i])})
    need = 2 if len(pages) <= 4 else 3
    return [[ln for i, ln in enumerate(page)
             if not (i in ends and (_PAGE_NUMBER.match(ln.text)
                                    or (may_repeat(ln) and seen[_running_key(ln.text)] >= need)))]
            for page, ends in zip(pages, edges)]


def _margins(pages: list[list[_Line]]) -> dict[int, float]:
    """Left text margin of odd and even pages: the most common x of proportional lines
    (of all pages when one parity has only code, e.g. a two-page listing)."""
    def common_x(lines: list[_Line]) -> float | None:
        xs = Counter(round(ln.x) for ln in lines if not ln.mono)
        return xs.most_common(1)[0][0] if xs else None

    everything = [ln for page in pages for ln in page]
    fallback = common_x(everything)
    if fallback is None:
        fallback = min((ln.x for ln in everything), default=0.0)
    margins = {}
    for parity in (0, 1):
        margin = common_x([ln for page in pages[parity::2] for ln in page])
        margins[parity] = fallback if margin is None else margin
    return margins


def _listing_code(lines: list[_Line], margins: dict[int, float], bottoms: dict[int, float]) -> str:
    """Code lines with indentation rebuilt from x positions; gaps become blank lines (also
    where a page ends a line early: the blank line a page break swallowed)."""
    advances = [ln.advance for ln in lines if ln.mono and ln.advance > 0]
    advance = statistics.median(advances) if advances else 0.55 * statistics.median(ln.size for ln in lines)
    offsets = [ln.x - margins[(ln.page - 1) % 2] for ln in lines]
    base = min(offsets)
    steps = [a.y - b.y for a, b in zip(lines, lines[1:]) if a.page == b.page and a.y > b.y]
    step = statistics.median(steps) if len(steps) >= 2 else 0.0
    out: list[str] = []
    for k, (line, offset) in enumerate(zip(lines, offsets)):
        before = lines[k - 1] if k else None
        if before and step and (before.y - line.y > 1.6 * step if before.page == line.page
                                else before.y - bottoms.get((before.page - 1) % 2, before.y) > 0.8 * step):
            out.append("")
        out.append(" " * round((offset - base) / advance) + line.text)
    return clean_code(out)


def _join_wrapped(texts: list[str]) -> str:
    """Wrapped lines → one paragraph. pdfium already joins words it hyphenated itself; a
    hyphen still ending a line is kept ('data-driven' cannot be told from 'devel-oped')."""
    text = texts[0]
    for t in texts[1:]:
        text += t if text.endswith("-") and text[-2:-1].isalpha() and t[:1].islower() else " " + t
    return text


def _line_gap(lines: list[_Line]) -> float:
    """Usual baseline distance inside a paragraph of proportional text."""
    gaps = [a.y - b.y for a, b in zip(lines, lines[1:])
            if a.page == b.page and not a.mono and abs(a.size - b.size) < 0.5 and 0 < a.y - b.y < 3 * b.size]
    return statistics.median(gaps) if gaps else 0.0


def _prose_parts(lines: list[_Line], body_size: float, margins: dict[int, float], gap: float) -> list[Part]:
    """Lines outside listings → headings (larger or lone bold lines) and re-joined paragraphs."""

    def is_heading(line: _Line) -> bool:
        return (bool(body_size) and not line.mono and line.size >= body_size * 1.15 and len(line.text) <= 150
                and bool(re.search("[A-Za-z]", line.text)))

    def new_paragraph(a: _Line, b: _Line) -> bool:
        if a.page != b.page:
            return bool(re.search(r"[.!?:]$", a.text))
        dy, margin = a.y - b.y, margins[(b.page - 1) % 2]
        indented = b.x - margin > 0.8 * b.size and a.x - margin < 0.3 * a.size and a.text.endswith((".", ":"))
        return (dy <= 0 or (gap and dy > 1.4 * gap) or abs(a.size - b.size) > 0.75 or a.mono != b.mono
                or indented or bool(re.match(r"[\u2022\u25aa\u2013*-] ", b.text)))

    parts: list[Part] = []
    group: list[_Line] = []
    for line in lines:
        heading = is_heading(line)
        if group and (heading != is_heading(group[-1]) or abs(line.size - group[-1].size) > 0.5
                      or (not heading and new_paragraph(group[-1], line))):
            parts.append(_group_part(group, body_size, margins))
            group = []
        group.append(line)
    if group:
        parts.append(_group_part(group, body_size, margins))
    return parts


def _group_part(group: list[_Line], body_size: float, margins: dict[int, float]) -> Part:
    if group[0].mono:  # monospace lines no listing start caught: a snippet, or console output
        code = _listing_code(group, margins, {})
        if re.search(r"[;}]", code) and parses_as_csharp(code):
            return Part("code", block=CodeBlock(code, "", f"page {group[0].page}", ""))
        return Part("para", code)
    text = _join_wrapped([ln.text for ln in group])
    heading = bool(body_size) and group[0].size >= body_size * 1.15
    lone_bold = len(group) == 1 and group[0].bold and len(text) <= 100 and not text.endswith((".", ",", ";"))
    return Part("heading" if heading or lone_bold else "para", text)


def _bottoms(pages: list[list[_Line]]) -> dict[int, float]:
    """Lowest baseline of full odd and even pages (a low quantile: short pages end higher)."""
    lows = {parity: sorted(min(ln.y for ln in page) for page in pages[parity::2] if page) for parity in (0, 1)}
    return {parity: ys[len(ys) // 4] for parity, ys in lows.items() if ys}


def layout(pages: list[list[_Line]]) -> DocumentContent:
    """Page lines → prose sections and code blocks (listings found across page breaks)."""
    body_size = _body_size(pages)
    pages = _strip_running_lines(pages, body_size)
    margins, bottoms = _margins(pages), _bottoms(pages)
    lines = [ln for page in pages for ln in page]
    gap = _line_gap(lines)
    parts: list[Part] = []
    done = 0
    for start, end in find_listings([ln.text for ln in lines]):
        parts += _prose_parts(lines[done:start], body_size, margins, gap)
        code = _listing_code(lines[start:end], margins, bottoms)
        parts.append(Part("code", block=CodeBlock(code, "", f"page {lines[start].page}", "")))
        done = end
    parts += _prose_parts(lines[done:], body_size, margins, gap)
    return assemble(parts, pages=len(pages))


if __name__ == "__main__":
    _child_main(sys.argv[1])
