"""The shape of the package, held by tests: no import circles, imports only go down the
pipeline, settings are resolved in one place, and each stage body has one call site."""
from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "gh_ft"

# Lowest first: a module may import only from its own layer or a lower one.
LAYERS = [
    {"errors", "files", "progress", "resources", "prompt", "settings", "__init__"},
    {"csharp"}, {"dataset"}, {"collect"}, {"train"}, {"export"}, {"judge"}, {"evaluate"}, {"loop"},
    {"serve"}, {"service"}, {"stages"}, {"pipeline", "project"}, {"cli", "__main__"},
]


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = list(p.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gh_ft"):
            assert node.level == 0, f"{name}: relative import"
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("gh_ft")}
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    return next(i for i, names in enumerate(LAYERS) if top in names)


def test_no_import_circles():
    index, low, stack, on, circles, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert circles == []


def test_imports_only_go_down_the_pipeline():
    every_top = {m.split(".")[1] for m in MODULES if "." in m}
    assert every_top <= set().union(*LAYERS), f"a package without a layer: {every_top - set().union(*LAYERS)}"
    upward = [(m, i) for m, deps in GRAPH.items() for i in deps if _layer(i) > _layer(m)]
    assert upward == []


def test_settings_are_resolved_in_one_place():
    """No module but settings.py reads an environment variable that a setting covers, or
    resolves a relative path against the project folder."""
    covered = ("OLLAMA_HOST", "GH_FT_LLAMA_CPP")
    join = re.compile(r"project_dir\)?\s*/|is_absolute\(\)\s+else\s+\S*project_dir")
    offenders = []
    for name, path in MODULES.items():
        if name == "gh_ft.settings":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"environ|getenv", code) and any(v in code for v in covered):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
            if join.search(code) and name != "gh_ft.resources":  # resources: the project's copy of a template
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []


# The body of each stage, and the module that defines it: only stages.py may call it.
STAGE_BODIES = {
    "collect_sources": None, "run_check": "gh_ft.train.check", "train_run": "gh_ft.train.run",
    "merge_run": "gh_ft.train.run", "export_gguf": "gh_ft.export.gguf", "evaluate_tasks": None,
    "ingest_feedback": "gh_ft.loop.feedback",
}


def _calls(path: Path, names: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            via_stages = isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "stages"
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) and not via_stages \
                else None
            if name in names:
                called.add(name)
    return called


def test_each_stage_body_has_one_call_site():
    bodies = {"run_check", "train_run", "merge_run", "export_gguf", "ingest_feedback"}
    callers = {}
    for name, path in MODULES.items():
        for body in _calls(path, bodies):
            callers.setdefault(body, set()).add(name)
    for body, owner in STAGE_BODIES.items():
        if body in bodies:
            assert callers.get(body, set()) - {owner} == {"gh_ft.stages"}, (body, callers.get(body))
    # collect() and evaluate() share their names with the stages: imported under another name only in stages.py.
    text = (PKG / "stages.py").read_text(encoding="utf-8")
    assert "from gh_ft.collect import collect as collect_sources" in text
    assert "evaluate as evaluate_tasks" in text
    for name, path in MODULES.items():
        if name in ("gh_ft.stages", "gh_ft.collect", "gh_ft.evaluate.run"):
            continue
        src = path.read_text(encoding="utf-8")
        assert not re.search(r"from gh_ft\.collect import [^\n]*\bcollect\b", src), name
        assert not re.search(r"from gh_ft\.evaluate\.run import [^\n]*\bevaluate\b(?! as)", src), name


def test_every_error_is_a_gh_ft_error():
    from gh_ft.errors import GhFtError

    exceptions = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
                exceptions.append((name, node.name))
    import importlib
    for module, cls in exceptions:
        obj = getattr(importlib.import_module(module), cls)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, GhFtError), f"{module}.{cls}"
