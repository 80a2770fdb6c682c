using System;
using System.Collections.Generic;
using Grasshopper.Kernel;
using GrasshopperAsyncComponent;
using Rhino.Geometry;

namespace SampleTools.Async
{
    /// <summary>
    /// Builds spheres on a background worker, using the GrasshopperAsyncComponent NuGet package
    /// (its base class is not part of this source tree).
    /// </summary>
    public class SpherePackAsyncComponent : GH_AsyncComponent
    {
        public SpherePackAsyncComponent()
          : base("Sphere Pack", "SPack", "Place spheres of a radius at points, asynchronously", "Sample", "Async")
        {
            BaseWorker = new SpherePackWorker();
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddPointParameter("Points", "P", "Sphere centres", GH_ParamAccess.list);
            pManager.AddNumberParameter("Radius", "R", "Sphere radius", GH_ParamAccess.item, 0.5);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddBrepParameter("Spheres", "S", "Spheres", GH_ParamAccess.list);
        }

        public override Guid ComponentGuid => new Guid("9e4b7c12-d3a8-4f5e-b6c0-7a1d2e3f4b58");
    }

    /// <summary>The worker doing the actual job; not a component.</summary>
    public class SpherePackWorker : WorkerInstance
    {
        private List<Point3d> centres = new List<Point3d>();
        private double radius = 0.5;
        private List<Brep> spheres = new List<Brep>();

        public SpherePackWorker() : base(null) { }

        public override WorkerInstance Duplicate() => new SpherePackWorker();

        public override void GetData(IGH_DataAccess DA, GH_ComponentParamServer Params)
        {
            DA.GetDataList(0, centres);
            DA.GetData(1, ref radius);
        }

        public override void DoWork(Action<string, double> ReportProgress, Action Done)
        {
            for (int i = 0; i < centres.Count; i++)
            {
                if (CancellationToken.IsCancellationRequested) return;
                spheres.Add(new Sphere(centres[i], radius).ToBrep());
                ReportProgress(Id, (double)(i + 1) / centres.Count);
            }
            Done();
        }

        public override void SetData(IGH_DataAccess DA)
        {
            DA.SetDataList(0, spheres);
        }
    }
}
