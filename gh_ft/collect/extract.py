"""One source file's bytes → what the collector needs from it (runs in worker processes).

The result depends on the bytes and the kind only (not on the path), so it is cached
by content hash. Secrets are redacted before anything is parsed, so nothing derived
from a secret can reach the dataset.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field

from gh_ft.csharp.components import class_unit, may_be_component
from gh_ft.csharp.declarations import FileDecls, read_declarations
from gh_ft.dataset import CodeSketch, sketch
from gh_ft.collect.code import skeleton_decl
from gh_ft.collect import documents, pdf
from gh_ft.collect.secrets import redact_secrets
from gh_ft.collect.sources import NotText, decode_text


@dataclass
class CodeBlockDecls:
    """A code block of a document, with the classes it declares."""
    decls: FileDecls
    units: dict[int, PreparedUnit]
    code: str
    context: str
    location: str


@dataclass
class PreparedUnit:
    """Per-class work done once, in the worker, and cached: whether the class is a
    component is only known across files, but its unit text, near-duplicate sketch and
    skeleton variant depend on its own file alone."""
    unit: str
    sketch: CodeSketch
    skeleton: str | None


def prepare_units(decls: FileDecls) -> dict[int, PreparedUnit]:
    prepared = {}
    for i, decl in enumerate(decls.classes):
        if may_be_component(decl):
            unit = class_unit(decl, decls)
            stub = skeleton_decl(decl)
            prepared[i] = PreparedUnit(unit, sketch(unit), class_unit(stub, decls) if stub else None)
    return prepared


@dataclass
class FileResult:
    kind: str
    encoding: str = ""
    decls: FileDecls | None = None                   # .cs files
    units: dict[int, PreparedUnit] = field(default_factory=dict)  # class index → prepared unit
    code_blocks: list[CodeBlockDecls] = field(default_factory=list)  # documents
    prose: list[str] = field(default_factory=list)
    pages: int = 0
    redactions: list[tuple[int, str, str]] = field(default_factory=list)  # (line, kind, where: '' or a block's location)
    skipped: str | None = None                       # reason the file was not used
    note: str = ""                                   # e.g. a parse fallback was used


def _redact(text: str, enabled: bool, result: FileResult, where: str = "") -> str:
    if not enabled:
        return text
    clean, found = redact_secrets(text)
    result.redactions.extend((r.line, r.kind, where) for r in found)
    return clean


def _document_content(kind: str, data: bytes, result: FileResult) -> documents.DocumentContent:
    if kind in ("markdown", "text"):
        text, result.encoding = decode_text(data)
        return documents.extract_markdown(text) if kind == "markdown" else documents.extract_plain_text(text)
    # pdfium and python-docx read paths; the bytes may come from a cache miss in another process.
    suffix = ".pdf" if kind == "pdf" else ".docx"
    fd, tmp = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return pdf.extract_pdf(tmp) if kind == "pdf" else documents.extract_docx(tmp)
    except documents.DocumentError as e:  # the manifest names the file: the temporary copy's name is noise
        raise documents.DocumentError(str(e).replace(f" ({tmp})", "").replace(tmp, "the file")) from None
    finally:
        os.unlink(tmp)


def extract_source(kind: str, data: bytes, redact: bool = True) -> FileResult:
    """Never raises for bad input: a file that cannot be used comes back with `skipped`."""
    result = FileResult(kind)
    try:
        if kind == "csharp":
            text, result.encoding = decode_text(data)
            text = _redact(text, redact, result)
            result.decls = read_declarations("", text)
            result.units = prepare_units(result.decls)
            if result.decls.parse_errors:
                result.note = f"{result.decls.parse_errors} parse error(s); class spans checked by brace matching"
            return result
        content = _document_content(kind, data, result)
        result.pages = content.pages
        for block in content.code_blocks:
            code = _redact(block.code, redact, result, f"code block at {block.location}")
            context = _redact(block.context, redact, result, f"text at {block.location}") if block.context else ""
            decls = read_declarations("", code)
            result.code_blocks.append(CodeBlockDecls(decls, prepare_units(decls), code, context, block.location))
        result.prose = [_redact(p, redact, result, f"prose section {i + 1}") for i, p in enumerate(content.prose)]
    except NotText as e:
        result.skipped = str(e)
    except documents.DocumentError as e:
        result.skipped = str(e)
    except (MemoryError, RecursionError) as e:
        result.skipped = f"too complex to process ({type(e).__name__})"
    except Exception as e:  # noqa: BLE001 - one bad file must never stop a collection run
        result.skipped = f"unexpected error while reading: {type(e).__name__}: {e}"
    return result
