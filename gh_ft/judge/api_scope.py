"""What the API check knows about the checked code itself: its types (the user's own),
usings, locals and lambda parameters, and how names resolve against them and the index."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter

from gh_ft.judge.api_index import SEQ, ApiIndex, Ty, parse_type, strip_type_name
from gh_ft.judge.api_syntax import (NAME_TYPES, TYPE_DECLS, collect_locals, collect_locals_by_member, node_key, node_text, scan,
                         simple_name, using_text, var_declarators)
from gh_ft.judge.component_api import ENUM_MEMBERS, KEYWORD_TYPES, LINQ_METHODS, OBJECT_MEMBERS

SDK_PREFIX_RE = re.compile(r"^(GH_|IGH_|Param_)[A-Za-z0-9]")
ELEMENT_LAMBDAS = (LINQ_METHODS - {"Aggregate", "Zip", "Join", "GroupJoin"}) | {
    "ForEach", "Find", "FindAll", "FindIndex", "FindLast", "FindLastIndex", "Exists", "TrueForAll", "RemoveAll",
    "ConvertAll", "Sort", "RemoveWhere"}
NULLABLE = "System.Nullable"


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
        self._member_spans: list[tuple[int, int, tree_sitter.Node]] = []
        self.scanned: dict[str, list[tree_sitter.Node]] = {}   # the primary tree's `scan`

    @property
    def uses_linq(self) -> bool:
        return "System.Linq" in self.usings

    # ---- collection -----------------------------------------------------------------

    def collect(self, root: tree_sitter.Node, primary: bool) -> None:
        usings: list[str] = []
        self._walk_decls(root, "", None, usings, primary)
        caps = scan(root)
        names, tables = collect_locals_by_member(root, caps)
        self.declared_names |= set(names)
        if primary:
            self.usings = usings
            self._locals.update(tables)
            self.scanned = caps
            self._member_spans = [(m.start_byte, m.end_byte, m) for m in caps.get("member", [])]
        for n in caps.get("tparam", []):
            self.type_params.add(node_text(n.child_by_field_name("name")))
        for n in caps.get("method", []):
            self.method_names.add(node_text(n.child_by_field_name("name")))
            params = n.child_by_field_name("parameters")
            first = params.named_children[0] if params is not None and params.named_children else None
            if first is not None and any(node_text(c) == "this" for c in first.children if c.type == "modifier"):
                self.extension_methods.add(node_text(n.child_by_field_name("name")))

    def _walk_decls(self, node: tree_sitter.Node, ns: str, outer: UserType | None, usings: list[str],
                    primary: bool) -> None:
        for child in node.named_children:
            t = child.type
            if t == "using_directive":
                usings.append(using_text(child))
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
            elif t in TYPE_DECLS:
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
            self._decl_nodes[node_key(node)] = u
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
                    for name, _ in var_declarators(decl):
                        u.members[node_text(name)] = decl.child_by_field_name("type")
            elif mt in ("property_declaration", "event_declaration"):
                u.members[node_text(m.child_by_field_name("name"))] = m.child_by_field_name("type")
            elif mt == "method_declaration":
                u.members[node_text(m.child_by_field_name("name"))] = m.child_by_field_name("returns")
            elif mt == "enum_member_declaration":
                u.enum_values.add(node_text(m.child_by_field_name("name")))
            elif mt in TYPE_DECLS:
                self._add_type(m, ns, u, usings, primary)

    # ---- context of a node ----------------------------------------------------------

    def enclosing_type(self, node: tree_sitter.Node) -> UserType | None:
        """The innermost type declaration around `node` (by byte spans: no walk up the tree)."""
        start, end, key = node.start_byte, node.end_byte, node_key(node)
        best: tuple[int, UserType] | None = None
        for k, u in self._decl_nodes.items():
            if k[0] <= start and end <= k[1] and k != key and (best is None or k[0] >= best[0]):
                best = (k[0], u)
        return best[1] if best else None

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
            return (Ty(NULLABLE, (ty,)) if ty else None), status, name  # `T?`: value or reference type
        if t not in NAME_TYPES:
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
        return "invented" if known and SDK_PREFIX_RE.match(text) else "unresolved"

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
        """The type member (or top-level declaration) that holds `node`: the innermost
        member span around it, from the scan (no walk up the tree)."""
        start, end = node.start_byte, node.end_byte
        best = None
        for s, e, m in self._member_spans:
            if s <= start and end <= e and (best is None or s >= best[0]):
                best = (s, m)
        if best is not None:
            return best[1]
        n = node
        while n.parent is not None and n.parent.type not in ("declaration_list", "compilation_unit"):
            n = n.parent
        return n

    def locals_for(self, node: tree_sitter.Node) -> tuple[tree_sitter.Node, dict[str, list[tuple[str, tree_sitter.Node | None]]]]:
        member = self._member_node(node)
        key = node_key(member)
        if key not in self._locals:
            self._locals[key] = collect_locals(member)
        return member, self._locals[key]

    def local_type(self, node: tree_sitter.Node, name: str, type_of) -> tuple[bool, Ty | None]:
        """(is a local, its type) of `name` at `node`."""
        member, table = self.locals_for(node)
        entries = table.get(name)
        if not entries:
            return False, None
        memo = (node_key(member), name)
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
        while n is not None and n.type not in TYPE_DECLS:
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
                            and simple_name(fn.child_by_field_name("name")) in ELEMENT_LAMBDAS and i == 0):
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

