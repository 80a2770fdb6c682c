"""API surface check: are the SDK types and members a component uses real?

Why: generated Grasshopper code compiles in the model's head only; its commonest
failure is an invented member (`curve.MagicCentroid()`, `pManager.AddCurveParam`,
`GH_ParamAccess.items`). Without the SDK assemblies we cannot compile, but we can resolve
names against the index of RhinoCommon/Grasshopper (api_index) with simple, local type
inference: declared types of locals/fields/parameters, `var x = new T()`, return and
property types one member at a time, and the component's inherited members.

The check is conservative by design. A name is *invented* (verdict "fail") only when
the type it hangs off is known with a closed member list, or a qualified type name
points into an SDK namespace that lacks it, or an SDK-looking simple name (GH_, Param_)
is used while only SDK/System namespaces are imported. Everything the index cannot see
(the user's own or third-party types, partial classes, unknown expression types) is
"unresolved" and never fails the code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import tree_sitter

from ..csharp.parse import parse_tree
from .api_index import SEQ, ApiIndex, Ty, load_api_index, parse_type, strip_type_name
from .component_api import BCL_TYPES, ENUM_MEMBERS, KEYWORD_TYPES, LINQ_METHODS, LINQ_RETURNS, OBJECT_MEMBERS

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
_SDK_PREFIX_RE = re.compile(r"^(GH_|IGH_|Param_)[A-Za-z0-9]")
_SEQ_MEMBERS = frozenset(BCL_TYPES["System.Collections.Generic.List"]["members"] +
                         BCL_TYPES["System.Array"]["members"] + BCL_TYPES["System.Array"]["static"])
_SEQ_MEMBERS = frozenset(m.split(":")[0] for m in _SEQ_MEMBERS)
_TYPE_FIELDS = ("type", "returns")
_ELEMENT_LAMBDAS = (LINQ_METHODS - {"Aggregate", "Zip", "Join", "GroupJoin"}) | {
    "ForEach", "Find", "FindAll", "FindIndex", "FindLast", "FindLastIndex", "Exists", "TrueForAll", "RemoveAll",
    "ConvertAll", "Sort", "RemoveWhere"}
_NULLABLE = "System.Nullable"
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


# ---- declarations in the code: the user's own types, locals, usings -------------------

_TYPE_DECLS = ("class_declaration", "struct_declaration", "interface_declaration", "record_declaration",
               "record_struct_declaration", "enum_declaration", "delegate_declaration")
_NAME_TYPES = ("identifier", "qualified_name", "generic_name", "alias_qualified_name")


def node_text(node: tree_sitter.Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _key(node: tree_sitter.Node) -> tuple[int, int, str]:
    return node.start_byte, node.end_byte, node.type


@dataclass
class UserType:
    """A type declared in the checked code (or a context file)."""
    full: str
    simple: str
    namespace: str
    kind: str
    bases: list[tree_sitter.Node]
    members: dict[str, tree_sitter.Node | None]   # name -> declared type node (None: none/unknown)
    nested: set[str]
    usings: list[str]
    partial: bool
    outer: "UserType | None"
    enum_values: set[str] = field(default_factory=set)


def _using_text(node: tree_sitter.Node) -> str:
    alias = node.child_by_field_name("name")
    target = [c for c in node.named_children if c != alias and c.type in _NAME_TYPES]
    text = node_text(target[-1]) if target else ""
    if alias is not None:
        return f"{node_text(alias)} = {text}"
    return f"static {text}" if any(c.type == "static" for c in node.children) else text


def _var_declarators(decl: tree_sitter.Node) -> Iterator[tuple[tree_sitter.Node | None, tree_sitter.Node | None]]:
    """(name identifier, initializer) of each declarator in a variable_declaration."""
    for d in decl.named_children:
        if d.type == "variable_declarator":
            name = d.child_by_field_name("name")
            rest = [c for c in d.named_children if c != name and c.type not in ("bracketed_argument_list", "tuple_pattern")]
            yield name, (rest[-1] if rest and name is not None else None)


class Scope:
    """Everything name resolution needs from the code: its types, usings, locals."""

    def __init__(self, index: ApiIndex):
        self.index = index
        self.user_types: dict[str, UserType] = {}
        self.by_simple: dict[str, list[UserType]] = {}
        self.type_params: set[str] = set()
        self.extension_methods: set[str] = set()
        self.method_names: set[str] = set()
        self.declared_names: set[str] = set()  # every local, parameter and member name in the files
        self.declared_namespaces: set[str] = set()
        self.usings: list[str] = []
        self.file_ns = ""
        self._decl_nodes: dict[tuple, UserType] = {}
        self._locals: dict[tuple, dict[str, list[tuple[str, tree_sitter.Node | None]]]] = {}
        self._local_memo: dict[tuple, Ty | None] = {}
        self._chains: dict[str, tuple[list[UserType], Ty | None, bool]] = {}

    @property
    def uses_linq(self) -> bool:
        return "System.Linq" in self.usings

    # ---- collection -----------------------------------------------------------------

    def collect(self, root: tree_sitter.Node, primary: bool) -> None:
        usings: list[str] = []
        self._walk_decls(root, "", None, usings, primary)
        self.declared_names |= set(_collect_locals(root))
        if primary:
            self.usings = usings
        stack = [root]
        while stack:
            n = stack.pop()
            if n.type == "type_parameter":
                self.type_params.add(node_text(n.child_by_field_name("name")))
            elif n.type in ("method_declaration", "local_function_statement"):
                self.method_names.add(node_text(n.child_by_field_name("name")))
                params = n.child_by_field_name("parameters")
                first = params.named_children[0] if params is not None and params.named_children else None
                if first is not None and any(node_text(c) == "this" for c in first.children if c.type == "modifier"):
                    self.extension_methods.add(node_text(n.child_by_field_name("name")))
            stack.extend(n.children)

    def _walk_decls(self, node: tree_sitter.Node, ns: str, outer: UserType | None, usings: list[str],
                    primary: bool) -> None:
        for child in node.named_children:
            t = child.type
            if t == "using_directive":
                usings.append(_using_text(child))
            elif t in ("namespace_declaration", "file_scoped_namespace_declaration"):
                name = node_text(child.child_by_field_name("name"))
                inner = f"{ns}.{name}" if ns else name
                parts = inner.split(".")
                self.declared_namespaces.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
                if t == "file_scoped_namespace_declaration":
                    ns = inner  # applies to the following siblings
                    if primary:
                        self.file_ns = inner
                else:
                    body = child.child_by_field_name("body")
                    if body is not None:
                        self._walk_decls(body, inner, None, usings, primary)
            elif t in _TYPE_DECLS:
                self._add_type(child, ns, outer, usings, primary)

    def _add_type(self, node: tree_sitter.Node, ns: str, outer: UserType | None, usings: list[str],
                  primary: bool) -> None:
        simple = node_text(node.child_by_field_name("name"))
        full = f"{outer.full}.{simple}" if outer else (f"{ns}.{simple}" if ns else simple)
        base_list = next((c for c in node.named_children if c.type == "base_list"), None)
        bases = []
        for b in base_list.named_children if base_list is not None else []:
            bases.append(b.child_by_field_name("type") if b.type == "primary_constructor_base_type" else b)
        partial = any(node_text(c) == "partial" for c in node.children if c.type == "modifier")
        u = UserType(full, simple, ns, node.type.replace("_declaration", ""), [b for b in bases if b is not None],
                     {}, set(), usings, partial, outer)
        self.user_types[full] = u
        self.by_simple.setdefault(simple, []).append(u)
        if primary:
            self._decl_nodes[_key(node)] = u
        if outer is not None:
            outer.members[simple] = None
            outer.nested.add(simple)
        for params in (c for c in node.named_children if c.type == "parameter_list"):  # records, primary ctors
            for p in params.named_children:
                u.members[node_text(p.child_by_field_name("name"))] = p.child_by_field_name("type")
        body = node.child_by_field_name("body")
        for m in body.named_children if body is not None else []:
            mt = m.type
            if mt in ("field_declaration", "event_field_declaration"):
                decl = next((c for c in m.named_children if c.type == "variable_declaration"), None)
                if decl is not None:
                    for name, _ in _var_declarators(decl):
                        u.members[node_text(name)] = decl.child_by_field_name("type")
            elif mt in ("property_declaration", "event_declaration"):
                u.members[node_text(m.child_by_field_name("name"))] = m.child_by_field_name("type")
            elif mt == "method_declaration":
                u.members[node_text(m.child_by_field_name("name"))] = m.child_by_field_name("returns")
            elif mt == "enum_member_declaration":
                u.enum_values.add(node_text(m.child_by_field_name("name")))
            elif mt in _TYPE_DECLS:
                self._add_type(m, ns, u, usings, primary)

    # ---- context of a node ----------------------------------------------------------

    def enclosing_type(self, node: tree_sitter.Node) -> UserType | None:
        n = node.parent
        while n is not None:
            if n.type in _TYPE_DECLS:
                return self._decl_nodes.get(_key(n))
            n = n.parent
        return None

    def _ctx(self, node: tree_sitter.Node | None, owner: UserType | None = None) -> tuple[list[str], str, UserType | None]:
        if owner is not None:
            return owner.usings, owner.namespace, owner
        u = self.enclosing_type(node) if node is not None else None
        return (u.usings, u.namespace, u) if u else (self.usings, self.file_ns, None)

    def display(self, ty: Ty) -> str:
        """A short name for reports: the type without its namespace."""
        if ty.name in self.user_types:
            return self.user_types[ty.name].simple
        if ty.name == SEQ:
            return str(ty)
        parts = ty.name.split(".")
        for i in range(len(parts) - 1, 0, -1):
            if self.index.is_namespace(".".join(parts[:i])):
                return ".".join(parts[i:])
        return ty.name

    def type_by_full(self, full: str) -> Ty | None:
        return Ty(full) if full in self.user_types or full in self.index.type_names else None

    # ---- types ----------------------------------------------------------------------

    def resolve_type_node(self, node: tree_sitter.Node | None, owner: UserType | None = None,
                          inherit: bool = True) -> tuple[Ty | None, str, str]:
        """(type, ok|param|unresolved|invented|skip, name as written) of a type node."""
        if node is None:
            return None, "skip", ""
        t = node.type
        if t == "predefined_type":
            return Ty(KEYWORD_TYPES.get(node_text(node), node_text(node))), "ok", node_text(node)
        if t in ("array_type", "nullable_type"):
            inner = node.child_by_field_name("type") or (node.named_children[0] if node.named_children else None)
            ty, status, name = self.resolve_type_node(inner, owner, inherit)
            if t == "array_type":
                return (Ty(SEQ, (ty,)) if ty else None), status, name
            return (Ty(_NULLABLE, (ty,)) if ty else None), status, name  # `T?`: value or reference type
        if t not in _NAME_TYPES:
            return None, "skip", node_text(node)
        args: tuple[Ty, ...] = ()
        if t == "generic_name":
            arg_list = next((c for c in node.named_children if c.type == "type_argument_list"), None)
            if arg_list is not None:
                args = tuple(self.resolve_type_node(a, owner, inherit)[0] or Ty("?") for a in arg_list.named_children)
        text = strip_type_name(node_text(node)).replace("::", ".")
        full, status = self.resolve_name(text, node, owner, generic=bool(args) or "<" in node_text(node),
                                         inherit=inherit)
        return (Ty(full, args) if full else None), status, (full or text)

    def resolve_name(self, text: str, node: tree_sitter.Node | None, owner: UserType | None = None,
                     generic: bool = False, inherit: bool = True) -> tuple[str | None, str]:
        usings, ns, here = self._ctx(node, owner)
        if "." not in text and text in self.type_params:
            return None, "param"
        last = text.rsplit(".", 1)[-1]
        for u in self.by_simple.get(last, []):
            if u.full == text or u.full.endswith("." + text):
                return u.full, "ok"
        full = self.index.resolve_type(text, usings, ns)
        if full:
            return full, "ok"
        for sdk in self._sdk_ancestors(here) if inherit else ():  # nested types inherited from an SDK base
            if f"{sdk}.{text}" in self.index.type_names:
                return f"{sdk}.{text}", "ok"
        return None, self._unknown_name_status(text, usings, generic)

    def _unknown_name_status(self, text: str, usings: list[str], generic: bool) -> str:
        """invented only when sure: an SDK namespace that lacks the type, or an SDK-style
        simple name while every imported namespace is SDK, System or the code's own."""
        if generic or not self.index.has_stub_data:
            return "unresolved"  # the stubs omit generic types
        parts = text.split(".")
        aliases = {u.split("=")[0].strip(): u.split("=", 1)[1].strip() for u in usings if "=" in u}
        if parts[0] in aliases:
            parts = aliases[parts[0]].split(".") + parts[1:]
        complete = self.index.complete_namespaces
        if len(parts) > 1:
            prefix = ".".join(parts[:-1])
            return "invented" if prefix in complete and self.index.is_sdk_namespace(prefix) else "unresolved"
        opens = [u for u in usings if "=" not in u]
        known = all(u in complete or u == "System" or u.startswith("System.") or u in self.declared_namespaces
                    for u in opens)
        return "invented" if known and _SDK_PREFIX_RE.match(text) else "unresolved"

    # ---- class chains ---------------------------------------------------------------

    def chain(self, u: UserType) -> tuple[list[UserType], Ty | None, bool]:
        """The user's classes from `u` up, the SDK class they derive from, and whether the
        chain is fully known (no unresolved base class, no partial class)."""
        if u.full in self._chains:
            return self._chains[u.full]
        self._chains[u.full] = ([u], None, False)  # guards cycles
        out, cur, complete, sdk = [u], u, not u.partial, None
        while cur.bases:
            ty, status, name = self.resolve_type_node(cur.bases[0], cur, inherit=False)
            if ty is None:
                complete = complete and re.match(r"I[A-Z]", name.rsplit(".", 1)[-1]) is not None
                break
            nxt = self.user_types.get(ty.name)
            if nxt is None:
                info = self.index.info(ty.name)
                sdk = ty if info is not None and info.kind != "interface" else None
                break
            if nxt.kind == "interface" or nxt in out:
                break
            out.append(nxt)
            complete = complete and not nxt.partial
            cur = nxt
        self._chains[u.full] = (out, sdk, complete)
        return out, sdk, complete

    def _sdk_ancestors(self, u: UserType | None) -> list[str]:
        names: list[str] = []
        while u is not None:
            _, sdk, _ = self.chain(u)
            if sdk is not None:
                names += [t.name for t in self.index.mro(sdk.name)[0]]
            u = u.outer
        return names

    def base_ty(self, u: UserType) -> Ty | None:
        chain, sdk, _ = self.chain(u)
        return Ty(chain[1].full) if len(chain) > 1 else sdk

    def user_member(self, u: UserType, name: str, node: tree_sitter.Node | None = None
                    ) -> tuple[str, Ty | None, Ty | None]:
        """(known|missing|unknown, member type, nested type) of `name` on a user type."""
        chain, sdk, complete = self.chain(u)
        for v in chain:
            if name in v.enum_values:
                return "known", Ty(v.full), None
            if name in v.members:
                if name in v.nested:
                    return "known", None, Ty(f"{v.full}.{name}")
                return "known", self.resolve_type_node(v.members[name], v)[0], None
        if sdk is not None:
            look = self.index.lookup(sdk.name, name, via_this=True)
            if look.status == "known":
                if look.is_type:
                    return "known", None, Ty(f"{look.owner}.{name}")
                return "known", parse_type(look.type, sdk.args), None
            return (look.status if complete else "unknown"), None, None
        if name in OBJECT_MEMBERS or (u.kind == "enum" and name in ENUM_MEMBERS):
            return "known", None, None
        return "unknown", None, None  # the user's own type: never judged invented

    def sdk_root(self, u: UserType) -> str:
        _, sdk, _ = self.chain(u)
        return self.display(sdk) if sdk else u.simple

    # ---- locals ---------------------------------------------------------------------

    def _member_node(self, node: tree_sitter.Node) -> tree_sitter.Node:
        n = node
        while n.parent is not None and n.parent.type not in ("declaration_list", "compilation_unit"):
            n = n.parent
        return n

    def locals_for(self, node: tree_sitter.Node) -> tuple[tree_sitter.Node, dict[str, list[tuple[str, tree_sitter.Node | None]]]]:
        member = self._member_node(node)
        key = _key(member)
        if key not in self._locals:
            self._locals[key] = _collect_locals(member)
        return member, self._locals[key]

    def local_type(self, node: tree_sitter.Node, name: str, type_of) -> tuple[bool, Ty | None]:
        """(is a local, its type) of `name` at `node`."""
        member, table = self.locals_for(node)
        entries = table.get(name)
        if not entries:
            return False, None
        memo = (_key(member), name)
        if memo in self._local_memo:
            return True, self._local_memo[memo]
        self._local_memo[memo] = None  # guards `var x = x.Foo()` recursion
        texts = {(k, node_text(n)) for k, n in entries}
        ty = None
        if len(texts) == 1:
            kind, n = entries[0]
            if kind == "t":
                ty = self.resolve_type_node(n)[0]
            elif kind in ("var", "each"):
                got = type_of(n)
                if got and got[0] == "value" and isinstance(got[1], Ty):
                    ty = got[1] if kind == "var" else self.index.element_type(got[1], foreach=True)
        self._local_memo[memo] = ty
        return True, ty

    def lambda_param(self, ident: tree_sitter.Node, name: str, type_of) -> tuple[bool, Ty | None]:
        """(is a lambda parameter, its type). A lambda passed to a LINQ or List<T> method
        gets the receiver's element type for its first parameter."""
        n = ident.parent
        while n is not None and n.type not in _TYPE_DECLS:
            if n.type == "lambda_expression":
                params = n.child_by_field_name("parameters")
                plist = [params] if params is not None and params.type == "implicit_parameter" else (
                    [p for p in params.named_children if p.type == "parameter"] if params is not None else [])
                names = [node_text(p if p.type == "implicit_parameter" else p.child_by_field_name("name")) for p in plist]
                if name in names:
                    i = names.index(name)
                    declared = plist[i].child_by_field_name("type") if plist[i].type == "parameter" else None
                    if declared is not None:
                        return True, self.resolve_type_node(declared)[0]
                    call = n.parent.parent.parent if n.parent and n.parent.parent else None
                    fn = call.child_by_field_name("function") if call is not None and call.type == "invocation_expression" else None
                    if (fn is not None and fn.type == "member_access_expression" and n.parent.type == "argument"
                            and _simple_name(fn.child_by_field_name("name")) in _ELEMENT_LAMBDAS and i == 0):
                        got = type_of(fn.child_by_field_name("expression"))
                        if got and got[0] == "value" and isinstance(got[1], Ty):
                            return True, self.index.element_type(got[1], foreach=True)
                    return True, None
            n = n.parent
        return False, None

    def name_type(self, ident: tree_sitter.Node, type_of) -> tuple[str, object] | None:
        """What a simple name denotes: local, member (own or inherited), type, or namespace."""
        name = node_text(ident)
        is_param, ty = self.lambda_param(ident, name, type_of)
        if is_param:
            return "value", ty
        is_local, ty = self.local_type(ident, name, type_of)
        if is_local:
            return "value", ty
        u = self.enclosing_type(ident)
        while u is not None:
            status, mty, nested = self.user_member(u, name, ident)
            if status == "known":
                return ("type", nested) if nested else ("value", mty)
            u = u.outer
        full, status = self.resolve_name(name, ident)
        if full:
            return "type", Ty(full)
        usings = self._ctx(ident)[0]
        alias = next((u.split("=", 1)[1].strip() for u in usings if u.split("=")[0].strip() == name and "=" in u), None)
        if alias and (self.index.is_namespace(alias) or alias in self.declared_namespaces):
            return "ns", alias
        if self.index.is_namespace(name) or name in self.declared_namespaces:
            return "ns", name
        return None

    def call_type(self, fn: tree_sitter.Node, type_of) -> tuple[str, object] | None:
        status, _ = self.implicit_member_status(fn, node_text(fn.named_children[0]) if fn.type == "generic_name"
                                                else node_text(fn))
        if status != "known":
            return None
        got = self.name_type(fn if fn.type == "identifier" else fn.named_children[0], type_of)
        return got if got and got[0] == "value" else None

    def implicit_member_status(self, fn: tree_sitter.Node, name: str) -> tuple[str, str]:
        """Status of an unqualified call `Name(...)`: a local delegate or function, or a
        member of the enclosing classes (inherited ones included)."""
        member, table = self.locals_for(fn)
        if name in table or name in self.method_names:
            return "known", ""
        u = self.enclosing_type(fn)
        if u is None or any(x.startswith("static ") for x in u.usings):
            return "unknown", ""
        statuses = []
        v: UserType | None = u
        while v is not None:
            status, _, _ = self.user_member(v, name, fn)
            if status == "known":
                return "known", ""
            statuses.append(status)
            v = v.outer
        if all(s == "missing" for s in statuses):
            return "missing", self.sdk_root(u)
        return "unknown", ""


def _collect_locals(member: tree_sitter.Node) -> dict[str, list[tuple[str, tree_sitter.Node | None]]]:
    """Every name a member's body declares, flat: parameters, locals, foreach/out/pattern
    variables, lambda parameters. A name declared twice differently ends up untyped."""
    out: dict[str, list[tuple[str, tree_sitter.Node | None]]] = {}

    def add(name_node: tree_sitter.Node | None, kind: str, node: tree_sitter.Node | None) -> None:
        if name_node is not None and name_node.type in ("identifier", "implicit_parameter"):
            out.setdefault(node_text(name_node), []).append((kind, node))

    if member.type in ("property_declaration", "indexer_declaration", "event_declaration"):
        out["value"] = [("t", member.child_by_field_name("type"))]
    stack = [member]
    while stack:
        n = stack.pop()
        t = n.type
        if t == "parameter":
            typ = n.child_by_field_name("type")
            add(n.child_by_field_name("name"), "t" if typ is not None else "?", typ)
        elif t == "implicit_parameter":
            add(n, "?", None)
        elif t == "variable_declaration":
            typ = n.child_by_field_name("type")
            implicit = typ is not None and typ.type == "implicit_type"
            for name, init in _var_declarators(n):
                add(name, "var" if implicit else "t", init if implicit else typ)
        elif t == "foreach_statement":
            typ, left = n.child_by_field_name("type"), n.child_by_field_name("left")
            if typ is not None and typ.type == "implicit_type":
                add(left, "each", n.child_by_field_name("right"))
            else:
                add(left, "t", typ)
        elif t in ("declaration_expression", "declaration_pattern", "catch_declaration"):
            typ = n.child_by_field_name("type")
            if typ is not None and typ.type == "pointer_type":
                stack.extend(n.named_children)
                continue  # `a * b` misparsed as a declaration
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
        stack.extend(n.named_children)
    return out


# Result of typing an expression: ("value", Ty|None) a value; ("type", Ty) a type name;
# ("ns", "A.B") a namespace prefix; None: unknown.
Typed = tuple[str, object] | None


class _Checker:
    def __init__(self, code: str, index: ApiIndex, context: Sequence[str]):
        self.index = index
        self.tree = parse_tree(code)
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
        stack = [self.tree.root_node]
        while stack:
            node = stack.pop()
            self._visit(node)
            stack.extend(reversed(node.children))

    def _visit(self, node: tree_sitter.Node) -> None:
        t = node.type
        for f in _TYPE_FIELDS:
            child = node.child_by_field_name(f)
            if child is not None and t not in ("type_parameter_constraint", "array_type", "nullable_type", "pointer_type"):
                self._check_type(child)
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
        elif t == "identifier" and _in_value_position(node):
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
            name = _simple_name(target.child_by_field_name("name"))
            if t == "invocation_expression" and name in ("Select", "SelectMany"):
                return self._projection(node, name, depth)
            return self._access_type(left, name, target, call=t == "invocation_expression")
        if t == "conditional_access_expression":
            binding = next((c for c in node.named_children if c.type == "member_binding_expression"), None)
            if binding is None:
                return None
            left = self._type_of(node.child_by_field_name("condition"), depth + 1)
            return self._access_type(left, _simple_name(binding.child_by_field_name("name")), binding, call=False)
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
        if ty.name == _NULLABLE:  # Nullable<T> members, else those of T (`T?` may be a reference type)
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
            full = f"{left[1]}.{_simple_name(name_node)}"
            if self.index.is_namespace(full) or full in self.scope.declared_namespaces:
                return  # a namespace path; its last step is judged where it ends
            if self.scope.type_by_full(full) is not None:
                self.counts["types"] += 1
            elif str(left[1]) in self.index.complete_namespaces and self.index.is_sdk_namespace(str(left[1])) \
                    and name_node.type != "generic_name":
                self._report("invented-type", full, node, f"namespace {left[1]} has no type '{_simple_name(name_node)}'")
            else:
                self._count("types", node, False, full, "type not in the index")
            return
        via_this = expr.type in ("this_expression", "base_expression", "this", "base")
        self._check_member_on(node, left, name_node, via_this)

    def _check_member_on(self, node: tree_sitter.Node, left: Typed, name_node: tree_sitter.Node | None,
                         via_this: bool = False) -> None:
        name = _simple_name(name_node)
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
        name = _simple_name(fn)
        if name in _SKIP_CALLS:
            return
        status, owner = self.scope.implicit_member_status(fn, name)
        if status == "missing":
            self._report("invented-member", f"{owner}.{name}", node, f"no method '{name}' in {owner} or the class")
        else:
            self._count("members", node, status == "known", name, "method not found in the class or its bases")

    def _check_bare_name(self, node: tree_sitter.Node) -> None:
        """A lone name used as a value (`if (InPreSolve)`): a local, a member of the class
        chain, or else (when the chain is fully known) an invented inherited member."""
        name = node_text(node)
        if name in self.scope.declared_names or name in self.scope.type_params or name in ("value", "_", "var", "field", "args"):
            return
        if self.scope.resolve_name(name, node)[0] or self.index.is_namespace(name):
            return
        status, owner = self.scope.implicit_member_status(node, name)
        if status == "missing":
            self._report("invented-member", f"{owner}.{name}", node, f"no member '{name}' in {owner} or the class")
        else:
            self._count("members", node, status == "known", name, "name not found in the class or its bases")

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
            bad = [f for f in invented if not _near_error(self.tree.root_node, f.line)]
            if not bad:
                return ApiResult(UNKNOWN, ["the code does not parse; API not judged"], findings, checked, self.counts)
            invented = bad
        if invented:
            reasons = [f"{f.kind.replace('-', ' ')} {f.name} (line {f.line})" for f in invented]
            return ApiResult(FAIL, reasons, findings, checked, self.counts)
        unresolved = sorted({f.name for f in findings})
        reasons = [f"{len(unresolved)} name(s) not in the SDK index: {', '.join(unresolved[:8])}"] if unresolved else []
        return ApiResult(PASS, reasons, findings, checked, self.counts)


def _simple_name(node: tree_sitter.Node | None) -> str:
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


def _in_value_position(node: tree_sitter.Node) -> bool:
    """Whether an identifier stands alone as a value, in a position where a type,
    namespace, label or declaration cannot appear."""
    parent = node.parent
    if parent is None or parent.type not in _VALUE_PARENTS:
        return False
    up = parent
    while up is not None and up.type not in _TYPE_DECLS:
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


def _near_error(root: tree_sitter.Node, line: int) -> bool:
    """Whether an ERROR/MISSING node touches `line` (1-based)."""
    for n in _iter_errors(root):
        if n.start_point[0] + 1 <= line <= n.end_point[0] + 1:
            return True
    return False


def _iter_errors(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            yield n
        elif n.has_error:
            stack.extend(n.children)


def check_api(code: str, index: ApiIndex | None = None, context: Sequence[str] = ()) -> ApiResult:
    """Judge the SDK names `code` uses. `context`: other source files of the same project,
    whose declarations (base classes, helpers) count as known but are not checked."""
    index = index or load_api_index()
    if not code.strip():
        return ApiResult(UNKNOWN, ["no code"], [], 0)
    checker = _Checker(code, index, context)
    checker.run()
    return checker.result()
