"""Stage (e): compiling with mcs against the reference assembly generated from the API index.

What must hold: a file is "pass" only after a clean compiler call that checked its bodies;
files in one call never affect each other's verdicts (declaration errors, same class
names); what the reference assembly cannot know, newer C# and names from outside the
file are "unknown", never "fail"; real type errors and unknown APIs fail with their class.
The error classification is also tested on mcs's own message formats without mcs.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from gh_ft.judge import refasm
from gh_ft.judge.refasm_render import render_type
from gh_ft.judge.api_index import load_api_index
from gh_ft.judge.compile import FAIL, PASS, UNKNOWN, Compiler
from gh_ft.judge.compile_errors import ErrorClassifier, parse_mcs_output
from gh_ft.judge.compile_units import prepare_unit, wrap_unit
from gh_ft.judge.ladder import judge
from gh_ft.judge.refasm_hand import read_hand_types

from tools import require_tool

ROOT = Path(__file__).resolve().parents[1]
DIVIDE = (ROOT / "data" / "sample_context" / "src" / "Curves" / "DivideCurveComponent.cs").read_text(encoding="utf-8")


def component(body: str, name: str = "ProbeComponent", namespace: str = "Probe", extra: str = "") -> str:
    """A minimal correct component whose SolveInstance body is `body`."""
    return f"""using System;
using System.Collections.Generic;
using System.Linq;
using Grasshopper.Kernel;
using Rhino.Geometry;

namespace {namespace}
{{
    public class {name} : GH_Component
    {{
        public {name}() : base("Probe", "P", "A probe", "Tests", "Compile") {{ }}

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {{
            pManager.AddCurveParameter("Curve", "C", "A curve", GH_ParamAccess.item);
        }}

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {{
            pManager.AddNumberParameter("Value", "V", "A value", GH_ParamAccess.item);
        }}

        protected override void SolveInstance(IGH_DataAccess DA)
        {{
            Curve curve = null;
            if (!DA.GetData(0, ref curve)) return;
            double value = 0.0;
{body}
            DA.SetData(0, value);
        }}
{extra}
        public override Guid ComponentGuid => new Guid("6f3c2a1b-8d4e-4f5a-9b6c-7d8e9f0a1b2c");
    }}
}}
"""


@pytest.fixture(scope="module")
def compiler():
    mcs = require_tool("mcs", "the judge's compile stage (apt-get install mono-mcs libmono-system-drawing4.0-cil)")
    with Compiler(mcs) as c:
        yield c


# ---- with mcs -------------------------------------------------------------------------

def test_reference_assembly_is_built_once_and_cached(compiler):
    ref = compiler.ref
    assert ref.dll.exists() and ref.dll.stat().st_size > 1_000_000
    assert ref.dll.parent.name == refasm.assembly_key()
    # A second request in this process, and one from the cache folder, give the same assembly.
    assert refasm.reference_assembly(compiler.mcs) is ref
    refasm._loaded.clear()
    again = refasm.reference_assembly(compiler.mcs)
    assert again.dll == ref.dll and again.limits.flags == ref.limits.flags
    # Windows Forms is referenced now (Mono has it): the context-menu overrides are hand-kept, exact.
    assert "d" not in ref.limits.flag("AppendAdditionalMenuItems")
    assert "System.Windows.Forms.dll" in ref.framework_refs
    assert "Rhino.Geometry.Curve" in ref.limits.types
    stubs = (ref.dll.parent / "stubs.cs").read_text(encoding="utf-8")
    assert "public partial class Curve : global::Rhino.Geometry.GeometryBase {" in stubs


def test_correct_code_passes_only_after_a_clean_call(compiler):
    results = compiler.compile([DIVIDE, component("            value = curve.GetLength();")])
    assert [r.verdict for r in results] == [PASS, PASS], results


def test_batch_isolation_declaration_errors_do_not_hide_body_errors(compiler):
    # A declaration-level error (an unresolved base type) makes mcs stop before checking the
    # bodies of every file in the call: the body error of the second file and the clean
    # third file must still be found by the next, smaller call.
    declaration_error = component("            value = 1.0;", extra="        private MissingLibraryType _helper;\n")
    body_error = component('            value = curve.GetLength("metres");')
    clean = component("            value = curve.GetLength() * 2.0;")
    results = compiler.compile([declaration_error, body_error, clean])
    assert results[0].verdict == UNKNOWN and "MissingLibraryType" in " ".join(results[0].reasons), results[0]
    assert results[1].verdict == FAIL and any("type error" in r for r in results[1].reasons), results[1]
    assert results[2].verdict == PASS, results[2]


def test_same_class_names_in_one_call_do_not_collide(compiler):
    a = component("            value = curve.GetLength();")
    b = component("            value = curve.Domain.Length;")
    bad = component("            value = curve.PointAtStart;")
    results = compiler.compile([a, b, bad, a])
    assert [r.verdict for r in results] == [PASS, PASS, FAIL, PASS], results
    assert "type error" in results[2].reasons[0] and "Point3d" in results[2].reasons[0]


def test_unknown_api_and_type_errors_are_classed(compiler):
    invented = component("            var c = curve.ToNurbsCurve(); value = c.Points.MagicWeight;")
    wrong_arg = component("            value = curve.PointAtStart.DistanceTo(curve);")
    wrong_access = DIVIDE.replace("GH_ParamAccess.item", '"item"', 1)
    results = compiler.compile([invented, wrong_arg, wrong_access])
    assert results[0].verdict == FAIL and "unknown API" in results[0].reasons[0], results[0]
    assert "NurbsCurvePointList has no member MagicWeight" in results[0].reasons[0]
    assert results[1].verdict == FAIL and results[1].reasons[0].startswith("type error"), results[1]
    assert results[2].verdict == FAIL and "GH_ParamAccess" in results[2].reasons[0], results[2]


NEWER_CSHARP = {
    "switch expression": "            value = curve.Degree switch { 1 => 1.0, _ => 2.0 };",
    "not pattern": "            if (curve is not null) value = 1.0;",
    "target-typed new": "            List<double> xs = new(); value = xs.Count;",
    "range": "            var ts = curve.DivideByCount(4, true); var mid = ts[1..3]; value = mid.Length;",
    "??=": "            string s = null; s ??= \"x\"; value = s.Length;",
    "local function": "            double Twice(double x) => 2 * x; value = Twice(curve.GetLength());",
    "case guard": "            switch (curve.Degree) { case int d when d > 1: value = d; break; }",
    "record": None,
}


@pytest.mark.parametrize("feature", sorted(NEWER_CSHARP))
def test_newer_csharp_is_unknown_not_fail(compiler, feature):
    body = NEWER_CSHARP[feature]
    code = component("            value = 1.0;", extra="        public record Pair(int A, int B);\n") if body is None \
        else component(body)
    [result] = compiler.compile([code])
    assert result.verdict == UNKNOWN, (feature, result)
    assert any("newer C#" in r or "C# 7" in r for r in result.reasons), result.reasons


def test_names_from_outside_the_file_are_unknown(compiler):
    code = component("            value = GeometryHelpers.Measure(curve); value += Properties.Settings.Scale;")
    [result] = compiler.compile([code])
    assert result.verdict == UNKNOWN, result
    # ... and the plugin's own base classes, given as context, make a component compile.
    derived = component("            value = Scale * curve.GetLength();").replace(
        "public class ProbeComponent : GH_Component", "public class ProbeComponent : PluginBase")
    base = ("using Grasshopper.Kernel;\nnamespace Probe\n{\n    public abstract class PluginBase : GH_Component\n"
            "    {\n        protected PluginBase(string n, string k, string d, string c, string s) : base(n, k, d, c, s) { }\n"
            "        protected double Scale => 2.0;\n    }\n}\n")
    alone = compiler.compile([derived])[0]
    assert alone.verdict == UNKNOWN and "PluginBase" in " ".join(alone.reasons)
    compiler.set_context([base])
    try:
        assert compiler.compile([derived])[0].verdict == PASS
    finally:
        compiler.set_context([])


def test_judge_runs_the_compile_stage(compiler):
    j = judge(component('            value = curve.PointAt("0.5").X;'))
    assert j.verdict == FAIL and j.stage == "compile", j.to_dict()
    assert judge(DIVIDE).to_dict()["stages"]["compile"] == PASS


# ---- without mcs ----------------------------------------------------------------------

def test_without_mcs_the_ladder_stops_at_the_api_stage_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no mcs on PATH
    j = judge(DIVIDE)
    assert [s.stage for s in j.stages] == ["extract", "syntax", "structure", "api"]
    assert j.verdict == PASS and j.stage == "api"
    assert any(r.startswith("compile stage skipped: mcs not installed") and "apt-get install mono-mcs" in r
               for r in j.reasons), j.reasons
    failing = judge(DIVIDE.replace("void SolveInstance(", "void Solve("), mcs="")
    assert failing.verdict == FAIL and failing.stage == "structure"


def test_files_are_compiled_as_written_and_conflicting_ones_apart():
    """No wrapper namespace: a file's name lookup is its own; files that declare the same
    type, or name a type another declares where it can see it, never share an mcs call."""
    from gh_ft.judge.compile import _pack

    a = prepare_unit(3, component("            value = 1.0;", namespace="Grasshopper.Plugin.Tools"))
    assert not a.alone and wrap_unit(a) == a.code
    b = prepare_unit(4, component("            value = 2.0;"))
    b2 = prepare_unit(7, component("            value = 3.0;"))
    assert b.conflicts(b2)                    # both declare Probe.ProbeComponent
    assert not a.conflicts(b)                 # two ProbeComponents neither file can see from the other's namespace
    e = prepare_unit(8, "using Probe;\nnamespace Elsewhere { public class ProbeComponent { } }")
    assert e.conflicts(b)                     # a `using` lets it see Probe's
    c = prepare_unit(5, "namespace Other { public class Helper { } }")
    d = prepare_unit(6, "namespace Other { public class User { Helper h; } }")
    f = prepare_unit(9, "namespace Third { public class User2 { Other.Helper h; } }")
    g = prepare_unit(10, 'namespace Third { public class User3 { string s = "Helper"; /* Helper */ } }')
    assert c.conflicts(d) and c.conflicts(f) and not c.conflicts(a)
    assert not c.conflicts(g)                 # a word in a string or a comment names no type
    batches = _pack([a, b, b2, c, d], 1, 200)
    assert all(not x.conflicts(y) for batch in batches for x in batch for y in batch if x is not y)
    assert len(batches) == 2


def test_newer_features_are_named_before_compiling():
    unit = prepare_unit(0, component(NEWER_CSHARP["switch expression"]))
    assert unit.features == ["a switch expression (C# 8)"]
    assert prepare_unit(1, DIVIDE).features == []


# ---- error classification on mcs's message formats ------------------------------------

MCS_OUTPUT = """\
u00001.cs(12,19): error CS1502: The best overloaded method match for `Rhino.Geometry.Curve.PointAt(double)' has some invalid arguments
/tmp/GhFtReference.dll (Location of the symbol related to previous error)
u00001.cs(12,27): error CS1503: Argument `#1' cannot convert `string' expression to type `double'
u00001.cs(13,7): error CS1061: Type `Rhino.Geometry.Curve' does not contain a definition for `MagicCentroid' and no extension method `MagicCentroid' of type `Rhino.Geometry.Curve' could be found. Are you missing an assembly reference?
u00001.cs(14,7): error CS1061: Type `Rhino.Geometry.Curve' does not contain a definition for `DivideByCount' and no extension method `DivideByCount' of type `Rhino.Geometry.Curve' could be found. Are you missing an assembly reference?
u00001.cs(15,17): error CS0266: Cannot implicitly convert type `double' to `float'. An explicit conversion exists (are you missing a cast?)
u00001.cs(16,24): error CS0029: Cannot implicitly convert type `GhFtRef.Seq<Rhino.Geometry.Curve>' to `System.Collections.Generic.HashSet<Rhino.Geometry.Curve>'
u00001.cs(17,38): error CS0234: The type or namespace name `Forms' does not exist in the namespace `System.Windows'. Are you missing `System.Windows.Forms' assembly reference?
u00001.cs(18,11): error CS0234: The type or namespace name `MagicCurve' does not exist in the namespace `Rhino.Geometry'. Are you missing an assembly reference?
u00001.cs(19,7): error CS1501: No overload for method `ClosestPoint' takes `9' arguments
u00001.cs(20,7): error CS1501: No overload for method `ClosestPoint' takes `1' arguments
u00001.cs(21,9): error CS1525: Unexpected symbol `switch'
u00001.cs(22,13): error CS0029: Cannot implicitly convert type `string' to `int'
error CS0006: Metadata file `Missing.dll' could not be found
Compilation failed: 12 error(s), 0 warnings
"""


def test_mcs_output_is_parsed_and_classed():
    errors, bare = parse_mcs_output(MCS_OUTPUT)
    assert bare == ["CS0006: Metadata file `Missing.dll' could not be found"]
    assert [e.code for e in errors][:2] == ["CS1502", "CS1061"]
    assert errors[0].related[0].code == "CS1503"  # the argument detail stays with its call
    limits = refasm.RefLimits(flags={"Rhino.Geometry.Curve.ClosestPoint": "o", "ClosestPoint": "o"},
                              max_args={"Rhino.Geometry.Curve.ClosestPoint": 3, "ClosestPoint": 3})
    classifier = ErrorClassifier(load_api_index(), limits, read_hand_types(refasm.HAND_PATH.read_text()))
    lines = ["class X {}"] * 30
    lines[14] = "float length = curve.GetLength();"   # line 15: the value comes from an SDK member
    unit = prepare_unit(1, "\n".join(lines))
    got = [classifier.classify(e, unit) for e in errors]
    expected = [
        ("type error", True),          # string for double: a real type error
        ("unknown API", True),         # Curve has a complete member list without MagicCentroid
        ("reference limit", False),    # DivideByCount exists: the reference assembly lost it
        ("reference limit", False),    # float/double: the stubs do not tell them apart
        ("reference limit", False),    # an erased sequence type
        ("unresolved", False),         # Windows Forms: not available to mcs here
        ("unknown API", True),         # a type Rhino.Geometry does not have
        ("reference limit", False),    # more arguments than any overload the stubs list: they omit obsolete ones
        ("reference limit", False),    # fewer: out/ref positions are guessed
        ("newer C#", False),           # tree-sitter read it, so mcs's grammar is older
        ("type error", True),          # .NET only: certain
    ]
    assert [(j.kind, j.fail) for j in got] == expected, [(j.kind, j.fail, j.text) for j in got]
    assert "Curve has no member MagicCentroid" in got[1].text


def test_signature_types_render_as_csharp():
    assert render_type("@seq<Rhino.Geometry.Curve>") == "global::GhFtRef.Seq<global::Rhino.Geometry.Curve>"
    assert render_type("@opt<Rhino.Geometry.Point3d>") == "global::Rhino.Geometry.Point3d?"
    assert render_type("@opt<Rhino.Geometry.Curve>") == "global::Rhino.Geometry.Curve"
    assert render_type("@opt<double>") == "double?"
    assert render_type("System.Collections.Generic.IEnumerable<double[]>") == \
        "global::System.Collections.Generic.IEnumerable<double[]>"


def test_assembly_key_follows_the_inputs(tmp_path):
    sig = tmp_path / "sig.json.gz"
    hand = tmp_path / "hand.cs"
    sig.write_bytes(refasm.SIGNATURES_PATH.read_bytes())
    hand.write_text(refasm.HAND_PATH.read_text())
    key = refasm.assembly_key(sig, hand)
    assert key == refasm.assembly_key(sig, hand)
    hand.write_text(refasm.HAND_PATH.read_text() + "\n// changed\n")
    assert refasm.assembly_key(sig, hand) != key
    assert re.fullmatch(r"[0-9a-f]{20}", key)


def test_the_hand_kept_table_and_the_reference_assembly_agree(compiler, tmp_path):
    # Every type the API stage's hand-kept table knows must exist in the assembly the
    # compile stage uses, with the same generic arity: mcs itself checks a probe file.
    from gh_ft.judge.compile import _mcs_args
    from gh_ft.judge.component_api import SDK_TYPES

    probes = []
    for name, spec in sorted(SDK_TYPES.items()):
        arity = spec.get("arity", 0)
        probes.append(f"typeof(global::{name}{'<' + ',' * (arity - 1) + '>' if arity else ''})")
    source = "class Probe { static object[] All = { " + ", ".join(probes) + " }; }\n"
    (tmp_path / "probe.cs").write_text(source)
    rc, output = refasm.run_mcs(compiler.mcs, _mcs_args(compiler.ref, [], "probe.dll") + ["probe.cs"], tmp_path)
    assert rc == 0, output
    assert len(probes) >= 20


STUB = '''\
from Rhino.Geometry import Point3d
class Widget(Base):
    @overload
    def __init__(self, start: Point3d, size: float): ...
    @overload
    def ClosestPoint(self, testPoint: Point3d, maximumDistance: float) -> tuple[bool, float]: ...
    @overload
    def ToPoint(data: object, rc: Point3d, level: int) -> tuple[bool, Point3d]: ...
    @overload
    @staticmethod
    def JoinAll(items: Iterable[Widget], tolerance: float) -> Iterable[Widget]: ...
    @property
    def Item(self) -> Sequence[Point3d]: ...
    @property
    def Size(self) -> float: ...
    @Size.setter
    def Size(self, value: float) -> None: ...
    def Apply(self, fn: Callable[..., Any]) -> T: ...
    def __add__(a: Widget, b: Widget) -> Widget: ...
class Base:
    def Dispose(self) -> None: ...
class Changed:
    def __init__(self, TargetObject: object, TargetMethod: IntPtr): ...
    def BeginInvoke(self, sender: object, DelegateCallback: AsyncCallback, DelegateAsyncState: object) -> IAsyncResult: ...
    def EndInvoke(self, DelegateAsyncResult: IAsyncResult) -> None: ...
    def Invoke(self, sender: object) -> None: ...
'''


def test_signatures_from_stubs_mark_what_is_guessed(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    from build_api_index import _Module
    from stub_signatures import type_signatures

    mod = _Module("Demo", STUB)
    widget = type_signatures(mod, mod.classes["Widget"])
    members = widget["members"]
    closest = [m[4] for m in members if m[1] == "ClosestPoint"]
    # out values go last or between the inputs: one variant per place, flagged "o"
    assert [["", "Rhino.Geometry.Point3d", "testPoint"], ["", "double", "maximumDistance"], ["out", "double", "out0"]] in closest
    assert [["", "Rhino.Geometry.Point3d", "testPoint"], ["out", "double", "out0"], ["", "double", "maximumDistance"]] in closest
    to_point = [m for m in members if m[1] == "ToPoint"]
    assert any(p[1][0] == "ref" for m in to_point for p in [m[4]]), to_point  # an input returned again may be ref
    assert all(m[5].startswith("o") for m in to_point + [m for m in members if m[1] == "ClosestPoint"])
    join = next(m for m in members if m[1] == "JoinAll")
    assert join[2] == 1 and join[3] == "@seq<Demo.Widget>" and join[4][0][1] == "System.Collections.Generic.IEnumerable<Demo.Widget>"
    assert ["i", "", 0, "Rhino.Geometry.Point3d", [["", "int", "index"]], 0] in members  # pythonnet's Item: an indexer
    assert ["p", "Size", 0, "double", 1] in members
    assert widget["dropped"] == ["Apply"]  # Callable and erased generic T cannot be named
    assert any(m[0] == "o" and m[1] == "+" for m in members) and widget["base"] == ["Demo.Base"]
    delegate = type_signatures(mod, mod.classes["Changed"])
    assert delegate == {"kind": "delegate", "returns": "void", "params": [["", "object", "sender"]]}
