using System;
using GH_IO.Serialization;
using Grasshopper.Kernel;
using Grasshopper.Kernel.Parameters;
using Rhino.Geometry;
using Fidelity.Core;

namespace Fidelity.Curves
{
    /// <summary>Divides curves into a count it remembers in the file (written and read with GH_IO).</summary>
    public class PersistentCountComponent : FidelityComponent
    {
        private int _count = 12;
        private bool _closed;

        public PersistentCountComponent()
          : base("Persistent Divide", "PDiv", "Divide a curve; the count is stored with the definition", "Curve")
        {
        }

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curve", "C", "Curve to divide", GH_ParamAccess.item);
            var count = new Param_Integer { Name = "Count", NickName = "N", Description = "Override the stored count", Optional = true };
            pManager.AddParameter(count);
        }

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddPointParameter("Points", "P", "Division points", GH_ParamAccess.list);
            pManager.AddNumberParameter("Parameters", "t", "Curve parameters", GH_ParamAccess.list);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Curve curve = null;
            if (!DA.GetData(0, ref curve)) return;
            int count = _count;
            if (DA.GetData(1, ref count) && count != _count)
            {
                _count = Math.Max(1, count);
                ExpireSolution(true);
                return;
            }

            _closed = curve.IsClosed;
            double[] ts = curve.DivideByCount(_count, !_closed);
            if (ts == null)
            {
                Warn("The curve could not be divided");
                return;
            }
            var points = new Point3d[ts.Length];
            for (int i = 0; i < ts.Length; i++) points[i] = curve.PointAt(ts[i]);
            Message = $"{_count} segments" + (_closed ? " (closed)" : string.Empty);

            DA.SetDataList(0, points);
            DA.SetDataList(1, ts);
        }

        public override bool Write(GH_IWriter writer)
        {
            writer.SetInt32("Count", _count);
            writer.SetBoolean("Closed", _closed);
            return base.Write(writer);
        }

        public override bool Read(GH_IReader reader)
        {
            if (reader.ItemExists("Count")) _count = reader.GetInt32("Count");
            reader.TryGetBoolean("Closed", ref _closed);
            return base.Read(reader);
        }

        public override GH_Exposure Exposure => GH_Exposure.tertiary | GH_Exposure.obscure;

        public override Guid ComponentGuid => new Guid("f9607182-93a4-4fb0-c1d2-4e5f60718293");
    }
}
