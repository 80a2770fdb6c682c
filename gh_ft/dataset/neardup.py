"""Near-duplicate code: MinHash sketches over normalised token shingles, LSH candidates,
exact Jaccard verification, and the different-logic guard; dedup of examples and train/test leaks."""
from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from gh_ft.dataset.example import Example, stable_hash
from gh_ft.dataset.normalize import _normalize

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



def find_leaks(train_codes: Sequence[str], test_codes: Sequence[str], threshold: float = 0.8
               ) -> list[tuple[int, int]]:
    """Sorted (train index, test index) pairs whose codes are near-duplicates."""
    index = NearDupIndex(threshold)
    for i, code in enumerate(train_codes):
        index.add(str(i), code)
    return sorted((int(k), j) for j, code in enumerate(test_codes) for k in index.query(code))
