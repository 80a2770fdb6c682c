"""gh_ft.collect.documents: Markdown, plain text, PDF and .docx → code blocks + prose.

PDF and .docx fixtures are generated here with reportlab and python-docx, so what
they contain (indentation, page breaks, fonts, styles) is known exactly.
"""
from __future__ import annotations

import random
import textwrap
import zipfile
from pathlib import Path

import pytest

from gh_ft.collect.documents import (CodeBlock, DocumentContent, DocumentError, extract_docx, extract_markdown,
                                     extract_plain_text)
from gh_ft.collect.pdf import extract_pdf
from gh_ft.csharp.parse import parses_cleanly

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_context"

COMPONENT = textwrap.dedent("""\
    using System;
    using Grasshopper.Kernel;
    using Rhino.Geometry;

    namespace Demo
    {
        public class MidpointComponent : GH_Component
        {
            public MidpointComponent()
              : base("Midpoint", "Mid", "Curve midpoint", "Demo", "Curves")
            {
            }

            protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
            {
                pManager.AddCurveParameter("Curve", "C", "Curve", GH_ParamAccess.item);
            }

            protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
            {
                pManager.AddPointParameter("Point", "P", "Midpoint", GH_ParamAccess.item);
            }

            protected override void SolveInstance(IGH_DataAccess DA)
            {
                Curve curve = null;
                if (!DA.GetData(0, ref curve)) return;
                DA.SetData(0, curve.PointAtNormalizedLength(0.5));
            }

            public override Guid ComponentGuid => new Guid("0b6c1a57-3f0e-4f5c-9d55-2f1d7c3a9e10");
        }
    }""")

PROSE_1 = ("Grasshopper calls SolveInstance once per iteration of the input data, so the component "
           "only ever needs to think about a single curve and a single number at a time.")
PROSE_2 = ("Tolerances must come from the Rhino document; a hard-coded value works in millimetres "
           "and silently breaks in models measured in metres.")


def codes(content: DocumentContent) -> list[str]:
    return [b.code for b in content.code_blocks]


# ---------------------------------------------------------------- Markdown

MARKDOWN = """# Notes

Intro paragraph about the plug-in and what these notes cover in some detail.

## Data access

Read inputs with DA.GetData and return early when it fails.

```csharp
var a = 1;
```

```cs
int b = 2;
```

```C#
int c = 3;
```

```
COMPONENT_HERE
```

```
This is just some console output, not code
```

```python
import Rhino
print("hi")
```

~~~csharp
int tilde = 4;
~~~

````csharp
// a fence inside a fence
```
int four = 5;
````

## Ok

x

## Unclosed

The last block has no closing fence.

```csharp
if (x)
{
    y();
}
""".replace("COMPONENT_HERE", COMPONENT)


def test_markdown_fences():
    content = extract_markdown(MARKDOWN)
    assert codes(content) == [
        "var a = 1;", "int b = 2;", "int c = 3;", COMPONENT, "int tilde = 4;",
        "// a fence inside a fence\n```\nint four = 5;", "if (x)\n{\n    y();\n}"]
    assert [b.language for b in content.code_blocks] == ["csharp", "cs", "c#", "", "csharp", "csharp", "csharp"]
    everything = "\n".join(content.prose + codes(content))
    assert "console output" not in everything and "import Rhino" not in everything  # dropped, not prose


def test_markdown_context_location_and_sections():
    content = extract_markdown(MARKDOWN)
    first = content.code_blocks[0]
    assert first.location == "line 9"
    assert first.context.splitlines()[0] == "Data access"
    assert "return early when it fails" in first.context
    assert content.code_blocks[-1].context.startswith("Unclosed\n")
    assert content.prose[0].startswith("# Notes\n\nIntro paragraph")
    assert content.prose[1] == "## Data access\n\nRead inputs with DA.GetData and return early when it fails."
    assert not any("## Ok" in p for p in content.prose)  # tiny section skipped
    assert not any("```" in p for p in content.prose)


def test_markdown_indented_fence_is_dedented_and_front_matter_skipped():
    text = "---\ntitle: x\n---\n# T\n\n- item with code:\n\n    ```csharp\n    if (a)\n        b();\n    ```\n"
    content = extract_markdown(text)
    assert codes(content) == ["if (a)\n    b();"]
    assert content.code_blocks[0].location == "line 8"
    assert not any("title: x" in p for p in content.prose)


def test_unlabeled_member_snippet_counts_as_csharp():
    text = "```\nprotected override void SolveInstance(IGH_DataAccess DA)\n{\n    DA.SetData(0, 1);\n}\n```\n"
    assert len(extract_markdown(text).code_blocks) == 1
    assert extract_markdown("```\nls -la /tmp\n```\n").code_blocks == []


# ---------------------------------------------------------------- plain text

def test_plain_text_fenced_and_unfenced_listings():
    text = (f"Workflow notes\n\n{PROSE_1}\n\n```cs\nint x = 1;\n```\n\nPasted straight from the IDE:\n\n"
            f"{COMPONENT}\n\n{PROSE_2}\nMore words follow here to close the note properly.\n")
    content = extract_plain_text(text)
    assert codes(content) == ["int x = 1;", COMPONENT]
    assert [b.language for b in content.code_blocks] == ["cs", ""]
    assert content.code_blocks[1].location == f"line {text.splitlines().index('using System;') + 1}"
    assert "Pasted straight from the IDE" in content.code_blocks[1].context
    prose = "\n".join(content.prose)
    assert PROSE_1 in prose and PROSE_2 in prose and "GH_Component" not in prose


def test_plain_text_listing_without_closing_brace_stops_at_prose():
    text = ("public class Broken : GH_Component\n{\n    int x;\n\n"
            "This sentence is prose and it talks about the component at length.\n"
            "Another sentence of prose follows with quite a few words in it.\n"
            "And a third one, which makes it clearly a paragraph of text.\n")
    content = extract_plain_text(text)
    assert codes(content) == ["public class Broken : GH_Component\n{\n    int x;"]
    assert "This sentence is prose" in content.prose[0]


# ---------------------------------------------------------------- PDF fixtures

HEADER = "Grasshopper Component Cookbook"
LISTING = textwrap.dedent("""\
    using Grasshopper.Kernel;
    using Rhino.Geometry;

    public class SpacedComponent : GH_Component
    {
        // aligned:  two spaces  inside
        public SpacedComponent()
          : base("Spaced", "Sp", "Keeps spacing", "Demo", "Text")
        {
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            double a = 1.0;
            if (a > 0)
            {
                DA.SetData(0, a);
            }
        }
    }""")
SPLIT_AT = 9  # listing lines on page 1; the rest goes to page 2


def _draw_page(c, number: int, left: float, body: list[tuple[str, float, str]]) -> None:
    """Header, footer page number, then (font, size, text) lines from the top; '' text = blank line."""
    c.setFont("Helvetica", 9)
    c.drawString(left, 760, HEADER)
    c.drawCentredString(306, 30, str(number))
    y = 720.0
    for font, size, text in body:
        if text:
            c.setFont(font, size)
            indent = len(text) - len(text.lstrip(" "))
            width = c.stringWidth(" " * indent, font, size)
            c.drawString(left + width, y, text.lstrip(" ")) if font == "Courier" else c.drawString(left, y, text)
        y -= size * 1.25 if font != "Courier" else 11
    c.showPage()


def _prose_lines(text: str, width: int = 80) -> list[tuple[str, float, str]]:
    return [("Times-Roman", 11, line) for line in textwrap.wrap(text, width)] + [("Times-Roman", 11, "")]


def make_book_pdf(path: Path, pages_of_prose: int = 2) -> None:
    """Page 1: heading, prose, start of LISTING; page 2 (other margin): rest of it, prose; more prose pages."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(612, 792))
    code = [("Courier", 9, "    " + ln if ln else "") for ln in LISTING.split("\n")]  # inset like a book
    heading = [("Helvetica-Bold", 16, "Data access"), ("Times-Roman", 11, "")]
    intro = _prose_lines(PROSE_1 + " The listing below shows it.")
    page1 = heading + intro + [("Courier", 9, ln) for _, _, ln in code[:SPLIT_AT]]
    _draw_page(c, 1, 72, [(f, s, t) for f, s, t in page1])
    _draw_page(c, 2, 90, code[SPLIT_AT:] + [("Times-Roman", 11, "")] + _prose_lines(PROSE_2))
    for n in range(pages_of_prose):
        _draw_page(c, 3 + n, 72 if n % 2 == 0 else 90,
                   [("Helvetica-Bold", 16, f"Section {n + 2}"), ("Times-Roman", 11, "")]
                   + _prose_lines(f"Page {3 + n} explains data trees, paths and branches in a paragraph "
                                  "long enough to wrap over several lines of the page. " * 2))
    c.save()


@pytest.fixture(scope="module")
def book_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "book.pdf"
    make_book_pdf(path)
    return path


@pytest.fixture(scope="module")
def book(book_pdf) -> DocumentContent:
    return extract_pdf(book_pdf)


def test_pdf_listing_across_page_break_with_indentation(book):
    assert book.pages == 4
    assert codes(book) == [LISTING]  # inner double spaces and the blank lines included
    assert book.code_blocks[0].location == "page 1"
    assert book.code_blocks[0].language == ""


def test_pdf_headers_footers_removed(book):
    text = "\n".join(book.prose + codes(book))
    assert HEADER not in text
    assert not any(line.strip().isdigit() for p in book.prose for line in p.splitlines())


def test_pdf_prose_headings_and_context(book):
    assert book.prose[0].startswith("Data access\n\n")
    assert PROSE_1 in book.prose[0]  # wrapped lines joined back into one paragraph
    assert any(PROSE_2 in p for p in book.prose)
    assert any(p.startswith("Section 3\n\nPage 4 explains data trees") for p in book.prose)
    context = book.code_blocks[0].context
    assert context.startswith("Data access\n") and "The listing below shows it." in context


def test_pdf_in_process_reading_gives_the_same_result(book_pdf, book):
    assert extract_pdf(book_pdf, isolate=False) == book


def test_pdf_short_monospace_snippet_is_code(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "snippet.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("Times-Roman", 11)
    c.drawString(72, 700, "Read the input and stop when nothing arrived:")
    c.setFont("Courier", 9)
    c.drawString(72, 680, "if (!DA.GetData(0, ref curve))")
    c.drawString(72 + c.stringWidth("    ", "Courier", 9), 669, "return;")
    c.save()
    content = extract_pdf(path)
    assert codes(content) == ["if (!DA.GetData(0, ref curve))\n    return;"]


def test_pdf_bad_files_raise_document_error(tmp_path, book_pdf):
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(random.Random(1).randbytes(5000))
    headed = tmp_path / "headed.pdf"
    headed.write_bytes(b"%PDF-1.4\n" + random.Random(2).randbytes(5000) + b"\n%%EOF\n")
    data = book_pdf.read_bytes()
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(data[: len(data) // 2])
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    for path, words in [(garbage, "not a valid PDF"), (headed, "not a valid PDF"), (truncated, "truncated"),
                        (empty, "not a valid PDF"), (tmp_path / "missing.pdf", "cannot read")]:
        with pytest.raises(DocumentError, match=words):
            extract_pdf(path)
        with pytest.raises(DocumentError):
            extract_pdf(path, isolate=False)


def test_pdf_encrypted_blank_and_slow(tmp_path, book_pdf):
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    locked = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(locked), encrypt=StandardEncryption("user-secret", "owner-secret"))
    c.drawString(72, 700, "secret")
    c.save()
    with pytest.raises(DocumentError, match="password"):
        extract_pdf(locked)
    blank = tmp_path / "blank.pdf"
    c = canvas.Canvas(str(blank))
    c.showPage()
    c.save()
    with pytest.raises(DocumentError, match="no extractable text"):
        extract_pdf(blank)
    with pytest.raises(DocumentError, match="longer than"):
        extract_pdf(book_pdf, timeout=0.001)


# ---------------------------------------------------------------- docx fixtures

def _code_lines(document, lines: list[str], font: str = "Consolas") -> None:
    for line in lines:
        run = document.add_paragraph().add_run(line)
        run.font.name = font


def make_docx(path: Path) -> None:
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    document.add_heading("Component guide", 0)
    document.add_heading("Inputs", 1)
    document.add_paragraph(PROSE_1)
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([("Parameter type", "Method", "Access"), ("Curve", "AddCurveParameter", "item")]):
        for col, text in enumerate(row):
            table.cell(r, col).text = text
    document.add_heading("Listing", 1)
    document.add_paragraph("The whole component, in Consolas:")
    lines = COMPONENT.split("\n")
    _code_lines(document, lines[:3])
    document.add_paragraph()  # an empty paragraph inside the code stays a blank line
    _code_lines(document, lines[4:])
    document.add_heading("Styles", 2)
    document.add_paragraph(PROSE_2)
    style = document.styles.add_style("Code Block", WD_STYLE_TYPE.PARAGRAPH)
    style.font.name = "Arial"  # the style name says code, whatever the font
    document.add_paragraph("int styled = 1;", style="Code Block")
    document.add_paragraph("Between the blocks comes an ordinary sentence of prose text.")
    mono_style = document.styles.add_style("Listing Body", WD_STYLE_TYPE.PARAGRAPH)
    mono_style.font.name = "Courier New"
    breaks = document.add_paragraph(style="Listing Body")
    breaks.add_run("int a = 1;")
    breaks.add_run().add_break()
    breaks.add_run("    int b = 2;")
    document.add_paragraph("Typed fences work too:")
    for line in ["```csharp", "if (ok)", "    Run();", "```"]:
        document.add_paragraph(line)
    document.add_paragraph("And the end of the document has one more closing sentence.")
    document.save(str(path))


@pytest.fixture(scope="module")
def guide(tmp_path_factory) -> DocumentContent:
    path = tmp_path_factory.mktemp("docx") / "guide.docx"
    make_docx(path)
    return extract_docx(path)


def test_docx_code_blocks(guide):
    assert codes(guide) == [COMPONENT, "int styled = 1;", "int a = 1;\n    int b = 2;", "if (ok)\n    Run();"]
    assert [b.language for b in guide.code_blocks] == ["", "", "", "csharp"]
    first = guide.code_blocks[0]
    assert first.location == "paragraph 6"
    assert first.context == "Listing\nThe whole component, in Consolas:"


def test_docx_prose_table_and_headings(guide):
    assert guide.prose[0].startswith("# Inputs\n\n" + PROSE_1)
    assert "Parameter type | Method | Access\nCurve | AddCurveParameter | item" in guide.prose[0]
    assert any(p.startswith("## Styles\n\n" + PROSE_2) for p in guide.prose)
    assert not any("GH_Component" in p or "```" in p for p in guide.prose)


def test_docx_bad_files_raise_document_error(tmp_path):
    not_zip = tmp_path / "random.docx"
    not_zip.write_bytes(random.Random(3).randbytes(4000))
    zip_garbage = tmp_path / "zip.docx"
    with zipfile.ZipFile(zip_garbage, "w") as z:
        z.writestr("[Content_Types].xml", "<Types>not really")
        z.writestr("word/document.xml", random.Random(4).randbytes(300))
    good = tmp_path / "good.docx"
    make_docx(good)
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(good.read_bytes()[:3000])
    for path in (not_zip, zip_garbage, truncated, tmp_path / "missing.docx"):
        with pytest.raises(DocumentError, match="docx|no such file"):
            extract_docx(path)


# ---------------------------------------------------------------- committed samples

def _sample(name: str) -> DocumentContent:
    path = SAMPLE / name
    if path.suffix == ".pdf":
        return extract_pdf(path)
    if path.suffix == ".docx":
        return extract_docx(path)
    text = path.read_text(encoding="utf-8")
    return extract_markdown(text) if path.suffix == ".md" else extract_plain_text(text)


@pytest.mark.parametrize("name", ["docs/grasshopper_notes.pdf", "docs/component_guide.docx",
                                  "notes/vector_tools.md", "notes/workflow.txt"])
def test_samples_have_components_and_prose(name):
    content = _sample(name)
    components = [b for b in content.code_blocks if ": GH_Component" in b.code]
    assert components and all(parses_cleanly(b.code) for b in content.code_blocks)
    assert all(isinstance(b, CodeBlock) and b.context for b in components)
    assert content.prose and all(len(p) >= 40 for p in content.prose)


def test_sample_pdf_listing_spans_pages_whole():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "data" / "make_sample_documents.py")
    samples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(samples)
    content = _sample("docs/grasshopper_notes.pdf")
    assert content.pages >= 4
    assert not any(samples.BOOK_TITLE in p for p in content.prose)
    listing = content.code_blocks[0].code

    def non_blank(code: str) -> list[str]:  # the page break swallowed one blank line of the original
        return [line for line in code.split("\n") if line.strip()]

    assert non_blank(listing) == non_blank(samples.OFFSET_EXTRUDE)
    assert content.code_blocks[1].code == samples.TOLERANCE_HELPER
    md = _sample("notes/vector_tools.md")
    assert [b.language for b in md.code_blocks] == ["csharp", ""]
    assert codes(md) == [samples.POINT_CLOUD_BOUNDS, samples.PROJECT_VECTOR]
