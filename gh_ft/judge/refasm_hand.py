"""What the hand-kept C# of the reference assembly (data/grasshopper_core.cs) declares.

The generated stub code and the hand-kept code are parts of the same partial types; the
hand-kept part wins: a member name it declares is not generated from the stubs, a base
class it names replaces the stubs' one, and a generic type it declares (GH_Structure<T>)
replaces the stubs' erased, non-generic one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import tree_sitter

from gh_ft.csharp.parse import parse_tree

_TYPES = {"class_declaration": "class", "struct_declaration": "struct", "interface_declaration": "interface",
          "enum_declaration": "enum", "delegate_declaration": "delegate"}


@dataclass
class HandType:
    full: str
    kind: str
    type_params: str                  # '<T>' as written, '' if not generic
    bases: list[str]
    members: set[str] = field(default_factory=set)  # member names; '<ctor>' for constructors


@dataclass
class HandTypes:
    types: dict[str, HandType]

    def declares(self, full: str) -> bool:
        return full in self.types

    def skips_stub(self, full: str) -> bool:
        """The stubs' own version of this type is not generated at all."""
        t = self.types.get(full)
        return t is not None and (bool(t.type_params) or t.kind in ("enum", "delegate"))


def _text(node: tree_sitter.Node | None) -> str:
    return node.text.decode() if node is not None and node.text is not None else ""


def read_hand_types(source: str) -> HandTypes:
    tree = parse_tree(source)
    if tree.root_node.has_error:
        raise ValueError("data/grasshopper_core.cs does not parse")
    found: dict[str, HandType] = {}

    def walk(node: tree_sitter.Node, ns: str, outer: str) -> None:
        for child in node.named_children:
            t = child.type
            if t in ("namespace_declaration", "file_scoped_namespace_declaration"):
                name = _text(child.child_by_field_name("name"))
                body = child.child_by_field_name("body")
                if body is not None:
                    walk(body, f"{ns}.{name}" if ns else name, "")
            elif t in _TYPES:
                add(child, ns, outer)

    def add(node: tree_sitter.Node, ns: str, outer: str) -> None:
        name = _text(node.child_by_field_name("name"))
        prefix = outer or ns
        full = f"{prefix}.{name}" if prefix else name
        tparams = next((c for c in node.named_children if c.type == "type_parameter_list"), None)
        base_list = next((c for c in node.named_children if c.type == "base_list"), None)
        bases = [_text(b) for b in base_list.named_children] if base_list is not None else []
        ht = found.setdefault(full, HandType(full, _TYPES[node.type], _text(tparams), bases))
        if bases and not ht.bases:
            ht.bases = bases
        body = node.child_by_field_name("body")
        for m in body.named_children if body is not None else []:
            mt = m.type
            if mt in _TYPES:
                ht.members.add(_text(m.child_by_field_name("name")))
                add(m, ns, full)
            elif mt == "constructor_declaration":
                ht.members.add("<ctor>")
            elif mt in ("method_declaration", "property_declaration", "event_declaration"):
                ht.members.add(_text(m.child_by_field_name("name")))
            elif mt == "indexer_declaration":
                ht.members.add("<indexer>")
            elif mt in ("field_declaration", "event_field_declaration"):
                decl = next((c for c in m.named_children if c.type == "variable_declaration"), None)
                for d in decl.named_children if decl is not None else []:
                    if d.type == "variable_declarator":
                        ht.members.add(_text(d.child_by_field_name("name")))

    walk(tree.root_node, "", "")
    return HandTypes(found)
