using System;
using System.Collections.Generic;
using Grasshopper;
using Grasshopper.Kernel;
using Grasshopper.Kernel.Data;
using Rhino.Geometry;
using Fidelity.Core;

namespace Fidelity.Surfaces
{
    /// <summary>Samples a surface on a UV grid: points, normals and frames as trees, one branch per row.</summary>
    public class SurfaceGridComponent : FidelityComponent
    {
        public SurfaceGridComponent()
          : base("Surface Grid", "SrfGrid", "Sample a surface on a regular UV grid", "Surface")
        {
        }

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddSurfaceParameter("Surface", "S", "Surface to sample", GH_ParamAccess.item);
            pManager.AddIntegerParameter("U Count", "U", "Samples in U", GH_ParamAccess.item, 10);
            pManager.AddIntegerParameter("V Count", "V", "Samples in V", GH_ParamAccess.item, 10);
        }

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddPointParameter("Points", "P", "Grid points", GH_ParamAccess.tree);
            pManager.AddVectorParameter("Normals", "N", "Surface normals", GH_ParamAccess.tree);
            pManager.AddPlaneParameter("Frames", "F", "Surface frames", GH_ParamAccess.tree);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Surface surface = null;
            int uCount = 10, vCount = 10;
            if (!DA.GetData(0, ref surface) || surface == null) return;
            DA.GetData(1, ref uCount);
            DA.GetData(2, ref vCount);
            if (uCount < 1 || vCount < 1)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "Counts must be positive");
                return;
            }

            Interval uDomain = surface.Domain(0);
            Interval vDomain = surface.Domain(1);
            var points = new DataTree<Point3d>();
            var normals = new DataTree<Vector3d>();
            var frames = new DataTree<Plane>();

            for (int i = 0; i <= uCount; i++)
            {
                double u = uDomain.ParameterAt(i / (double)uCount);
                var path = new GH_Path(DA.Iteration, i);
                for (int j = 0; j <= vCount; j++)
                {
                    double v = vDomain.ParameterAt(j / (double)vCount);
                    Point3d pt = surface.PointAt(u, v);
                    Vector3d normal = surface.NormalAt(u, v);
                    normal.Unitize();
                    points.Add(pt, path);
                    normals.Add(normal, path);
                    if (surface.FrameAt(u, v, out Plane frame))
                        frames.Add(frame, path);
                }
            }

            if (surface.IsClosed(0) || surface.IsClosed(1))
                Remark("Closed surface: seam points appear twice ({0} rows)", points.BranchCount);

            DA.SetDataTree(0, points);
            DA.SetDataTree(1, normals);
            DA.SetDataTree(2, frames);
        }

        public override Guid ComponentGuid => new Guid("3f1a2b4c-5d6e-4f70-8192-a3b4c5d6e7f8");
    }
}
