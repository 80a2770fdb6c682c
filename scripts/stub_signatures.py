"""Member signatures from McNeel's typed stubs, for the judge's reference assembly.

Used by build_api_index.py, which writes the result to
gh_ft/judge/data/api_signatures.json.gz. The compile stage
(gh_ft/judge/refasm.py) renders it as C# with `throw null;` bodies and compiles it
with mcs, so that generated components can be compiled without Rhino.

The stubs are Python, so some of C# is lost; what is lost is marked rather than guessed:
  * `out`/`ref` parameters appear only in a `tuple[...]` return: the first element is
    the C# return, the rest are the out/ref values. One variant is emitted for each place
    the outs may go among the inputs (last first); where an input parameter has the type
    of a returned value it may be `ref` instead, and that variant is emitted too. All
    carry flag "o" (positions guessed).
  * sequence returns (`Iterable[Curve]`) may be arrays, lists or IEnumerable in C#: they
    become `@seq<T>` (rendered as a type that converts to each); parameters become
    IEnumerable<T> (and may be `params T[]` in C#: flag "s" when it is the last one).
  * float/double, int/long ... collapse to `float`/`int` in the stubs: rendered as
    double/int; the compile stage treats numeric-only conversion errors as unknown.
  * `X | None` becomes `@opt<X>` (X? for value types).
  * generic types and methods are erased; members whose types cannot be named are left
    out and listed under "dropped", so errors about them are unknown, never failures.

Type strings are C# with full names; members are lists:
  ["m", name, static, return, params, flags]   ["c", "", 0, "", params, flags]
  ["p", name, static, type, has_setter]        ["f", name, 1, type]
  ["i", "", 0, type, params, has_setter]       ["e", name, static, handler type]
  ["o", operator, 1, return, params]           ["x", "implicit"|"explicit", 1, return, params]
with params as [modifier, type, name] (modifier "", "out" or "ref").
"""
from __future__ import annotations

import re
from typing import Any

_SEQ_PARAM = {"Iterable", "Sequence", "list", "List", "Iterator", "Set", "IList"}
_OPERATORS = {"__add__": "+", "__sub__": "-", "__mul__": "*", "__truediv__": "/", "__mod__": "%",
              "__and__": "&", "__or__": "|", "__xor__": "^", "__lshift__": "<<", "__rshift__": ">>",
              "__eq__": "==", "__ne__": "!=", "__lt__": "<", "__gt__": ">", "__le__": "<=", "__ge__": ">=",
              "__radd__": "+", "__rsub__": "-", "__rmul__": "*", "__rtruediv__": "/"}
_UNARY = {"__neg__": "-", "__pos__": "+", "__invert__": "~"}
_PAIRS = {"==": "!=", "!=": "==", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_PRIMS = {"float": "double", "int": "int", "bool": "bool", "str": "string", "object": "object", "Any": "object",
          "type": "System.Type"}


def split_top(text: str) -> list[str]:
    """Split 'A, B[C, D], E' at top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _cs_type(mod: Any, ann: str | None, role: str) -> str | None:
    """A stub annotation as a C# type string. role: param | ret | out | elem."""
    if ann is None:
        return None
    ann = ann.strip()
    if " | " in ann:
        parts = [p.strip() for p in ann.split(" | ")]
        rest = [p for p in parts if p != "None"]
        if len(rest) != 1:
            return None
        inner = _cs_type(mod, rest[0], role)
        return f"@opt<{inner}>" if inner else None
    if ann == "None":
        return "void" if role == "ret" else None
    m = re.fullmatch(r"(\w+)\[(.*)\]", ann) or re.fullmatch(r"(\w+)\((.*)\)", ann)
    if m:
        head, inner = m.group(1), m.group(2)
        if head == "MutableSequence":
            elem = _cs_type(mod, inner, "elem")
            if elem is None:
                return None
            return {"param": f"System.Collections.Generic.IList<{elem}>", "ret": f"@seq<{elem}>"}.get(role, f"{elem}[]")
        if head in _SEQ_PARAM:
            if inner == "Any" and role == "param":
                return "System.Collections.IEnumerable"  # Iterable[Any]: the non-generic IEnumerable
            elem = _cs_type(mod, inner, "elem")
            if elem is None:
                return None
            if role == "param":
                return f"System.Collections.Generic.IEnumerable<{elem}>"
            if head == "Iterator" and role == "ret":
                return f"System.Collections.Generic.IEnumerator<{elem}>"  # GetEnumerator()
            return f"@seq<{elem}>" if role == "ret" else f"{elem}[]"
        return None  # Callable[...], other generics: erased in the stubs
    if not re.fullmatch(r"\w+", ann) or re.fullmatch(r"[A-Z]|T[A-Z]\w*", ann):
        return None  # (T, TKey, TResult: type parameters of erased generics)
    if ann in _PRIMS:
        return _PRIMS[ann]
    full = mod.qualify(ann)
    return full if full and "." in full else None


def _params(mod: Any, text: str) -> list[list[str]] | None:
    out = []
    for p in split_top(text):
        if p in ("self", "cls"):
            continue
        name, _, ann = p.partition(":")
        typ = _cs_type(mod, ann.split("=")[0] if ann else None, "param")
        if typ is None:
            return None
        out.append(["", typ, name.strip()])
    return out


def _with_outs(mod: Any, params: list[list[str]], ret: str | None) -> list[tuple[str, list[list[str]], str]] | None:
    """(return, params, flags) variants of a method whose stub return may be a tuple of
    (return, out/ref values...)."""
    if ret is None or not ret.startswith("tuple[") or not ret.endswith("]"):
        typ = _cs_type(mod, ret, "ret") if ret is not None else "void"
        return [(typ, params, "")] if typ else None
    elements = split_top(ret[6:-1])
    first = _cs_type(mod, elements[0], "ret")
    extras = [_cs_type(mod, e, "out") for e in elements[1:]]
    if first is None or any(e is None for e in extras):
        return None
    outs = [["out", t, f"out{i}"] for i, t in enumerate(extras)]
    # Usually the outs come last (`ClosestPoint(Point3d, out double)`), but not always
    # (`ClosestPoint(Point3d, out double t, double maximumDistance)`): one variant per place.
    variants = [(first, params[:p] + outs + params[p:], "o") for p in range(len(params), -1, -1)]
    # A returned value with the type of an input parameter may be that parameter passed by ref.
    as_ref = [list(p) for p in params]
    rest: list[str] = []
    for t in extras:
        match = next((p for p in reversed(as_ref) if p[0] == "" and p[1] == t), None)
        if match is not None:
            match[0] = "ref"
        else:
            rest.append(t)  # type: ignore[arg-type]
    if any(p[0] == "ref" for p in as_ref):
        variants.append((first, as_ref + [["out", t, f"out{i}"] for i, t in enumerate(rest)], "o"))
    return variants


def _flags(params: list[list[str]], flags: str) -> str:
    if params and params[-1][0] == "" and params[-1][1].startswith("System.Collections."):
        flags += "s"
    return flags


def type_signatures(mod: Any, cls: dict) -> dict:
    """The signature entry of one stub class."""
    is_enum = "Enum" in cls["bases"]
    kind = "enum" if is_enum else "interface" if re.match(r"I[A-Z]", cls["name"]) and not cls["bases"] else "class"
    entry: dict[str, Any] = {"kind": kind}
    bases = [q for b in cls["bases"] if b not in ("Enum", "object") for q in [mod.qualify(b)] if q and "." in q]
    if bases:
        entry["base"] = bases
    if is_enum:
        entry["values"] = list(dict.fromkeys(cls["enum"]))
        return entry
    members: list[list] = []
    dropped: set[str] = set()
    setters = {name for name, _, _, decos in cls["defs"] if any(attr == "setter" for _, attr in decos)}
    getitem = setitem = None
    for name, params_text, ret, decos in cls["defs"]:
        kinds = {d for d, _ in decos}
        if any(attr == "setter" for _, attr in decos):
            continue
        first = params_text.split(",")[0].split(":")[0].strip()
        static = int("staticmethod" in kinds or "classmethod" in kinds or first not in ("self", "cls"))
        if "property" in kinds:
            typ = _cs_type(mod, ret, "ret")
            if typ is None:
                dropped.add(name)
                continue
            members.append(["p", name, static, typ, int(name in setters)])
            continue
        if name == "__getitem__":
            getitem = (params_text, ret)
            continue
        if name == "__setitem__":
            setitem = params_text
            continue
        if name in ("__iter__",):
            typ = _cs_type(mod, ret, "ret")
            if typ and typ.startswith("System.Collections.Generic.IEnumerator<"):
                entry["iter"] = typ[len("System.Collections.Generic.IEnumerator<"):-1]
            continue
        params = _params(mod, params_text)
        if name in _OPERATORS or name in _UNARY:
            typ = _cs_type(mod, ret, "ret")
            if params is None or typ is None:
                continue
            if name.startswith("__r") and name != "__rshift__" and len(params) == 2:
                params = [params[1], params[0]]  # __rmul__(point, t) is operator *(t, point)
            members.append(["o", _OPERATORS.get(name) or _UNARY[name], 1, typ, params])
            continue
        if name in ("op_Implicit", "op_Explicit"):
            typ = _cs_type(mod, ret, "ret")
            if params is not None and typ is not None and len(params) == 1:
                members.append(["x", name[3:].lower(), 1, typ, params])
            continue
        if name.startswith("__") and name != "__init__":
            continue
        if name.startswith(("add_", "remove_")) and len(name) > 4:
            event = name.split("_", 1)[1]
            typ = _cs_type(mod, params_text.split(":")[-1] if ":" in params_text else None, "param")
            if name.startswith("add_"):
                if typ is None or params is None:
                    dropped.add(event)
                else:
                    members.append(["e", event, static, typ])
            continue
        if params is None:
            dropped.add("" if name == "__init__" else name)
            continue
        variants = _with_outs(mod, params, ret) if name != "__init__" else [("", params, "")]
        if variants is None:
            dropped.add(name)
            continue
        for typ, ps, flags in variants:
            if name == "__init__":
                members.append(["c", "", 0, "", ps, _flags(ps, flags)])
            else:
                members.append(["m", name, static, typ, ps, _flags(ps, flags)])
    if getitem is not None:
        params = _params(mod, getitem[0])
        typ = _cs_type(mod, getitem[1], "ret")
        if params is not None and typ is not None:
            members.append(["i", "", 0, typ, params, int(setitem is not None)])
    # pythonnet shows a read-only indexer as a property `Item` of a sequence type.
    item = next((m for m in members if m[0] == "p" and m[1] == "Item" and m[3].startswith("@seq<")), None)
    if item is not None:
        members.remove(item)
        if not any(m[0] == "i" for m in members):
            members.append(["i", "", 0, item[3][5:-1], [["", "int", "index"]], 0])
    for name, ann in cls["fields"]:
        typ = _cs_type(mod, ann, "ret")
        if typ is None:
            dropped.add(name)
        else:
            members.append(["f", name, 1, typ])
    # C# wants comparison operators in pairs; the stubs sometimes list one of a pair.
    ops = {(m[1], tuple(p[1] for p in m[4])) for m in members if m[0] == "o"}
    for m in [m for m in members if m[0] == "o" and m[1] in _PAIRS]:
        if (_PAIRS[m[1]], tuple(p[1] for p in m[4])) not in ops:
            members.append(["o", _PAIRS[m[1]], 1, m[3], m[4]])
            ops.add((_PAIRS[m[1]], tuple(p[1] for p in m[4])))
    names = {d[0] for d in cls["defs"]}
    invoke = next((m for m in members if m[0] == "m" and m[1] == "Invoke" and not m[2]), None)
    if {"BeginInvoke", "EndInvoke"} <= names and invoke is not None:
        return {"kind": "delegate", "returns": invoke[3], "params": invoke[4]}  # a delegate type
    entry["members"] = _dedupe(members)
    if dropped:
        entry["dropped"] = sorted(dropped)
    return entry


def _signature_key(m: list) -> tuple:
    """What makes two members the same in C#: kind, name and parameter types (and ref-ness)."""
    if m[0] in ("p", "f", "e"):
        return (m[0] if m[0] != "f" else "p", m[1])
    if m[0] == "x":
        return (m[0], m[3], tuple(p[1] for p in m[4]))
    return (m[0], m[1], tuple((p[0] != "", p[1]) for p in m[4]))


def _dedupe(members: list[list]) -> list[list]:
    """Overloads that differ only in float/double or int/long in C# collapse in the stubs."""
    seen: set[tuple] = set()
    out = []
    for m in members:
        key = _signature_key(m)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def prune_inherited(types: dict[str, dict]) -> None:
    """The typed stubs repeat inherited public members in every class: drop a member whose
    exact signature an ancestor already declares."""
    memo: dict[str, set[tuple]] = {}

    def declared(name: str, seen: frozenset) -> set[tuple]:
        if name in memo:
            return memo[name]
        out: set[tuple] = set()
        entry = types.get(name)
        if entry is None or name in seen:
            return out
        for b in entry.get("base", []):
            out |= declared(b, seen | {name})
        out |= {(_signature_key(m), m[3] if len(m) > 3 else None) for m in entry.get("members", [])
                if m[0] not in ("c", "o", "x")}
        memo[name] = out
        return out

    inherited = {}
    for name, entry in types.items():
        acc: set[tuple] = set()
        for b in entry.get("base", []):
            acc |= declared(b, frozenset({name}))
        inherited[name] = acc
    for name, entry in types.items():
        if "members" in entry and inherited[name]:
            entry["members"] = [m for m in entry["members"]
                                if m[0] in ("c", "o", "x") or (_signature_key(m), m[3]) not in inherited[name]]
