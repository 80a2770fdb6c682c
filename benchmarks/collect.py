"""Collector throughput on a generated corpus.

Prints: .cs files/s and MB/s for a cold collect (all cores), PDF pages/s for document
extraction, and the time of an unchanged re-run (scaled to 10,000 files).

    python benchmarks/collect.py [--files 2000] [--pdf-pages 200] [--workers 0]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import make_component  # noqa: E402
from benchmarks.corpus import write_corpus  # noqa: E402
from gh_ft.collect import collect  # noqa: E402
from gh_ft.collect.pdf import extract_pdf  # noqa: E402
from gh_ft.settings import CollectSettings  # noqa: E402


def make_pdf(path: Path, pages: int) -> None:
    """A book-like PDF: running header, page numbers, prose and monospace listings."""
    import random

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    rng = random.Random(1)
    c = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    lines: list[str] = []
    i = 0
    while len(lines) < pages * 50:
        lines += ["Components read their inputs through IGH_DataAccess and write outputs the same way."] * 3
        lines += make_component(i, rng)[1].split("\n")
        i += 1
    for p in range(pages):
        c.setFont("Helvetica", 9)
        c.drawString(72, height - 40, "Grasshopper Component Cookbook")
        c.drawString(width / 2, 30, str(p + 1))
        c.setFont("Courier", 8)
        y = height - 70
        for line in lines[p * 50:(p + 1) * 50]:
            c.drawString(60, y, line)
            y -= 13.5
        c.showPage()
    c.save()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--pdf-pages", type=int, default=200)
    ap.add_argument("--workers", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ctx = tmp / "ctx"
        write_corpus(ctx, args.files)
        mb = sum(p.stat().st_size for p in ctx.rglob("*.cs")) / 1e6
        settings = CollectSettings(context_dir=ctx, out=tmp / "ds", workers=args.workers)
        t0 = time.perf_counter()
        report = collect(settings)
        cold = time.perf_counter() - t0
        print(f"cores: {os.cpu_count()}, workers: {args.workers or os.cpu_count()}")
        print(f"cold collect: {args.files} .cs files ({mb:.1f} MB), {report.counts['components']} components, "
              f"{report.counts['near_duplicates_dropped']} near-duplicates dropped: {cold:.2f} s "
              f"= {args.files / cold:.0f} files/s, {mb / cold:.2f} MB/s")

        t0 = time.perf_counter()
        again = collect(settings)
        rerun = time.perf_counter() - t0
        assert again.unchanged
        print(f"unchanged re-run: {rerun:.3f} s for {args.files} files "
              f"= {rerun * 10_000 / args.files:.2f} s per 10,000 files")

        for p in ctx.rglob("*.cs"):
            os.utime(p)
        t0 = time.perf_counter()
        touched = collect(settings)
        t_touch = time.perf_counter() - t0
        print(f"re-run after touching every file's mtime (read + hash, no parse): {t_touch:.3f} s "
              f"(unchanged: {touched.unchanged})")

        t0 = time.perf_counter()
        forced = collect(settings, force=True)
        t_forced = time.perf_counter() - t0
        print(f"forced rebuild from the cache (classify, dedup, split, write; parsed {forced.counts['files_parsed']}): "
              f"{t_forced:.2f} s")

        pdf = tmp / "book.pdf"
        make_pdf(pdf, args.pdf_pages)
        t0 = time.perf_counter()
        content = extract_pdf(pdf)
        t_pdf = time.perf_counter() - t0
        print(f"PDF: {content.pages} pages in {t_pdf:.2f} s = {content.pages / t_pdf:.0f} pages/s, "
              f"{len(content.code_blocks)} listings recovered")


if __name__ == "__main__":
    main()
