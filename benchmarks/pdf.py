"""gh-ft's PDF reader against pdfminer.six on the same real-tool PDFs, in one run.

The PDFs are tests/fixtures/pdf/*.pdf (pdfTeX listings, enscript + ghostscript, Chromium, LibreOffice; or a
folder given with --pdfs, e.g. one made by `scripts/make-pdf-fixtures.sh heldout DIR`). Each reader gets every
file --rounds times, alternately; the best round counts, by wall clock and by CPU time (the machine is
shared). gh-ft's time includes its layout (code blocks, prose) and its isolated reader process (its CPU time
too), which lives for the whole run as in a collect.

    python benchmarks/pdf.py [--pdfs DIR] [--rounds 5]      (pdfminer.six: pip install -e .[benchmark])

With --recovery it measures instead how many of the listings in DIR/expected.json (written by
tests/fixtures/pdf/make_sources.py) come back token-exact (whitespace aside) and with every line's depth, per PDF:

    scripts/make-pdf-fixtures.sh heldout /tmp/heldout-pdfs && python benchmarks/pdf.py --recovery --pdfs /tmp/heldout-pdfs
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gh_ft.collect.pdf import close_reader, extract_pdf, reader_cpu_seconds  # noqa: E402


def timed(read, files: list[Path]) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of this process and of gh-ft's reader child) to read every file."""
    start, cpu = time.perf_counter(), time.process_time() + reader_cpu_seconds()
    for f in files:
        read(f)
    return time.perf_counter() - start, time.process_time() + reader_cpu_seconds() - cpu


def tokens(code: str) -> list[tuple[str, str]]:
    """Tokens, whitespace aside: none between tokens, none inside comments and strings."""
    from gh_ft.csharp.lexer import tokenize

    return [(t.kind, "".join(t.text.split()) if t.kind in ("comment", "string", "preproc") else t.text)
            for t in tokenize(code) if t.kind != "ws"]


def depths(code: str) -> list[tuple[int, str]]:
    """Each non-blank line's depth in its block (the rank of its indentation among the block's indentations:
    depth, not a count of spaces, since a printed listing's column widths are the producer's), with its
    first characters (whitespace aside)."""
    rows = [r for r in code.split("\n") if r.strip()]
    levels = sorted({len(r) - len(r.lstrip(" ")) for r in rows})
    return [(levels.index(len(r) - len(r.lstrip(" "))), "".join(r.split())[:8]) for r in rows]


def recovery(folder: Path) -> None:
    import json

    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    total = exact = indented = 0
    for name, spec in expected.items():
        blocks = [b.code for b in extract_pdf(folder / name).code_blocks]
        by_tokens = {tuple(tokens(b)): b for b in blocks}
        got = [by_tokens.get(tuple(tokens(src))) for src in spec["listings"]]
        n_exact = sum(b is not None for b in got)
        n_indent = sum(b is not None and depths(b) == depths(src) for b, src in zip(got, spec["listings"]))
        missed = [c for c, b in zip(spec["components"], got) if b is None]
        print(f"{name:24} token-exact {n_exact}/{len(got)}, depths kept {n_indent}/{len(got)}"
              + (f"; missed: {', '.join(missed)}" if missed else ""))
        total, exact, indented = total + len(got), exact + n_exact, indented + n_indent
    print(f"all: token-exact {exact}/{total}, depths kept {indented}/{total}")
    close_reader()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdfs", type=Path, default=ROOT / "tests" / "fixtures" / "pdf")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--recovery", action="store_true", help="measure recovery against expected.json instead")
    args = parser.parse_args()
    if args.recovery:
        recovery(args.pdfs)
        return
    from pdfminer.high_level import extract_text

    files = sorted(args.pdfs.glob("*.pdf"))
    pages = sum(extract_pdf(f).pages for f in files)  # also starts gh-ft's reader child, as a collect would
    # Rounds alternate between the readers so that both meet the same load on a shared machine. Wall-clock
    # figures there depend on the neighbours; CPU seconds (the reader child's included) much less.
    ours, theirs = [], []
    for _ in range(args.rounds):
        ours.append(timed(extract_pdf, files))
        theirs.append(timed(extract_text, files))
    close_reader()
    print(f"{len(files)} PDFs, {pages} pages, {args.rounds} alternating rounds (best round each)")
    for label, i in (("wall-clock", 0), ("CPU time", 1)):
        mine, other = min(r[i] for r in ours), min(r[i] for r in theirs)
        print(f"{label:10}  gh-ft {pages / mine:7.1f} pages/s   pdfminer.six {pages / other:7.1f} pages/s   "
              f"ratio {other / mine:.1f}x")


if __name__ == "__main__":
    main()
