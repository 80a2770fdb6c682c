using System;
using System.Collections.Generic;
using System.Linq;
using Grasshopper.Kernel;
using Rhino.Geometry;
using Rhino.Geometry.Intersect;
using Fidelity.Core;

namespace Fidelity.Curves
{
    /// <summary>Splits a set of curves at their mutual intersections and returns the pieces and nodes.</summary>
    public class CurveNetworkComponent : FidelityComponent
    {
        public CurveNetworkComponent()
          : base("Curve Network", "CNet", "Split curves where they cross each other", "Curve")
        {
        }

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curves", "C", "Curves of the network", GH_ParamAccess.list);
            pManager.AddNumberParameter("Min Length", "L", "Drop pieces shorter than this", GH_ParamAccess.item, 0.0);
        }

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddCurveParameter("Segments", "S", "Split segments", GH_ParamAccess.list);
            pManager.AddPointParameter("Nodes", "N", "Intersection points", GH_ParamAccess.list);
            pManager.AddLineParameter("Chords", "L", "Straight chord of each segment", GH_ParamAccess.list);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            var curves = new List<Curve>();
            double minLength = 0.0;
            if (!DA.GetDataList(0, curves)) return;
            DA.GetData(1, ref minLength);
            curves.RemoveAll(c => c == null || !c.IsValid);
            if (curves.Count == 0)
            {
                Warn("No valid curves");
                return;
            }

            double tol = Tolerance;
            var parameters = curves.Select(_ => new List<double>()).ToList();
            var nodes = new List<Point3d>();
            for (int a = 0; a < curves.Count; a++)
            {
                for (int b = a + 1; b < curves.Count; b++)
                {
                    CurveIntersections events = Intersection.CurveCurve(curves[a], curves[b], tol, tol);
                    if (events == null) continue;
                    for (int k = 0; k < events.Count; k++)
                    {
                        IntersectionEvent ev = events[k];
                        if (!ev.IsPoint) continue;
                        parameters[a].Add(ev.ParameterA);
                        parameters[b].Add(ev.ParameterB);
                        nodes.Add(ev.PointA);
                    }
                }
            }

            var segments = new List<Curve>();
            for (int i = 0; i < curves.Count; i++)
            {
                Curve[] pieces = parameters[i].Count > 0 ? curves[i].Split(parameters[i]) : null;
                if (pieces == null || pieces.Length == 0)
                    pieces = new[] { curves[i].DuplicateCurve() };
                segments.AddRange(pieces.Where(p => p.GetLength() >= minLength));
            }

            Point3d[] culled = Point3d.CullDuplicates(nodes, tol);
            var chords = segments.Select(s => new Line(s.PointAtStart, s.PointAtEnd)).ToList();

            DA.SetDataList(0, segments);
            DA.SetDataList(1, culled);
            DA.SetDataList(2, chords);
        }

        public override Guid ComponentGuid => new Guid("b52c3d4e-5f60-4b7c-8d9e-0fa1b2c3d4e5");
    }
}
