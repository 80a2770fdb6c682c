#!/usr/bin/env python
"""Build gh_ft/judge/data/api_index.json.gz from McNeel's RhinoCommon/Grasshopper stubs.

Why: the judge's API stage needs to know which type and member names exist in the SDK,
so that an invented call (`curve.MagicCentroid()`) fails while real ones pass. McNeel
publishes Python stubs (.pyi) generated from the .NET assemblies; they are the only
machine-readable listing of the API we can get without the DLLs. We read them here once
and commit the result, so the stubs are never a runtime dependency.

Sources (MIT, McNeel), unpacked anywhere:
    pip download --no-deps rhino-stubs-typed grasshopper-stubs-typed rhino-stubs grasshopper-stubs -d /tmp/stubs
    (unzip the wheels, untar the sdists)
    python scripts/build_api_index.py /tmp/stubs/r8/Rhino /tmp/stubs/g8/Grasshopper \
        /tmp/stubs/r7/Rhino-stubs-7.7.21140/Rhino-stubs /tmp/stubs/g7/Grasshopper-stubs-7.7.21140/Grasshopper-stubs

Each path is a top package directory (Rhino, Grasshopper, or Rhino-stubs ...). Earlier
paths win: pass the typed Rhino 8 stubs (members, return and property types, statics)
first; the older Rhino 7 stubs then only add the types and members the 8 ones lack.
The stubs are line-regular but not always valid Python (`def None(cls)`, `Func`3`), so
they are read with regular expressions, not `ast`.

It also writes data/api_signatures.json.gz beside it (--signatures): member signatures
(parameter and return types, static-ness, constructors, operators, indexers) of the types
the typed stubs define, for the compile stage's reference assembly (see stub_signatures.py).

What the stubs lack (generic types such as GH_Structure<T>, nested classes such as
GH_Component.GH_InputParamManager, protected members such as SolveInstance, GH_IO) is
hand-kept in gh_ft/judge/component_api.py (names, for the API stage) and
gh_ft/judge/data/grasshopper_core.cs (C# declarations, for the compile stage).
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stub_signatures import prune_inherited, split_top, type_signatures  # noqa: E402

_CLASS_RE = re.compile(r"^class (\w+)(?:\((.*)\))?\s*:")
_DEF_RE = re.compile(r"^    def (\w+)\((.*?)\)(?:\s*->\s*(.+?))?\s*:\s*\.\.\.")
_FIELD_RE = re.compile(r"^    (\w+)\s*:\s*(.+?)\s*$")
_ENUM_RE = re.compile(r"^    (\w+)\s*=\s*")
_DECO_RE = re.compile(r"^    @(\w+)(?:\.(\w+))?")
_IMPORT_RE = re.compile(r"^from ([\w.]+) import (\w+)")
_PRIMITIVES = {"float": "System.Double", "int": "System.Int32", "bool": "System.Boolean",
               "str": "System.String", "object": "System.Object", "type": "System.Type"}
_SEQUENCES = {"Iterable", "MutableSequence", "Sequence", "list", "List", "Iterator", "Set", "IList"}
_TOP = {"Rhino-stubs": "Rhino", "Grasshopper-stubs": "Grasshopper"}


def _module_files(top: Path) -> list[tuple[str, Path]]:
    """(namespace, file) for every __init__.pyi under a top package directory."""
    root_ns = _TOP.get(top.name, top.name)
    out = []
    for f in sorted(top.rglob("__init__.pyi")):
        rel = f.parent.relative_to(top).parts
        out.append((".".join((root_ns,) + rel), f))
    return out


class _Module:
    """One stub file: its classes and the names its imports bring in."""

    def __init__(self, namespace: str, text: str):
        self.namespace = namespace
        self.imports: dict[str, str] = {}
        self.classes: dict[str, dict] = {}
        current: dict | None = None
        decos: list[tuple[str, str | None]] = []
        for line in text.splitlines():
            m = _IMPORT_RE.match(line)
            if m:
                self.imports[m.group(2)] = f"{m.group(1)}.{m.group(2)}"
                continue
            m = _CLASS_RE.match(line)
            if m:
                bases = [b.strip() for b in (m.group(2) or "").split(",") if b.strip()]
                current = {"name": m.group(1), "bases": bases, "defs": [], "fields": [], "enum": []}
                self.classes[m.group(1)] = current
                decos = []
                continue
            if current is None or not line.startswith("    "):
                continue
            m = _DECO_RE.match(line)
            if m:
                decos.append((m.group(1), m.group(2)))
                continue
            m = _DEF_RE.match(line)
            if m:
                current["defs"].append((m.group(1), m.group(2), m.group(3), decos))
                decos = []
                continue
            m = _ENUM_RE.match(line)
            if m:
                current["enum"].append(m.group(1))
                continue
            m = _FIELD_RE.match(line)
            if m:
                current["fields"].append((m.group(1), m.group(2)))
            decos = []

    def qualify(self, name: str) -> str | None:
        if name in _PRIMITIVES:
            return _PRIMITIVES[name]
        if name in self.classes:
            return f"{self.namespace}.{name}"
        return self.imports.get(name)

    def type_of(self, ann: str | None) -> str | None:
        """A stub annotation as a C# type name; sequences as 'X[]'; None when unusable."""
        if not ann:
            return None
        ann = ann.strip()
        if ann.startswith("tuple[") and ann.endswith("]"):  # out/ref parameters: (return, outs...)
            return self.type_of((split_top(ann[6:-1]) or [None])[0])
        m = re.fullmatch(r"(\w+)\[(\w+)\]", ann) or re.fullmatch(r"(\w+)\((\w+)\)", ann)
        if m and m.group(1) in _SEQUENCES:
            inner = self.qualify(m.group(2))
            return inner + "[]" if inner else None
        if re.fullmatch(r"\w+", ann):
            return self.qualify(ann)
        return None


def _type_entry(mod: _Module, cls: dict) -> dict:
    is_enum = "Enum" in cls["bases"]
    members: set[str] = set()
    statics: set[str] = set()
    returns: dict[str, set[str | None]] = {}
    item = iter_ = None

    def note(name: str, typ: str | None) -> None:
        returns.setdefault(name, set()).add(typ)

    for name, params, ret, decos in cls["defs"]:
        kinds = {d for d, _ in decos}
        setter = any(attr == "setter" for _, attr in decos)
        if name == "__getitem__":
            item = mod.type_of(ret)
            continue
        if name == "__iter__":
            t = mod.type_of(ret)
            iter_ = t[:-2] if t and t.endswith("[]") else iter_
            continue
        if name.startswith("__") or name.startswith("op_"):
            continue  # constructors and operators are not member accesses
        if name.startswith(("add_", "remove_")) and len(name) > 4:
            name = name.split("_", 1)[1]  # events: obj.Changed += ...
            members.add(name)
            continue
        members.add(name)
        first = params.split(",")[0].split(":")[0].strip()
        if "staticmethod" in kinds or "classmethod" in kinds or first not in ("self", "cls"):
            statics.add(name)
        if not setter:
            note(name, mod.type_of(ret))
    for name, ann in cls["fields"]:
        members.add(name)
        statics.add(name)
        note(name, mod.type_of(ann))
    for name in cls["enum"]:
        members.add(name)
        statics.add(name)
    entry: dict = {"kind": "enum" if is_enum else
                   "interface" if re.match(r"I[A-Z]", cls["name"]) and not cls["bases"] else "class"}
    bases = [q for b in cls["bases"] if b not in ("Enum", "object") for q in [mod.qualify(b)] if q]
    if bases:
        entry["base"] = bases
    entry["members"] = sorted(members)
    if statics:
        entry["static_members"] = sorted(statics)
    rets = {n: next(iter(ts)) for n, ts in returns.items() if len(ts) == 1 and None not in ts}
    if rets:
        entry["returns"] = dict(sorted(rets.items()))
    if item:
        entry["item"] = item
    if iter_:
        entry["iter"] = iter_
    return entry


def _prune_inherited(types: dict[str, dict]) -> None:
    """The typed stubs repeat inherited public members in every class; drop the repeats
    whose base is known, since has_member follows bases anyway."""
    def inherited(name: str, seen: set[str]) -> tuple[set[str], dict[str, str]]:
        mem: set[str] = set()
        ret: dict[str, str] = {}
        for b in types.get(name, {}).get("base", []):
            if b in types and b not in seen:
                seen.add(b)
                m2, r2 = inherited(b, seen)
                mem |= set(types[b]["members"]) | m2
                ret.update(r2)
                ret.update(types[b].get("returns", {}))
        return mem, ret

    cache = {n: inherited(n, {n}) for n in types}
    for name, entry in types.items():
        mem, ret = cache[name]
        entry["members"] = [m for m in entry["members"] if m not in mem or entry.get("returns", {}).get(m) != ret.get(m)]
        if "static_members" in entry:
            entry["static_members"] = [m for m in entry["static_members"] if m in entry["members"]]
            if not entry["static_members"]:
                del entry["static_members"]
        if "returns" in entry:
            entry["returns"] = {m: t for m, t in entry["returns"].items() if m in entry["members"]}
            if not entry["returns"]:
                del entry["returns"]


def build(paths: list[Path]) -> dict:
    types: dict[str, dict] = {}
    namespaces: set[str] = set()
    for top in paths:
        for ns, f in _module_files(top):
            mod = _Module(ns, f.read_text(encoding="utf-8", errors="replace"))
            parts = ns.split(".")
            namespaces.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
            for cname, cls in mod.classes.items():
                full = f"{ns}.{cname}"
                entry = _type_entry(mod, cls)
                if full not in types:
                    types[full] = entry
                    continue
                # A later (older) source only adds members the earlier one lacks.
                old = types[full]
                extra = set(entry["members"]) - set(old["members"])
                if extra:
                    old["members"] = sorted(set(old["members"]) | extra)
                    st = set(entry.get("static_members", [])) & extra
                    if st:
                        old["static_members"] = sorted(set(old.get("static_members", [])) | st)
    # Extension methods (static classes named *Extensions): callable on instances of other types.
    extensions = sorted({m for name, t in types.items() if re.search(r"Extensions$|ExtensionMethods$", name)
                         for m in t.get("static_members", []) if m not in ("Equals", "ReferenceEquals")})
    _prune_inherited(types)
    return {"format": 1, "sources": [p.name for p in paths], "namespaces": sorted(namespaces),
            "extension_methods": extensions, "types": dict(sorted(types.items()))}


def build_signatures(paths: list[Path]) -> dict:
    """Signatures of every stub type; the first source that defines a type wins (the
    typed Rhino 8 stubs before the Rhino 7 ones)."""
    types: dict[str, dict] = {}
    for top in paths:
        for ns, f in _module_files(top):
            mod = _Module(ns, f.read_text(encoding="utf-8", errors="replace"))
            for cname, cls in mod.classes.items():
                types.setdefault(f"{ns}.{cname}", type_signatures(mod, cls))
    prune_inherited(types)
    return {"format": 1, "sources": [p.name for p in paths], "types": dict(sorted(types.items()))}


def write(index: dict, out: Path) -> None:
    data = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9, filename="") as gz:
        gz.write(data)  # mtime=0 and no file name: byte-identical rebuilds
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("stubs", nargs="+", type=Path, help="top package directories, most authoritative first")
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).resolve().parent.parent / "gh_ft/judge/data/api_index.json.gz")
    ap.add_argument("--signatures", type=Path,
                    default=Path(__file__).resolve().parent.parent / "gh_ft/judge/data/api_signatures.json.gz")
    args = ap.parse_args(argv)
    missing = [p for p in args.stubs if not p.is_dir()]
    if missing:
        ap.error(f"not a directory: {', '.join(map(str, missing))}")
    index = build(args.stubs)
    write(index, args.out)
    n_members = sum(len(t["members"]) for t in index["types"].values())
    print(f"{len(index['types'])} types, {n_members} members, {len(index['namespaces'])} namespaces "
          f"-> {args.out} ({args.out.stat().st_size // 1024} KiB)")
    signatures = build_signatures(args.stubs)
    write(signatures, args.signatures)
    n_sigs = sum(len(t.get("members", [])) for t in signatures["types"].values())
    print(f"{len(signatures['types'])} types, {n_sigs} member signatures -> {args.signatures} "
          f"({args.signatures.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
