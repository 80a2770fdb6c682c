"""The PDF reader on PDFs made by real tools (tests/fixtures/pdf, remade by scripts/make-pdf-fixtures.sh):
pdfTeX + listings (numbers left and right, fixed and flexible columns, breaklines, frames, fancyhdr heads, two
columns, a listing resumed after a paragraph) and + minted, GNU enscript + ghostscript (portrait, with line
numbers, two columns on landscape pages), Chromium's print-to-PDF of a documentation page, LibreOffice's PDF
export of a Word document. Every listing is a real component (../shared/corpus/real-plugins, MIT) and
expected.json holds its source text."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gh_ft.collect.pdf import extract_pdf
from gh_ft.csharp.lexer import tokenize

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pdf"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))

# Components the reader does not yet recover token-exact, with why (strict: a fix makes these fail, so the
# list shrinks with the reader).
# Components the reader does not recover token-exact (or with every line's depth), with why; strict xfails,
# so a fix makes them fail and the lists shrink with the reader. None at the last count.
KNOWN_MISSES: dict[tuple[str, str], str] = {}
KNOWN_INDENT_MISSES: dict[tuple[str, str], str] = {}


def tokens(code: str) -> list[tuple[str, str]]:
    """Tokens, whitespace aside: none between tokens, none inside comments and strings."""
    return [(t.kind, "".join(t.text.split()) if t.kind in ("comment", "string", "preproc") else t.text)
            for t in tokenize(code) if t.kind != "ws"]


@pytest.fixture(scope="module")
def read():
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = extract_pdf(FIXTURES / name)
        return cache[name]
    return get


CASES = [pytest.param(pdf, k, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[(pdf, comp)])
                      if (pdf, comp) in KNOWN_MISSES else (), id=f"{pdf}:{comp}")
         for pdf, spec in EXPECTED.items() for k, comp in enumerate(spec["components"])]


@pytest.mark.parametrize("pdf,index", CASES)
def test_component_recovered_token_exact(read, pdf, index):
    want = tokens(EXPECTED[pdf]["listings"][index])
    assert want in [tokens(b.code) for b in read(pdf).code_blocks]


INDENT_CASES = [pytest.param(pdf, k, marks=pytest.mark.xfail(strict=True, reason=misses[(pdf, comp)])
                             if (pdf, comp) in (misses := KNOWN_MISSES | KNOWN_INDENT_MISSES) else (),
                             id=f"{pdf}:{comp}")
                for pdf, spec in EXPECTED.items() for k, comp in enumerate(spec["components"])]


@pytest.mark.parametrize("pdf,index", INDENT_CASES)
def test_indentation_depth_kept(read, pdf, index):
    """Each line's indentation relative to its block equals the source's (lines matched in order)."""
    source = EXPECTED[pdf]["listings"][index]
    block = next((b.code for b in read(pdf).code_blocks if tokens(b.code) == tokens(source)), None)
    assert block is not None

    def depths(code: str) -> list[tuple[int, str]]:  # depth = rank among the block's indentations
        rows = [r for r in code.split("\n") if r.strip()]
        levels = sorted({len(r) - len(r.lstrip(" ")) for r in rows})
        return [(levels.index(len(r) - len(r.lstrip(" "))), "".join(r.split())[:8]) for r in rows]

    assert depths(block) == depths(source)


@pytest.mark.parametrize("pdf", sorted(EXPECTED))
def test_prose_stays_prose_and_code_stays_out_of_it(read, pdf):
    content = read(pdf)
    prose = "\n".join(content.prose)
    code_lines = {r.strip() for listing in EXPECTED[pdf]["listings"] for r in listing.split("\n")
                  if len(r.strip()) >= 25}
    assert not [r for r in code_lines if r in prose]  # no code line in the prose
    for block in content.code_blocks:  # no prose paragraph in a code block
        assert "data access object" not in block.code and "Permission is hereby granted" not in block.code
    if EXPECTED[pdf]["producer"] in ("latex", "chromium", "libreoffice"):
        assert "Permission is hereby granted" in prose  # the licences are printed as prose


def test_running_heads_and_page_numbers_dropped(read):
    for pdf in ("latex-numbered.pdf", "enscript.pdf", "chromium.pdf"):
        text = "\n".join(read(pdf).prose + [b.code for b in read(pdf).code_blocks])
        assert "Grasshopper Components in Practice" not in text and "Printed listing" not in text
        assert "file://" not in text


def test_one_reader_child_serves_every_pdf(read):
    from gh_ft.collect import pdf as reader

    read("enscript.pdf")
    first = reader._shared_reader().proc.pid
    extract_pdf(FIXTURES / "latex-twocolumn.pdf")
    assert reader._shared_reader().proc.pid == first


def test_collect_on_the_real_tool_pdfs_keeps_code_and_prose_apart(tmp_path):
    """Through a whole collect (one reader child for all PDFs): every component becomes an example, no
    prose paragraph reaches an example's output, no code line reaches docs.jsonl."""
    import shutil

    from gh_ft.collect import collect
    from gh_ft.settings import CollectSettings

    context = tmp_path / "context"
    context.mkdir()
    for name in EXPECTED:
        shutil.copy(FIXTURES / name, context / name)
    out = tmp_path / "dataset"
    collect(CollectSettings(context_dir=context, out=out, workers=1, skeleton_variants=False))
    rows = [json.loads(line) for line in (out / "examples.jsonl").read_text(encoding="utf-8").splitlines()]
    outputs = "\n".join(r["output"] for r in rows)
    found = {r["source"].rsplit("#", 1)[-1] for r in rows}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    dropped = {d["dropped"].rsplit("#", 1)[-1] for d in manifest["near_duplicates"]}
    components = {c for spec in EXPECTED.values() for c in spec["components"]}
    assert components <= found | dropped
    for sentence in ("data access object", "Permission is hereby granted", "toolbar tab and panel"):
        assert sentence not in outputs
    docs = (out / "docs.jsonl").read_text(encoding="utf-8")
    code_lines = {r.strip() for spec in EXPECTED.values() for listing in spec["listings"]
                  for r in listing.split("\n") if len(r.strip()) >= 25 and not r.strip().startswith("//")}
    assert not [line for line in code_lines if json.dumps(line)[1:-1] in docs]


def test_typesetting_is_undone_in_code_only():
    from gh_ft.collect.pdf import normalize_code

    code = "char c = \u2019x\u2019; var s = \u201cdon\u2019t\u201d; // it\u2019s \u2013 fine\nint n = a \u2013 1;\u00a0\ufb01le();"
    assert normalize_code(code) == "char c = 'x'; var s = \"don\u2019t\"; // it\u2019s \u2013 fine\nint n = a - 1; file();"
    # A producer known to print every ASCII quote as a typographic one (TeX listings): comments and strings too.
    assert normalize_code("// don\u2019t use \u2018x\u2019\nvar s = \"it\u2019s\";", typeset_quotes=True) == \
        "// don't use `x'\nvar s = \"it's\";"


def test_a_crashed_or_stalled_reader_is_one_error_and_the_next_pdf_reads(tmp_path):
    """The reader child is shared by all PDFs: when it dies or stalls on one, that PDF gets one clear
    error and the next PDF gets a fresh child."""
    import os
    import signal

    from gh_ft.collect import pdf as reader
    from gh_ft.collect.documents import DocumentError

    child = reader._shared_reader()
    os.kill(child.proc.pid, signal.SIGKILL)
    child.proc.wait()
    with pytest.raises(DocumentError, match="reader failed|exited"):
        child.read(str(FIXTURES / "enscript.pdf"), 30)
    assert extract_pdf(FIXTURES / "enscript.pdf").code_blocks  # a fresh child
    with pytest.raises(DocumentError, match="longer than"):
        extract_pdf(FIXTURES / "latex-numbered.pdf", timeout=0.001)
    assert extract_pdf(FIXTURES / "chromium.pdf").code_blocks
