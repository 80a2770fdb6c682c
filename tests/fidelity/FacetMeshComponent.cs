using System;
using System.Collections.Generic;
using Grasshopper.Kernel;
using Rhino.Geometry;
using Fidelity.Core;

namespace Fidelity.Meshes
{
    /// <summary>Builds a quad mesh over a grid of heights and reports its naked boundary.</summary>
    public class FacetMeshComponent : FidelityComponent
    {
        public FacetMeshComponent()
          : base("Height Field Mesh", "HField", "Quad mesh from a grid of heights", "Mesh")
        {
        }

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddNumberParameter("Heights", "Z", "Row-major heights", GH_ParamAccess.list);
            pManager.AddIntegerParameter("Columns", "C", "Points per row", GH_ParamAccess.item, 10);
            pManager.AddNumberParameter("Spacing", "S", "Grid spacing", GH_ParamAccess.item, 1.0);
            pManager.AddPlaneParameter("Plane", "P", "Base plane", GH_ParamAccess.item, Plane.WorldXY);
        }

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddMeshParameter("Mesh", "M", "Height field mesh", GH_ParamAccess.item);
            pManager.AddCurveParameter("Boundary", "B", "Naked boundary", GH_ParamAccess.list);
            pManager.AddBooleanParameter("Valid", "V", "Mesh validity", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            var heights = new List<double>();
            int columns = 10;
            double spacing = 1.0;
            Plane plane = Plane.WorldXY;
            if (!DA.GetDataList(0, heights)) return;
            DA.GetData(1, ref columns);
            DA.GetData(2, ref spacing);
            DA.GetData(3, ref plane);
            if (columns < 2 || heights.Count < 2 * columns)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "Need at least two full rows");
                return;
            }

            int rows = heights.Count / columns;
            var mesh = new Mesh();
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    mesh.Vertices.Add(plane.PointAt(c * spacing, r * spacing, heights[r * columns + c]));
            for (int r = 0; r < rows - 1; r++)
            {
                for (int c = 0; c < columns - 1; c++)
                {
                    int a = r * columns + c;
                    mesh.Faces.AddFace(a, a + 1, a + columns + 1, a + columns);
                }
            }
            mesh.Normals.ComputeNormals();
            mesh.UnifyNormals();
            mesh.Compact();

            Polyline[] naked = mesh.GetNakedEdges();
            var boundary = new List<Curve>();
            if (naked != null)
            {
                foreach (Polyline pl in naked)
                {
                    if (pl.Count > 1) boundary.Add(new PolylineCurve(pl));
                }
            }

            DA.SetData(0, mesh);
            DA.SetDataList(1, boundary);
            DA.SetData(2, mesh.IsValid);
        }

        public override Guid ComponentGuid => new Guid("4eb5c6d7-e8f9-44a5-96b7-93a4b5c6d7e8");
    }
}
