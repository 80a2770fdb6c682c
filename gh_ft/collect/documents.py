"""Code blocks and prose from a developer's documents: Markdown, plain text, PDF, Word.

Every reader turns its format into the same flat sequence of parts (heading,
paragraph, code) and `assemble` makes prose sections and code-block contexts out of
it, so sectioning and context follow one rule for all formats. PDF reading lives in
gh_ft/collect/pdf.py (pdfium, run in a child process).
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import os
import re
import textwrap
from dataclasses import dataclass, field
from typing import Sequence

from gh_ft.collect.listings import MONOSPACE_FONT, find_listings
from gh_ft.csharp.parse import parses_cleanly


class DocumentError(GhFtError):
    """A document cannot be read (corrupt PDF, bad docx...). Message says why, clearly."""


@dataclass
class CodeBlock:
    code: str        # the code, indentation preserved, dedented as a whole
    context: str     # nearest heading + surrounding prose (a few hundred chars at most), '' if none
    location: str    # 'line 40' (md/txt), 'page 3' (pdf), 'paragraph 12' (docx)
    language: str    # fence label lowercased ('csharp', 'cs', 'c#', '' when unlabeled/unfenced)


@dataclass
class DocumentContent:
    code_blocks: list[CodeBlock] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)  # sections: heading + paragraphs, code removed
    pages: int = 0  # PDF page count, 0 otherwise


CSHARP_LABELS = frozenset({"csharp", "cs", "c#", "c-sharp"})
MIN_SECTION_CHARS = 40
MAX_SECTION_CHARS = 6000  # longer sections are split at paragraph boundaries
_CONTEXT_PROSE_CHARS = 300
_CONTEXT_HEADING_CHARS = 120


@dataclass
class Part:
    kind: str                       # "heading", "para" or "code"
    text: str = ""                  # heading or paragraph text
    block: CodeBlock | None = None  # for "code"


# ---------------------------------------------------------------- assembly

def _heading_title(heading: str) -> str:
    """'## Data access ##' → 'Data access' (a '#' ending a word, as in C#, stays)."""
    return re.sub(r"(?:^#{1,6}(?=\s|$)|\s#+$)", "", heading.strip()).strip()


def _clip_tail(text: str, limit: int) -> str:
    """The end of `text` (the prose nearest a following code block), cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    tail = text[-limit:]
    return "…" + tail[tail.find(" ") + 1:] if " " in tail else "…" + tail


def _context(parts: list[Part], k: int, heading: str | None) -> str:
    """Heading of the code's section + the paragraph before it (or after, if none)."""
    para = ""
    for step in (-1, 1):
        j = k + step
        while 0 <= j < len(parts) and parts[j].kind != "heading" and not para:
            if parts[j].kind == "para":
                para = parts[j].text
            j += step
        if para:
            break
    title = _heading_title(heading)[:_CONTEXT_HEADING_CHARS] if heading else ""
    return "\n".join(s for s in (title, _clip_tail(para, _CONTEXT_PROSE_CHARS)) if s)


def _section_texts(heading: str | None, paras: list[str]) -> list[str]:
    if not paras:
        return []
    chunks: list[list[str]] = [[]]
    size = 0
    for p in paras:  # greedy split of very long sections, heading repeated in each
        if chunks[-1] and size + len(p) > MAX_SECTION_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(p)
        size += len(p) + 2
    texts = ["\n\n".join(([heading] if heading else []) + c) for c in chunks]
    return [t for t in texts if len(t) >= MIN_SECTION_CHARS]


def assemble(parts: list[Part], pages: int = 0) -> DocumentContent:
    content = DocumentContent(pages=pages)
    heading: str | None = None
    paras: list[str] = []
    for k, part in enumerate(parts):
        if part.kind == "heading":
            content.prose.extend(_section_texts(heading, paras))
            heading, paras = part.text, []
        elif part.kind == "para" and part.text.strip():
            paras.append(part.text)
        elif part.kind == "code" and part.block is not None:
            part.block.context = _context(parts, k, heading)
            content.code_blocks.append(part.block)
    content.prose.extend(_section_texts(heading, paras))
    return content


# ---------------------------------------------------------------- code checks

def clean_code(lines: Sequence[str]) -> str:
    """Lines → code: trailing spaces and outer blank lines dropped, dedented as a whole."""
    rows = [ln.replace("\u00a0", " ").rstrip() for ln in lines]
    while rows and not rows[0].strip():
        rows.pop(0)
    while rows and not rows[-1].strip():
        rows.pop()
    return textwrap.dedent("\n".join(rows))


def parses_as_csharp(code: str) -> bool:
    """Parses as a C# file or statements, or as members (wrapped in a class)."""
    if not code.strip():
        return False
    return parses_cleanly(code) or parses_cleanly("class GhFtWrapper {\n" + code + "\n}")


def plausibly_csharp(code: str) -> bool:
    """For unlabeled monospace text (docx): parses, or has C# statement/block ends."""
    return parses_as_csharp(code) or bool(re.search(r"[;{}]\s*$", code, re.MULTILINE))


# ---------------------------------------------------------------- markdown / text

_FENCE_OPEN = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)(.*)$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")


def fence_language(info: str) -> str:
    words = info.strip().split()
    if not words:
        return ""
    label = words[0].strip("{}").lstrip(".").lower()
    return label.removeprefix("language-")


def _fence_close(lines: Sequence[str], start: int, fence: str) -> int:
    close = re.compile(rf"^ *{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for j in range(start + 1, len(lines)):
        if close.match(lines[j]):
            return j
    return len(lines)  # unclosed fence: runs to the end


def _paragraph_parts(lines: Sequence[str], idxs: Sequence[int], breaks: frozenset[int]) -> list[Part]:
    """Prose lines → heading and paragraph parts (blank lines / `breaks` end paragraphs)."""
    parts: list[Part] = []
    para: list[str] = []

    def flush() -> None:
        if para and any(p.strip() for p in para):
            parts.append(Part("para", "\n".join(para).strip("\n")))
        para.clear()

    for i in idxs:
        line = lines[i].rstrip()
        setext = _SETEXT.match(line)
        if setext and len(para) == 1:  # underlined heading
            parts.append(Part("heading", para[0].strip()))
            para.clear()
        elif setext and line.strip().startswith("-") and len(line.strip()) >= 3:
            flush()  # thematic break
        elif _ATX.match(line):
            flush()
            parts.append(Part("heading", line.strip()))
        elif not line.strip():
            flush()
        else:
            if i in breaks:
                flush()
            para.append(line)
    flush()
    return parts


def _prose_run_parts(lines: Sequence[str], idxs: list[int], locations: Sequence[str],
                     breaks: frozenset[int], detect_listings: bool) -> list[Part]:
    if not idxs:
        return []
    if not detect_listings:
        return _paragraph_parts(lines, idxs, breaks)

    parts: list[Part] = []
    pos = 0
    run = [lines[i] for i in idxs]
    for start, end in find_listings(run):
        parts += _paragraph_parts(lines, idxs[pos:start], breaks)
        code = clean_code(run[start:end])
        parts.append(Part("code", block=CodeBlock(code, "", locations[idxs[start]], "")))
        pos = end
    return parts + _paragraph_parts(lines, idxs[pos:], breaks)


def parts_from_lines(lines: Sequence[str], locations: Sequence[str] | None = None,
                     breaks: frozenset[int] = frozenset(), detect_listings: bool = False) -> list[Part]:
    """Fenced blocks, then prose (and unfenced listings if asked) from a list of lines."""
    locations = locations or [f"line {i + 1}" for i in range(len(lines))]
    parts: list[Part] = []
    prose: list[int] = []
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m or (m["fence"][0] == "`" and "`" in m["info"]):
            prose.append(i)
            i += 1
            continue
        parts += _prose_run_parts(lines, prose, locations, breaks, detect_listings)
        prose = []
        end = _fence_close(lines, i, m["fence"])
        indent = len(m["indent"])
        body = [ln[min(indent, len(ln) - len(ln.lstrip(" "))):] for ln in lines[i + 1:end]]
        code, language = clean_code(body), fence_language(m["info"])
        if code.strip() and (language in CSHARP_LABELS or (not language and parses_as_csharp(code))):
            parts.append(Part("code", block=CodeBlock(code, "", locations[i], language)))
        i = end + 1  # other languages: neither code nor prose
    return parts + _prose_run_parts(lines, prose, locations, breaks, detect_listings)


def _blank_front_matter(lines: list[str]) -> list[str]:
    """YAML front matter is metadata, not prose; blanked so line numbers stay right."""
    if lines and lines[0].strip() == "---":
        for j in range(1, min(len(lines), 60)):
            if lines[j].strip() in ("---", "..."):
                return [""] * (j + 1) + lines[j + 1:]
    return lines


def extract_markdown(text: str) -> DocumentContent:
    lines = _blank_front_matter(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return assemble(parts_from_lines(lines))


def extract_plain_text(text: str) -> DocumentContent:
    """Fenced blocks like Markdown, plus C# listings pasted without fences."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return assemble(parts_from_lines(lines, detect_listings=True))


# ---------------------------------------------------------------- Word .docx

_W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CODE_STYLE = re.compile(r"code|preformat|listing|verbatim|macro", re.IGNORECASE)
_HEADING_STYLE = re.compile(r"^(?:heading\s*(\d)|title)$", re.IGNORECASE)


def _qn(tag: str) -> str:
    """'w:p' → the namespaced tag (as docx.oxml.ns.qn, without importing docx for md/txt)."""
    return _W_NS + tag.split(":", 1)[1]


def _style_font(style) -> str | None:
    for _ in range(10):  # follow "based on" links; styles may form a cycle
        if style is None:
            return None
        if style.font.name:
            return style.font.name
        style = style.base_style
    return None


def _run_font(run, paragraph) -> str | None:
    """The font a run is shown in: its own rFonts, its character style, then the paragraph's."""
    rpr = run._element.rPr
    if rpr is not None and rpr.rFonts is not None:
        for attr in ("w:ascii", "w:hAnsi", "w:cs"):
            if rpr.rFonts.get(_qn(attr)):
                return rpr.rFonts.get(_qn(attr))
    return _style_font(run.style) or _style_font(paragraph.style)


def _docx_kind(paragraph) -> tuple[str, int]:
    """('heading', level) | ('code', 0) | ('empty', 0) | ('text', 0)."""
    style = paragraph.style.name if paragraph.style is not None else ""
    heading = _HEADING_STYLE.match(style or "")
    if heading and paragraph.text.strip():
        return "heading", int(heading.group(1) or 1)
    if _CODE_STYLE.search(style or "") and paragraph.text.strip():
        return "code", 0
    if not paragraph.text.strip():
        return "empty", 0

    runs = [r for r in paragraph.runs if r.text.strip()]
    if runs and all(MONOSPACE_FONT.search(_run_font(r, paragraph) or "") for r in runs):
        return "code", 0
    return "text", 0


def _table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, seen = [], []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):  # a merged cell repeats
                continue
            seen.append(cell._tc)
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def _body_elements(container):
    """Body-level paragraphs and tables in order, looking inside content controls."""
    for child in container.iterchildren():
        if child.tag in (_qn("w:p"), _qn("w:tbl")):
            yield child
        elif child.tag == _qn("w:sdt"):
            content = child.find(_qn("w:sdtContent"))
            if content is not None:
                yield from _body_elements(content)


def _docx_parts(document) -> list[Part]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    parts: list[Part] = []
    lines: list[str] = []  # headings, text and table rows, read like a plain-text file
    locations: list[str] = []
    breaks: set[int] = set()
    code: list[str] = []
    code_at = ""

    def flush_text() -> None:
        parts.extend(parts_from_lines(lines, locations, frozenset(breaks), detect_listings=True))
        lines.clear(), locations.clear(), breaks.clear()

    def flush_code() -> None:
        text = clean_code(code)
        if text and plausibly_csharp(text):
            parts.append(Part("code", block=CodeBlock(text, "", code_at, "")))
        code.clear()

    number = 0
    for element in _body_elements(document.element.body):
        if element.tag == _qn("w:tbl"):
            flush_code()
            rows = _table_rows(Table(element, document._body))
            breaks.add(len(lines))
            lines.extend(rows + [""])
            locations.extend([f"paragraph {number}"] * (len(rows) + 1))
            continue
        number += 1
        paragraph = Paragraph(element, document._body)
        kind, level = _docx_kind(paragraph)
        if kind == "code" or (kind == "empty" and code):
            if not code:
                flush_text()
                code_at = f"paragraph {number}"
            code.extend(paragraph.text.split("\n"))
            continue
        flush_code()
        text = paragraph.text
        if kind == "heading":
            text = "#" * level + " " + " ".join(text.split())
        breaks.add(len(lines))
        rows = text.split("\n")
        lines.extend(rows)
        locations.extend([f"paragraph {number}"] * len(rows))
    flush_code()
    flush_text()
    return parts


def extract_docx(path: str | os.PathLike) -> DocumentContent:
    """Headings, paragraphs, tables and code (Code styles, monospace runs, ``` fences)."""
    import docx
    import docx.opc.exceptions

    if not os.path.isfile(path):
        raise DocumentError(f"cannot read {os.fspath(path)}: no such file")
    try:
        document = docx.Document(os.fspath(path))
    except docx.opc.exceptions.PackageNotFoundError:
        raise DocumentError(f"not a valid .docx file: {os.fspath(path)} is not a Word (OOXML zip) package") from None
    except Exception as e:  # zipfile, lxml and python-docx errors alike
        raise DocumentError(f"not a valid .docx file: {os.fspath(path)}: {type(e).__name__}: {e}") from None
    try:
        return assemble(_docx_parts(document))
    except Exception as e:  # malformed XML structure python-docx trips over
        raise DocumentError(f"cannot read .docx content of {os.fspath(path)}: {type(e).__name__}: {e}") from None
