"""A generated Grasshopper corpus for benchmarks and tests: many components with
genuinely different logic (random pipelines of RhinoCommon operations), some behind a
plugin base class, a few files with several components, and realistic sizes."""
from __future__ import annotations

import random
import uuid
from pathlib import Path

_NOUNS = ["Curve", "Mesh", "Point", "Surface", "Brep", "Plane", "Vector", "Grid", "Panel", "Frame",
          "Field", "Graph", "Path", "Shell", "Strip", "Cloud", "Contour", "Facade", "Truss", "Slab"]
_VERBS = ["Divide", "Offset", "Project", "Measure", "Sort", "Cull", "Orient", "Smooth", "Split", "Blend",
          "Relax", "Evaluate", "Extend", "Trim", "Array", "Scale", "Rotate", "Loft", "Pipe", "Fillet"]
_CATEGORIES = ["Sample", "Tools", "Geometry", "Analysis"]

# Each step reads `crv` (a Curve), `count` (int), `dist` (double) and appends to `pts`/`vals`.
_STEPS = [
    "pts.AddRange(crv.DivideEquidistant(dist) ?? new Point3d[0]);",
    "vals.Add(crv.GetLength());",
    "var bbox{i} = crv.GetBoundingBox(true); pts.Add(bbox{i}.Center);",
    "var off{i} = crv.Offset(Plane.WorldXY, dist, 0.001, CurveOffsetCornerStyle.Sharp); if (off{i} != null) vals.Add(off{i}.Length);",
    "for (int k{i} = 0; k{i} <= count; k{i}++) pts.Add(crv.PointAtNormalizedLength((double)k{i} / Math.Max(1, count)));",
    "vals.Add(crv.IsClosed ? 1.0 : 0.0);",
    "var amp{i} = AreaMassProperties.Compute(crv); if (amp{i} != null) pts.Add(amp{i}.Centroid);",
    "pts.Add(crv.PointAtStart); pts.Add(crv.PointAtEnd);",
    "double t{i}; if (crv.ClosestPoint(Point3d.Origin, out t{i})) vals.Add(t{i});",
    "var seg{i} = crv.DuplicateSegments(); vals.Add(seg{i}.Length);",
    "var tan{i} = crv.TangentAtStart; vals.Add(Vector3d.VectorAngle(tan{i}, Vector3d.XAxis));",
    "var ext{i} = crv.Extend(CurveEnd.Both, dist, CurveExtensionStyle.Line); if (ext{i} != null) vals.Add(ext{i}.GetLength());",
    "pts = pts.OrderBy(p => p.X).ThenBy(p => p.Y).ToList();",
    "vals = vals.Where(v => !double.IsNaN(v)).Select(v => Math.Round(v, 4)).ToList();",
    "var cen{i} = pts.Count > 0 ? new Point3d(pts.Average(p => p.X), pts.Average(p => p.Y), pts.Average(p => p.Z)) : Point3d.Origin; pts.Add(cen{i});",
    "var pl{i} = new Polyline(pts); vals.Add(pl{i}.Length);",
    "if (crv.TryGetPlane(out Plane cp{i})) vals.Add(cp{i}.Normal.Z);",
    "var frames{i} = crv.GetPerpendicularFrames(crv.DivideByCount(Math.Max(1, count), true) ?? new double[0]); if (frames{i} != null) vals.Add(frames{i}.Length);",
    "var sc{i} = crv.DuplicateCurve(); sc{i}.Transform(Transform.Scale(Point3d.Origin, 1.0 + dist)); vals.Add(sc{i}.GetLength());",
    "var rot{i} = crv.DuplicateCurve(); rot{i}.Rotate(dist, Vector3d.ZAxis, Point3d.Origin); pts.Add(rot{i}.PointAtStart);",
    "vals.Add(crv.Degree);",
    "var kinks{i} = crv.ToNurbsCurve().Points.Count; vals.Add(kinks{i});",
    "var proj{i} = Curve.ProjectToPlane(crv, Plane.WorldXY); if (proj{i} != null) pts.Add(proj{i}.PointAtEnd);",
    "var mid{i} = crv.PointAtNormalizedLength(0.5); pts.Add(mid{i} + Vector3d.ZAxis * dist);",
    "var sm{i} = crv.Smooth(0.5, true, true, true, false, SmoothingCoordinateSystem.World); if (sm{i} != null) vals.Add(sm{i}.GetLength());",
]


def make_component(i: int, rng: random.Random, base: str = "GH_Component") -> tuple[str, str]:
    """(class name, class declaration) of a component with its own random logic."""
    verb, noun = rng.choice(_VERBS), rng.choice(_NOUNS)
    cls = f"{verb}{noun}{i}Component"
    steps = rng.sample(range(len(_STEPS)), rng.randint(4, 8))
    body = "\n".join("            " + _STEPS[s].format(i=j) for j, s in enumerate(steps))
    guid = uuid.UUID(int=rng.getrandbits(128), version=4)
    if base == "GH_Component":
        ctor = (f'base("{verb} {noun} {i}", "{verb[:3]}{noun[:2]}{i}", "{verb}s a {noun.lower()} using '
                f'{len(steps)} operations", "{rng.choice(_CATEGORIES)}", "{noun}")')
    else:
        ctor = f'base("{verb} {noun} {i}", "{verb[:3]}{noun[:2]}{i}", "{verb}s a {noun.lower()}")'
    code = f'''    /// <summary>{verb} a {noun.lower()} (generated component {i}).</summary>
    public class {cls} : {base}
    {{
        public {cls}()
          : {ctor}
        {{
        }}

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {{
            pManager.AddCurveParameter("Curve", "C", "Input curve", GH_ParamAccess.item);
            pManager.AddIntegerParameter("Count", "N", "Count", GH_ParamAccess.item, {rng.randint(2, 20)});
            pManager.AddNumberParameter("Distance", "D", "Distance", GH_ParamAccess.item, {rng.randint(1, 9)}.0);
        }}

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {{
            pManager.AddPointParameter("Points", "P", "Points", GH_ParamAccess.list);
            pManager.AddNumberParameter("Values", "V", "Values", GH_ParamAccess.list);
        }}

        protected override void SolveInstance(IGH_DataAccess DA)
        {{
            Curve crv = null;
            int count = 0;
            double dist = 0.0;
            if (!DA.GetData(0, ref crv)) return;
            DA.GetData(1, ref count);
            DA.GetData(2, ref dist);
            var pts = new List<Point3d>();
            var vals = new List<double>();
{body}
            DA.SetDataList(0, pts);
            DA.SetDataList(1, vals);
        }}

        public override Guid ComponentGuid => new Guid("{guid}");
    }}
'''
    return cls, code


HEADER = """using System;
using System.Collections.Generic;
using System.Linq;
using Grasshopper.Kernel;
using Rhino.Geometry;

namespace Generated.Plugin{ns}
{{
"""

BASE_FILE = HEADER.format(ns="") + """    public abstract class PluginComponent : GH_Component
    {
        protected PluginComponent(string name, string nickname, string description)
          : base(name, nickname, description, "Generated", "Plugin")
        {
        }
    }
}
"""


def write_corpus(root: Path, n_files: int, seed: int = 7, start: int = 0) -> list[Path]:
    """n_files .cs files under root (one shared base class file included when start == 0)."""
    rng = random.Random(seed * 1_000_003 + start)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    if start == 0:
        (root / "PluginComponent.cs").write_text(BASE_FILE, encoding="utf-8")
        written.append(root / "PluginComponent.cs")
    for i in range(start, start + n_files - (1 if start == 0 else 0)):
        per_file = 2 if i % 10 == 0 else 1
        parts = []
        for j in range(per_file):
            base = "PluginComponent" if (i + j) % 3 == 0 else "GH_Component"
            parts.append(make_component(i * 10 + j, rng, base)[1])
        folder = root / f"part{i % 20:02d}"
        folder.mkdir(exist_ok=True)
        path = folder / f"File{i:05d}.cs"
        path.write_text(HEADER.format(ns=f".Part{i % 20}") + "\n".join(parts) + "}\n", encoding="utf-8")
        written.append(path)
    return written
