"""Second looks at files mcs cannot check through (gh_ft/judge/compile_variants.py): library
types opened, a stand-in base for a component whose base is a library's, bodies holding C#
mcs cannot parse taken out. A variant only ever finds a failure, and only one that touches
nothing it opened; the batch logic around them (compile.py) never lets a file pass unchecked."""
from __future__ import annotations

import pytest

from gh_ft.judge import compile as compile_mod
from gh_ft.judge.api_index import load_api_index
from gh_ft.judge.compile import FAIL, PASS, UNKNOWN, Compiler, framework_for
from gh_ft.judge.compile_errors import McsError
from gh_ft.judge.compile_units import prepare_unit
from gh_ft.judge.compile_variants import STAND_IN, drop_unparsable_bodies, open_library_types

from test_compile import component
from tools import require_tool

MCS_WHY = "the judge's compile stage (apt-get install mono-mcs libmono-system-drawing4.0-cil)"


def _err(code: str, line: int, message: str) -> McsError:
    return McsError("u00000.cs", line, 1, code, message)


def _index_helpers():
    index = load_api_index()
    member = lambda name: index.lookup(STAND_IN, name, via_this=True).status == "known"  # noqa: E731
    nested = lambda name: f"{STAND_IN}.{name}" in index.type_names  # noqa: E731
    return member, nested


LIBRARY_FILE = """using System;
using System.Collections.Generic;
using Acme.Geo;
using Grasshopper.Kernel;

namespace Probe
{
    public class Reader
    {
        private Acme.Geo.Layer _layer;
        [Acme.Geo.Tagged]
        public List<Layer> Layers(Layer first, int count) { Layer x = first; var all = new List<Layer>(); return all; }
        public Type Kind() { return typeof(Layer); }
        public object Make() { return new Layer(); }
    }
}
"""


def test_library_types_in_declarations_become_dynamic_lines_kept():
    errors = [_err("CS0246", 3, "The type or namespace name `Acme' could not be found."),
              _err("CS0246", 12, "The type or namespace name `Layer' could not be found.")]
    opened = open_library_types(LIBRARY_FILE, errors)
    assert opened is not None
    lines = opened.code.split("\n")
    assert len(lines) == len(LIBRARY_FILE.split("\n"))
    assert lines[2].strip() == ""                                   # the using of the missing namespace
    assert "private dynamic _layer;" in lines[9]
    assert lines[10].strip() == ""                                  # the library's attribute
    assert "public List<dynamic> Layers(dynamic first, int count) { dynamic x = first; " \
           "var all = new List<dynamic>(); return all; }" in lines[11]
    assert "typeof(Layer)" in lines[12] and "new Layer()" in lines[13]   # what `dynamic` cannot stand for
    assert {"Acme", "Layer"} <= opened.unresolved and not opened.stand_in


LIBRARY_COMPONENT = """using System;
using Grasshopper.Kernel;
using Acme.Components;

namespace Probe
{
    public sealed class AcmeProbe : AcmeComponent
    {
        public AcmeProbe() : base("Probe", "P", "A probe", "Tests", "Compile") { }
        public override AcmeInfo PluginInfo => null;
        public override Guid ComponentGuid => new Guid("5a0f3c2e-1d4b-4e8f-9a7c-3b2d1e0f4a55");
        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddNumberParameter("Value", "V", "A value", GH_ParamAccess.item);
        }
        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddNumberParameter("Value", "V", "A value", GH_ParamAccess.item);
        }
        protected override void SolveInstance(IGH_DataAccess DA)
        {
            double value = 0;
            if (!DA.GetData(0, ref value)) return;
BODY
            DA.SetData(0, value);
        }
    }
}
"""


def test_a_component_with_a_library_base_gets_the_stand_in():
    errors = [_err("CS0246", 3, "The type or namespace name `Acme' could not be found."),
              _err("CS0246", 7, "The type or namespace name `AcmeComponent' could not be found."),
              _err("CS0246", 10, "The type or namespace name `AcmeInfo' could not be found."),
              _err("CS0246", 12, "The type or namespace name `GH_InputParamManager' could not be found.")]
    member, nested = _index_helpers()
    opened = open_library_types(LIBRARY_COMPONENT.replace("BODY", ""), errors, is_stand_in_member=member,
                                is_stand_in_type=nested)
    lines = opened.code.split("\n")
    assert opened.stand_in and "AcmeProbe" in opened.guard and "GH_ActiveObject" in opened.guard
    assert "abstract class AcmeProbe : Grasshopper.Kernel.GH_Component" in lines[6] and "sealed" not in lines[6]
    assert "override" not in lines[9] and "dynamic PluginInfo" in lines[9]     # AcmeComponent's, not GH_Component's
    assert "public override Guid ComponentGuid" in lines[10]                   # GH_Component has it: kept
    assert "GH_InputParamManager pManager" in lines[11]                        # nested in GH_Component: resolves again
    assert "GH_InputParamManager" not in opened.unresolved


def test_bodies_mcs_cannot_parse_are_taken_out_lines_kept():
    helper = "        double Pick(int d) { return d switch { 1 => 1.0, _ => 2.0 }; }\n"
    code = component("            value = 3.0;", extra=helper)
    unit = prepare_unit(0, code)
    assert unit.features == ["a switch expression (C# 8)"]
    text = drop_unparsable_bodies(code, list(unit.feature_nodes))
    assert text is not None and len(text.split("\n")) == len(code.split("\n"))
    assert "double Pick(int d) { throw null;" in text and "switch" not in text
    assert prepare_unit(1, text).features == []
    # newer C# outside any body (a field initializer): nothing to take out
    field = component("            value = 3.0;", extra="        private System.Collections.Generic.List<int> xs = new();\n")
    assert drop_unparsable_bodies(field, list(prepare_unit(2, field).feature_nodes)) is None


def test_body_spans_come_from_a_clean_parse_only():
    """`async` as a name (valid C#) breaks tree-sitter's parse: the spans are read after the
    renaming; code the parser still cannot read claims no body at all (an error there must
    not be taken for one in a body, as if mcs had reached the bodies)."""
    extra = ("        static void Done(System.IAsyncResult async) { var r = (System.IAsyncResult)async; }\n"
             "        public override Guid ComponentGuid => Guid.Empty;\n")
    code = component("            value = 1.0;", extra=extra)
    unit = prepare_unit(0, code)
    guid_line = next(i for i, line in enumerate(code.split("\n"), 1) if "ComponentGuid" in line)
    assert unit.body_lines and not unit.in_body(guid_line)
    broken = prepare_unit(1, code.replace("double value = 0.0;", "double value = 0.0 +* ;"))
    assert broken.body_lines == ()


def test_extra_framework_assemblies_only_where_named(monkeypatch):
    monkeypatch.setattr(compile_mod, "framework_extra",
                        lambda: ("System.Data.dll", "System.Xml.Linq.dll", "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll"))
    assert framework_for({"System", "Collections"}) == []
    assert framework_for({"System", "Data", "Xml"}) == ["System.Data.dll"]
    assert framework_for({"Xml", "Linq", "Newtonsoft"}) == ["System.Xml.Linq.dll",
                                                            "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll"]


# ---- with mcs -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compiler():
    mcs = require_tool("mcs", MCS_WHY)
    with Compiler(mcs) as c:
        yield c


def test_a_wrong_sdk_call_under_a_library_base_is_found(compiler):
    wrong = LIBRARY_COMPONENT.replace("BODY", '            double d = Rhino.Geometry.Point3d.Origin.DistanceTo("origin");')
    right = LIBRARY_COMPONENT.replace("BODY", "            value = Rhino.Geometry.Point3d.Origin.DistanceTo("
                                              "new Rhino.Geometry.Point3d(1, 2, 3));")
    # AcmeComponent may overload what GH_Component has: a call the stand-in rejects proves nothing
    overload = LIBRARY_COMPONENT.replace("BODY", '            AddRuntimeMessage("only a message");')
    plain = component('            double d = Rhino.Geometry.Point3d.Origin.DistanceTo("origin");', name="Plain")
    results = compiler.compile([wrong, right, overload, plain])
    assert results[0].verdict == FAIL and "DistanceTo" in results[0].reasons[0], results[0]
    assert any("dynamic" in r for r in results[0].reasons)
    assert results[1].verdict == UNKNOWN, results[1]       # never a pass: its base is not known
    assert results[2].verdict == UNKNOWN, results[2]
    assert results[3].verdict == FAIL, results[3]


def test_a_wrong_call_beside_newer_csharp_is_found(compiler):
    helper = "        double Pick(int d) { return d switch { 1 => 1.0, _ => 2.0 }; }\n"
    wrong = component('            value = Rhino.Geometry.Point3d.Origin.DistanceTo("origin");', extra=helper)
    right = component("            value = Pick(curve.Degree);", extra=helper, name="Right")
    results = compiler.compile([wrong, right])
    assert results[0].verdict == FAIL and "DistanceTo" in results[0].reasons[0], results[0]
    assert any("cannot parse" in r for r in results[0].reasons)
    assert results[1].verdict == UNKNOWN and "newer C#" in results[1].reasons[0], results[1]


def test_a_declaration_error_read_as_in_a_body_does_not_pass_the_batch(compiler):
    """A file whose parse broke (and whose body spans are therefore not known) reports a
    declaration error: the other files of its call were not checked through, and pass only
    after a call of their own."""
    hidden = component("            value = missingName + 1;", name="Hidden")
    broken_extra = ("        static void Done(System.IAsyncResult async) { var r = (System.IAsyncResult)async; }\n"
                    "        public override Guid NoSuchGuid => Guid.Empty;\n")
    broken = component("            value = 1.0;", name="Broken", extra=broken_extra)
    results = compiler.compile([broken, hidden])
    assert results[1].verdict == FAIL, results[1]
    assert results[0].verdict != PASS, results[0]


def test_placing_counts_the_files_already_in_a_batch():
    from gh_ft.judge.compile import _place

    a = prepare_unit(0, component("            value = 1.0;"))
    b = prepare_unit(1, component("            value = 2.0;"))   # the same Probe.ProbeComponent
    batches = [[a]]
    assert _place([b], batches, 200, grow=False) == [b]
    _place([b], batches, 200, grow=True)
    assert batches == [[a], [b]]


def test_classes_deriving_from_a_rewritten_class_are_guarded_too():
    code = ("using Acme.Geo;\nnamespace Probe\n{\n    public class Wrapped : Acme.Geo.Goo { }\n"
            "    public class Twice : Wrapped { }\n    public class Apart { }\n}\n")
    opened = open_library_types(code, [_err("CS0246", 1, "The type or namespace name `Acme' could not be found.")])
    assert {"Wrapped", "Twice"} <= opened.guard and "Apart" not in opened.guard
    assert opened.touches("Cannot implicitly convert type `Probe.Twice' to `Grasshopper.Kernel.Types.IGH_Goo'", "")
    assert not opened.touches("`Rhino.Geometry.Point3d.DistanceTo(Rhino.Geometry.Point3d)' has some invalid arguments",
                              '        double d = Rhino.Geometry.Point3d.Origin.DistanceTo("x");')


def test_a_member_after_a_lowercase_name_names_no_type():
    declares = prepare_unit(0, "namespace P { public class Results { } }")
    member = prepare_unit(1, "namespace P { public class User { object F(dynamic res) { return res.Results; } } }")
    typed = prepare_unit(2, "namespace P { public class User2 { object F() { return new Results(); } } }")
    qualified = prepare_unit(3, "namespace Q { public class User3 { object F() { return P.Results.X; } } }")
    aliased = prepare_unit(4, "using p = P;\nnamespace Q { public class User4 { object F() { return p.Results.X; } } }")
    assert not declares.conflicts(member)
    assert declares.conflicts(typed) and declares.conflicts(qualified) and declares.conflicts(aliased)


def test_a_name_qualified_by_another_namespace_does_not_meet():
    declares = prepare_unit(0, "namespace Heron { public class CoordinateTransformation { } }")
    library = prepare_unit(1, "namespace Heron { public class Use { object F() { return "
                              "new OSGeo.OSR.CoordinateTransformation(); } } }")
    partly = prepare_unit(2, "namespace Heron.Tools { public class Use2 { object F() { return "
                             "new Heron.CoordinateTransformation(); } } }")
    assert not declares.conflicts(library) and declares.conflicts(partly)


def test_the_resident_compiler_runs_with_a_large_nursery(compiler):
    from pathlib import Path

    from gh_ft.judge.mcs_server import GC_PARAMS

    compiler.compile([component("            value = 1.0;", name="Nursery")])
    servers = list(compiler._servers.queue) if compiler._servers is not None else []
    procs = [s._proc for s in servers if s._proc is not None]
    if not procs or not Path(f"/proc/{procs[0].pid}/environ").is_file():
        pytest.skip("no resident compiler, or no /proc to read its environment")
    environ = Path(f"/proc/{procs[0].pid}/environ").read_bytes().split(b"\0")
    import os
    expected = os.environ.get("MONO_GC_PARAMS", GC_PARAMS)
    assert f"MONO_GC_PARAMS={expected}".encode() in environ


def test_declarations_only_blanks_the_lines_inside_bodies():
    from gh_ft.judge.compile import _declarations_only

    code = component("            value = 1.0;\n            value += 2.0;")
    unit = prepare_unit(0, code)
    text = _declarations_only(unit)
    assert len(text.split("\n")) == len(code.split("\n"))
    assert "value += 2.0" not in text and "pManager.AddCurveParameter" not in text
    assert "protected override void SolveInstance(IGH_DataAccess DA)" in text
    assert prepare_unit(1, text).body_lines == unit.body_lines


def test_a_file_guessed_to_stop_mcs_is_still_compiled_whole(tmp_path):
    """A `using` of a namespace nobody here defines makes the file a suspect: its first call
    holds its declarations only. Given the DLL after all (`--reference`), it is compiled whole
    in the next call: a right body passes, a wrong one fails."""
    import subprocess

    mcs = require_tool("mcs", MCS_WHY)
    (tmp_path / "Lib.cs").write_text("namespace Acme.Geo { public static class Widgets { "
                                     "public static double Scale(double v, double f) { return v * f; } } }")
    dll = tmp_path / "Acme.Geo.dll"
    subprocess.run([mcs, "-target:library", f"-out:{dll}", str(tmp_path / "Lib.cs")], check=True, capture_output=True)
    good = "using Acme.Geo;\n" + component("            value = Widgets.Scale(value, 2.0);", name="Good")
    bad = "using Acme.Geo;\n" + component('            value = Widgets.Scale(value, "two");', name="Bad")
    with Compiler(mcs, references=[dll]) as c:
        results = c.compile([good, bad])
    assert [r.verdict for r in results] == [PASS, FAIL], results
    assert "Widgets.Scale" in results[1].reasons[0]


def test_a_shallow_text_mcs_cannot_parse_costs_a_call_not_a_verdict(compiler, monkeypatch):
    """A body whose first line goes on into the next (`{ Foo(1,` / `2); }`) leaves a broken text
    once its inner lines are blanked: the file and the others of its call are compiled whole
    in the next call, judged as usual."""
    from gh_ft.judge import compile as c

    odd = "using Acme.Geo;\n" + component("            value = 1.0;", name="Odd").replace(
        "        protected override void SolveInstance(IGH_DataAccess DA)\n        {",
        "        protected override void SolveInstance(IGH_DataAccess DA)\n        { value2(1,")
    odd = odd.replace("            Curve curve = null;", "            2);\n            Curve curve = null;", 1)
    odd = odd.replace("        public Odd()", "        void value2(int a, int b) { }\n        public Odd()")
    fine = component("            value = 2.0;", name="Fine")
    wrong = component("            value = missingName;", name="Wrong")
    results = compiler.compile([odd, fine, wrong])
    assert results[1].verdict == PASS, results[1]
    assert results[2].verdict == FAIL, results[2]
    assert results[0].verdict == UNKNOWN, results[0]      # Acme.Geo is not given
