"""What a Grasshopper component is: the one definition shared by collector and judge.

A component is a non-abstract, non-static class that
  * derives from a Grasshopper component base (GH_Component, GH_TaskCapableComponent<T>...),
  * or from a class of the same corpus that does (followed across files, any depth),
  * or from a base the corpus does not define (a plugin library from NuGet), when the
    class or its local ancestors override SolveInstance / RegisterInputParams.
Metadata (name, nickname, description, category, subcategory) comes from the
`base(...)` chain, with constants and constructor parameters resolved where possible.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Iterable

from gh_ft.csharp.declarations import ClassDecl, Expr, FileDecls, ParamDecl

GRASSHOPPER_COMPONENT_BASES = frozenset({
    "GH_Component",
    "GH_TaskCapableComponent",
})
COMPONENT_OVERRIDES = frozenset({"SolveInstance", "RegisterInputParams", "RegisterOutputParams"})
BASE_ARG_NAMES = ("name", "nickname", "description", "category", "subcategory")
_INTERFACE_RE = re.compile(r"^I[A-Z]")


@dataclass
class Component:
    decl: ClassDecl
    file: FileDecls
    chain: list[str]                       # base class names from the class up to the Grasshopper/foreign base
    root_base: str                         # GH_Component, GH_TaskCapableComponent or the foreign base
    foreign_base: bool
    name: str | None = None
    nickname: str | None = None
    description: str | None = None
    category: str | None = None
    subcategory: str | None = None
    inputs: list[ParamDecl] = field(default_factory=list)
    outputs: list[ParamDecl] = field(default_factory=list)
    guid: str | None = None
    exposure: str | None = None

    @property
    def class_name(self) -> str:
        return self.decl.name


class CorpusIndex:
    """Every class of the corpus by simple name, for resolving bases across files."""

    def __init__(self, files: Iterable[FileDecls]):
        self.by_name: dict[str, list[tuple[ClassDecl, FileDecls]]] = {}
        for f in files:
            for c in f.classes:
                self.by_name.setdefault(c.name, []).append((c, f))

    def find(self, name: str, near: ClassDecl | None = None) -> tuple[ClassDecl, FileDecls] | None:
        candidates = self.by_name.get(name)
        if not candidates:
            return None
        if near is not None and len(candidates) > 1:
            # Prefer a class of the same namespace: two plugins may both define `ComponentBase`.
            for cand in candidates:
                if cand[0].namespace == near.namespace and cand[0] is not near:
                    return cand
        for cand in candidates:
            if cand[0] is not near:
                return cand
        return None

    def const(self, owner: str, name: str) -> tuple[Expr, ClassDecl] | None:
        for decl, _ in self.by_name.get(owner, []):
            if name in decl.consts:
                return decl.consts[name], decl
        return None


def _base_class(decl: ClassDecl, index: CorpusIndex) -> str | None:
    """The base class among the bases: the first, unless it is an interface."""
    if not decl.bases:
        return None
    first = decl.bases[0]
    if first in GRASSHOPPER_COMPONENT_BASES or index.find(first, decl) is not None:
        return first
    return None if _INTERFACE_RE.match(first) else first


def resolve_chain(decl: ClassDecl, index: CorpusIndex) -> tuple[list[tuple[ClassDecl, FileDecls | None]], str | None]:
    """Local ancestors (starting with `decl`) and the first base outside the corpus."""
    chain: list[tuple[ClassDecl, FileDecls | None]] = [(decl, None)]
    seen = {id(decl)}
    current = decl
    while True:
        base = _base_class(current, index)
        if base is None or base in GRASSHOPPER_COMPONENT_BASES:
            return chain, base
        found = index.find(base, current)
        if found is None or id(found[0]) in seen:
            return chain, base
        seen.add(id(found[0]))
        chain.append(found)
        current = found[0]


def component_root(decl: ClassDecl, index: CorpusIndex) -> tuple[list[tuple[ClassDecl, FileDecls | None]], str] | None:
    """(chain, root base) when `decl`'s type is a component type (abstract or not), else None."""
    if decl.is_static:
        return None
    chain, root = resolve_chain(decl, index)
    if root is None:
        return None
    if root in GRASSHOPPER_COMPONENT_BASES:
        return chain, root
    if any(COMPONENT_OVERRIDES & set(c.overrides) for c, _ in chain):
        return chain, root
    return None


# ---- evaluating base(...) arguments -------------------------------------------------

def _eval(expr: Expr, env: dict[str, str | None], owner: ClassDecl, index: CorpusIndex, depth: int = 0) -> str | None:
    if depth > 20:
        return None
    kind = expr[0]
    if kind == "s":
        return expr[1]
    if kind == "+":
        left = _eval(expr[1], env, owner, index, depth + 1)
        right = _eval(expr[2], env, owner, index, depth + 1)
        return None if left is None or right is None else left + right
    if kind == "id":
        name = expr[1]
        if name in env:
            return env[name]
        # A constant of this class or of its local ancestors.
        chain, _ = resolve_chain(owner, index)
        for decl, _f in chain:
            if name in decl.consts:
                return _eval(decl.consts[name], {}, decl, index, depth + 1)
        hits = [d for d, _ in (x for lst in index.by_name.values() for x in lst) if name in d.consts] \
            if depth == 0 else []
        if len(hits) == 1:
            return _eval(hits[0].consts[name], {}, hits[0], index, depth + 1)
        return None
    if kind == "m":
        parts = expr[1].split(".")
        if len(parts) >= 2:
            found = index.const(parts[-2], parts[-1])
            if found is not None:
                return _eval(found[0], {}, found[1], index, depth + 1)
        return None
    return None


def resolve_base_arguments(chain: list[tuple[ClassDecl, FileDecls | None]], index: CorpusIndex) -> list[str | None]:
    """The Grasshopper base constructor's arguments, pushed through local base constructors."""
    env: dict[str, str | None] = {}
    args_in: list[str | None] | None = None  # values passed into the current class's constructor
    for depth, (decl, _f) in enumerate(chain):
        if depth == 0:
            ctors = [c for c in decl.ctors if not c.params] or decl.ctors
        else:
            arity = len(args_in or [])
            ctors = [c for c in decl.ctors if len(c.params) == arity] or decl.ctors
        ctor = next((c for c in ctors if c.base_args is not None), ctors[0] if ctors else None)
        if ctor is None:
            args_in = []
            continue
        env = dict(zip(ctor.params, args_in or []))
        if ctor.base_args is None:
            args_in = []
            continue
        args_in = [_eval(a, env, decl, index) for a in ctor.base_args]
    return list(args_in or [])


def _inherited(chain: list[tuple[ClassDecl, FileDecls | None]], attr: str):
    for decl, _f in chain:
        value = getattr(decl, attr)
        if value is not None:
            return value
    return None


def merge_partials(files: list[FileDecls]) -> dict[int, ClassDecl | None]:
    """The parts of each `partial` class (same namespace, outer types and name, any files)
    merged into one declaration: bases, modifiers, members, registrations, GUID. Keyed by
    id() of each part: the primary part (the one with SolveInstance, else the one with a
    base list, else the first) maps to the merged declaration, the others to None."""
    groups: dict[tuple[str, str, str], list[ClassDecl]] = {}
    for f in files:
        for decl in f.classes:
            if "partial" in decl.modifiers and decl.name:
                groups.setdefault((decl.namespace, decl.outer, decl.name), []).append(decl)
    out: dict[int, ClassDecl | None] = {}
    for parts in groups.values():
        if len(parts) < 2:
            continue
        primary = next((p for p in parts if "SolveInstance" in p.methods), None) \
            or next((p for p in parts if p.bases), parts[0])
        merged = dataclasses.replace(primary)
        merged.bases = list(dict.fromkeys(b for p in [primary, *parts] for b in p.bases))
        merged.base_texts = list(dict.fromkeys(b for p in [primary, *parts] for b in p.base_texts))
        merged.modifiers = list(dict.fromkeys(m for p in parts for m in p.modifiers))
        merged.overrides = list(dict.fromkeys(m for p in parts for m in p.overrides))
        merged.methods = list(dict.fromkeys(m for p in parts for m in p.methods))
        merged.consts = {k: v for p in parts for k, v in p.consts.items()}
        merged.ctors = [c for p in parts for c in p.ctors]
        for attr in ("inputs", "outputs", "guid", "exposure"):
            setattr(merged, attr, next((getattr(p, attr) for p in [primary, *parts]
                                        if getattr(p, attr) is not None), None))
        for p in parts:
            out[id(p)] = merged if p is primary else None
    return out


def find_components(files: list[FileDecls]) -> list[Component]:
    """Every component class of the corpus (non-abstract, non-static), in file order; the
    parts of a partial class count once, merged (merge_partials)."""
    partials = merge_partials(files)
    original: dict[int, FileDecls] = {}   # a component's file is the caller's own FileDecls object
    if partials:
        merged_files = []
        for f in files:
            if any(id(c) in partials for c in f.classes):
                copy = FileDecls(f.path, f.usings, f.namespace_style,
                                 [partials.get(id(c), c) for c in f.classes if partials.get(id(c), c) is not None],
                                 f.parse_errors, f.source)
                original[id(copy)] = f
                merged_files.append(copy)
            else:
                merged_files.append(f)
        files = merged_files
    index = CorpusIndex(files)
    found: list[Component] = []
    for f in files:
        for decl in f.classes:
            if decl.is_abstract or decl.is_static or not decl.name:
                continue
            rooted = component_root(decl, index)
            if rooted is None:
                continue
            chain, root = rooted
            # Foreign bases (GH_AsyncComponent...) usually pass the same five strings on.
            args = resolve_base_arguments(chain, index)
            comp = Component(
                decl=decl, file=original.get(id(f), f),
                chain=[c.name for c, _ in chain[1:]] + [root],
                root_base=root,
                foreign_base=root not in GRASSHOPPER_COMPONENT_BASES,
                inputs=_inherited(chain, "inputs") or [],
                outputs=_inherited(chain, "outputs") or [],
                guid=_inherited(chain, "guid"),
                exposure=_inherited(chain, "exposure"),
            )
            if len(args) == 5:
                comp.name, comp.nickname, comp.description, comp.category, comp.subcategory = args[:5]
            found.append(comp)
    return found


def component_unit(comp: Component) -> str:
    """The class as a self-contained unit: the file's usings and namespace around it."""
    return class_unit(comp.decl, comp.file)


def may_be_component(decl: ClassDecl) -> bool:
    """Cheap per-file filter: only these can turn out to be components."""
    return bool(decl.bases) and bool(decl.name) and not decl.is_static and not decl.is_abstract


def class_unit(decl: ClassDecl, file: FileDecls) -> str:
    body = _dedent_class(decl)
    usings = "\n".join(dict.fromkeys(u.strip() for u in file.usings))
    ns = decl.namespace
    parts = [usings] if usings else []
    if not ns:
        parts.append(body)
    elif file.namespace_style == "file":
        parts.append(f"namespace {ns};\n\n{body}")
    else:
        indented = "\n".join(("    " + ln) if ln.strip() else "" for ln in body.split("\n"))
        parts.append(f"namespace {ns}\n{{\n{indented}\n}}")
    return "\n\n".join(parts) + "\n"


def _dedent_class(decl: ClassDecl) -> str:
    lines = (decl.indent + decl.text).replace("\r\n", "\n").split("\n")
    widths = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(ln[cut:] if ln.strip() else "" for ln in lines).rstrip()
