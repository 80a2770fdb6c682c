"""The evaluation report as Markdown and as one self-contained HTML file.

Pure renderers of the report dict built by run.py. The HTML carries its CSS and SVG
charts inline and loads nothing (no scripts, fonts or images), so it can be mailed,
archived or opened offline; every model-written text goes through html.escape.
"""
from __future__ import annotations

import html
import re
from typing import Any

COLORS = {"pass": "#2e7d32", "unknown": "#f0a500", "fail": "#c62828", "not_reached": "#c9c9c9",
          "model": "#1f5fa8", "baseline": "#9e9e9e"}
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# ---------------------------------------------------------------- shared

def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _signed(x: float | None, scale: float = 1.0, suffix: str = "", digits: int = 1) -> str:
    return "—" if x is None else f"{x * scale:+.{digits}f}{suffix}"


def summary_rows(report: dict) -> list[tuple[str, str, str, str]]:
    """(metric, model, baseline, model − baseline) as display strings."""
    m, b, d = report["aggregates"], report.get("baseline_aggregates"), report.get("difference") or {}
    rows = [(f"pass rate: {st}", _pct(m["pass_rate"].get(st)), _pct(b["pass_rate"].get(st)) if b else "—",
             _signed(d.get("pass_rate", {}).get(st), 100, " pt")) for st in report["stages"]]
    rows += [(f"pass@{k}", _pct(v), _pct(b["pass_at_k"].get(k)) if b else "—",
              _signed(d.get("pass_at_k", {}).get(k), 100, " pt")) for k, v in m["pass_at_k"].items()]
    rows += [(label, _num(m[key], digits), _num(b[key], digits) if b else "—", _signed(d.get(key), digits=digits))
             for label, key, digits in (("chrF (first sample)", "chrf", 1), ("tokens/s (mean)", "tokens_per_second", 1),
                                        ("latency p50 (s)", "latency_p50", 2), ("latency p90 (s)", "latency_p90", 2))]
    # The spec stage, field by field: what the task asked (name, category, inputs/outputs) that the answer has.
    rows.append(("spec: fields matched", _pct(m.get("spec_match_rate")),
                 _pct(b.get("spec_match_rate")) if b else "—",
                 _signed(None if not b or m.get("spec_match_rate") is None or b.get("spec_match_rate") is None
                         else m["spec_match_rate"] - b["spec_match_rate"], 100, " pt")))
    return rows


def _fence(code: str) -> str:
    """A backtick fence longer than any run inside the code."""
    longest = max((len(r) for r in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# ---------------------------------------------------------------- Markdown

def render_markdown(report: dict) -> str:
    s, model, base = report["settings"], report["model"], report.get("baseline")
    out = [f"# gh-ft evaluation: {model['name']}", "",
           f"- created: {report['created']}", f"- backend: {model['kind']} ({model['name']})",
           f"- baseline: {base['name'] if base else 'none'}",
           f"- tasks: {s['tasks']} from {s['data_dir']}; n={s['n']}, k={s['k']}, temperature={s['temperature']}, "
           f"max_new_tokens={s['max_new_tokens']}, seed={s['seed']}", "", "## Summary", "",
           "| metric | model | baseline | difference |", "|---|---:|---:|---:|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in summary_rows(report)]
    out += ["", "## Stage funnel (all samples)", "",
            "| stage | pass | unknown | fail | not reached | still standing | references pass |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for row, fun in zip(report["aggregates"]["stages"], report["aggregates"]["funnel"]):
        out.append(f"| {row['stage']} | {row['pass']} | {row['unknown']} | {row['fail']} | {row['not_reached']} "
                   f"| {fun['standing']} | {_pct(report['reference_pass_rate'].get(row['stage']))} |")
    out += ["", "## Tasks", "", "| task | instruction | verdict | stage | chrF | tokens/s | latency (s) | baseline |",
            "|---|---|---|---|---:|---:|---:|---|"]
    for t in report["tasks"]:
        bl = f"{t['baseline']['verdict']} ({t['baseline']['stage']})" if t.get("baseline") else "—"
        out.append(f"| {t['id']} | {_md_cell(t['instruction'])} | {t['verdict']} | {t['stage']} | {t['chrf']:.1f} "
                   f"| {t['tokens_per_second']:.1f} | {t['latency_s']:.2f} | {bl} |")
    for t in report["tasks"]:
        out += ["", f"### {t['id']}: {t['verdict']} at {t['stage']}", "", _md_cell(t["instruction"]), ""]
        out += [f"- {r}" for r in t["reasons"]] + ([""] if t["reasons"] else [])
        fence = _fence(t["code"])
        out += [f"{fence}csharp", t["code"].rstrip("\n"), fence]
    out += ["", "## Artifacts", ""] + [f"- {name}: {path}" for name, path in report.get("artifacts", {}).items()]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- HTML

def _e(text: Any) -> str:
    """Escaped for HTML; control characters (random models write them) become U+FFFD."""
    return html.escape(_CONTROL_RE.sub("\ufffd", str(text)), quote=True)


def funnel_svg(report: dict, key: str = "aggregates", element_id: str = "funnel") -> str:
    """One stacked bar per stage: pass, unknown, fail, not reached (of all samples)."""
    rows = report[key]["stages"]
    total = max((r["pass"] + r["unknown"] + r["fail"] + r["not_reached"] for r in rows), default=0) or 1
    label_w, bar_w, row_h, width = 110, 440, 26, 660
    parts = [f'<svg id="{element_id}" class="chart" viewBox="0 0 {width} {len(rows) * row_h + 30}" '
             f'width="{width}" role="img" aria-label="stage funnel">']
    for i, r in enumerate(rows):
        y, x = 6 + i * row_h, label_w
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_e(r["stage"])}</text>')
        for part in ("pass", "unknown", "fail", "not_reached"):
            w = bar_w * r[part] / total
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="20" fill="{COLORS[part]}">'
                             f'<title>{_e(r["stage"])}: {r[part]} {part.replace("_", " ")}</title></rect>')
            x += w
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 15}">{r["passed"]}/{total} passed</text>')
    y = len(rows) * row_h + 20
    for j, part in enumerate(("pass", "unknown", "fail", "not_reached")):
        parts.append(f'<rect x="{label_w + j * 110}" y="{y - 10}" width="12" height="12" fill="{COLORS[part]}"/>'
                     f'<text x="{label_w + j * 110 + 16}" y="{y}">{part.replace("_", " ")}</text>')
    return "".join(parts) + "</svg>"


def comparison_svg(report: dict) -> str:
    """Model vs baseline: pass rate per stage, pass@k, chrF, each on a 0–100 scale."""
    m, b = report["aggregates"], report["baseline_aggregates"]
    metrics = [(f"pass {st}", 100 * m["pass_rate"][st], 100 * b["pass_rate"][st]) for st in report["stages"]]
    metrics += [(f"pass@{k}", 100 * v, 100 * b["pass_at_k"].get(k, 0.0)) for k, v in m["pass_at_k"].items()]
    metrics.append(("chrF", m["chrf"], b["chrf"]))
    label_w, bar_w, group_h, width = 110, 440, 40, 660
    parts = [f'<svg id="comparison" class="chart" viewBox="0 0 {width} {len(metrics) * group_h + 44}" '
             f'width="{width}" role="img" aria-label="model versus baseline">']
    for i, (label, mv, bv) in enumerate(metrics):
        y = 6 + i * group_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 20}" text-anchor="end">{_e(label)}</text>')
        for j, (who, v) in enumerate((("model", mv), ("baseline", bv))):
            w = bar_w * max(0.0, min(v, 100.0)) / 100
            parts.append(f'<rect x="{label_w}" y="{y + j * 16}" width="{w:.1f}" height="14" fill="{COLORS[who]}">'
                         f'<title>{who}: {v:.1f}</title></rect>'
                         f'<text x="{label_w + w + 6:.1f}" y="{y + j * 16 + 11}">{v:.1f}</text>')
    y = len(metrics) * group_h + 20
    for j, who in enumerate(("model", "baseline")):
        name = report["model" if who == "model" else "baseline"]["name"]
        parts.append(f'<rect x="{label_w}" y="{y - 10 + j * 16}" width="12" height="12" fill="{COLORS[who]}"/>'
                     f'<text x="{label_w + 16}" y="{y + j * 16}">{_e(who)}: {_e(name)}</text>')
    return "".join(parts) + "</svg>"


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}
h1{font-size:1.5em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border-bottom:1px solid #e5e5e5;padding:4px 8px;
text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}
.chart{max-width:100%;height:auto;font-size:12px}.chart text{fill:#333}
.v{padding:1px 6px;border-radius:3px;color:#fff;font-size:12px}.v-pass{background:#2e7d32}.v-fail{background:#c62828}
.v-unknown{background:#f0a500}pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:480px;font-size:12px}
summary{cursor:pointer;color:#1f5fa8}ul.reasons{margin:0;padding-left:1.2em}.muted{color:#777}
"""


def _badge(verdict: str) -> str:
    return f'<span class="v v-{_e(verdict)}">{_e(verdict)}</span>'


def _task_rows(report: dict) -> str:
    out = []
    for t in report["tasks"]:
        reasons = "".join(f"<li>{_e(r)}</li>" for r in t["reasons"])
        b = t.get("baseline")
        out.append(f"<tr><td>{_e(t['id'])}</td><td>{_e(t['instruction'])}</td><td>{_badge(t['verdict'])}</td>"
                   f"<td>{_e(t['stage'])}</td><td><ul class=\"reasons\">{reasons}</ul></td>"
                   f"<td class=\"n\">{t['chrf']:.1f}</td><td class=\"n\">{t['tokens_per_second']:.1f}</td>"
                   f"<td class=\"n\">{t['latency_s']:.2f}</td>"
                   f"<td>{(_badge(b['verdict']) + ' ' + _e(b['stage'])) if b else '—'}</td></tr>")
        details = (f"<details><summary>code ({t['tokens']} tokens, {t['correct']}/{t['n']} samples passed)</summary>"
                   f"<pre><code>{_e(t['code'])}</code></pre></details>")
        if b:
            details += (f"<details><summary>baseline code ({b['tokens']} tokens)</summary>"
                        f"<pre><code>{_e(b['code'])}</code></pre></details>")
        out.append(f'<tr class="code"><td></td><td colspan="8">{details}</td></tr>')
    return "".join(out)


def render_html(report: dict) -> str:
    s, model, base = report["settings"], report["model"], report.get("baseline")
    summary = "".join(f"<tr><td>{_e(a)}</td><td class=\"n\">{_e(b)}</td><td class=\"n\">{_e(c)}</td>"
                      f"<td class=\"n\">{_e(d)}</td></tr>" for a, b, c, d in summary_rows(report))
    settings = "".join(f"<li>{_e(k)}: {_e(v)}</li>" for k, v in s.items())
    inputs = [("model", model.get("model")), ("adapter", model.get("adapter")),
              ("baseline model", base.get("model") if base else None)]
    artifacts = "".join(f"<li>{_e(name)}: <code>{_e(path)}</code></li>"
                        for name, path in [*report.get("artifacts", {}).items(), *((n, p) for n, p in inputs if p)])
    compare = (f"<h2>Model vs baseline</h2>{comparison_svg(report)}" if report.get("baseline_aggregates") else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>gh-ft evaluation: {_e(model['name'])}</title><style>{_CSS}</style></head><body>
<h1>gh-ft evaluation: {_e(model['name'])}</h1>
<p class="muted">{_e(report['created'])} · backend {_e(model['kind'])}
· baseline {_e(base['name'] if base else 'none')}
· {s['tasks']} task(s) × n={s['n']}</p>
<h2>Summary</h2><table><tr><th>metric</th><th>model</th><th>baseline</th><th>difference</th></tr>{summary}</table>
<h2>Stage funnel</h2>{funnel_svg(report)}
{compare}
<h2>Tasks</h2><table><tr><th>task</th><th>instruction</th><th>verdict</th><th>stage</th><th>reasons</th><th>chrF</th>
<th>tokens/s</th><th>latency (s)</th><th>baseline</th></tr>{_task_rows(report)}</table>
<h2>Settings</h2><ul>{settings}</ul>
<h2>Artifacts</h2><ul>{artifacts}</ul>
</body></html>
"""


# ---------------------------------------------------------------- terminal (gh-ft report)

def find_task(report: dict, task: str | int | None) -> dict:
    """A task row by id ("test-003") or by 1-based position; the first when None."""
    rows = report["tasks"]
    if task is None or task == "":
        return rows[0]
    for row in rows:
        if row["id"] == str(task):
            return row
    try:
        index = int(task)
    except ValueError:
        index = 0
    if 1 <= index <= len(rows):
        return rows[index - 1]
    raise ValueError(f"no task {task!r} in the report: its {len(rows)} tasks are "
                     f"{rows[0]['id']} … {rows[-1]['id']} (or 1 … {len(rows)})")


def _verdict_header(who: str, view: dict) -> str:
    why = "; ".join(view["reasons"]) if view["reasons"] else ""
    return f"{who}: {view['verdict']} at {view['stage']}, chrF {view['chrf']:.1f}, {view['tokens']} tokens" + (
        f" — {why}" if why else "")


def _answer(view: dict) -> str:
    """The extracted component, or the whole answer when none could be extracted."""
    if view.get("code"):
        return view["code"]
    samples = view.get("samples") or [{}]
    return samples[0].get("text") or "(empty answer)"


def render_text(report: dict, task: str | int | None = None, *, side_by_side: bool = True, width: int = 120) -> str:
    """The summary table, then one task: its instruction and the model's and the baseline's
    answers with their verdicts, side by side (or one after another)."""
    from gh_ft.evaluate.generate import lay_out

    names = [report["model"].get("name", "model")] + ([report["baseline"].get("name", "baseline")]
                                                        if report.get("baseline") else [])
    lines = [f"{report['settings']['tasks']} tasks; " + " vs ".join(names)]
    label = max(len(r[0]) for r in summary_rows(report))
    lines.append(f"{'':<{label}}  {'model':>10}  {'baseline':>10}  {'difference':>10}")
    lines += [f"{m:<{label}}  {a:>10}  {b:>10}  {d:>10}" for m, a, b, d in summary_rows(report)]
    row = find_task(report, task)
    lines += ["", f"== {row['id']}: {row['instruction']}",
              f"   (the reference answer: {row['reference_verdict']} at {row['reference_stage']})", ""]
    blocks = [(_verdict_header(f"model {names[0]}", row), _answer(row))]
    if row.get("baseline"):
        blocks.append((_verdict_header(f"baseline {names[1]}", row["baseline"]), _answer(row["baseline"])))
    return "\n".join(lines) + "\n" + lay_out(blocks, side_by_side=side_by_side, width=width)
