"""The plugin as a judged file sees it: its declarations, without its method bodies.

A component compiled "inside its plugin" needs the plugin's types and members (their
signatures), never the code of their bodies. So each context file is compiled with every
body replaced by `throw null` (line numbers kept): a body that uses a library we do not
have (GDAL, a NuGet package) no longer costs the whole file. What still fails, a member
whose signature names a missing type, a `using` of a missing namespace, a type whose base
is missing, is taken out alone (blanked, lines kept) and the rest compiled again.
Pure functions of the text; the compiler calls live in compile.py.
"""
from __future__ import annotations

import tree_sitter

from gh_ft.csharp.parse import parse_tree

_BODIED = ("method_declaration", "constructor_declaration", "destructor_declaration", "operator_declaration",
           "conversion_operator_declaration", "accessor_declaration", "local_function_statement")
_ARROWED = ("property_declaration", "indexer_declaration")
# What can be taken out alone, innermost first.
_REMOVABLE = ("method_declaration", "constructor_declaration", "destructor_declaration", "operator_declaration",
              "conversion_operator_declaration", "property_declaration", "indexer_declaration",
              "field_declaration", "event_field_declaration", "event_declaration", "delegate_declaration",
              "enum_member_declaration", "enum_declaration", "class_declaration", "struct_declaration",
              "interface_declaration", "record_declaration", "using_directive", "attribute_list")


def _blank(text: bytes) -> bytes:
    return b"\n" * text.count(b"\n")


def _apply(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    for start, end, new in sorted(edits, reverse=True):
        data = data[:start] + new + data[end:]
    return data


def strip_bodies(code: str) -> str:
    """Every method, constructor and accessor body replaced by `throw null` (lines kept)."""
    data = code.encode("utf-8")
    tree = parse_tree(data)
    edits: list[tuple[int, int, bytes]] = []
    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        if n.type in _BODIED:
            body = n.child_by_field_name("body")
            arrow = next((c for c in n.named_children if c.type == "arrow_expression_clause"), None)
            if body is not None and body.type == "block":
                edits.append((body.start_byte, body.end_byte,
                              b"{ throw null; " + _blank(data[body.start_byte:body.end_byte]) + b"}"))
            elif arrow is not None:
                edits.append((arrow.start_byte, arrow.end_byte,
                              b"=> throw null" + _blank(data[arrow.start_byte:arrow.end_byte])))
            if n.type != "accessor_declaration":
                continue
        if n.type in _ARROWED:
            arrow = next((c for c in n.named_children if c.type == "arrow_expression_clause"), None)
            if arrow is not None:
                edits.append((arrow.start_byte, arrow.end_byte,
                              b"=> throw null" + _blank(data[arrow.start_byte:arrow.end_byte])))
                continue
        stack.extend(n.named_children)
    return _apply(data, edits).decode("utf-8", "replace")


def _innermost(root: tree_sitter.Node, line: int) -> tree_sitter.Node | None:
    """The innermost removable declaration that spans `line` (1-based)."""
    row = line - 1
    best = None
    stack = [root]
    while stack:
        n = stack.pop()
        if not (n.start_point[0] <= row <= n.end_point[0]):
            continue
        if n.type in _REMOVABLE:
            best = n
        if n.type in ("block", "arrow_expression_clause"):
            continue
        stack.extend(n.named_children)
    return best


_TYPES = ("class_declaration", "struct_declaration", "interface_declaration", "record_declaration",
          "enum_declaration")


def touched_types(code: str, lines: set[int]) -> set[str]:
    """Simple names of the types that hold (or are) the declarations at these lines."""
    root = parse_tree(code.encode("utf-8")).root_node
    names: set[str] = set()
    for line in lines:
        node = _innermost(root, line)
        while node is not None:
            if node.type in _TYPES:
                name = node.child_by_field_name("name")
                if name is not None and name.text is not None:
                    names.add(name.text.decode("utf-8", "replace"))
            node = node.parent
    return names


def remove_at_lines(code: str, lines: set[int]) -> str | None:
    """The code with the declarations that hold these error lines blanked out; None when
    an error lies outside any declaration that can go alone (the file is dropped)."""
    data = code.encode("utf-8")
    root = parse_tree(data).root_node
    spans: dict[tuple[int, int], None] = {}
    for line in lines:
        node = _innermost(root, line)
        if node is None:
            return None
        spans[(node.start_byte, node.end_byte)] = None
    # Nested spans: keep the outermost.
    kept = [s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
    return _apply(data, [(a, b, _blank(data[a:b])) for a, b in kept]).decode("utf-8", "replace")
