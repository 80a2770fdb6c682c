using System;
using System.Drawing;
using Grasshopper.Kernel;
using Rhino;

namespace Fidelity.Core
{
    /// <summary>Ribbon tab and helpers shared by every component of the plugin.</summary>
    public static class FidelityInfo
    {
        public const string Tab = "Fidelity";
    }

    /// <summary>The plugin's base class: fixes the tab, resolves tolerances, reports problems.</summary>
    public abstract class FidelityComponent : GH_Component
    {
        protected FidelityComponent(string name, string nickname, string description, string panel)
          : base(name, nickname, description, FidelityInfo.Tab, panel)
        {
        }

        /// <summary>The document's absolute tolerance, or a sane default outside Rhino.</summary>
        protected static double Tolerance
        {
            get
            {
                RhinoDoc doc = RhinoDoc.ActiveDoc;
                return doc != null ? doc.ModelAbsoluteTolerance : 0.001;
            }
        }

        protected static double AngleTolerance =>
            RhinoDoc.ActiveDoc?.ModelAngleToleranceRadians ?? RhinoMath.ToRadians(1.0);

        protected void Warn(string message) => AddRuntimeMessage(GH_RuntimeMessageLevel.Warning, message);

        protected void Remark(string format, params object[] args) =>
            AddRuntimeMessage(GH_RuntimeMessageLevel.Remark, string.Format(format, args));

        protected override Bitmap Icon => null;
    }
}
