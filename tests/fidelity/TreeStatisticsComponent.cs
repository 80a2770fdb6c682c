using System;
using System.Collections.Generic;
using System.Linq;
using Grasshopper;
using Grasshopper.Kernel;
using Grasshopper.Kernel.Data;
using Grasshopper.Kernel.Types;
using Fidelity.Core;

namespace Fidelity.Data
{
    /// <summary>Per-branch statistics of a tree of anything that converts to numbers.</summary>
    public class TreeStatisticsComponent : FidelityComponent
    {
        public TreeStatisticsComponent()
          : base("Tree Statistics", "TStat", "Mean, range and count of each branch", "Data")
        {
        }

        protected override void RegisterInputParams(GH_InputParamManager pManager)
        {
            pManager.AddGenericParameter("Data", "D", "Values to summarise", GH_ParamAccess.tree);
        }

        protected override void RegisterOutputParams(GH_OutputParamManager pManager)
        {
            pManager.AddNumberParameter("Mean", "M", "Mean per branch", GH_ParamAccess.tree);
            pManager.AddIntervalParameter("Range", "R", "Range per branch", GH_ParamAccess.tree);
            pManager.AddIntegerParameter("Skipped", "S", "Items that are not numbers", GH_ParamAccess.item);
            pManager.AddTextParameter("Report", "T", "Summary", GH_ParamAccess.item);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            if (!DA.GetDataTree(0, out GH_Structure<IGH_Goo> data)) return;

            var means = new GH_Structure<GH_Number>();
            var ranges = new DataTree<Rhino.Geometry.Interval>();
            int skipped = 0;
            for (int b = 0; b < data.PathCount; b++)
            {
                GH_Path path = data.Paths[b];
                var values = new List<double>();
                foreach (IGH_Goo goo in data.Branches[b])
                {
                    double value;
                    if (goo != null && GH_Convert.ToDouble(goo, out value, GH_Conversion.Both))
                        values.Add(value);
                    else
                        skipped++;
                }
                if (values.Count == 0) continue;
                means.Append(new GH_Number(values.Average()), path);
                ranges.Add(new Rhino.Geometry.Interval(values.Min(), values.Max()), path);
            }

            if (skipped > 0)
                Warn(skipped + " item(s) could not be read as numbers");
            string report = $"{data.PathCount} branches, {data.DataCount} items, {skipped} skipped";

            DA.SetDataTree(0, means);
            DA.SetDataTree(1, ranges);
            DA.SetData(2, skipped);
            DA.SetData(3, report);
        }

        public override Guid ComponentGuid => new Guid("d74e5f60-7182-4d9e-afb0-2c3d4e5f6071");
    }
}
