"""Tests for gh_ft.dataset: hashing, normalisation, near-duplicates, dedup, split, leaks."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gh_ft.dataset import (
    Example,
    NearDupIndex,
    cluster_near_duplicates,
    code_fingerprint,
    dedup_examples,
    find_leaks,
    normalized_tokens,
    split_examples,
    split_side,
    stable_hash,
)
from gh_ft.dataset.normalize import _code_tokens, _declaration_sites

ROOT = Path(__file__).resolve().parents[1]

DIVIDE = '''using System;
using System.Collections.Generic;
using Grasshopper.Kernel;
using Rhino.Geometry;

namespace CurveTools
{
    /// <summary>Divides a curve into equal segments.</summary>
    public class DivideCurveComponent : GH_Component
    {
        public DivideCurveComponent()
          : base("Divide Curve", "Div",
              "Divide a curve into a number of equal-length segments",
              "Curve", "Division")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curve", "C", "Curve to divide", GH_ParamAccess.item);
            pManager.AddIntegerParameter("Count", "N", "Number of segments", GH_ParamAccess.item, 10);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddPointParameter("Points", "P", "Division points", GH_ParamAccess.list);
            pManager.AddNumberParameter("Parameters", "t", "Curve parameters", GH_ParamAccess.list);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Curve curve = null;
            int count = 0;
            if (!DA.GetData(0, ref curve)) return;
            if (!DA.GetData(1, ref count)) return;
            if (count < 1)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "Count must be positive");
                return;
            }

            // divide and evaluate
            double[] ts = curve.DivideByCount(count, true);
            if (ts == null) return;
            var points = new List<Point3d>(ts.Length);
            foreach (double t in ts)
            {
                points.Add(curve.PointAt(t));
            }

            DA.SetDataList(0, points);
            DA.SetDataList(1, ts);
        }

        protected override System.Drawing.Bitmap Icon => null;

        public override Guid ComponentGuid => new Guid("3f2a9c1e-7b4d-4e8a-9c21-5d6e7f8a9b0c");
    }
}
'''

# Same component: reformatted, renamed class/locals/parameters, other comments, GUID and strings.
DIVIDE_TWIN = '''using System;
using System.Collections.Generic;
using Grasshopper.Kernel;
using Rhino.Geometry;
namespace MyPlugin.Geometry {
  #region component
  public class SplitCrv : GH_Component {
    public SplitCrv() : base("Split", "S", "Splits the curve", "Params", "Util") { }
    protected override void RegisterInputParams(GH_Component.GH_InputParamManager inputs) {
      inputs.AddCurveParameter("Crv", "C", "input", GH_ParamAccess.item);
      inputs.AddIntegerParameter("Segments", "S", "how many", GH_ParamAccess.item, 10);
    }
    protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager outputs) {
      outputs.AddPointParameter("Pts", "P", "points", GH_ParamAccess.list);
      outputs.AddNumberParameter("T", "t", "params", GH_ParamAccess.list);
    }
    protected override void SolveInstance(IGH_DataAccess access) {
      Curve crv = null; int n = 0;
      if (!access.GetData(0, ref crv)) return;
      if (!access.GetData(1, ref n)) return;
      if (n < 1) { AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "bad n"); return; }
      /* split it */
      double[] parameters = crv.DivideByCount(n, true);
      if (parameters == null) return;
      var result = new List<Point3d>(parameters.Length);
      foreach (double p in parameters) { result.Add(crv.PointAt(p)); }
      access.SetDataList(0, result);
      access.SetDataList(1, parameters);
    }
    protected override System.Drawing.Bitmap Icon => null;
    public override Guid ComponentGuid => new Guid("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  }
  #endregion
}
'''

# One extra statement (declares a new local) -> tier-2 near duplicate.
DIVIDE_PLUS = DIVIDE.replace(
    "            DA.SetDataList(0, points);",
    "            double length = curve.GetLength();\n            DA.SetDataList(0, points);",
)

# Same skeleton, different logic: offset instead of divide.
OFFSET = '''using System;
using System.Collections.Generic;
using Grasshopper.Kernel;
using Rhino.Geometry;

namespace CurveTools
{
    public class OffsetCurveComponent : GH_Component
    {
        public OffsetCurveComponent()
          : base("Offset Curve", "Off",
              "Offset a planar curve by a distance",
              "Curve", "Util")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curve", "C", "Curve to offset", GH_ParamAccess.item);
            pManager.AddNumberParameter("Distance", "D", "Offset distance", GH_ParamAccess.item, 1.0);
            pManager.AddPlaneParameter("Plane", "P", "Offset plane", GH_ParamAccess.item, Plane.WorldXY);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddCurveParameter("Offsets", "O", "Offset curves", GH_ParamAccess.list);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Curve curve = null;
            double distance = 0.0;
            Plane plane = Plane.WorldXY;
            if (!DA.GetData(0, ref curve)) return;
            if (!DA.GetData(1, ref distance)) return;
            DA.GetData(2, ref plane);
            double tol = Rhino.RhinoDoc.ActiveDoc?.ModelAbsoluteTolerance ?? 0.001;
            Curve[] offsets = curve.Offset(plane, distance, tol, CurveOffsetCornerStyle.Sharp);
            if (offsets == null || offsets.Length == 0)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Warning, "Offset failed");
                return;
            }
            DA.SetDataList(0, offsets);
        }

        protected override System.Drawing.Bitmap Icon => null;

        public override Guid ComponentGuid => new Guid("9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d");
    }
}
'''

SQRT = "class A { double F(double x) { return Math.Sqrt(x) * 2; } }"
ABS = "class A { double F(double x) { return Math.Abs(x) * 2; } }"


def declared(code: str) -> set[str]:
    kinds, texts = _code_tokens(code)
    return {texts[i] for i in _declaration_sites(kinds, texts)}


# ---------------------------------------------------------------- hashing


def test_stable_hash_is_sha256_and_stable_across_processes():
    assert stable_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    prog = (
        "from gh_ft.dataset import stable_hash, code_fingerprint, cluster_near_duplicates\n"
        "import sys; code = sys.stdin.read()\n"
        "print(stable_hash('Grasshopper ✓'), code_fingerprint(code))\n"
    )
    outs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        r = subprocess.run([sys.executable, "-c", prog], input=DIVIDE, capture_output=True,
                           text=True, env=env, cwd=ROOT, check=True)
        outs.add(r.stdout)
    assert outs == {f"{stable_hash('Grasshopper ✓')} {code_fingerprint(DIVIDE)}\n"}


def test_clusters_identical_across_hash_seeds():
    prog = (
        "import json, sys\nfrom gh_ft.dataset import cluster_near_duplicates\n"
        "items = json.loads(sys.stdin.read())\n"
        "print(json.dumps(cluster_near_duplicates([tuple(i) for i in items]), sort_keys=True))\n"
    )
    import json
    items = json.dumps([["a", DIVIDE], ["b", OFFSET], ["c", DIVIDE_PLUS], ["d", DIVIDE_TWIN]])
    outs = {subprocess.run([sys.executable, "-c", prog], input=items, capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": s}, cwd=ROOT, check=True).stdout
            for s in ("0", "7", "99")}
    assert len(outs) == 1
    assert json.loads(outs.pop()) == {"a": "a", "b": "b", "c": "a", "d": "a"}


# ---------------------------------------------------------------- normalisation


def test_normalization_drops_layout_comments_and_literals():
    toks = normalized_tokens('#region x\nvar s = "hi"; // c\n char c = \'x\'; /* b */ int n = 42;\n#endregion')
    assert toks == ["var", "v0", "=", "<str>", ";", "char", "v1", "=", "<chr>", ";",
                    "int", "v2", "=", "42", ";"]


def test_declared_names_detected():
    code = '''
namespace Foo.Bar {
  public class Widget<T> : GH_Component where T : class {
    private readonly List<Curve> _cache = new List<Curve>();
    private int? _count;
    public double Size { get; private set; }
    public enum Mode { Fast, Slow = 2 }
    double[] Weights(int n, out int m) { m = n; return new double[n]; }
    U Pick<U>(U a) => a;
    void Run(IEnumerable<Curve> curves, Dictionary<string, int> map) {
      foreach (var c in curves) { }
      using (var stream = Open()) { }
      if (TryGet(out var found)) { }
      var lengths = curves.Select(x => x.GetLength()).Where((y, i) => y > i);
      if (obj is Circle circle && circle.IsValid) { }
      try { } catch (Exception ex) { }
      for (int k = 0; k < 3; k++) { }
    }
  }
}'''
    names = declared(code)
    expected = {"Widget", "T", "_cache", "_count", "Size", "Mode", "Fast", "Slow",
                "Weights", "n", "m", "Pick", "U", "a", "Run", "curves", "map", "c", "stream",
                "found", "lengths", "x", "y", "i", "circle", "ex", "k"}
    assert expected <= names
    # Used-only names stay API names.
    for used in ("GH_Component", "List", "Curve", "Open", "TryGet", "Select", "Where", "GetLength",
                 "Circle", "IsValid", "Exception", "IEnumerable", "Dictionary", "obj", "get", "set",
                 "Foo", "Bar"):
        assert used not in names, used


def test_declared_names_not_fooled_by_expressions():
    code = '''class A { void F() {
      if (a > b) return;
      if (i < n && x > y) Go(x);
      var r = ok ? Compute(x) : 0;
      return value;
      var s = o as Shape;
      throw error;
      yield return item;
      DA.GetData(0, ref curve);
      Foo(count: 3);
    } }'''
    names = declared(code)
    assert names == {"A", "F", "r", "s"}, names


def test_overrides_and_using_directives_keep_api_names():
    names = declared(DIVIDE)
    for api in ("SolveInstance", "RegisterInputParams", "RegisterOutputParams", "ComponentGuid",
                "Icon", "System", "Grasshopper", "Rhino", "DivideByCount", "GH_ParamAccess", "Guid"):
        assert api not in names, api
    assert {"DivideCurveComponent", "pManager", "DA", "curve", "count", "ts", "points", "t"} <= names
    assert "CurveTools" not in names  # namespaces fold to one placeholder token


def test_indented_directives_and_namespaces_fold():
    a = "namespace A.B.C {\n  #region Parts\n  class X { int F() => 1; }\n  #endregion\n}"
    b = "namespace Other\n{\n    class Y { int G() => 1; }\n}"
    assert normalized_tokens(a) == normalized_tokens(b) == [
        "namespace", "<ns>", "{", "class", "v0", "{", "int", "v1", "(", ")", "=>", "1", ";", "}", "}"]
    # `using Rhino.Geometry;` is a use, even when a namespace part is called Geometry.
    assert "Geometry" in normalized_tokens("using Rhino.Geometry;\nnamespace P.Geometry { }")


def test_redeclared_names_get_fresh_numbers():
    same = "void A(Mgr p) { p.Add(1); } void B(Mgr p) { p.Add(2); }"
    split = "void A(Mgr inputs) { inputs.Add(1); } void B(Mgr outputs) { outputs.Add(2); }"
    assert normalized_tokens(same) == normalized_tokens(split)
    loops = "foreach (var t in xs) F(t); foreach (var t in ys) G(t);"
    assert normalized_tokens(loops) == normalized_tokens(loops.replace("var t in ys) G(t)", "var u in ys) G(u)"))


def test_renaming_follows_first_appearance():
    assert normalized_tokens("int a = 1; int b = a + c;") == normalized_tokens("int q = 1; int z = q + c;")
    assert normalized_tokens("int a = 1; int b = a + c;") != normalized_tokens("int a = 1; int b = a + d;")
    assert normalized_tokens("int a = 1; int b = a;") != normalized_tokens("int a = 1; int b = 1;")


# ---------------------------------------------------------------- near duplicates


def test_reformatted_renamed_twin_has_same_fingerprint_and_clusters():
    assert code_fingerprint(DIVIDE) == code_fingerprint(DIVIDE_TWIN)
    assert cluster_near_duplicates([("orig", DIVIDE), ("twin", DIVIDE_TWIN)]) == {
        "orig": "orig", "twin": "orig"}


def test_extra_statement_is_tier2_near_duplicate():
    assert code_fingerprint(DIVIDE) != code_fingerprint(DIVIDE_PLUS)
    idx = NearDupIndex()
    idx.add("orig", DIVIDE)
    assert idx.query(DIVIDE_PLUS) == ["orig"]
    assert cluster_near_duplicates([("plus", DIVIDE_PLUS), ("orig", DIVIDE)]) == {
        "plus": "plus", "orig": "plus"}


def test_different_logic_same_skeleton_is_not_near_duplicate():
    idx = NearDupIndex()
    idx.add("divide", DIVIDE)
    assert idx.query(OFFSET) == []
    assert cluster_near_duplicates([("d", DIVIDE), ("o", OFFSET)]) == {"d": "d", "o": "o"}


def test_api_swap_changes_fingerprint():
    assert code_fingerprint(SQRT) != code_fingerprint(ABS)
    assert code_fingerprint(SQRT) == code_fingerprint(SQRT.replace("x", "value").replace("A", "B"))


def test_query_ranks_exact_before_near():
    idx = NearDupIndex()
    idx.add("plus", DIVIDE_PLUS)
    idx.add("offset", OFFSET)
    idx.add("twin", DIVIDE_TWIN)
    assert idx.query(DIVIDE) == ["twin", "plus"]
    assert len(idx) == 3


def test_tiny_codes():
    assert cluster_near_duplicates([("a", "x"), ("b", "y"), ("c", ""), ("d", "  // only\n"),
                                    ("e", "return;")]) == {
        "a": "a", "b": "b", "c": "c", "d": "c", "e": "e"}
    idx = NearDupIndex(shingle=5)
    idx.add("k", "a + b")
    assert idx.query("a  +  b // same") == ["k"]
    assert idx.query("a - b") == []


def test_cluster_representative_is_first_in_order_and_transitive():
    items = [("x", OFFSET), ("b", DIVIDE_PLUS), ("a", DIVIDE), ("c", DIVIDE_TWIN)]
    assert cluster_near_duplicates(items) == {"x": "x", "b": "b", "a": "b", "c": "b"}


def test_bad_parameters():
    with pytest.raises(ValueError):
        NearDupIndex(threshold=0)
    with pytest.raises(ValueError):
        split_side("g", 0, 1.5)


# ---------------------------------------------------------------- dedup


def ex(output: str, group: str, kind: str = "component", src: str = "") -> Example:
    return Example("Write a Grasshopper component.", "", output, src or group, kind, group)


def test_example_alpaca():
    e = Example("i", "in", "out", "src/A.cs#A", meta={"x": 1})
    assert e.alpaca() == {"instruction": "i", "input": "in", "output": "out"}
    assert e.kind == "component" and e.group == ""


def test_dedup_keeps_first_and_drops_twins_with_their_skeletons():
    orig = ex(DIVIDE, "g1")
    orig_skel = ex(DIVIDE, "g1", "skeleton")
    twin = ex(DIVIDE_TWIN, "g2")
    twin_skel = ex(DIVIDE_TWIN, "g2", "skeleton")
    plus = ex(DIVIDE_PLUS, "g3")
    other = ex(OFFSET, "g4")
    doc = Example("Explain.", "", "class Doc {}", "docs/guide.pdf:page 3", "document", "d1")
    orphan_skel = ex(SQRT, "g9", "skeleton")
    kept, dropped = dedup_examples([orig, orig_skel, twin, twin_skel, plus, other, doc, orphan_skel])
    assert kept == [orig, orig_skel, other, doc, orphan_skel]
    assert dropped == [(twin, orig), (twin_skel, orig), (plus, orig)]


def test_dedup_skeleton_lives_while_any_group_original_lives():
    a = ex(DIVIDE, "shared-file")
    b = ex(DIVIDE_TWIN, "shared-file")  # dropped, but its group still has `a`
    s = ex(DIVIDE_TWIN, "shared-file", "skeleton")
    kept, dropped = dedup_examples([a, b, s])
    assert kept == [a, s] and dropped == [(b, a)]


# ---------------------------------------------------------------- split


def test_split_is_grouped_deterministic_and_stable():
    examples = []
    for g in range(300):
        examples.append(ex(f"class C{g} {{}}", f"grp{g}"))
        examples.append(ex(f"class C{g} {{}}", f"grp{g}", "skeleton"))
    train, test = split_examples(examples, seed=7, test_fraction=0.2)
    assert len(train) + len(test) == len(examples) and test and train
    side = {e.group: "test" for e in test} | {e.group: "train" for e in train}
    assert len(side) == 300  # no group on both sides
    assert {e.group for e in train}.isdisjoint({e.group for e in test})
    assert split_examples(examples, seed=7, test_fraction=0.2) == (train, test)
    more = examples + [ex(f"class N{g} {{}}", f"new{g}") for g in range(100)]
    train2, test2 = split_examples(list(reversed(more)), seed=7, test_fraction=0.2)
    side2 = {e.group: "test" for e in test2} | {e.group: "train" for e in train2}
    assert all(side2[g] == s for g, s in side.items())
    # A different seed reshuffles.
    assert split_examples(examples, seed=8, test_fraction=0.2)[1] != test


def test_split_fraction_over_2000_groups_and_edges():
    groups = [f"src/Plugin{i % 7}/Comp{i}.cs#Comp{i}" for i in range(2000)]
    examples = [ex(f"class C{i} {{}}", g, kind) for i, g in enumerate(groups)
                for kind in ("component", "skeleton")]
    train, test = split_examples(examples, seed=42, test_fraction=0.15)
    n_test = len({e.group for e in test})
    assert 0.13 * 2000 < n_test < 0.17 * 2000  # expected 300, sd ~16
    assert len(test) == 2 * n_test  # each group's original and skeleton together
    assert all(split_side(g, 42, 0.0) == "train" for g in groups[:200])
    assert all(split_side(g, 42, 1.0) == "test" for g in groups[:200])
    import hashlib
    g = groups[0]
    u = int.from_bytes(hashlib.sha256(f"42:{g}".encode()).digest()[:8], "big") / 2**64
    assert split_side(g, 42, 0.15) == ("test" if u < 0.15 else "train")


def test_split_falls_back_to_source_without_group():
    a = Example("i", "", "o", "src/A.cs#A")
    b = Example("i", "", "o2", "src/A.cs#A")
    train, test = split_examples([a, b], seed=1, test_fraction=0.5)
    assert (len(train), len(test)) in ((2, 0), (0, 2))


# ---------------------------------------------------------------- leaks


def test_find_leaks():
    train = [OFFSET, DIVIDE, SQRT]
    test = [ABS, DIVIDE_TWIN, DIVIDE_PLUS]
    assert find_leaks(train, test) == [(1, 1), (1, 2)]
    assert find_leaks([OFFSET, SQRT], [DIVIDE, ABS]) == []
    assert find_leaks([], [DIVIDE]) == [] and find_leaks([DIVIDE], []) == []
