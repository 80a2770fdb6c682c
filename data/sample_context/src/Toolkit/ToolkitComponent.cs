using System;
using Grasshopper.Kernel;

namespace SampleTools.Toolkit
{
    /// <summary>Names shared by every component of the plugin.</summary>
    public static class ToolkitInfo
    {
        public const string Category = "Sample";
        public const string Prefix = "ST ";
    }

    /// <summary>
    /// Base of the plugin's components: fixes the ribbon tab and prefixes names,
    /// so that components only pass what is their own.
    /// </summary>
    public abstract class ToolkitComponent : GH_Component
    {
        protected ToolkitComponent(string name, string nickname, string description, string subCategory)
          : base(ToolkitInfo.Prefix + name, nickname, description, ToolkitInfo.Category, subCategory)
        {
        }

        protected void Fail(string message)
        {
            AddRuntimeMessage(GH_RuntimeMessageLevel.Error, message);
        }
    }

    /// <summary>Second level of the chain: everything under the Mesh panel.</summary>
    public abstract class MeshToolkitComponent : ToolkitComponent
    {
        protected const string Panel = "Mesh";

        protected MeshToolkitComponent(string name, string nickname, string description)
          : base(name, nickname, description, Panel)
        {
        }

        public override GH_Exposure Exposure => GH_Exposure.tertiary;
    }
}
