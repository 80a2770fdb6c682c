"""What a component's syntax tree proves about its parameters and its GUID.

Read from the tree-sitter tree, never from the text, so comments and strings never count:
  * registrations: in RegisterInputParams/RegisterOutputParams, calls on the method's
    own parameter (whatever it is named) of every SDK registration family:
    `AddXParameter(...)`, `AddParameter(param, ...)`, the legacy `Register_XParam(...)`.
    The count is exact only when every registration is a plain statement of the method's
    body; one in a loop, a condition, a helper method, or the manager handed elsewhere,
    or a call to `base.Register...`, makes the count a lower bound ("open").
  * data access: SolveInstance's IGH_DataAccess parameter, found by its type, and the
    same parameter of the class's own helper methods it is handed to (followed, any
    depth). Handed to anything else (another object, a lambda's parameter...), the uses
    are not all in view ("open").
  * ComponentGuid: `new Guid("literal")` (or a field/constant of the class holding one) is
    checked; `Guid.Empty` / `new Guid()` is the zero GUID; anything computed is unknown.

What this proves, and nothing more, makes the structure stage fail: an index or a name
past the registered parameters when the registration count is exact, an invalid or zero
GUID literal. An unused input or output is a warning.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import tree_sitter

DATA_ACCESS_TYPE = "IGH_DataAccess"
_GET_SET = re.compile(r"^(GetData|GetDataList|GetDataTree|SetData|SetDataList|SetDataTree)$")
_REGISTRATION = re.compile(r"^(Add\w*Parameter|Register_\w+Param|Register_\w+)$")
_CONTROL = ("for_statement", "foreach_statement", "while_statement", "do_statement", "if_statement",
            "switch_statement", "try_statement", "conditional_expression", "lambda_expression",
            "anonymous_method_expression", "local_function_statement")
_FUNCTION_BODIES = ("method_declaration", "constructor_declaration", "local_function_statement",
                    "property_declaration", "accessor_declaration")


def node_text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def walk(node: tree_sitter.Node, skip: tuple[str, ...] = ()):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(c for c in reversed(n.named_children) if c.type not in skip)


@dataclass
class Registered:
    """The parameters one Register method registers, as far as the tree tells."""
    names: list[str | None] = field(default_factory=list)   # None: a name that is not a literal
    exact: bool = True
    why_open: str = ""

    @property
    def count(self) -> int:
        return len(self.names)


@dataclass
class DataUse:
    side: str          # "input" | "output"
    verb: str          # GetData, SetDataList...
    index: int | None
    name: str | None
    line: int


@dataclass
class DataAccess:
    uses: list[DataUse] = field(default_factory=list)
    complete: bool = True
    why_open: str = ""
    found: bool = False    # SolveInstance with an IGH_DataAccess parameter


def class_methods(class_node: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    body = class_node.child_by_field_name("body")
    methods: dict[str, list[tree_sitter.Node]] = {}
    for m in (body.named_children if body is not None else []):
        if m.type == "method_declaration":
            methods.setdefault(node_text(m.child_by_field_name("name")), []).append(m)
    return methods


def _params(method: tree_sitter.Node) -> list[tuple[str, str]]:
    plist = method.child_by_field_name("parameters")
    out = []
    for p in (plist.named_children if plist is not None else []):
        if p.type == "parameter":
            out.append((node_text(p.child_by_field_name("type")), node_text(p.child_by_field_name("name"))))
    return out


def _body(method: tree_sitter.Node) -> tree_sitter.Node | None:
    body = method.child_by_field_name("body")
    if body is not None:
        return body
    return next((c for c in method.named_children if c.type == "arrow_expression_clause"), None)


def _string_value(node: tree_sitter.Node) -> str | None:
    if node.type == "argument":
        node = node.named_children[-1] if node.named_children else node
    if node.type == "string_literal":
        return "".join(node_text(c) for c in node.named_children if c.type == "string_literal_content")
    if node.type == "verbatim_string_literal":
        return node_text(node)[2:-1].replace('""', '"')
    return None


def _int_value(node: tree_sitter.Node) -> int | None:
    if node.type == "argument":
        node = node.named_children[-1] if node.named_children else node
    if node.type == "integer_literal":
        try:
            return int(node_text(node).rstrip("uUlL"), 0)
        except ValueError:
            return None
    return None


def _args(invocation: tree_sitter.Node) -> list[tree_sitter.Node]:
    arg_list = invocation.child_by_field_name("arguments")
    return [a for a in (arg_list.named_children if arg_list is not None else []) if a.type == "argument"]


def _callee(invocation: tree_sitter.Node) -> tuple[str | None, str]:
    """(receiver text or None, method name) of an invocation."""
    fn = invocation.child_by_field_name("function")
    if fn is None:
        return None, ""
    if fn.type == "member_access_expression":
        name = fn.child_by_field_name("name")
        name_text = node_text(name.named_children[0]) if name is not None and name.type == "generic_name" \
            else node_text(name)
        return node_text(fn.child_by_field_name("expression")), name_text
    if fn.type == "generic_name":
        return None, node_text(fn.named_children[0])
    return None, node_text(fn)


def _inside_control(node: tree_sitter.Node, stop: tree_sitter.Node) -> bool:
    n = node.parent
    while n is not None and n != stop:
        if n.type in _CONTROL:
            return True
        n = n.parent
    return False


def registrations(method: tree_sitter.Node) -> Registered:
    """What one RegisterInputParams/RegisterOutputParams method registers."""
    params = _params(method)
    reg = Registered()
    body = _body(method)
    if not params or body is None:
        reg.exact, reg.why_open = False, "the parameter manager is not a parameter of the method"
        return reg
    manager = params[0][1]
    for node in walk(body):
        if node.type == "invocation_expression":
            receiver, name = _callee(node)
            args = _args(node)
            if receiver == manager and _REGISTRATION.match(name):
                if _inside_control(node, body):
                    reg.exact, reg.why_open = False, f"{name} is called in a loop, condition or lambda"
                if name == "AddParameter" and args:
                    args = args[1:]
                reg.names.append(_string_value(args[0]) if args else None)
            elif receiver == "base" and name.startswith("Register"):
                reg.exact, reg.why_open = False, f"base.{name} registers parameters too"
            elif any(node_text(a).strip() == manager for a in args):
                reg.exact, reg.why_open = False, f"the parameter manager is handed to {name}"
        elif node.type == "assignment_expression":
            right = node.child_by_field_name("right")
            if right is not None and node_text(right).strip() == manager:
                reg.exact, reg.why_open = False, "the parameter manager is assigned to a variable"
        elif node.type == "variable_declarator":
            value = node.named_children[-1] if len(node.named_children) > 1 else None
            if value is not None and node_text(value).strip() == manager:
                reg.exact, reg.why_open = False, "the parameter manager is assigned to a variable"
    return reg


def _data_param(method: tree_sitter.Node) -> list[int]:
    return [i for i, (t, _) in enumerate(_params(method)) if t.split(".")[-1] == DATA_ACCESS_TYPE]


def data_access(class_node: tree_sitter.Node) -> DataAccess:
    """Every Get*/Set* call on SolveInstance's IGH_DataAccess, followed into the class's own methods."""
    methods = class_methods(class_node)
    result = DataAccess()
    solve = [m for m in methods.get("SolveInstance", []) if _data_param(m)]
    if not solve:
        return result
    result.found = True
    todo = [(solve[0], _params(solve[0])[_data_param(solve[0])[0]][1])]
    seen: set[tuple[int, str]] = set()
    while todo:
        method, name = todo.pop()
        key = (method.start_byte, name)
        if key in seen:
            continue
        seen.add(key)
        body = _body(method)
        if body is None:
            continue
        for node in walk(body):
            if node.type != "identifier" or node_text(node) != name:
                continue
            parent = node.parent
            if parent is None:
                continue
            if parent.type == "member_access_expression" and parent.child_by_field_name("expression") == node:
                call = parent.parent
                verb = _callee(call)[1] if call is not None and call.type == "invocation_expression" else ""
                m = _GET_SET.match(verb)
                if m and call is not None:
                    args = _args(call)
                    first = args[0] if args else None
                    index = _int_value(first) if first is not None else None
                    pname = _string_value(first) if first is not None else None
                    if index is None and pname is None:
                        result.complete, result.why_open = False, f"{verb} with a computed index"
                    result.uses.append(DataUse("input" if verb.startswith("Get") else "output", verb, index, pname,
                                               call.start_point[0] + 1))
                continue
            if parent.type == "argument":
                call = parent.parent.parent if parent.parent is not None else None
                if call is None or call.type not in ("invocation_expression",):
                    result.complete, result.why_open = False, f"the data access is handed to {node_text(call)[:40]}"
                    continue
                receiver, callee = _callee(call)
                position = _args(call).index(parent)
                targets = methods.get(callee, []) if receiver in (None, "this") else []
                followed = False
                for target in targets:
                    tparams = _params(target)
                    if position < len(tparams) and tparams[position][0].split(".")[-1] == DATA_ACCESS_TYPE:
                        todo.append((target, tparams[position][1]))
                        followed = True
                if not followed:
                    result.complete, result.why_open = False, f"the data access is handed to {callee}"
            elif parent.type in ("variable_declarator", "assignment_expression", "lambda_expression",
                                 "return_statement", "arrow_expression_clause", "initializer_expression"):
                result.complete, result.why_open = False, "the data access is stored or handed on"
    return result


# ---- ComponentGuid -------------------------------------------------------------------

def _guid_expression(class_node: tree_sitter.Node) -> tree_sitter.Node | None:
    body = class_node.child_by_field_name("body")
    for member in (body.named_children if body is not None else []):
        if member.type == "property_declaration" and node_text(member.child_by_field_name("name")) == "ComponentGuid":
            arrow = next((c for c in member.named_children if c.type == "arrow_expression_clause"), None)
            if arrow is not None and arrow.named_children:
                return arrow.named_children[0]
            accessors = member.child_by_field_name("accessors")
            for acc in (accessors.named_children if accessors is not None else []):
                acc_arrow = next((c for c in acc.named_children if c.type == "arrow_expression_clause"), None)
                if acc_arrow is not None and acc_arrow.named_children:
                    return acc_arrow.named_children[0]
                block = acc.child_by_field_name("body")
                if block is not None:
                    returns = [n for n in walk(block) if n.type == "return_statement"]
                    if len(returns) == 1 and returns[0].named_children:
                        return returns[0].named_children[0]
            return member  # a property we could not read: unknown
    return None


def _field_value(class_node: tree_sitter.Node, name: str) -> tree_sitter.Node | None:
    body = class_node.child_by_field_name("body")
    for member in (body.named_children if body is not None else []):
        if member.type != "field_declaration":
            continue
        for var in walk(member):
            if var.type == "variable_declarator" and node_text(var.child_by_field_name("name")) == name:
                value = var.named_children[-1] if len(var.named_children) > 1 else None
                if value is not None and value.type == "equals_value_clause" and value.named_children:
                    value = value.named_children[0]
                return value
    return None


def guid_verdict(class_node: tree_sitter.Node, depth: int = 0) -> tuple[str, str]:
    """("absent" | "valid" | "invalid" | "unknown", why) for the class's ComponentGuid."""
    expr = _guid_expression(class_node)
    if expr is None:
        return "absent", "no ComponentGuid"
    return _guid_of(class_node, expr, depth)


def _guid_of(class_node: tree_sitter.Node, expr: tree_sitter.Node, depth: int) -> tuple[str, str]:
    text = re.sub(r"\s+", "", node_text(expr))
    if expr.type in ("object_creation_expression",) and node_text(expr.child_by_field_name("type")).split(".")[-1] == "Guid":
        args = _args(expr)
        if not args:
            return "invalid", "ComponentGuid is `new Guid()`, the zero GUID"
        value = _string_value(args[0])
        if value is None or len(args) != 1:
            if len(args) == 1 and args[0].named_children and args[0].named_children[-1].type == "identifier" \
                    and depth < 3:
                inner = _field_value(class_node, node_text(args[0].named_children[-1]))
                if inner is not None:
                    return _guid_of(class_node, inner, depth + 1)
            return "unknown", f"ComponentGuid is computed ({text[:60]}): its value cannot be checked here"
        try:
            parsed = uuid.UUID(value.strip().strip("{}"))
        except ValueError:
            return "invalid", f"ComponentGuid: \"{value}\" is not a valid GUID"
        if parsed.int == 0:
            return "invalid", "ComponentGuid is the zero GUID"
        return "valid", ""
    if text in ("Guid.Empty", "System.Guid.Empty", "default(Guid)", "default(System.Guid)"):
        return "invalid", f"ComponentGuid is {text}, the zero GUID"
    if expr.type == "string_literal" and depth > 0:  # a const string field handed to new Guid(...)
        value = _string_value(expr) or ""
        try:
            return ("valid", "") if uuid.UUID(value.strip("{}")).int else ("invalid", "ComponentGuid is the zero GUID")
        except ValueError:
            return "invalid", f"ComponentGuid: \"{value}\" is not a valid GUID"
    if expr.type == "identifier" and depth < 3:
        inner = _field_value(class_node, node_text(expr))
        if inner is not None:
            return _guid_of(class_node, inner, depth + 1)
    return "unknown", f"ComponentGuid is computed ({text[:60]}): its value cannot be checked here"
