using System;
using System.Linq;
using Grasshopper.Kernel;
using Rhino.Geometry;
using SampleTools.Toolkit;

namespace SampleTools.Meshes
{
    /// <summary>Reports area, volume and the edge length range of a mesh.</summary>
    public class MeshStatsComponent : MeshToolkitComponent
    {
        public MeshStatsComponent()
          : base("Mesh Statistics", "MStats", "Measure area, volume and edge lengths of a mesh")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddMeshParameter("Mesh", "M", "Mesh to measure", GH_ParamAccess.item);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddNumberParameter("Area", "A", "Surface area", GH_ParamAccess.item);
            pManager.AddNumberParameter("Volume", "V", "Volume (closed meshes only)", GH_ParamAccess.item);
            pManager.AddIntervalParameter("Edges", "E", "Shortest and longest edge", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Mesh mesh = null;
            if (!DA.GetData(0, ref mesh) || mesh == null)
            {
                Fail("No mesh");
                return;
            }

            var amp = AreaMassProperties.Compute(mesh);
            DA.SetData(0, amp != null ? amp.Area : 0.0);
            if (mesh.IsClosed)
            {
                var vmp = VolumeMassProperties.Compute(mesh);
                DA.SetData(1, vmp != null ? vmp.Volume : 0.0);
            }

            var lengths = Enumerable.Range(0, mesh.TopologyEdges.Count)
                .Select(i => mesh.TopologyEdges.EdgeLine(i).Length)
                .ToList();
            if (lengths.Count > 0)
                DA.SetData(2, new Interval(lengths.Min(), lengths.Max()));
        }

        public override Guid ComponentGuid => new Guid("6b0d3f58-21e9-4a7c-b3d4-8e5f1a2c6d70");
    }
}
