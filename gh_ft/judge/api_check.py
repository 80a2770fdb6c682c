"""API surface check: are the SDK types and members a component uses real?

Why: generated Grasshopper code compiles in the model's head only; its commonest
failure is an invented member (`curve.MagicCentroid()`, `pManager.AddCurveParam`,
`GH_ParamAccess.items`). This stage needs no compiler (the compile stage follows it when
mcs is there): it resolves names against the index of RhinoCommon/Grasshopper (api_index)
with simple, local type inference: declared types of locals/fields/parameters,
`var x = new T()`, return and property types one member at a time, and the component's
inherited members. The code's own declarations and name resolution live in api_scope.py,
tree helpers in api_syntax.py; this module walks the code and judges.

The check is conservative by design. A name is *invented* (verdict "fail") only when
the type it hangs off is known with a closed member list, or a qualified type name
points into an SDK namespace that lacks it, or an SDK-looking simple name (GH_, Param_)
is used while only SDK/System namespaces are imported. Everything the index cannot see
(the user's own or third-party types, partial classes, unknown expression types) is
"unresolved" and never fails the code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import tree_sitter

from gh_ft.csharp.parse import parse_tree
from gh_ft.judge.api_index import SEQ, ApiIndex, Ty, load_api_index, parse_type
from gh_ft.judge.api_scope import NULLABLE, Scope
from gh_ft.judge.api_syntax import in_document_order, in_value_position, near_error, node_text, simple_name
from gh_ft.judge.component_api import BCL_TYPES, LINQ_METHODS, LINQ_RETURNS

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
_SEQ_MEMBERS = frozenset(BCL_TYPES["System.Collections.Generic.List"]["members"] +
                         BCL_TYPES["System.Array"]["members"] + BCL_TYPES["System.Array"]["static"])
_SEQ_MEMBERS = frozenset(m.split(":")[0] for m in _SEQ_MEMBERS)
_NO_TYPE_CHECK = ("type_parameter_constraint", "array_type", "nullable_type", "pointer_type")
_SKIP_CALLS = {"nameof", "typeof", "sizeof", "default", "checked", "unchecked"}


@dataclass
class ApiFinding:
    kind: str       # invented-member | invented-type | unresolved
    name: str
    line: int
    detail: str


@dataclass
class ApiResult:
    verdict: str    # pass | fail | unknown
    reasons: list[str]
    findings: list[ApiFinding]
    checked: int    # type and member names resolved against the index or the code itself
    counts: dict[str, int] = field(default_factory=dict)  # types/members: checked, unresolved, invented


# Result of typing an expression: ("value", Ty|None) a value; ("type", Ty) a type name;
# ("ns", "A.B") a namespace prefix; None: unknown.
Typed = tuple[str, object] | None


class _Checker:
    def __init__(self, code: str, index: ApiIndex, context: Sequence[str], tree: tree_sitter.Tree | None = None):
        self.index = index
        self.tree = tree if tree is not None else parse_tree(code)
        self.scope = Scope(index)
        self.scope.collect(self.tree.root_node, primary=True)
        for extra in context:
            self.scope.collect(parse_tree(extra).root_node, primary=False)
        self.findings: dict[tuple[str, str, int], ApiFinding] = {}
        self.counts = {"types": 0, "types_unresolved": 0, "members": 0, "members_unresolved": 0, "invented": 0}

    # ---- reporting ------------------------------------------------------------------

    def _report(self, kind: str, name: str, node: tree_sitter.Node, detail: str) -> None:
        line = node.start_point[0] + 1
        key = (kind, name, line)
        if key not in self.findings:
            self.findings[key] = ApiFinding(kind, name, line, detail)
        if kind != "unresolved":
            self.counts["invented"] += 1

    def _count(self, what: str, node: tree_sitter.Node, ok: bool, name: str = "", detail: str = "") -> None:
        if ok:
            self.counts[what] += 1
        else:
            self.counts[what + "_unresolved"] += 1
            self._report("unresolved", name or node_text(node)[:80], node, detail)

    # ---- walking --------------------------------------------------------------------

    def run(self) -> None:
        # Type names in `type:`/`returns:` fields, found by one query in C rather than by
        # asking every node for its fields; then the named nodes, walked in Python.
        scanned = self.scope.scanned
        for child in in_document_order(scanned.get("typefield", [])):
            if child.parent is not None and child.parent.type not in _NO_TYPE_CHECK:
                self._check_type(child)
        for node in in_document_order(scanned.get("visit", [])):
            self._visit(node)

    def _visit(self, node: tree_sitter.Node) -> None:
        t = node.type
        if t in ("base_list", "type_argument_list", "type_parameter_constraint"):
            for c in node.named_children:
                self._check_type(c.child_by_field_name("type") if c.type == "primary_constructor_base_type" else c)
        elif t == "as_expression":
            right = node.child_by_field_name("right")
            if right is not None:
                self._check_type(right)
        elif t == "member_access_expression":
            self._check_member_access(node)
        elif t == "member_binding_expression" and node.parent is not None and node.parent.type == "conditional_access_expression":
            cond = node.parent.child_by_field_name("condition")
            self._check_member_on(node, self._type_of(cond) if cond is not None else None, node.child_by_field_name("name"))
        elif t == "invocation_expression":
            fn = node.child_by_field_name("function")
            if fn is not None and fn.type in ("identifier", "generic_name"):
                self._check_unqualified_call(node, fn)
        elif t == "identifier" and in_value_position(node):
            self._check_bare_name(node)
        elif t == "object_creation_expression":
            self._check_initializer(node)

    # ---- types ----------------------------------------------------------------------

    def _check_type(self, node: tree_sitter.Node | None) -> None:
        if node is None:
            return
        t = node.type
        if t == "pointer_type":
            return  # `a * b` inside arguments parses as a pointer declaration; never judged
        if t in ("array_type", "nullable_type", "ref_type", "scoped_type"):
            inner = node.child_by_field_name("type") or (node.named_children[0] if node.named_children else None)
            self._check_type(inner)
        elif t == "tuple_type":
            for el in node.named_children:
                self._check_type(el.child_by_field_name("type"))
        elif t in ("identifier", "qualified_name", "generic_name", "alias_qualified_name"):
            ty, status, name = self.scope.resolve_type_node(node)
            if status == "param":
                return
            if status == "invented":
                self._report("invented-type", name, node, f"no type '{name}' in the SDK")
            else:
                self._count("types", node, status == "ok", name, "type not in the index")

    # ---- expressions ----------------------------------------------------------------

    def _type_of(self, node: tree_sitter.Node | None, depth: int = 0) -> Typed:
        """What an expression denotes, as far as one-step inference can tell."""
        if node is None or depth > 40:
            return None
        t = node.type
        sc = self.scope
        if t == "identifier":
            return sc.name_type(node, lambda n: self._type_of(n, depth + 1))
        if t == "this_expression" or t == "this":
            u = sc.enclosing_type(node)
            return ("value", Ty(u.full)) if u else None
        if t == "base_expression" or t == "base":
            u = sc.enclosing_type(node)
            base = sc.base_ty(u) if u else None
            return ("value", base) if base else None
        if t in ("member_access_expression", "invocation_expression"):
            target = node if t == "member_access_expression" else node.child_by_field_name("function")
            if target is None or target.type != "member_access_expression":
                if target is not None and target.type in ("identifier", "generic_name") and t == "invocation_expression":
                    return sc.call_type(target, lambda n: self._type_of(n, depth + 1))
                return None
            left = self._type_of(target.child_by_field_name("expression"), depth + 1)
            name = simple_name(target.child_by_field_name("name"))
            if t == "invocation_expression" and name in ("Select", "SelectMany"):
                return self._projection(node, name, depth)
            return self._access_type(left, name, target, call=t == "invocation_expression")
        if t == "conditional_access_expression":
            binding = next((c for c in node.named_children if c.type == "member_binding_expression"), None)
            if binding is None:
                return None
            left = self._type_of(node.child_by_field_name("condition"), depth + 1)
            return self._access_type(left, simple_name(binding.child_by_field_name("name")), binding, call=False)
        if t in ("object_creation_expression", "cast_expression", "array_creation_expression", "default_expression"):
            ty, status, _ = sc.resolve_type_node(node.child_by_field_name("type"))
            return ("value", ty) if ty else None
        if t == "as_expression":
            ty, _, _ = sc.resolve_type_node(node.child_by_field_name("right"))
            return ("value", ty) if ty else None
        if t == "parenthesized_expression" and node.named_children:
            return self._type_of(node.named_children[0], depth + 1)
        if t == "element_access_expression":
            left = self._type_of(node.child_by_field_name("expression"), depth + 1)
            if left and left[0] == "value" and isinstance(left[1], Ty):
                return ("value", self.index.element_type(left[1]))
            return None
        if t == "conditional_expression":
            a = self._type_of(node.child_by_field_name("consequence"), depth + 1)
            b = self._type_of(node.child_by_field_name("alternative"), depth + 1)
            return a if a == b else None
        if t == "binary_expression" and node.child_by_field_name("operator") is not None \
                and node.child_by_field_name("operator").type == "??":
            return self._type_of(node.child_by_field_name("left"), depth + 1)
        if t in ("string_literal", "verbatim_string_literal", "interpolated_string_expression", "raw_string_literal"):
            return ("value", Ty("System.String"))
        if t == "typeof_expression":
            return ("value", Ty("System.Type"))
        if t in ("qualified_name", "generic_name"):
            ty, status, _ = sc.resolve_type_node(node)
            return ("type", ty) if ty else None
        return None

    def _projection(self, call: tree_sitter.Node, name: str, depth: int) -> Typed:
        """Type of `xs.Select(x => expr)`: a sequence of expr's type (SelectMany: its elements)."""
        args = call.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        lam = first.named_children[0] if first is not None and first.named_children else None
        body = lam.child_by_field_name("body") if lam is not None and lam.type == "lambda_expression" else None
        got = self._type_of(body, depth + 1) if body is not None and body.type != "block" else None
        if not got or got[0] != "value" or not isinstance(got[1], Ty):
            return ("value", None)
        elem = got[1] if name == "Select" else self.index.element_type(got[1], foreach=True)
        return ("value", Ty(SEQ, (elem,)) if elem else None)

    def _access_type(self, left: Typed, name: str, node: tree_sitter.Node, call: bool) -> Typed:
        """What `left.name` denotes."""
        if left is None or not name:
            return None
        kind, what = left
        if kind == "ns":
            full = f"{what}.{name}"
            if self.index.is_namespace(full) or full in self.scope.declared_namespaces:
                return ("ns", full)
            ty = self.scope.type_by_full(full)
            return ("type", ty) if ty else None
        if not isinstance(what, Ty):
            return None
        status, member_ty, nested = self._member_status(what, name, node, static=kind == "type")
        if status != "known":
            return None
        if nested:
            return ("type", nested)
        if call and name in LINQ_RETURNS and member_ty is None:
            elem = self.index.element_type(what, foreach=True)
            return ("value", parse_type(LINQ_RETURNS[name], (elem,))) if elem else None
        return ("value", member_ty)

    def _member_status(self, ty: Ty, name: str, node: tree_sitter.Node, static: bool = False,
                       via_this: bool = False) -> tuple[str, Ty | None, Ty | None]:
        """(known|missing|unknown, member type, nested type) of member `name` on `ty`."""
        sc = self.scope
        if ty.name == NULLABLE:  # Nullable<T> members, else those of T (`T?` may be a reference type)
            if name in ("HasValue", "Value", "GetValueOrDefault"):
                return "known", (ty.args[0] if name != "HasValue" else Ty("System.Boolean")), None
            return self._member_status(ty.args[0], name, node, static, via_this)
        user = sc.user_types.get(ty.name)
        if user is not None:
            found = sc.user_member(user, name, node)
        elif ty.name == SEQ:
            found = ("known" if name in _SEQ_MEMBERS else "unknown"), None, None
        else:
            look = self.index.lookup(ty.name, name, via_this)
            found = (look.status, None, None)
        if found[0] != "known":
            # Extension methods: the file's own, and LINQ's on anything enumerable.
            if name in sc.extension_methods or name in self.index.extension_methods or \
                    (name in LINQ_METHODS and sc.uses_linq and not static):
                return "known", None, None
            if static and found[0] == "missing" and self.index.is_sdk_type(ty.name) and \
                    f"{ty.name.rsplit('.', 1)[0]}.{name}" in self.index.type_names:
                return "known", None, Ty(f"{ty.name.rsplit('.', 1)[0]}.{name}")  # stubs flatten nested types
            return found
        if user is not None or ty.name == SEQ:
            return found
        if look.is_type:
            return "known", None, Ty(f"{look.owner}.{name}")
        return "known", parse_type(look.type, ty.args), None

    # ---- member checks --------------------------------------------------------------

    def _check_member_access(self, node: tree_sitter.Node) -> None:
        expr = node.child_by_field_name("expression")
        name_node = node.child_by_field_name("name")
        if expr is None or name_node is None:
            return
        left = self._type_of(expr)
        if left is not None and left[0] == "ns":
            full = f"{left[1]}.{simple_name(name_node)}"
            if self.index.is_namespace(full) or full in self.scope.declared_namespaces:
                return  # a namespace path; its last step is judged where it ends
            if self.scope.type_by_full(full) is not None:
                self.counts["types"] += 1
            elif str(left[1]) in self.index.complete_namespaces and self.index.is_sdk_namespace(str(left[1])) \
                    and name_node.type != "generic_name":
                self._report("invented-type", full, node, f"namespace {left[1]} has no type '{simple_name(name_node)}'")
            else:
                self._count("types", node, False, full, "type not in the index")
            return
        via_this = expr.type in ("this_expression", "base_expression", "this", "base")
        self._check_member_on(node, left, name_node, via_this)

    def _check_member_on(self, node: tree_sitter.Node, left: Typed, name_node: tree_sitter.Node | None,
                         via_this: bool = False) -> None:
        name = simple_name(name_node)
        if not name:
            return
        if left is None or not isinstance(left[1], Ty):
            self._count("members", node, False, node_text(node)[:80], "receiver type unknown")
            return
        ty: Ty = left[1]
        status, _, _ = self._member_status(ty, name, node, static=left[0] == "type", via_this=via_this)
        if status == "missing":
            owner = self.scope.display(ty)
            self._report("invented-member", f"{owner}.{name}", node, f"{ty} has no member '{name}'")
        else:
            self._count("members", node, status == "known", f"{self.scope.display(ty)}.{name}",
                        "member not in the index" if status == "unknown" else "")

    def _check_unqualified_call(self, node: tree_sitter.Node, fn: tree_sitter.Node) -> None:
        name = simple_name(fn)
        if name in _SKIP_CALLS:
            return
        self._check_implicit_member(node, name, fn, "method")

    def _check_bare_name(self, node: tree_sitter.Node) -> None:
        """A lone name used as a value (`if (InPreSolve)`): a local, a member of the class
        chain, or else (when the chain is fully known) an invented inherited member."""
        name = node_text(node)
        if name in self.scope.declared_names or name in self.scope.type_params or name in ("value", "_", "var", "field", "args"):
            return
        if self.scope.resolve_name(name, node)[0] or self.index.is_namespace(name):
            return
        self._check_implicit_member(node, name, node, "member", unknown="name")

    def _check_implicit_member(self, node: tree_sitter.Node, name: str, lookup: tree_sitter.Node, what: str,
                               unknown: str | None = None) -> None:
        """`name` used without a receiver: a member of the class chain (looked up from
        `lookup`), or, when the chain is fully known, an invented one."""
        status, owner = self.scope.implicit_member_status(lookup, name)
        if status == "missing":
            self._report("invented-member", f"{owner}.{name}", node, f"no {what} '{name}' in {owner} or the class")
        else:
            self._count("members", node, status == "known", name,
                        f"{unknown or what} not found in the class or its bases")

    def _check_initializer(self, node: tree_sitter.Node) -> None:
        init = node.child_by_field_name("initializer")
        if init is None or init.type != "initializer_expression":
            return
        ty, _, _ = self.scope.resolve_type_node(node.child_by_field_name("type"))
        for a in init.named_children:
            left = a.child_by_field_name("left") if a.type == "assignment_expression" else None
            if left is not None and left.type == "identifier":
                self._check_member_on(left, ("value", ty) if ty else None, left)

    # ---- result ---------------------------------------------------------------------

    def result(self) -> ApiResult:
        findings = sorted(self.findings.values(), key=lambda f: (f.line, f.kind, f.name))
        invented = [f for f in findings if f.kind != "unresolved"]
        checked = self.counts["types"] + self.counts["members"]
        if self.tree.root_node.has_error:
            bad = [f for f in invented if not near_error(self.tree.root_node, f.line)]
            if not bad:
                return ApiResult(UNKNOWN, ["the code does not parse; API not judged"], findings, checked, self.counts)
            invented = bad
        if invented:
            reasons = [f"{f.kind.replace('-', ' ')} {f.name} (line {f.line})" for f in invented]
            return ApiResult(FAIL, reasons, findings, checked, self.counts)
        unresolved = sorted({f.name for f in findings})
        reasons = [f"{len(unresolved)} name(s) not in the SDK index: {', '.join(unresolved[:8])}"] if unresolved else []
        return ApiResult(PASS, reasons, findings, checked, self.counts)



def check_api(code: str, index: ApiIndex | None = None, context: Sequence[str] = (),
              tree: tree_sitter.Tree | None = None) -> ApiResult:
    """Judge the SDK names `code` uses. `context`: other source files of the same project,
    whose declarations (base classes, helpers) count as known but are not checked.
    `tree`: the code's tree-sitter tree when the caller has parsed it already."""
    index = index or load_api_index()
    if not code.strip():
        return ApiResult(UNKNOWN, ["no code"], [], 0)
    checker = _Checker(code, index, context, tree)
    checker.run()
    return checker.result()

