"""Small tree-sitter helpers shared by the API check's modules: node text, declarators,
the names a member declares, value positions, error nodes."""
from __future__ import annotations

from typing import Iterator

import tree_sitter

TYPE_DECLS = ("class_declaration", "struct_declaration", "interface_declaration", "record_declaration",
               "record_struct_declaration", "enum_declaration", "delegate_declaration")
NAME_TYPES = ("identifier", "qualified_name", "generic_name", "alias_qualified_name")


def node_text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def node_key(node: tree_sitter.Node) -> tuple[int, int, str]:
    return node.start_byte, node.end_byte, node.type



def using_text(node: tree_sitter.Node) -> str:
    alias = node.child_by_field_name("name")
    target = [c for c in node.named_children if c != alias and c.type in NAME_TYPES]
    text = node_text(target[-1]) if target else ""
    if alias is not None:
        return f"{node_text(alias)} = {text}"
    return f"static {text}" if any(c.type == "static" for c in node.children) else text


def var_declarators(decl: tree_sitter.Node) -> Iterator[tuple[tree_sitter.Node | None, tree_sitter.Node | None]]:
    """(name identifier, initializer) of each declarator in a variable_declaration."""
    for d in decl.named_children:
        if d.type == "variable_declarator":
            name = d.child_by_field_name("name")
            rest = [c for c in d.named_children if c != name and c.type not in ("bracketed_argument_list", "tuple_pattern")]
            yield name, (rest[-1] if rest and name is not None else None)



def collect_locals(member: tree_sitter.Node) -> dict[str, list[tuple[str, tree_sitter.Node | None]]]:
    """Every name a member's body declares, flat: parameters, locals, foreach/out/pattern
    variables, lambda parameters. A name declared twice differently ends up untyped."""
    return _collect(member, by_member=False)[0]


def collect_locals_by_member(root: tree_sitter.Node, caps: dict[str, list] | None = None
                             ) -> tuple[dict, dict[tuple, dict]]:
    """The names the whole tree declares, and each member's own table (as
    `collect_locals(member)` gives it), keyed by node_key(member). One query finds the
    declaring nodes (`caps`: a `scan` of root, when the caller has one); a walk up from
    each finds the members that hold it."""
    everything: dict[str, list[tuple[str, tree_sitter.Node | None]]] = {}
    tables: dict[tuple, dict] = {}
    owners: dict[tuple, tuple[dict, ...]] = {}

    def sinks_of(node: tree_sitter.Node) -> tuple[dict, ...]:
        path = []
        cur: tree_sitter.Node | None = node
        found: tuple[dict, ...] = (everything,)
        while cur is not None:
            key = node_key(cur)
            if key in owners:
                found = owners[key]
                break
            path.append((key, cur))
            cur = cur.parent
        for key, n in reversed(path):
            if n.parent is not None and n.parent.type in _MEMBER_PARENTS:
                table = tables[key] = _start_table(n)
                found = found + (table,)
            owners[key] = found
        return found

    caps = caps if caps is not None else scan(root)
    for n in caps.get("member", []):
        sinks_of(n)
    for n in caps.get("decl", []):
        _declared_by(n, sinks_of(n))
    return everything, tables


_MEMBER_PARENTS = ("declaration_list", "compilation_unit")
_DECLARING = ("parameter", "implicit_parameter", "variable_declaration", "foreach_statement", "declaration_expression",
              "declaration_pattern", "catch_declaration", "query_expression", "from_clause", "let_clause",
              "join_clause", "join_into_clause", "query_continuation", "tuple_pattern",
              "parenthesized_variable_designation", "var_pattern", "recursive_pattern", "list_pattern",
              "local_function_statement")


def _start_table(member: tree_sitter.Node) -> dict:
    table: dict[str, list[tuple[str, tree_sitter.Node | None]]] = {}
    if member.type in ("property_declaration", "indexer_declaration", "event_declaration"):
        table["value"] = [("t", member.child_by_field_name("type"))]
    return table


def _collect(top: tree_sitter.Node, by_member: bool) -> tuple[dict, dict[tuple, dict]]:
    everything = _start_table(top)
    stack = [top]
    while stack:
        n = stack.pop()
        _declared_by(n, (everything,))
        stack.extend(n.named_children)
    return everything, {}


def _declared_by(n: tree_sitter.Node, sinks: tuple[dict, ...]) -> None:
    """Add the names node `n` declares to every table in `sinks`."""
    def add(name_node: tree_sitter.Node | None, kind: str, node: tree_sitter.Node | None) -> None:
        if name_node is not None and name_node.type in ("identifier", "implicit_parameter"):
            for sink in sinks:
                sink.setdefault(node_text(name_node), []).append((kind, node))

    t = n.type
    if t == "parameter":
        typ = n.child_by_field_name("type")
        add(n.child_by_field_name("name"), "t" if typ is not None else "?", typ)
    elif t == "implicit_parameter":
        add(n, "?", None)
    elif t == "variable_declaration":
        typ = n.child_by_field_name("type")
        implicit = typ is not None and typ.type == "implicit_type"
        for name, init in var_declarators(n):
            add(name, "var" if implicit else "t", init if implicit else typ)
    elif t == "foreach_statement":
        typ, left = n.child_by_field_name("type"), n.child_by_field_name("left")
        if typ is not None and typ.type == "implicit_type":
            add(left, "each", n.child_by_field_name("right"))
        else:
            add(left, "t", typ)
    elif t in ("declaration_expression", "declaration_pattern", "catch_declaration"):
        typ = n.child_by_field_name("type")
        if typ is None or typ.type != "pointer_type":  # `a * b` misparsed as a declaration: not one
            implicit = typ is None or typ.type == "implicit_type"
            add(n.child_by_field_name("name"), "?" if implicit else "t", None if implicit else typ)
    elif t in ("query_expression", "from_clause", "let_clause", "join_clause", "join_into_clause",
               "query_continuation"):
        named = n.child_by_field_name("name")
        add(named, "?", None)
        kids = n.children  # range variables follow let/into (and from/join without a name field)
        for i, c in enumerate(kids[:-1]):
            if c.type in ("let", "into") or (c.type in ("from", "join") and named is None):
                add(kids[i + 1], "?", None)
    elif t in ("tuple_pattern", "parenthesized_variable_designation", "var_pattern", "recursive_pattern",
               "list_pattern"):
        for c in n.named_children:
            if c.type == "identifier":
                add(c, "?", None)
    elif t == "local_function_statement":
        add(n.child_by_field_name("name"), "?", None)


def simple_name(node: tree_sitter.Node | None) -> str:
    if node is None:
        return ""
    if node.type == "generic_name":
        ident = next((c for c in node.named_children if c.type == "identifier"), None)
        return node_text(ident) if ident else ""
    return node_text(node) if node.type == "identifier" else ""


_VALUE_PARENTS = {"if_statement": ("condition",), "while_statement": ("condition",), "do_statement": ("condition",),
                  "binary_expression": ("left", "right"), "return_statement": None, "argument": None,
                  "prefix_unary_expression": None, "conditional_expression": ("condition", "consequence", "alternative"),
                  "arrow_expression_clause": None, "interpolation": None, "parenthesized_expression": None,
                  "expression_statement": None}


def in_value_position(node: tree_sitter.Node) -> bool:
    """Whether an identifier stands alone as a value, in a position where a type,
    namespace, label or declaration cannot appear."""
    parent = node.parent
    if parent is None or parent.type not in _VALUE_PARENTS:
        return False
    up = parent
    while up is not None and up.type not in TYPE_DECLS:
        if up.type == "query_expression":
            return False  # range variables have their own scoping; not judged
        up = up.parent
    fields = _VALUE_PARENTS[parent.type]
    if fields is not None and not any(parent.child_by_field_name(f) == node for f in fields):
        return False
    if parent.type == "argument":
        call = parent.parent.parent if parent.parent is not None else None
        fn = call.child_by_field_name("function") if call is not None and call.type == "invocation_expression" else None
        if fn is None or node_text(fn) == "nameof" or any(c.type == "name_colon" and c == node for c in parent.children):
            return False
        return parent.named_children[-1] == node
    return True


def near_error(root: tree_sitter.Node, line: int) -> bool:
    """Whether an ERROR/MISSING node touches `line` (1-based)."""
    for n in iter_errors(root):
        if n.start_point[0] + 1 <= line <= n.end_point[0] + 1:
            return True
    return False


def iter_errors(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            yield n
        elif n.has_error:
            stack.extend(n.children)



_queries: dict[str, tree_sitter.Query] = {}


def _query(source: str) -> tree_sitter.Query:
    q = _queries.get(source)
    if q is None:
        from gh_ft.csharp.parse import _LANGUAGE
        q = _queries[source] = tree_sitter.Query(_LANGUAGE, source)
    return q


def _captures(q: tree_sitter.Query, root: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    caps = tree_sitter.QueryCursor(q).captures(root) if hasattr(tree_sitter, "QueryCursor") else q.captures(root)
    if isinstance(caps, dict):
        return caps
    out: dict[str, list[tree_sitter.Node]] = {}
    for node, name in caps:
        out.setdefault(name, []).append(node)
    return out


def in_document_order(nodes: list[tree_sitter.Node]) -> list[tree_sitter.Node]:
    """Sorted as a pre-order walk meets them: an outer node before the nodes it contains."""
    return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))


def known_node_types(types) -> list[str]:
    """The named node types of `types` this tree-sitter-c-sharp grammar has."""
    from gh_ft.csharp.parse import _LANGUAGE
    return [t for t in types if _LANGUAGE.id_for_node_kind(t, True)]


# What the API check needs from a tree, found in one query pass: declaring nodes, type
# members, type parameters, methods, type names in `type:`/`returns:` fields, and the
# expression nodes the checker judges.
VISITED = ("base_list", "type_argument_list", "type_parameter_constraint", "as_expression", "member_access_expression",
           "member_binding_expression", "invocation_expression", "identifier", "object_creation_expression")
_SCAN_QUERY: list[str] = []


def scan(root: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    """Captures by name: decl, member, tparam, method, typefield, visit (unsorted)."""
    if not _SCAN_QUERY:
        _SCAN_QUERY.append(
            " ".join(f"({t}) @decl" for t in known_node_types(_DECLARING))
            + " (declaration_list (_) @member) (compilation_unit (_) @member) (type_parameter) @tparam"
            + " (method_declaration) @method (local_function_statement) @method"
            + " (_ type: (_) @typefield) (_ returns: (_) @typefield) "
            + " ".join(f"({t}) @visit" for t in VISITED))
    return _captures(_query(_SCAN_QUERY[0]), root)
