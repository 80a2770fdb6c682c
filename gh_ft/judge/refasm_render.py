"""Rendering the reference assembly's C# from the API signatures (pure; see refasm.py).

One member per line, so that a line mcs rejects maps back to the member to leave out.
Types are named with `global::` everywhere. What the stubs cannot say is rendered
leniently: every class member is virtual, every class gets a protected parameterless
constructor, erased sequence returns become GhFtRef.Seq<T> (which converts to T[],
List<T> and IEnumerable<T>), and SDK interfaces a hand-kept class implements get explicit
implementations generated from the signatures.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from gh_ft.judge.refasm_hand import HandTypes

# Value types of RhinoCommon/Grasshopper/GH_IO (McNeel's API reference: `struct`). The stubs do
# not tell structs from classes; a type not listed here is rendered as a class.
VALUE_TYPES = frozenset(
    "Rhino.Geometry." + n for n in (
        "Arc BoundingBox Box Circle ComponentIndex Cone ControlPoint Cylinder Ellipse IndexPair Interval Line "
        "MeshFace Plane Point2d Point2f Point3d Point3f Point3i Point4d Quaternion Ray3d Rectangle3d Sphere Torus "
        "Transform Triangle3d Vector2d Vector2f Vector3d Vector3f Vector3i Point2i Vector2i").split()
) | frozenset("Rhino.Display." + n for n in "Color4f ColorHSL ColorHSV ColorCMYK ColorLAB ColorLCH ColorXYZ".split()) \
  | frozenset({"GH_IO.Types.GH_Version", "GH_IO.Types.GH_Point2D", "GH_IO.Types.GH_Point3D",
               "GH_IO.Types.GH_Point4D", "GH_IO.Types.GH_Interval1D", "GH_IO.Types.GH_Interval2D", "GH_IO.Types.GH_Line",
               "GH_IO.Types.GH_BoundingBox", "GH_IO.Types.GH_Plane", "Grasshopper.Kernel.Types.Complex",
               "Grasshopper.Kernel.Types.UVInterval"})

_KEYWORDS = frozenset(
    "abstract as base bool break byte case catch char checked class const continue decimal default delegate do double "
    "else enum event explicit extern false finally fixed float for foreach goto if implicit in int interface internal "
    "is lock long namespace new null object operator out override params private protected public readonly ref "
    "return sbyte sealed short sizeof stackalloc static string struct switch this throw true try typeof uint ulong "
    "unchecked unsafe ushort using virtual void volatile while".split())
_PRIMITIVES = frozenset("bool byte sbyte char decimal double float int uint long ulong short ushort object string void".split())

SEQ_SOURCE = """namespace GhFtRef
{
    // A sequence returned by the SDK whose collection type the stubs erase (T[], List<T>,
    // IEnumerable<T>): it converts to each, so correct code compiles whichever it was.
    public sealed class Seq<T> : global::System.Collections.Generic.IList<T>, global::System.Collections.Generic.IReadOnlyList<T>
    {
        public int Length { get { throw null; } }
        public long LongLength { get { throw null; } }
        public int Count { get { throw null; } }
        public bool IsReadOnly { get { throw null; } }
        public T this[int index] { get { throw null; } set { } }
        public int IndexOf(T item) { throw null; }
        public void Insert(int index, T item) { }
        public void RemoveAt(int index) { }
        public void Add(T item) { }
        public void AddRange(global::System.Collections.Generic.IEnumerable<T> items) { }
        public void Clear() { }
        public bool Contains(T item) { throw null; }
        public void CopyTo(T[] array, int arrayIndex) { }
        public bool Remove(T item) { throw null; }
        public T[] ToArray() { throw null; }
        public object Clone() { throw null; }
        public global::System.Collections.Generic.IEnumerator<T> GetEnumerator() { throw null; }
        global::System.Collections.IEnumerator global::System.Collections.IEnumerable.GetEnumerator() { throw null; }
        public static implicit operator T[](Seq<T> items) { throw null; }
        public static implicit operator global::System.Collections.Generic.List<T>(Seq<T> items) { throw null; }
    }
}
"""




def _g(name: str) -> str:
    return name if name in _PRIMITIVES else "global::" + name


def render_type(text: str, value_types: frozenset[str] = VALUE_TYPES, enums: frozenset[str] = frozenset()) -> str:
    """A signature type string as C# ('@seq<T>', '@opt<T>', full names with global::)."""
    text = text.strip()
    if text.endswith("[]"):
        return render_type(text[:-2], value_types, enums) + "[]"
    if "<" in text and text.endswith(">"):
        head, inner = text[:text.index("<")], text[text.index("<") + 1:-1]
        args = _split_args(inner)
        if head == "@opt":
            arg = args[0].strip()
            rendered = render_type(arg, value_types, enums)
            nullable = arg in value_types or arg in enums or (arg in _PRIMITIVES and arg not in ("object", "string"))
            return rendered + "?" if nullable and not rendered.endswith("?") else rendered
        if head == "@seq":
            head = "GhFtRef.Seq"
        return f"{_g(head)}<{', '.join(render_type(a, value_types, enums) for a in args)}>"
    return _g(text)


def _split_args(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "<") - (ch == ">")
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _ident(name: str) -> str:
    return "@" + name if name in _KEYWORDS else name


def _params(params: list, types: "_Render", extension: bool = False) -> str:
    seen: set[str] = set()
    out = []
    for i, (mod, typ, name) in enumerate(params):
        name = name if re.fullmatch(r"[A-Za-z_]\w*", name or "") and name not in seen else f"p{i}"
        seen.add(name)
        prefix = "this " if extension and i == 0 else (mod + " " if mod else "")
        out.append(f"{prefix}{types.t(typ)} {_ident(name)}")
    return ", ".join(out)


class _Render:
    def __init__(self, value_types: frozenset[str], enums: frozenset[str]):
        self.value_types = value_types
        self.enums = enums

    def t(self, text: str) -> str:
        return render_type(text, self.value_types, self.enums)


@dataclass
class Rendered:
    source: str
    lines: dict[int, tuple]   # 1-based line -> the key to skip when mcs rejects that line


def _strip_global(name: str) -> str:
    return name.replace("global::", "").strip()


def render_source(signatures: dict, hand: HandTypes, skip: set[tuple] | None = None,
                  no_base: set[str] | None = None) -> Rendered:
    """C# for every stub type, one member per line. `skip` holds the keys of lines mcs
    rejected in earlier rounds: (type, member index) or (class, "impl", interface, member
    index); `no_base` the types whose base list it rejected."""
    skip = skip or set()
    no_base = no_base or set()
    types: dict[str, dict] = signatures["types"]
    enums = frozenset(n for n, t in types.items() if t["kind"] == "enum")
    r = _Render(VALUE_TYPES, enums)
    out: list[str] = [SEQ_SOURCE]
    lines: dict[int, tuple] = {}
    line = SEQ_SOURCE.count("\n") + 1

    def emit(text: str, where: tuple | None = None) -> None:
        nonlocal line
        out.append(text + "\n")
        if where is not None:
            lines[line] = where
        line += 1

    stub_ifaces = {n for n, t in types.items() if t["kind"] == "interface"}

    def iface_bases(name: str) -> list[str]:
        h = hand.types.get(name)
        bases = [_strip_global(b) for b in h.bases] if h and h.bases else types.get(name, {}).get("base", [])
        return [b for b in bases if b in stub_ifaces]

    def iface_members(name: str) -> list[tuple[int, list]]:
        simple = name.rsplit(".", 1)[-1]
        own = hand.types[name].members if name in hand.types else set()
        return [(i, m) for i, m in enumerate(types[name].get("members", []))
                if (name, i) not in skip and not (m[1] and m[1] in own) and m[1] != simple
                and _member(m, simple, "interface", r, False) is not None]

    def closure(names: list[str]) -> list[str]:
        seen: list[str] = []
        queue = list(names)
        while queue:
            n = queue.pop(0)
            if n not in seen:
                seen.append(n)
                queue.extend(iface_bases(n))
        return seen

    order = [n for n in types if not hand.skips_stub(n)]
    order += [n for n in hand.types if n not in types and hand.types[n].kind in ("class", "struct")
              and any(_strip_global(b) in stub_ifaces for b in hand.types[n].bases)]
    for full in order:
        t = types.get(full) or {"kind": hand.types[full].kind, "members": []}
        ns, _, simple = full.rpartition(".")
        kind = t["kind"]
        emit(f"namespace {ns} {{")
        if kind == "enum":
            if (full, 0) in skip:
                emit("}")
                continue
            values = ", ".join(_ident(v) for v in t.get("values", []) if re.fullmatch(r"[A-Za-z_]\w*", v))
            emit(f"public enum {simple} {{ {values} }}", (full, -1))
            emit("}")
            continue
        if kind == "delegate":
            if (full, 0) not in skip:
                emit(f"public delegate {r.t(t['returns'])} {simple}({_params(t['params'], r)});", (full, 0))
            emit("}")
            continue
        hand_decl = hand.types.get(full)
        struct = full in VALUE_TYPES or (hand_decl is not None and hand_decl.kind == "struct")
        keyword = "interface" if kind == "interface" else "struct" if struct else "class"
        members = t.get("members", [])
        extension = (keyword == "class" and re.search(r"Extensions$", simple) is not None and bool(members)
                     and all(m[2] for m in members) and hand_decl is None)
        base = ""
        if keyword == "interface":
            bases = iface_bases(full) if not (hand_decl and hand_decl.bases) else []
        elif keyword == "class":
            bases = [b for b in t.get("base", []) if b in types and types[b]["kind"] == "class" and not hand.skips_stub(b)][:1]
        else:
            bases = []
        listed = [_g(b) for b in bases]
        iterates = keyword != "interface" and t.get("iter") and not (hand_decl and hand_decl.bases)
        if iterates:  # the stubs drop IEnumerable<T>; LINQ and `foreach` over the SDK's lists need it
            listed.append(f"global::System.Collections.Generic.IEnumerable<{r.t(t['iter'])}>")
        if listed and full not in no_base and not (hand_decl and hand_decl.bases):
            base = " : " + ", ".join(listed)
        generic = hand_decl.type_params if hand_decl else ""
        mods = "public static partial" if extension else "public partial"
        emit(f"{mods} {keyword} {simple}{generic}{base} {{", (full, -1))
        own = set(hand_decl.members) if hand_decl else set()
        if any(m[0] == "i" for m in members):
            own.add("Item")  # C# names an indexer Item: a property of that name would clash
        has_default_ctor = False
        for i, m in enumerate(members):
            k, name = m[0], m[1]
            if (full, i) in skip or (name and name in own) or (k == "c" and "<ctor>" in own) or \
                    (k == "i" and "<indexer>" in own) or name == simple:
                continue  # (a member may not be named like its type: CS0542)
            text = _member(m, simple, keyword, r, extension)
            if text:
                has_default_ctor |= k == "c" and not m[4]
                emit(text, (full, i))
        if iterates and full not in no_base:
            item = r.t(t["iter"])
            emit(f"global::System.Collections.Generic.IEnumerator<{item}> global::System.Collections.Generic."
                 f"IEnumerable<{item}>.GetEnumerator() {{ throw null; }}", (full, -3))
            emit("global::System.Collections.IEnumerator global::System.Collections.IEnumerable.GetEnumerator() "
                 "{ throw null; }", (full, -3))
        if keyword == "class" and not has_default_ctor and "<ctor>" not in own and not extension:
            emit(f"protected {simple}() {{ }}", (full, -2))  # derived classes need a base()
        if keyword != "interface" and hand_decl is not None:
            for iface in closure([_strip_global(b) for b in hand_decl.bases if _strip_global(b) in stub_ifaces]):
                for i, m in iface_members(iface):
                    key = (full, "impl", iface, i)
                    if key not in skip:
                        emit(_explicit(m, iface, r), key)
        emit("}")
        emit("}")
    return Rendered("".join(out), lines)


def _explicit(m: list, iface: str, r: _Render) -> str:
    """An explicit implementation of interface member `m` (rendered as in the interface)."""
    k, name, q = m[0], m[1], _g(iface)
    if k == "m":
        return f"{r.t(m[3])} {q}.{_ident(name)}({_params(m[4], r)}) {{ throw null; }}"
    if k == "p":
        return f"{r.t(m[3])} {q}.{_ident(name)} {{ get {{ throw null; }}{' set { }' if m[4] else ''} }}"
    if k == "i":
        return f"{r.t(m[3])} {q}.this[{_params(m[4], r)}] {{ get {{ throw null; }}{' set { }' if m[5] else ''} }}"
    return f"event {r.t(m[3])} {q}.{_ident(name)} {{ add {{ }} remove {{ }} }}"


def _member(m: list, simple: str, keyword: str, r: _Render, extension: bool) -> str | None:
    k, name, static = m[0], m[1], bool(m[2])
    iface = keyword == "interface"
    if iface and (static or k in ("c", "o", "x", "f")):
        return None
    mods = "" if iface else ("public static " if static else "public " if keyword == "struct" else "public virtual ")
    body = ";" if iface else " { throw null; }"
    if k == "m":
        return f"{mods}{r.t(m[3])} {_ident(name)}({_params(m[4], r, extension)}){body}"
    if k == "c":
        if keyword == "struct" and not m[4]:
            return None  # structs have an implicit parameterless constructor
        return f"public {simple}({_params(m[4], r)}) {{ throw null; }}"
    if k == "p":
        acc = "{ get; set; }" if iface and m[4] else "{ get; }" if iface else \
              "{ get { throw null; } set { } }" if m[4] else "{ get { throw null; } }"
        return f"{mods}{r.t(m[3])} {_ident(name)} {acc}"
    if k == "f":
        typ = m[3]
        if typ in _PRIMITIVES and typ not in ("object", "void"):
            value = '""' if typ == "string" else "false" if typ == "bool" else "default(char)" if typ == "char" else "0"
            return f"public const {typ} {_ident(name)} = {value};"
        return f"public static readonly {r.t(typ)} {_ident(name)};"
    if k == "i":
        acc = ("{ get; set; }" if m[5] else "{ get; }") if iface else \
              ("{ get { throw null; } set { } }" if m[5] else "{ get { throw null; } }")
        return f"{mods}{r.t(m[3])} this[{_params(m[4], r)}] {acc}"
    if k == "e":
        return f"{'' if iface else ('public static ' if static else 'public ')}event {r.t(m[3])} {_ident(name)};"
    if k == "o":
        return f"public static {r.t(m[3])} operator {name}({_params(m[4], r)}) {{ throw null; }}"
    if k == "x":
        return f"public static {name} operator {r.t(m[3])}({_params(m[4], r)}) {{ throw null; }}"
    return None


