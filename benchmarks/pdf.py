"""gh-ft's PDF reader against pdfminer.six on the same real-tool PDFs, in one run.

The PDFs are tests/fixtures/pdf/*.pdf (pdfTeX listings, enscript + ghostscript, Chromium, LibreOffice; or a
folder given with --pdfs, e.g. one made by `scripts/make-pdf-fixtures.sh heldout DIR`). Each reader gets every
file --rounds times; the best round counts (the machine is shared). gh-ft's time includes its layout (code
blocks, prose) and its isolated reader process, which lives for the whole run as in a collect.

    python benchmarks/pdf.py [--pdfs DIR] [--rounds 3]      (pdfminer.six: pip install -e .[benchmark])
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gh_ft.collect.pdf import close_reader, extract_pdf  # noqa: E402


def best_time(read, files: list[Path], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for f in files:
            read(f)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdfs", type=Path, default=ROOT / "tests" / "fixtures" / "pdf")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from pdfminer.high_level import extract_text

    files = sorted(args.pdfs.glob("*.pdf"))
    pages = sum(extract_pdf(f).pages for f in files)  # also starts gh-ft's reader child, as a collect would
    ours = best_time(extract_pdf, files, args.rounds)
    theirs = best_time(extract_text, files, args.rounds)
    close_reader()
    print(f"{len(files)} PDFs, {pages} pages, best of {args.rounds} rounds")
    print(f"gh-ft reader (pypdfium2 + layout): {pages / ours:7.1f} pages/s")
    print(f"pdfminer.six extract_text:         {pages / theirs:7.1f} pages/s")
    print(f"ratio: {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
