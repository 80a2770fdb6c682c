"""mcs's error output, mapped to files and classed: a real failure, or "unknown".

An error fails the file only when it cannot come from what the reference assembly does
not know. Classes (and the verdict they give):
  unknown API    a member or type that does not exist: fail when the API index says the
                 SDK type's member list is complete and lacks it; unknown when the index
                 knows it (the reference assembly had to leave it out) or does not know
  type error     wrong argument, conversion, overload: fail, unless the SDK member's
                 signature is approximate there (out/ref positions, sequence types,
                 numeric widths, optional parameters, overloads left out) -> unknown
  newer C#       code mcs cannot parse although tree-sitter does -> unknown
  unresolved     a type or name from outside the file (a library, the plugin's other
                 files) -> unknown
  compile error  anything else that only involves the file's own code and .NET -> fail;
                 involving the SDK in a way the stubs cannot tell -> unknown
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from gh_ft.judge.api_index import ApiIndex, strip_type_name
from gh_ft.judge.compile_units import Unit
from gh_ft.judge.refasm import RefLimits
from gh_ft.judge.refasm_hand import HandTypes

_ERROR_LINE_RE = re.compile(r"^(?P<file>[^\s(][^(]*?)\((?P<line>\d+),(?P<col>\d+)\+?\): error (?P<code>CS\d+): (?P<msg>.*)$")
_BARE_ERROR_RE = re.compile(r"^error (?P<code>CS\d+): (?P<msg>.*)$")
_QUOTED_RE = re.compile(r"`([^']*)'")
_SDK_PREFIXES = ("Rhino.", "Grasshopper.", "GH_IO.")
_NUMERIC = {"byte", "sbyte", "short", "ushort", "int", "uint", "long", "ulong", "float", "double", "decimal", "char"}

# Parser errors: tree-sitter read the file, so mcs's older grammar is the cause.
NEWER_CSHARP = {f"CS{c}" for c in (
    "1001 1002 1003 1009 1010 1012 1013 1014 1015 1017 1018 1019 1021 1022 1024 1025 1026 1027 1028 1029 1031 "
    "1032 1033 1034 1035 1036 1037 1038 1039 1040 1041 1043 1044 1055 1056 1057 1513 1514 1519 1525 1526 1552 "
    "1553 1597 1644 1646 1733 8025 0589 0230 0173 0100 8124").split()}
_MISSING = {"CS0117", "CS1061"}
# Errors mcs reports as a consequence of an earlier one in the same file (compile.knock_on).
KNOCK_ON = {"CS0841", "CS0165", "CS0818", "CS0815", "CS0019", "CS0023", "CS1061", "CS0120"}
_TYPE_ERRORS = {f"CS{c}" for c in (
    "1502 1503 0029 0266 0019 0023 0030 0172 1501 1729 1620 1615 1510 0121 1660 1662 1661 1593 1594 0428 0119 "
    "0118 0131 0021 1579 0154 0411 0452 0453 0311 0310 0314 0315 0037 0031 0221 0664 1674 0122 1540 0144 1955 "
    "0123 0407 0165").split()}
# With the SDK involved, these can come from what the stubs omit (interfaces, operators,
# indexers, enumerators, protected members, struct-ness, generic constraints).
_SDK_UNSURE = {f"CS{c}" for c in "0021 1579 0122 1540 0453 0311 0314 0315 0452 0310 1674 0030 1660 0037 0411 0121 "
                                 "0123".split()}   # 0123: the stubs erase generic delegates (EventHandler<T>)
_INTERFACE_TARGET_RE = re.compile(r"cannot convert `([\w.]+)' expression to type `((?:[\w]+\.)*I[A-Z]\w*)'")


# How each mcs error code is treated: the table tests/test_mcs_codes.py holds, one case per code.
# "fail": the generated code is wrong against known types; "unknown": it may come from what
# the reference assembly cannot know; "depends": fail or unknown by what the message names.
MCS_CODES: dict[str, tuple[str, str]] = {
    "CS0019": ("fail", "operator cannot be applied to these operands (unknown as a knock-on)"),
    "CS0029": ("depends", "cannot convert implicitly: fail; SDK numeric widths or interfaces: unknown"),
    "CS0103": ("depends", "name does not exist: fail in the file's own class; unknown when a base outside may hold it"),
    "CS0111": ("fail", "a member defined twice"),
    "CS0115": ("depends", "override of nothing: fail when the SDK base is known to lack it"),
    "CS0117": ("depends", "type has no such member: fail on a complete SDK type, unknown elsewhere"),
    "CS0120": ("fail", "an instance member used without an object (unknown as a knock-on)"),
    "CS0122": ("depends", "inaccessible: fail for the file's own types, unknown for the SDK (stubs omit protected)"),
    "CS0161": ("fail", "not all code paths return a value"),
    "CS0165": ("fail", "use of an unassigned local (unknown as a knock-on)"),
    "CS0234": ("depends", "namespace lacks the type: fail in a complete SDK namespace, unknown elsewhere"),
    "CS0246": ("unknown", "a type nobody here defines: a library or the plugin's other files"),
    "CS0266": ("depends", "an explicit conversion exists: fail; SDK numeric widths: unknown"),
    "CS0534": ("fail", "an abstract SDK member left unimplemented"),
    "CS0841": ("depends", "a local used before it is declared: fail, unknown as a knock-on of an unresolved type"),
    "CS1525": ("unknown", "parser error (unexpected symbol) on code tree-sitter reads: C# newer than mcs"),
    "CS1061": ("depends", "no such member on the type: fail on a complete SDK type, unknown elsewhere"),
    "CS1501": ("depends", "no overload takes that many arguments: fail for .NET and own code, unknown for the SDK"),
    "CS1502": ("depends", "invalid arguments: fail, unless the SDK signature is approximate there"),
    "CS1729": ("depends", "no constructor takes that many arguments: as CS1501"),
}


@dataclass
class McsError:
    file: str
    line: int
    col: int
    code: str
    message: str
    related: list["McsError"] = field(default_factory=list)


def parse_mcs_output(output: str) -> tuple[list[McsError], list[str]]:
    """(errors with a file location, errors without one). A CS1502 keeps the CS1503/CS1620
    details mcs prints after it for the same call."""
    located: list[McsError] = []
    bare: list[str] = []
    for line in output.splitlines():
        m = _ERROR_LINE_RE.match(line.strip())
        if m:
            e = McsError(m["file"].rsplit("/", 1)[-1], int(m["line"]), int(m["col"]), m["code"], m["msg"])
            prev = located[-1] if located else None
            if (prev is not None and prev.code == "CS1502" and e.code in ("CS1503", "CS1620", "CS1615", "CS1510")
                    and prev.file == e.file and prev.line == e.line):
                prev.related.append(e)
            else:
                located.append(e)
            continue
        m = _BARE_ERROR_RE.match(line.strip())
        if m:
            bare.append(f"{m['code']}: {m['msg']}")
    return located, bare


@dataclass
class Judged:
    kind: str       # unknown API | type error | newer C# | unresolved | reference limit | compile error
    fail: bool
    text: str


def _is_sdk(name: str) -> bool:
    return name.startswith(_SDK_PREFIXES)


class ErrorClassifier:
    def __init__(self, index: ApiIndex, limits: RefLimits, hand: HandTypes):
        self.index = index
        self.limits = limits
        self.hand = hand
        self.context_classes: dict[str, object] = {}   # the plugin's other classes (context assembly), by name
        self.context_trimmed: set[str] = set()         # the plugin's types that lost declarations mcs rejected

    # ---- the entry point --------------------------------------------------------

    def classify(self, e: McsError, unit: Unit) -> Judged:
        msg = unit.strip(e.message)
        detail = "; ".join(unit.strip(r.message) for r in e.related)
        full_msg = f"{msg} ({detail})" if detail else msg
        names = [unit.strip(n) for n in _QUOTED_RE.findall(e.message)]
        where = f"line {e.line}"
        code = e.code
        trimmed = sorted({n.rsplit(".", 1)[-1].split("(")[0] for n in names} & self.context_trimmed) \
            if self.context_trimmed else []
        if not trimmed and self.context_trimmed:
            owners = {part for n in names for part in n.split("(")[0].split(".")}
            trimmed = sorted(owners & self.context_trimmed)
        if trimmed:
            return Judged("unresolved", False, f"{where}: {msg} (the plugin's {trimmed[0]} lost declarations that "
                                               "need a library not given: see --reference)")
        if code in NEWER_CSHARP or (code == "CS0815" and "lambda" in msg):
            return Judged("newer C#", False, f"{where}: mcs cannot compile this ({code}: {msg}); "
                                             "the code may use C# newer than mcs understands (7.x)")
        if code == "CS0584" or "internal compiler error" in msg.lower():
            return Judged("reference limit", False, f"{where}: mcs failed internally ({code})")
        if code in _MISSING and len(names) >= 2:
            return self._missing_member(names[0], names[1], unit, e, via_this=False)
        if code == "CS0103" and names:
            return self._missing_name(names[0], unit, e)
        if code == "CS0234" and len(names) >= 2:
            return self._missing_in_namespace(names[0], names[1], e)
        if code in ("CS0246", "CS0400") and names:
            return Judged("unresolved", False, f"{where}: type `{names[0]}` is not defined here "
                                               "(the plugin's other files or a library?)")
        if code == "CS0426" and len(names) >= 2:
            return self._missing_nested(names[0], names[1], e)
        if code in ("CS0305", "CS0308") and names:
            if any(_is_sdk(n) for n in names):
                return Judged("reference limit", False, f"{where}: {msg} (the stubs erase generic SDK types)")
            return Judged("type error", True, f"type error at {where}: {msg}")
        if code in _TYPE_ERRORS:
            return self._type_error(e, unit, msg, full_msg, names)
        if code == "CS0115" and names:
            return self._bad_override(names[0], unit, e, msg)
        if code in ("CS0506", "CS0507", "CS0508", "CS0505") and len(names) >= 2:
            base_member = names[1]
            if _is_sdk(base_member) and not self._hand_exact(base_member):
                return Judged("reference limit", False, f"{where}: {msg} (the stubs do not say how the SDK "
                                                        "declares it)")
            return Judged("compile error", True, f"compile error at {where}: {msg}")
        if any(_is_sdk(n) for n in names) and code != "CS0534":
            return Judged("reference limit", False, f"{where}: {msg} (involves the SDK in a way the stubs "
                                                    "cannot settle)")
        return Judged("compile error", True, f"compile error at {where}: {msg}")

    # ---- unknown API ------------------------------------------------------------

    def _missing_member(self, typ: str, member: str, unit: Unit, e: McsError, via_this: bool) -> Judged:
        where = f"line {e.line}"
        typ = strip_type_name(typ) if "<" in typ else typ
        if typ.startswith("GhFtRef."):
            return Judged("reference limit", False, f"{where}: `{member}` on an SDK sequence whose collection "
                                                    "type the stubs do not give")
        if _is_sdk(typ):
            look = self.index.lookup(typ, member, via_this)
            if look.status == "missing":
                return Judged("unknown API", True, f"unknown API at {where}: {typ} has no member {member}")
            why = "known to the API index, left out of the reference assembly" if look.status == "known" \
                else "not in the API index"
            return Judged("reference limit", False, f"{where}: {typ}.{member} ({why})")
        if "." in typ and typ.split(".")[0] in ("System", "Microsoft"):
            return Judged("reference limit", False, f"{where}: {typ} has no `{member}` in Mono's .NET Framework "
                                                    "profile (it may be a newer .NET API)")
        cls = unit.class_named(typ)
        if cls is None:
            return Judged("unresolved", False, f"{where}: {typ}.{member} (a type from outside the file)")
        return self._in_chain(cls, member, unit, e, via_this=True)

    def _missing_name(self, name: str, unit: Unit, e: McsError) -> Judged:
        where = f"line {e.line}"
        lines = unit.code.splitlines()
        rest = lines[e.line - 1][e.col - 1 + len(name):] if 0 < e.line <= len(lines) else ""
        if rest.lstrip().startswith(".") or any(u.startswith("static ") for u in unit.usings):
            return Judged("unresolved", False, f"{where}: `{name}` is not defined here (the plugin's other "
                                               "files, a library or a `using static` import?)")
        cls = unit.class_at(e.line)
        if cls is None:
            return Judged("compile error", True, f"compile error at {where}: the name `{name}` does not exist")
        return self._in_chain(cls, name, unit, e, via_this=True)

    def _in_chain(self, cls, member: str, unit: Unit, e: McsError, via_this: bool) -> Judged:
        """`member` is missing from the user's class `cls`: settle it along the base chain."""
        where = f"line {e.line}"
        seen = set()
        cur = cls
        while cur is not None and cur.name not in seen:
            seen.add(cur.name)
            if cur.partial:
                return Judged("unresolved", False, f"{where}: `{member}` may be declared in another part of "
                                                   f"partial class {cur.name}")
            if cur.base is None:
                return Judged("compile error", True, f"compile error at {where}: {cls.name} has no member `{member}`")
            base = strip_type_name(cur.base)
            local = unit.class_named(base) or self.context_classes.get(base.rsplit(".", 1)[-1])
            if local is not None and local is not cur:
                cur = local
                continue
            ns = cur.full.rsplit(".", 1)[0] if "." in cur.full else ""
            sdk = self.index.resolve_type(base, list(cur.usings), ns)
            if sdk is not None and _is_sdk(sdk):
                look = self.index.lookup(sdk, member, via_this)
                if look.status == "missing":
                    return Judged("unknown API", True, f"unknown API at {where}: no member {member} in "
                                                       f"{cls.name} or its SDK base {sdk}")
                why = "known to the API index, left out of the reference assembly" if look.status == "known" \
                    else "not in the API index"
                return Judged("reference limit", False, f"{where}: {sdk}.{member} ({why})")
            return Judged("unresolved", False, f"{where}: `{member}` may come from {base}, defined outside the file")
        return Judged("unresolved", False, f"{where}: `{member}` (base chain not resolved)")

    def _missing_in_namespace(self, name: str, ns: str, e: McsError) -> Judged:
        where = f"line {e.line}"
        full = f"{ns}.{name}"
        if _is_sdk(ns + "."):
            if full in self.index.type_names or self.index.is_namespace(full):
                return Judged("reference limit", False, f"{where}: {full} (known to the API index, left out of "
                                                        "the reference assembly)")
            if ns in self.index.complete_namespaces:
                return Judged("unknown API", True, f"unknown API at {where}: namespace {ns} has no type {name}")
            return Judged("reference limit", False, f"{where}: {full} is not in the API index")
        if ns.split(".")[0] in ("System", "Microsoft"):
            return Judged("unresolved", False, f"{where}: {full} is not available to mcs here (a .NET assembly "
                                               "Mono lacks, e.g. Windows Forms)")
        return Judged("unresolved", False, f"{where}: {full} is not defined here (the plugin's other files or a "
                                           "library?)")

    def _missing_nested(self, name: str, typ: str, e: McsError) -> Judged:
        where = f"line {e.line}"
        typ = strip_type_name(typ)
        if _is_sdk(typ):
            flat = f"{typ.rsplit('.', 1)[0]}.{name}"
            if f"{typ}.{name}" in self.index.type_names or flat in self.index.type_names:
                return Judged("reference limit", False, f"{where}: {typ}.{name} (the stubs flatten nested types)")
            look = self.index.lookup(typ, name)
            if look.status == "missing":
                return Judged("unknown API", True, f"unknown API at {where}: {typ} has no nested type {name}")
            return Judged("reference limit", False, f"{where}: {typ}.{name} is not in the API index")
        return Judged("unresolved", False, f"{where}: {typ}.{name} (a type from outside the file)")

    # ---- overrides --------------------------------------------------------------

    def _bad_override(self, sig: str, unit: Unit, e: McsError, msg: str) -> Judged:
        where = f"line {e.line}"
        head = sig.split("(")[0]
        owner, _, member = head.rpartition(".")
        cls = unit.class_named(owner) if owner else unit.class_at(e.line)
        if cls is None:
            return Judged("compile error", True, f"compile error at {where}: {msg}")
        found = self._in_chain(cls, member, unit, e, via_this=True)
        if found.fail:
            return Judged("unknown API", True, f"unknown API at {where}: {cls.name}.{member} overrides nothing: "
                                               f"no virtual member {member} in its bases")
        if found.kind == "reference limit" and self._hand_member_anywhere(member):
            return Judged("type error", True, f"type error at {where}: {msg} (the SDK declares {member} with "
                                              "another signature)")
        if found.kind == "compile error":
            return Judged("compile error", True, f"compile error at {where}: {msg}")
        return Judged(found.kind, False, f"{where}: {msg} ({found.text.split(': ', 1)[-1]})")

    def _hand_exact(self, member_sig: str) -> bool:
        """Whether the SDK member named in a message (`A.B.C(args)` or `A.B.C`) is hand-kept,
        hence exact."""
        head = member_sig.split("(")[0]
        owner, _, name = head.rpartition(".")
        t = self.hand.types.get(strip_type_name(owner))
        return t is not None and (name in t.members or (name == owner.rsplit(".", 1)[-1] and "<ctor>" in t.members))

    def _hand_member_anywhere(self, name: str) -> bool:
        return any(name in t.members for t in self.hand.types.values())

    # ---- type errors ------------------------------------------------------------

    def _type_error(self, e: McsError, unit: Unit, msg: str, full_msg: str, names: list[str]) -> Judged:
        where = f"line {e.line}"
        code = e.code
        everything = " ".join([e.message] + [r.message for r in e.related])
        if "GhFtRef" in everything:
            return Judged("reference limit", False, f"{where}: {msg} (an SDK sequence whose collection type the "
                                                    "stubs do not give)")
        types = [n for n in _QUOTED_RE.findall(" ".join(r.message for r in e.related) or e.message)]
        if code in ("CS0029", "CS0266", "CS1502", "CS0030", "CS1503") and _numeric_pair(types) \
                and (_line_has_member_access(unit, e.line) or _inferred_from_sdk(unit, e.line)):
            return Judged("reference limit", False, f"{where}: {full_msg} (the stubs do not tell float from "
                                                    "double or int from long)")
        if code == "CS0165":
            return Judged("compile error", True, f"compile error at {where}: {msg}")
        member_owner, member = _member_of(code, names)
        if member_owner is not None:
            member_owner = strip_type_name(member_owner)
        sdk_member = member is not None and (member_owner is None or _is_sdk(member_owner))
        if member is not None and sdk_member and (member_owner is not None or member in self.limits.flags
                                                  or member in self.limits.max_args):
            exact = member_owner is not None and self._hand_exact(f"{member_owner}.{member}")
            conv = _INTERFACE_TARGET_RE.search(" ".join(r.message for r in e.related))
            if conv and _is_sdk(conv.group(1)) and _is_sdk(conv.group(2)):
                return Judged("reference limit", False, f"{where}: {full_msg} (the stubs omit the interfaces SDK "
                                                        "types implement)")
            if not exact:
                flags = self.limits.flag(member, member_owner)
                refout = bool(re.search(r"\b(out|ref)\b", " ".join(r.message for r in e.related)))
                count = int(names[1]) if code in ("CS1501", "CS1729") and len(names) > 1 and names[1].isdigit() else None
                why = None
                if count is not None and count > self.limits.most_args(member, member_owner) and \
                        not set("sd") & set(flags):
                    # more arguments than any overload the stubs list; the stubs leave out obsolete overloads
                    return Judged("reference limit", False, f"{where}: {full_msg} (more arguments than any "
                                                            "overload the stubs list; they omit obsolete ones)")
                if "d" in flags:
                    why = "some of its overloads are left out of the reference assembly"
                elif "o" in flags and (refout or code in ("CS1620", "CS1615", "CS1510", "CS1501", "CS1729")):
                    why = "the stubs do not say where its out/ref parameters go"
                elif "s" in flags and code in ("CS1501", "CS1729", "CS1502"):
                    why = "its sequence parameter may be `params` in C#"
                elif count is not None and count <= self.limits.most_args(member, member_owner):
                    why = "the stubs do not list optional parameters"
                elif code in _SDK_UNSURE:
                    why = "the stubs cannot settle this"
                if why:
                    return Judged("reference limit", False, f"{where}: {full_msg} ({why})")
            return Judged("type error", True, f"type error at {where}: {full_msg}")
        sdk_involved = any(_is_sdk(n) for n in names) or any(_is_sdk(t) for t in types) \
            or _inferred_from_sdk(unit, e.line)
        if sdk_involved:
            if code in _SDK_UNSURE:
                return Judged("reference limit", False, f"{where}: {full_msg} (the stubs omit interfaces, operators "
                                                        "and protected members)")
            target = types[-1] if types else ""
            if code in ("CS0029", "CS0266", "CS1503") and re.search(r"(^|\.)I[A-Z]\w*(<|$)", target):
                return Judged("reference limit", False, f"{where}: {full_msg} (the stubs omit the interfaces SDK "
                                                        "types implement)")
        return Judged("type error", True, f"type error at {where}: {full_msg}")


_VAR_DECL_RE = r"\bvar\s+{name}\s*=\s*[^;]*\b(doc|Rhino|Grasshopper|GH_\w*)\b|\bvar\s+{name}\s*=\s*\w+\.\w+"


def _inferred_from_sdk(unit: Unit, line: int) -> bool:
    """The error's line uses a `var` local whose type mcs inferred from a member call: its
    type is the stubs' approximation (a collection type, an interface left out)."""
    lines = unit.code.splitlines()
    if not 0 < line <= len(lines):
        return False
    for name in set(re.findall(r"\b[a-z_]\w*\b", lines[line - 1])):
        if re.search(_VAR_DECL_RE.format(name=re.escape(name)), unit.code):
            return True
    return False


def _line_has_member_access(unit: Unit, line: int) -> bool:
    """A value on this line may come from an SDK member, whose numeric width the stubs guess."""
    lines = unit.code.splitlines()
    return 0 < line <= len(lines) and re.search(r"\w\s*\.\s*[A-Za-z_]", lines[line - 1]) is not None


def _numeric_pair(types: list[str]) -> bool:
    simple = [t for t in types if not t.startswith("#")]
    return len(simple) >= 2 and all(t in _NUMERIC for t in simple[-2:])


def _member_of(code: str, names: list[str]) -> tuple[str | None, str | None]:
    """(owner type, member name) an overload error is about, when the message says."""
    if code == "CS1502" and names:
        head = names[0].split("(")[0]
        owner, _, member = head.rpartition(".")
        if owner and member == owner.rsplit(".", 1)[-1]:
            return owner, owner.rsplit(".", 1)[-1]  # a constructor
        return (owner or None), member
    if code == "CS1501" and names:
        return None, names[0]
    if code == "CS1729" and names:
        owner = strip_type_name(names[0])
        return owner, owner.rsplit(".", 1)[-1]
    return None, None
