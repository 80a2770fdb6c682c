"""The SDK name index the API check resolves against: RhinoCommon, Grasshopper, GH_IO, some .NET.

Why: generated components most often fail by calling a member that does not exist
(`curve.MagicCentroid()`). To say so with confidence we must know every member of the
types involved, including inherited ones, and know when our knowledge is partial. So
each type records whether its member list is *closed* (complete: a missing name is
invented) or *open* (a missing name is merely unresolved).

Data: `data/api_index.json.gz`, built from McNeel's stubs by scripts/build_api_index.py,
with the hand-kept tables of `component_api` merged over it at load time.
"""
from __future__ import annotations

import keyword

import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from gh_ft.judge.component_api import (BCL_NAMESPACES, BCL_TYPES, ENUM_MEMBERS, KEYWORD_TYPES, OBJECT_MEMBERS,
                            SDK_EXTRA_NAMESPACES, SDK_TYPES)

DATA_PATH = Path(__file__).parent / "data" / "api_index.json.gz"
SDK_ROOTS = ("Rhino", "Grasshopper", "GH_IO")
SEQ = "[]"  # Ty name of arrays and other sequences whose exact collection type is unknown


@dataclass(frozen=True)
class Ty:
    """A type as far as the checker knows it: a full name and generic arguments."""
    name: str
    args: tuple["Ty", ...] = ()

    @property
    def element(self) -> "Ty | None":
        return self.args[0] if self.name == SEQ and self.args else None

    def __str__(self) -> str:
        if self.name == SEQ:
            return f"{self.args[0]}[]" if self.args else "[]"
        return self.name + (f"<{','.join(map(str, self.args))}>" if self.args else "")


def parse_type(text: str | None, args: Sequence[Ty] = ()) -> Ty | None:
    """Parse an index type string ('System.Double', 'X[]', 'List<$0>', '$1', 'int'); None if unusable."""
    if not text:
        return None
    text = text.strip()
    if text.endswith("[]"):
        inner = parse_type(text[:-2], args)
        return Ty(SEQ, (inner,)) if inner else None
    m = re.fullmatch(r"\$(\d+)", text)
    if m:
        i = int(m.group(1))
        return args[i] if i < len(args) else None
    if "<" in text and text.endswith(">"):
        head, inner = text[: text.index("<")], text[text.index("<") + 1: -1]
        parts, depth, start = [], 0, 0
        for i, ch in enumerate(inner):
            depth += (ch == "<") - (ch == ">")
            if ch == "," and depth == 0:
                parts.append(inner[start:i])
                start = i + 1
        parts.append(inner[start:])
        parsed = [parse_type(p, args) for p in parts]
        return Ty(head, tuple(p if p else Ty("?") for p in parsed))
    return Ty(KEYWORD_TYPES.get(text, text))


@dataclass
class TypeInfo:
    name: str
    kind: str
    bases: tuple[str, ...]
    members: frozenset[str]
    statics: frozenset[str]
    returns: dict[str, str]
    item: str | None
    iter: str | None
    closed: bool        # the member list is complete
    protected: bool     # protected members are listed too
    patterns: tuple[re.Pattern, ...]
    witness: str | None
    source: str         # stubs | table | bcl


@dataclass
class Lookup:
    status: str         # known | missing | unknown
    type: str | None = None   # the member's type string, when known
    owner: str = ""           # the type that declares it
    is_type: bool = False     # the member is a nested type


def _members(spec: Iterable[str]) -> tuple[set[str], dict[str, str]]:
    names, returns = set(), {}
    for tok in spec:
        name, _, typ = tok.partition(":")
        names.add(name)
        if typ:
            returns[name] = typ
    return names, returns


@lru_cache(maxsize=256)
def _parse_usings_cached(usings: tuple[str, ...]) -> tuple[dict[str, str], list[str], list[str]]:
    return _parse_usings(usings)


def _parse_usings(usings: Iterable[str]) -> tuple[dict[str, str], list[str], list[str]]:
    """(aliases, opened namespaces, `using static` types) from directives as written."""
    aliases, opens, statics = {}, [], []
    for u in usings:
        u = u.strip().rstrip(";").replace("global::", "")
        u = re.sub(r"^(global\s+)?using\s+", "", u)
        if "=" in u:
            alias, _, target = u.partition("=")
            aliases[alias.strip()] = re.sub(r"\s+", "", target)
        elif u.startswith("static "):
            statics.append(u[7:].strip())
        elif u:
            opens.append(u)
    return aliases, opens, statics


def _enclosing(namespace: str) -> list[str]:
    parts = namespace.split(".") if namespace else []
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)] + [""]


@lru_cache(maxsize=4096)
def strip_type_name(name: str) -> str:
    """'global::Rhino.Geometry.Curve[]?' -> 'Rhino.Geometry.Curve'; generic arguments dropped."""
    name = name.replace("global::", "").replace(" ", "")
    out, depth = [], 0
    for ch in name:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif depth == 0 and ch not in "[]?,*":
            out.append(ch)
    return "".join(out)


class ApiIndex:
    def __init__(self, data: dict | None = None):
        data = data or {"types": {}, "namespaces": []}
        self._raw: dict[str, dict] = dict(data["types"])
        self.has_stub_data = bool(self._raw)  # without it, only the hand-kept tables are known
        self.extension_methods = frozenset(data.get("extension_methods", ()))  # SDK extension methods
        self._table: dict[str, tuple[dict, str]] = {}
        for table, source in ((SDK_TYPES, "table"), (BCL_TYPES, "bcl")):
            for name, spec in table.items():
                self._table[name] = (spec, source)
        self.type_names = set(self._raw) | set(self._table)
        # Namespaces whose every public non-generic type the stubs list: a missing name there is invented.
        self.complete_namespaces = frozenset(data["namespaces"])
        ns = set(data["namespaces"]) | set(BCL_NAMESPACES) | set(SDK_EXTRA_NAMESPACES)
        ns |= {n.rsplit(".", 1)[0] for n in self.type_names if "." in n}
        self.namespaces = {".".join(n.split(".")[:i]) for n in ns for i in range(1, n.count(".") + 2)}
        self.namespaces -= self.type_names  # a nested type's outer is a type, not a namespace
        self._info: dict[str, TypeInfo | None] = {}

    # ---- types ----------------------------------------------------------------------

    def info(self, name: str) -> TypeInfo | None:
        if name in self._info:
            return self._info[name]
        raw, (spec, source) = self._raw.get(name), self._table.get(name, (None, ""))
        if raw is None and spec is None:
            self._info[name] = None
            return None
        members, statics, returns = set(), set(), {}
        kind, bases, closed, protected, patterns, witness, item, it = "class", [], True, False, [], None, None, None
        if raw is not None:
            kind, bases = raw["kind"], list(raw.get("base", []))
            members |= set(raw["members"])
            statics |= set(raw.get("static_members", []))
            returns.update(raw.get("returns", {}))
            item, it = raw.get("item"), raw.get("iter")
            closed = kind != "interface"  # stub interfaces omit their base interfaces' members
            source = "stubs"
        if spec is not None:
            kind = kind if raw is not None else spec["kind"]
            m, r = _members(spec["members"])
            s, rs = _members(spec["static"])
            members |= m | s
            statics |= s
            returns.update({**r, **rs})
            bases += [b for b in spec["base"] if b not in bases]
            closed = spec["closed"] if (raw is None or kind == "interface") else closed and spec["closed"]
            closed = closed and not (raw is None and spec["supplement"])
            protected, patterns, witness = spec["protected"], spec["patterns"], spec.get("witness")
            item, it = spec.get("item", item), spec.get("iter", it)
        info = TypeInfo(name, kind, tuple(bases), frozenset(members), frozenset(statics), returns, item, it,
                        closed, protected, tuple(re.compile(p + r"\Z") for p in patterns), witness, source)
        self._info[name] = info
        return info

    def mro(self, name: str) -> tuple[list[TypeInfo], bool]:
        """The type and its known ancestors (breadth-first), and whether every ancestor is known."""
        out: list[TypeInfo] = []
        seen, queue, complete = {name}, [name], True
        while queue:
            t = self.info(queue.pop(0))
            if t is None:
                complete = False
                continue
            out.append(t)
            for b in t.bases:
                if b not in seen:
                    seen.add(b)
                    queue.append(b)
        return out, complete

    def is_namespace(self, name: str) -> bool:
        return name in self.namespaces

    @staticmethod
    def is_sdk_namespace(ns: str) -> bool:
        return any(ns == r or ns.startswith(r + ".") for r in SDK_ROOTS)

    def is_sdk_type(self, name: str) -> bool:
        t = self.info(name)
        return t is not None and t.source in ("stubs", "table")

    def resolve_type(self, name: str, usings: Sequence[str] = (), namespace: str = "") -> str | None:
        """Full name of a type as written in code (simple, qualified, aliased, keyword, generic), or None."""
        name = strip_type_name(name)
        if name in KEYWORD_TYPES:
            return KEYWORD_TYPES[name]
        aliases, opens, _ = _parse_usings_cached(tuple(usings))  # (the same file's usings, every name)
        parts = name.split(".")
        if parts[0] in aliases:
            name = ".".join([strip_type_name(aliases[parts[0]])] + parts[1:])
            if name in self.type_names:
                return name
            parts = name.split(".")
        if len(parts) == 1:
            for ns in _enclosing(namespace):
                cand = f"{ns}.{name}" if ns else name
                if cand in self.type_names:
                    return cand
            found = {f"{u}.{name}" for u in opens if f"{u}.{name}" in self.type_names}
            return found.pop() if len(found) == 1 else None
        for ns in _enclosing(namespace):
            cand = f"{ns}.{name}" if ns else name
            if cand in self.type_names:
                return cand
        head = self.resolve_type(parts[0], usings, namespace)
        if head and f"{head}.{'.'.join(parts[1:])}" in self.type_names:
            return f"{head}.{'.'.join(parts[1:])}"
        if head and len(parts) == 2 and head in self._raw:
            flat = f"{head.rsplit('.', 1)[0]}.{parts[1]}"  # the stubs flatten nested types into the namespace
            if flat in self._raw:
                return flat
        return None

    # ---- members --------------------------------------------------------------------

    def lookup(self, type_name: str, member: str, via_this: bool = False) -> Lookup:
        """Whether `member` exists on `type_name` or an ancestor. `via_this`: accessed from a
        derived class (this./base./unqualified), so protected members count and must be listed."""
        chain, complete = self.mro(type_name)
        if not chain:
            return Lookup("unknown")
        for t in chain:
            if member in t.members or any(p.match(member) for p in t.patterns):
                nested = f"{t.name}.{member}" in self.type_names
                return Lookup("known", t.returns.get(member), t.name, nested)
        root = chain[0]
        if member in OBJECT_MEMBERS or (root.kind == "enum" and member in ENUM_MEMBERS):
            return Lookup("known", "System.String" if member == "ToString" else None, "System.Object")
        if f"{type_name}.{member}" in self.type_names:
            return Lookup("known", None, type_name, True)
        if root.kind == "interface" and root.witness:
            w = self.lookup(root.witness, member)
            return Lookup("missing" if w.status == "missing" else "unknown", owner=type_name)
        if member in PYTHON_KEYWORDS:
            # The stubs are Python: a member named like a Python keyword (`UnitSystem.None`) cannot be in them.
            return Lookup("unknown", owner=type_name)
        relevant = [t for t in chain if root.kind == "interface" or t.kind != "interface"]
        closed = complete and all(t.closed for t in relevant)
        if via_this:
            closed = closed and all(t.protected for t in relevant if t.source != "bcl")
        return Lookup("missing" if closed else "unknown", owner=type_name)

    def has_member(self, type_fullname: str, member: str) -> bool:
        return self.lookup(type_fullname, member, via_this=True).status == "known"

    def member_type(self, ty: Ty, member: str, via_this: bool = False) -> Ty | None:
        look = self.lookup(ty.name, member, via_this)
        return parse_type(look.type, ty.args) if look.status == "known" else None

    def element_type(self, ty: Ty, foreach: bool = False) -> Ty | None:
        """Type of `x[i]` (or of the loop variable in `foreach (var e in x)`)."""
        if ty.name == SEQ:
            return ty.element
        if ty.name == "System.String":
            return Ty("System.Char")
        for t in self.mro(ty.name)[0]:
            spec = (t.iter or t.item) if foreach else (t.item or t.iter)
            if spec:
                return parse_type(spec, ty.args)
        return None


PYTHON_KEYWORDS = frozenset(keyword.kwlist)


@lru_cache(maxsize=1)
def load_api_index(path: str | None = None) -> ApiIndex:
    """The index (cached). Without the data file, only the hand-kept tables are known."""
    p = Path(path) if path else DATA_PATH
    if not p.exists():
        return ApiIndex()
    with gzip.open(p, "rt", encoding="utf-8") as f:
        return ApiIndex(json.load(f))
