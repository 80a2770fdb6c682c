"""Second looks at a judged file that mcs could not check through (pure; no compiler here).

mcs checks method bodies only when every declaration of the call is sound, and it cannot
parse C# newer than it knows. Two rewrites give it a file it can check, keeping every
line where it was, so that an error it then finds in a body can be told apart:

  * `drop_unparsable_bodies`: the bodies that hold C# mcs cannot parse (a local function,
    `case ... when`, a switch expression) become `throw null`; the other bodies are
    checked as written, and what is certain there is certain in the file.
  * `open_library_types`: the types mcs reported as unresolved (a library, a NuGet base
    class) are opened: their `using` directives blanked; where a type names them (a field,
    a property, a signature, a local, a generic argument, a cast) it becomes `dynamic`;
    an unresolved base is dropped, and a component whose base was unresolved derives
    from `Grasshopper.Kernel.GH_Component` instead (made `abstract`, keeping only the
    overrides GH_Component has). Errors that name or may follow from what was opened stay
    unknown (`Opened.touches`, used by compile.py, which counts only a wrong use of an
    SDK member inside a body).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter

from gh_ft.csharp.parse import parse_tree

STAND_IN = "Grasshopper.Kernel.GH_Component"
STAND_IN_CHAIN = ("GH_Component", "GH_ActiveObject", "GH_DocumentObject", "GH_InstanceDescription")
COMPONENT_OVERRIDES = ("SolveInstance", "RegisterInputParams", "RegisterOutputParams")
_QUOTED_RE = re.compile(r"`([^']*)'")
_DOTTED_RE = re.compile(r"[A-Za-z_][\w]*(?:\s*\.\s*[A-Za-z_]\w*)*")
_WORD_RE = re.compile(r"[A-Za-z_]\w*")
_BODIED = ("method_declaration", "constructor_declaration", "destructor_declaration", "operator_declaration",
           "conversion_operator_declaration", "accessor_declaration")
_TYPE_OWNERS = ("variable_declaration", "property_declaration", "indexer_declaration", "method_declaration",
                "delegate_declaration", "event_declaration", "parameter", "foreach_statement",
                "declaration_expression", "cast_expression", "local_function_statement", "as_expression")
_TYPE_NAMES = ("identifier", "qualified_name", "generic_name", "alias_qualified_name")


def _text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _blank(data: bytes) -> bytes:
    """Spaces for the text, its line breaks kept (so lines and, mostly, columns stay)."""
    return re.sub(rb"[^\n]", b" ", data)


def _apply(data: bytes, edits: dict[tuple[int, int], bytes]) -> bytes:
    spans = sorted(edits)
    # An edit inside another one is dropped: the outer one rewrites it already.
    kept = [s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
    for start, end in sorted(kept, reverse=True):
        data = data[:start] + edits[(start, end)] + data[end:]
    return data


# ---- C# newer than mcs, inside bodies ---------------------------------------------------

def _member_body(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The body (block or `=>` clause) of the member that holds `node`, outermost member first."""
    found = None
    n = node.parent
    while n is not None:
        if n.type in _BODIED or n.type in ("property_declaration", "indexer_declaration"):
            body = n.child_by_field_name("body")
            arrow = next((c for c in n.named_children if c.type == "arrow_expression_clause"), None)
            candidate = body if body is not None and body.type == "block" else arrow
            if candidate is not None and candidate.start_byte <= node.start_byte < candidate.end_byte:
                found = candidate
        n = n.parent
    return found


def drop_unparsable_bodies(code: str, feature_nodes: list[tree_sitter.Node]) -> str | None:
    """The code with every body that holds one of `feature_nodes` (C# mcs cannot parse)
    replaced by `throw null`, lines kept; None when one lies outside any body."""
    if not feature_nodes:
        return None
    data = code.encode("utf-8")
    edits: dict[tuple[int, int], bytes] = {}
    for node in feature_nodes:
        body = _member_body(node)
        if body is None:
            return None
        inner = data[body.start_byte:body.end_byte]
        new = (b"{ throw null; " + _blank(inner[1:-1]) + b"}") if body.type == "block" \
            else (b"=> throw null" + _blank(inner[len(b"=> throw null"):]) if len(inner) >= 13
                  else b"=> throw null")
        edits[(body.start_byte, body.end_byte)] = new
    return _apply(data, edits).decode("utf-8", "replace")


# ---- library types opened -----------------------------------------------------------------

def unresolved_names(errors: list) -> set[str]:
    """Names mcs could not resolve: `Lib` (CS0246, CS0400) or `Lib.Sub` (CS0234)."""
    out = set()
    for e in errors:
        names = _QUOTED_RE.findall(e.message)
        if e.code in ("CS0246", "CS0400") and names:
            out.add(names[0].split("<")[0].strip())
        elif e.code == "CS0234" and len(names) >= 2:
            out.add(f"{names[1]}.{names[0]}".split("<")[0])
    return {n for n in out if n}


def _path(text: str) -> str:
    return re.sub(r"\s+", "", text.split("<")[0]).removeprefix("global::")


def _names_unresolved(path: str, unresolved: set[str]) -> bool:
    head = path.split(".")[0]
    return any(path == n or path.startswith(n + ".") or head == n for n in unresolved)


@dataclass
class Opened:
    """A file with its unresolved library types opened, and what its errors must not touch."""
    code: str
    unresolved: frozenset[str]
    guard: frozenset[str] = frozenset()        # simple names: errors naming them stay unknown
    stand_in: bool = False                     # a component's unresolved base became GH_Component
    rewritten_lines: frozenset[int] = frozenset()   # 1-based lines where types were opened

    def touches(self, message: str, line_text: str, member_of_stand_in=None) -> bool:
        """Whether an error (its message and related messages, its line) may come from what
        was opened: it names an opened or rewritten type, or, in a class that got the stand-in
        base, its line uses an inherited member through `this`."""
        for dotted in _DOTTED_RE.findall(message):
            parts = [p.strip() for p in dotted.split(".")]
            if any(p in self.guard or p in self.unresolved for p in parts):
                return True
            if _names_unresolved(".".join(parts), set(self.unresolved)):
                return True
        for dotted in _DOTTED_RE.findall(line_text):
            if _names_unresolved(re.sub(r"\s+", "", dotted), set(self.unresolved)):
                return True
        if self.stand_in and member_of_stand_in is not None:
            for m in re.finditer(r"(?<![\w.])(?:(?:this|base)\s*\.\s*)?([A-Za-z_]\w*)", line_text):
                if member_of_stand_in(m.group(1)):
                    return True
        return False


def open_library_types(code: str, errors: list, known_unresolved: frozenset[str] = frozenset(),
                       is_stand_in_member=None, is_stand_in_type=None, tree: tree_sitter.Tree | None = None
                       ) -> Opened | None:
    """The code with the unresolved names of `errors` (and `known_unresolved`) opened (module
    docstring); None when nothing was unresolved or nothing changed.
    `is_stand_in_member(name)`: GH_Component (or a base) has a member of that name, whose
    override is kept; `is_stand_in_type(name)`: a type nested in GH_Component's chain (such
    a name resolves again once the stand-in base is in). Only the places where an
    unresolved name occurs are visited (found by their text, placed by the syntax tree)."""
    unresolved = set(known_unresolved) | unresolved_names(errors)
    if not unresolved:
        return None
    data = code.encode("utf-8")
    root = (tree or parse_tree(data)).root_node
    edits: dict[tuple[int, int], bytes] = {}
    guard: set[str] = set()
    stand_in = False

    # using directives (an alias of a library type is then unresolved itself)
    seen_usings: set[int] = set()
    todo = set(unresolved)
    while todo:
        places = _occurrences(data, root, todo)
        todo = set()
        for node in places:
            if node.parent is not None and node.parent.type == "using_directive" \
                    and node.parent.start_byte not in seen_usings:
                using = node.parent
                if node == using.child_by_field_name("name"):
                    continue
                seen_usings.add(using.start_byte)
                edits[(using.start_byte, using.end_byte)] = _blank(data[using.start_byte:using.end_byte])
                alias = using.child_by_field_name("name")
                if alias is not None and _text(alias) not in unresolved:
                    unresolved.add(_text(alias))
                    todo.add(_text(alias))
    places = _occurrences(data, root, unresolved)

    # base lists
    classes = {}
    for node in places:
        owner = node.parent
        while owner is not None and owner.type in ("type_argument_list", "generic_name", "qualified_name"):
            owner = owner.parent
        if owner is not None and owner.type == "base_list" and owner.parent is not None:
            classes[owner.parent.start_byte] = owner.parent
    for cls in classes.values():
        bases = next((b for b in cls.named_children if b.type == "base_list"), None)
        entries = bases.named_children
        gone = [e for e in entries if _mentions_unresolved(e, unresolved)]
        if not gone:
            continue
        guard.add(_text(cls.child_by_field_name("name")))
        body = cls.child_by_field_name("body")
        members = list(body.named_children) if body is not None else []
        component = cls.type == "class_declaration" and entries[0] in gone and any(
            m.type == "method_declaration" and _text(m.child_by_field_name("name")) in COMPONENT_OVERRIDES
            and _has_modifier(m, "override") for m in members)
        kept = [_text(e) for e in entries if e not in gone]
        if component:
            kept.insert(0, STAND_IN)
            stand_in = True
            for mod in cls.children:
                if mod.type == "modifier" and _text(mod) in ("sealed", "static"):
                    edits[(mod.start_byte, mod.end_byte)] = _blank(data[mod.start_byte:mod.end_byte])
            keyword = next((c for c in cls.children if c.type == "class"), None)
            if keyword is not None and not _has_modifier(cls, "abstract"):
                edits[(keyword.start_byte, keyword.start_byte)] = b"abstract "
        original = data[bases.start_byte:bases.end_byte]
        new = (": " + ", ".join(kept)).encode("utf-8") if kept else b""
        edits[(bases.start_byte, bases.end_byte)] = new + b"\n" * original.count(b"\n")
        for m in members:
            if not _has_modifier(m, "override"):
                continue
            if component and is_stand_in_member is not None and is_stand_in_member(_text(m.child_by_field_name("name"))):
                continue
            for mod in m.children:
                if mod.type == "modifier" and _text(mod) in ("override", "sealed"):
                    edits[(mod.start_byte, mod.end_byte)] = _blank(data[mod.start_byte:mod.end_byte])
    guard |= _derived_from(root, guard)
    if stand_in and is_stand_in_type is not None:
        unresolved = {n for n in unresolved if not is_stand_in_type(n)}
        places = [p for p in places if _names_unresolved(_path(_text(p)), unresolved)]
        guard |= set(STAND_IN_CHAIN)

    # attributes, and the types that name them: `dynamic`
    lines: set[int] = set()
    for node in places:
        parent = node.parent
        if parent is None:
            continue
        if parent.type == "attribute" and node == parent.child_by_field_name("name") and parent.parent is not None:
            attrs = parent.parent
            edits[(attrs.start_byte, attrs.end_byte)] = _blank(data[attrs.start_byte:attrs.end_byte])
            continue
        if _inside(node, ("base_list", "typeof_expression", "using_directive")):
            continue
        target = node
        if parent.type == "nullable_type":
            target, parent = parent, parent.parent
            if parent is None:
                continue
        if parent.type in ("type_argument_list", "array_type") or (
                parent.type in _TYPE_OWNERS and _field_of(parent, target) in ("type", "returns")):
            edits[(target.start_byte, target.end_byte)] = b"dynamic"
            lines.add(target.start_point[0] + 1)
    if not edits:
        return None
    new_code = _apply(data, edits).decode("utf-8", "replace")
    if new_code == code:
        return None
    return Opened(new_code, frozenset(unresolved), frozenset(guard), stand_in, frozenset(lines))


_BASES_QUERY: list[tree_sitter.Query] = []


def _derived_from(root: tree_sitter.Node, names: set[str]) -> set[str]:
    """The file's classes that derive, directly or through each other, from one of `names`
    (they lost what those lost)."""
    if not names:
        return set()
    if not _BASES_QUERY:
        from gh_ft.csharp.parse import _LANGUAGE
        _BASES_QUERY.append(tree_sitter.Query(_LANGUAGE, "[(class_declaration name: (identifier) @name (base_list) @bases)"
                                                         " (struct_declaration name: (identifier) @name (base_list) @bases)"
                                                         " (interface_declaration name: (identifier) @name"
                                                         " (base_list) @bases)]"))
    q = _BASES_QUERY[0]
    matches = tree_sitter.QueryCursor(q).matches(root) if hasattr(tree_sitter, "QueryCursor") else q.matches(root)
    bases = [(_text(m[1]["name"][0]), set(_WORD_RE.findall(_text(m[1]["bases"][0])))) for m in matches
             if m[1].get("name") and m[1].get("bases")]
    found = set(names)
    grew = True
    while grew:
        grew = False
        for name, words in bases:
            if name not in found and words & found:
                found.add(name)
                grew = True
    return found - set(names)


def _occurrences(data: bytes, root: tree_sitter.Node, names: set[str]) -> list[tree_sitter.Node]:
    """The type-name nodes (identifier, qualified or generic name, outermost) where one of
    `names` is named: found by the text of their first part, placed by the tree."""
    heads = sorted({n.split(".")[0] for n in names if n})
    if not heads:
        return []
    pattern = re.compile(rb"(?<![\w.])(?:global::)?(" + b"|".join(re.escape(h.encode()) for h in heads) + rb")(?!\w)")
    out: dict[tuple[int, int], tree_sitter.Node] = {}
    for m in pattern.finditer(data):
        node = root.named_descendant_for_byte_range(m.start(1), m.end(1))
        if node is None or node.type != "identifier":
            continue
        while node.parent is not None and node.parent.type in ("qualified_name", "alias_qualified_name", "generic_name") \
                and node.parent.start_byte == node.start_byte:
            node = node.parent
        if node.type in _TYPE_NAMES and _names_unresolved(_path(_text(node)), names):
            out[(node.start_byte, node.end_byte)] = node
    return list(out.values())


def _field_of(parent: tree_sitter.Node, child: tree_sitter.Node) -> str | None:
    for i, c in enumerate(parent.children):
        if c.start_byte == child.start_byte and c.end_byte == child.end_byte and c.type == child.type:
            return parent.field_name_for_child(i)
    return None


def _inside(node: tree_sitter.Node, types: tuple[str, ...]) -> bool:
    n = node.parent
    while n is not None:
        if n.type in types:
            return True
        n = n.parent
    return False


def _has_modifier(node: tree_sitter.Node, word: str) -> bool:
    return any(c.type == "modifier" and _text(c) == word for c in node.children)


def _mentions_unresolved(node: tree_sitter.Node | None, unresolved: set[str]) -> bool:
    if node is None:
        return False
    if node.type in _TYPE_NAMES and _names_unresolved(_path(_text(node)), unresolved):
        return True
    return any(_mentions_unresolved(c, unresolved) for c in node.named_children
               if c.type in (*_TYPE_NAMES, "type_argument_list", "array_type", "nullable_type", "tuple_type",
                             "tuple_element"))
