using System;
using System.Collections.Generic;
using System.Linq;
using Grasshopper.Kernel;
using Rhino.Geometry;
using Rhino.Geometry.Intersect;
using Fidelity.Core;

namespace Fidelity.Breps
{
    /// <summary>Area, volume, naked edges and a horizontal section of a brep.</summary>
    public class BrepAnalysisComponent : FidelityComponent
    {
        public BrepAnalysisComponent()
          : base("Brep Analysis", "BrepA", "Measure a brep and cut it at a height", "Brep")
        {
        }

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddBrepParameter("Brep", "B", "Brep to analyse", GH_ParamAccess.item);
            pManager.AddNumberParameter("Height", "H", "Section height (relative 0..1)", GH_ParamAccess.item, 0.5);
            pManager[1].Optional = true;
        }

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddNumberParameter("Area", "A", "Surface area", GH_ParamAccess.item);
            pManager.AddNumberParameter("Volume", "V", "Volume, for closed breps", GH_ParamAccess.item);
            pManager.AddPointParameter("Centroid", "C", "Area centroid", GH_ParamAccess.item);
            pManager.AddCurveParameter("Naked", "N", "Naked edges", GH_ParamAccess.list);
            pManager.AddCurveParameter("Section", "S", "Section curves", GH_ParamAccess.list);
            pManager.AddIntegerParameter("Faces", "F", "Face count", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Brep brep = null;
            double height = 0.5;
            if (!DA.GetData(0, ref brep)) return;
            DA.GetData(1, ref height);
            if (brep == null || !brep.IsValid)
            {
                Warn("Invalid brep");
                return;
            }

            AreaMassProperties amp = AreaMassProperties.Compute(brep);
            double volume = 0.0;
            if (brep.IsSolid)
            {
                VolumeMassProperties vmp = VolumeMassProperties.Compute(brep);
                volume = vmp != null ? vmp.Volume : 0.0;
            }

            Curve[] naked = brep.DuplicateEdgeCurves(true);
            Curve[] joined = naked.Length > 0 ? Curve.JoinCurves(naked, Tolerance) : new Curve[0];

            BoundingBox box = brep.GetBoundingBox(true);
            double z = box.Min.Z + (box.Max.Z - box.Min.Z) * Math.Max(0.0, Math.Min(1.0, height));
            var plane = new Plane(new Point3d(0, 0, z), Vector3d.ZAxis);
            var sections = new List<Curve>();
            if (Intersection.BrepPlane(brep, plane, Tolerance, out Curve[] curves, out Point3d[] points) && curves != null)
                sections.AddRange(curves.Where(c => c != null && c.GetLength() > Tolerance));

            int faceCount = 0;
            foreach (BrepFace face in brep.Faces)
            {
                if (face.IsPlanar(Tolerance)) faceCount++;
            }
            if (faceCount == brep.Faces.Count)
                Remark("All {0} faces are planar", faceCount);

            DA.SetData(0, amp != null ? amp.Area : brep.GetArea());
            DA.SetData(1, volume);
            DA.SetData(2, amp != null ? amp.Centroid : box.Center);
            DA.SetDataList(3, joined);
            DA.SetDataList(4, sections);
            DA.SetData(5, brep.Faces.Count);
        }

        public override GH_Exposure Exposure => GH_Exposure.secondary;

        public override Guid ComponentGuid => new Guid("a41b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3");
    }
}
