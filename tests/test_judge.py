"""The validation ladder on correct components and on mutants of every one of them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gh_ft.cli import main as cli
from gh_ft.csharp.declarations import read_declarations
from gh_ft.evaluate.judge import FAIL, PASS, UNKNOWN, extract_code, judge

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "data" / "sample_context" / "src"
COMPONENT_FILES = ["Curves/DivideCurveComponent.cs", "Curves/OffsetCurveTaskComponent.cs",
                   "Meshes/MeshStatsComponent.cs", "Meshes/WeldAndTextComponents.cs", "Async/SphereAsyncComponent.cs"]


# The plugin's own base classes, as evaluation passes them: the judge sees the chain.
CONTEXT = [read_declarations("Toolkit/ToolkitComponent.cs", (SRC / "Toolkit" / "ToolkitComponent.cs").read_text())]


def corpus() -> list[tuple[str, str]]:
    """Correct components: the sample plugin's files and the components inside its documents."""
    items = [(f, (SRC / f).read_text(encoding="utf-8")) for f in COMPONENT_FILES]
    return items


@pytest.fixture(scope="module")
def document_components(sample_dataset) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in (sample_dataset / "examples.jsonl").read_text().splitlines()]
    return [(r["source"], r["output"]) for r in rows if r["kind"] == "document"]


def test_correct_components_pass_every_stage_they_reach(document_components):
    results = [(name, judge(code, context=CONTEXT)) for name, code in corpus() + document_components]
    assert len(results) >= 10
    for name, j in results:
        assert j.verdict != FAIL, (name, j.to_dict())
        assert [s.stage for s in j.stages][:3] == ["extract", "syntax", "structure"]
    unknown = [name for name, j in results if j.verdict == UNKNOWN]
    assert len(unknown) <= 0.1 * len(results) + 1, unknown  # only the foreign-base component may stay unknown


def _mutants(code: str) -> dict[str, tuple[str, str, str]]:
    """name → (mutated code, stage that must fail, words the reason must hold)."""
    last = code.rstrip().rfind("}")
    return {
        "missing brace": (code[:last], "syntax", "truncated"),
        "renamed override": (code.replace("void SolveInstance(", "void SolveInstanse(", 1), "structure", "SolveInstance"),
        "stray token": (code.replace("protected override void RegisterOutputParams",
                                     "protected override void void RegisterOutputParams", 1), "syntax", "syntax error"),
        "output index out of range": (code.replace("DA.SetData", "DA.SetDataTree_", 1).replace(
            "DA.SetDataTree_List(0", "DA.SetDataList(7").replace("DA.SetDataTree_(0", "DA.SetData(7"),
            "structure", "index 7"),
        "bad guid": (code.replace("new Guid(\"", "new Guid(\"zz", 1), "structure", "GUID"),
    }


@pytest.mark.parametrize("name,code", [c for c in corpus() if "Async" not in c[0]])
def test_mutants_fail_at_the_right_stage(name, code):
    for mutant, (mutated, stage, words) in _mutants(code).items():
        assert mutated != code, (name, mutant)
        j = judge(mutated, context=CONTEXT)
        assert j.verdict == FAIL and j.stage == stage, (name, mutant, j.to_dict())
        assert any(words in r for r in j.reasons), (name, mutant, j.reasons)


def test_extract_from_a_chatty_reply():
    code = (SRC / COMPONENT_FILES[0]).read_text()
    reply = f"Sure! Here is the component:\n\n```csharp\n{code}```\n\nAnd a usage note:\n```\nwire C into the curve\n```"
    assert extract_code(reply).strip() == code.strip()
    assert judge(reply).verdict == PASS
    bare = "Here it is.\n" + code
    assert extract_code(bare).startswith("using System;")
    assert judge("I'm sorry, I can't.").stage == "extract"


def test_local_base_without_context_is_unknown_with_context_fails():
    code = (SRC / "Meshes" / "MeshStatsComponent.cs").read_text().replace("void SolveInstance(", "void Solve(")
    assert judge(code).verdict == UNKNOWN
    assert judge(code, context=CONTEXT).stage == "structure" and judge(code, context=CONTEXT).verdict == FAIL


def test_unknown_base_is_unknown_not_fail():
    code = """using Grasshopper.Kernel;
public class Leaf : SomePluginBase
{
    public Leaf() : base("Leaf", "L") { }
    protected override void SolveInstance(IGH_DataAccess DA) { DA.SetData(0, 1); }
}
"""
    j = judge(code)
    assert j.verdict == UNKNOWN and j.stage in ("structure", "api")


def test_cli_judge_json_and_exit_status(tmp_path):
    good = tmp_path / "good.cs"
    good.write_text((SRC / COMPONENT_FILES[0]).read_text())
    bad = tmp_path / "bad.cs"
    bad.write_text(good.read_text().replace("void SolveInstance(", "void Solve("))
    ok = CliRunner().invoke(cli, ["judge", "--json", str(good)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output.strip())["verdict"] == PASS
    both = CliRunner().invoke(cli, ["judge", "--json", str(good), str(bad)])
    assert both.exit_code == 1
    lines = [json.loads(line) for line in both.output.strip().splitlines()]
    assert [(line["path"], line["verdict"], line["stage"]) for line in lines] == [
        (str(good), PASS, lines[0]["stage"]), (str(bad), FAIL, "structure")]
    assert set(lines[1]) >= {"path", "verdict", "stage", "reasons"}
