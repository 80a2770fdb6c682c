"""Components → alpaca examples: a request a developer would write, and the class.

Pure functions over `Component` values. The instruction names the component, its
purpose, its ribbon place, its inputs and outputs (type, access, defaults) and the
base to derive from; its wording varies by a stable hash of the class name, so the
model does not learn one sentence by heart and re-runs give identical rows.
"""
from __future__ import annotations

import dataclasses
import re

from gh_ft.csharp.components import Component, class_unit, component_unit
from gh_ft.csharp.declarations import ClassDecl, ParamDecl
from gh_ft.dataset import Example, stable_hash

_OPENERS = (
    "Write a Grasshopper component",
    "Create a Grasshopper component",
    "I need a C# Grasshopper component",
    "Implement a Grasshopper component in C#",
)
_ACCESS = {"item": "item access", "list": "list access", "tree": "tree access"}


def _humanize(class_name: str) -> str:
    name = re.sub(r"Component$", "", class_name)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).strip() or class_name


def describe_param(p: ParamDecl) -> str:
    parts = [f"{p.name} ({p.nickname})" if p.nickname else p.name, f": {p.type or 'Generic'}, "]
    parts.append(_ACCESS.get(p.access, f"{p.access} access"))
    if p.default is not None:
        parts.append(f", default {p.default}")
    elif p.optional:
        parts.append(", optional")
    text = "".join(parts)
    return f"{text}. {p.description.strip().rstrip('.')}." if p.description.strip() else f"{text}."


def _purpose(comp: Component) -> str:
    text = (comp.description or comp.decl.summary or "").strip()
    return text.rstrip(".") + "." if text else ""


def _base_request(comp: Component) -> str:
    if comp.foreign_base:
        return f"Derive it from {comp.root_base} (from a library the plugin references)."
    if comp.chain and comp.chain[0] != comp.root_base:
        return f"Derive it from the plugin's own base class {comp.chain[0]}."
    if comp.root_base == "GH_TaskCapableComponent":
        return "Make it task-capable (GH_TaskCapableComponent) so it can solve on worker threads."
    return "Derive it from GH_Component."


def component_request(comp: Component) -> str:
    """The instruction of an example: what a developer would ask for."""
    title = comp.name or _humanize(comp.class_name)
    opener = _OPENERS[int(stable_hash(comp.decl.qualified_name)[:8], 16) % len(_OPENERS)]
    head = f'{opener} "{title}"'
    details = []
    if comp.nickname:
        details.append(f"nickname {comp.nickname}")
    if comp.category or comp.subcategory:
        details.append("in the " + " > ".join(x for x in (comp.category, comp.subcategory) if x) + " tab")
    if details:
        head += " (" + ", ".join(details) + ")"
    lines = [head + ", class name " + comp.class_name + "."]
    purpose = _purpose(comp)
    if purpose:
        lines.append("Purpose: " + purpose)
    if comp.inputs:
        lines.append("Inputs:\n" + "\n".join("- " + describe_param(p) for p in comp.inputs))
    if comp.outputs:
        lines.append("Outputs:\n" + "\n".join("- " + describe_param(p) for p in comp.outputs))
    lines.append(_base_request(comp))
    return "\n".join(lines)


_TODO = "// TODO: read the inputs, compute the result, set the outputs"


def skeleton_decl(decl: ClassDecl) -> ClassDecl | None:
    """The class with SolveInstance's body emptied, or None when there is none to empty."""
    if decl.solve_body is None:
        return None
    data = decl.text.encode("utf-8")
    start, end = decl.solve_body
    body = data[start:end]
    if body.count(b"\n") < 3 or not body.startswith(b"{") or not body.endswith(b"}"):
        return None
    line_start = data.rfind(b"\n", 0, start) + 1
    indent = data[line_start:start].decode("utf-8", "replace")
    if line_start == 0:
        indent = decl.indent + indent
    indent = indent if not indent.strip() else ""
    stub = "{\n" + indent + "    " + _TODO + "\n" + indent + "}"
    return dataclasses.replace(decl, text=(data[:start] + stub.encode("utf-8") + data[end:]).decode("utf-8"))


def skeleton_of(comp: Component) -> str | None:
    stub = skeleton_decl(comp.decl)
    return class_unit(stub, comp.file) if stub is not None else None


def component_examples(comp: Component, source: str, kind: str = "component", context: str = "",
                       skeleton: bool = True, unit: str | None = None,
                       stub: str | None = None) -> list[Example]:
    """The example for a component and, optionally, its "complete the skeleton" twin.
    `unit`/`stub` may come precomputed (the collector's cache); `group` is filled in by
    the caller (it must be shared by both)."""
    if unit is None:
        unit = component_unit(comp)
        stub = skeleton_of(comp)
    request = component_request(comp)
    meta = {
        "class": comp.class_name, "namespace": comp.decl.namespace, "name": comp.name,
        "nickname": comp.nickname, "description": comp.description, "category": comp.category,
        "subcategory": comp.subcategory, "guid": comp.guid, "exposure": comp.exposure,
        "base": comp.root_base, "chain": comp.chain,
        "inputs": [vars(p) for p in comp.inputs], "outputs": [vars(p) for p in comp.outputs],
    }
    if comp.decl.span_from_lexer:
        meta["span_from_lexer"] = True
    context_input = f"Context from the documentation:\n{context.strip()}" if context.strip() else ""
    examples = [Example(request, context_input, unit, source, kind, meta=meta)]
    if skeleton:
        if stub is not None:
            title = comp.name or _humanize(comp.class_name)
            purpose = _purpose(comp)
            ask = f'Complete the SolveInstance method of the Grasshopper component "{title}" below'
            ask += f" so that it does what it promises: {purpose}" if purpose else "."
            examples.append(Example(ask, stub, unit, source, "skeleton", meta={**meta, "variant": "skeleton"}))
    return examples
