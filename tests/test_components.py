"""The one definition of a component: shapes real plugins use, across files."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gh_ft.csharp.components import component_unit, find_components
from gh_ft.csharp.declarations import read_declarations
from gh_ft.csharp.parse import parses_cleanly

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_context" / "src"


def decls(path: str, code: str):
    return read_declarations(path, textwrap.dedent(code))


def by_class(files):
    return {c.class_name: c for c in find_components(files)}


@pytest.fixture(scope="module")
def sample_components():
    files = [read_declarations(p.relative_to(SAMPLE).as_posix(), p.read_text(encoding="utf-8"))
             for p in sorted(SAMPLE.rglob("*.cs")) if "obj" not in p.parts]
    return by_class(files)


def test_sample_corpus_components_and_non_components(sample_components):
    assert set(sample_components) == {
        "DivideCurveComponent", "OffsetCurveTaskComponent", "MeshStatsComponent", "MeshWeldComponent",
        "MeshLabelComponent", "SpherePackAsyncComponent",
    }  # not: abstract bases, the static info class, the async worker, GH_AssemblyInfo, nested SolveResults


def test_sealed_with_interfaces_after_the_base(sample_components):
    c = sample_components["DivideCurveComponent"]
    assert "sealed" in c.decl.modifiers and c.root_base == "GH_Component"
    assert (c.name, c.nickname, c.category, c.subcategory) == ("Divide Curve Evenly", "DivEven", "Sample", "Curves")
    assert [(p.type, p.name, p.access) for p in c.inputs] == [
        ("Curve", "Curve", "item"), ("Integer", "Count", "item"), ("Boolean", "Ends", "item")]
    assert c.inputs[1].default == "10" and c.inputs[1].optional
    assert [(p.type, p.access) for p in c.outputs] == [("Point", "list"), ("Number", "list")]
    assert c.guid == "3f6e2b1c-8a4d-4c7e-9b2f-5d1a7c3e9f04" and c.exposure == "primary"
    unit = component_unit(c)
    assert unit.startswith("using System;") and "namespace SampleTools.Curves\n{" in unit
    assert "/// <summary>" in unit and unit.endswith("    }\n}\n") and unit.count("class ") == 1
    assert parses_cleanly(unit)


def test_task_capable_keeps_nested_result_class(sample_components):
    c = sample_components["OffsetCurveTaskComponent"]
    assert c.root_base == "GH_TaskCapableComponent"
    unit = component_unit(c)
    assert "public class SolveResults" in unit and unit.count("class ") == 2
    assert parses_cleanly(unit)
    assert "SolveResults" not in sample_components


def test_two_level_local_base_chain_across_files(sample_components):
    c = sample_components["MeshStatsComponent"]
    assert c.chain == ["MeshToolkitComponent", "ToolkitComponent", "GH_Component"]
    # name goes through two constructors and gets the prefix const; category is a const of a static class;
    # subcategory is a protected const of the middle base.
    assert (c.name, c.nickname, c.category, c.subcategory) == ("ST Mesh Statistics", "MStats", "Sample", "Mesh")
    assert c.exposure == "tertiary"  # inherited from the middle base


def test_foreign_base_with_overrides(sample_components):
    c = sample_components["SpherePackAsyncComponent"]
    assert c.foreign_base and c.root_base == "GH_AsyncComponent"
    assert c.name == "Sphere Pack" and [p.name for p in c.inputs] == ["Points", "Radius"]


def test_several_components_region_and_braces_in_strings(sample_components):
    weld, label = sample_components["MeshWeldComponent"], sample_components["MeshLabelComponent"]
    assert weld.file is label.file
    for c in (weld, label):
        unit = component_unit(c)
        assert parses_cleanly(unit), unit
        assert unit.count("class ") == 1
    label_unit = component_unit(label)
    for literal in ["'{'", "'}'", '"}} regular { \\" }"', '@"verbatim "" } {"', '$"{{ faces: {mesh.Faces.Count} }}"']:
        assert literal in label_unit
    assert "ComponentGuid" in label_unit and "#region" not in label_unit.split("class")[0]
    assert label.inputs[1].optional  # pManager[1].Optional = true
    assert "// A closing brace in a comment: }" in component_unit(weld)


def test_abstract_base_not_emitted_but_static_info_ignored(sample_components):
    assert "ToolkitComponent" not in sample_components and "MeshToolkitComponent" not in sample_components
    assert "ToolkitInfo" not in sample_components


def test_editing_a_base_in_another_file_reclassifies():
    base = decls("Base.cs", """
        using Grasshopper.Kernel;
        namespace P { public abstract class PluginBase : GH_Component {
            protected PluginBase(string n, string k) : base(n, k, "d", "Cat", "Sub") {} } }
    """)
    not_base = decls("Base.cs", """
        namespace P { public abstract class PluginBase { protected PluginBase(string n, string k) {} } }
    """)
    leaf = decls("Leaf.cs", """
        namespace P { public class Leaf : PluginBase { public Leaf() : base("Leaf", "L") {} } }
    """)
    assert set(by_class([base, leaf])) == {"Leaf"}
    assert by_class([base, leaf])["Leaf"].name == "Leaf"
    assert by_class([not_base, leaf]) == {}


def test_raw_strings_and_parse_error_fallback_keeps_the_class():
    f = decls("A.cs", '''
        using Grasshopper.Kernel;
        namespace X {
        public class AsyncNameComponent : GH_Component {
          public AsyncNameComponent() : base("Async Name", "AN", "Uses async as a name", "Cat", "Sub") {}
          protected override void SolveInstance(IGH_DataAccess DA) {
            bool async = false;
            var await = async ? 1 : 2;
            string raw = """raw { not a brace } """;
          }
          public override System.Guid ComponentGuid => new System.Guid("c5e8a2d6-7f14-4b93-9e0a-1d6c3b8f2a58");
        }
        public sealed class After : GH_Component { public After() : base("After","A","d","c","s") {} }
        }
    ''')
    found = by_class([f])
    assert set(found) == {"AsyncNameComponent", "After"}
    comp = found["AsyncNameComponent"]
    assert comp.decl.parse_errors and comp.decl.span_from_lexer
    unit = component_unit(comp)
    assert 'string raw = """raw { not a brace } """;' in unit and "ComponentGuid" in unit
    assert "class After" not in unit


def test_generic_add_parameter_and_constant_concatenation():
    f = decls("G.cs", '''
        using Grasshopper.Kernel;
        using Grasshopper.Kernel.Parameters;
        namespace G {
          static class Names { public const string Tab = "My" + "Tab"; }
          public class GenericComponent : GH_Component {
            const string Sub = "Util";
            public GenericComponent() : base("Gen" + "eric", nameof(GenericComponent), @"verbatim ""desc""", Names.Tab, Sub) {}
            protected override void RegisterInputParams(GH_InputParamManager pManager) {
              pManager.AddParameter(new Param_Number(), "X", "x", "A number", GH_ParamAccess.tree);
            }
            protected override void RegisterOutputParams(GH_OutputParamManager pManager) {}
            protected override void SolveInstance(IGH_DataAccess DA) {}
            public override System.Guid ComponentGuid { get { return new System.Guid("{0D9A7E41-5C2B-4F36-A8E1-93B7C4D2F615}"); } }
          }
        }
    ''')
    c = by_class([f])["GenericComponent"]
    assert (c.name, c.nickname, c.description, c.category, c.subcategory) == (
        "Generic", "GenericComponent", 'verbatim "desc"', "MyTab", "Util")
    assert [(p.type, p.access) for p in c.inputs] == [("Param_Number", "tree")]
    assert c.guid == "0d9a7e41-5c2b-4f36-a8e1-93b7c4d2f615"


def test_unresolvable_arguments_are_none_not_wrong():
    f = decls("U.cs", """
        namespace U { public class U1 : Grasshopper.Kernel.GH_Component {
          public U1() : base(Resources.Name, "N", $"interp {1}", "C", "S") {} } }
    """)
    c = by_class([f])["U1"]
    assert c.name is None and c.description is None and c.nickname == "N"


def test_file_scoped_namespace_unit():
    f = decls("F.cs", """
        using Grasshopper.Kernel;
        namespace Scoped.Ns;
        public class FileScoped : GH_Component { public FileScoped() : base("F","F","d","c","s") {} }
    """)
    unit = component_unit(by_class([f])["FileScoped"])
    assert "namespace Scoped.Ns;\n\npublic class FileScoped" in unit and parses_cleanly(unit)
