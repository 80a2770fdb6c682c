using System;
using System.Linq;
using System.Threading.Tasks;
using Grasshopper.Kernel;
using Rhino;
using Rhino.Geometry;

namespace SampleTools.Curves
{
    /// <summary>Offsets planar curves on worker threads when Grasshopper runs in parallel.</summary>
    public class OffsetCurveTaskComponent : GH_TaskCapableComponent<OffsetCurveTaskComponent.SolveResults>
    {
        public OffsetCurveTaskComponent()
          : base("Offset Curve Parallel", "OffsetP", "Offset a planar curve by a distance, multi-threaded", "Sample", "Curves")
        {
        }

        /// <summary>The result of one offset, computed on a worker thread.</summary>
        public class SolveResults
        {
            public Curve[] Curves { get; set; }
            public string Message { get; set; }
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curve", "C", "Planar curve to offset", GH_ParamAccess.item);
            pManager.AddNumberParameter("Distance", "D", "Offset distance; negative offsets to the other side", GH_ParamAccess.item, 1.0);
            pManager.AddPlaneParameter("Plane", "P", "Plane of the offset", GH_ParamAccess.item, Plane.WorldXY);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddCurveParameter("Offset", "O", "Offset curves", GH_ParamAccess.list);
        }

        private static SolveResults Compute(Curve curve, double distance, Plane plane, double tolerance)
        {
            var result = new SolveResults();
            result.Curves = curve.Offset(plane, distance, tolerance, CurveOffsetCornerStyle.Sharp);
            if (result.Curves == null || result.Curves.Length == 0)
                result.Message = "Offset failed: is the curve planar and in the plane {" + plane.Origin + "}?";
            return result;
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            double tolerance = RhinoDoc.ActiveDoc != null ? RhinoDoc.ActiveDoc.ModelAbsoluteTolerance : 0.001;
            if (InPreSolve)
            {
                Curve curve = null;
                double distance = 1.0;
                Plane plane = Plane.WorldXY;
                DA.GetData(0, ref curve);
                DA.GetData(1, ref distance);
                DA.GetData(2, ref plane);
                TaskList.Add(Task.Run(() => Compute(curve, distance, plane, tolerance), CancelToken));
                return;
            }

            SolveResults result;
            if (!GetSolveResults(DA, out result))
            {
                Curve curve = null;
                double distance = 1.0;
                Plane plane = Plane.WorldXY;
                if (!DA.GetData(0, ref curve)) return;
                if (!DA.GetData(1, ref distance)) return;
                DA.GetData(2, ref plane);
                result = Compute(curve, distance, plane, tolerance);
            }

            if (result.Message != null)
                AddRuntimeMessage(GH_RuntimeMessageLevel.Warning, result.Message);
            if (result.Curves != null)
                DA.SetDataList(0, result.Curves.Where(c => c != null));
        }

        public override GH_Exposure Exposure => GH_Exposure.secondary;

        public override Guid ComponentGuid => new Guid("a1c94e27-3b5f-4d08-8e61-2f7b9c0d4e13");
    }
}
