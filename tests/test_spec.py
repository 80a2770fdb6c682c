"""The spec stage: a generated component compared with its task's metadata, field by field."""
from __future__ import annotations

from gh_ft.judge.spec import FAIL, PASS, UNKNOWN, compare_spec, spec_of

TASK = """using System;
using Grasshopper.Kernel;

namespace Acme
{
    public class OffsetComponent : GH_Component
    {
        public OffsetComponent() : base("Offset Curve", "Off", "Offsets a curve", "Acme", "Curves") { }
        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curve", "C", "Curve to offset", GH_ParamAccess.item);
            pManager.AddNumberParameter("Distance", "D", "Offset distance", GH_ParamAccess.item, 1.0);
        }
        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddCurveParameter("Result", "R", "Offset curves", GH_ParamAccess.list);
        }
        protected override void SolveInstance(IGH_DataAccess DA) { }
        public override Guid ComponentGuid => new Guid("0b7f9d3e-4c1a-4f7e-9a57-3e0c4b1d2a66");
    }
}
"""


def test_the_reference_matches_its_own_spec():
    spec = spec_of(TASK)
    assert spec["name"] == "Offset Curve" and spec["subcategory"] == "Curves"
    assert [p["name"] for p in spec["inputs"]] == ["Curve", "Distance"]
    result = compare_spec(TASK, spec)
    assert result.verdict == PASS and result.rate == 1.0 and result.compared == 4 + 2 + 3 * 3


def test_an_answer_that_ignores_an_input_fails_the_spec():
    spec = spec_of(TASK)
    answer = TASK.replace('pManager.AddNumberParameter("Distance", "D", "Offset distance", GH_ParamAccess.item, 1.0);', "")
    result = compare_spec(answer, spec)
    assert result.verdict == FAIL and any("inputs: asked for 2, got 1" in r for r in result.reasons)
    assert 0 < result.rate < 1


def test_wrong_type_access_and_category_are_each_a_field():
    spec = spec_of(TASK)
    answer = (TASK.replace('"Acme", "Curves"', '"Acme", "Geometry"')
              .replace("AddCurveParameter(\"Result\", \"R\", \"Offset curves\", GH_ParamAccess.list)",
                       "AddPointParameter(\"Result\", \"R\", \"Offset curves\", GH_ParamAccess.item)"))
    result = compare_spec(answer, spec)
    assert result.verdict == FAIL
    assert result.compared - result.matched == 3   # subcategory, output type, output access
    assert any("subcategory" in r for r in result.reasons)


def test_a_value_that_cannot_be_read_is_unknown_not_fail():
    spec = spec_of(TASK)
    answer = TASK.replace('"Offset Curve", "Off"', 'Names.Offset, "Off"')
    result = compare_spec(answer, spec)
    assert result.verdict == UNKNOWN and any("name" in r for r in result.reasons)


def test_no_component_fails_and_no_spec_is_unknown():
    assert compare_spec("class A { }", spec_of(TASK)).verdict == FAIL
    assert compare_spec(TASK, None).verdict == UNKNOWN


def test_the_evaluation_report_shows_the_spec_stage_and_match_rate():
    from gh_ft.evaluate.report import summary_rows
    from gh_ft.evaluate.run import build_report, judge_sample

    spec = spec_of(TASK)
    ignores_input = TASK.replace(
        'pManager.AddNumberParameter("Distance", "D", "Offset distance", GH_ParamAccess.item, 1.0);', "")
    samples = [[judge_sample(TASK, 10, 1.0, TASK, (), spec=spec)],
               [judge_sample(ignores_input, 10, 1.0, TASK, (), spec=spec)]]
    assert samples[0][0]["stages"]["spec"] == PASS and samples[1][0]["stages"]["spec"] == FAIL
    assert samples[1][0]["verdict"] == FAIL and samples[1][0]["stage"] == "spec"
    run = {"info": {"name": "m", "backend": "fake"}, "elapsed_s": 1.0, "samples": samples}
    tasks = [{"id": f"test-{i}", "instruction": "Write it", "input": "", "reference": TASK} for i in (1, 2)]
    refs = [{"verdict": PASS, "stage": "spec", "stages": samples[0][0]["stages"]}] * 2
    report = build_report(tasks, run, None, {}, [1], refs)
    assert report["stages"][-1] == "spec"
    rate = report["aggregates"]["spec_match_rate"]
    assert 0.8 < rate < 1.0
    rows = {r[0]: r for r in summary_rows(report)}
    assert "spec: fields matched" in rows and "pass rate: spec" in rows
