"""The evaluation report opened the way a person opens it: in a real browser.

Debian's chromium (scripts/install-system-packages.sh), headless, driven by Playwright
through `executable_path` (Playwright's own browser downloads are not used). The page must
load without a console error or a failed request, every plot (the inline SVG charts, and
any <img>) must be drawn with a non-zero size, the base-vs-tuned table and the per-stage
funnel must be there; a screenshot is saved next to the report for a person to look at.
"""
from __future__ import annotations

import shutil

from test_evaluate import _built_report
from tools import require_module, require_tool


def _chromium() -> str:
    path = require_tool("chromium", "the browser the report test drives")
    # Debian's /usr/bin/chromium is a launcher script; Playwright wants the binary it starts
    binary = "/usr/lib/chromium/chromium"
    return binary if shutil.which(binary) else path


def test_report_renders_in_headless_chromium(tmp_path):
    from gh_ft.evaluate.run import write_reports

    require_module("playwright", "drives the browser: pip install 'gh-ft[dev]'")
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    report = _built_report()
    paths = write_reports(report, tmp_path / "eval")
    screenshot = paths["html"].with_name("report.png")
    console_errors, page_errors, failed = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(paths["html"].resolve().as_uri(), wait_until="load")
            plots = page.evaluate("""() => [
                ...[...document.querySelectorAll('svg.chart')].map(s => {
                    const r = s.getBoundingClientRect();
                    return {id: s.id, kind: 'svg', width: r.width, height: r.height,
                            bars: [...s.querySelectorAll('rect')].filter(b => b.getBBox().width > 0).length};
                }),
                ...[...document.images].map(i => ({id: i.src, kind: 'img', width: i.naturalWidth,
                                                   height: i.naturalHeight, complete: i.complete, bars: 1})),
            ]""")
            headings = page.locator("h2").all_inner_texts()
            summary = page.locator("table").first
            header = summary.locator("th").all_inner_texts()
            summary_rows = summary.locator("tr").count() - 1
            funnel_labels = page.eval_on_selector_all("#funnel text", "ts => ts.map(t => t.textContent)")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()

    assert console_errors == [] and page_errors == [] and failed == [], (console_errors, page_errors, failed)
    assert {p["id"] for p in plots if p["kind"] == "svg"} == {"funnel", "comparison"}, plots
    for plot in plots:
        assert plot["width"] > 0 and plot["height"] > 0 and plot["bars"] > 0, plot
        assert plot.get("complete", True), plot
    # the base-vs-tuned table: one row per metric, model and baseline side by side
    assert "Summary" in headings and header == ["metric", "model", "baseline", "difference"]
    # stages, pass@k, then chrF, tokens/s, latency, tasks and the spec stage's field match rate
    assert summary_rows == len(report["stages"]) + len(report["aggregates"]["pass_at_k"]) + 5
    assert "Model vs baseline" in headings
    # the per-stage funnel: every stage of the ladder, with its passed count
    assert "Stage funnel" in headings
    for stage in report["stages"]:
        assert stage in funnel_labels, (stage, funnel_labels)
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000
