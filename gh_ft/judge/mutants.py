"""Mutants with a known answer: a correct component, broken in one known way, and the
stage of the judge that must fail it.

Each kind edits the syntax tree's spans (never text patterns over comments or strings)
and names its expected stage; a kind that does not apply to a component yields nothing.
`sdk_only`: the mutation touches only SDK or System types, so even a component judged
alone must fail at exactly that stage.
"""
from __future__ import annotations

from dataclasses import dataclass

from gh_ft.csharp.parse import parse_tree
from gh_ft.judge.structure import _args, _callee, _data_param, _params, class_methods, node_text, walk


@dataclass
class Mutant:
    kind: str
    stage: str         # the stage that must fail
    code: str
    sdk_only: bool = True


def _component_class(tree):
    for n in walk(tree.root_node, skip=("block",)):
        if n.type == "class_declaration" and "SolveInstance" in class_methods(n):
            return n
    return None


def _splice(code: bytes, start: int, end: int, text: str) -> str:
    return (code[:start] + text.encode("utf-8") + code[end:]).decode("utf-8", "replace")


def make_mutants(code: str) -> list[Mutant]:
    data = code.encode("utf-8")
    tree = parse_tree(data)
    cls = _component_class(tree)
    if cls is None or tree.root_node.has_error:
        return []
    out: list[Mutant] = []
    methods = class_methods(cls)
    solve = methods["SolveInstance"][0]
    body = solve.child_by_field_name("body")
    # 1. truncated: the last third of the text cut off
    out.append(Mutant("truncated", "syntax", code[: len(code) * 2 // 3]))
    # 2. renamed override: SolveInstance misspelled
    name = solve.child_by_field_name("name")
    out.append(Mutant("renamed override", "structure", _splice(data, name.start_byte, name.end_byte, "SolveInstanse")))
    # 3. stray token before a member
    out.append(Mutant("stray token", "syntax", _splice(data, solve.start_byte, solve.start_byte, "void void ")))
    # 4. invented SDK member, in SolveInstance
    if body is not None and body.type == "block":
        stmt = "\n            Rhino.Geometry.Curve ghFtCurve = null; var ghFtPoint = ghFtCurve.MagicCentroidOf();"
        out.append(Mutant("invented member", "api", _splice(data, body.start_byte + 1, body.start_byte + 1, stmt)))
        # 5. wrong argument type into an SDK call: the compiler's catch
        stmt = '\n            double ghFtWrong = Rhino.Geometry.Point3d.Origin.DistanceTo("origin");'
        out.append(Mutant("wrong argument type", "compile",
                          _splice(data, body.start_byte + 1, body.start_byte + 1, stmt)))
    # 6. index past the registered outputs / inputs
    dp = _data_param(solve)
    registered = {"RegisterInputParams", "RegisterOutputParams"} <= set(methods)
    if dp and registered and "IGH_VariableParameterComponent" not in node_text(cls.child_by_field_name("bases") or cls):
        da = _params(solve)[dp[0]][1]
        for n in walk(body):
            if n.type == "invocation_expression":
                receiver, verb = _callee(n)
                args = _args(n)
                if receiver == da and verb.startswith("SetData") and args and args[0].named_children \
                        and args[0].named_children[-1].type == "integer_literal":
                    lit = args[0].named_children[-1]
                    out.append(Mutant("output index out of range", "structure",
                                      _splice(data, lit.start_byte, lit.end_byte, "97")))
                    break
    # 7. ComponentGuid removed
    body_list = cls.child_by_field_name("body")
    guid = next((m for m in body_list.named_children if m.type == "property_declaration"
                 and node_text(m.child_by_field_name("name")) == "ComponentGuid"), None)
    if guid is not None:
        out.append(Mutant("missing ComponentGuid", "structure", _splice(data, guid.start_byte, guid.end_byte, "")))
        # 8. the zero GUID
        out.append(Mutant("zero GUID", "structure", _splice(data, guid.start_byte, guid.end_byte,
                                                            "public override System.Guid ComponentGuid => "
                                                            "System.Guid.Empty;")))
    # 9. RegisterOutputParams removed: the outputs SolveInstance sets are then past none registered
    if "RegisterOutputParams" in methods:
        m = methods["RegisterOutputParams"][0]
        out.append(Mutant("missing RegisterOutputParams", "structure", _splice(data, m.start_byte, m.end_byte, "")))
    return out
