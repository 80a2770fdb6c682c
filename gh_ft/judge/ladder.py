"""The validation ladder: each stage gives a verdict and reasons.

(a) extract the code from a model reply, (b) syntax (tree-sitter; truncation told
apart), (c) structure, read from the syntax tree (structure.py): a component class by
the collector's own definition, its required overrides, its GUID, the indices and names
SolveInstance's IGH_DataAccess reads and writes against what the Register methods
register, (d) API surface against the SDK index, (e) compile with mcs against a
reference assembly generated from the same index (compile.py), inside the plugin with
`context`, many files per compiler call (`judge_many`); a file mcs cannot check through
(library types in its declarations, a library base class, C# mcs cannot parse) gets a
second look that can only fail it (compile_variants.py). `gh-ft evaluate` adds (f) spec
(spec.py): the answer against its task's metadata.

The rule every stage keeps: it says `fail` only for what it has proven. A check that
meets code it does not fully understand (a registration it cannot count, a data access
handed on, a computed GUID, a variable-parameter component, a type nobody here defines,
what the reference assembly cannot know) answers `unknown` for that check, with the
reason; an unused input is a warning. Held by tests/test_judge_real.py on real plugins
(none failed; every SDK-only one passes inside its plugin, so `unknown` is no hiding
place) and by mutants with a known failing stage (mutants.py). The ladder stops at the
first failing stage; without mcs it stops after (d) and says so.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Callable, Sequence

from gh_ft.csharp.components import Component, find_components
from gh_ft.csharp.declarations import ClassDecl, FileDecls, read_declarations
from gh_ft.csharp.lexer import mask_non_code
from gh_ft.csharp.parse import error_count, parse_tree
from gh_ft.judge.structure import (Registered, class_methods, data_access, guid_verdict, node_text, registrations,
                                   walk)

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
REQUIRED_OVERRIDES = ("RegisterInputParams", "RegisterOutputParams", "SolveInstance", "ComponentGuid")

_FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w#+.-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.S | re.M)
_CODE_START_RE = re.compile(r"^[ \t]*(using\s+[\w.]+\s*;|namespace\s+[\w.]+|(\[[^\]\n]+\]\s*)*(public|internal|sealed|"
                            r"abstract|partial)?\s*(sealed\s+|abstract\s+|partial\s+)*class\s+\w+)", re.M)
_CLASS_WORD_RE = re.compile(r"\bclass\s+\w+")
_INTERFACE_NAME_RE = re.compile(r"^I[A-Z]")
# SDK and .NET bases that are certainly not components: a class deriving only from these is not one.
NOT_COMPONENT_BASES = frozenset({"GH_Param", "GH_PersistentParam", "GH_Goo", "GH_GeometricGoo", "GH_AssemblyInfo",
                                 "GH_ComponentAttributes", "GH_Attributes", "GH_AssemblyPriority", "Exception",
                                 "Form", "UserControl", "Attribute", "EventArgs", "object", "Object"})


@dataclass
class StageResult:
    stage: str
    verdict: str
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)   # not proven wrong, worth a look (an unused input)


@dataclass
class Judgement:
    code: str
    stages: list[StageResult]
    notes: list[str] = field(default_factory=list)   # e.g. why a stage was skipped
    tree: object = field(default=None, repr=False, compare=False)  # the parsed code, for the compile stage

    @property
    def verdict(self) -> str:
        verdicts = [s.verdict for s in self.stages]
        return FAIL if FAIL in verdicts else UNKNOWN if UNKNOWN in verdicts else PASS

    @property
    def stage(self) -> str:
        """The failing stage, else the last stage reached."""
        for s in self.stages:
            if s.verdict == FAIL:
                return s.stage
        return self.stages[-1].stage if self.stages else "extract"

    @property
    def reasons(self) -> list[str]:
        failing = [s for s in self.stages if s.verdict == FAIL]
        chosen = failing or [s for s in self.stages if s.verdict == UNKNOWN]
        return [r for s in chosen for r in s.reasons] + self.notes

    def passed(self, stage: str) -> bool:
        return any(s.stage == stage and s.verdict != FAIL for s in self.stages)

    def to_dict(self, path: str | None = None) -> dict:
        d = {"verdict": self.verdict, "stage": self.stage, "reasons": self.reasons,
             "stages": {s.stage: s.verdict for s in self.stages}}
        warnings = [w for s in self.stages for w in s.warnings]
        if warnings:
            d["warnings"] = warnings
        return {"path": path, **d} if path is not None else d


# ---- (a) extract ----------------------------------------------------------------------

def extract_code(reply: str) -> str:
    """The C# in a model reply: fenced blocks (the one holding a class wins, several are
    joined), else the text from the first `using`/`namespace`/`class` line on."""
    blocks = [(lang.lower(), body) for _, lang, body in _FENCE_RE.findall(reply)]
    code_blocks = [b for lang, b in blocks if lang in ("", "cs", "csharp", "c#")]
    with_class = [b for b in code_blocks if re.search(r"\bclass\s+\w+", b)]
    if with_class:
        return "\n\n".join(b.rstrip() for b in with_class) + "\n"
    if code_blocks:
        return "\n\n".join(b.rstrip() for b in code_blocks) + "\n"
    m = _CODE_START_RE.search(reply)
    return reply[m.start():] if m else reply


def _holds_class(code: str, tree=None) -> bool:
    """A `class` declaration outside comments and strings. A clean parse answers from its
    tree; otherwise (or without a tree) the lexer masks comments and strings first."""
    if not _CLASS_WORD_RE.search(code):
        return False
    if tree is not None and not tree.root_node.has_error:
        return any(_class_nodes(tree.root_node))
    return bool(_CLASS_WORD_RE.search(mask_non_code(code)))


def _class_nodes(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "class_declaration":
            yield n
            return
        if n.type in ("compilation_unit", "namespace_declaration", "declaration_list",
                      "file_scoped_namespace_declaration"):
            stack.extend(n.named_children)


def _extract_verdict(code: str, tree=None) -> StageResult:
    if not code.strip():
        return StageResult("extract", FAIL, ["the reply holds no code"])
    if not _holds_class(code, tree):
        return StageResult("extract", FAIL, ["the reply holds no C# class"])
    return StageResult("extract", PASS)


def stage_extract(reply: str) -> tuple[StageResult, str]:
    code = extract_code(reply)
    return _extract_verdict(code), code


# ---- (b) syntax -----------------------------------------------------------------------

def _first_error(node) -> tuple[int, int, str] | None:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            kind = f"missing {n.type}" if n.is_missing else "unexpected text"
            return n.start_point[0] + 1, n.start_point[1] + 1, kind
        if n.has_error:
            stack.extend(reversed(n.children))
    return None


# tree-sitter-c-sharp reads the contextual keywords `async`/`await` as keywords even where C#
# allows them as names (`(AsyncResult)async;`): such uses are renamed (same length) and parsed again.
_CONTEXTUAL_AS_NAME_RE = re.compile(r"\b(async|await)\b(?=\s*[);,.\]=?:])")


def stage_syntax(code: str, tree=None) -> StageResult:
    tree = tree if tree is not None else parse_tree(code)
    if not tree.root_node.has_error:
        return StageResult("syntax", PASS)
    masked = mask_non_code(code)
    depth = masked.count("{") - masked.count("}")
    if depth > 0:
        return StageResult("syntax", FAIL, [f"truncated: {depth} unclosed brace(s) at the end of the code"])
    renamed = _CONTEXTUAL_AS_NAME_RE.sub(lambda m: m.group(1)[:-1] + "_", code)
    if renamed != code and not parse_tree(renamed).root_node.has_error:
        return StageResult("syntax", PASS, warnings=["`async`/`await` used as a name (valid C#, which the parser "
                                                     "misreads): parsed with the names renamed"])
    where = _first_error(tree.root_node)
    line, col, kind = where if where else (0, 0, "error")
    return StageResult("syntax", FAIL, [f"syntax error at line {line}, column {col} ({kind}); "
                                        f"{error_count(tree.root_node)} error node(s)"])


# ---- (c) structure --------------------------------------------------------------------

def _class_node(tree, decl: ClassDecl):
    """The class's declaration node in the reply's tree (by name and nesting)."""
    if tree is None:
        return None
    for n in walk(tree.root_node, skip=("block", "arrow_expression_clause")):
        if n.type == "class_declaration" and node_text(n.child_by_field_name("name")) == decl.name:
            return n
    return None


def _check_params(comp: Component, node, reasons: list[str], unknowns: list[str], warnings: list[str]) -> None:
    """Indices and names DA reads and writes against what the Register methods register
    (structure.py): a failure only where the registration count is exact."""
    decl = comp.decl
    variable = "IGH_VariableParameterComponent" in decl.bases
    access = data_access(node)
    if not access.found:
        return
    methods = class_methods(node)
    for side, register, verb in (("input", "RegisterInputParams", "read"), ("output", "RegisterOutputParams", "set")):
        uses = [u for u in access.uses if u.side == side]
        if register in methods:
            reg = registrations(methods[register][0])
        else:
            known = comp.inputs if side == "input" else comp.outputs
            reg = Registered([p.name for p in known], exact=False,
                             why_open=f"{register} is inherited from {comp.chain[0]}")
        if variable and reg.exact:
            # Parameters are added and removed at run time: what is registered is a lower bound.
            reg.exact, reg.why_open = False, f"{decl.name} is a variable-parameter component"
        names = reg.names
        used: set[int] = set()
        for use in uses:
            if use.index is not None:
                if use.index < reg.count:
                    used.add(use.index)
                elif reg.exact:
                    reasons.append(f"SolveInstance {verb}s {side} index {use.index} (line {use.line}), but only "
                                   f"{reg.count} {side}(s) are registered")
                else:
                    unknowns.append(f"SolveInstance {verb}s {side} index {use.index}; {reg.count} {side}(s) are seen "
                                    f"registered but the count is open ({reg.why_open})")
            elif use.name is not None:
                if use.name in names:
                    used.add(names.index(use.name))
                elif reg.exact and None not in names:
                    reasons.append(f"SolveInstance {verb}s {side} \"{use.name}\" (line {use.line}), which is not "
                                   f"registered (registered: {', '.join(n for n in names if n) or 'none'})")
                else:
                    unknowns.append(f"SolveInstance {verb}s {side} \"{use.name}\", not among the names seen "
                                    f"registered ({reg.why_open or 'some names are computed'})")
        if reg.exact and access.complete:
            for i, name in enumerate(names):
                if i not in used:
                    warnings.append(f"{side} {i} \"{name or '?'}\" is registered but never {verb} in SolveInstance")


def stage_structure(code: str, context: Sequence[FileDecls] = (), tree=None) -> StageResult:
    """`context`: declarations of the plugin's other files (its own base classes), so a
    component deriving from them can be judged; without it their members are unknown.
    Fails only for what it proves (module docstring of structure.py)."""
    decls = read_declarations("<reply>", code)
    components = [c for c in find_components([decls, *context]) if c.file is decls]
    if not components:
        bases = sorted({b for c in decls.classes for b in c.bases[:1]})
        local = {c.name for f in context for c in f.classes}
        foreign = [b for b in bases if not _INTERFACE_NAME_RE.match(b) and b not in local
                   and b not in NOT_COMPONENT_BASES]
        # A class that overrides members of a base defined elsewhere may be a component of that
        # plugin (a family sharing one base); one that overrides nothing is not one.
        concrete = [c for c in decls.classes if not c.is_abstract and not c.is_static and c.bases and c.overrides]
        if foreign and concrete:
            return StageResult("structure", UNKNOWN, [f"{', '.join(foreign)} is defined outside the file: whether "
                                                      "the class is a component cannot be told without the plugin"])
        return StageResult("structure", FAIL, ["no Grasshopper component class (a non-abstract class deriving from "
                                               "GH_Component or GH_TaskCapableComponent<T>)"
                                               + (f"; bases seen: {', '.join(bases)}" if bases else "")])
    tree = tree if tree is not None else parse_tree(code)
    reasons: list[str] = []
    unknowns: list[str] = []
    warnings: list[str] = []
    for comp in components:
        decl = comp.decl
        node = _class_node(tree, decl)
        # Known through context: the local chain up to a Grasshopper base is all in view.
        resolved = not comp.foreign_base
        present = set(decl.methods) | set(decl.overrides)
        for base_name in comp.chain[:-1]:
            found = next((c for f in context for c in f.classes if c.name == base_name), None)
            if found is not None:
                present |= set(found.methods) | set(found.overrides)
        missing = [m for m in REQUIRED_OVERRIDES if m not in present and not (m == "ComponentGuid" and comp.guid)]
        if missing and resolved:
            reasons.append(f"{decl.name} lacks {', '.join(missing)}")
        elif missing:
            unknowns.append(f"{decl.name} may inherit {', '.join(missing)} from {comp.chain[0]}, defined elsewhere")
        if node is None:
            unknowns.append(f"{decl.name}: the class was not found in the syntax tree")
            continue
        verdict, why = guid_verdict(node)
        if verdict == "invalid":
            reasons.append(f"{decl.name}: {why}")
        elif verdict == "unknown":
            unknowns.append(f"{decl.name}: {why}")
        _check_params(comp, node, reasons, unknowns, warnings)
    if reasons:
        return StageResult("structure", FAIL, reasons, warnings)
    return StageResult("structure", UNKNOWN if unknowns else PASS, unknowns, warnings)


# ---- the ladder ---------------------------------------------------------------------

def _api_stage() -> Callable[[str, object], StageResult] | None:
    try:
        from gh_ft.judge.api_check import check_api
    except ImportError:
        return None

    def run(code: str, tree=None) -> StageResult:
        result = check_api(code, tree=tree)
        return StageResult("api", result.verdict, list(result.reasons))

    return run


def _judge_to_api(reply: str, stop_after: str | None, context: Sequence[FileDecls]) -> Judgement:
    """Stages (a) to (d); the code is parsed once and the tree shared by the stages."""
    code = extract_code(reply)
    tree = parse_tree(code) if code.strip() else None
    stages = [_extract_verdict(code, tree)]
    read = [code, tree]   # what structure and api read: renamed when only the parser's keyword slip broke it

    def syntax() -> StageResult:
        result = stage_syntax(code, tree)
        if result.verdict == PASS and result.warnings and tree is not None and tree.root_node.has_error:
            read[0] = _CONTEXTUAL_AS_NAME_RE.sub(lambda m: m.group(1)[:-1] + "_", code)
            read[1] = parse_tree(read[0])
        return result

    steps: list[tuple[str, Callable[[], StageResult]]] = [
        ("syntax", syntax), ("structure", lambda: stage_structure(read[0], context, read[1]))]
    api = _api_stage()
    if api is not None:
        steps.append(("api", lambda: api(read[0], read[1])))
    for name, run in steps:
        if stages[-1].verdict == FAIL or (stop_after and stages[-1].stage == stop_after):
            break
        stages.append(run())
    return Judgement(code, stages, tree=tree)


_compiler_lock = threading.Lock()
_compilers: dict[str, object] = {}


def _compiler(mcs: str | None, progress: Callable[[str], None] | None, references: Sequence = ()):
    """A compiler kept for the process (its reference assembly and context assembly are
    reused across calls); raises CompileUnavailable without mcs."""
    from gh_ft.judge.compile import INSTALL_HINT, Compiler, CompileUnavailable, find_mcs

    path = mcs if mcs is not None else find_mcs()
    if not path:
        raise CompileUnavailable(f"mcs not installed ({INSTALL_HINT})")
    key = "\0".join([path, *map(str, references)])
    if key not in _compilers:
        import atexit

        _compilers[key] = Compiler(path, progress=progress, references=references)
        atexit.register(_compilers[key].close)
    return _compilers[key]


def judge_many(replies: Sequence[str], stop_after: str | None = None, context: Sequence[FileDecls] = (),
               compile: bool = True, mcs: str | None = None,
               progress: Callable[[str], None] | None = None, references: Sequence = ()) -> list[Judgement]:
    """The ladder on many replies (or files' texts); the compile stage runs them in shared
    mcs calls. `mcs`: the compiler to use (default: `mcs` on PATH; "" means none).
    `references`: DLL files or folders of DLLs the plugin uses (its bin/, NuGet packages)."""
    judgements = [_judge_to_api(r, stop_after, context) for r in replies]
    if not compile or stop_after in ("extract", "syntax", "structure", "api"):
        return judgements
    todo = [j for j in judgements if j.stages[-1].verdict != FAIL and j.stages[-1].stage == "api"]
    if not todo:
        return judgements
    from gh_ft.judge.compile import CompileUnavailable, context_sources

    with _compiler_lock:
        try:
            compiler = _compiler(mcs, progress, tuple(references))
            compiler.set_context(context_sources(context))
            results = compiler.compile([j.code for j in todo], [j.tree for j in todo])
        except CompileUnavailable as e:
            for j in todo:
                j.notes.append(f"compile stage skipped: {e}")
            return judgements
    for j, r in zip(todo, results):
        j.stages.append(StageResult("compile", r.verdict, r.reasons))
    return judgements


def judge(reply: str, stop_after: str | None = None, context: Sequence[FileDecls] = (), compile: bool = True,
          mcs: str | None = None, references: Sequence = ()) -> Judgement:
    """Run the ladder on a model reply (or a file's text) until a stage fails."""
    return judge_many([reply], stop_after, context, compile, mcs, references=references)[0]


def judge_files(paths: Sequence, context_dirs: Sequence = (), compile: bool = True,
                progress: Callable[[str], None] | None = None, references: Sequence = ()) -> list[dict]:
    """`gh-ft judge`: the ladder on files (all compiled in shared mcs calls), one dict per
    file: {"path", "verdict", "stage", "reasons", "stages"}; unreadable files fail at "read"."""
    from pathlib import Path

    from gh_ft.collect.sources import NotText, decode_text
    from gh_ft.csharp.declarations import read_declarations

    context = []
    for folder in context_dirs:
        for src in sorted(Path(folder).rglob("*.cs")):
            try:
                text = decode_text(src.read_bytes())[0]
                decls = read_declarations(str(src), text)
                decls.source = text   # compiled whole into the context assembly
                context.append(decls)
            except (OSError, NotText):
                continue
    texts: dict[int, str] = {}
    results: list[dict | None] = []
    for i, f in enumerate(paths):
        try:
            texts[i] = decode_text(Path(f).read_bytes())[0]
            results.append(None)
        except (OSError, NotText) as e:
            results.append({"path": str(f), "verdict": FAIL, "stage": "read", "reasons": [str(e)]})
    order = sorted(texts)
    judged = judge_many([texts[i] for i in order], context=context, compile=compile, progress=progress,
                        references=references)
    for i, j in zip(order, judged):
        results[i] = j.to_dict(str(paths[i]))
    return [r for r in results if r is not None]
