using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Grasshopper.Kernel;
using Rhino.Geometry;

namespace Fidelity.Breps
{
    /// <summary>Pipes curves in parallel (task-capable), then caps and unions the pipes.</summary>
    public class PipeNetworkTaskComponent : GH_TaskCapableComponent<PipeNetworkTaskComponent.SolveResults>
    {
        public class SolveResults
        {
            public Brep[] Pipes { get; set; }
            public double Volume { get; set; }
        }

        public PipeNetworkTaskComponent()
          : base("Pipe Network", "PipeNet", "Pipe every curve and union the pipes", "Fidelity", "Brep")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curves", "C", "Rails", GH_ParamAccess.list);
            pManager.AddNumberParameter("Radius", "R", "Pipe radius", GH_ParamAccess.item, 0.5);
            pManager.AddBooleanParameter("Union", "U", "Union the pipes", GH_ParamAccess.item, true);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddBrepParameter("Pipes", "P", "Pipes", GH_ParamAccess.list);
            pManager.AddNumberParameter("Volume", "V", "Total volume", GH_ParamAccess.item);
        }

        private static SolveResults Compute(List<Curve> curves, double radius, bool union, double tol, double angleTol)
        {
            var pipes = new List<Brep>();
            foreach (Curve rail in curves)
            {
                Brep[] pipe = Brep.CreatePipe(rail, radius, false, PipeCapMode.Round, true, tol, angleTol);
                if (pipe != null) pipes.AddRange(pipe);
            }
            Brep[] result = pipes.ToArray();
            if (union && pipes.Count > 1)
            {
                Brep[] united = Brep.CreateBooleanUnion(pipes, tol);
                if (united != null && united.Length > 0) result = united;
            }
            double volume = result.Where(b => b.IsSolid).Sum(b => b.GetVolume());
            return new SolveResults { Pipes = result, Volume = volume };
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            double tol = DocumentTolerance();
            double angleTol = DocumentAngleTolerance();
            if (InPreSolve)
            {
                var curves = new List<Curve>();
                double radius = 0.5;
                bool union = true;
                DA.GetDataList(0, curves);
                DA.GetData(1, ref radius);
                DA.GetData(2, ref union);
                Task<SolveResults> task = Task.Run(() => Compute(curves, radius, union, tol, angleTol), CancelToken);
                TaskList.Add(task);
                return;
            }

            if (!GetSolveResults(DA, out SolveResults results))
            {
                var curves = new List<Curve>();
                double radius = 0.5;
                bool union = true;
                if (!DA.GetDataList(0, curves)) return;
                DA.GetData(1, ref radius);
                DA.GetData(2, ref union);
                if (radius <= 0.0)
                {
                    AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "Radius must be positive");
                    return;
                }
                results = Compute(curves, radius, union, tol, angleTol);
            }

            if (results != null)
            {
                DA.SetDataList(0, results.Pipes);
                DA.SetData(1, results.Volume);
            }
        }

        protected override System.Drawing.Bitmap Icon => null;

        public override Guid ComponentGuid => new Guid("1b8293a4-b5c6-41d2-a3e4-60718293a4b5");
    }
}
