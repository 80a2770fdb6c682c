using System;
using System.Collections.Generic;
using System.Linq;
using Grasshopper.Kernel;
using Rhino.Geometry;
using Fidelity.Core;

namespace Fidelity.Surfaces
{
    /// <summary>Lofts circles placed along a rail with radii from a graph of sines.</summary>
    public class LoftSectionsComponent : FidelityComponent
    {
        public LoftSectionsComponent()
          : base("Loft Sections", "LoftS", "Loft circular sections along a rail", "Surface")
        {
        }

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Rail", "R", "Rail curve", GH_ParamAccess.item);
            pManager.AddIntegerParameter("Sections", "N", "Number of sections", GH_ParamAccess.item, 8);
            pManager.AddIntervalParameter("Radii", "D", "Smallest and largest radius", GH_ParamAccess.item, new Interval(0.5, 2.0));
            pManager.AddNumberParameter("Waves", "W", "Sine waves along the rail", GH_ParamAccess.item, 2.0);
        }

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddCurveParameter("Sections", "S", "Section circles", GH_ParamAccess.list);
            pManager.AddBrepParameter("Loft", "L", "Lofted surface", GH_ParamAccess.item);
            pManager.AddMeshParameter("Mesh", "M", "Render mesh of the loft", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Curve rail = null;
            int count = 8;
            Interval radii = new Interval(0.5, 2.0);
            double waves = 2.0;
            if (!DA.GetData(0, ref rail)) return;
            DA.GetData(1, ref count);
            DA.GetData(2, ref radii);
            DA.GetData(3, ref waves);
            count = Math.Max(2, count);

            double[] ts = rail.DivideByCount(count - 1, true);
            Plane[] frames = rail.GetPerpendicularFrames(ts);
            if (frames == null)
            {
                Warn("Could not frame the rail");
                return;
            }

            var sections = new List<Curve>();
            for (int i = 0; i < frames.Length; i++)
            {
                double s = i / (double)(frames.Length - 1);
                double radius = radii.ParameterAt(0.5 + 0.5 * Math.Sin(2.0 * Math.PI * waves * s));
                var circle = new Circle(frames[i], Math.Max(radius, Tolerance * 10));
                sections.Add(new ArcCurve(circle));
            }

            Brep[] lofts = Brep.CreateFromLoft(sections, Point3d.Unset, Point3d.Unset, LoftType.Normal, false);
            Brep loft = lofts != null && lofts.Length > 0 ? lofts[0] : null;
            Mesh mesh = null;
            if (loft != null)
            {
                Mesh[] parts = Mesh.CreateFromBrep(loft, MeshingParameters.QualityRenderMesh);
                if (parts != null && parts.Length > 0)
                {
                    mesh = new Mesh();
                    foreach (Mesh part in parts) mesh.Append(part);
                    mesh.Normals.ComputeNormals();
                }
            }

            DA.SetDataList(0, sections);
            DA.SetData(1, loft);
            DA.SetData(2, mesh);
        }

        public override Guid ComponentGuid => new Guid("2c93a4b5-c6d7-42e3-b4f5-718293a4b5c6");
    }
}
