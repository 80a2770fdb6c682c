using System;
using System.Text;
using Grasshopper.Kernel;
using Rhino.Geometry;
using SampleTools.Toolkit;

namespace SampleTools.Meshes
{
    #region Welding

    /// <summary>Welds mesh vertices whose normals differ less than an angle.</summary>
    public class MeshWeldComponent : MeshToolkitComponent
    {
        public MeshWeldComponent()
          : base("Weld Mesh", "Weld", "Weld mesh edges below an angle { in degrees }")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddMeshParameter("Mesh", "M", "Mesh to weld", GH_ParamAccess.item);
            pManager.AddAngleParameter("Angle", "A", "Weld angle", GH_ParamAccess.item, Math.PI / 4);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddMeshParameter("Mesh", "M", "Welded mesh", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Mesh mesh = null;
            double angle = Math.PI / 4;
            if (!DA.GetData(0, ref mesh)) return;
            DA.GetData(1, ref angle);
            // A closing brace in a comment: }
            /* and an opening one in a block comment: { */
            var copy = mesh.DuplicateMesh();
            copy.Weld(angle);
            DA.SetData(0, copy);
        }

        public override Guid ComponentGuid => new Guid("0d9a7e41-5c2b-4f36-a8e1-93b7c4d2f615");
    }

    #endregion

    #region Labels

    /// <summary>Formats mesh statistics as text; every string kind holds a brace.</summary>
    public class MeshLabelComponent : GH_Component
    {
        public MeshLabelComponent()
          : base("Mesh Label", "MLabel", "Describe a mesh as text", "Sample", "Mesh")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddMeshParameter("Mesh", "M", "Mesh to describe", GH_ParamAccess.item);
            pManager.AddTextParameter("Format", "F", "Label prefix", GH_ParamAccess.item, "{mesh}");
            pManager[1].Optional = true;
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddTextParameter("Label", "L", "Description", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Mesh mesh = null;
            string prefix = "{mesh}";
            if (!DA.GetData(0, ref mesh)) return;
            DA.GetData(1, ref prefix);

            char open = '{';
            char close = '}';
            string regular = "}} regular { \" }";
            string verbatim = @"verbatim "" } {";
            string interpolated = $"{{ faces: {mesh.Faces.Count} }}";
            string both = $@"{prefix} {{ ""{mesh.Vertices.Count}"" }}";

            var sb = new StringBuilder();
            sb.Append(open).Append(regular).Append(verbatim).Append(close);
            sb.AppendLine(interpolated);
            sb.AppendLine(both);
            DA.SetData(0, sb.ToString());
        }

        public override Guid ComponentGuid => new Guid("c5e8a2d6-7f14-4b93-9e0a-1d6c3b8f2a57");
    }

    #endregion
}
