"""Evaluation: metrics by hand, the report renderers on a built report, and the whole
`gh-ft evaluate` path on the tiny model, tuned (adapter) vs base."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gh_ft.evaluate import metrics
from gh_ft.judge.ladder import FAIL, PASS, UNKNOWN, Judgement, StageResult

SAMPLE_SRC = Path(__file__).resolve().parents[1] / "data" / "sample_context" / "src"

GOOD = '''using System;
using System.Collections.Generic;
using Grasshopper.Kernel;
using Rhino.Geometry;

namespace Demo
{
    public class PointsComponent : GH_Component
    {
        public PointsComponent() : base("Points", "Pts", "Make points", "Demo", "Points") { }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddIntegerParameter("Count", "N", "How many", GH_ParamAccess.item, 3);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddPointParameter("Points", "P", "Points", GH_ParamAccess.list);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            int count = 3;
            if (!DA.GetData(0, ref count)) return;
            var points = new List<Point3d>();
            for (int i = 0; i < count; i++) points.Add(new Point3d(i, 0, 0));
            DA.SetDataList(0, points);
        }

        public override Guid ComponentGuid => new Guid("5d7a1c2e-3b4f-4e6a-9c8d-1e2f3a4b5c6d");
    }
}
'''


def _j(*stages: tuple[str, str]) -> Judgement:
    return Judgement("", [StageResult(s, v, [f"{s} {v}"] if v != PASS else []) for s, v in stages])


# ---------------------------------------------------------------- metrics

def test_pass_at_k_matches_the_codex_estimator():
    assert metrics.pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert metrics.pass_at_k(10, 3, 5) == pytest.approx(1 - math.comb(7, 5) / math.comb(10, 5))
    assert metrics.pass_at_k(10, 0, 5) == 0.0
    assert metrics.pass_at_k(10, 6, 5) == 1.0  # fewer than k wrong samples: some draw of k holds a right one
    assert metrics.pass_at_k(200, 17, 100) == pytest.approx(1 - math.comb(183, 100) / math.comb(200, 100))
    with pytest.raises(ValueError):
        metrics.pass_at_k(1, 0, 5)
    assert metrics.mean_pass_at_k([(10, 3), (10, 0)], [1, 5, 20]) == {
        1: pytest.approx(0.15), 5: pytest.approx((1 - math.comb(7, 5) / math.comb(10, 5)) / 2)}


def test_chrf_identical_and_a_hand_computed_case():
    assert metrics.chrf("public class A {}", "public class A {}") == pytest.approx(100.0)
    assert metrics.chrf("abc", "xyz") == 0.0
    assert metrics.chrf("", "abc") == 0.0
    # "ab" vs "abc": order 1 P=2/2 R=2/3, order 2 P=1/1 R=1/2, orders 3..6 absent from "ab".
    # Mean P=1, R=7/12; F2 = 5·P·R / (4·P + R) = (35/12) / (55/12) = 7/11.
    assert metrics.chrf("ab", "abc") == pytest.approx(700 / 11)
    assert metrics.chrf("a b", "ab c") == pytest.approx(700 / 11)  # whitespace is ignored, as in sacrebleu


def test_chrf_agrees_with_sacrebleu():
    sacrebleu = pytest.importorskip("sacrebleu.metrics")
    ref = GOOD
    for hyp in (GOOD[:300], GOOD.replace("Points", "Pts"), "class X : GH_Component { }"):
        assert metrics.chrf(hyp, ref) == pytest.approx(sacrebleu.CHRF().sentence_score(hyp, [ref]).score)


def test_stage_counts_and_funnel_from_judgements():
    judgements = [
        _j(("extract", PASS), ("syntax", PASS), ("structure", PASS), ("api", PASS), ("compile", PASS)),
        _j(("extract", PASS), ("syntax", PASS), ("structure", UNKNOWN), ("api", PASS), ("compile", FAIL)),
        _j(("extract", PASS), ("syntax", FAIL)),
        _j(("extract", FAIL)),
    ]
    samples = [metrics.stage_verdicts(j) for j in judgements]
    assert metrics.stage_verdicts(judgements[2].to_dict()) == samples[2]
    stages = metrics.stage_order(reversed(samples))
    assert stages == ["extract", "syntax", "structure", "api", "compile"]
    counts = {r["stage"]: r for r in metrics.stage_counts(samples, stages)}
    assert (counts["extract"]["pass"], counts["extract"]["fail"]) == (3, 1)
    assert (counts["syntax"]["pass"], counts["syntax"]["fail"], counts["syntax"]["not_reached"]) == (2, 1, 1)
    assert (counts["structure"]["pass"], counts["structure"]["unknown"], counts["structure"]["passed"]) == (1, 1, 2)
    assert counts["structure"]["pass_rate"] == 0.5  # unknown passes: one file cannot decide it
    assert (counts["compile"]["pass"], counts["compile"]["fail"], counts["compile"]["not_reached"]) == (1, 1, 2)
    assert metrics.funnel(samples, stages) == [("extract", 3), ("syntax", 2), ("structure", 2), ("api", 2),
                                               ("compile", 1)]


def test_percentiles_and_timings():
    assert metrics.percentile([1, 2, 3, 4], 50) == 2.5
    assert metrics.percentile([5.0], 90) == 5.0
    t = metrics.timing_stats([10, 30], [1.0, 2.0])
    assert t["tokens_per_second"] == pytest.approx(12.5) and t["latency_p50"] == pytest.approx(1.5)


# ---------------------------------------------------------------- backends

def test_unknown_backend_lists_the_known_ones():
    from gh_ft.evaluate.backends import get_backend

    with pytest.raises(ValueError, match="transformers"):
        get_backend("nope", "model")


def test_greedy_sampling_refuses_several_samples():
    from gh_ft.evaluate.backends import check_sampling, finish_text

    with pytest.raises(ValueError, match="n must be 1"):
        check_sampling(16, 0.0, 5)
    check_sampling(16, 0.8, 5)
    assert finish_text(" using System;\n### Instruction:\nmore") == "using System;\n"


# ---------------------------------------------------------------- report (pure, on a built report)

def _fake_run(name: str, texts: list[list[str]], reference: str) -> dict:
    from gh_ft.evaluate.run import judge_sample

    return {"info": {"kind": "fake", "name": name}, "elapsed_s": 1.0,
            "samples": [[judge_sample(t, 20, 0.5 + i, reference, ()) for i, t in enumerate(ts)] for ts in texts]}


def _built_report() -> dict:
    from gh_ft.judge.ladder import judge
    from gh_ft.evaluate.run import build_report

    tasks = [{"id": f"test-{i:03d}", "instruction": f"Write component {i}", "input": "", "reference": GOOD}
             for i in (1, 2)]
    # Final stage: task 1 has 1 of 2 samples through, task 2 none.
    model = _fake_run("tuned", [[GOOD, "no code here"], ["class Broken {", "class Broken { void F() { } }"]], GOOD)
    base = _fake_run("base", [["nothing", "still nothing"], ["public class A : Foo {}", "class Broken {"]], GOOD)
    refs = [judge(GOOD).to_dict() for _ in tasks]
    return build_report(tasks, model, base, {"data_dir": "d", "n": 2, "limit": None, "temperature": 0.8,
                                             "max_new_tokens": 64, "seed": 0}, [1, 2], refs)


def test_report_aggregates_and_difference():
    report = _built_report()
    agg, base = report["aggregates"], report["baseline_aggregates"]
    assert report["stages"][:3] == ["extract", "syntax", "structure"]  # + api, compile when the judge has them
    assert (agg["samples"], agg["tasks"]) == (4, 2)
    assert [t["correct"] for t in report["tasks"]] == [1, 0]
    assert agg["pass_at_k"] == {"1": pytest.approx(0.25), "2": pytest.approx(0.5)}
    assert base["pass_at_k"] == {"1": 0.0, "2": 0.0}
    assert (agg["pass_rate"]["extract"], base["pass_rate"]["extract"]) == (0.75, 0.5)
    assert (agg["pass_rate"]["syntax"], base["pass_rate"]["syntax"]) == (0.5, 0.25)
    assert report["difference"]["pass_rate"]["extract"] == pytest.approx(0.25)
    assert report["difference"]["pass_at_k"]["2"] == pytest.approx(0.5)
    assert report["difference"]["chrf"] == pytest.approx(agg["chrf"] - base["chrf"])
    assert report["tasks"][0]["chrf"] == pytest.approx(100.0)  # the first sample is the reference itself
    assert (report["tasks"][1]["stage"], report["tasks"][1]["verdict"]) == ("syntax", FAIL)
    assert report["reference_pass_rate"]["structure"] == 1.0


def test_report_html_is_self_contained_and_escapes_code(tmp_path):
    from gh_ft.evaluate.run import write_reports

    paths = write_reports(_built_report(), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.html", "report.json", "report.md"]
    html = paths["html"].read_text(encoding="utf-8")
    assert "<script src" not in html and "http" not in html and "<link" not in html
    assert 'id="funnel"' in html and 'id="comparison"' in html and "<details>" in html
    assert "List&lt;Point3d&gt;" in html and "List<Point3d>" not in html
    for path in paths.values():  # every artifact is listed
        assert str(path) in html and str(path) in paths["markdown"].read_text(encoding="utf-8")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert set(data["artifacts"]) == {"report.json", "report.md", "report.html"}


def test_report_text_shows_a_task_side_by_side_with_verdicts():
    from gh_ft.evaluate.report import find_task, render_text

    report = _built_report()
    text = render_text(report, "2", width=100)
    assert "pass rate: extract" in text and "== test-002: Write component 2" in text
    row = report["tasks"][1]
    assert f"model tuned: {row['verdict']} at {row['stage']}" in text
    assert f"baseline base: {row['baseline']['verdict']} at {row['baseline']['stage']}" in text
    body = text.split("== test-002", 1)[1].splitlines()[3:]
    assert body and all(len(line) <= 100 for line in body) and any(" | " in line for line in body)
    first = render_text(report, None, side_by_side=False)
    assert "== test-001" in first and "=== model tuned: pass" in first and "List<Point3d>" in first
    assert find_task(report, "test-002") is report["tasks"][1]
    with pytest.raises(ValueError, match=r"no task '7' in the report: its 2 tasks are test-001 … test-002"):
        find_task(report, "7")


def test_gh_ft_report_finds_the_newest_report_and_errors_in_one_line(tmp_path):
    import subprocess
    import sys
    import time

    from gh_ft.evaluate.run import write_reports

    root = Path(__file__).resolve().parents[1]
    (tmp_path / "gh-ft.yml").write_text("train:\n  runs_dir: runs\n")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "gh_ft", "--config", "gh-ft.yml", "report", *args],
                              capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(root),
                                                                                 "PATH": "/usr/bin:/bin"})

    empty = cli()
    assert empty.returncode == 1 and empty.stderr.count("\n") == 1 and "no evaluation report in" in empty.stderr
    old = write_reports(_built_report(), tmp_path / "runs" / "r1" / "eval")["json"]
    time.sleep(0.01)
    report = _built_report()
    report["model"]["name"] = "newer"
    write_reports(report, tmp_path / "evals" / "e1")
    shown = cli("--width", "90")
    assert shown.returncode == 0 and "model newer:" in shown.stdout and "evals/e1/report.json" in shown.stdout
    by_run = cli(str(old.parent.parent), "--task", "test-002")
    assert by_run.returncode == 0 and "model tuned:" in by_run.stdout and "== test-002" in by_run.stdout
    bad = cli(str(old.parent.parent), "--task", "9")
    assert bad.returncode == 1 and "no task '9'" in bad.stderr and "Traceback" not in bad.stderr


# ---------------------------------------------------------------- end to end on the tiny model

def test_transformers_backend_is_deterministic_with_the_seed(tiny_model_dir):
    from gh_ft.evaluate.backends import get_backend
    from gh_ft.prompt import render_prompt

    backend = get_backend("transformers", str(tiny_model_dir), batch_size=2)
    try:
        prompts = [render_prompt("Write a component"), render_prompt("Write a longer component", "with input")]
        a = backend.generate(prompts, max_new_tokens=12, temperature=0.9, n=2, seed=7)
        b = backend.generate(prompts, max_new_tokens=12, temperature=0.9, n=2, seed=7)
        assert [[g.text for g in gs] for gs in a] == [[g.text for g in gs] for gs in b]
        assert all(len(gs) == 2 and all(0 < g.tokens <= 12 and g.seconds > 0 for g in gs) for gs in a)
        greedy = backend.generate(prompts, max_new_tokens=12)
        assert [len(gs) for gs in greedy] == [1, 1]
    finally:
        backend.close()


def test_evaluate_tiny_model_tuned_vs_base(trained_run, tiny_model_dir, sample_dataset, tmp_path):
    from gh_ft import stages
    from gh_ft.evaluate.run import load_tasks
    from gh_ft.settings import load_settings

    settings = load_settings(cwd=tmp_path, overrides={
        "train": {"data_dir": sample_dataset},
        "evaluate": {"backend": "transformers", "limit": 3, "max_new_tokens": 48, "context": [SAMPLE_SRC]}})
    _, paths = stages.evaluate(settings, model=str(tiny_model_dir), adapter=str(trained_run.paths.output_dir),
                               baseline=str(tiny_model_dir), out=tmp_path / "eval")
    assert all(p.is_file() for p in paths.values()) and set(paths) == {"json", "markdown", "html"}

    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    tasks = load_tasks(sample_dataset, 3)
    assert [t["id"] for t in report["tasks"]] == [t["id"] for t in tasks]
    assert report["model"]["adapter"] == str(trained_run.paths.output_dir)
    assert report["baseline"]["adapter"] is None
    assert report["stages"][:3] == ["extract", "syntax", "structure"]
    assert [f["stage"] for f in report["aggregates"]["funnel"]] == report["stages"]
    assert set(report["difference"]["pass_rate"]) == set(report["stages"])
    assert "chrf" in report["difference"] and "1" in report["difference"]["pass_at_k"]
    for row in report["tasks"]:
        assert row["verdict"] in (PASS, FAIL, UNKNOWN) and row["baseline"]["verdict"] in (PASS, FAIL, UNKNOWN)
        assert 0 < row["tokens"] <= 48 and row["latency_s"] > 0

    html = paths["html"].read_text(encoding="utf-8")
    assert "<script src" not in html and 'src="http' not in html and 'href="http' not in html
    assert 'id="funnel"' in html and 'id="comparison"' in html
    md = paths["markdown"].read_text(encoding="utf-8")
    assert all(t["id"] in md and t["id"] in html for t in tasks)
