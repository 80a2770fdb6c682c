using System;
using System.Collections.Generic;
using Grasshopper.Kernel;
using Grasshopper.Kernel.Types;
using Rhino.Geometry;
using Fidelity.Core;

namespace Fidelity.Transforms
{
    /// <summary>Orients geometry from one plane to another, with optional scaling and mirroring.</summary>
    public class OrientComponent : FidelityComponent
    {
        private bool _mirror;

        public OrientComponent()
          : base("Orient Plus", "OrientP", "Plane-to-plane orientation with scale and mirror", "Transform")
        {
        }

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddGeometryParameter("Geometry", "G", "Geometry to orient", GH_ParamAccess.list);
            pManager.AddPlaneParameter("Source", "A", "Source plane", GH_ParamAccess.item, Plane.WorldXY);
            pManager.AddPlaneParameter("Target", "B", "Target plane", GH_ParamAccess.item, Plane.WorldYZ);
            pManager.AddNumberParameter("Scale", "S", "Uniform scale about the target origin", GH_ParamAccess.item, 1.0);
            pManager.AddBooleanParameter("Mirror", "M", "Mirror in the target's XY plane", GH_ParamAccess.item, false);
        }

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddGeometryParameter("Geometry", "G", "Oriented geometry", GH_ParamAccess.list);
            pManager.AddTransformParameter("Transform", "X", "The transformation applied", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            var items = new List<IGH_GeometricGoo>();
            Plane source = Plane.WorldXY, target = Plane.WorldYZ;
            double scale = 1.0;
            if (!DA.GetDataList(0, items)) return;
            DA.GetData(1, ref source);
            DA.GetData(2, ref target);
            DA.GetData(3, ref scale);
            DA.GetData(4, ref _mirror);

            Transform xform = Transform.PlaneToPlane(source, target);
            if (Math.Abs(scale - 1.0) > 1e-12)
                xform = Transform.Scale(target.Origin, scale) * xform;
            if (_mirror)
                xform = Transform.Mirror(target) * xform;
            if (!xform.IsValid)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "Degenerate planes");
                return;
            }

            var result = new List<IGH_GeometricGoo>(items.Count);
            foreach (IGH_GeometricGoo goo in items)
            {
                if (goo == null)
                {
                    result.Add(null);
                    continue;
                }
                IGH_GeometricGoo copy = goo.DuplicateGeometry();
                result.Add(copy.Transform(xform));
            }

            Point3d probe = source.Origin;
            probe.Transform(xform);
            Message = probe.DistanceTo(target.Origin) < Tolerance ? "aligned" : "moved";

            DA.SetDataList(0, result);
            DA.SetData(1, xform);
        }

        public override Guid ComponentGuid => new Guid("e85f6071-8293-4eaf-b0c1-3d4e5f607182");
    }
}
