namespace Generated { public class Junk : Grasshopper.Kernel.GH_Component { public Junk() : base("a","b","c","d","e") {} } }
