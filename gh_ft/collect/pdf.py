"""PDF → DocumentContent: layout rebuilt from pdfium's character boxes.

pdfium runs in long-lived child processes (this file run as a script: stdlib + pypdfium2 only), one per process
that reads PDFs, reused for every PDF of a collect. A broken or hostile PDF can at worst crash or stall its child:
the caller gets a DocumentError with the reason, a fresh child is started for the next file, and no PDF is read
twice. The child streams one record per text line, page by page; the layout (running lines, listings, prose) is
worked out here.

Monospaced lines are rebuilt on the font's cell grid from each glyph's x origin, so spaces (single, multiple,
leading) come from geometry whether or not the PDF has space glyphs, and whatever gaps pdfium invents between
glyphs a typesetter spread over fixed columns (listings' `columns=fixed`) are ignored. Proportional lines keep
pdfium's text, whose word gaps pdfium infers from the font size.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import select
import statistics
import subprocess
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass

from gh_ft.collect.listings import MONOSPACE_FONT, find_listings  # stdlib only: the pdfium child uses it too

if __name__ != "__main__":  # the pdfium child needs none of this
    from gh_ft.collect.documents import (CodeBlock, DocumentContent, DocumentError, Part, assemble,
                                         clean_code, parses_as_csharp, plausibly_csharp)
    from gh_ft.csharp.lexer import tokenize
    from gh_ft.csharp.parse import parse_tree

_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u00ad": ""})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ud800-\udfff\uffff]")
_GLYPH_RUN = re.compile(r"\S+")
_LINE_NUMBER = re.compile(r"\d{1,5}[:|]?")
# The marks typesetters print where they wrap a line: minted's hook arrow (pdfium reads ',→'), arrows, '¬'.
_WRAP_MARK = re.compile(r",?[\u2192\u21aa\u21a9\u21b5\u23ce\u2936\u2937]|\u00ac")

# ---------------------------------------------------------------- child: pdfium → line records


class _PageReader:
    """Line records of one text page: [text, x, y, size, mono, pitch, bold, x_end, gutter, gutter_x]
    (the fields of _Line, page aside)."""

    def __init__(self, raw, textpage, rotation: int = 0, size: tuple[float, float] = (0.0, 0.0)):
        import ctypes

        self.rotation, (self.width, self.height) = rotation % 4, size  # displayed size
        self.raw, self.handle = raw, textpage.raw
        self.n = textpage.count_chars()
        self.text = textpage.get_text_range(0, self.n) if self.n > 0 else ""
        if len(self.text) != self.n:  # keep text index == char index, which the position calls use
            self.text = "".join(chr(raw.FPDFText_GetUnicode(self.handle, i)) for i in range(self.n))
        self._x, self._y, self._flags = ctypes.c_double(), ctypes.c_double(), ctypes.c_int()
        self._bx, self._by = ctypes.byref(self._x), ctypes.byref(self._y)
        self._name = ctypes.create_string_buffer(128)
        self._fonts: dict[str, bool] = {}

    def font(self, i: int) -> tuple[str, bool]:
        """(name without subset tag, monospaced?) of glyph i."""
        self.raw.FPDFText_GetFontInfo(self.handle, i, self._name, 128, self._flags)
        name = self._name.value.decode("utf-8", "replace").split("+")[-1]
        mono = self._fonts.get(name)
        if mono is None:  # the FixedPitch flag is often missing (TeX fonts): the name decides too
            mono = self._fonts[name] = bool(self._flags.value & 1) or bool(MONOSPACE_FONT.search(name))
        return name, mono

    def origin(self, i: int) -> tuple[float, float]:
        """Glyph i's origin as the page is shown (a landscape page may be a portrait one turned)."""
        self.raw.FPDFText_GetCharOrigin(self.handle, i, self._bx, self._by)
        x, y = self._x.value, self._y.value
        if self.rotation == 0:
            return x, y
        if self.rotation == 1:
            return y, self.height - x
        if self.rotation == 2:
            return self.width - x, self.height - y
        return self.width - y, x

    def lines(self) -> list[list]:
        out = []
        for m in re.finditer(r"[^\r\n]+", self.text):
            record = self._line(m.start(), m.end())
            if record:
                out.append(record)
        return out

    def _line(self, start: int, end: int) -> list | None:
        raw, h, text = self.raw, self.handle, self.text
        # Runs of glyphs between pdfium's spaces (real or generated): geometry decides what the gaps are.
        runs = [(m.start(), m.end() - 1) for m in _GLYPH_RUN.finditer(text, start, end)]
        if not runs:
            return None
        first, last = runs[0][0], runs[-1][1]
        size = raw.FPDFText_GetFontSize(h, first)
        lead = text[first:runs[0][1] + 1]
        # A line number: digits (with enscript's ':' or a rule after them), then the line; or alone with its
        # mark (an empty numbered line). One right of the line may be one too: its font is not asked.
        gutter = bool(_LINE_NUMBER.fullmatch(lead)) and (len(runs) > 1 or not lead.isdigit())
        body = runs[1 if gutter else 0:] or runs
        if len(body) > 1 and text[body[-1][0]:body[-1][1] + 1].isdigit():
            body = body[:-1]
        probes = (body[0][0], body[len(body) // 2][0], body[-1][1])
        fonts = [self.font(i) for i in probes]
        votes = sum(mono for _, mono in fonts)
        if votes * 2 <= 3:  # prose (maybe with inline code): pdfium's text and word gaps
            x0, y0 = self.origin(first)
            x1 = self.origin(last)[0]
            body = text[first:last + 1].replace("\ufffe", "")  # pdfium's mark of a word it hyphenated
            body = _CONTROL.sub("", body.translate(_LIGATURES))
            name = self.font(first)[0]
            bold = "bold" in name.lower() or raw.FPDFText_GetFontWeight(h, first) >= 600
            return [body, round(x0, 2), round(y0, 2), round(size, 2), False, 0.0, bold,
                    round(x1 + 0.5 * size, 2), "", 0.0, 0]
        return self._mono_line(runs, gutter, fonts[1][0])

    def _mono_line(self, runs: list[tuple[int, int]], gutter: bool, font: str) -> list:
        """A monospaced line on its cell grid: the pitch from the width of runs of glyphs, spaces from the
        gaps between runs (pdfium's own spaces are only where to look: a typesetter's fixed columns make
        it see gaps inside words)."""
        raw, h, text = self.raw, self.handle, self.text
        y0 = self.origin(runs[0][0])[1]
        size = raw.FPDFText_GetFontSize(h, runs[(len(runs) - 1) // 2][0])
        ends = []
        for a, b in runs:
            xa = self.origin(a)[0]
            ends.append((xa, self.origin(b)[0] if b > a else xa))
        # Wrap marks: one opening the line says it continues the line before; one closing it, that the next
        # line continues it.
        wrap = 0
        first_body = 1 if gutter else 0
        if len(runs) > first_body + 1 and _WRAP_MARK.fullmatch(text[runs[first_body][0]:runs[first_body][1] + 1]):
            runs, ends, wrap = runs[:first_body] + runs[first_body + 1:], ends[:first_body] + ends[first_body + 1:], 1
        if len(runs) > first_body + 1 and _WRAP_MARK.fullmatch(text[runs[-1][0]:runs[-1][1] + 1]):
            runs, ends, wrap = runs[:-1], ends[:-1], wrap | 2
        if not gutter and len(runs) > 1 and text[runs[-1][0]:runs[-1][1] + 1].isdigit() \
                and raw.FPDFText_GetFontSize(h, runs[-1][0]) < 0.9 * size and ends[-1][0] - ends[-2][1] > 0.6 * size:
            # A line number set right of the line (listings' numbers=right): the layout decides, as on the left.
            runs, ends = [runs[-1]] + runs[:-1], [ends[-1]] + ends[:-1]
            gutter = True
        skip = 1 if gutter else 0
        widths = [((xb - xa) / (b - a), b - a) for (a, b), (xa, xb) in zip(runs[skip:], ends[skip:]) if b > a]
        if widths:
            total = sum(n for _, n in widths)
            pitch = sum(w * n for w, n in widths) / total  # glyph-weighted mean step
        else:
            pitch = 0.6 * size
        pitch = pitch if 0.2 * size < pitch < 1.2 * size else 0.6 * size
        number = text[runs[0][0]:runs[0][1] + 1].rstrip(":|") if gutter else ""
        number_x = round(ends[0][1], 2) if gutter else 0.0  # right-aligned numbers: the last digit's origin
        if number and len(runs) == 1:
            return ["", round(ends[0][0], 2), round(y0, 2), round(size, 2), True, round(pitch, 3), False,
                    round(ends[0][0], 2), number, number_x, wrap]
        out: list[str] = []
        for k in range(skip, len(runs)):
            if k > skip:
                gap = ends[k][0] - ends[k - 1][1]
                if gap > 1.5 * pitch:
                    out.append(" " * max(1, round(gap / pitch) - 1))
            out.append(text[runs[k][0]:runs[k][1] + 1])
        body = _CONTROL.sub("", "".join(out).replace("\ufffe", "-"))
        return [body, round(ends[skip][0], 2), round(y0, 2), round(size, 2), True, round(pitch, 3),
                "bold" in font.lower(), round(max(xb for _, xb in ends[skip:]) + pitch, 2), number, number_x, wrap]


def read_pdf_pages(path: str):
    """Yield the line records of each page; ValueError (with the reason) if pdfium cannot open it."""
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
        count, broken = len(pdf), 0
        for index in range(count):
            try:
                page = pdf[index]
                textpage = page.get_textpage()
            except pdfium.PdfiumError:  # one damaged page should not cost the whole book
                broken += 1
                yield []
                continue
            yield _PageReader(raw, textpage, raw.FPDFPage_GetRotation(page.raw), page.get_size()).lines()
            textpage.close()
            page.close()
        if count and broken == count:
            raise ValueError("not a valid PDF: none of its pages can be read")
    finally:
        pdf.close()


def read_pdf_lines(path: str) -> list[list[list]]:
    return list(read_pdf_pages(path))


def _limit_memory() -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY:  # a PDF that balloons memory fails alone
            resource.setrlimit(resource.RLIMIT_AS, (min(8 << 30, hard) if hard > 0 else 8 << 30, hard))
    except (ImportError, ValueError, OSError):
        pass


def _serve() -> None:
    """The child's loop: one path per stdin line → one JSON line per page, then an end or error line."""
    _limit_memory()
    out = sys.stdout
    for request in sys.stdin:
        path = request.rstrip("\n")
        try:
            pages = 0
            for lines in read_pdf_pages(path):
                out.write(json.dumps({"page": lines}, separators=(",", ":")) + "\n")
                pages += 1
            out.write(json.dumps({"end": pages}) + "\n")
        except Exception as e:  # noqa: BLE001 - reported to the parent as text
            out.write(json.dumps({"error": str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e}"}) + "\n")
        out.flush()


# ---------------------------------------------------------------- parent: the long-lived readers


class _ReaderProcess:
    """One pdfium child, reused for PDF after PDF; replaced when a PDF kills or stalls it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        # -P: gh_ft/collect must not go on sys.path (its code.py and secrets.py would shadow the stdlib)
        self.proc = subprocess.Popen([sys.executable, "-P", os.path.abspath(__file__), "--serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buffer = b""  # the unfinished line
        self.lines: deque[bytes] = deque()  # finished lines not yet taken

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def _readline(self, deadline: float) -> bytes | None:
        """The next line, or None when the child died or the deadline passed (it is then killed)."""
        fd = self.proc.stdout.fileno()
        while not self.lines:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.close()
                raise TimeoutError
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            *complete, self.buffer = (self.buffer + chunk).split(b"\n")  # a page's line may come in pieces
            self.lines.extend(complete)
        return self.lines.popleft()

    def read(self, path: str, timeout: float) -> list[list[list]]:
        deadline = time.monotonic() + timeout
        try:
            self.proc.stdin.write(os.path.abspath(path).encode("utf-8", "surrogateescape") + b"\n")
            self.proc.stdin.flush()
        except OSError:
            self.close()
            raise DocumentError(f"not a valid PDF: the PDF reader failed on {path} (it exited)") from None
        pages: list[list[list]] = []
        while True:
            try:
                line = self._readline(deadline)
            except TimeoutError:
                raise DocumentError(f"{path}: reading the PDF took longer than {timeout:g} s; given up") from None
            if line is None:
                code = self.proc.wait()
                self.close()
                why = f"signal {-code}" if code < 0 else f"exit status {code}"
                raise DocumentError(f"not a valid PDF: the PDF reader failed on {path} ({why})")
            record = json.loads(line)
            if "page" in record:
                pages.append(record["page"])
            elif "end" in record:
                return pages
            else:
                raise DocumentError(f"{record['error']} ({path})")


_reader: _ReaderProcess | None = None


def _shared_reader() -> _ReaderProcess:
    """This process's reader child (a forked worker starts its own: pipes are not shared)."""
    global _reader
    if _reader is None or _reader.pid != os.getpid() or not _reader.alive():
        if _reader is not None and _reader.pid == os.getpid():
            _reader.close()
        _reader = _ReaderProcess()
    return _reader


def reader_cpu_seconds() -> float:
    """CPU time this process's reader child has used so far (0 without one, or off Linux): for benchmarks
    on shared machines, where wall-clock time says more about the neighbours than about the reader."""
    if _reader is None or _reader.pid != os.getpid() or not _reader.alive():
        return 0.0
    try:
        with open(f"/proc/{_reader.proc.pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def close_reader() -> None:
    """Stop this process's reader child (collect calls it when done; it also ends with the process)."""
    global _reader
    if _reader is not None and _reader.pid == os.getpid():
        _reader.close()
    _reader = None


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


def extract_pdf(path: str | os.PathLike, *, timeout: float = 120.0, isolate: bool = True) -> DocumentContent:
    name = os.fspath(path)
    _check_pdf_file(name)
    if isolate:
        records = _shared_reader().read(name, timeout)
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
    pitch: float   # monospace cell width, 0 for other fonts
    bold: bool
    x_end: float   # right end of the last glyph
    gutter: str    # a leading number, maybe a line number (the layout decides)
    gutter_x: float  # origin of that number's last digit, 0 without one
    wrap: int      # wrap marks printed: 1 this line continues the one before, 2 the next continues this one
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
    """Drop page numbers, running heads and footers: lines at the top or bottom edge of pages that repeat
    (digits aside) on several pages, or that stand apart from the body at the same height on most pages
    and carry a number (a page number, a date, 'Page 2 of 9')."""
    def edge(page: list[_Line]) -> set[int]:
        ys = sorted({round(ln.y) for ln in page})
        ends = set(ys[:2] + ys[-2:])
        return {i for i, ln in enumerate(page) if round(ln.y) in ends}

    def apart(page: list[_Line], i: int) -> bool:
        """Line i is separated from the rest of the page by more than the page's usual line step."""
        ys = sorted({round(ln.y, 1) for ln in page}, reverse=True)
        if len(ys) < 3:
            return True
        steps = sorted(a - b for a, b in zip(ys, ys[1:]))
        usual = line_step or steps[len(steps) // 2]
        y = round(page[i].y, 1)
        k = ys.index(y)
        near = [abs(ys[j] - y) for j in (k - 1, k + 1) if 0 <= j < len(ys)]
        return min(near) > 1.3 * usual

    # The document's usual baseline step (a page of three lines has no usual step of its own).
    dys = Counter(round(a.y - b.y, 1) for page in pages for a, b in zip(page, page[1:]) if 0 < a.y - b.y < 3 * a.size)
    line_step = dys.most_common(1)[0][0] if dys else 0.0
    sizes = Counter(round(ln.size, 1) for page in pages for ln in page if ln.mono)
    code_size = sizes.most_common(1)[0][0] if sizes else 0.0
    edges = [edge(page) for page in pages]
    seen: Counter[str] = Counter()
    heights: Counter[int] = Counter()
    for page, ends in zip(pages, edges):
        seen.update({_running_key(page[i].text) for i in ends})
        heights.update({round(page[i].y / 4) for i in ends})
    need = 2 if len(pages) <= 4 else 3
    nonempty = sum(1 for page in pages if page)

    def running(page: list[_Line], i: int) -> bool:
        line = page[i]
        if _PAGE_NUMBER.match(line.text.strip()) and not line.mono:
            return True
        if not re.search(r"[A-Za-z0-9]", line.text) or (not line.mono and body_size and line.size > body_size * 1.1):
            return False  # headings are never running lines
        repeated = seen[_running_key(line.text)] >= need
        if repeated and not line.mono:
            return True
        if not apart(page, i):  # code is a running line only when set apart and numbered (enscript's heads)
            return False
        if line.mono and not repeated and abs(line.size - code_size) < 0.25:
            return False  # a line of code at the top of a page, followed by a blank line
        return bool(re.search(r"\d", line.text)) and (repeated or heights[round(line.y / 4)] * 2 >= nonempty >= 2)

    return [[ln for i, ln in enumerate(page) if not (i in ends and running(page, i))]
            for page, ends in zip(pages, edges)]


def _margins(pages: list[list[_Line]]) -> dict[int, float]:
    """Left text margin of odd and even pages: the most common x of proportional lines
    (of all pages when one parity has only code, e.g. a two-page listing)."""
    def common_x(lines: list[_Line]) -> float | None:
        xs = Counter(round(ln.x) for ln in lines if not ln.mono and not ln.text.isdigit())  # not line numbers
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


# ---------------------------------------------------------------- code text

_CODE_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"',
                "\u201e": '"', "\u2033": '"'}
_CODE_DASHES = {"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-"}


def typesets_quotes(pages: list[list[_Line]]) -> bool:
    """The producer printed every ASCII quote of the code as a typographic one (TeX's listings without
    upquote: ' → ’, ` → ‘): its monospaced text holds curly single quotes and no straight one."""
    mono = "".join(ln.text for page in pages for ln in page if ln.mono)
    return "'" not in mono and "`" not in mono and bool(re.search("[\u2018\u2019]", mono))


def normalize_code(code: str, typeset_quotes: bool = False) -> str:
    """Typesetting undone in code: curly quotes and dashes put in place of ASCII become ASCII again outside
    string literals and comments (where real code may hold them on purpose); ligatures are split, soft hyphens
    dropped, no-break spaces made spaces everywhere. When the producer is known to have replaced every ASCII
    single quote and backquote (`typeset_quotes`), they are turned back inside strings and comments too."""
    code = code.translate(_LIGATURES)
    if typeset_quotes:
        code = code.replace("\u2019", "'").replace("\u2018", "`")
    if not re.search("[\u2018-\u201e\u2032\u2033\u2010-\u2014\u2212]", code):
        return code
    out: list[str] = []
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        if code.startswith("//", i):
            j = code.find("\n", i)
            j = n if j < 0 else j
        elif code.startswith("/*", i):
            j = code.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif c in "\"\u201c\u201d\u201e":  # a string: its delimiters are code, its contents are not
            verbatim = i > 0 and code[i - 1] == "@"
            j = i + 1
            while j < n and code[j] != "\n":
                if code[j] == "\\" and not verbatim:
                    j += 2
                    continue
                if code[j] in "\"\u201c\u201d":
                    if verbatim and code[j + 1:j + 2] == '"':
                        j += 2
                        continue
                    break
                j += 1
            closing = '"' if j < n and code[j] != "\n" else ""
            out.append('"' + code[i + 1:j] + closing)
            i = j + (1 if closing else 0)
            continue
        elif c in "'\u2018\u2019\u201a\u2032":  # a char literal
            m = re.match(r"(?:\\.[^'\u2018\u2019\n]{0,8}|[^'\u2018\u2019\n])['\u2018\u2019]", code[i + 1:i + 12])
            if m:
                out.append("'" + m.group()[:-1] + "'")
                i += 1 + m.end()
                continue
            out.append("'")
            i += 1
            continue
        else:
            out.append(_CODE_DASHES.get(c, _CODE_QUOTES.get(c, c)))
            i += 1
            continue
        out.append(code[i:j])
        i = j
    return "".join(out)


_JOIN_CONTEXT = 24  # lines before a candidate join that its re-parse sees


def _balanced(lines: list[str]) -> tuple[str, str]:
    """Braces that make a window of a listing a whole: '{'s before it for the blocks it closes, '}'s after
    it for the ones it leaves open (a fragment parses as badly as its cut ends, whichever line is joined)."""
    from gh_ft.csharp.lexer import mask_non_code

    depth = lowest = 0
    for c in mask_non_code("\n".join(lines)):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            lowest = min(lowest, depth)
    return "{" * -lowest, "}" * (depth - lowest)


def _join_repairs(window: list[str], merged: str, first: str, second: str, ahead: list[str]) -> tuple[int, int]:
    """Parse errors around a candidate join: (joined, kept apart), on the same balanced window."""
    before, after = _balanced(window + [first, second] + ahead)
    joined = [before] + window + [merged] + ahead + [after]
    apart = [before] + window + [first, second] + ahead + [after]
    return _errors(joined), _errors(apart)


def _errors(lines: list[str]) -> int:
    """How much of the code tree-sitter cannot parse: bytes under ERROR nodes, plus one per MISSING node."""
    data = "\n".join(lines).encode("utf-8")
    root = parse_tree(data).root_node
    if not root.has_error:
        return 0
    weight, stack = 0, [root]
    while stack:
        node = stack.pop()
        if node.is_error:  # characters, not bytes: a join must not look better for the spaces it removed
            weight += len(re.sub(rb"\s+", b"", data[node.start_byte:node.end_byte]))
        elif node.is_missing:
            weight += 1
        elif node.has_error:
            stack.extend(node.children)
    return weight


def _ends_in_comment(line: str) -> bool:
    last = None
    for last in tokenize(line):
        pass
    return last is not None and last.kind == "comment" and last.text.startswith("//")


def _open_string(line: str) -> bool:
    """The line ends inside a regular string literal (which cannot span lines): it was wrapped."""
    last = None
    for last in tokenize(line):
        pass
    return last is not None and last.kind == "string" and not last.text.startswith(("@", '$@', '@$', '"""')) \
        and (len(last.text) < 2 or not last.text.endswith('"') or last.text.endswith('\\"'))


def _grid(lines: list[_Line], lefts: list[float]) -> float:
    """The cell width of the listing's grid: the glyph step, refined so that line starts fall on whole
    columns (a typesetter's fixed columns can be a little wider than the glyphs inside a word)."""
    pitches = [ln.pitch for ln in lines if ln.pitch > 0]
    base = statistics.median(pitches) if pitches else 0.6 * statistics.median(ln.size for ln in lines)
    offsets = Counter(round(ln.x - left, 1) for ln, left in zip(lines, lefts) if ln.text and ln.x - left > 0.5 * base)
    if sum(offsets.values()) < 3:
        return base

    def misfit(pitch: float) -> float:
        return sum(n * min(1.0, abs(o / pitch - round(o / pitch))) ** 2 for o, n in offsets.items())

    candidates = [base * (0.96 + 0.0025 * k) for k in range(41)]
    best = min(candidates, key=lambda p: (round(misfit(p), 3), abs(p - base)))
    total = sum(offsets.values())

    def fit(pitch: float) -> float:
        return sum(n for o, n in offsets.items() if abs(o / pitch - round(o / pitch)) < 0.08) / total

    if fit(best) >= 0.8:
        return best
    # Flexible columns (listings' `columns=flexible`): leading spaces narrower than the glyphs. The widest
    # step that most line starts are whole multiples of measures the indentation.
    for k in range(200):
        pitch = base * (0.96 - 0.0025 * k)
        if fit(pitch) >= 0.8:
            return pitch
    return best


def _segments(lines: list[_Line], margins: dict[int, list[float]], pitch: float = 0.0,
              resumes: frozenset[int] = frozenset()) -> list[float]:
    """Left edge of each line's segment: a listing's part on one page and in one column. A part whose
    lines are all indented (a page that starts inside a method) keeps the listing's edge: the edge of the
    part before in the same column, or the first part's distance from the page's text margin, when that
    puts its lines a whole number of cells in."""
    pitch = pitch or statistics.median([ln.pitch for ln in lines if ln.pitch > 0] or [0.6 * lines[0].size])
    lefts: list[float] = []
    start, offset, from_numbers = 0, None, None
    for k in range(1, len(lines) + 1):
        if k == len(lines) or lines[k].page != lines[k - 1].page or lines[k].y > lines[k - 1].y + 1 \
                or k in resumes:
            part = [ln.x for ln in lines[start:k] if ln.text] or [lines[start].x]
            left = min(part)
            page_margins = margins.get(lines[start].page, [])
            numbers = [ln.gutter_x for ln in lines[start:k] if ln.gutter_x]
            if lefts:
                candidates = [lefts[-1]] + ([m + offset for m in page_margins] if offset is not None else [])
                if numbers and from_numbers is not None:  # line numbers stand at a fixed distance from it
                    candidates.append(statistics.median(numbers) + from_numbers)
                fitting = [c for c in candidates if 0.5 * pitch <= left - c <= 16 * pitch
                           and abs((left - c) / pitch - round((left - c) / pitch)) < 0.2]
                left = min(fitting, default=left)
            else:
                if page_margins:
                    offset = left - max((m for m in page_margins if m <= left + 0.5), default=page_margins[0])
                if numbers:
                    from_numbers = left - statistics.median(numbers)
            lefts += [left] * (k - start)
            start = k
    return lefts


def _mono_code(lines: list[_Line], margins: dict[int, list[float]] | None = None,
               resumes: frozenset[int] = frozenset()) -> list[str]:
    """Monospaced lines → code lines: gutters of line numbers removed, indentation from the grid, blank lines
    from vertical gaps, wrapped lines joined back (geometry proposes, a re-parse must not get worse).
    `resumes`: indexes where the listing resumes after a paragraph that interrupted it."""
    numbered = [int(ln.gutter) for ln in lines if ln.gutter]
    rising = sum(1 for a, b in zip(numbered, numbered[1:]) if b == a + 1)
    gutter = len(numbered) >= 3 and rising >= 0.6 * (len(numbered) - 1)
    if gutter:  # a number out of the sequence starts a wrapped line ('6 faces")'), it numbers nothing
        last = None
        lines = list(lines)
        numbered_at = [k for k, ln in enumerate(lines) if ln.gutter]
        following = {k: int(lines[j].gutter) for k, j in zip(numbered_at, numbered_at[1:])}
        for k, ln in enumerate(lines):
            if ln.gutter:
                n = int(ln.gutter)
                restart = n == 1 and 1 < following.get(k, 2) <= 4  # a new listing counts from 1 again
                if last is not None and not (last < n <= last + 3 or restart) and ln.text:
                    lines[k] = dataclasses.replace(ln, text=f"{ln.gutter} {ln.text}", gutter="", gutter_x=0.0,
                                                   x=ln.gutter_x or ln.x)
                    continue
                last = n
    texts = [ln.text if gutter or not ln.gutter else (ln.gutter + " " + ln.text).strip() for ln in lines]
    lefts = _segments(lines, margins or {}, resumes=resumes)
    # In a numbered listing only numbered lines start where the source's lines do (the others are wraps).
    sample = [(ln, left) for ln, left in zip(lines, lefts) if ln.gutter or not gutter]
    pitch = _grid([ln for ln, _ in sample], [left for _, left in sample])
    lefts = _segments(lines, margins or {}, pitch, resumes)  # again, on the grid just measured
    glyph = statistics.median([ln.pitch for ln in lines if ln.pitch > 0] or [pitch])
    glyph = pitch if abs(glyph - pitch) < 0.05 * pitch else glyph  # flexible columns: two widths
    cols = [(ln.x - left) / pitch for ln, left in zip(lines, lefts)]
    ends = [(ln.x_end - left) / glyph for ln, left in zip(lines, lefts)]
    right = max(ends)
    # A producer that cuts long lines at a column (enscript) fills several lines to the same last column,
    # each followed by one at the margin; the longest line alone proves nothing.
    cuts_at_column = sum(1 for k, e in enumerate(ends[:-1]) if e >= right - 0.5 and cols[k + 1] < 1.5) >= 2
    steps = [a.y - b.y for a, b in zip(lines, lines[1:]) if a.page == b.page and 0 < a.y - b.y < 3 * a.size]
    step = statistics.median(steps) if steps else 0.0

    rounded = [round(c) for c, ln in zip(cols, lines) if ln.text]
    moves = Counter(abs(b - a) for a, b in zip(rounded, rounded[1:]) if 0 < abs(b - a) <= 8)
    # The indentation step: the smallest move that is common (printed files may mix 2- and 4-space styles).
    unit = min((m for m, n in moves.items() if n >= 0.15 * sum(moves.values())), default=4)
    out: list[str] = []
    indents: list[int] = []
    out_cols: list[float] = []
    for k, line in enumerate(lines):
        text = texts[k]
        if k and step and lines[k - 1].page == line.page and lines[k - 1].y - line.y > 1.6 * step \
                and not (gutter and line.gutter) and k not in resumes:
            blanks = max(1, round((lines[k - 1].y - line.y) / step) - 1)
            out += [""] * blanks
            indents += [0] * blanks
            out_cols += [0.0] * blanks
        col = cols[k]
        marked = line.wrap & 1 or (k and lines[k - 1].wrap & 2)
        if (marked or gutter and not line.gutter) and out and out[-1] and text:
            # A numbered listing numbers every source line: a line without a number continues the one before;
            # so does a line after a wrap mark.
            if cuts_at_column and ends[k - 1] >= right - 1.5 and col < 1.5:  # cut at the last column
                sep = " " * (max(0, round(right - ends[k - 1])) + round(col))
            else:
                sep = " " if re.match(r"\w", out[-1][-1]) and re.match(r"\w", text[0]) else ""
            out[-1] = " " * indents[-1] + out[-1].lstrip() + sep + text
            continue
        # A regular string literal cannot span lines: a line ending inside one was wrapped, wherever it ends.
        string_open = bool(out and out[-1] and text) and not (gutter and line.gutter) and _open_string(out[-1]) \
            and not _ends_in_comment(out[-1])
        # A brace back at the margin under a line more than one level deep closes nothing there: a browser's
        # or word processor's wrap of a one-line block.
        brace_wrapped = bool(out) and round(col) <= 1 and round(out_cols[-1] if out_cols else 0) > unit + 1
        edge = bool(out and out[-1] and text) and _reaches_edge(ends[k - 1], text, right, col > out_cols[-1] + 0.5)
        if out and out[-1] and text and (string_open or edge) and not (gutter and line.gutter) \
                and (brace_wrapped or not (re.search(r"[;{}]$", out[-1]) and re.match(r"[{}]", text))):
            hard = cuts_at_column and ends[k - 1] >= right - 1.5 and col < 1.5
            if hard:  # cut at the last column (enscript): spaces at the cut are the cells up to the edge
                sep = " " * (max(0, round(right - ends[k - 1])) + round(col))
            else:  # broken at a break opportunity: a space between words, nothing after punctuation
                sep = " " if re.match(r"\w", out[-1][-1]) and re.match(r"\w", text[0]) else ""
            merged = " " * indents[-1] + out[-1].lstrip() + sep + text

            def geometry() -> bool:  # a line ending a statement or a block is a whole line unless cut
                return (not re.search(r"[;{}]$", out[-1])
                        and _continues(out_cols[-1], ends[k - 1], col, right, unit, cuts_at_column))
            comment, open_string = _ends_in_comment(out[-1]), _open_string(out[-1])
            if comment and text.startswith("//"):
                join = False  # a comment line after a comment line: two lines, even after a full one
            elif hard or (open_string and not comment):
                join = True  # a line filled to the last column, or a regular string literal (never spans lines)
            elif comment:  # where geometry says so, unless it hides code (the parse around it gets worse)
                after, before = _join_repairs(out[-_JOIN_CONTEXT:-1], merged, out[-1], text, texts[k + 1:k + 4])
                join = after < before or (after == before and geometry())
            elif re.match(r"\w", out[-1][-1]) and re.match(r"\w", text[0]):
                # Two words may be one token cut in two: joined only when that repairs the parse of the lines
                # around the join (a parse of the whole listing per candidate would cost too much).
                after, before = _join_repairs(out[-_JOIN_CONTEXT:-1], merged, out[-1], text, texts[k + 1:k + 4])
                join = after < before or (after == before and not re.match(r"[{}]", text)
                                          and geometry())
            elif brace_wrapped:
                join = True
            else:  # a brace opening a line is where code lines start, except a '}' deeper than its line
                join = (not re.match(r"[{}]", text) or (text[0] == "}" and col > out_cols[-1] + 0.5)) and geometry()
            if join:
                out[-1] = merged
                continue
        indent = max(0, round(col))
        out.append(" " * indent + text if text else "")
        indents.append(indent)
        out_cols.append(col)
    return out


def _reaches_edge(prev_end: float, text: str, right: float, deeper: bool) -> bool:
    """The line before reaches the right edge, or stops short of it by less than what this line starts
    with: where a typesetter or a browser wraps (columns). A continuation set deeper than its line is a
    typesetter's (listings breaks between tokens: the first token did not fit); one at or left of it a
    browser's or a word processor's (they break at spaces: the first word did not fit)."""
    first = re.match(r"\w+|\S", text) if deeper else re.match(r"\S+", text)
    return prev_end + (len(first.group()) if first else 0) + 1 >= right - 0.5


def _continues(prev_col: float, prev_end: float, col: float, right: float, unit: int, cuts: bool) -> bool:
    """This line does not start where a line of code would: off the column grid (a break indent in points),
    back at the block's margin under an indented line (where browsers and word processors wrap to), a step
    the listing's indentation never takes, or at the margin after a line cut at the last column."""
    if abs(col - round(col)) > 0.08 or round(col) <= 1 < round(prev_col):
        return True
    if unit > 1 and (round(col) - round(prev_col)) % unit:
        return True
    return cuts and round(col) <= 1 and prev_end >= right - 0.5


def _file_starts(rows: list[str]) -> list[int]:
    """Rows where a new source file begins inside one run of code (printed listings of several files): a
    using directive at brace depth 0 after a type was closed (C# allows none there), with the comment and
    blank lines heading it."""
    from gh_ft.csharp.lexer import mask_non_code

    directive = re.compile(r"\s*using\s+[\w.=\s]+;\s*$")
    first_close = next((k for k, row in enumerate(rows) if row.lstrip().startswith("}")), len(rows))
    if not any(directive.match(row) for row in rows[first_close:]):  # the usual case: one file, no lexing
        return []
    masked = mask_non_code("\n".join(rows)).split("\n")
    starts, depth, closed = [], 0, False
    for k, row in enumerate(masked):
        if depth == 0 and closed and re.match(r"\s*using\s+[\w.=\s]+;\s*$", row):
            start = k
            while start > 0 and (not rows[start - 1].strip() or rows[start - 1].lstrip().startswith("//")):
                start -= 1
            starts.append(start)
            closed = False
        depth += row.count("{") - row.count("}")
        if depth <= 0 and "}" in row:
            depth, closed = 0, True
    return starts


def _mono_parts(rows: list[str], lines: list[_Line], typeset_quotes: bool) -> list[Part]:
    """Code rows of a run of monospaced lines → code blocks where they parse as C# (file by file, or listing
    by listing), the rest as prose unless it looks like code (then it is neither: it never reaches the prose)."""
    bounds = [0] + _file_starts(rows) + [len(rows)]
    parts: list[Part] = []
    for a, b in zip(bounds, bounds[1:]):
        parts += _code_parts(rows[a:b], f"page {lines[0].page}", typeset_quotes)
    return parts


def _code_parts(code_lines: list[str], where: str, typeset_quotes: bool) -> list[Part]:
    code = normalize_code(clean_code(code_lines), typeset_quotes)
    if re.search(r"[;}]", code) and parses_as_csharp(code):
        return [Part("code", block=CodeBlock(code, "", where, ""))]
    parts: list[Part] = []
    done = 0
    normalized = normalize_code("\n".join(code_lines), typeset_quotes).split("\n")
    for start, end in find_listings(normalized):
        parts += _leftover(normalized[done:start])
        block = clean_code(normalized[start:end])
        parts.append(Part("code", block=CodeBlock(block, "", where, "")))
        done = end
    return parts + _leftover(normalized[done:])


def _leftover(rows: list[str]) -> list[Part]:
    text = clean_code(rows)
    if not text.strip() or plausibly_csharp(text):
        return []
    return [Part("para", " ".join(text.split()))]


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
    """Proportional lines → headings (larger or lone bold lines) and re-joined paragraphs."""

    def is_heading(line: _Line) -> bool:
        return (bool(body_size) and line.size >= body_size * 1.15 and len(line.text) <= 150
                and bool(re.search("[A-Za-z]", line.text)))

    def new_paragraph(a: _Line, b: _Line) -> bool:
        if a.page != b.page:
            return bool(re.search(r"[.!?:]$", a.text))
        dy, margin = a.y - b.y, margins[(b.page - 1) % 2]
        indented = b.x - margin > 0.8 * b.size and a.x - margin < 0.3 * a.size and a.text.endswith((".", ":"))
        return (dy <= 0 or (gap and dy > 1.4 * gap) or abs(a.size - b.size) > 0.75
                or indented or bool(re.match(r"[\u2022\u25aa\u2013*-] ", b.text)))

    parts: list[Part] = []
    group: list[_Line] = []
    for line in lines:
        heading = is_heading(line)
        if group and (heading != is_heading(group[-1]) or abs(line.size - group[-1].size) > 0.5
                      or (not heading and new_paragraph(group[-1], line))):
            parts.append(_group_part(group, body_size))
            group = []
        group.append(line)
    if group:
        parts.append(_group_part(group, body_size))
    return parts


def _group_part(group: list[_Line], body_size: float) -> Part:
    text = _join_wrapped([(ln.gutter + " " + ln.text).strip() for ln in group])
    heading = bool(body_size) and group[0].size >= body_size * 1.15
    lone_bold = len(group) == 1 and group[0].bold and len(text) <= 100 and not text.endswith((".", ",", ";"))
    return Part("heading" if heading or lone_bold else "para", text)


def _proportional_parts(lines: list[_Line], body_size: float, margins: dict[int, float], gap: float) -> list[Part]:
    """Proportional lines: listings set in a proportional font are found by their C# shape, the rest is prose."""
    parts: list[Part] = []
    done = 0
    for start, end in find_listings([ln.text for ln in lines]):
        code = normalize_code(clean_code([ln.text for ln in lines[start:end]]))
        if parses_as_csharp(code):
            parts += _prose_parts(lines[done:start], body_size, margins, gap)
            parts.append(Part("code", block=CodeBlock(code, "", f"page {lines[start].page}", "")))
            done = end
    return parts + _prose_parts(lines[done:], body_size, margins, gap)


def _wrap_marks(lines: list[_Line]) -> list[_Line]:
    """Wrap marks that pdfium reads as lines of their own (minted's arrows, set in a math font) are dropped;
    the line they stand on is marked as continuing the line before."""
    only_marks = re.compile(f"(?:{_WRAP_MARK.pattern})+")
    marks = {(ln.page, round(ln.y)) for ln in lines if not ln.mono and only_marks.fullmatch(ln.text.replace(" ", ""))}
    if not marks:
        return lines
    kept = []
    for ln in lines:
        if not ln.mono and only_marks.fullmatch(ln.text.replace(" ", "")):
            continue
        if ln.mono and {(ln.page, round(ln.y) + d) for d in (-1, 0, 1)} & marks:
            ln = dataclasses.replace(ln, wrap=ln.wrap | 1)
        kept.append(ln)
    return kept


def _numbered_blanks(lines: list[_Line]) -> list[_Line]:
    """Line numbers alone between monospaced lines (empty lines of a numbered listing, their numbers set in
    the gutter's proportional font) become empty monospaced lines with those numbers."""
    k = 0
    while k < len(lines):
        end = k
        while end < len(lines) and not lines[end].mono and lines[end].text.isdigit():
            end += 1
        if end > k and 0 < k and end < len(lines) and lines[k - 1].mono and lines[end].mono \
                and all(ln.x < lines[end].x or ln.x > lines[end].x_end for ln in lines[k:end]):  # in a gutter
            code = lines[end]
            for j in range(k, end):
                lines[j] = _Line("", code.x, lines[j].y, code.size, True, code.pitch, False, code.x, lines[j].text,
                                 lines[j].x_end - 0.5 * lines[j].size, 0, lines[j].page)
        k = max(end, k + 1)
    return lines


def layout(pages: list[list[_Line]]) -> DocumentContent:
    """Page lines → prose sections and code blocks (monospaced runs continue across page breaks)."""
    body_size = _body_size(pages)
    pages = _strip_running_lines(pages, body_size)
    margins = _margins(pages)
    # Each page's text margins (of its columns): x where several proportional lines start.
    page_margins = {}
    for page in pages:
        if page:
            starts = Counter(round(ln.x) for ln in page if not ln.mono and not ln.text.isdigit())
            common = {x for x, n in starts.items() if n >= 3} | {round(margins[(page[0].page - 1) % 2])}
            page_margins[page[0].page] = sorted(common)
    lines = _numbered_blanks(_wrap_marks([ln for page in pages for ln in page]))
    typeset_quotes = typesets_quotes(pages)
    gap = _line_gap(lines)
    parts: list[Part] = []
    runs: list[list[_Line]] = []
    for line in lines:
        if runs and runs[-1][-1].mono == line.mono:
            runs[-1].append(line)
        else:
            runs.append([line])
    i = 0
    while i < len(runs):
        if not runs[i][0].mono:
            parts += _proportional_parts(runs[i], body_size, margins, gap)
            i += 1
            continue
        listing, rows, resumes, between = runs[i], _mono_code(runs[i], page_margins), set(), []
        # A listing interrupted by a short paragraph goes on after it: the pieces are one listing when only
        # together they parse (the paragraph stays prose, after the code).
        while i + 2 < len(runs) and len(runs[i + 1]) <= _MAX_INTERRUPTION and not _parses(rows, typeset_quotes):
            joined = listing + runs[i + 2]
            joined_rows = _mono_code(joined, page_margins, frozenset(resumes | {len(listing)}))
            if not _parses(joined_rows, typeset_quotes):
                break
            between += _proportional_parts(runs[i + 1], body_size, margins, gap)
            resumes.add(len(listing))
            listing, rows = joined, joined_rows
            i += 2
        parts += _mono_parts(rows, listing, typeset_quotes) + between
        i += 1
    return assemble(parts, pages=len(pages))


_MAX_INTERRUPTION = 12  # lines of prose that may stand inside one listing


def _parses(rows: list[str], typeset_quotes: bool) -> bool:
    return parses_as_csharp(normalize_code(clean_code(rows), typeset_quotes))


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        _serve()
    else:  # one file, the old way: handy for looking at what the child sends
        json.dump(read_pdf_lines(sys.argv[1]), sys.stdout)
