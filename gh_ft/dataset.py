"""Dataset hygiene shared by collection, training's dataset check and feedback ingestion.

A fine-tuning set built from one developer's plugins is full of near-copies: a component
pasted into another plugin with a new GUID, new display strings, renamed locals and a
reformat. Left in, they inflate the set and, split across train/test, make evaluation
measure memorisation. So code is compared on a *normalised* token stream (no layout,
comments or literal text; declared names alpha-renamed, API names kept): exact copies by
fingerprint, near copies by MinHash/LSH with exact Jaccard verification. The split is
grouped and hash-stable, so adding data never moves an existing example across it.
Everything is deterministic: sha256/blake2b and fixed seeds, never Python's salted hash().
"""
from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from gh_ft.csharp.lexer import raw_tokens


@dataclass
class Example:
    instruction: str
    input: str
    output: str
    source: str  # origin: 'src/X.cs#Class' or 'docs/guide.pdf:page 3'
    kind: str = "component"  # 'component' | 'skeleton' | 'document'
    group: str = ""  # split-group key; a skeleton carries its original's group
    meta: dict = field(default_factory=dict)

    def alpaca(self) -> dict:
        return {"instruction": self.instruction, "input": self.input, "output": self.output}


def stable_hash(text: str) -> str:
    """sha256 hex of the UTF-8 text: the same in every process and on every machine."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# ---------------------------------------------------------------- normalisation

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


# ---------------------------------------------------------------- near duplicates

_MUL = np.uint64(0x100000001B3)  # odd multiplier of the rolling shingle hash


@lru_cache(maxsize=1 << 16)
def _token_hash(tok: str) -> int:
    digest = hashlib.blake2b(tok.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _shingle_set(tokens: list[str], k: int) -> np.ndarray:
    """Sorted unique 64-bit hashes of the k-token shingles (one shingle if fewer tokens)."""
    h = np.array([_token_hash(t) for t in tokens] or [_token_hash("")], dtype=np.uint64)
    k = min(k, len(h))
    n = len(h) - k + 1
    acc = np.zeros(n, dtype=np.uint64)
    for j in range(k):  # polynomial hash of each window; uint64 arrays wrap mod 2**64
        acc = acc * _MUL + h[j:j + n]
    return np.unique(acc)


@lru_cache(maxsize=8)
def _perm_params(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """Multiply-shift hash parameters (a odd) from a fixed-seed RNG: the same everywhere."""
    rng = np.random.Generator(np.random.PCG64(0x6768_2D66_7420_6D69_6E68_6173_68))
    a = rng.integers(0, 2**64, size=num_perm, dtype=np.uint64) | np.uint64(1)
    return a, rng.integers(0, 2**64, size=num_perm, dtype=np.uint64)


def _signature(shingles: np.ndarray, num_perm: int) -> np.ndarray:
    """MinHash: per permutation, the min of (a*x + b) >> 32 over the shingles."""
    a, b = _perm_params(num_perm)
    out = np.full(num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
    for s in range(0, len(shingles), 4096):  # bound the (shingles x perms) matrix
        part = ((shingles[s:s + 4096, None] * a + b) >> np.uint64(32)).min(axis=0)
        out = np.minimum(out, part.astype(np.uint32))
    return out


@lru_cache(maxsize=64)
def _band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows): the most rows per band (fewest boilerplate-level candidates) that
    still makes a pair at exactly `threshold` a candidate with probability >= 0.95."""
    best = (num_perm, 1)
    for r in range(1, num_perm + 1):
        if 1.0 - (1.0 - threshold ** r) ** (num_perm // r) >= 0.95:
            best = (num_perm // r, r)
    return best


@dataclass(frozen=True)
class CodeSketch:
    """Everything near-duplicate checks need of one code, computed once (the collector
    computes it in worker processes and caches it with the file)."""
    fingerprint: str
    shingles: np.ndarray  # sorted unique shingle hashes
    signature: np.ndarray  # MinHash, uint32[num_perm]
    api: frozenset[str]   # member names used, for the different-logic guard
    shingle: int = 5


_Doc = CodeSketch


def sketch(code: str, shingle: int = 5, num_perm: int = 64) -> CodeSketch:
    renamed, collapsed, api = _normalize(code)
    # Shingles see every declared name as 'v': one inserted declaration must not renumber
    # (and so change) every later shingle.
    sh = _shingle_set(collapsed, shingle)
    return CodeSketch(stable_hash(" ".join(renamed)), sh, _signature(sh, num_perm), api, shingle)


# Shingle similarity alone cannot tell a twin from a component that calls a different
# API in the same boilerplate (DivideByCount → DivideByLength scores ~0.95): near copies
# may add or drop at most this many used member names; a swapped call is two.
MAX_API_DIFFERENCE = 1


class NearDupIndex:
    """Code near-duplicate index: exact fingerprint, then MinHash LSH candidates
    verified by exact Jaccard of normalised shingle sets."""

    def __init__(self, threshold: float = 0.8, num_perm: int = 64, shingle: int = 5):
        if not 0.0 < threshold <= 1.0 or num_perm < 1 or shingle < 1:
            raise ValueError("need 0 < threshold <= 1, num_perm >= 1, shingle >= 1")
        self.threshold, self.num_perm, self.shingle = threshold, num_perm, shingle
        self._bands, self._rows = _band_params(threshold, num_perm)
        self._min_estimate = threshold - 3.0 * (threshold * (1.0 - threshold) / num_perm) ** 0.5
        self._keys: list[str] = []
        self._sets: list[np.ndarray] = []
        self._apis: list[frozenset[str]] = []
        self._sigs = np.empty((64, num_perm), dtype=np.uint32)
        self._api_sizes = np.empty(64, dtype=np.int64)
        self._by_fp: dict[str, list[int]] = {}
        self._tables: list[dict[bytes, array]] = [{} for _ in range(self._bands)]

    def __len__(self) -> int:
        return len(self._keys)

    def _doc(self, code: str | CodeSketch) -> CodeSketch:
        if isinstance(code, CodeSketch) and code.shingle == self.shingle and len(code.signature) == self.num_perm:
            return code
        return sketch(code if isinstance(code, str) else "", self.shingle, self.num_perm)

    def _band_keys(self, sig: np.ndarray) -> list[bytes]:
        r = self._rows
        return [sig[i * r:(i + 1) * r].tobytes() for i in range(self._bands)]

    def _insert(self, key: str, doc: _Doc) -> int:
        idx = len(self._keys)
        if idx == len(self._sigs):
            self._sigs = np.concatenate([self._sigs, np.empty_like(self._sigs)])
            self._api_sizes = np.concatenate([self._api_sizes, np.empty_like(self._api_sizes)])
        self._keys.append(key)
        self._sets.append(doc.shingles)
        self._apis.append(doc.api)
        self._api_sizes[idx] = len(doc.api)
        self._sigs[idx] = doc.signature
        self._by_fp.setdefault(doc.fingerprint, []).append(idx)
        for table, bk in zip(self._tables, self._band_keys(doc.signature)):
            table.setdefault(bk, array("q")).append(idx)
        return idx

    def _matches(self, doc: _Doc) -> tuple[np.ndarray, np.ndarray]:
        """(ids, Jaccards) of indexed docs with exact Jaccard >= threshold, ids ascending.
        LSH candidates are pre-filtered, so the many boilerplate-level pairs (J ~0.5 between
        unrelated components) skip the exact check: by set sizes (J <= small/large, exact)
        and by MinHash estimate (kept within 3 sigma of the threshold: ~0.3% of pairs at
        exactly the threshold lost, on top of LSH's 5%; none above ~0.85)."""
        hits = [np.array(t[bk], dtype=np.int64) for t, bk in
                zip(self._tables, self._band_keys(doc.signature)) if bk in t]
        if not hits:
            return np.empty(0, dtype=np.int64), np.empty(0)
        ids = np.unique(np.concatenate(hits))
        ids = ids[(self._sigs[ids] == doc.signature).mean(axis=1) >= self._min_estimate]
        # The different-logic guard is cheaper than exact Jaccard: sizes first, then sets.
        ids = ids[np.abs(self._api_sizes[ids] - len(doc.api)) <= MAX_API_DIFFERENCE]
        ids = ids[[len(self._apis[i] ^ doc.api) <= MAX_API_DIFFERENCE for i in ids.tolist()]] if len(ids) else ids
        x = doc.shingles
        sizes = np.array([self._sets[i].size for i in ids.tolist()], dtype=np.int64)
        fits = np.minimum(sizes, x.size) >= self.threshold * np.maximum(sizes, x.size)
        ids, sizes = ids[fits], sizes[fits]
        if not len(ids):
            return ids, np.empty(0)
        # Exact Jaccard for all survivors at once: look every candidate shingle up in ours.
        cat = np.concatenate([self._sets[i] for i in ids.tolist()])
        found = x[np.minimum(np.searchsorted(x, cat), x.size - 1)] == cat
        inter = np.add.reduceat(found.astype(np.int64), np.cumsum(sizes) - sizes)
        jac = inter / (x.size + sizes - inter)
        keep = jac >= self.threshold
        return ids[keep], jac[keep]

    def add(self, key: str, code: str) -> None:
        self._insert(key, self._doc(code))

    def query(self, code: str) -> list[str]:
        """Keys of near-duplicates of `code`: same fingerprint first, then by Jaccard."""
        doc = self._doc(code)
        exact = self._by_fp.get(doc.fingerprint, [])
        ids, jac = self._matches(doc)
        scored = [(-2.0, i) for i in exact] + list(zip((-jac).tolist(), ids.tolist()))
        keys = (self._keys[i] for _, i in sorted(scored))
        return list(dict.fromkeys(keys))  # a key added twice appears once, at its best


def cluster_near_duplicates(items: Sequence[tuple[str, str | CodeSketch]], threshold: float = 0.8
                            ) -> dict[str, str]:
    """(key, code) pairs -> {key: representative key}; a cluster's representative is its
    member that comes first in `items`. Clusters are the transitive closure of near-dup pairs."""
    parent = list(range(len(items)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: int, y: int) -> None:
        rx, ry = find(x), find(y)
        if rx != ry:  # the earlier item stays root, so the root is the representative
            parent[max(rx, ry)] = min(rx, ry)

    index = NearDupIndex(threshold)
    first_by_fp: dict[str, int] = {}
    item_of: list[int] = []  # index id -> position in items
    for pos, (_, code) in enumerate(items):
        doc = index._doc(code)
        if doc.fingerprint in first_by_fp:  # tier 1; identical shingles, so no need to index
            union(pos, first_by_fp[doc.fingerprint])
            continue
        first_by_fp[doc.fingerprint] = pos
        for i in index._matches(doc)[0].tolist():
            union(pos, item_of[i])
        item_of.append(pos)
        index._insert(items[pos][0], doc)
    return {key: items[find(pos)][0] for pos, (key, _) in enumerate(items)}


def dedup_examples(examples: Sequence[Example], threshold: float = 0.8,
                   sketches: Mapping[str, CodeSketch] | None = None
                   ) -> tuple[list[Example], list[tuple[Example, Example]]]:
    """Collapse examples with near-duplicate outputs to the first in order.
    Returns (kept, [(dropped, kept_instead)]), both in input order. A 'skeleton' is not
    compared: it is dropped exactly when every original of its group was dropped (with
    the example that replaced the group's first original), and kept otherwise."""
    originals = [i for i, ex in enumerate(examples) if ex.kind != "skeleton"]
    sketches = sketches or {}
    rep = cluster_near_duplicates([(str(i), sketches.get(examples[i].output) or examples[i].output)
                                   for i in originals], threshold)
    replaced = {i: int(rep[str(i)]) for i in originals if rep[str(i)] != str(i)}
    group_fate: dict[str, int | None] = {}  # group -> None (lives) or replacing example
    for i in originals:
        g = examples[i].group
        if g and i not in replaced:
            group_fate[g] = None
        elif g:
            group_fate.setdefault(g, replaced[i])
    kept: list[Example] = []
    dropped: list[tuple[Example, Example]] = []
    for i, ex in enumerate(examples):
        skeleton = ex.kind == "skeleton" and ex.group
        instead = group_fate.get(ex.group) if skeleton else replaced.get(i)
        if instead is None:
            kept.append(ex)
        else:
            dropped.append((ex, examples[instead]))
    return kept, dropped


# ---------------------------------------------------------------- split and leaks

def split_side(group: str, seed: int, test_fraction: float) -> str:
    """'test' or 'train', from sha256(f"{seed}:{group}") alone: stable as data grows."""
    if not 0.0 <= test_fraction <= 1.0:
        raise ValueError(f"test_fraction must be in [0, 1], got {test_fraction}")
    digest = hashlib.sha256(f"{seed}:{group}".encode("utf-8", "surrogatepass")).digest()
    return "test" if int.from_bytes(digest[:8], "big") < test_fraction * 2**64 else "train"


def group_key(ex: Example) -> str:
    """The split group of an example: its group, or its source when it has none."""
    return ex.group or ex.source


def split_examples(examples: Sequence[Example], seed: int, test_fraction: float
                   ) -> tuple[list[Example], list[Example]]:
    """(train, test), whole groups to one side, input order kept."""
    train: list[Example] = []
    test: list[Example] = []
    for ex in examples:
        (test if split_side(group_key(ex), seed, test_fraction) == "test" else train).append(ex)
    return train, test


def find_leaks(train_codes: Sequence[str], test_codes: Sequence[str], threshold: float = 0.8
               ) -> list[tuple[int, int]]:
    """Sorted (train index, test index) pairs whose codes are near-duplicates."""
    index = NearDupIndex(threshold)
    for i, code in enumerate(train_codes):
        index.add(str(i), code)
    return sorted((int(k), j) for j, code in enumerate(test_codes) for k in index.query(code))
