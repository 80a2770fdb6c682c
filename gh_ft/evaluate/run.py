"""`gh-ft evaluate`: generate answers to the held-out tasks, judge them, report.

The edges read the test split and the plugin's sources, run backends and write the
reports; the middle (judging, metrics, the report dict) is pure. A baseline (the base
model, usually) answers the same prompts with the same settings, so the report can
say what fine-tuning changed.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from gh_ft.evaluate.backends import Backend, check_sampling
from gh_ft.csharp.declarations import FileDecls, read_declarations
from gh_ft.errors import GhFtError
from gh_ft.files import atomic_write_json, atomic_write_text, read_jsonl
from gh_ft.prompt import GENERATION, render_prompt
from gh_ft.evaluate import metrics
from gh_ft.judge.spec import compare_spec, spec_of
from gh_ft.judge.ladder import FAIL, StageResult, extract_code, judge, judge_many

Progress = Callable[[str], None]
SHORT = 100  # characters of an instruction shown in tables


# ---------------------------------------------------------------- reading (the edge)

def load_tasks(data_dir: Path | str, limit: int | None = None) -> list[dict]:
    """Rows of test.jsonl (alpaca: instruction, input, output = the reference answer)."""
    path = Path(data_dir) / "test.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: evaluation needs the dataset's test split (gh-ft collect)")
    tasks = []
    for i, row in enumerate(read_jsonl(path), 1):
        if not isinstance(row.get("instruction"), str) or not isinstance(row.get("output"), str):
            raise ValueError(f"{path}: row {i} lacks a string instruction or output")
        tasks.append({"id": f"test-{i:03d}", "instruction": row["instruction"], "input": row.get("input") or "",
                      "reference": row["output"]})
    if not tasks:
        raise ValueError(f"{path} holds no tasks")
    return tasks[:limit] if limit else tasks


def load_context(paths: Iterable[Path | str]) -> list[FileDecls]:
    """Declarations of the plugin's own sources (.cs files, or folders of them), so the
    judge can follow components deriving from the plugin's base classes."""
    from gh_ft.collect.sources import NotText, decode_text

    decls = []
    for p in map(Path, paths):
        for src in sorted(p.rglob("*.cs")) if p.is_dir() else [p]:
            try:
                text = decode_text(src.read_bytes())[0]
                decl = read_declarations(str(src), text)
                decl.source = text   # the judge compiles the plugin whole into its context assembly
                decls.append(decl)
            except (OSError, NotText):
                continue  # an unreadable file only narrows what the judge can resolve
    return decls


def parse_ks(k: str | int | Sequence[int]) -> tuple[int, ...]:
    """"1,5" / 5 / (1, 5) -> (1, 5)."""
    if isinstance(k, str):
        values = [int(x) for x in k.split(",") if x.strip()]
    else:
        values = [k] if isinstance(k, int) else list(k)
    if not values or any(v < 1 for v in values):
        raise ValueError(f"k must be positive integers, not {k!r}")
    return tuple(sorted(set(values)))


def backend_info(backend: Backend) -> dict[str, Any]:
    info = getattr(backend, "info", None)
    return info() if callable(info) else {"kind": backend.kind, "name": backend.name}


# ---------------------------------------------------------------- one model's run

def run_model(backend: Backend, tasks: Sequence[dict], *, n: int, temperature: float, max_new_tokens: int,
              seed: int, context: Sequence[FileDecls] = (), progress: Progress | None = None,
              references: Sequence[str] = ()) -> dict:
    """Generate n answers per task and judge each: {"info", "elapsed_s", "samples": [[sample]]}."""
    check_sampling(max_new_tokens, temperature, n)
    prompts = [render_prompt(t["instruction"], t["input"]) for t in tasks]
    if progress:
        progress(f"{backend.name}: generating {n} answer(s) to {len(tasks)} task(s)")
    t0 = time.perf_counter()
    generations = backend.generate(prompts, max_new_tokens=max_new_tokens, temperature=temperature, n=n, seed=seed)
    elapsed = time.perf_counter() - t0
    flat = [(task, g) for task, gens in zip(tasks, generations, strict=True) for g in gens]
    # All answers in one judge_many call: the compile stage shares mcs calls between them.
    verdicts = iter(judge_many([g.text for _, g in flat], context=context, references=references))
    specs = [spec_of(extract_code(t["reference"]), context) for t in tasks]
    samples = [[judge_sample(g.text, g.tokens, g.seconds, task["reference"], context, next(verdicts), spec)
                for g in gens]
               for task, gens, spec in zip(tasks, generations, specs, strict=True)]
    return {"info": backend_info(backend), "elapsed_s": elapsed, "samples": samples}


def judge_sample(text: str, tokens: int, seconds: float, reference: str, context: Sequence[FileDecls],
                 judgement=None, spec: dict | None = None) -> dict:
    """One answer's row. With the task's `spec` (its reference's metadata), the `spec`
    stage follows the ladder when the ladder did not fail: a component that compiles but
    ignores what was asked is not a success; the field match rate is kept either way."""
    j = judgement if judgement is not None else judge(text, context=context)
    row: dict = {}
    if spec is not None:
        result = compare_spec(j.code, spec, context)
        row["spec"] = result.to_dict()
        if j.verdict != FAIL:
            j.stages.append(StageResult("spec", result.verdict, result.reasons))
    return {"text": text, "code": j.code, "tokens": tokens, "seconds": seconds,
            "tokens_per_second": tokens / seconds if seconds > 0 else 0.0,
            "chrf": metrics.chrf(text, reference), **j.to_dict(), **row}


# ---------------------------------------------------------------- the report dict (pure)

def short(text: str, width: int = SHORT) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[:width - 1] + "…"


def _task_view(samples: list[dict], stage: str) -> dict:
    first = samples[0]
    return {"stage": first["stage"], "verdict": first["verdict"], "reasons": first["reasons"],
            "stages": first["stages"], "chrf": first["chrf"], "code": first["code"],
            "tokens": first["tokens"], "tokens_per_second": first["tokens_per_second"],
            "latency_s": first["seconds"], "n": len(samples),
            "correct": sum(metrics.passed(s["stages"], stage) for s in samples),
            "samples": samples}


def aggregate(samples: Sequence[Sequence[dict]], ks: Sequence[int], stages: Sequence[str]) -> dict:
    out = metrics.summarize([[s["stages"] for s in ss] for ss in samples], [ss[0]["chrf"] for ss in samples],
                            [s["tokens"] for ss in samples for s in ss], [s["seconds"] for ss in samples for s in ss],
                            ks, stages)
    specs = [s["spec"] for ss in samples for s in ss if s.get("spec")]
    compared = sum(sp["compared"] for sp in specs)
    # Field by field over every answer: name, nickname, category, subcategory, each input/output.
    out["spec_match_rate"] = sum(sp["matched"] for sp in specs) / compared if compared else None
    return out


def build_report(tasks: Sequence[dict], model_run: dict, baseline_run: dict | None, settings: dict,
                 ks: Sequence[int], references: Sequence[dict]) -> dict:
    """Everything the reports show, as one JSON-ready dict."""
    runs = [model_run] + ([baseline_run] if baseline_run else [])
    seen = [s["stages"] for run in runs for ss in run["samples"] for s in ss] + [r["stages"] for r in references]
    stages = metrics.stage_order(seen)
    final = stages[-1]
    rows = []
    for i, task in enumerate(tasks):
        row = {"id": task["id"], "instruction": short(task["instruction"]),
               "reference_verdict": references[i]["verdict"], "reference_stage": references[i]["stage"],
               **_task_view(model_run["samples"][i], final)}
        if baseline_run:
            row["baseline"] = _task_view(baseline_run["samples"][i], final)
        rows.append(row)
    model_agg = aggregate(model_run["samples"], ks, stages)
    base_agg = aggregate(baseline_run["samples"], ks, stages) if baseline_run else None
    return {
        "kind": "gh-ft-evaluation", "version": 1,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "model": {**model_run["info"], "elapsed_s": model_run["elapsed_s"]},
        "baseline": {**baseline_run["info"], "elapsed_s": baseline_run["elapsed_s"]} if baseline_run else None,
        "settings": {**settings, "k": list(ks), "tasks": len(tasks)},
        "stages": stages,
        "aggregates": model_agg,
        "baseline_aggregates": base_agg,
        "difference": metrics.difference(model_agg, base_agg) if base_agg else None,
        # The judge on the references themselves: the ceiling a perfect model would reach.
        "reference_pass_rate": {st: sum(metrics.passed(r["stages"], st) for r in references) / len(references)
                                for st in stages},
        "tasks": rows,
        "artifacts": {},
    }


BackendOrFactory = Backend | Callable[[], Backend]


@contextlib.contextmanager
def _opened(b: BackendOrFactory) -> Iterator[Backend]:
    """A backend as given (the caller closes it), or one made by a factory now and closed
    after its run: only one model is in memory at a time."""
    if hasattr(b, "generate"):
        yield b  # type: ignore[misc]
        return
    made = b()
    try:
        yield made
    finally:
        made.close()


def evaluate(data_dir: Path | str, backend: BackendOrFactory, *, n: int = 1, k: str | Sequence[int] = (1,),
             limit: int | None = None, context_files: Iterable[Path | str] = (),
             baseline_backend: BackendOrFactory | None = None, max_new_tokens: int = GENERATION.max_new_tokens,
             temperature: float = GENERATION.temperature, seed: int = 0, progress: Progress | None = None,
             references: Iterable[Path | str] = ()) -> dict:
    """Evaluate `backend` (and `baseline_backend`, on the same tasks and settings) on the
    test split of `data_dir`; returns the report dict. Backends may be given as factories."""
    ks = parse_ks(k)
    if max(ks) > n:
        raise ValueError(f"pass@{max(ks)} needs at least {max(ks)} samples per task (n={n})")
    check_sampling(max_new_tokens, temperature, n)
    tasks = load_tasks(data_dir, limit)  # a bad dataset fails before any model loads
    context_files = [str(p) for p in context_files]
    context = load_context(context_files)
    dlls = [str(r) for r in references]   # DLLs the plugin uses (the judge's --reference)
    opts = dict(n=n, temperature=temperature, max_new_tokens=max_new_tokens, seed=seed, context=context,
                progress=progress, references=dlls)
    with _opened(backend) as b:
        model_run = run_model(b, tasks, **opts)
    baseline_run = None
    if baseline_backend is not None:
        with _opened(baseline_backend) as b:
            baseline_run = run_model(b, tasks, **opts)
    references = [j.to_dict() for j in judge_many([t["reference"] for t in tasks], context=context, references=dlls)]
    settings = {"data_dir": str(data_dir), "n": n, "limit": limit, "temperature": temperature,
                "max_new_tokens": max_new_tokens, "seed": seed, "context_files": context_files,
                "context_declarations": len(context), "reference_dlls": dlls}
    return build_report(tasks, model_run, baseline_run, settings, ks, references)


# ---------------------------------------------------------------- writing (the edge)

def write_reports(report: dict, out_dir: Path | str) -> dict[str, Path]:
    """report.json, report.md and a self-contained report.html in out_dir (atomic writes)."""
    from gh_ft.evaluate.report import render_html, render_markdown

    out = Path(out_dir)
    paths = {"json": out / "report.json", "markdown": out / "report.md", "html": out / "report.html"}
    report = {**report, "artifacts": {**report.get("artifacts", {}), **{f"report.{p.suffix[1:]}": str(p)
                                                                         for p in paths.values()}}}
    atomic_write_json(paths["json"], report)
    atomic_write_text(paths["markdown"], render_markdown(report))
    atomic_write_text(paths["html"], render_html(report))
    return paths


class ReportError(GhFtError, ValueError):
    """No evaluation report where one was asked for."""


def find_report(settings, where: Path | None = None) -> Path:
    """report.json given as a file, a folder holding it, or a run folder (its eval/); without
    `where`, the newest report among the project's runs and evals folders."""
    if where is not None:
        where = Path(where).absolute()
        for candidate in (where, where / "report.json", where / "eval" / "report.json"):
            if candidate.is_file():
                return candidate
        raise ReportError(f"no evaluation report at {where} (a report.json, its folder or a run folder)")
    found = [p for p in (*settings.runs_dir.glob("*/eval/report.json"), *settings.evals_dir.glob("*/report.json"))
             if p.is_file()]
    if not found:
        raise ReportError(f"no evaluation report in {settings.runs_dir} or {settings.evals_dir}: "
                          "run `gh-ft run` or `gh-ft evaluate` first")
    return max(found, key=lambda p: p.stat().st_mtime_ns)


def default_out(evals_dir: Path, name: str) -> Path:
    """<time>-<model> in the project's evals/ folder: where a report goes when no folder is named."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return evals_dir / f"{stamp}-{re.sub(r'[^A-Za-z0-9._-]+', '-', name).strip('-')[:60]}"
