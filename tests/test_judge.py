"""The validation ladder on correct components and on mutants of every one of them.

The fidelity corpus: the sample plugin's components, the components inside its documents,
and tests/fidelity/ (a plugin written the way open-source plugins are: its own base class,
a task-capable component, a custom GH_Goo type, GH_IO persistence, many RhinoCommon
calls). Each must pass every stage it reaches, compile included when mcs is there, with
"unknown" on at most 10%; mutants of each must fail at the right stage for the right reason.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gh_ft.cli import main as cli
from gh_ft.csharp.declarations import read_declarations
from gh_ft.judge.ladder import FAIL, PASS, UNKNOWN, extract_code, judge, judge_many

from tools import require_tool

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "data" / "sample_context" / "src"
FIDELITY = ROOT / "tests" / "fidelity"
COMPONENT_FILES = ["Curves/DivideCurveComponent.cs", "Curves/OffsetCurveTaskComponent.cs",
                   "Meshes/MeshStatsComponent.cs", "Meshes/WeldAndTextComponents.cs", "Async/SphereAsyncComponent.cs"]
FIDELITY_BASE = "FidelityComponent.cs"


# The plugins' own base classes, as evaluation passes them: the judge sees the chain.
CONTEXT = [read_declarations("Toolkit/ToolkitComponent.cs", (SRC / "Toolkit" / "ToolkitComponent.cs").read_text()),
           read_declarations(FIDELITY_BASE, (FIDELITY / FIDELITY_BASE).read_text())]


def corpus() -> list[tuple[str, str]]:
    """Correct components: the sample plugin's files and the fidelity plugin's."""
    items = [(f, (SRC / f).read_text(encoding="utf-8")) for f in COMPONENT_FILES]
    items += [(f"fidelity/{f.name}", f.read_text(encoding="utf-8")) for f in sorted(FIDELITY.glob("*.cs"))
              if f.name != FIDELITY_BASE]
    return items


@pytest.fixture(scope="module")
def document_components(sample_dataset) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in (sample_dataset / "examples.jsonl").read_text().splitlines()]
    return [(r["source"], r["output"]) for r in rows if r["kind"] == "document"]


def test_correct_components_pass_every_stage_they_reach(document_components):
    items = corpus() + document_components
    results = list(zip([name for name, _ in items], judge_many([code for _, code in items], context=CONTEXT)))
    assert len(results) >= 20
    for name, j in results:
        assert j.verdict != FAIL, (name, j.to_dict())
        assert [s.stage for s in j.stages][:4] == ["extract", "syntax", "structure", "api"], (name, j.to_dict())
    unknown = [name for name, j in results if j.verdict == UNKNOWN]
    assert len(unknown) <= 0.1 * len(results), unknown  # the foreign-base (NuGet) component stays unknown


def test_correct_components_compile(document_components):
    require_tool("mcs", "the judge's compile stage (apt-get install mono-mcs libmono-system-drawing4.0-cil)")
    items = corpus() + document_components
    judged = judge_many([code for _, code in items], context=CONTEXT)
    stages = {name: j.to_dict()["stages"].get("compile") for (name, _), j in zip(items, judged)}
    assert all(v is not None for v in stages.values()), stages   # every one reached the compiler
    assert FAIL not in stages.values(), stages
    assert [n for n, v in stages.items() if v != PASS] == ["Async/SphereAsyncComponent.cs"], stages


_SOLVE_START = re.compile(r"(void SolveInstance\(IGH_DataAccess DA\)\s*\{)")


def _insert_in_solve(code: str, statement: str) -> str:
    return _SOLVE_START.sub(lambda m: m.group(1) + "\n            " + statement, code, count=1)


def _mutants(code: str) -> dict[str, tuple[str, str, str]]:
    """name → (mutated code, stage that must fail, words the reason must hold)."""
    last = code.rstrip().rfind("}")
    return {
        "missing brace": (code[:last], "syntax", "truncated"),
        "renamed override": (code.replace("void SolveInstance(", "void SolveInstanse(", 1), "structure", "SolveInstance"),
        "stray token": (code.replace("protected override void RegisterOutputParams",
                                     "protected override void void RegisterOutputParams", 1), "syntax", "syntax error"),
        "output index out of range": (re.sub(r"DA\.(SetData|SetDataList|SetDataTree)\(0,", r"DA.\1(7,", code, count=1),
                                      "structure", "index 7"),
        "bad guid": (code.replace("new Guid(\"", "new Guid(\"zz", 1), "structure", "GUID"),
        "invented member": (_insert_in_solve(code, "Rhino.Geometry.Curve magicCurve = null; "
                                                   "var magicPoint = magicCurve.MagicCentroid();"),
                            "api", "Curve.MagicCentroid"),
    }


def _compile_mutants(code: str) -> dict[str, tuple[str, str, str]]:
    """Mutants only the compile stage can catch: every name exists, an argument has the wrong type."""
    return {
        "wrong argument type (Grasshopper)": (re.sub(r"GH_ParamAccess\.(item|list|tree)", r'"\1"', code, count=1),
                                              "compile", "type error"),
        "wrong argument type (RhinoCommon)": (_insert_in_solve(
            code, 'double wrongArgument = Rhino.Geometry.Point3d.Origin.DistanceTo("origin");'),
            "compile", "type error"),
    }


@pytest.mark.parametrize("name,code", [c for c in corpus() if "Async" not in c[0]])
def test_mutants_fail_at_the_right_stage(name, code):
    mutants = _mutants(code)
    judged = judge_many([m for m, _, _ in mutants.values()], context=CONTEXT)
    for (mutant, (mutated, stage, words)), j in zip(mutants.items(), judged):
        assert mutated != code, (name, mutant)
        if mutant == "output index out of range" and "IGH_VariableParameterComponent" in code:
            # parameters come and go at run time: an index past the registered ones is not proven wrong
            assert j.verdict == UNKNOWN and any("variable-parameter" in r for r in j.reasons), j.to_dict()
            continue
        assert j.verdict == FAIL and j.stage == stage, (name, mutant, j.to_dict())
        assert any(words in r for r in j.reasons), (name, mutant, j.reasons)


def test_compile_mutants_fail_with_a_type_error():
    require_tool("mcs", "the judge's compile stage (apt-get install mono-mcs libmono-system-drawing4.0-cil)")
    cases = [(name, mutant, m) for name, code in corpus() if "Async" not in name
             for mutant, m in _compile_mutants(code).items()]
    judged = judge_many([m[0] for _, _, m in cases], context=CONTEXT)
    for (name, mutant, (mutated, stage, words)), j in zip(cases, judged):
        assert j.verdict == FAIL and j.stage == stage, (name, mutant, j.to_dict())
        assert any(r.startswith(words) for r in j.reasons), (name, mutant, j.reasons)


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
    assert j.verdict == UNKNOWN and j.stage in ("structure", "api", "compile")


def test_without_mcs_the_ladder_stops_after_the_api_stage(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("mcs") is None
    j = judge((SRC / COMPONENT_FILES[0]).read_text())
    assert j.verdict == PASS and j.stage == "api" and "compile" not in j.to_dict()["stages"]
    assert any("compile stage skipped: mcs not installed (apt-get install mono-mcs" in r for r in j.reasons)


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


def test_cli_judge_compiles_unless_told_not_to(tmp_path):
    good = tmp_path / "good.cs"
    good.write_text((SRC / COMPONENT_FILES[0]).read_text())
    skipped = CliRunner().invoke(cli, ["judge", "--json", "--no-compile", str(good)])
    assert skipped.exit_code == 0, skipped.output
    assert json.loads(skipped.stdout.strip())["stage"] == "api"
    require_tool("mcs", "the judge's compile stage (apt-get install mono-mcs libmono-system-drawing4.0-cil)")
    wrong = tmp_path / "wrong.cs"
    wrong.write_text(good.read_text().replace("GH_ParamAccess.item", '"item"', 1))
    both = CliRunner().invoke(cli, ["judge", "--json", str(good), str(wrong)])
    assert both.exit_code == 1
    lines = [json.loads(line) for line in both.stdout.strip().splitlines()]
    assert [(line["verdict"], line["stage"]) for line in lines] == [(PASS, "compile"), (FAIL, "compile")]
    assert lines[1]["reasons"][0].startswith("type error at line")


def test_compile_stage_sees_the_plugins_own_base_classes():
    require_tool("mcs", "the judge's compile stage (apt-get install mono-mcs libmono-system-drawing4.0-cil)")
    code = (SRC / "Meshes" / "MeshStatsComponent.cs").read_text()
    misspelled, wrong_type = judge_many([code.replace('Fail("No mesh")', 'Fial("No mesh")'),
                                         code.replace('Fail("No mesh")', "Fail(42)")], context=CONTEXT)
    assert misspelled.verdict == FAIL and misspelled.stage == "compile", misspelled.to_dict()
    assert "no member Fial" in misspelled.reasons[0]
    assert wrong_type.verdict == FAIL and "ToolkitComponent.Fail(string)" in wrong_type.reasons[0]
    alone = judge(code.replace('Fail("No mesh")', 'Fial("No mesh")'))  # without the base class: not certain
    assert alone.verdict == UNKNOWN, alone.to_dict()
