"""Per-file C# facts: the classes of one file and what a component needs from them.

`read_declarations(path, text)` is a pure function of one file's text, so its result
can be cached by content hash; deciding which classes are components needs the
whole corpus and lives in `components.py`. Everything here is plain data (picklable).

Expressions that may need other files to resolve (the arguments of `base(...)`,
`const` initialisers) are kept as small tuples and evaluated later:
  ("s", text) a string literal   ("id", name)   ("m", "A.B") member access
  ("+", left, right) concatenation   ("?", source) anything else
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter

from gh_ft.csharp.lexer import mask_non_code, matching_brace
from gh_ft.csharp.parse import error_count, parse_tree

Expr = tuple

GUID_RE = re.compile(r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$")
_TYPE_DECLS = ("class_declaration", "struct_declaration", "record_declaration")
_SUMMARY_RE = re.compile(r"<summary>(.*?)</summary>", re.S)


@dataclass
class ParamDecl:
    """One `pManager.AddXParameter(name, nickname, description, access, ...)` call."""
    type: str
    name: str
    nickname: str = ""
    description: str = ""
    access: str = "item"
    optional: bool = False        # marked Optional, or has a default value
    default: str | None = None    # the default value as written


@dataclass
class CtorDecl:
    params: list[str]
    base_args: list[Expr] | None  # None: no `: base(...)` initializer


@dataclass
class ClassDecl:
    name: str
    namespace: str
    outer: str                    # enclosing type names, dotted ('' at namespace level)
    bases: list[str]              # simple names, generic arguments stripped
    base_texts: list[str]         # as written, e.g. 'GH_TaskCapableComponent<Foo.Result>'
    modifiers: list[str]
    text: str                     # the declaration, doc comments and attributes included
    indent: str                   # leading whitespace of its first line in the file
    line: int                     # 1-based line of the first line of `text`
    overrides: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    consts: dict[str, Expr] = field(default_factory=dict)
    ctors: list[CtorDecl] = field(default_factory=list)
    inputs: list[ParamDecl] | None = None   # None: no RegisterInputParams here
    outputs: list[ParamDecl] | None = None
    guid: str | None = None
    exposure: str | None = None
    summary: str = ""
    parse_errors: int = 0         # ERROR/MISSING nodes inside the class
    solve_body: tuple[int, int] | None = None  # SolveInstance's block, byte offsets into text.encode()
    span_from_lexer: bool = False  # span recovered by brace matching after a parse error

    @property
    def is_abstract(self) -> bool:
        return "abstract" in self.modifiers

    @property
    def is_static(self) -> bool:
        return "static" in self.modifiers

    @property
    def qualified_name(self) -> str:
        return ".".join(p for p in (self.namespace, self.outer, self.name) if p)


@dataclass
class FileDecls:
    path: str
    usings: list[str]             # using directives as written (file level)
    namespace_style: str          # 'block' | 'file' | '' (how the file declares its namespace)
    classes: list[ClassDecl]
    parse_errors: int = 0
    source: str = ""              # the file's text, kept only when asked (judge context: compiled whole)


def _text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", "replace")


def _unquote_string(node: tree_sitter.Node) -> str | None:
    """Value of a string literal node, None for interpolations and anything else."""
    t = node.type
    raw = _text(node)
    if t == "string_literal":
        body = raw[1:-1]
        return re.sub(r'\\(["\\\'nrt0])', lambda m: {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(m.group(1), m.group(1)), body)
    if t == "verbatim_string_literal":
        return raw[2:-1].replace('""', '"')
    if t == "raw_string_literal":
        return raw.strip('"').strip("\n")
    if t == "interpolated_string_expression" and not any(c.type == "interpolation" for c in node.named_children):
        body = raw.lstrip("$@")[1:-1]
        return body.replace("{{", "{").replace("}}", "}")
    return None


def to_expr(node: tree_sitter.Node) -> Expr:
    t = node.type
    if t == "argument":
        expr = node.child_by_field_name("expression") or (node.named_children[-1] if node.named_children else node)
        return to_expr(expr)
    value = _unquote_string(node)
    if value is not None:
        return ("s", value)
    if t == "identifier":
        return ("id", _text(node))
    if t == "member_access_expression":
        return ("m", _text(node).replace(" ", ""))
    if t == "parenthesized_expression" and node.named_children:
        return to_expr(node.named_children[0])
    if t == "binary_expression":
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if op is not None and _text(op) == "+" and left is not None and right is not None:
            return ("+", to_expr(left), to_expr(right))
    if t == "invocation_expression":
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is not None and _text(fn) == "nameof" and args is not None and args.named_children:
            return ("s", _text(args.named_children[0]).split(".")[-1])
    return ("?", _text(node))


def _base_simple_name(node: tree_sitter.Node) -> str:
    if node.type == "generic_name":
        return _text(node.named_children[0])
    if node.type == "qualified_name":
        return _base_simple_name(node.named_children[-1])
    if node.type == "alias_qualified_name":
        return _base_simple_name(node.named_children[-1])
    if node.type == "primary_constructor_base_type" and node.named_children:
        return _base_simple_name(node.named_children[0])
    return _text(node).split("<")[0].split(".")[-1].strip()


def _doc_comment_start(node: tree_sitter.Node) -> tree_sitter.Node:
    """The first of the `///` comments directly above a declaration (or the node)."""
    first = node
    prev = node.prev_sibling
    while prev is not None and prev.type == "comment" and _text(prev).startswith("///") \
            and first.start_point[0] - prev.end_point[0] <= 1:
        first = prev
        prev = prev.prev_sibling
    return first


def _doc_summary(text: str) -> str:
    lines = [re.sub(r"^\s*///\s?", "", ln) for ln in text.splitlines() if ln.lstrip().startswith("///")]
    m = _SUMMARY_RE.search("\n".join(lines))
    if not m:
        return ""
    summary = re.sub(r"<see\s+cref=\"([^\"]+)\"\s*/>", r"\1", m.group(1))
    summary = re.sub(r"<[^>]+>", "", summary)
    return " ".join(summary.split())


def _walk(node: tree_sitter.Node, types: tuple[str, ...]):
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in types:
            yield n
        stack.extend(reversed(n.named_children))


def _param_calls(method: tree_sitter.Node) -> list[ParamDecl]:
    """Parameters registered by a RegisterInputParams/RegisterOutputParams body."""
    params: list[ParamDecl] = []
    optional_indices: set[int] = set()
    body = method.child_by_field_name("body") or method
    for node in _walk(body, ("invocation_expression", "assignment_expression")):
        if node.type == "assignment_expression":
            # pManager[2].Optional = true;
            left = _text(node.child_by_field_name("left") or node)
            m = re.match(r"\w+\s*\[\s*(\d+)\s*\]\s*\.\s*Optional$", left)
            right = node.child_by_field_name("right")
            if m and right is not None and _text(right) == "true":
                optional_indices.add(int(m.group(1)))
            continue
        fn = node.child_by_field_name("function")
        if fn is None or fn.type != "member_access_expression":
            continue
        name_node = fn.child_by_field_name("name")
        method_name = _text(name_node) if name_node is not None else ""
        m = re.fullmatch(r"Add(\w*)Parameter", method_name)
        if not m:
            continue
        arg_list = node.child_by_field_name("arguments")
        args = [a for a in (arg_list.named_children if arg_list else []) if a.type == "argument"]
        ptype = m.group(1)
        if not ptype:  # AddParameter(new Param_X(), name, nick, desc, access)
            if not args:
                continue
            ptype = re.sub(r"^new\s+", "", _text(args[0])).split("(")[0].strip()
            args = args[1:]
        strings = []
        for a in args[:3]:
            e = to_expr(a)
            strings.append(e[1] if e[0] == "s" else _text(a))
        access = "item"
        for a in args[3:]:
            am = re.search(r"GH_ParamAccess\s*\.\s*(\w+)", _text(a))
            if am:
                access = am.group(1)
                break
        strings += [""] * (3 - len(strings))
        default = _text(args[4]) if len(args) > 4 else None
        params.append(ParamDecl(ptype, strings[0], strings[1], strings[2], access,
                                optional=default is not None, default=default))
    for i in optional_indices:
        if i < len(params):
            params[i].optional = True
    return params


def _read_members(decl: ClassDecl, body: tree_sitter.Node, text_start_byte: int) -> None:
    for member in body.named_children:
        t = member.type
        mods = [_text(c) for c in member.children if c.type == "modifier"]
        name_node = member.child_by_field_name("name")
        name = _text(name_node) if name_node is not None else ""
        if t == "method_declaration":
            decl.methods.append(name)
            if "override" in mods:
                decl.overrides.append(name)
            block = member.child_by_field_name("body")
            if name == "SolveInstance" and block is not None and block.type == "block":
                decl.solve_body = (block.start_byte - text_start_byte, block.end_byte - text_start_byte)
            if name == "RegisterInputParams":
                decl.inputs = _param_calls(member)
            elif name == "RegisterOutputParams":
                decl.outputs = _param_calls(member)
        elif t == "constructor_declaration":
            params = [_text(p.child_by_field_name("name")) for p in _walk(member.child_by_field_name("parameters") or member, ("parameter",))
                      if p.child_by_field_name("name") is not None]
            init = next((c for c in member.named_children if c.type == "constructor_initializer"), None)
            base_args = None
            if init is not None and _text(init).lstrip(":").strip().startswith("base"):
                arg_list = next((c for c in init.named_children if c.type == "argument_list"), None)
                base_args = [to_expr(a) for a in (arg_list.named_children if arg_list else []) if a.type == "argument"]
            decl.ctors.append(CtorDecl(params, base_args))
        elif t == "field_declaration" and "const" in mods or (t == "field_declaration" and {"static", "readonly"} <= set(mods)):
            for var in _walk(member, ("variable_declarator",)):
                var_name = var.child_by_field_name("name")
                value = next((c for c in var.named_children[1:] if c.type != "bracketed_argument_list"), None)
                if var_name is not None and value is not None:
                    if value.type == "equals_value_clause" and value.named_children:
                        value = value.named_children[0]
                    decl.consts[_text(var_name)] = to_expr(value)
        elif t == "property_declaration":
            if "override" in mods:
                decl.overrides.append(name)
            if name == "ComponentGuid":
                for lit in _walk(member, ("string_literal", "verbatim_string_literal")):
                    value = _unquote_string(lit)
                    if value and GUID_RE.match(value.strip()):
                        decl.guid = value.strip().strip("{}").lower()
                        break
            elif name == "Exposure":
                found = re.findall(r"GH_Exposure\s*\.\s*(\w+)", _text(member))
                if found:
                    decl.exposure = " | ".join(dict.fromkeys(found))


def _line_start(source: str, offset: int) -> int:
    return source.rfind("\n", 0, offset) + 1


def _class_decl(node: tree_sitter.Node, source: str, src_bytes: bytes, namespace: str, outer: str,
                masked: str | None) -> ClassDecl:
    name_node = node.child_by_field_name("name")
    bases_node = next((c for c in node.named_children if c.type == "base_list"), None)
    base_nodes = bases_node.named_children if bases_node is not None else []
    first = _doc_comment_start(node)
    # tree-sitter offsets are in bytes; slice the bytes, not the str.
    start_b, end_b = first.start_byte, node.end_byte
    start_char = len(src_bytes[:start_b].decode("utf-8", "replace"))
    line_start = _line_start(source, start_char)
    prefix = source[line_start:start_char]
    indent = prefix if prefix.strip() == "" else ""
    errors = error_count(node)
    text = src_bytes[start_b:end_b].decode("utf-8", "replace")
    from_lexer = False
    if errors and masked is not None:
        # The tree may have cut the class short; the lexer's brace matching does not care.
        node_char = len(src_bytes[:node.start_byte].decode("utf-8", "replace"))
        open_i = masked.find("{", node_char)
        close_i = matching_brace(masked, open_i) if open_i >= 0 else -1
        if close_i > 0:
            text = source[start_char:close_i + 1]
            from_lexer = True
    decl = ClassDecl(
        name=_text(name_node) if name_node is not None else "",
        namespace=namespace,
        outer=outer,
        bases=[_base_simple_name(b) for b in base_nodes if b.type != "argument_list"],
        base_texts=[_text(b) for b in base_nodes if b.type != "argument_list"],
        modifiers=[_text(c) for c in node.children if c.type == "modifier"],
        text=text,
        indent=indent,
        line=source.count("\n", 0, start_char) + 1,
        summary=_doc_summary(text),
        parse_errors=errors,
        span_from_lexer=from_lexer,
    )
    body = node.child_by_field_name("body")
    if body is not None:
        _read_members(decl, body, start_b)
    return decl


def _collect(node: tree_sitter.Node, source: str, src_bytes: bytes, namespace: str, outer: str,
             masked: str | None, usings: list[str], out: list[ClassDecl], style: list[str]) -> None:
    for child in node.named_children:
        t = child.type
        if t == "using_directive":
            usings.append(_text(child))
        elif t in ("namespace_declaration", "file_scoped_namespace_declaration"):
            ns_name = _text(child.child_by_field_name("name"))
            ns = f"{namespace}.{ns_name}" if namespace else ns_name
            style.append("file" if t.startswith("file") else "block")
            body = child.child_by_field_name("body")
            if body is not None:
                _collect(body, source, src_bytes, ns, outer, masked, usings, out, style)
            else:  # file-scoped: the rest of the compilation unit follows as siblings
                namespace = ns
        elif t in _TYPE_DECLS:
            decl = _class_decl(child, source, src_bytes, namespace, outer, masked)
            out.append(decl)
            body = child.child_by_field_name("body")
            if body is not None:
                _collect(body, source, src_bytes, namespace, f"{outer}.{decl.name}" if outer else decl.name,
                         masked, [], out, style)
        elif t in ("declaration_list", "ERROR"):
            _collect(child, source, src_bytes, namespace, outer, masked, usings, out, style)


_LEXICAL_CLASS_RE = re.compile(
    r"^[ \t]*(?:\[[^\n]*\]\s*)*((?:(?:public|internal|private|protected|sealed|abstract|static|partial|unsafe|new)\s+)*)"
    r"class\s+(\w+)\s*(?:<[^>{]*>)?\s*:\s*([^{]+)\{", re.M)


def _lexical_classes(source: str, masked: str, known: set[str], namespace: str) -> list[ClassDecl]:
    """Classes the tree lost entirely inside ERROR nodes, found by the lexer."""
    found = []
    for m in _LEXICAL_CLASS_RE.finditer(masked):
        name = m.group(2)
        if name in known:
            continue
        close = matching_brace(masked, m.end() - 1)
        if close < 0:
            continue
        text = source[m.start():close + 1]
        sub = read_declarations("<lexer>", text)
        if sub.classes:
            decl = sub.classes[0]
            decl.namespace, decl.line, decl.span_from_lexer = namespace, source.count("\n", 0, m.start()) + 1, True
            decl.text = decl.text if decl.text.strip() == text.strip() else text.strip()
            decl.parse_errors = max(decl.parse_errors, 1)
            found.append(decl)
    return found


def read_declarations(path: str, source: str) -> FileDecls:
    """All class declarations of one C# file, with the facts components need."""
    src_bytes = source.encode("utf-8", "surrogatepass")
    tree = parse_tree(src_bytes)
    root = tree.root_node
    errors = error_count(root)
    masked = mask_non_code(source) if errors else None
    usings: list[str] = []
    classes: list[ClassDecl] = []
    style: list[str] = []
    _collect(root, source, src_bytes, "", "", masked, usings, classes, style)
    if errors and masked is not None and path != "<lexer>":
        namespace = classes[0].namespace if classes else ""
        classes += _lexical_classes(source, masked, {c.name for c in classes}, namespace)
    return FileDecls(path, usings, style[0] if style else "", classes, errors)
