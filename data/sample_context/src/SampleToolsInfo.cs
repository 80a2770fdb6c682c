using System;
using System.Drawing;
using Grasshopper.Kernel;

namespace SampleTools
{
    /// <summary>Assembly information Grasshopper shows in its plugin list; not a component.</summary>
    public class SampleToolsInfo : GH_AssemblyInfo
    {
        public override string Name => "SampleTools";
        public override Bitmap Icon => null;
        public override string Description => "Example components for gh-ft's demo corpus";
        public override Guid Id => new Guid("e2f5a8c1-4b7d-4e90-a3c6-5f8b1d2e7a94");
        public override string AuthorName => "gh-ft";
        public override string AuthorContact => "https://example.invalid/gh-ft";
    }
}
