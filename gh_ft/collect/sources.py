"""Finding source files, decoding them, and the content-hash cache.

The cache maps a file's content hash to what extraction made of it, so a re-run on
an unchanged corpus parses nothing; a stat index (size, mtime) avoids even reading
files whose stat is unchanged. A touched-but-identical file is read and hashed, then
found in the cache. Classification across files is not cached: it is cheap and must
see every file (editing a base class changes its subclasses in other files).
"""
from __future__ import annotations

import codecs
import hashlib
import os
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

from gh_ft.files import atomic_write_bytes

SOURCE_KINDS = {
    ".cs": "csharp", ".md": "markdown", ".markdown": "markdown", ".txt": "text",
    ".pdf": "pdf", ".docx": "docx",
}
CACHE_FORMAT = 5  # bump when extraction output changes shape or meaning


@dataclass
class SourceFile:
    rel: str          # posix path relative to the context folder
    path: Path
    kind: str
    size: int
    mtime_ns: int


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    ignored_by_glob: int = 0
    ignored_by_type: dict[str, int] = field(default_factory=dict)


def glob_to_regex(pattern: str) -> str:
    """A gitignore-like glob over posix paths: `**` spans folders, `*` does not."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def compile_ignore(patterns: list[str]) -> re.Pattern[str]:
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{glob_to_regex(p)})" for p in patterns))


def discover(root: Path, ignore: list[str]) -> Discovery:
    """Every supported file under root, sorted by path; ignored folders are not walked."""
    ignored = compile_ignore(ignore)
    found = Discovery()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        kept = []
        for d in dirnames:
            # A folder is pruned when a file inside it would be ignored (e.g. '**/bin/**').
            if ignored.fullmatch(f"{rel_dir}{d}/x") or ignored.fullmatch(f"{rel_dir}{d}"):
                found.ignored_by_glob += 1
            else:
                kept.append(d)
        dirnames[:] = sorted(kept)
        for name in filenames:
            rel = rel_dir + name
            if ignored.fullmatch(rel):
                found.ignored_by_glob += 1
                continue
            ext = os.path.splitext(name)[1].lower()
            kind = SOURCE_KINDS.get(ext)
            if kind is None:
                found.ignored_by_type[ext or "(none)"] = found.ignored_by_type.get(ext or "(none)", 0) + 1
                continue
            path = Path(dirpath) / name
            try:
                st = path.stat()
            except OSError:
                continue
            if not os.path.isfile(path):
                continue
            found.files.append(SourceFile(rel, path, kind, st.st_size, st.st_mtime_ns))
    found.files.sort(key=lambda f: f.rel)
    return found


class NotText(ValueError):
    pass


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) for UTF-8 with or without BOM, UTF-16 with or without BOM and
    cp1252; binary data raises NotText. Newlines are normalised to '\\n'."""
    if data.startswith(codecs.BOM_UTF8):
        text, enc = data[3:].decode("utf-8", "replace"), "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, enc = _decode_utf16(data, "utf-16")
    elif len(data) >= 4 and data.count(0) * 3 >= len(data) and _utf16_without_bom(data):
        text, enc = _decode_utf16(data, "utf-16-le" if data[1] == 0 else "utf-16-be")
    elif b"\x00" in data:
        raise NotText("binary file (NUL bytes)")
    else:
        try:
            text, enc = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, enc = data.decode("cp1252", "replace"), "cp1252"
    if _control_ratio(text) > 0.05:
        raise NotText("binary file (control characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n"), enc


def _utf16_without_bom(data: bytes) -> bool:
    sample = data[:4096]
    zeros_even = sample[0::2].count(0)
    zeros_odd = sample[1::2].count(0)
    half = len(sample) // 2
    return max(zeros_even, zeros_odd) >= 0.4 * half and min(zeros_even, zeros_odd) <= 0.05 * half


def _decode_utf16(data: bytes, codec: str) -> tuple[str, str]:
    try:
        return data.decode(codec), codec
    except UnicodeDecodeError as e:
        raise NotText(f"invalid UTF-16 ({e.reason})") from None


def _control_ratio(text: str) -> float:
    sample = text[:8192]
    if not sample:
        return 0.0
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    return bad / len(sample)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ExtractionCache:
    """content hash → extraction result (big, loaded only when something changed), and
    rel path → (size, mtime_ns, hash) (small, read on every run)."""

    def __init__(self, folder: Path, settings_key: str):
        self.results_path = folder / ".collect-cache.pickle"
        self.stats_path = folder / ".collect-stats.pickle"
        self.settings_key = settings_key
        self._results: dict[str, object] | None = None
        data = self._load(self.stats_path)
        self.stats: dict[str, tuple[int, int, str]] = data.get("stats", {}) if data else {}

    def _load(self, path: Path) -> dict | None:
        try:
            with open(path, "rb") as f:
                data = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError, TypeError):
            return None  # a missing or unreadable cache only costs time
        if isinstance(data, dict) and data.get("format") == CACHE_FORMAT and data.get("settings") == self.settings_key:
            return data
        return None

    @property
    def results(self) -> dict[str, object]:
        if self._results is None:
            data = self._load(self.results_path)
            self._results = data.get("results", {}) if data else {}
        return self._results

    def known_hash(self, f: SourceFile) -> str | None:
        entry = self.stats.get(f.rel)
        if entry and entry[0] == f.size and entry[1] == f.mtime_ns:
            return entry[2]
        return None

    def save(self, live_hashes: dict[str, tuple[int, int, str]]) -> None:
        """Results first, then the stat index (which trusts them); only entries of files
        that still exist are kept, so the cache never grows without bound."""
        header = {"format": CACHE_FORMAT, "settings": self.settings_key}
        if self._results is not None:
            wanted = {h for _, _, h in live_hashes.values()}
            results = {h: r for h, r in self._results.items() if h in wanted}
            atomic_write_bytes(self.results_path, pickle.dumps({**header, "results": results},
                                                               protocol=pickle.HIGHEST_PROTOCOL))
        atomic_write_bytes(self.stats_path, pickle.dumps({**header, "stats": live_hashes},
                                                         protocol=pickle.HIGHEST_PROTOCOL))
