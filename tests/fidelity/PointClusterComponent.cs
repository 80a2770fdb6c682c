using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Grasshopper.Kernel;
using Rhino.Collections;
using Rhino.Geometry;
using Fidelity.Core;

namespace Fidelity.Points
{
    /// <summary>Assigns points to their nearest centre (in parallel) and labels each cluster with a dot.</summary>
    public class PointClusterComponent : FidelityComponent
    {
        public PointClusterComponent()
          : base("Point Cluster", "Cluster", "Group points by their nearest centre", "Points")
        {
        }

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddPointParameter("Points", "P", "Points to cluster", GH_ParamAccess.list);
            pManager.AddPointParameter("Centres", "C", "Cluster centres", GH_ParamAccess.list);
            pManager.AddNumberParameter("Radius", "R", "Ignore points farther than this (0: no limit)", GH_ParamAccess.item, 0.0);
        }

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddIntegerParameter("Index", "I", "Cluster of each point (-1: none)", GH_ParamAccess.list);
            pManager.AddGenericParameter("Dots", "D", "A text dot per cluster", GH_ParamAccess.list);
            pManager.AddBoxParameter("Boxes", "B", "Bounding box per cluster", GH_ParamAccess.list);
            pManager.AddTextParameter("Report", "T", "Cluster sizes", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            var points = new List<Point3d>();
            var centres = new List<Point3d>();
            double radius = 0.0;
            if (!DA.GetDataList(0, points) || !DA.GetDataList(1, centres)) return;
            DA.GetData(2, ref radius);
            if (centres.Count == 0)
            {
                Warn("No centres");
                return;
            }

            var lookup = new Point3dList(centres);
            var assignment = new int[points.Count];
            var far = new ConcurrentBag<int>();
            Parallel.For(0, points.Count, i =>
            {
                int nearest = lookup.ClosestIndex(points[i]);
                if (radius > 0.0 && points[i].DistanceTo(lookup[nearest]) > radius)
                {
                    far.Add(i);
                    nearest = -1;
                }
                assignment[i] = nearest;
            });

            var groups = Enumerable.Range(0, points.Count)
                .Where(i => assignment[i] >= 0)
                .GroupBy(i => assignment[i])
                .OrderBy(g => g.Key)
                .ToDictionary(g => g.Key, g => g.Select(i => points[i]).ToList());

            var dots = new List<TextDot>();
            var boxes = new List<Box>();
            var report = new StringBuilder();
            foreach (KeyValuePair<int, List<Point3d>> group in groups)
            {
                var bbox = new BoundingBox(group.Value);
                bbox.Inflate(Tolerance);
                boxes.Add(new Box(bbox));
                dots.Add(new TextDot($"#{group.Key} ({group.Value.Count})", centres[group.Key]));
                report.AppendLine($"cluster {group.Key}: {group.Value.Count} point(s)");
            }
            if (!far.IsEmpty)
                report.AppendFormat("{0} point(s) beyond the radius", far.Count);

            DA.SetDataList(0, assignment);
            DA.SetDataList(1, dots);
            DA.SetDataList(2, boxes);
            DA.SetData(3, report.ToString());
        }

        public override Guid ComponentGuid => new Guid("3da4b5c6-d7e8-43f4-85a6-8293a4b5c6d7");
    }
}
