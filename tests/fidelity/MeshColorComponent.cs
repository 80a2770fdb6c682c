using System;
using System.Collections.Generic;
using System.Drawing;
using Grasshopper.Kernel;
using Rhino;
using Rhino.Geometry;
using Fidelity.Core;

namespace Fidelity.Meshes
{
    /// <summary>Colours mesh vertices by their height, with a two-colour gradient.</summary>
    public class MeshColorComponent : FidelityComponent
    {
        public MeshColorComponent()
          : base("Mesh Height Colour", "MColour", "Colour a mesh by vertex height", "Mesh")
        {
        }

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddMeshParameter("Mesh", "M", "Mesh to colour", GH_ParamAccess.item);
            pManager.AddColourParameter("Low", "L", "Colour at the lowest vertex", GH_ParamAccess.item, Color.Blue);
            pManager.AddColourParameter("High", "H", "Colour at the highest vertex", GH_ParamAccess.item, Color.Red);
        }

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddMeshParameter("Mesh", "M", "Coloured mesh", GH_ParamAccess.item);
            pManager.AddNumberParameter("Heights", "Z", "Vertex heights", GH_ParamAccess.list);
            pManager.AddIntegerParameter("Quads", "Q", "Number of quad faces", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Mesh mesh = null;
            Color low = Color.Blue, high = Color.Red;
            if (!DA.GetData(0, ref mesh) || mesh == null) return;
            DA.GetData(1, ref low);
            DA.GetData(2, ref high);

            Mesh coloured = mesh.DuplicateMesh();
            BoundingBox box = coloured.GetBoundingBox(false);
            double span = Math.Max(box.Max.Z - box.Min.Z, RhinoMath.ZeroTolerance);
            var heights = new List<double>(coloured.Vertices.Count);

            coloured.VertexColors.Clear();
            for (int i = 0; i < coloured.Vertices.Count; i++)
            {
                Point3d v = coloured.Vertices[i];
                double t = (v.Z - box.Min.Z) / span;
                heights.Add(v.Z);
                int r = (int)Math.Round(low.R + t * (high.R - low.R));
                int g = (int)Math.Round(low.G + t * (high.G - low.G));
                int b = (int)Math.Round(low.B + t * (high.B - low.B));
                coloured.VertexColors.Add(Color.FromArgb(r, g, b));
            }

            int quads = 0;
            foreach (MeshFace face in coloured.Faces)
            {
                if (face.IsQuad) quads++;
            }
            coloured.Normals.ComputeNormals();
            coloured.Compact();

            DA.SetData(0, coloured);
            DA.SetDataList(1, heights);
            DA.SetData(2, quads);
        }

        public override Guid ComponentGuid => new Guid("c63d4e5f-6071-4c8d-9eaf-1b2c3d4e5f60");
    }
}
