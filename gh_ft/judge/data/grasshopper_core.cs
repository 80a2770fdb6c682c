// Hand-kept part of the judge's reference assembly: the Grasshopper component API that
// McNeel's stubs leave out (protected members, nested parameter managers, generic types,
// GH_IO), written from McNeel's public Grasshopper SDK reference. Every type here is
// `partial`: gh_ft/evaluate/refasm.py generates the rest of each type from the stubs, and
// a member name declared here replaces the stubs' members of that name.
// Where the reference is unsure, the declarations are lenient (virtual rather than
// abstract, an extra overload), so that correct code never fails to compile.
// Interfaces of the stubs are written with their full names in base lists: refasm.py
// implements their members explicitly in the generated part.

namespace GH_IO.Types
{
    public partial struct GH_Version { public GH_Version(int major, int minor, int revision) { throw null; } public int major; public int minor; public int revision; }
    public partial struct GH_Point2D { public GH_Point2D(double x, double y) { throw null; } public double x; public double y; }
    public partial struct GH_Point3D { public GH_Point3D(double x, double y, double z) { throw null; } public double x; public double y; public double z; }
    public partial struct GH_Point4D { public GH_Point4D(double x, double y, double z, double w) { throw null; } public double x; public double y; public double z; public double w; }
    public partial struct GH_Interval1D { public GH_Interval1D(double a, double b) { throw null; } public double a; public double b; }
    public partial struct GH_Interval2D { public GH_Interval2D(GH_Interval1D u, GH_Interval1D v) { throw null; } public GH_Interval1D u; public GH_Interval1D v; }
    public partial struct GH_Line { public GH_Line(GH_Point3D a, GH_Point3D b) { throw null; } public GH_Point3D A; public GH_Point3D B; }
    public partial struct GH_Plane { public GH_Plane(GH_Point3D origin, GH_Point3D x, GH_Point3D y) { throw null; } public GH_Point3D Origin; public GH_Point3D XAxis; public GH_Point3D YAxis; }
    public partial struct GH_BoundingBox { public GH_BoundingBox(GH_Point3D min, GH_Point3D max) { throw null; } public GH_Point3D Min; public GH_Point3D Max; }
}

namespace GH_IO.Serialization
{
    using GH_IO.Types;

    public partial interface GH_ISerializable
    {
        bool Write(GH_IWriter writer);
        bool Read(GH_IReader reader);
    }

    public partial interface GH_IChunk
    {
        string Name { get; }
        int Index { get; }
        int ItemCount { get; }
        int ChunkCount { get; }
    }

    public partial interface GH_IWriter : GH_IChunk
    {
        GH_IWriter CreateChunk(string name);
        GH_IWriter CreateChunk(string name, int index);
        bool RemoveChunk(string name);
        bool RemoveChunk(string name, int index);
        bool RemoveItem(string itemName);
        bool RemoveItem(string itemName, int itemIndex);
        void SetBoolean(string itemName, bool itemValue);
        void SetBoolean(string itemName, int itemIndex, bool itemValue);
        void SetByte(string itemName, byte itemValue);
        void SetByte(string itemName, int itemIndex, byte itemValue);
        void SetInt32(string itemName, int itemValue);
        void SetInt32(string itemName, int itemIndex, int itemValue);
        void SetInt64(string itemName, long itemValue);
        void SetInt64(string itemName, int itemIndex, long itemValue);
        void SetSingle(string itemName, float itemValue);
        void SetSingle(string itemName, int itemIndex, float itemValue);
        void SetDouble(string itemName, double itemValue);
        void SetDouble(string itemName, int itemIndex, double itemValue);
        void SetDecimal(string itemName, decimal itemValue);
        void SetDecimal(string itemName, int itemIndex, decimal itemValue);
        void SetDate(string itemName, global::System.DateTime itemValue);
        void SetDate(string itemName, int itemIndex, global::System.DateTime itemValue);
        void SetGuid(string itemName, global::System.Guid itemValue);
        void SetGuid(string itemName, int itemIndex, global::System.Guid itemValue);
        void SetString(string itemName, string itemValue);
        void SetString(string itemName, int itemIndex, string itemValue);
        void SetPath(string itemName, string itemValue);
        void SetPath(string itemName, int itemIndex, string itemValue);
        void SetByteArray(string itemName, byte[] itemValue);
        void SetByteArray(string itemName, int itemIndex, byte[] itemValue);
        void SetDoubleArray(string itemName, double[] itemValue);
        void SetDoubleArray(string itemName, int itemIndex, double[] itemValue);
        void SetDrawingPoint(string itemName, global::System.Drawing.Point itemValue);
        void SetDrawingPoint(string itemName, int itemIndex, global::System.Drawing.Point itemValue);
        void SetDrawingPointF(string itemName, global::System.Drawing.PointF itemValue);
        void SetDrawingPointF(string itemName, int itemIndex, global::System.Drawing.PointF itemValue);
        void SetDrawingSize(string itemName, global::System.Drawing.Size itemValue);
        void SetDrawingSize(string itemName, int itemIndex, global::System.Drawing.Size itemValue);
        void SetDrawingSizeF(string itemName, global::System.Drawing.SizeF itemValue);
        void SetDrawingSizeF(string itemName, int itemIndex, global::System.Drawing.SizeF itemValue);
        void SetDrawingRectangle(string itemName, global::System.Drawing.Rectangle itemValue);
        void SetDrawingRectangle(string itemName, int itemIndex, global::System.Drawing.Rectangle itemValue);
        void SetDrawingRectangleF(string itemName, global::System.Drawing.RectangleF itemValue);
        void SetDrawingRectangleF(string itemName, int itemIndex, global::System.Drawing.RectangleF itemValue);
        void SetDrawingColor(string itemName, global::System.Drawing.Color itemValue);
        void SetDrawingColor(string itemName, int itemIndex, global::System.Drawing.Color itemValue);
        void SetDrawingBitmap(string itemName, global::System.Drawing.Bitmap itemValue);
        void SetDrawingBitmap(string itemName, int itemIndex, global::System.Drawing.Bitmap itemValue);
        void SetPoint2D(string itemName, GH_Point2D itemValue);
        void SetPoint2D(string itemName, int itemIndex, GH_Point2D itemValue);
        void SetPoint3D(string itemName, GH_Point3D itemValue);
        void SetPoint3D(string itemName, int itemIndex, GH_Point3D itemValue);
        void SetPoint4D(string itemName, GH_Point4D itemValue);
        void SetPoint4D(string itemName, int itemIndex, GH_Point4D itemValue);
        void SetInterval1D(string itemName, GH_Interval1D itemValue);
        void SetInterval1D(string itemName, int itemIndex, GH_Interval1D itemValue);
        void SetInterval2D(string itemName, GH_Interval2D itemValue);
        void SetInterval2D(string itemName, int itemIndex, GH_Interval2D itemValue);
        void SetLine(string itemName, GH_Line itemValue);
        void SetLine(string itemName, int itemIndex, GH_Line itemValue);
        void SetPlane(string itemName, GH_Plane itemValue);
        void SetPlane(string itemName, int itemIndex, GH_Plane itemValue);
        void SetBoundingBox(string itemName, GH_BoundingBox itemValue);
        void SetBoundingBox(string itemName, int itemIndex, GH_BoundingBox itemValue);
        void SetVersion(string itemName, GH_Version itemValue);
        void SetVersion(string itemName, int itemIndex, GH_Version itemValue);
        void SetVersion(string itemName, int major, int minor, int revision);
    }

    public partial interface GH_IReader : GH_IChunk
    {
        GH_IReader FindChunk(string name);
        GH_IReader FindChunk(string name, int index);
        bool ChunkExists(string name);
        bool ChunkExists(string name, int index);
        bool ItemExists(string itemName);
        bool ItemExists(string itemName, int itemIndex);
        void AddMessage(string m, GH_Message_Type t);
        bool GetBoolean(string itemName);
        bool GetBoolean(string itemName, int itemIndex);
        byte GetByte(string itemName);
        byte GetByte(string itemName, int itemIndex);
        int GetInt32(string itemName);
        int GetInt32(string itemName, int itemIndex);
        long GetInt64(string itemName);
        long GetInt64(string itemName, int itemIndex);
        float GetSingle(string itemName);
        float GetSingle(string itemName, int itemIndex);
        double GetDouble(string itemName);
        double GetDouble(string itemName, int itemIndex);
        decimal GetDecimal(string itemName);
        decimal GetDecimal(string itemName, int itemIndex);
        global::System.DateTime GetDate(string itemName);
        global::System.DateTime GetDate(string itemName, int itemIndex);
        global::System.Guid GetGuid(string itemName);
        global::System.Guid GetGuid(string itemName, int itemIndex);
        string GetString(string itemName);
        string GetString(string itemName, int itemIndex);
        byte[] GetByteArray(string itemName);
        byte[] GetByteArray(string itemName, int itemIndex);
        double[] GetDoubleArray(string itemName);
        double[] GetDoubleArray(string itemName, int itemIndex);
        global::System.Drawing.Point GetDrawingPoint(string itemName);
        global::System.Drawing.PointF GetDrawingPointF(string itemName);
        global::System.Drawing.Size GetDrawingSize(string itemName);
        global::System.Drawing.SizeF GetDrawingSizeF(string itemName);
        global::System.Drawing.Rectangle GetDrawingRectangle(string itemName);
        global::System.Drawing.RectangleF GetDrawingRectangleF(string itemName);
        global::System.Drawing.Color GetDrawingColor(string itemName);
        global::System.Drawing.Color GetDrawingColor(string itemName, int itemIndex);
        global::System.Drawing.Bitmap GetDrawingBitmap(string itemName);
        GH_Point2D GetPoint2D(string itemName);
        GH_Point3D GetPoint3D(string itemName);
        GH_Point3D GetPoint3D(string itemName, int itemIndex);
        GH_Point4D GetPoint4D(string itemName);
        GH_Interval1D GetInterval1D(string itemName);
        GH_Interval2D GetInterval2D(string itemName);
        GH_Line GetLine(string itemName);
        GH_Plane GetPlane(string itemName);
        GH_BoundingBox GetBoundingBox(string itemName);
        GH_Version GetVersion(string itemName);
        bool TryGetBoolean(string itemName, ref bool itemValue);
        bool TryGetBoolean(string itemName, int itemIndex, ref bool itemValue);
        bool TryGetByte(string itemName, ref byte itemValue);
        bool TryGetInt32(string itemName, ref int itemValue);
        bool TryGetInt32(string itemName, int itemIndex, ref int itemValue);
        bool TryGetInt64(string itemName, ref long itemValue);
        bool TryGetSingle(string itemName, ref float itemValue);
        bool TryGetDouble(string itemName, ref double itemValue);
        bool TryGetDouble(string itemName, int itemIndex, ref double itemValue);
        bool TryGetDecimal(string itemName, ref decimal itemValue);
        bool TryGetDate(string itemName, ref global::System.DateTime itemValue);
        bool TryGetGuid(string itemName, ref global::System.Guid itemValue);
        bool TryGetString(string itemName, ref string itemValue);
        bool TryGetString(string itemName, int itemIndex, ref string itemValue);
        bool TryGetDrawingColor(string itemName, ref global::System.Drawing.Color itemValue);
        bool TryGetPoint3D(string itemName, ref GH_Point3D itemValue);
    }

    public enum GH_Message_Type { info, remark, warning, error }

    public partial class GH_Archive
    {
        public GH_Archive() { throw null; }
        public GH_IWriter CreateTopLevelNode(string name) { throw null; }
        public GH_IReader GetRootNode { get { throw null; } }
        public string Serialize_Xml() { throw null; }
        public bool Deserialize_Xml(string xml) { throw null; }
        public byte[] Serialize_Binary() { throw null; }
        public bool Deserialize_Binary(byte[] data) { throw null; }
        public bool ReadFromFile(string path) { throw null; }
        public bool WriteToFile(string path, bool overwrite, bool createBackup) { throw null; }
        public bool AppendObject(GH_ISerializable obj, string name) { throw null; }
        public bool ExtractObject(GH_ISerializable obj, string name) { throw null; }
    }

    public partial class GH_LooseChunk
    {
        public GH_LooseChunk(string name) { throw null; }
    }
}

namespace Grasshopper.Kernel
{
    using System;
    using System.Collections;
    using System.Collections.Generic;
    using Grasshopper.Kernel.Data;
    using Grasshopper.Kernel.Types;
    using GH_IO.Serialization;

    public partial interface IGH_InstanceDescription { }
    public partial interface IGH_DocumentObject : global::Grasshopper.Kernel.IGH_InstanceDescription { }
    public partial interface IGH_ActiveObject : global::Grasshopper.Kernel.IGH_DocumentObject { }
    public partial interface IGH_Param : global::Grasshopper.Kernel.IGH_ActiveObject { }
    public partial interface IGH_Component : global::Grasshopper.Kernel.IGH_ActiveObject { }

    public partial class GH_InstanceDescription
    {
        protected GH_InstanceDescription() { throw null; }
        protected GH_InstanceDescription(IGH_InstanceDescription other) { throw null; }
        protected GH_InstanceDescription(string name, string nickname, string description, string category) { throw null; }
        protected GH_InstanceDescription(string name, string nickname, string description, string category, string subCategory) { throw null; }
    }

    public partial class GH_DocumentObject
    {
        protected GH_DocumentObject() { throw null; }
        protected GH_DocumentObject(IGH_InstanceDescription tag) { throw null; }
        protected GH_DocumentObject(string name, string nickname, string description, string category, string subCategory) { throw null; }
        protected virtual global::System.Drawing.Bitmap Icon { get { throw null; } }
        protected virtual string HtmlHelp_Source() { throw null; }
        protected virtual void ValuesChanged() { }
        protected T GetValue<T>(string name, T @default) { throw null; }
        protected void SetValue(string name, object value) { }
        protected void DestroyIconCache() { }
        protected IGH_Attributes m_attributes;
        // Context menus (Windows Forms, which the Python stubs cannot type).
        public virtual bool AppendMenuItems(global::System.Windows.Forms.ToolStripDropDown menu) { throw null; }
        public virtual void AppendAdditionalMenuItems(global::System.Windows.Forms.ToolStripDropDown menu) { }
        public static global::System.Windows.Forms.ToolStripMenuItem Menu_AppendItem(global::System.Windows.Forms.ToolStrip menu, string text) { throw null; }
        public static global::System.Windows.Forms.ToolStripMenuItem Menu_AppendItem(global::System.Windows.Forms.ToolStrip menu, string text, global::System.EventHandler click) { throw null; }
        public static global::System.Windows.Forms.ToolStripMenuItem Menu_AppendItem(global::System.Windows.Forms.ToolStrip menu, string text, global::System.EventHandler click, bool enabled) { throw null; }
        public static global::System.Windows.Forms.ToolStripMenuItem Menu_AppendItem(global::System.Windows.Forms.ToolStrip menu, string text, global::System.EventHandler click, bool enabled, bool @checked) { throw null; }
        public static global::System.Windows.Forms.ToolStripMenuItem Menu_AppendItem(global::System.Windows.Forms.ToolStrip menu, string text, global::System.EventHandler click, global::System.Drawing.Image icon) { throw null; }
        public static global::System.Windows.Forms.ToolStripMenuItem Menu_AppendItem(global::System.Windows.Forms.ToolStrip menu, string text, global::System.EventHandler click, global::System.Drawing.Image icon, object tag) { throw null; }
        public static global::System.Windows.Forms.ToolStripMenuItem Menu_AppendItem(global::System.Windows.Forms.ToolStrip menu, string text, global::System.EventHandler click, global::System.Drawing.Image icon, bool enabled, bool @checked) { throw null; }
        public static global::System.Windows.Forms.ToolStripSeparator Menu_AppendSeparator(global::System.Windows.Forms.ToolStrip menu) { throw null; }
    }

    public partial class GH_ActiveObject
    {
        protected GH_ActiveObject() { throw null; }
        protected GH_ActiveObject(IGH_InstanceDescription tag) { throw null; }
        protected GH_ActiveObject(string name, string nickname, string description, string category, string subCategory) { throw null; }
        protected virtual void ExpireDownStreamObjects() { }
    }

    public abstract partial class GH_Component
    {
        protected GH_Component() { throw null; }
        protected GH_Component(IGH_InstanceDescription tag) { throw null; }
        protected GH_Component(string name, string nickname, string description, string category, string subCategory) { throw null; }
        protected abstract void RegisterInputParams(GH_InputParamManager pManager);
        protected abstract void RegisterOutputParams(GH_OutputParamManager pManager);
        protected abstract void SolveInstance(IGH_DataAccess DA);
        protected virtual void BeforeSolveInstance() { }
        protected virtual void AfterSolveInstance() { }
        protected virtual void PostConstructor() { }
        protected virtual string HelpDescription { get { throw null; } }
        protected virtual void GenerateDefaultHTML() { }
        protected static double DocumentTolerance() { throw null; }
        public override void AppendAdditionalMenuItems(global::System.Windows.Forms.ToolStripDropDown menu) { }
        protected virtual void AppendAdditionalComponentMenuItems(global::System.Windows.Forms.ToolStripDropDown menu) { }
        protected static double DocumentAngleTolerance() { throw null; }

        public class GH_ParamManager
        {
            protected GH_ParamManager() { throw null; }
            public IGH_Param this[int index] { get { throw null; } }
            public int ParamCount { get { throw null; } }
            public void HideParameter(int index) { }
            public int Register_BooleanParam(string name, string nickname, string description) { throw null; }
            public int Register_BooleanParam(string name, string nickname, string description, bool @default) { throw null; }
            public int Register_BooleanParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_IntegerParam(string name, string nickname, string description) { throw null; }
            public int Register_IntegerParam(string name, string nickname, string description, int @default) { throw null; }
            public int Register_IntegerParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_DoubleParam(string name, string nickname, string description) { throw null; }
            public int Register_DoubleParam(string name, string nickname, string description, double @default) { throw null; }
            public int Register_DoubleParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_StringParam(string name, string nickname, string description) { throw null; }
            public int Register_StringParam(string name, string nickname, string description, string @default) { throw null; }
            public int Register_StringParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_PointParam(string name, string nickname, string description) { throw null; }
            public int Register_PointParam(string name, string nickname, string description, global::Rhino.Geometry.Point3d @default) { throw null; }
            public int Register_PointParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_VectorParam(string name, string nickname, string description) { throw null; }
            public int Register_VectorParam(string name, string nickname, string description, global::Rhino.Geometry.Vector3d @default) { throw null; }
            public int Register_VectorParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_PlaneParam(string name, string nickname, string description) { throw null; }
            public int Register_PlaneParam(string name, string nickname, string description, global::Rhino.Geometry.Plane @default) { throw null; }
            public int Register_PlaneParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_CurveParam(string name, string nickname, string description) { throw null; }
            public int Register_CurveParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_SurfaceParam(string name, string nickname, string description) { throw null; }
            public int Register_SurfaceParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_BRepParam(string name, string nickname, string description) { throw null; }
            public int Register_BRepParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_MeshParam(string name, string nickname, string description) { throw null; }
            public int Register_MeshParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_GeometryParam(string name, string nickname, string description) { throw null; }
            public int Register_GeometryParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_GenericParam(string name, string nickname, string description) { throw null; }
            public int Register_GenericParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_LineParam(string name, string nickname, string description) { throw null; }
            public int Register_LineParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_ArcParam(string name, string nickname, string description) { throw null; }
            public int Register_ArcParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_CircleParam(string name, string nickname, string description) { throw null; }
            public int Register_CircleParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_BoxParam(string name, string nickname, string description) { throw null; }
            public int Register_BoxParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_IntervalParam(string name, string nickname, string description) { throw null; }
            public int Register_IntervalParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int Register_ColourParam(string name, string nickname, string description) { throw null; }
            public int Register_ColourParam(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
        }

        public class GH_InputParamManager : GH_ParamManager
        {
            protected GH_InputParamManager() { throw null; }
            public int AddParameter(IGH_Param param) { throw null; }
            public int AddParameter(IGH_Param param, string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddAngleParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddAngleParameter(string name, string nickname, string description, GH_ParamAccess access, double @default) { throw null; }
            public int AddAngleParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<double> @default) { throw null; }
            public int AddArcParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddArcParameter(string name, string nickname, string description, GH_ParamAccess access, global::Rhino.Geometry.Arc @default) { throw null; }
            public int AddArcParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<global::Rhino.Geometry.Arc> @default) { throw null; }
            public int AddBooleanParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddBooleanParameter(string name, string nickname, string description, GH_ParamAccess access, bool @default) { throw null; }
            public int AddBooleanParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<bool> @default) { throw null; }
            public int AddBoxParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddBoxParameter(string name, string nickname, string description, GH_ParamAccess access, global::Rhino.Geometry.Box @default) { throw null; }
            public int AddBoxParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<global::Rhino.Geometry.Box> @default) { throw null; }
            public int AddBrepParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddCircleParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddCircleParameter(string name, string nickname, string description, GH_ParamAccess access, global::Rhino.Geometry.Circle @default) { throw null; }
            public int AddCircleParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<global::Rhino.Geometry.Circle> @default) { throw null; }
            public int AddColourParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddColourParameter(string name, string nickname, string description, GH_ParamAccess access, global::System.Drawing.Color @default) { throw null; }
            public int AddColourParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<global::System.Drawing.Color> @default) { throw null; }
            public int AddComplexNumberParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddComplexNumberParameter(string name, string nickname, string description, GH_ParamAccess access, Complex @default) { throw null; }
            public int AddCultureParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddCultureParameter(string name, string nickname, string description, GH_ParamAccess access, global::System.Globalization.CultureInfo @default) { throw null; }
            public int AddCurveParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddFieldParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddGenericParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddGeometryParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddGroupParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddIntegerParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddIntegerParameter(string name, string nickname, string description, GH_ParamAccess access, int @default) { throw null; }
            public int AddIntegerParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<int> @default) { throw null; }
            public int AddIntervalParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddIntervalParameter(string name, string nickname, string description, GH_ParamAccess access, global::Rhino.Geometry.Interval @default) { throw null; }
            public int AddIntervalParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<global::Rhino.Geometry.Interval> @default) { throw null; }
            public int AddInterval2DParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddInterval2DParameter(string name, string nickname, string description, GH_ParamAccess access, UVInterval @default) { throw null; }
            public int AddLineParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddLineParameter(string name, string nickname, string description, GH_ParamAccess access, global::Rhino.Geometry.Line @default) { throw null; }
            public int AddLineParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<global::Rhino.Geometry.Line> @default) { throw null; }
            public int AddMatrixParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddMeshFaceParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddMeshFaceParameter(string name, string nickname, string description, GH_ParamAccess access, global::Rhino.Geometry.MeshFace @default) { throw null; }
            public int AddMeshParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddNumberParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddNumberParameter(string name, string nickname, string description, GH_ParamAccess access, double @default) { throw null; }
            public int AddNumberParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<double> @default) { throw null; }
            public int AddPathParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddPathParameter(string name, string nickname, string description, GH_ParamAccess access, GH_Path @default) { throw null; }
            public int AddPlaneParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddPlaneParameter(string name, string nickname, string description, GH_ParamAccess access, global::Rhino.Geometry.Plane @default) { throw null; }
            public int AddPlaneParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<global::Rhino.Geometry.Plane> @default) { throw null; }
            public int AddPointParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddPointParameter(string name, string nickname, string description, GH_ParamAccess access, global::Rhino.Geometry.Point3d @default) { throw null; }
            public int AddPointParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<global::Rhino.Geometry.Point3d> @default) { throw null; }
            public int AddRectangleParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddRectangleParameter(string name, string nickname, string description, GH_ParamAccess access, global::Rhino.Geometry.Rectangle3d @default) { throw null; }
            public int AddScriptVariableParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddSubDParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddSurfaceParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddTextParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddTextParameter(string name, string nickname, string description, GH_ParamAccess access, string @default) { throw null; }
            public int AddTextParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<string> @default) { throw null; }
            public int AddTimeParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddTimeParameter(string name, string nickname, string description, GH_ParamAccess access, DateTime @default) { throw null; }
            public int AddTransformParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddVectorParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddVectorParameter(string name, string nickname, string description, GH_ParamAccess access, global::Rhino.Geometry.Vector3d @default) { throw null; }
            public int AddVectorParameter(string name, string nickname, string description, GH_ParamAccess access, IEnumerable<global::Rhino.Geometry.Vector3d> @default) { throw null; }
        }

        public class GH_OutputParamManager : GH_ParamManager
        {
            protected GH_OutputParamManager() { throw null; }
            public int AddParameter(IGH_Param param) { throw null; }
            public int AddParameter(IGH_Param param, string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddAngleParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddArcParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddBooleanParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddBoxParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddBrepParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddCircleParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddColourParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddComplexNumberParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddCultureParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddCurveParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddFieldParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddGenericParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddGeometryParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddGroupParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddIntegerParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddIntervalParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddInterval2DParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddLineParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddMatrixParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddMeshFaceParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddMeshParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddNumberParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddPathParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddPlaneParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddPointParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddRectangleParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddScriptVariableParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddSubDParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddSurfaceParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddTextParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddTimeParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddTransformParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
            public int AddVectorParameter(string name, string nickname, string description, GH_ParamAccess access) { throw null; }
        }
    }

    public abstract partial class GH_TaskCapableComponent<T> : GH_Component, global::Grasshopper.Kernel.IGH_TaskCapableComponent
    {
        protected GH_TaskCapableComponent(string name, string nickname, string description, string category, string subCategory) { throw null; }
        public List<global::System.Threading.Tasks.Task<T>> TaskList { get { throw null; } set { } }
        public bool InPreSolve { get { throw null; } }
        public bool UseTasks { get { throw null; } set { } }
        public global::System.Threading.CancellationToken CancelToken { get { throw null; } }
        public bool GetSolveResults(IGH_DataAccess data, out T result) { throw null; }
        public void RequestTaskCancellation() { }
        protected override void BeforeSolveInstance() { }
        protected override void AfterSolveInstance() { }
    }

    public partial interface IGH_DataAccess
    {
        bool GetData<T>(int index, ref T destination);
        bool GetData<T>(string name, ref T destination);
        bool GetDataList<T>(int index, List<T> list);
        bool GetDataList<T>(string name, List<T> list);
        bool GetDataTree<T>(int index, out GH_Structure<T> tree) where T : IGH_Goo;
        bool GetDataTree<T>(string name, out GH_Structure<T> tree) where T : IGH_Goo;
        bool SetData(int paramIndex, object data);
        bool SetData(string paramName, object data);
        bool SetData(int paramIndex, object data, int itemIndexOverride);
        bool SetDataList(int paramIndex, IEnumerable data);
        bool SetDataList(string paramName, IEnumerable data);
        bool SetDataList(int paramIndex, IEnumerable data, int listIndexOverride);
        bool SetDataTree(int paramIndex, IGH_DataTree tree);
        bool SetDataTree(string paramName, IGH_DataTree tree);
        bool SetDataTree(int paramIndex, IGH_Structure tree);
        bool SetDataTree(string paramName, IGH_Structure tree);
        bool BlitData<Q>(int paramIndex, GH_Structure<Q> tree, bool overwrite) where Q : IGH_Goo;
        int Util_CountNonNullRefs<T>(List<T> L);
        int Util_CountNullRefs<T>(List<T> L);
        bool Util_EnsureNonNullCount<T>(List<T> L, int N);
        T Util_FirstNonNullItem<T>(List<T> L);
        List<T> Util_RemoveNullRefs<T>(List<T> L);
    }

    public abstract partial class GH_Param<T> : GH_ActiveObject, global::Grasshopper.Kernel.IGH_Param where T : class, IGH_Goo
    {
        protected GH_Param() { throw null; }
        protected GH_Param(IGH_InstanceDescription tag) { throw null; }
        protected GH_Param(IGH_InstanceDescription tag, GH_ParamAccess access) { throw null; }
        protected GH_Param(string name, string nickname, string description, string category, string subcategory, GH_ParamAccess access) { throw null; }
        protected GH_Structure<T> m_data;
        public GH_Structure<T> VolatileData { get { throw null; } }
        public int VolatileDataCount { get { throw null; } }
        public GH_ParamAccess Access { get { throw null; } set { } }
        public bool Optional { get { throw null; } set { } }
        public GH_DataMapping DataMapping { get { throw null; } set { } }
        public bool Simplify { get { throw null; } set { } }
        public bool Reverse { get { throw null; } set { } }
        public IList<IGH_Param> Sources { get { throw null; } }
        public IList<IGH_Param> Recipients { get { throw null; } }
        public int SourceCount { get { throw null; } }
        public Type Type { get { throw null; } }
        public virtual string TypeName { get { throw null; } }
        public GH_ParamKind Kind { get { throw null; } }
        public void AddSource(IGH_Param source) { }
        public void AddSource(IGH_Param source, int index) { }
        public void RemoveSource(IGH_Param source) { }
        public void RemoveSource(Guid source_id) { }
        public void RemoveAllSources() { }
        public void AddVolatileData(GH_Path path, int index, object data) { }
        public void AddVolatileDataList(GH_Path path, IEnumerable list) { }
        public void AddVolatileDataTree(IGH_Structure tree) { }
        public void AddVolatileDataTree<Q>(GH_Structure<Q> tree) where Q : IGH_Goo { }
        protected virtual T InstantiateT() { throw null; }
        protected virtual T PreferredCast(object data) { throw null; }
    }

    public abstract partial class GH_PersistentParam<T> : GH_Param<T> where T : class, IGH_Goo
    {
        protected GH_PersistentParam() { throw null; }
        protected GH_PersistentParam(IGH_InstanceDescription tag) { throw null; }
        protected GH_PersistentParam(IGH_InstanceDescription tag, bool allowTreeAccess) { throw null; }
        protected GH_PersistentParam(string name, string nickname, string description, string category, string subcategory) { throw null; }
        public GH_Structure<T> PersistentData { get { throw null; } }
        public int PersistentDataCount { get { throw null; } }
        public void SetPersistentData(params object[] values) { }
        public void SetPersistentData(IEnumerable list) { }
        public void SetPersistentData(GH_Structure<T> tree) { }
        public void ClearPersistentData() { }
        protected virtual GH_GetterResult Prompt_Singular(ref T value) { throw null; }
        protected virtual GH_GetterResult Prompt_Plural(ref List<T> values) { throw null; }
    }

    public abstract partial class GH_PersistentGeometryParam<T> : GH_PersistentParam<T> where T : class, IGH_GeometricGoo
    {
        protected GH_PersistentGeometryParam() { throw null; }
        protected GH_PersistentGeometryParam(IGH_InstanceDescription tag) { throw null; }
        protected GH_PersistentGeometryParam(IGH_InstanceDescription tag, bool allowTreeAccess) { throw null; }
        protected GH_PersistentGeometryParam(string name, string nickname, string description, string category, string subcategory) { throw null; }
    }
}

namespace Grasshopper.Kernel.Data
{
    using System;
    using System.Collections;
    using System.Collections.Generic;
    using Grasshopper.Kernel.Types;

    public partial class GH_Path
    {
        public GH_Path() { throw null; }
        public GH_Path(int index) { throw null; }
        public GH_Path(params int[] args) { throw null; }
        public GH_Path(GH_Path other) { throw null; }
        public GH_Path(GH_Path other, int index) { throw null; }
        public int this[int index] { get { throw null; } }
    }

    public partial class GH_Structure<T> : global::Grasshopper.Kernel.Data.IGH_Structure, GH_IO.Serialization.GH_ISerializable, IEnumerable<T> where T : IGH_Goo
    {
        public GH_Structure() { throw null; }
        public GH_Structure(GH_Structure<T> other, bool shallowCopy) { throw null; }
        public int PathCount { get { throw null; } }
        public int DataCount { get { throw null; } }
        public bool IsEmpty { get { throw null; } }
        public IList<GH_Path> Paths { get { throw null; } }
        public IList<List<T>> Branches { get { throw null; } }
        public List<T> this[GH_Path path] { get { throw null; } }
        public List<T> get_Branch(GH_Path path) { throw null; }
        public List<T> get_Branch(int index) { throw null; }
        public GH_Path get_Path(int index) { throw null; }
        public T get_DataItem(int index) { throw null; }
        public T get_DataItem(GH_Path path, int index) { throw null; }
        public T get_FirstItem(bool skipNulls) { throw null; }
        public T get_LastItem(bool skipNulls) { throw null; }
        public List<T> Branch(GH_Path path) { throw null; }
        public IEnumerable<T> AllData(bool skipNulls) { throw null; }
        public IEnumerable<T> NonNulls { get { throw null; } }
        public List<T> FlattenData() { throw null; }
        public string TopologyDescription { get { throw null; } }
        public string DataDescription(bool includeIndices, bool includePaths) { throw null; }
        public void Append(T data) { }
        public void Append(T data, GH_Path path) { }
        public void AppendRange(IEnumerable<T> data) { }
        public void AppendRange(IEnumerable<T> data, GH_Path path) { }
        public void Insert(T data, GH_Path path, int index) { }
        public List<T> EnsurePath(GH_Path path) { throw null; }
        public List<T> EnsurePath(params int[] path) { throw null; }
        public void AddPath(GH_Path path) { }
        public bool PathExists(GH_Path path) { throw null; }
        public bool RemovePath(GH_Path path) { throw null; }
        public bool RemoveData(T data) { throw null; }
        public bool ReplacePath(GH_Path find, GH_Path replace) { throw null; }
        public void MergeStructure(GH_Structure<T> other) { }
        public void Flatten() { }
        public void Flatten(GH_Path path) { }
        public void Graft(bool ignoreEmptyBranches) { }
        public void Graft(GH_GraftMode mode) { }
        public void Simplify(GH_SimplificationMode mode) { }
        public void Reverse() { }
        public void Clear() { }
        public void ClearData() { }
        public void TrimExcess() { }
        public void EnsureCapacity(int capacity) { }
        public GH_Structure<T> Duplicate() { throw null; }
        public GH_Structure<T> ShallowDuplicate() { throw null; }
        public GH_Structure<Q> DuplicateCast<Q>(Converter<T, Q> converter) where Q : IGH_Goo { throw null; }
        public int LongestPathIndex() { throw null; }
        public int ShortestPathIndex() { throw null; }
        public bool Write(GH_IO.Serialization.GH_IWriter writer) { throw null; }
        public bool Read(GH_IO.Serialization.GH_IReader reader) { throw null; }
        public IEnumerator<T> GetEnumerator() { throw null; }
        IEnumerator IEnumerable.GetEnumerator() { throw null; }
    }
}

namespace Grasshopper
{
    using System;
    using System.Collections;
    using System.Collections.Generic;
    using Grasshopper.Kernel.Data;

    public partial class DataTree<T> : global::Grasshopper.Kernel.Data.IGH_DataTree
    {
        public DataTree() { throw null; }
        public DataTree(DataTree<T> other) { throw null; }
        public DataTree(DataTree<T> other, Func<T, T> itemCopier) { throw null; }
        public DataTree(IEnumerable<T> data, GH_Path root) { throw null; }
        public int BranchCount { get { throw null; } }
        public int DataCount { get { throw null; } }
        public IList<GH_Path> Paths { get { throw null; } }
        public List<List<T>> Branches { get { throw null; } }
        public string TopologyDescription { get { throw null; } }
        public T this[GH_Path path, int index] { get { throw null; } set { } }
        public List<T> AllData() { throw null; }
        public List<T> Branch(GH_Path path) { throw null; }
        public List<T> Branch(params int[] path) { throw null; }
        public List<T> Branch(int index) { throw null; }
        public GH_Path Path(int index) { throw null; }
        public bool PathExists(GH_Path path) { throw null; }
        public bool PathExists(params int[] path) { throw null; }
        public bool ItemExists(GH_Path path, int index) { throw null; }
        public void Add(T data) { }
        public void Add(T data, GH_Path path) { }
        public void AddRange(IEnumerable<T> data) { }
        public void AddRange(IEnumerable<T> data, GH_Path path) { }
        public void Insert(T data, GH_Path path, int index) { }
        public List<T> EnsurePath(GH_Path path) { throw null; }
        public List<T> EnsurePath(params int[] path) { throw null; }
        public bool RemovePath(GH_Path path) { throw null; }
        public bool RemovePath(params int[] path) { throw null; }
        public void MergeTree(DataTree<T> other) { }
        public void Flatten() { }
        public void Flatten(GH_Path path) { }
        public void Graft(bool ignoreEmptyBranches) { }
        public void Graft(GH_GraftMode mode) { }
        public void SimplifyPaths() { }
        public void RenumberPaths() { }
        public void Clear() { }
        public void ClearData() { }
        public void TrimExcess() { }
        public void EnsureCapacity(int capacity) { }
    }
}

namespace Grasshopper.Kernel.Types
{
    using System;
    using GH_IO.Serialization;
    using Rhino.Geometry;

    public partial interface IGH_Goo
    {
        bool CastTo<Q>(out Q target);
    }

    public partial interface IGH_GeometricGoo : global::Grasshopper.Kernel.Types.IGH_Goo { }

    public abstract partial class GH_Goo<T> : global::Grasshopper.Kernel.Types.IGH_Goo, GH_ISerializable
    {
        protected GH_Goo() { throw null; }
        protected GH_Goo(T internal_data) { throw null; }
        protected GH_Goo(GH_Goo<T> other) { throw null; }
        protected T m_value;
        public virtual T Value { get { throw null; } set { } }
        public virtual bool IsValid { get { throw null; } }
        public virtual string IsValidWhyNot { get { throw null; } }
        public virtual string TypeName { get { throw null; } }
        public virtual string TypeDescription { get { throw null; } }
        public virtual IGH_Goo Duplicate() { throw null; }
        public virtual IGH_GooProxy EmitProxy() { throw null; }
        public virtual bool CastFrom(object source) { throw null; }
        public virtual bool CastTo<Q>(ref Q target) { throw null; }
        bool IGH_Goo.CastTo<Q>(out Q target) { throw null; }
        public virtual object ScriptVariable() { throw null; }
        public virtual bool Write(GH_IWriter writer) { throw null; }
        public virtual bool Read(GH_IReader reader) { throw null; }
    }

    public abstract partial class GH_GeometricGoo<T> : GH_Goo<T>, global::Grasshopper.Kernel.Types.IGH_GeometricGoo
    {
        protected GH_GeometricGoo() { throw null; }
        protected GH_GeometricGoo(T internal_data) { throw null; }
        protected GH_GeometricGoo(T internal_data, Guid ref_guid) { throw null; }
        public virtual BoundingBox Boundingbox { get { throw null; } }
        public virtual BoundingBox GetBoundingBox(Transform xform) { throw null; }
        public virtual IGH_GeometricGoo Transform(Transform xform) { throw null; }
        public virtual IGH_GeometricGoo Morph(SpaceMorph xmorph) { throw null; }
        public virtual IGH_GeometricGoo DuplicateGeometry() { throw null; }
        public virtual Guid ReferenceID { get { throw null; } set { } }
        public virtual bool IsReferencedGeometry { get { throw null; } }
        public virtual bool IsGeometryLoaded { get { throw null; } }
        public virtual bool LoadGeometry() { throw null; }
        public virtual bool LoadGeometry(Rhino.RhinoDoc doc) { throw null; }
        public virtual void ClearCaches() { }
    }

    public partial class GH_Number : GH_Goo<double> { }
    public partial class GH_Integer : GH_Goo<int> { }
    public partial class GH_Boolean : GH_Goo<bool> { }
    public partial class GH_String : GH_Goo<string> { }
    public partial class GH_Colour : GH_Goo<global::System.Drawing.Color> { }
    public partial class GH_Time : GH_Goo<DateTime> { }
    public partial class GH_Guid : GH_Goo<Guid> { }
    public partial class GH_Interval : GH_Goo<Interval> { }
    public partial class GH_Interval2D : GH_Goo<UVInterval> { }
    public partial class GH_Vector : GH_Goo<Vector3d> { }
    public partial class GH_Matrix : GH_Goo<Matrix> { }
    public partial class GH_MeshFace : GH_Goo<MeshFace> { }
    public partial class GH_ComplexNumber : GH_Goo<Complex> { }
    public partial class GH_Culture : GH_Goo<global::System.Globalization.CultureInfo> { }
    public partial class GH_StructurePath : GH_Goo<global::Grasshopper.Kernel.Data.GH_Path> { }
    public partial class GH_Transform : GH_Goo<Transform> { }
    public partial class GH_ObjectWrapper : GH_Goo<object> { }
    public partial class GH_Point : GH_GeometricGoo<Point3d> { }
    public partial class GH_Plane : GH_GeometricGoo<Plane> { }
    public partial class GH_Line : GH_GeometricGoo<Line> { }
    public partial class GH_Circle : GH_GeometricGoo<Circle> { }
    public partial class GH_Arc : GH_GeometricGoo<Arc> { }
    public partial class GH_Box : GH_GeometricGoo<Box> { }
    public partial class GH_Rectangle : GH_GeometricGoo<Rectangle3d> { }
    public partial class GH_Curve : GH_GeometricGoo<Curve> { }
    public partial class GH_Surface : GH_GeometricGoo<Brep> { }
    public partial class GH_Brep : GH_GeometricGoo<Brep> { }
    public partial class GH_Mesh : GH_GeometricGoo<Mesh> { }
    public partial class GH_SubD : GH_GeometricGoo<SubD> { }
    public partial class GH_Extrusion : GH_GeometricGoo<Extrusion> { }
    public partial class GH_PointCloud : GH_GeometricGoo<PointCloud> { }
}

namespace Grasshopper.Kernel.Parameters
{
    using Grasshopper.Kernel.Types;

    public partial class Param_Number : GH_PersistentParam<GH_Number> { }
    public partial class Param_Integer : GH_PersistentParam<GH_Integer> { }
    public partial class Param_Boolean : GH_PersistentParam<GH_Boolean> { }
    public partial class Param_String : GH_PersistentParam<GH_String> { }
    public partial class Param_FilePath : GH_PersistentParam<GH_String> { }
    public partial class Param_Colour : GH_PersistentParam<GH_Colour> { }
    public partial class Param_Time : GH_PersistentParam<GH_Time> { }
    public partial class Param_Guid : GH_PersistentParam<GH_Guid> { }
    public partial class Param_Interval : GH_PersistentParam<GH_Interval> { }
    public partial class Param_Interval2D : GH_PersistentParam<GH_Interval2D> { }
    public partial class Param_Vector : GH_PersistentParam<GH_Vector> { }
    public partial class Param_Matrix : GH_PersistentParam<GH_Matrix> { }
    public partial class Param_MeshFace : GH_PersistentParam<GH_MeshFace> { }
    public partial class Param_Complex : GH_PersistentParam<GH_ComplexNumber> { }
    public partial class Param_Culture : GH_PersistentParam<GH_Culture> { }
    public partial class Param_StructurePath : GH_PersistentParam<GH_StructurePath> { }
    public partial class Param_Transform : GH_PersistentParam<GH_Transform> { }
    public partial class Param_GenericObject : GH_PersistentParam<IGH_Goo> { }
    public partial class Param_ScriptVariable : GH_PersistentParam<IGH_Goo> { }
    public partial class Param_Point : GH_PersistentGeometryParam<GH_Point> { }
    public partial class Param_Plane : GH_PersistentGeometryParam<GH_Plane> { }
    public partial class Param_Line : GH_PersistentGeometryParam<GH_Line> { }
    public partial class Param_Circle : GH_PersistentGeometryParam<GH_Circle> { }
    public partial class Param_Arc : GH_PersistentGeometryParam<GH_Arc> { }
    public partial class Param_Box : GH_PersistentGeometryParam<GH_Box> { }
    public partial class Param_Rectangle : GH_PersistentGeometryParam<GH_Rectangle> { }
    public partial class Param_Curve : GH_PersistentGeometryParam<GH_Curve> { }
    public partial class Param_Surface : GH_PersistentGeometryParam<GH_Surface> { }
    public partial class Param_Brep : GH_PersistentGeometryParam<GH_Brep> { }
    public partial class Param_Mesh : GH_PersistentGeometryParam<GH_Mesh> { }
    public partial class Param_SubD : GH_PersistentGeometryParam<GH_SubD> { }
    public partial class Param_Extrusion : GH_PersistentGeometryParam<GH_Extrusion> { }
    public partial class Param_PointCloud : GH_PersistentGeometryParam<GH_PointCloud> { }
    public partial class Param_Geometry : GH_PersistentParam<IGH_GeometricGoo> { }
}

// RhinoCommon members the stubs get wrong: generic delegates erased (EventHandler<T>),
// arrays returned as sequences, ref parameters placed as extra outputs, obsolete overloads left out.
namespace Rhino.Geometry
{
    public partial class RTree
    {
        public bool Search(BoundingBox box, global::System.EventHandler<RTreeEventArgs> callback) { throw null; }
        public bool Search(BoundingBox box, global::System.EventHandler<RTreeEventArgs> callback, object tag) { throw null; }
        public bool Search(Sphere sphere, global::System.EventHandler<RTreeEventArgs> callback) { throw null; }
        public bool Search(Sphere sphere, global::System.EventHandler<RTreeEventArgs> callback, object tag) { throw null; }
    }
}

namespace Rhino.DocObjects.Tables
{
    public partial class ViewTable
    {
        public global::Rhino.Display.RhinoView[] GetViewList(bool includeStandardViews, bool includePageViews) { throw null; }
        public global::Rhino.Display.RhinoView[] GetViewList(global::Rhino.Display.ViewTypeFilter filter) { throw null; }
    }

    public partial class InstanceDefinitionTable
    {
        public global::Rhino.DocObjects.InstanceDefinition[] GetList(bool ignoreDeleted) { throw null; }
    }
}

namespace Grasshopper.Kernel.Geometry.Delaunay
{
    public partial class Solver
    {
        public static global::Rhino.Geometry.Mesh Solve_Mesh(global::Grasshopper.Kernel.Geometry.Node2List nodes, double jitter_amount, ref global::System.Collections.Generic.List<Face> faces) { throw null; }
        public static global::System.Collections.Generic.List<Face> Solve_Faces(global::Grasshopper.Kernel.Geometry.Node2List nodes, double jitter_amount) { throw null; }
        public static global::System.Collections.Generic.List<Edge> Solve_Edges(global::Grasshopper.Kernel.Geometry.Node2List nodes, double jitter_amount) { throw null; }
    }
}

// An enum with a member named like a Python keyword (`None`), which the Python stubs cannot hold.
namespace Rhino
{
    public enum UnitSystem
    {
        None = 0, Microns = 1, Millimeters = 2, Centimeters = 3, Meters = 4, Kilometers = 5, Microinches = 6,
        Mils = 7, Inches = 8, Feet = 9, Miles = 10, CustomUnits = 11, Angstroms = 12, Nanometers = 13,
        Decimeters = 14, Dekameters = 15, Hectometers = 16, Megameters = 17, Gigameters = 18, Yards = 19,
        PrinterPoints = 20, PrinterPicas = 21, NauticalMiles = 22, AstronomicalUnits = 23, LightYears = 24,
        Parsecs = 25, Unset = 255
    }
}
