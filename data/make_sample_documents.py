"""Write the demo corpus documents under data/sample_context/ (deterministic output).

    python data/make_sample_documents.py

Each document holds a different, complete Grasshopper component plus prose a
Grasshopper developer would keep next to their code: a PDF book chapter, a Word
design note, Markdown notes and a plain-text workflow note. The outputs are
committed; rerunning the script reproduces them byte for byte.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "sample_context"

# ---------------------------------------------------------------- components

OFFSET_EXTRUDE = '''\
using System;
using System.Collections.Generic;
using Grasshopper.Kernel;
using Rhino.Geometry;

namespace Cookbook.Components
{
    /// <summary>
    /// Offsets a closed planar curve and extrudes the offset into a capped solid.
    /// </summary>
    public class OffsetExtrudeComponent : GH_Component
    {
        public OffsetExtrudeComponent()
          : base("Offset Extrude", "OffExt",
                 "Offset a closed planar curve, then extrude it into a capped solid",
                 "Cookbook", "Solids")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curve", "C", "Closed planar curve to offset",
                GH_ParamAccess.item);
            pManager.AddNumberParameter("Distance", "D", "Offset distance (negative = inwards)",
                GH_ParamAccess.item, 1.0);
            pManager.AddNumberParameter("Height", "H", "Extrusion height along the plane normal",
                GH_ParamAccess.item, 3.0);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddCurveParameter("Offset", "O", "The offset curve", GH_ParamAccess.item);
            pManager.AddBrepParameter("Solid", "S", "The capped extrusion", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Curve curve = null;
            double distance = 1.0;
            double height = 3.0;
            if (!DA.GetData(0, ref curve)) return;
            if (!DA.GetData(1, ref distance)) return;
            if (!DA.GetData(2, ref height)) return;

            double tolerance = DocumentTolerance();
            if (!curve.IsClosed)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "The curve must be closed.");
                return;
            }

            Plane plane;
            if (!curve.TryGetPlane(out plane, tolerance))
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "The curve must be planar.");
                return;
            }

            Curve[] offsets = curve.Offset(plane, distance, tolerance,
                CurveOffsetCornerStyle.Sharp);
            if (offsets == null || offsets.Length == 0)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Warning,
                    "The offset failed; try a smaller distance.");
                return;
            }
            if (offsets.Length > 1)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Remark,
                    "The offset split into pieces; the first is used.");
            }

            Curve offset = offsets[0];
            Extrusion extrusion = Extrusion.Create(offset, height, true);
            DA.SetData(0, offset);
            DA.SetData(1, extrusion == null ? null : extrusion.ToBrep());
        }

        public override GH_Exposure Exposure => GH_Exposure.primary;

        protected override System.Drawing.Bitmap Icon => null;

        public override Guid ComponentGuid => new Guid("477a2418-c41f-46d1-8959-90db9f87748c");
    }
}'''

TOLERANCE_HELPER = '''\
public static class ToleranceHelpers
{
    // Lengths below this are treated as zero by the model.
    public static bool IsTiny(double length, double tolerance)
    {
        return Math.Abs(length) < tolerance;
    }
}'''

MESH_TOPOLOGY = '''\
using System;
using Grasshopper.Kernel;
using Rhino.Geometry;

namespace DesignNotes.Components
{
    public class MeshTopologyReportComponent : GH_Component
    {
        public MeshTopologyReportComponent()
          : base("Mesh Topology Report", "MeshTopo",
                 "Vertex and face counts, quad share and naked edges of a mesh",
                 "DesignNotes", "Analysis")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddMeshParameter("Mesh", "M", "Mesh to inspect", GH_ParamAccess.item);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddIntegerParameter("Vertices", "V", "Number of vertices", GH_ParamAccess.item);
            pManager.AddIntegerParameter("Faces", "F", "Number of faces", GH_ParamAccess.item);
            pManager.AddIntegerParameter("Quads", "Q", "Number of quad faces", GH_ParamAccess.item);
            pManager.AddBooleanParameter("Closed", "C", "True when the mesh is watertight", GH_ParamAccess.item);
            pManager.AddCurveParameter("Naked Edges", "E", "Naked edges as polylines", GH_ParamAccess.list);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Mesh mesh = null;
            if (!DA.GetData(0, ref mesh)) return;
            if (mesh == null || !mesh.IsValid)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "The mesh is not valid.");
                return;
            }

            int quads = mesh.Faces.QuadCount;
            Polyline[] naked = mesh.GetNakedEdges() ?? new Polyline[0];
            var edges = new PolylineCurve[naked.Length];
            for (int i = 0; i < naked.Length; i++)
            {
                edges[i] = new PolylineCurve(naked[i]);
            }
            if (naked.Length > 0)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Remark, naked.Length + " naked edge loop(s) found.");
            }

            DA.SetData(0, mesh.Vertices.Count);
            DA.SetData(1, mesh.Faces.Count);
            DA.SetData(2, quads);
            DA.SetData(3, mesh.IsClosed);
            DA.SetDataList(4, edges);
        }

        public override Guid ComponentGuid => new Guid("799a78ad-ec30-48da-b005-a022bb9f4848");
    }
}'''

POINT_CLOUD_BOUNDS = '''\
using System;
using System.Collections.Generic;
using Grasshopper.Kernel;
using Rhino.Geometry;

namespace VectorTools
{
    public class PointCloudBoundsComponent : GH_Component
    {
        public PointCloudBoundsComponent()
          : base("Point Cloud Bounds", "PtBounds",
                 "Plane-aligned bounding box of a list of points",
                 "Vector Tools", "Points")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddPointParameter("Points", "P", "Points to enclose", GH_ParamAccess.list);
            pManager.AddPlaneParameter("Plane", "Pl", "Orientation of the box", GH_ParamAccess.item, Plane.WorldXY);
            pManager[1].Optional = true;
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddBoxParameter("Box", "B", "Bounding box aligned to the plane", GH_ParamAccess.item);
            pManager.AddPointParameter("Center", "C", "Center of the box", GH_ParamAccess.item);
            pManager.AddNumberParameter("Volume", "V", "Volume of the box", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            var points = new List<Point3d>();
            Plane plane = Plane.WorldXY;
            if (!DA.GetDataList(0, points)) return;
            DA.GetData(1, ref plane);

            if (points.Count < 2)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Warning, "At least two points are needed.");
                return;
            }

            var box = new Box(plane, points);
            DA.SetData(0, box);
            DA.SetData(1, box.Center);
            DA.SetData(2, box.Volume);
        }

        public override Guid ComponentGuid => new Guid("6c94c67c-696a-4770-8393-5cdf9e13c55e");
    }
}'''

PROJECT_VECTOR = '''\
using System;
using Grasshopper.Kernel;
using Rhino.Geometry;

namespace VectorTools
{
    public class ProjectVectorComponent : GH_Component
    {
        public ProjectVectorComponent()
          : base("Project Vector", "ProjVec",
                 "Project a vector onto a plane and report what was removed",
                 "Vector Tools", "Vectors")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddVectorParameter("Vector", "V", "Vector to project", GH_ParamAccess.item);
            pManager.AddPlaneParameter("Plane", "P", "Target plane", GH_ParamAccess.item, Plane.WorldXY);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddVectorParameter("Projected", "Pr", "Component of the vector lying in the plane", GH_ParamAccess.item);
            pManager.AddVectorParameter("Normal", "N", "Component along the plane normal", GH_ParamAccess.item);
            pManager.AddNumberParameter("Length", "L", "Length of the projected vector", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Vector3d vector = Vector3d.Zero;
            Plane plane = Plane.WorldXY;
            if (!DA.GetData(0, ref vector)) return;
            if (!DA.GetData(1, ref plane)) return;

            Vector3d normal = plane.Normal;
            if (!normal.Unitize())
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "The plane has no valid normal.");
                return;
            }

            Vector3d along = normal * (vector * normal);
            Vector3d projected = vector - along;
            DA.SetData(0, projected);
            DA.SetData(1, along);
            DA.SetData(2, projected.Length);
        }

        public override Guid ComponentGuid => new Guid("26bcaab7-9a3a-46d2-a685-c2c1971a9122");
    }
}'''

DIVIDE_BY_LENGTH = '''\
using System;
using System.Collections.Generic;
using Grasshopper.Kernel;
using Rhino.Geometry;

namespace Workflow.Components
{
    public class DivideByLengthComponent : GH_Component
    {
        public DivideByLengthComponent()
          : base("Divide By Length", "DivLen",
                 "Divide a curve into segments of a given length",
                 "Workflow", "Curves")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curve", "C", "Curve to divide", GH_ParamAccess.item);
            pManager.AddNumberParameter("Length", "L", "Segment length", GH_ParamAccess.item, 1.0);
            pManager.AddBooleanParameter("Ends", "E", "Include the curve end points", GH_ParamAccess.item, true);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddPointParameter("Points", "P", "Division points", GH_ParamAccess.list);
            pManager.AddNumberParameter("Parameters", "t", "Curve parameters at the points", GH_ParamAccess.list);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Curve curve = null;
            double length = 1.0;
            bool ends = true;
            if (!DA.GetData(0, ref curve)) return;
            if (!DA.GetData(1, ref length)) return;
            DA.GetData(2, ref ends);

            if (length <= DocumentTolerance())
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "The length must be larger than the document tolerance.");
                return;
            }

            double[] parameters = curve.DivideByLength(length, ends);
            if (parameters == null)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Warning, "The curve is shorter than one segment.");
                return;
            }

            var points = new List<Point3d>(parameters.Length);
            foreach (double t in parameters)
            {
                points.Add(curve.PointAt(t));
            }

            DA.SetDataList(0, points);
            DA.SetDataList(1, parameters);
        }

        public override Guid ComponentGuid => new Guid("2abbbcfd-2f97-4da3-ac9e-c862e057fa6e");
    }
}'''

# ---------------------------------------------------------------- PDF

BOOK_TITLE = "Grasshopper Component Cookbook"

PDF_SECTIONS: list[tuple[str, list[str]]] = [
    ("How SolveInstance is called", [
        "Grasshopper never calls your component once per click. It calls SolveInstance once for every "
        "iteration its inputs produce: if one input receives ten curves with item access and another a "
        "single number, the solver runs ten times and pairs the number with every curve. Writing the "
        "method as if it handled one curve and one number is therefore the whole trick; the data "
        "matching is done for you.",
        "Inside SolveInstance everything goes through the IGH_DataAccess object. DA.GetData copies one "
        "item of the current iteration into a local variable and returns false when nothing usable "
        "arrived, for instance when the input is empty or a conversion failed. Return early in that "
        "case: Grasshopper has already marked the input as missing and will show the usual orange "
        "warning balloon, so adding your own message only repeats it.",
        "Access is declared per input when you register it. GH_ParamAccess.item gives you one value per "
        "iteration, GH_ParamAccess.list the whole list of the current branch through DA.GetDataList, and "
        "GH_ParamAccess.tree the complete GH_Structure through DA.GetDataTree. Choose the narrowest "
        "access that works: item access lets Grasshopper handle grafting and list matching, while tree "
        "access makes every path question your problem.",
    ]),
    ("Tolerances come from the document", [
        "Geometry operations in RhinoCommon take an absolute tolerance, and the right value is the one "
        "the user set in the Rhino model. DocumentTolerance() returns it from inside a component, and "
        "DocumentAngleToleranceRadians() does the same for angles. A component that hard-codes 0.001 "
        "works in millimetres and quietly fails in a model measured in metres, where the same number "
        "means one millimetre and offsets start to collapse.",
        "Use the tolerance for decisions as well as for calls. A length shorter than the tolerance is "
        "zero for the model, two points closer than it are the same point, and a curve whose ends are "
        "within it is closed. Keeping these comparisons in one small helper avoids scattering magic "
        "numbers through the solver code.",
    ]),
    ("A complete example: offset and extrude", [
        "The component below takes a closed planar curve, offsets it in its own plane and extrudes the "
        "result into a capped solid. It shows the full life cycle: the constructor names the component "
        "and puts it on a tab, RegisterInputParams and RegisterOutputParams describe the parameters, "
        "and SolveInstance reads, validates, computes and writes one iteration.",
    ]),
    ("Keeping helpers small", [
        "Once a plug-in has more than a handful of components the same checks appear everywhere. Pull "
        "them into a static class rather than a base component: helpers stay testable without a running "
        "Grasshopper, and the components keep a flat, readable SolveInstance. The helper below is the "
        "smallest useful one.",
    ]),
    ("Data trees without tears", [
        "A data tree is a list of branches, each addressed by a path such as {0;2}. Components with item "
        "or list access never see the paths: Grasshopper walks the branches, calls SolveInstance for each "
        "combination and builds the output tree with the same structure. That is why a well-behaved "
        "component can be grafted, flattened or simplified by the user without any code on your side.",
        "When you do need tree access, read the input with DA.GetDataTree into a GH_Structure of the "
        "matching goo type, iterate over its Paths and Branches, and append results to a new structure "
        "with the same path. Never reuse the input structure for output: it belongs to the upstream "
        "parameter and changing it corrupts data other components still read.",
        "Longest-list matching is the default between inputs, so an input that receives a single value "
        "is repeated for every item of a longer one. Document this in the parameter description when it "
        "matters, because users rely on it when they wire a single height into a list of curves.",
    ]),
    ("Runtime messages instead of exceptions", [
        "AddRuntimeMessage is the component's way of talking to the user. An Error turns the component "
        "red and stops the iteration from producing output, a Warning turns it orange but keeps whatever "
        "was set, and a Remark only shows up in the balloon. Pick the level by asking what the user has "
        "to do: fix the input, look at the result with suspicion, or nothing at all.",
        "Messages are collected per solution, not per iteration, so a message raised in the tenth "
        "iteration of a long list is shown once and the other iterations still produce data. Keep the "
        "text short and concrete; 'The curve must be closed' helps more than 'Invalid input'.",
        "Exceptions are a different matter. Grasshopper catches anything thrown from SolveInstance and "
        "shows the exception message, but it also abandons the iteration, and a null reference deep "
        "inside RhinoCommon produces a message nobody can act on. Validate early, report with a runtime "
        "message and return.",
    ]),
    ("Previews and performance", [
        "Geometry outputs are previewed automatically; a component only overrides DrawViewportWires or "
        "DrawViewportMeshes when it needs to show something that is not an output, such as a direction "
        "arrow or a highlighted problem area. Those methods run on every redraw, so they must only draw "
        "what SolveInstance already computed and stored in a field, never compute anything themselves.",
        "The solver itself should avoid work that does not depend on the inputs. Build lookup tables in "
        "the constructor or in BeforeSolveInstance, which runs once per solution before the first "
        "iteration, and release large caches in AfterSolveInstance. A component that recomputes the same "
        "spatial index for every item of a thousand-item list is the usual reason a definition feels slow.",
        "Measure before optimising: the profiler widget in the canvas shows the time each component took "
        "in the last solution, which is usually enough to find the one component worth rewriting.",
    ]),
    ("Checklist before shipping", [
        "The ComponentGuid identifies the component in saved definitions. Generate it once and never "
        "change it, not even when the class is renamed, or every file that used the old component will "
        "open with a red placeholder. Give each component an exposure so the tab stays tidy, set an icon "
        "even if it is a placeholder, and prefer runtime messages over exceptions: an exception turns "
        "the component red with a stack trace, a message tells the user what to fix.",
        "Finally, test with empty inputs, null items and degenerate geometry such as zero-length curves. "
        "Most crashes reported by users come from a SolveInstance that assumed the happy path.",
    ]),
]


def write_pdf(path: Path) -> None:
    from reportlab import rl_config
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, Preformatted, SimpleDocTemplate, Spacer

    rl_config.invariant = 1  # fixed dates and document id: byte-identical reruns
    styles = getSampleStyleSheet()
    body = ParagraphStyle("Body", parent=styles["BodyText"], fontName="Times-Roman", fontSize=11, leading=14,
                          spaceAfter=7)
    code = ParagraphStyle("Code", fontName="Courier", fontSize=7.5, leading=9.5, leftIndent=12,
                          spaceBefore=4, spaceAfter=8)

    def running_lines(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 9)
        canvas.drawString(doc.leftMargin, letter[1] - 40, BOOK_TITLE)
        canvas.drawCentredString(letter[0] / 2, 36, str(doc.page))
        canvas.restoreState()

    story = [Paragraph("Chapter 4. Geometry Components That Behave", styles["Title"]), Spacer(1, 6)]
    for heading, paragraphs in PDF_SECTIONS:
        story.append(Paragraph(heading, styles["Heading2"]))
        story.extend(Paragraph(p, body) for p in paragraphs)
        if heading.startswith("A complete example"):
            story.append(Preformatted(OFFSET_EXTRUDE, code))
        elif heading.startswith("Keeping helpers"):
            story.append(Preformatted(TOLERANCE_HELPER, code))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=letter, title="Grasshopper Component Cookbook, chapter 4",
                            author="gh-ft sample", topMargin=64, bottomMargin=64)
    doc.build(story, onFirstPage=running_lines, onLaterPages=running_lines)
    path.write_bytes(buffer.getvalue())


# ---------------------------------------------------------------- Word

DOCX_TABLE = [
    ("Parameter", "Type", "Registration", "Access"),
    ("Mesh", "Mesh", "AddMeshParameter", "item"),
    ("Vertices", "Integer", "AddIntegerParameter", "item"),
    ("Faces", "Integer", "AddIntegerParameter", "item"),
    ("Quads", "Integer", "AddIntegerParameter", "item"),
    ("Closed", "Boolean", "AddBooleanParameter", "item"),
    ("Naked Edges", "Curve", "AddCurveParameter", "list"),
]


def _normalised_zip(data: bytes) -> bytes:
    """The same zip with fixed timestamps, so the .docx is identical on every run."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write_docx(path: Path) -> None:
    import datetime

    import docx
    from docx.shared import Pt

    document = docx.Document()
    core = document.core_properties
    core.author, core.title = "gh-ft sample", "Mesh Topology Report component: design note"
    core.created = core.modified = datetime.datetime(2024, 1, 1)
    core.last_modified_by, core.revision = "gh-ft sample", 1

    document.add_heading("Mesh Topology Report component", 0)
    document.add_heading("Why this component exists", 1)
    document.add_paragraph(
        "Fabrication checks keep asking the same questions about a mesh before it goes to the printer or "
        "the CNC post-processor: how many faces it has, how many of them are quads, whether it is closed "
        "and, if not, where the holes are. The Mesh Topology Report component answers all of them in one "
        "place so definitions do not need a chain of five stock components for a routine check.")
    document.add_paragraph(
        "An empty Naked Edges output is the quickest watertightness test there is: wire it into a List "
        "Length and flag anything that is not zero. The quad count matters for panelisation, where "
        "triangles usually mean a seam or a pole that needs a second look.")
    document.add_heading("Parameters", 1)
    document.add_paragraph("Every output uses item access except the naked edges, which form a list per mesh.")
    table = document.add_table(rows=len(DOCX_TABLE), cols=4)
    table.style = "Table Grid"
    for r, row in enumerate(DOCX_TABLE):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.add_heading("Implementation", 1)
    document.add_paragraph(
        "The solver validates the mesh before touching it: an invalid mesh can make topology queries "
        "return nonsense, and reporting an error is friendlier than passing nulls downstream. Naked edges "
        "come back as polylines and are wrapped in PolylineCurve so that they travel as curves.")
    for line in MESH_TOPOLOGY.split("\n"):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(line)
        run.font.name, run.font.size = "Consolas", Pt(9)
    document.add_heading("Notes for reviewers", 2)
    document.add_paragraph(
        "Keep the ComponentGuid as it is: definitions saved with the first release reference it. If the "
        "outputs ever change order, add a new component with a new GUID and mark this one obsolete "
        "instead of editing the registration in place.")
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(_normalised_zip(buffer.getvalue()))


# ---------------------------------------------------------------- Markdown and text

VECTOR_TOOLS_MD = f"""# Vector Tools: notes

These notes collect the small geometry components of the Vector Tools tab, with the reasoning
behind their inputs. Everything here targets Rhino 7 and 8 with the Grasshopper 1 SDK.

## Point cloud bounds

A bounding box aligned to the world axes is rarely what a designer wants for a scanned or
rotated point cloud. This component takes an optional plane and returns the smallest box
aligned to it. The plane input is optional and defaults to World XY, so the component still
works when nothing is wired in. Point lists use list access: the box needs every point at once.

```csharp
{POINT_CLOUD_BOUNDS}
```

The volume output is handy for quick comparisons between scan passes; it is not an oriented
minimum box, which would need a search over plane rotations.

## Projecting vectors

Projecting a force or a sun direction onto a facade plane comes up in every environmental
study. The component splits a vector into the part lying in the plane and the part along its
normal. Unitize the normal before the dot product, otherwise a scaled plane would scale the result.

```
{PROJECT_VECTOR}
```

## Quick check in GhPython

Before writing the C# version I test the maths in a GhPython component:

```python
import Rhino.Geometry as rg

normal = rg.Vector3d(plane.Normal)
normal.Unitize()
projected = vector - normal * (vector * normal)
a = projected
```

The Python prototype is slower but it is a five-minute way to confirm the expected outputs
before compiling anything.
"""

WORKFLOW_TXT = f"""Workflow notes: dividing curves for panel layouts

When we lay out facade panels the first step is always to divide the edge curves by a fixed
length, not by a count, because panel widths come from the supplier's catalogue. The stock
Divide Length component does this, but we wrap our own so that the length is checked against
the document tolerance and the curve parameters come out alongside the points.

Things to remember:
- Lengths smaller than the model tolerance make DivideByLength return an absurd number of
  points or nothing at all, so the component refuses them with an error message.
- DivideByLength returns null when the curve is shorter than one segment; that is a warning,
  not an error, because an empty result is a legitimate answer for short edges.
- The parameters output lets downstream components evaluate tangents and frames at exactly
  the same places without dividing a second time.

The component as it is in the Workflow plug-in:

```cs
{DIVIDE_BY_LENGTH}
```

Test it with a polyline whose length is an exact multiple of the segment length: with Ends set
to true the last point must land on the curve end, with Ends false it must be missing.
"""


def main() -> None:
    (OUT / "docs").mkdir(parents=True, exist_ok=True)
    (OUT / "notes").mkdir(parents=True, exist_ok=True)
    write_pdf(OUT / "docs" / "grasshopper_notes.pdf")
    write_docx(OUT / "docs" / "component_guide.docx")
    (OUT / "notes" / "vector_tools.md").write_text(VECTOR_TOOLS_MD, encoding="utf-8")
    (OUT / "notes" / "workflow.txt").write_text(WORKFLOW_TXT, encoding="utf-8")
    for path in sorted(OUT.rglob("*")):
        if path.is_file() and path.parent.name in ("docs", "notes"):
            print(f"wrote {path.relative_to(HERE.parent)} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
