"""C# code normalised for comparison: no layout, comments or literal text; declared names
alpha-renamed in order, API names kept (so `Math.Sqrt` → `Math.Abs` is different logic)."""
from __future__ import annotations


from gh_ft.csharp.lexer import raw_tokens
from gh_ft.dataset.example import stable_hash

def _words(s: str) -> set[str]:
    return set(s.split())


_TYPE_KW = _words("bool byte char decimal double float int long object sbyte short string uint "
                  "ulong ushort void var dynamic")
_MODIFIERS = _words("const readonly static public private protected internal override virtual "
                    "abstract sealed extern unsafe volatile event params partial async")
_KEYWORDS = _words(
    "as base break case catch checked class continue default delegate do else enum explicit false "
    "finally fixed for foreach goto if implicit in interface is lock namespace new null operator "
    "out ref return sizeof stackalloc struct switch this throw true try typeof unchecked using "
    "while get set init global await when where yield nameof unmanaged notnull and or not with")
_NOT_NAME = _TYPE_KW | _MODIFIERS | _KEYWORDS  # never a declared name
# Never the type in front of a declared name: `return x;`, `new Foo(`, `x as Foo;` ...
_NOT_PREFIX = _KEYWORDS | _words("select orderby group by into on equals ascending descending "
                                 "record")
_TYPE_DECL = _words("class struct interface enum record")
_FOLLOW = {"=", ";", ",", ")", "(", "{", "=>", "in", "]"}  # what may follow a declared name
_TYPEISH = {".", "[", "]", "?", ","}
_STR, _CHR, _NS = "<str>", "<chr>", "<ns>"


def _typeish(t: str, kind: str) -> bool:
    return t in _TYPEISH or (kind == "ident" and t not in _NOT_PREFIX)


def _generic_open(texts: list[str], kinds: list[str], j: int) -> int:
    """Index of the '<' that the '>' at j closes if it looks like type arguments, else -1."""
    depth = 0
    for k in range(j, max(j - 40, -1), -1):
        if texts[k] == ">":
            depth += 1
        elif texts[k] == "<":
            depth -= 1
            if depth == 0:
                return k if k > 0 and kinds[k - 1] == "ident" else -1
        elif not _typeish(texts[k], kinds[k]):
            return -1
    return -1


def _type_end(texts: list[str], kinds: list[str], j: int) -> bool:
    """Can token j end a type (`Curve`, `List<int>`, `double[]`, `int?`)?"""
    if j < 0:
        return False
    t = texts[j]
    if kinds[j] == "ident":  # `public Foo(` is a constructor: a use of the class name
        return t not in _NOT_PREFIX and t not in _MODIFIERS
    if t == ">":  # not `a > b`
        return _generic_open(texts, kinds, j) >= 0
    if t == "]":  # array rank only: `double[]`, `int[,]`; not `xs[i]`
        k = j - 1
        while k >= 0 and texts[k] == ",":
            k -= 1
        return k >= 1 and texts[k] == "[" and _type_end(texts, kinds, k - 1)
    return t == "?" and _type_end(texts, kinds, j - 1)


def _head(texts: list[str], kinds: list[str], i: int) -> int:
    """Start of the modifier/type run just before token i (`protected override void`)."""
    j, depth = i - 1, 0
    while j >= 0 and i - j < 40:
        t = texts[j]
        if t in ("<", ",") and depth == 0 or not (t in ("<", ">") or _typeish(t, kinds[j])):
            break
        depth += {">": 1, "<": -1}.get(t, 0)
        j -= 1
    return j + 1


def _angle_params(texts: list[str], kinds: list[str], lt: int) -> tuple[list[int], int]:
    """Name positions in a type-parameter list opening at lt, and its '>' (-1: none)."""
    end = min(lt + 40, len(texts))
    gt = next((k for k in range(lt + 1, end) if texts[k] != "," and kinds[k] != "ident"), end)
    if gt == end or texts[gt] != ">":
        return [], -1
    return [k for k in range(lt + 1, gt) if kinds[k] == "ident" and texts[k] not in ("in", "out")], gt


def _bracketed(texts: list[str], kinds: list[str], start: int, stop: int) -> list[int]:
    """Bare names strictly between start/stop: `(a, b) =>` parameters, enum members."""
    return [k for k in range(start + 1, stop) if kinds[k] == "ident" and texts[k] not in _NOT_NAME
            and texts[k - 1] in ("(", "{", ",") and texts[k + 1] in (",", ")", "}", "=")]


def _declaration_sites(kinds: list[str], texts: list[str]) -> set[int]:
    """Positions of the names this code declares, found heuristically from the tokens."""
    n, out = len(texts), set()
    for i, t in enumerate(texts):
        after = texts[i + 1] if i + 1 < n else ""
        if kinds[i] != "ident":
            if t == ")" and after == "=>":  # (a, b) => ...
                depth, k = 0, i
                while k >= 0 and (depth := depth + {")": 1, "(": -1}.get(texts[k], 0)):
                    k -= 1
                out.update(_bracketed(texts, kinds, k, i) if k >= 0 else [])
            continue
        if t in _NOT_NAME or i == 0:
            continue
        prev = texts[i - 1]
        if prev in _TYPE_DECL:  # class Foo<T>, enum E { A, B }
            out.add(i)
            if after == "<":
                out.update(_angle_params(texts, kinds, i + 1)[0])
            if prev == "enum":
                lb = next((k for k in range(i, min(i + 8, n)) if texts[k] == "{"), n)
                rb = next((k for k in range(lb, n) if texts[k] == "}"), n)
                out.update(_bracketed(texts, kinds, lb, rb) if rb < n else [])
        elif after == "=>" and kinds[i - 1] == "op" and prev not in (")", "]", ">", ".", "?"):
            out.add(i)  # x => ...
        elif _type_end(texts, kinds, i - 1):  # <type> <name> ...
            h = _head(texts, kinds, i)
            if "override" in texts[h:i]:
                continue  # overridden API members (SolveInstance, ComponentGuid) keep names
            if (texts[h - 1] if h else "") in ("is", "case") or (
                    after in _FOLLOW and not (prev == "?" and after == "(")):  # not `c ? F(`
                out.add(i)
            elif after == "<":  # generic method: T Foo<T>(...)
                params, gt = _angle_params(texts, kinds, i + 1)
                if 0 < gt < n - 1 and texts[gt + 1] == "(":
                    out.update([i, *params])
    return out


def _code_tokens(code: str) -> tuple[list[str], list[str]]:
    """(kinds, texts) of code tokens. Also drops indented #directives (the lexer's whitespace
    token swallows their line start) and folds `namespace A.B.C` to one placeholder."""
    kinds: list[str] = []
    texts: list[str] = []
    line_start, directive, in_ns = True, False, False
    for k, t in raw_tokens(code):
        if k == "ws" or directive:
            if k == "ws" and "\n" in t:
                line_start, directive = True, False
            continue
        if k in ("comment", "preproc") or (in_ns and (k == "ident" or t == ".")):
            continue
        if k == "op" and t == "#" and line_start:
            directive = True
            continue
        line_start, in_ns = False, k == "ident" and t == "namespace"
        kinds.append(k)
        texts.append(t[1:] if k == "ident" and t.startswith("@") else t)
        if in_ns:
            kinds.append("ns")
            texts.append(_NS)
    return kinds, texts


def _api_names(kinds: list[str], texts: list[str], declared: set[str]) -> frozenset[str]:
    """Member names the code uses but does not declare (`.DivideByCount`, `.Sqrt`)."""
    return frozenset(t for i, (k, t) in enumerate(zip(kinds, texts))
                     if k == "ident" and i and texts[i - 1] in (".", "?.") and t not in declared)


def _normalize(code: str) -> tuple[list[str], list[str], frozenset[str]]:
    """(tokens with declared names as v0, v1, ..., tokens with every declared name as 'v').
    Numbers follow first appearance; a name declared again (another method's `pManager`, a
    second `foreach (var t ...)`) gets a fresh number from there on, so a twin that spells
    the two differently still normalises the same."""
    kinds, texts = _code_tokens(code)
    sites = _declaration_sites(kinds, texts)
    declared = {texts[i] for i in sites}
    names: dict[str, str] = {}
    seen_decl: set[str] = set()
    renamed, collapsed, count = [], [], 0
    for i, (k, t) in enumerate(zip(kinds, texts)):
        if k == "ident" and t in declared:
            if t not in names or (i in sites and t in seen_decl):
                names[t], count = f"v{count}", count + 1
            renamed.append(names[t])
            collapsed.append("v")
            if i in sites:
                seen_decl.add(t)
            continue
        t = _STR if k == "string" else _CHR if k == "char" else t
        renamed.append(t)
        collapsed.append(t)
    return renamed, collapsed, _api_names(kinds, texts, declared)


def normalized_tokens(code: str) -> list[str]:
    """Code tokens without layout/comments/#lines, literals as placeholders, declared names
    alpha-renamed in order of first appearance, used (API) names and numbers kept."""
    return _normalize(code)[0]


def code_fingerprint(code: str) -> str:
    return stable_hash(" ".join(normalized_tokens(code)))

