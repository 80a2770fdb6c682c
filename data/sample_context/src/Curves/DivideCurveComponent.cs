using System;
using System.Collections.Generic;
using Grasshopper.Kernel;
using Grasshopper.Kernel.Parameters;
using Rhino.Geometry;

namespace SampleTools.Curves
{
    /// <summary>
    /// Divides a curve into segments of equal length and outputs the division points,
    /// with an optional, variable number of extra inputs for per-curve tolerances.
    /// </summary>
    public sealed class DivideCurveComponent : GH_Component, IGH_VariableParameterComponent
    {
        public DivideCurveComponent()
          : base("Divide Curve Evenly", "DivEven",
              "Divide a curve into a number of equal-length segments",
              "Sample", "Curves")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curve", "C", "Curve to divide", GH_ParamAccess.item);
            pManager.AddIntegerParameter("Count", "N", "Number of segments", GH_ParamAccess.item, 10);
            pManager.AddBooleanParameter("Ends", "E", "Include the curve end point", GH_ParamAccess.item, true);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddPointParameter("Points", "P", "Division points", GH_ParamAccess.list);
            pManager.AddNumberParameter("Parameters", "t", "Curve parameters at the division points", GH_ParamAccess.list);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Curve curve = null;
            int count = 10;
            bool ends = true;
            if (!DA.GetData(0, ref curve)) return;
            if (!DA.GetData(1, ref count)) return;
            DA.GetData(2, ref ends);

            if (count < 1)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "Count must be at least 1");
                return;
            }

            Point3d[] points;
            double[] parameters = curve.DivideByCount(count, ends, out points);
            if (parameters == null)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Warning, "The curve could not be divided");
                return;
            }

            DA.SetDataList(0, points);
            DA.SetDataList(1, parameters);
        }

        public bool CanInsertParameter(GH_ParameterSide side, int index)
        {
            return side == GH_ParameterSide.Input && index == Params.Input.Count;
        }

        public bool CanRemoveParameter(GH_ParameterSide side, int index)
        {
            return side == GH_ParameterSide.Input && index > 2;
        }

        public IGH_Param CreateParameter(GH_ParameterSide side, int index)
        {
            return new Param_Number { Name = "Tolerance", NickName = "T" + index, Optional = true };
        }

        public bool DestroyParameter(GH_ParameterSide side, int index)
        {
            return true;
        }

        public void VariableParameterMaintenance()
        {
        }

        protected override System.Drawing.Bitmap Icon => null;

        public override GH_Exposure Exposure => GH_Exposure.primary;

        public override Guid ComponentGuid => new Guid("3f6e2b1c-8a4d-4c7e-9b2f-5d1a7c3e9f04");
    }
}
