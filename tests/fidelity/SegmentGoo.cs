using System;
using Grasshopper.Kernel;
using Grasshopper.Kernel.Types;
using Rhino.Geometry;
using Fidelity.Core;

namespace Fidelity.Types
{
    /// <summary>A custom Grasshopper data type: a line segment with a weight.</summary>
    public class SegmentGoo : GH_Goo<Line>
    {
        public double Weight { get; set; } = 1.0;

        public SegmentGoo() { }

        public SegmentGoo(Line line, double weight) : base(line)
        {
            Weight = weight;
        }

        public override bool IsValid => Value.IsValid && Weight >= 0.0;
        public override string TypeName => "Segment";
        public override string TypeDescription => "A weighted line segment";
        public override IGH_Goo Duplicate() => new SegmentGoo(Value, Weight);
        public override string ToString() => $"Segment (L={Value.Length:0.###}, w={Weight})";

        public override bool CastFrom(object source)
        {
            if (source is GH_Line gl)
            {
                Value = gl.Value;
                return true;
            }
            if (source is Line line)
            {
                Value = line;
                return true;
            }
            return false;
        }

        public override bool CastTo<Q>(ref Q target)
        {
            if (typeof(Q).IsAssignableFrom(typeof(GH_Line)))
            {
                target = (Q)(object)new GH_Line(Value);
                return true;
            }
            return false;
        }
    }

    /// <summary>Builds weighted segments from point pairs.</summary>
    public class SegmentComponent : FidelityComponent
    {
        public SegmentComponent()
          : base("Weighted Segment", "WSeg", "Make weighted segments from two points", "Data")
        {
        }

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddPointParameter("Start", "A", "Start point", GH_ParamAccess.item);
            pManager.AddPointParameter("End", "B", "End point", GH_ParamAccess.item);
            pManager.AddNumberParameter("Weight", "W", "Weight", GH_ParamAccess.item, 1.0);
        }

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddGenericParameter("Segment", "S", "Weighted segment", GH_ParamAccess.item);
            pManager.AddNumberParameter("Length", "L", "Segment length", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Point3d a = Point3d.Unset, b = Point3d.Unset;
            double weight = 1.0;
            if (!DA.GetData(0, ref a) || !DA.GetData(1, ref b)) return;
            DA.GetData(2, ref weight);
            var segment = new SegmentGoo(new Line(a, b), weight);
            if (!segment.IsValid)
                Warn("Degenerate segment or negative weight");
            DA.SetData(0, segment);
            DA.SetData(1, segment.Value.Length);
        }

        public override Guid ComponentGuid => new Guid("0a718293-a4b5-40c1-92d3-5f60718293a4");
    }
}
