"""One judged file, made ready for a shared mcs call (pure; no compiler here).

Many files go to one compiler call, and two of them may declare the same class (every
model answer is `DivideCurveComponent`), or one may name a class another declares. No
wrapper namespace is put around a file (it would change name lookup: `namespace P`
becoming `GhFtU1.P` hides `P.Properties.Resources`); instead files that would meet are
put in different calls (`conflicts`): a file declares a type another declares, or uses a
word another declares as a type. A file that changes the whole compilation (`#define`,
assembly attributes, `extern alias`) is compiled alone.

Also here: the scan for C# newer than mcs understands (mcs 6.x parses C# 7.x without
local functions, `case ... when` and type patterns in `case` labels), so such files are
"unknown" with the feature named, and the facts about the file's classes that the error
classifier needs.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import tree_sitter

from gh_ft.csharp.parse import parse_tree

WRAP_PREFIX = "GhFtU"
SDK_ROOTS = ("Rhino", "Grasshopper", "GH_IO", "System", "Microsoft", "GhFtRef", "Eto")

# node type -> the feature, for C# that mcs (C# 7.x, partly) cannot parse.
_FEATURE_NODES = {
    "switch_expression": "a switch expression (C# 8)",
    "negated_pattern": "a `not` pattern (C# 9)",
    "and_pattern": "an `and` pattern (C# 9)",
    "or_pattern": "an `or` pattern (C# 9)",
    "relational_pattern": "a relational pattern (C# 9)",
    "parenthesized_pattern": "a parenthesized pattern (C# 9)",
    "recursive_pattern": "a property or positional pattern (C# 8)",
    "list_pattern": "a list pattern (C# 11)",
    "record_declaration": "a record (C# 9)",
    "implicit_object_creation_expression": "target-typed `new()` (C# 9)",
    "range_expression": "a range `a..b` (C# 8)",
    "with_expression": "a `with` expression (C# 9)",
    "file_scoped_namespace_declaration": "a file-scoped namespace (C# 10)",
    "raw_string_literal": "a raw string literal (C# 11)",
    "collection_expression": "a collection expression (C# 12)",
    "function_pointer_type": "a function pointer (C# 9)",
    "scoped_type": "`scoped` (C# 11)",
    "preproc_nullable": "`#nullable` (C# 8)",
    "local_function_statement": "a local function (C# 7, which mcs does not implement)",
}
_QUERY_SOURCE = "\n".join(f"({t}) @{t}" for t in _FEATURE_NODES) + """
(switch_section (when_clause) @case_guard)
(switch_section [(declaration_pattern) (type_pattern) (var_pattern)] @case_type_pattern)
(prefix_unary_expression "^" @index_from_end)
(accessor_declaration "init" @init_accessor)
(assignment_expression operator: "??=" @null_assign)
(local_declaration_statement "using" @using_declaration)
(using_directive "global" @global_using)
(interpolation_start) @interpolation_start
(foreach_statement left: (tuple_pattern) @foreach_deconstruction)
(class_declaration (parameter_list) @primary_constructor)
(struct_declaration (parameter_list) @primary_constructor)
(lambda_expression (modifier) @static_lambda)
(nullable_type type: (predefined_type) @nullable_reference)
(using_directive) @using
(namespace_declaration name: (_) @namespace)
(preproc_define) @define
(preproc_undef) @define
(extern_alias_directive) @define
(global_attribute) @define
(alias_qualified_name) @global_ref
[(comment) (string_literal) (verbatim_string_literal) (character_literal) (string_content)] @noise
"""
_MORE_FEATURES = {
    "case_guard": "a `case ... when` guard (C# 7, which mcs does not implement)",
    "case_type_pattern": "a type pattern in a `case` label (C# 7, which mcs does not implement)",
    "index_from_end": "an index from the end `^i` (C# 8)",
    "init_accessor": "an `init` accessor (C# 9)",
    "null_assign": "`??=` (C# 8)",
    "using_declaration": "a `using` declaration (C# 8)",
    "global_using": "`global using` (C# 10)",
    "foreach_deconstruction": "deconstruction in `foreach` (not implemented by mcs)",
    "primary_constructor": "a primary constructor (C# 12)",
    "static_lambda": "a `static` lambda (C# 9)",
    "nullable_reference": "a nullable reference type (C# 8)",
}
_query_cache: list[tree_sitter.Query] = []


def _query() -> tree_sitter.Query:
    if not _query_cache:
        from gh_ft.csharp.parse import _LANGUAGE
        _query_cache.append(tree_sitter.Query(_LANGUAGE, _QUERY_SOURCE))
    return _query_cache[0]


def _captures(root: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    q = _query()
    if hasattr(tree_sitter, "QueryCursor"):
        return tree_sitter.QueryCursor(q).captures(root)
    return q.captures(root)


def _text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


@dataclass
class ClassInfo:
    """What the error classifier needs about one class of the file."""
    name: str
    full: str                 # with the file's namespaces, without the wrapper
    first_line: int
    last_line: int
    base: str | None          # the first base as written (may be an interface)
    partial: bool
    usings: tuple[str, ...] = ()  # the file's using directives, for resolving `base`


@dataclass
class Unit:
    index: int
    code: str
    features: list[str]                 # newer C# than mcs: the file is "unknown"
    alone: bool                         # compile in a call of its own, unwrapped
    namespace: str                      # the wrapper namespace ('' when alone)
    usings: list[str]
    declared_namespaces: set[str]
    classes: list[ClassInfo] = field(default_factory=list)
    global_edits: list[int] = field(default_factory=list)   # unused since files are no longer wrapped
    words: frozenset[str] = frozenset()          # every identifier-like word of the code
    declared_types: frozenset[str] = frozenset()  # simple names of the types the file declares
    body_lines: tuple[tuple[int, int], ...] = ()  # 1-based lines strictly inside member bodies
    feature_nodes: tuple = ()                     # where the newer C# is (tree-sitter nodes)
    tree: object = field(default=None, repr=False, compare=False)   # the code's syntax tree
    type_namespaces: dict = field(default_factory=dict)   # declared type -> the namespaces it is declared in
    type_words: frozenset[str] = frozenset()      # the words that start a name (`_words`)
    qualified_words: dict = field(default_factory=dict)   # a later part of a dotted name -> its qualifiers

    def in_body(self, line: int) -> bool:
        return any(a < line < b for a, b in self.body_lines)

    def conflicts(self, other: "Unit") -> bool:
        """Whether the two files must not share an mcs call: one declares a type the other
        declares or names, in a namespace the other can see it from (its own namespace or
        one enclosing it, a `using`, or a namespace whose last word it writes: a qualified
        name). Types in namespaces the other cannot reach do not meet."""
        return self._meets(other) or other._meets(self)

    def _meets(self, other: "Unit") -> bool:
        # A member after a lowercase name (`res.Results`) names no type, unless that name is
        # a namespace or an alias: then every word counts.
        lowercase_ns = self._lowercase_namespace or other._aliases or not other.type_words
        if lowercase_ns or not self.type_namespaces:
            shared = self.declared_types & (other.declared_types | other.words)
            return bool(shared) and (not self.type_namespaces or any(
                other.sees(ns) for name in shared for ns in self.type_namespaces.get(name, ("",))))
        for name in self.declared_types:
            spaces = self.type_namespaces.get(name, ("",))
            if name in other.declared_types or name in other.type_words:
                if any(other.sees(ns) for ns in spaces):
                    return True
            # `A.B.Name` reaches this file's Name only where `A.B` is its namespace, or the end of it
            # (a name qualified from an enclosing namespace), or a type of this file (nested)
            for q in other.qualified_words.get(name, ()):
                if any(ns == q or ns.endswith("." + q) for ns in spaces) or q.split(".")[-1] in self.declared_types:
                    return True
        return False

    @functools.cached_property
    def _lowercase_namespace(self) -> bool:
        return any(ns[:1].islower() for names in self.type_namespaces.values() for ns in names)

    @functools.cached_property
    def _aliases(self) -> bool:
        return any("=" in u for u in self.usings)

    def sees(self, namespace: str) -> bool:
        """Whether this file's code can name a type of `namespace` by a simple or partly
        qualified name."""
        if not namespace or namespace in self.declared_namespaces:
            return True
        if any(u.split("=", 1)[-1].strip().removeprefix("static ").strip().startswith(namespace)
               for u in self.usings):
            return True
        return namespace.rsplit(".", 1)[-1] in self.words

    @property
    def file_name(self) -> str:
        return f"u{self.index:05d}.cs"

    def class_at(self, line: int) -> ClassInfo | None:
        inside = [c for c in self.classes if c.first_line <= line <= c.last_line]
        return max(inside, key=lambda c: c.first_line) if inside else None

    def class_named(self, name: str) -> ClassInfo | None:
        simple = name.rsplit(".", 1)[-1].split("<")[0]
        return next((c for c in self.classes if c.name == simple), None)

    def strip(self, text: str) -> str:
        """Drop the wrapper namespace from names in mcs messages."""
        return text.replace(self.namespace + ".", "") if self.namespace else text


def prepare_unit(index: int, code: str, tree: tree_sitter.Tree | None = None) -> Unit:
    tree = tree or parse_tree(code)
    caps = _captures(tree.root_node)
    features = []
    at: list[tree_sitter.Node] = []
    for name, nodes in caps.items():
        if name in _FEATURE_NODES:
            features.append(_FEATURE_NODES[name])
            at += nodes
        elif name in _MORE_FEATURES:
            if name == "nullable_reference":
                nodes = [n for n in nodes if _text(n) in ("string", "object")]
                if not nodes:
                    continue
            features.append(_MORE_FEATURES[name])
            at += nodes
        elif name == "interpolation_start" and any(_text(n).startswith("@") for n in nodes):
            features.append("an `@$` interpolated verbatim string (C# 8)")
            at += [n for n in nodes if _text(n).startswith("@")]
    usings = [n for n in caps.get("using", []) if n.parent is not None and n.parent.type in
              ("compilation_unit", "declaration_list", "namespace_declaration")]
    declared = set()
    for n in caps.get("namespace", []):
        parts = _namespace_of(n.parent) if n.parent is not None else []
        full = ".".join(parts)
        declared.update(".".join(full.split(".")[:i]) for i in range(1, full.count(".") + 2))
    alone = bool(caps.get("define"))
    classes = _classes(tree.root_node)
    edits = []
    own = declared | {c.full for c in classes}
    for n in usings:
        target = next((c for c in n.named_children if c.type in ("identifier", "qualified_name", "generic_name")
                       and c != n.child_by_field_name("name")), None)
        if target is not None and re.sub(r"\s+", "", _text(target)) not in own:
            edits.append(target.start_byte)  # what this very file declares lives inside the wrapper too
    using_texts = [_using_text(n) for n in usings]
    for c in classes:
        c.usings = tuple(using_texts)
    type_namespaces: dict[str, set[str]] = {}
    for n in _walk_types(tree.root_node):
        name = _text(n.child_by_field_name("name"))
        if name:
            type_namespaces.setdefault(name, set()).add(".".join(_namespace_of(n)))
    words, type_words, qualified = _words(code, caps.get("noise", []))
    return Unit(index, code, sorted(set(features)), alone, "", using_texts, declared, classes, edits,
                words, frozenset(type_namespaces), _clean_body_lines(code, tree),
                tuple(at), tree, {k: tuple(sorted(v)) for k, v in type_namespaces.items()}, type_words, qualified)


_WORD_RE = re.compile(r"[A-Za-z_]\w*")


def _words(code: str, comments: list[tree_sitter.Node]) -> tuple[frozenset[str], frozenset[str], dict]:
    """(every identifier-like word of the code outside comments and the text of strings (an
    interpolation's code is kept); the words that start a name, which can name a type by
    itself; each later part of a dotted name that starts with a capital, with what
    qualifies it (`OSGeo.OSR` for `OSGeo.OSR.CoordinateTransformation`): a member after a
    lowercase name (`res.Results`, `this.Name`) names no type), read from the syntax tree
    rather than a lexer pass."""
    text = code
    if comments:
        data = code.encode("utf-8")
        parts, last = [], 0
        for n in sorted(comments, key=lambda n: n.start_byte):
            if n.start_byte >= last:
                parts.append(data[last:n.start_byte])
                last = n.end_byte
        parts.append(data[last:])
        text = b" ".join(parts).decode("utf-8", "replace")
    words = frozenset(_WORD_RE.findall(text))
    text = _DOT_SPACE_RE.sub(".", text)
    heads = frozenset(_HEAD_RE.findall(text))
    qualified: dict[str, set[str]] = {}
    for chain in set(_UPPER_CHAIN_RE.findall(text)):
        names = chain.split(".")
        for i in range(1, len(names)):
            qualified.setdefault(names[i], set()).add(".".join(names[:i]))
    return words, heads, {k: frozenset(v) for k, v in qualified.items()}


_DOT_SPACE_RE = re.compile(r"\s*\.\s*")
_HEAD_RE = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
_UPPER_CHAIN_RE = re.compile(r"(?<![\w.])[A-Z_]\w*(?:\.[A-Za-z_]\w*)+")


# tree-sitter reads `async`/`await` as keywords where C# allows them as names (ladder.py): such
# uses are renamed (same length) before the bodies are located.
_CONTEXTUAL_AS_NAME_RE = re.compile(r"\b(async|await)\b(?=\s*[);,.\]=?:])")


def _clean_body_lines(code: str, tree: tree_sitter.Tree) -> tuple[tuple[int, int], ...]:
    """The body spans, read from a tree without errors: where the parser recovered from an
    error, a span may reach over declarations (and an error there would be taken for one
    in a body, as if mcs had reached the bodies). No clean tree: no spans (nothing is
    claimed to lie in a body)."""
    if tree.root_node.has_error:
        renamed = _CONTEXTUAL_AS_NAME_RE.sub(lambda m: m.group(1)[:-1] + "_", code)
        tree = parse_tree(renamed) if renamed != code else tree
        if tree.root_node.has_error:
            return ()
    return tuple(_body_lines(tree.root_node))


_MEMBERS_WITH_BODIES = ("method_declaration", "constructor_declaration", "accessor_declaration",
                        "operator_declaration", "destructor_declaration", "conversion_operator_declaration")


def _body_lines(root: tree_sitter.Node) -> list[tuple[int, int]]:
    out = []
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type in _MEMBERS_WITH_BODIES:
            body = n.child_by_field_name("body")
            if body is not None and body.type == "block":
                out.append((body.start_point[0] + 1, body.end_point[0] + 1))
            continue
        stack.extend(n.named_children)
    return out


def _walk_types(root: tree_sitter.Node):
    stack = [root]
    while stack:
        n = stack.pop()
        # Types at namespace level only: a nested type is named through its outer one.
        if n.type in ("enum_declaration", "delegate_declaration", "record_declaration", "class_declaration",
                      "struct_declaration", "interface_declaration"):
            yield n
        elif n.type in ("compilation_unit", "namespace_declaration", "declaration_list",
                        "file_scoped_namespace_declaration"):
            stack.extend(n.named_children)


def _namespace_of(node: tree_sitter.Node) -> list[str]:
    parts: list[str] = []
    n: tree_sitter.Node | None = node
    while n is not None:
        if n.type == "namespace_declaration":
            parts.insert(0, _text(n.child_by_field_name("name")))
        n = n.parent
    return parts


def _using_text(node: tree_sitter.Node) -> str:
    text = re.sub(r"\s+", " ", _text(node)).strip().rstrip(";")
    return re.sub(r"^using\s+", "", text)


def _classes(root: tree_sitter.Node) -> list[ClassInfo]:
    out: list[ClassInfo] = []
    stack = [(root, "")]
    while stack:
        node, prefix = stack.pop()
        for c in node.named_children:
            if c.type == "namespace_declaration":
                name = _text(c.child_by_field_name("name"))
                body = c.child_by_field_name("body")
                if body is not None:
                    stack.append((body, f"{prefix}.{name}" if prefix else name))
            elif c.type in ("class_declaration", "struct_declaration", "interface_declaration"):
                name = _text(c.child_by_field_name("name"))
                full = f"{prefix}.{name}" if prefix else name
                bases = next((b for b in c.named_children if b.type == "base_list"), None)
                first = _text(bases.named_children[0]) if bases is not None and bases.named_children else None
                partial = any(_text(m) == "partial" for m in c.children if m.type == "modifier")
                out.append(ClassInfo(name, full, c.start_point[0] + 1, c.end_point[0] + 1, first, partial))
                body = c.child_by_field_name("body")
                if body is not None:
                    stack.append((body, full))
            elif c.type in ("declaration_list",):
                stack.append((c, prefix))
    return out


def wrap_unit(unit: Unit, external_namespaces: set[str] = frozenset()) -> str:
    """The text handed to mcs: the file as it is (see the module docstring for why no wrapper)."""
    return unit.code
