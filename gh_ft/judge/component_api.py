"""Hand-kept API tables: what McNeel's stubs leave out, and the .NET names generated code uses.

Why by hand: the stubs (see scripts/build_api_index.py) are generated from public,
non-generic types, so they miss exactly the core of a Grasshopper component: the
protected members of GH_Component (SolveInstance, RegisterInputParams, Icon ...), the
nested GH_InputParamManager/GH_OutputParamManager, generic types (GH_TaskCapableComponent<T>,
GH_Structure<T>, DataTree<T>, GH_Goo<T>, GH_Param<T>), the base interfaces of IGH_Param,
and GH_IO. Those entries are written here from McNeel's public API reference, listing only
members we are sure exist. The .NET base-class-library table is deliberately partial.

Entry fields (see `_t`):
  kind      class | struct | enum | interface
  members   "Name" or "Name:Type" separated by spaces; Type is a full name, a C# keyword,
            "$0"/"$1" for the type's generic arguments, "X[]" for a sequence of X, or a
            generic "A<B>"
  static    the same, for static members
  base      full names of base types (classes and interfaces)
  closed    True: the list is complete, a name not in it is invented (the verdict "fail").
            False: partial; a name not in it is only "unresolved".
  protected True where protected members are listed too, so `this.X`/`X()` inside a
            derived class can be judged (GH_Component and its ancestors).
  patterns  regular expressions of member names that exist in families (Register_*Param)
  witness   for an interface: a class implementing it whose public members are complete;
            a name that class lacks cannot be an interface member either
  item/iter element type of `x[i]` / `foreach (var e in x)`
  supplement the entry only adds to a type the stubs define; without the stub data it is
            open (its public members are then unknown here)
"""
from __future__ import annotations

from typing import Any


def _t(kind: str, members: str = "", static: str = "", base: tuple[str, ...] = (), closed: bool = True,
       protected: bool = False, patterns: tuple[str, ...] = (), witness: str = "", item: str = "",
       iter: str = "", arity: int = 0, supplement: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": kind, "members": members.split(), "static": static.split(), "base": list(base),
                             "closed": closed, "protected": protected, "patterns": list(patterns),
                             "supplement": supplement}
    for key, value in (("witness", witness), ("item", item), ("iter", iter), ("arity", arity)):
        if value:
            entry[key] = value
    return entry


_K = "Grasshopper.Kernel."
_PARAM_ADD = ("Arc Boolean Box Brep Circle Colour ComplexNumber Culture Curve Field Generic Geometry Group Integer "
              "Interval Interval2D Line Matrix MeshFace Mesh Number Path Plane Point Rectangle ScriptVariable SubD "
              "Surface Text Time Transform Vector").split()
_INPUT_ADDS = " ".join(f"Add{n}Parameter:int" for n in ["Angle"] + _PARAM_ADD)
_OUTPUT_ADDS = " ".join(f"Add{n}Parameter:int" for n in _PARAM_ADD)
_GOO = ("m_value:$0 Value:$0 IsValid:bool IsValidWhyNot:string TypeName:string TypeDescription:string "
        "Duplicate:Grasshopper.Kernel.Types.IGH_Goo ToString:string CastFrom:bool CastTo:bool ScriptVariable:object "
        "EmitProxy Read:bool Write:bool")

# ---- Grasshopper / GH_IO: what the stubs miss ------------------------------------------

SDK_TYPES: dict[str, dict[str, Any]] = {
    _K + "GH_InstanceDescription": _t("class", protected=True, supplement=True),
    _K + "GH_DocumentObject": _t(
        "class", "Icon:System.Drawing.Bitmap m_attributes:Grasshopper.Kernel.IGH_Attributes HtmlHelp_Source:string "
        "DestroyIconCache GetValue SetValue ValuesChanged",
        protected=True, patterns=(r"Menu_\w+",), supplement=True),
    _K + "GH_ActiveObject": _t("class", "ExpireDownStreamObjects", protected=True, supplement=True),
    _K + "GH_Component": _t(
        "class", "RegisterInputParams RegisterOutputParams SolveInstance BeforeSolveInstance AfterSolveInstance "
        "AppendAdditionalComponentMenuItems AssignInitCodeToInputParameter GenerateDefaultHTML GenerateParameterHelp "
        "PostConstructor HelpDescription:string",
        static="DocumentTolerance:double DocumentAngleTolerance:double GH_InputParamManager GH_OutputParamManager "
        "GH_ParamManager", protected=True, supplement=True),
    _K + "GH_Component.GH_ParamManager": _t(
        "class", "ParamCount:int HideParameter FixUpParameter", item=_K + "IGH_Param",
        patterns=(r"Register_\w+Param",)),
    _K + "GH_Component.GH_InputParamManager": _t(
        "class", _INPUT_ADDS + " AddParameter:int", base=(_K + "GH_Component.GH_ParamManager",),
        item=_K + "IGH_Param"),
    _K + "GH_Component.GH_OutputParamManager": _t(
        "class", _OUTPUT_ADDS + " AddParameter:int", base=(_K + "GH_Component.GH_ParamManager",),
        item=_K + "IGH_Param"),
    _K + "GH_TaskCapableComponent": _t(
        "class", "TaskList:System.Collections.Generic.List<System.Threading.Tasks.Task<$0>> InPreSolve:bool "
        "UseTasks:bool CancelToken:System.Threading.CancellationToken GetSolveResults:bool RequestTaskCancellation "
        "OnUseTasksClicked BeforeSolveInstance AfterSolveInstance AppendAdditionalMenuItems InstanceDescription:string "
        "Read:bool Write:bool", base=(_K + "GH_Component", _K + "IGH_TaskCapableComponent"), protected=True, arity=1),
    _K + "IGH_Param": _t("interface", base=(_K + "IGH_ActiveObject",), closed=False,
                         witness=_K + "Parameters.Param_GenericObject"),
    _K + "IGH_DataAccess": _t("interface", supplement=True),
    _K + "Types.IGH_Goo": _t("interface", closed=False, witness=_K + "Types.GH_Number"),
    _K + "Types.IGH_GeometricGoo": _t("interface", base=(_K + "Types.IGH_Goo",), closed=False,
                                      witness=_K + "Types.GH_Curve"),
    _K + "IGH_InstanceDescription": _t("interface", closed=False, witness=_K + "GH_InstanceDescription"),
    _K + "IGH_DocumentObject": _t("interface", base=(_K + "IGH_InstanceDescription",), closed=False,
                                  witness=_K + "GH_DocumentObject"),
    _K + "IGH_ActiveObject": _t("interface", base=(_K + "IGH_DocumentObject",), closed=False,
                                witness=_K + "GH_ActiveObject"),
    _K + "IGH_Component": _t("interface", base=(_K + "IGH_ActiveObject",), closed=False, witness=_K + "GH_Component"),
    _K + "Types.GH_Goo": _t("class", _GOO, base=(_K + "Types.IGH_Goo",), closed=False, arity=1),
    _K + "Types.GH_GeometricGoo": _t(
        "class", _GOO + " Boundingbox:Rhino.Geometry.BoundingBox GetBoundingBox:Rhino.Geometry.BoundingBox Transform "
        "Morph DuplicateGeometry:Grasshopper.Kernel.Types.IGH_GeometricGoo ReferenceID:System.Guid "
        "IsReferencedGeometry:bool IsGeometryLoaded:bool LoadGeometry:bool ClearCaches",
        base=(_K + "Types.GH_Goo", _K + "Types.IGH_GeometricGoo"), closed=False, arity=1),
    _K + "GH_Param": _t(
        "class", "m_data:Grasshopper.Kernel.Data.GH_Structure<$0> VolatileData:Grasshopper.Kernel.Data.GH_Structure<$0> "
        "VolatileDataCount:int Access:Grasshopper.Kernel.GH_ParamAccess Optional:bool DataMapping Simplify:bool "
        "Reverse:bool Sources Recipients SourceCount:int Type:System.Type TypeName:string Kind AddSource RemoveSource "
        "RemoveAllSources AddVolatileData AddVolatileDataList AddVolatileDataTree ClearData CollectData",
        base=(_K + "GH_ActiveObject", _K + "IGH_Param"), closed=False, arity=1),
    _K + "GH_PersistentParam": _t(
        "class", "PersistentData:Grasshopper.Kernel.Data.GH_Structure<$0> PersistentDataCount:int SetPersistentData "
        "ClearPersistentData Prompt_Singular Prompt_Plural",
        base=(_K + "GH_Param",), closed=False, arity=1),
    _K + "GH_PersistentGeometryParam": _t("class", base=(_K + "GH_PersistentParam",), closed=False, arity=1),
    _K + "Data.GH_Structure": _t(
        "class", "Branch get_Branch Branches:System.Collections.Generic.IList<System.Collections.Generic.List<$0>> "
        "DataCount:int DataItem:$0 get_DataItem:$0 DataList:System.Collections.Generic.List<$0> "
        "get_DataList:System.Collections.Generic.List<$0> FirstItem:$0 get_FirstItem:$0 IsEmpty:bool LastItem:$0 "
        "get_LastItem:$0 NonNulls Path:Grasshopper.Kernel.Data.GH_Path get_Path:Grasshopper.Kernel.Data.GH_Path "
        "PathCount:int Paths:System.Collections.Generic.IList<Grasshopper.Kernel.Data.GH_Path> StructureProxy "
        "TopologyDescription:string AllData:$0[] Append AppendRange Clear ClearData DataDescription:string "
        "Duplicate:Grasshopper.Kernel.Data.GH_Structure<$0> DuplicateCast EnsureCapacity "
        "EnsurePath:System.Collections.Generic.List<$0> ExpandPath Flatten FlattenData:System.Collections.Generic.List<$0> "
        "GetEnumerator GetEnumerator_Generic Graft Insert LongestPathIndex:int MergeStructure PathExists:bool PathIndex "
        "Read:bool RemoveData:bool RemovePath:bool ReplacePath:bool Reverse ShallowDuplicate ShortestPathIndex:int "
        "Simplify TrimExcess Write:bool",
        base=(_K + "Data.IGH_Structure",), arity=1, iter="$0"),
    "Grasshopper.DataTree": _t(
        "class", "BranchCount:int Branches:System.Collections.Generic.List<System.Collections.Generic.List<$0>> "
        "DataCount:int Item:$0 Paths:System.Collections.Generic.IList<Grasshopper.Kernel.Data.GH_Path> "
        "TopologyDescription:string Add AddRange AllData:System.Collections.Generic.List<$0> "
        "Branch:System.Collections.Generic.List<$0> Clear ClearData EnsurePath:System.Collections.Generic.List<$0> "
        "Flatten Graft Insert ItemExists:bool MergeTree Path:Grasshopper.Kernel.Data.GH_Path PathExists:bool RemovePath:bool "
        "RenumberPaths SimplifyPaths TrimExcess",
        base=(_K + "Data.IGH_DataTree",), arity=1, item="$0"),
    "GH_IO.Serialization.GH_IWriter": _t(
        "interface", "CreateChunk:GH_IO.Serialization.GH_IWriter RemoveChunk RemoveItem ItemCount:int ChunkCount:int "
        "Name:string Index:int", closed=False, patterns=(r"Set\w+",)),
    "GH_IO.Serialization.GH_IReader": _t(
        "interface", "FindChunk:GH_IO.Serialization.GH_IReader ItemExists:bool ChunkExists:bool Chunks Items "
        "FindItem ItemCount:int ChunkCount:int Name:string Index:int AddMessage", closed=False,
        patterns=(r"(Get|TryGet)\w+",)),
    "GH_IO.Serialization.GH_Archive": _t("class", "CreateTopLevelNode GetRootNode Serialize_Xml Deserialize_Xml "
                                         "Serialize_Binary Deserialize_Binary ReadFromFile WriteToFile", closed=False),
    "GH_IO.Types.GH_Version": _t("struct", "major:int minor:int revision:int", closed=False),
}

# ---- .NET: a partial table (names missing here are "unresolved", never "invented") -----

_OBJECT = "ToString:string Equals:bool GetHashCode:int GetType:System.Type"
_SEQ = ("Count:int Length:int LongLength Rank Add AddRange Clear Contains:bool CopyTo IndexOf:int LastIndexOf:int "
        "Insert InsertRange Remove RemoveAt RemoveAll RemoveRange Reverse Sort ToArray:$0[] Find:$0 FindAll FindIndex:int "
        "FindLast:$0 FindLastIndex:int Exists:bool ForEach TrueForAll:bool GetRange GetEnumerator Capacity AsReadOnly "
        "BinarySearch:int ConvertAll TrimExcess GetLength:int GetLowerBound:int GetUpperBound:int GetValue SetValue "
        "Clone IsReadOnly IsFixedSize EnsureCapacity")
# System.Linq.Enumerable: extension methods valid on every sequence (when System.Linq is imported).
LINQ_METHODS = frozenset((
    "Aggregate All Any Append AsEnumerable Average Cast Chunk Concat Contains Count DefaultIfEmpty Distinct DistinctBy "
    "ElementAt ElementAtOrDefault Except ExceptBy First FirstOrDefault GroupBy GroupJoin Intersect IntersectBy Join "
    "Last LastOrDefault LongCount Max MaxBy Min MinBy OfType Order OrderBy OrderByDescending OrderDescending Prepend "
    "Reverse Select SelectMany SequenceEqual Single SingleOrDefault Skip SkipLast SkipWhile Sum Take TakeLast "
    "TakeWhile ThenBy ThenByDescending ToArray ToDictionary ToHashSet ToList ToLookup Union UnionBy Where Zip").split())
# LINQ calls whose result type follows from the element type $0.
LINQ_RETURNS = {"First": "$0", "FirstOrDefault": "$0", "Last": "$0", "LastOrDefault": "$0", "Single": "$0",
                "SingleOrDefault": "$0", "ElementAt": "$0", "ElementAtOrDefault": "$0", "ToList": "System.Collections.Generic.List<$0>",
                "ToArray": "$0[]", "Where": "$0[]", "OrderBy": "$0[]", "OrderByDescending": "$0[]", "ThenBy": "$0[]",
                "Distinct": "$0[]", "Skip": "$0[]", "Take": "$0[]", "Reverse": "$0[]", "Concat": "$0[]",
                "Count": "int", "Any": "bool", "All": "bool", "Contains": "bool"}
_SG = "System.Collections.Generic."

BCL_TYPES: dict[str, dict[str, Any]] = {
    "System.Object": _t("class", _OBJECT + " MemberwiseClone", static="ReferenceEquals:bool Equals:bool", closed=False),
    "System.Math": _t(
        "class", static="Abs Acos:double Acosh:double Asin:double Asinh:double Atan:double Atan2:double Atanh:double "
        "BigMul BitDecrement:double BitIncrement:double Cbrt:double Ceiling Clamp CopySign:double Cos:double "
        "Cosh:double DivRem Exp:double Floor FusedMultiplyAdd:double IEEERemainder:double ILogB:int Log:double "
        "Log10:double Log2:double Max MaxMagnitude:double Min MinMagnitude:double Pow:double ReciprocalEstimate:double "
        "ReciprocalSqrtEstimate:double Round ScaleB:double Sign:int Sin:double SinCos Sinh:double Sqrt:double "
        "Tan:double Tanh:double Truncate E:double PI:double Tau:double"),
    "System.String": _t(
        "class", "Length:int Contains:bool CopyTo EndsWith:bool IndexOf:int IndexOfAny:int Insert:string "
        "LastIndexOf:int LastIndexOfAny:int Normalize:string PadLeft:string PadRight:string Remove:string "
        "Replace:string Split:string[] StartsWith:bool Substring:string ToCharArray:char[] ToLower:string "
        "ToLowerInvariant:string ToUpper:string ToUpperInvariant:string Trim:string TrimEnd:string TrimStart:string "
        "CompareTo:int Clone GetEnumerator GetTypeCode",
        static="Compare:int CompareOrdinal:int Concat:string Copy:string Empty:string Format:string IsNullOrEmpty:bool "
        "IsNullOrWhiteSpace:bool Join:string", closed=False, item="char", iter="char"),
    "System.Double": _t("struct", "CompareTo:int", static="Parse:double TryParse:bool IsNaN:bool IsInfinity:bool "
                        "IsPositiveInfinity:bool IsNegativeInfinity:bool IsFinite:bool MaxValue:double MinValue:double "
                        "Epsilon:double NaN:double PositiveInfinity:double NegativeInfinity:double", closed=False),
    "System.Single": _t("struct", "CompareTo:int", static="Parse TryParse:bool IsNaN:bool MaxValue MinValue Epsilon NaN",
                        closed=False),
    "System.Int32": _t("struct", "CompareTo:int", static="Parse:int TryParse:bool MaxValue:int MinValue:int", closed=False),
    "System.Int64": _t("struct", "CompareTo:int", static="Parse TryParse:bool MaxValue MinValue", closed=False),
    "System.Boolean": _t("struct", "CompareTo:int", static="Parse:bool TryParse:bool TrueString FalseString", closed=False),
    "System.Char": _t("struct", "CompareTo:int", static="IsDigit:bool IsLetter:bool IsLetterOrDigit:bool IsWhiteSpace:bool "
                      "IsUpper:bool IsLower:bool IsPunctuation:bool ToUpper:char ToLower:char Parse TryParse:bool",
                      closed=False),
    "System.Decimal": _t("struct", static="Parse TryParse:bool Round Floor Ceiling", closed=False),
    "System.Byte": _t("struct", static="Parse TryParse:bool MaxValue MinValue", closed=False),
    "System.Void": _t("struct"),
    "System.Convert": _t("class", static="ToDouble:double ToInt32:int ToInt64 ToInt16 ToSingle ToString:string "
                         "ToBoolean:bool ToByte ToChar:char ToDecimal ToDateTime:System.DateTime ToBase64String:string "
                         "FromBase64String ChangeType ToUInt32 ToUInt64", closed=False),
    "System.Guid": _t("struct", "ToByteArray CompareTo:int", static="NewGuid:System.Guid Parse:System.Guid TryParse:bool "
                      "Empty:System.Guid", closed=False),
    "System.Array": _t("class", "Length:int LongLength Rank:int Clone CopyTo GetLength:int GetValue SetValue "
                       "GetLowerBound:int GetUpperBound:int IsReadOnly IsFixedSize", static="Copy Empty Exists:bool "
                       "Find FindAll FindIndex:int FindLast ForEach IndexOf:int LastIndexOf:int Resize Reverse Sort "
                       "TrueForAll:bool BinarySearch:int Clear ConvertAll Fill AsReadOnly CreateInstance", closed=False),
    "System.Enum": _t("class", "HasFlag:bool CompareTo:int GetTypeCode", static="Parse TryParse:bool GetValues GetNames "
                      "GetName:string IsDefined:bool ToObject Format:string GetUnderlyingType", closed=False),
    "System.Exception": _t("class", "Message:string StackTrace:string InnerException:System.Exception Source:string "
                           "Data HResult:int HelpLink TargetSite GetBaseException:System.Exception", closed=False),
    "System.Environment": _t("class", static="NewLine:string TickCount:int TickCount64 ProcessorCount:int MachineName:string "
                             "UserName:string CurrentDirectory:string GetFolderPath:string GetEnvironmentVariable:string "
                             "SetEnvironmentVariable Exit OSVersion Version Is64BitProcess:bool "
                             "Is64BitOperatingSystem:bool StackTrace:string CommandLine GetCommandLineArgs "
                             "ExpandEnvironmentVariables:string CurrentManagedThreadId:int SpecialFolder", closed=False),
    "System.DateTime": _t("struct", "Year:int Month:int Day:int Hour:int Minute:int Second:int Millisecond:int Ticks "
                          "DayOfWeek DayOfYear:int Date:System.DateTime TimeOfDay:System.TimeSpan Kind "
                          "Add:System.DateTime AddDays:System.DateTime AddHours:System.DateTime AddMinutes:System.DateTime "
                          "AddSeconds:System.DateTime AddMilliseconds:System.DateTime AddMonths:System.DateTime "
                          "AddYears:System.DateTime AddTicks:System.DateTime Subtract ToShortDateString:string "
                          "ToLongDateString:string ToShortTimeString:string ToLongTimeString:string CompareTo:int "
                          "ToUniversalTime:System.DateTime ToLocalTime:System.DateTime ToFileTime ToOADate:double",
                          static="Now:System.DateTime UtcNow:System.DateTime Today:System.DateTime Parse:System.DateTime "
                          "TryParse:bool ParseExact:System.DateTime TryParseExact:bool DaysInMonth:int IsLeapYear:bool "
                          "MinValue:System.DateTime MaxValue:System.DateTime Compare:int FromFileTime FromOADate "
                          "SpecifyKind", closed=False),
    "System.TimeSpan": _t("struct", "TotalSeconds:double TotalMilliseconds:double TotalMinutes:double TotalHours:double "
                          "TotalDays:double Seconds:int Milliseconds:int Minutes:int Hours:int Days:int Ticks "
                          "Add:System.TimeSpan Subtract:System.TimeSpan Duration:System.TimeSpan Negate CompareTo:int",
                          static="FromSeconds:System.TimeSpan FromMilliseconds:System.TimeSpan FromMinutes:System.TimeSpan "
                          "FromHours:System.TimeSpan FromDays:System.TimeSpan FromTicks:System.TimeSpan Zero:System.TimeSpan "
                          "MaxValue MinValue Parse TryParse:bool Compare:int", closed=False),
    "System.Random": _t("class", "Next:int NextDouble:double NextBytes NextInt64 NextSingle Sample",
                        static="Shared:System.Random", closed=False),
    "System.Tuple": _t("class", "Item1:$0 Item2:$1 Item3 Item4 Item5 Item6 Item7 Rest", static="Create", closed=False),
    "System.ValueTuple": _t("struct", "Item1:$0 Item2:$1 Item3 Item4 Item5 Item6 Item7 Rest", static="Create",
                            closed=False),
    "System.Action": _t("class", "Invoke BeginInvoke EndInvoke Method Target DynamicInvoke", closed=False),
    "System.Func": _t("class", "Invoke BeginInvoke EndInvoke Method Target DynamicInvoke", closed=False),
    "System.Type": _t("class", "Name:string FullName:string Namespace:string BaseType:System.Type IsAssignableFrom:bool "
                      "IsInstanceOfType:bool IsSubclassOf:bool GetProperty GetMethod GetField GetProperties GetMethods "
                      "GetFields GetInterfaces IsClass:bool IsValueType:bool IsEnum:bool IsInterface:bool IsArray:bool "
                      "IsGenericType:bool GetGenericArguments GetGenericTypeDefinition GetElementType Assembly",
                      static="GetType:System.Type", closed=False),
    "System.Nullable": _t("struct", "HasValue:bool Value:$0 GetValueOrDefault:$0", closed=False, arity=1),
    "System.IDisposable": _t("interface", "Dispose", closed=False),
    "System.IComparable": _t("interface", "CompareTo:int", closed=False),
    "System.IEquatable": _t("interface", "Equals:bool", closed=False),
    "System.ICloneable": _t("interface", "Clone:object", closed=False),
    "System.EventArgs": _t("class", static="Empty:System.EventArgs", closed=False),
    "System.EventHandler": _t("class", "Invoke", closed=False),
    "System.IntPtr": _t("struct", static="Zero Size:int", closed=False),
    "System.Lazy": _t("class", "Value:$0 IsValueCreated:bool", closed=False),
    "System.GC": _t("class", static="Collect KeepAlive SuppressFinalize", closed=False),
    "System.Console": _t("class", static="WriteLine Write ReadLine:string", closed=False),
    "System.StringComparison": _t("enum", static="CurrentCulture CurrentCultureIgnoreCase InvariantCulture "
                                  "InvariantCultureIgnoreCase Ordinal OrdinalIgnoreCase"),
    "System.StringSplitOptions": _t("enum", static="None RemoveEmptyEntries TrimEntries"),
    "System.MidpointRounding": _t("enum", static="ToEven AwayFromZero ToZero ToNegativeInfinity ToPositiveInfinity"),
    **{f"System.{e}": _t("class", "ParamName:string" if e.startswith("Argument") else "", base=("System.Exception",),
                         closed=False)
       for e in ("ArgumentException ArgumentNullException ArgumentOutOfRangeException InvalidOperationException "
                 "NotImplementedException NotSupportedException IndexOutOfRangeException NullReferenceException "
                 "DivideByZeroException FormatException OperationCanceledException InvalidCastException "
                 "OverflowException").split()},
    _SG + "IEnumerable": _t("interface", "GetEnumerator", closed=False, iter="$0", arity=1),
    _SG + "ICollection": _t("interface", "Count:int Add Clear Contains:bool CopyTo Remove:bool IsReadOnly:bool",
                            base=(_SG + "IEnumerable",), closed=False, iter="$0", arity=1),
    _SG + "IList": _t("interface", "IndexOf:int Insert RemoveAt", base=(_SG + "ICollection",), closed=False,
                      item="$0", iter="$0", arity=1),
    _SG + "IReadOnlyCollection": _t("interface", "Count:int", base=(_SG + "IEnumerable",), closed=False, iter="$0", arity=1),
    _SG + "IReadOnlyList": _t("interface", base=(_SG + "IReadOnlyCollection",), closed=False, item="$0", iter="$0", arity=1),
    _SG + "List": _t("class", _SEQ, base=(_SG + "IList",), closed=False, item="$0", iter="$0", arity=1),
    _SG + "Dictionary": _t("class", "Add Clear ContainsKey:bool ContainsValue:bool Count:int Keys:$0[] Values:$1[] "
                           "Remove:bool TryGetValue:bool TryAdd:bool GetEnumerator Comparer EnsureCapacity "
                           "GetValueOrDefault:$1 TrimExcess", closed=False, item="$1",
                           iter=_SG + "KeyValuePair<$0,$1>", arity=2),
    _SG + "IDictionary": _t("interface", "Add ContainsKey:bool Keys:$0[] Values:$1[] Remove:bool TryGetValue:bool "
                            "Count:int Clear", closed=False, item="$1", iter=_SG + "KeyValuePair<$0,$1>", arity=2),
    _SG + "SortedDictionary": _t("class", "Add ContainsKey:bool Keys:$0[] Values:$1[] Remove:bool TryGetValue:bool "
                                 "Count:int Clear", closed=False, item="$1", iter=_SG + "KeyValuePair<$0,$1>", arity=2),
    _SG + "KeyValuePair": _t("struct", "Key:$0 Value:$1 Deconstruct", static="Create", closed=False, arity=2),
    _SG + "HashSet": _t("class", "Add:bool Clear Contains:bool Count:int Remove:bool UnionWith IntersectWith ExceptWith "
                        "SymmetricExceptWith IsSubsetOf:bool IsSupersetOf:bool Overlaps:bool SetEquals:bool CopyTo "
                        "RemoveWhere:int TryGetValue:bool GetEnumerator Comparer EnsureCapacity TrimExcess",
                        closed=False, iter="$0", arity=1),
    _SG + "Queue": _t("class", "Enqueue Dequeue:$0 Peek:$0 Count:int Clear Contains:bool ToArray:$0[] TryDequeue:bool "
                      "TryPeek:bool TrimExcess", closed=False, iter="$0", arity=1),
    _SG + "Stack": _t("class", "Push Pop:$0 Peek:$0 Count:int Clear Contains:bool ToArray:$0[] TryPop:bool TryPeek:bool "
                      "TrimExcess", closed=False, iter="$0", arity=1),
    _SG + "LinkedList": _t("class", "AddFirst AddLast AddBefore AddAfter First Last Count:int Remove RemoveFirst RemoveLast "
                           "Find FindLast Clear Contains:bool", closed=False, iter="$0", arity=1),
    _SG + "IComparer": _t("interface", "Compare:int", closed=False, arity=1),
    _SG + "IEqualityComparer": _t("interface", "Equals:bool GetHashCode:int", closed=False, arity=1),
    _SG + "Comparer": _t("class", "Compare:int", static="Default Create", closed=False, arity=1),
    _SG + "EqualityComparer": _t("class", "Equals:bool GetHashCode:int", static="Default", closed=False, arity=1),
    "System.Collections.Concurrent.ConcurrentBag": _t("class", "Add TryTake:bool TryPeek:bool Count:int ToArray:$0[] "
                                                      "IsEmpty:bool Clear", closed=False, iter="$0", arity=1),
    "System.Collections.Concurrent.ConcurrentQueue": _t("class", "Enqueue TryDequeue:bool TryPeek:bool Count:int IsEmpty:bool "
                                                        "ToArray:$0[] Clear", closed=False, iter="$0", arity=1),
    "System.Collections.Concurrent.ConcurrentDictionary": _t(
        "class", "TryAdd:bool TryGetValue:bool TryRemove:bool TryUpdate:bool GetOrAdd:$1 AddOrUpdate:$1 "
        "ContainsKey:bool Count:int Keys:$0[] Values:$1[] IsEmpty:bool Clear ToArray", closed=False, item="$1",
        iter=_SG + "KeyValuePair<$0,$1>", arity=2),
    "System.Linq.Enumerable": _t("class", static=" ".join(sorted(LINQ_METHODS)) + " Range:int[] Repeat Empty",
                                 closed=False),
    "System.Drawing.Image": _t("class", "Width:int Height:int Size:System.Drawing.Size Save Dispose Clone RawFormat "
                               "PixelFormat Tag HorizontalResolution VerticalResolution RotateFlip",
                               static="FromFile:System.Drawing.Image FromStream:System.Drawing.Image", closed=False),
    "System.Drawing.Bitmap": _t("class", "GetPixel:System.Drawing.Color SetPixel LockBits UnlockBits MakeTransparent "
                                "SetResolution GetHbitmap GetHicon", static="FromHicon FromResource",
                                base=("System.Drawing.Image",), closed=False),
    "System.Drawing.Color": _t("struct", "A:int R:int G:int B:int Name:string IsEmpty:bool ToArgb:int GetBrightness:double "
                               "GetHue:double GetSaturation:double IsKnownColor:bool IsNamedColor:bool IsSystemColor:bool "
                               "ToKnownColor", static="FromArgb:System.Drawing.Color FromName:System.Drawing.Color "
                               "FromKnownColor:System.Drawing.Color Empty:System.Drawing.Color", closed=False),
    "System.Drawing.Point": _t("struct", "X:int Y:int IsEmpty:bool Offset", static="Empty Add Subtract Round Truncate "
                               "Ceiling", closed=False),
    "System.Drawing.PointF": _t("struct", "X:double Y:double IsEmpty:bool", static="Empty Add Subtract", closed=False),
    "System.Drawing.Size": _t("struct", "Width:int Height:int IsEmpty:bool", static="Empty Add Subtract Round",
                              closed=False),
    "System.Drawing.SizeF": _t("struct", "Width:double Height:double IsEmpty:bool ToSize ToPointF", static="Empty",
                               closed=False),
    "System.Drawing.Rectangle": _t("struct", "X:int Y:int Width:int Height:int Left:int Right:int Top:int Bottom:int "
                                   "Location:System.Drawing.Point Size:System.Drawing.Size IsEmpty:bool Contains:bool "
                                   "Inflate Intersect IntersectsWith:bool Offset", static="Empty FromLTRB Union Round "
                                   "Truncate Ceiling", closed=False),
    "System.Drawing.RectangleF": _t("struct", "X:double Y:double Width:double Height:double Left:double Right:double "
                                    "Top:double Bottom:double Location:System.Drawing.PointF Size:System.Drawing.SizeF "
                                    "IsEmpty:bool Contains:bool Inflate Intersect IntersectsWith:bool Offset",
                                    static="Empty FromLTRB Union", closed=False),
    "System.Drawing.Graphics": _t("class", closed=False),
    "System.Drawing.Font": _t("class", "Name:string Size:double Style Height:int FontFamily Bold:bool Italic:bool",
                              closed=False),
    "System.Drawing.Pen": _t("class", "Color:System.Drawing.Color Width:double DashStyle Dispose", closed=False),
    "System.Drawing.SolidBrush": _t("class", "Color:System.Drawing.Color Dispose", closed=False),
    "System.Drawing.Brushes": _t("class", closed=False),
    "System.Drawing.Pens": _t("class", closed=False),
    "System.Text.StringBuilder": _t(
        "class", "Append:System.Text.StringBuilder AppendLine:System.Text.StringBuilder AppendFormat:System.Text.StringBuilder "
        "AppendJoin:System.Text.StringBuilder Insert:System.Text.StringBuilder Remove:System.Text.StringBuilder "
        "Replace:System.Text.StringBuilder Clear:System.Text.StringBuilder Length:int Capacity:int MaxCapacity:int "
        "EnsureCapacity:int CopyTo", closed=False, item="char"),
    "System.IO.Path": _t("class", static="Combine:string GetFileName:string GetFileNameWithoutExtension:string "
                         "GetExtension:string GetDirectoryName:string GetFullPath:string GetTempPath:string "
                         "GetTempFileName:string ChangeExtension:string HasExtension:bool IsPathRooted:bool "
                         "GetInvalidFileNameChars GetInvalidPathChars DirectorySeparatorChar:char "
                         "AltDirectorySeparatorChar:char PathSeparator:char GetRandomFileName:string GetPathRoot:string "
                         "GetRelativePath:string Join:string EndsInDirectorySeparator:bool Exists:bool", closed=False),
    "System.IO.File": _t("class", static="Exists:bool ReadAllText:string ReadAllLines:string[] ReadAllBytes WriteAllText "
                         "WriteAllLines WriteAllBytes AppendAllText AppendAllLines AppendText Copy Move Delete Open OpenRead "
                         "OpenWrite OpenText Create CreateText GetLastWriteTime:System.DateTime "
                         "GetCreationTime:System.DateTime SetLastWriteTime GetAttributes SetAttributes ReadLines:string[] "
                         "Replace ReadAllTextAsync WriteAllTextAsync", closed=False),
    "System.IO.Directory": _t("class", static="Exists:bool CreateDirectory Delete GetFiles:string[] GetDirectories:string[] "
                              "EnumerateFiles:string[] EnumerateDirectories:string[] GetCurrentDirectory:string "
                              "SetCurrentDirectory Move GetParent GetFileSystemEntries:string[] "
                              "EnumerateFileSystemEntries:string[] GetLastWriteTime GetCreationTime", closed=False),
    "System.IO.StreamReader": _t("class", "ReadLine:string ReadToEnd:string Read Peek EndOfStream:bool Close Dispose",
                                 closed=False),
    "System.IO.StreamWriter": _t("class", "WriteLine Write Flush Close Dispose AutoFlush:bool", closed=False),
    "System.IO.FileInfo": _t("class", "Name:string FullName:string Extension:string Exists:bool Length Directory "
                             "DirectoryName:string Delete CopyTo MoveTo LastWriteTime CreationTime", closed=False),
    "System.IO.DirectoryInfo": _t("class", "Name:string FullName:string Exists:bool Parent GetFiles GetDirectories Create "
                                  "Delete EnumerateFiles", closed=False),
    "System.Threading.CancellationToken": _t("struct", "IsCancellationRequested:bool ThrowIfCancellationRequested "
                                             "CanBeCanceled:bool Register WaitHandle",
                                             static="None:System.Threading.CancellationToken", closed=False),
    "System.Threading.CancellationTokenSource": _t("class", "Token:System.Threading.CancellationToken Cancel CancelAfter "
                                                   "IsCancellationRequested:bool Dispose", closed=False),
    "System.Threading.Interlocked": _t("class", static="Increment Decrement Add Exchange CompareExchange Read",
                                       closed=False),
    "System.Threading.Thread": _t("class", "Start Join IsBackground:bool Name:string ManagedThreadId:int IsAlive:bool",
                                  static="Sleep CurrentThread:System.Threading.Thread", closed=False),
    "System.Threading.Tasks.Task": _t(
        "class", "Result:$0 Wait ContinueWith Status IsCompleted:bool IsFaulted:bool IsCanceled:bool "
        "IsCompletedSuccessfully:bool Exception Id:int Start ConfigureAwait GetAwaiter Dispose RunSynchronously",
        static="Run Factory WaitAll WaitAny WhenAll WhenAny Delay FromResult CompletedTask", closed=False),
    "System.Threading.Tasks.Parallel": _t("class", static="For ForEach Invoke", closed=False),
    "System.Windows.Forms.ToolStripMenuItem": _t(
        "class", "Checked:bool Enabled:bool Text:string ToolTipText:string Click DropDownItems Image Tag Name:string "
        "Visible:bool CheckOnClick:bool ShortcutKeys Font ForeColor BackColor", closed=False),
    "System.Windows.Forms.ToolStripDropDown": _t("class", "Items Show Close Enabled:bool", closed=False),
    "System.Windows.Forms.MessageBox": _t("class", static="Show", closed=False),
}

BCL_NAMESPACES = ("System", "System.Collections", "System.Collections.Generic", "System.Collections.Concurrent",
                  "System.Linq", "System.Drawing", "System.Text", "System.IO", "System.Threading",
                  "System.Threading.Tasks", "System.Windows.Forms", "System.Diagnostics", "System.Globalization",
                  "System.Reflection", "System.Runtime.InteropServices", "System.Text.RegularExpressions",
                  "System.ComponentModel", "System.Drawing.Drawing2D", "System.Drawing.Imaging", "System.Numerics")
SDK_EXTRA_NAMESPACES = ("GH_IO", "GH_IO.Serialization", "GH_IO.Types", "Grasshopper")

# C# keyword types and their .NET names.
KEYWORD_TYPES = {"bool": "System.Boolean", "byte": "System.Byte", "sbyte": "System.SByte", "char": "System.Char",
                 "decimal": "System.Decimal", "double": "System.Double", "float": "System.Single", "int": "System.Int32",
                 "uint": "System.UInt32", "long": "System.Int64", "ulong": "System.UInt64", "short": "System.Int16",
                 "ushort": "System.UInt16", "object": "System.Object", "string": "System.String", "void": "System.Void",
                 "nint": "System.IntPtr", "nuint": "System.UIntPtr"}
# Members every enum value has (System.Enum and System.Object).
ENUM_MEMBERS = frozenset("HasFlag CompareTo GetTypeCode ToString Equals GetHashCode GetType".split())
OBJECT_MEMBERS = frozenset("ToString Equals GetHashCode GetType ReferenceEquals MemberwiseClone".split())
