"""A folder of real plugins with its `truth.jsonl`, read as the judge's benchmark and tests see it.

The folder holds one sub-folder per plugin (`folder` in truth.jsonl) and truth.jsonl, one
row per component class: folder, path (relative to the folder), name, abstract,
start_line and end_line (1-based, the `class` keyword's line to the closing brace's).
Each concrete component becomes a unit as the collector makes it (its file's usings, its
namespace, the class): what a model would be asked to write. `sdk_only`: the file's usings
name only System, the SDK and the plugin's own namespaces.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from gh_ft.collect.sources import NotText, decode_text
from gh_ft.csharp.components import Component, component_unit, find_components
from gh_ft.csharp.declarations import FileDecls, read_declarations

SDK_NAMESPACE_ROOTS = ("System", "Rhino", "Grasshopper", "GH_IO", "Eto")


@dataclass
class RealUnit:
    plugin: str
    path: str
    name: str
    code: str
    sdk_only: bool
    component: Component
    foreign_roots: frozenset[str] = frozenset()   # library namespaces the code names without a using

    @property
    def sdk_only_strict(self) -> bool:
        """SDK-only by its usings, and naming no library namespace in its code either."""
        return self.sdk_only and not self.foreign_roots

    @property
    def key(self) -> str:
        return f"{self.plugin}/{self.path}:{self.name}"


@dataclass
class RealPlugin:
    name: str
    context: list[FileDecls]
    namespaces: set[str]


@dataclass
class RealCorpus:
    plugins: list[RealPlugin]
    units: list[RealUnit]
    truth: list[dict]
    whole: list[dict] = field(default_factory=list)     # truth rows the collector extracted whole
    missed: list[dict] = field(default_factory=list)    # truth rows it did not

    def collector_summary(self) -> str:
        n = len(self.whole) + len(self.missed)
        return f"extracted whole {len(self.whole)}/{n} = {len(self.whole) / max(n, 1):.1%}"


def _using_target(using: str) -> str:
    text = using.strip().rstrip(";").strip()
    for prefix in ("global ", "using ", "static "):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    if "=" in text:
        text = text.split("=", 1)[1].strip()
    return text.split("<")[0].strip()


def sdk_only(usings: list[str], own_namespaces: set[str]) -> bool:
    """The usings name only System, the SDK and the plugin's own namespaces."""
    for u in usings:
        target = _using_target(u)
        root = target.split(".")[0]
        if root in SDK_NAMESPACE_ROOTS or target in own_namespaces:
            continue
        return False
    return True


_DOTTED_RE = re.compile(r"(?<![\w.])([A-Z]\w*)\.([A-Z]\w*)\.[A-Z]\w*")


def foreign_roots(code: str, own_namespaces: set[str], imported_roots: set[str]) -> frozenset[str]:
    """Library namespaces the code names in full (`OSGeo.OSR.SpatialReference`): roots of
    dotted paths that the plugin imports with a `using` somewhere, other than System, the
    SDK and its own namespaces."""
    from gh_ft.csharp.lexer import mask_non_code

    roots = {m.group(1) for m in _DOTTED_RE.finditer(mask_non_code(code))}
    own_roots = {ns.split(".")[0] for ns in own_namespaces}
    return frozenset(r for r in roots & imported_roots if r not in SDK_NAMESPACE_ROOTS and r not in own_roots
                     and r != "Microsoft")


def read_plugin(folder: Path) -> list[FileDecls]:
    files = []
    for src in sorted(folder.rglob("*.cs")):
        try:
            text = decode_text(src.read_bytes())[0]
        except (OSError, NotText):
            continue
        decls = read_declarations(str(src.relative_to(folder)), text)
        decls.source = text   # the judge compiles the plugin whole into its context assembly
        files.append(decls)
    return files


def load_real_corpus(root: Path) -> RealCorpus:
    truth = [json.loads(line) for line in (root / "truth.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    plugins, units = [], []
    whole, missed = [], []
    for folder in dict.fromkeys(row["folder"] for row in truth):
        files = read_plugin(root / folder)
        namespaces = {c.namespace for f in files for c in f.classes if c.namespace}
        namespaces |= {".".join(ns.split(".")[:i]) for ns in namespaces for i in range(1, ns.count(".") + 1)}
        plugins.append(RealPlugin(folder, files, namespaces))
        found = {(c.file.path, c.decl.name): c for c in find_components(files)}
        imported = {_using_target(u).split(".")[0] for f in files for u in f.usings}
        for row in (r for r in truth if r["folder"] == folder):
            if row["abstract"]:
                continue
            comp = found.get((row["path"], row["name"]))
            ok = comp is not None and _whole(comp, row)
            (whole if ok else missed).append(row)
            if comp is None:
                continue
            code = component_unit(comp)
            units.append(RealUnit(folder, row["path"], row["name"], code, sdk_only(comp.file.usings, namespaces),
                                  comp, foreign_roots(code, namespaces, imported)))
    return RealCorpus(plugins, units, truth, whole, missed)


def _whole(comp: Component, row: dict) -> bool:
    decl = comp.decl
    first = decl.line
    last = decl.line + decl.text.count("\n")
    return first <= row["start_line"] <= last and last == row["end_line"]
