"""The compile stage's reference assembly: RhinoCommon/Grasshopper as C# with `throw null;` bodies.

Why: mcs needs assemblies to compile a component against, and the real RhinoCommon.dll
and Grasshopper.dll are neither redistributable nor loadable here. The same McNeel stubs
the API index comes from also give member signatures (data/api_signatures.json.gz, see
scripts/stub_signatures.py); the core of the component API they lack is hand-kept C# in
data/grasshopper_core.cs. Both are compiled once with `mcs -target:library` into a cache
folder keyed by their hash.

What the stubs cannot say is kept as `RefLimits` beside the DLL, so that the compile
stage can tell an error in the code from an error of this assembly's own making: members
dropped because a type could not be named or did not compile (e.g. Windows Forms types
mono lacks), out/ref positions guessed, sequence parameters that may be `params`.
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from gh_ft.files import atomic_write_json, file_lock, fsync_dir
from gh_ft.judge.refasm_hand import read_hand_types
from gh_ft.judge.refasm_render import VALUE_TYPES, render_source

REFASM_VERSION = 1
DATA = Path(__file__).parent / "data"
SIGNATURES_PATH = DATA / "api_signatures.json.gz"
HAND_PATH = DATA / "grasshopper_core.cs"
ASSEMBLY_NAME = "GhFtReference"
FRAMEWORK_REFS = ("System.dll", "System.Core.dll", "System.Xml.dll", "System.Drawing.dll", "Microsoft.CSharp.dll",
                  "System.Windows.Forms.dll")  # the SDK's context menus take Windows Forms types
MAX_ROUNDS = 12


class RefAssemblyError(GhFtError, RuntimeError):
    """The reference assembly cannot be built (mcs missing, a framework assembly missing, ...)."""


@dataclass
class RefLimits:
    """What the reference assembly knows only approximately, by member name."""
    flags: dict[str, str] = field(default_factory=dict)     # "Type.Name" and "Name" -> flags (see `flag`)
    max_args: dict[str, int] = field(default_factory=dict)  # "Type.Name" and "Name" -> most parameters
    value_types: frozenset[str] = VALUE_TYPES
    types: frozenset[str] = frozenset()                     # SDK types the assembly defines
    dropped_types: frozenset[str] = frozenset()

    def flag(self, name: str, owner: str | None = None) -> str:
        """o (out/ref positions guessed), s (last parameter a sequence: maybe `params`),
        d (an overload left out), for `owner.name` when the owner is known, else any `name`."""
        if owner is not None and f"{owner}.{name}" in self.flags:
            return self.flags[f"{owner}.{name}"]
        return "" if owner is not None and f"{owner}.{name}" in self.max_args else self.flags.get(name, "")

    def most_args(self, name: str, owner: str | None = None) -> int:
        return self.max_args.get(f"{owner}.{name}" if owner else name, self.max_args.get(name, 0))

    def to_json(self) -> dict:
        return {"flags": self.flags, "max_args": self.max_args, "types": sorted(self.types),
                "dropped_types": sorted(self.dropped_types)}

    @classmethod
    def from_json(cls, data: dict) -> "RefLimits":
        return cls(data["flags"], data["max_args"], VALUE_TYPES, frozenset(data["types"]),
                   frozenset(data["dropped_types"]))


@dataclass
class ReferenceAssembly:
    dll: Path
    limits: RefLimits
    framework_refs: tuple[str, ...] = FRAMEWORK_REFS



def limits_of(signatures: dict, skipped: set[tuple], dropped_types: set[str]) -> RefLimits:
    """Flags and largest parameter counts of methods and constructors, keyed both by
    "Type.Name" (when mcs names the type) and by "Name" alone (when it does not)."""
    flags: dict[str, set[str]] = {}
    max_args: dict[str, int] = {}

    def note(keys: tuple[str, str], add: str = "", count: int = -1) -> None:
        for k in keys:
            if add:
                flags.setdefault(k, set()).update(add)
            if count >= 0:
                max_args[k] = max(max_args.get(k, 0), count)

    for full, t in signatures["types"].items():
        simple = full.rsplit(".", 1)[-1]
        for name in t.get("dropped", []):
            name = name or simple
            note((f"{full}.{name}", name), "d")
        for i, m in enumerate(t.get("members", [])):
            if m[0] not in ("m", "c"):
                continue
            name = m[1] or simple
            keys = (f"{full}.{name}", name)
            note(keys, m[5], len(m[4]))
            if (full, i) in skipped:
                note(keys, "d")
    types = frozenset(n for n in signatures["types"] if n not in dropped_types)
    return RefLimits({n: "".join(sorted(f)) for n, f in flags.items()}, max_args, VALUE_TYPES, types,
                     frozenset(dropped_types))


# ---- building (the edge) --------------------------------------------------------------

_ERROR_RE = re.compile(r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\+?\): error (?P<code>CS\d+): (?P<msg>.*)$", re.M)


def cache_root() -> Path:
    env = os.environ.get("GH_FT_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gh-ft"


@lru_cache(maxsize=16)
def _file_hash(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def assembly_key(signatures_path: Path = SIGNATURES_PATH, hand_path: Path = HAND_PATH) -> str:
    parts = [f"v{REFASM_VERSION}"]
    for p in (signatures_path, hand_path, Path(__file__), Path(__file__).with_name("refasm_hand.py"),
              Path(__file__).with_name("refasm_render.py")):
        st = p.stat()
        parts.append(_file_hash(str(p), st.st_mtime_ns, st.st_size))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def run_mcs(mcs: str, args: list[str], cwd: Path, timeout: float = 600) -> tuple[int, str]:
    proc = subprocess.run([mcs, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          errors="replace")
    return proc.returncode, proc.stdout + proc.stderr


def build_reference_assembly(out_dir: Path, mcs: str, signatures_path: Path = SIGNATURES_PATH,
                             hand_path: Path = HAND_PATH, progress=None) -> ReferenceAssembly:
    """Render, compile (dropping what mcs rejects, round by round) and write
    <out_dir>/GhFtReference.dll, limits.json and the rendered stubs.cs (for reading).
    Raises RefAssemblyError on failure."""
    with gzip.open(signatures_path, "rt", encoding="utf-8") as f:
        signatures = json.load(f)
    hand_text = hand_path.read_text(encoding="utf-8")
    hand = read_hand_types(hand_text)
    skip: set[tuple] = set()
    no_base: set[str] = set()
    dropped_types: set[str] = set()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "grasshopper_core.cs").write_text(hand_text, encoding="utf-8")
    for round_no in range(1, MAX_ROUNDS + 1):
        rendered = render_source(signatures, hand, skip, no_base)
        (out_dir / "stubs.cs").write_text(rendered.source, encoding="utf-8")
        args = ["-target:library", "-langversion:latest", "-warn:0", f"-out:{ASSEMBLY_NAME}.dll",
                *(f"-r:{r}" for r in FRAMEWORK_REFS), "stubs.cs", "grasshopper_core.cs"]
        rc, output = run_mcs(mcs, args, out_dir)
        if rc == 0:
            break
        missing = re.findall(r"CS0006: Metadata file `([^']+)' could not be found", output)
        if missing:
            raise RefAssemblyError(f"{', '.join(missing)} not found for mcs "
                                  "(apt-get install libmono-system-drawing4.0-cil libmono-system-windows-forms4.0-cil)")
        errors = list(_ERROR_RE.finditer(output))
        if not errors:
            raise RefAssemblyError(f"mcs failed to build the reference assembly: {output.strip()[:2000]}")
        if progress:
            progress(f"reference assembly, round {round_no}: leaving out {len(errors)} member(s) mcs rejects")
        fatal = []
        had_no_base = set(no_base)
        for e in errors:
            where = rendered.lines.get(int(e["line"])) if e["file"].endswith("stubs.cs") else None
            if where is None:
                fatal.append(e.group(0))
                continue
            full = where[0]
            if where[1] == -1:  # the type's header: its base list
                t = signatures["types"].get(full, {"kind": "class"})
                if t["kind"] in ("enum", "delegate") or full in had_no_base:
                    dropped_types.add(full)
                    skip.add((full, 0))
                    if t["kind"] not in ("enum", "delegate"):
                        fatal.append(e.group(0))
                no_base.add(full)
            elif where[1] == -3:  # IEnumerable<T> implementation: give it up with the base list
                no_base.add(full)
            elif where[1] == -2:
                fatal.append(e.group(0))
            else:
                skip.add(where)
        if fatal:
            raise RefAssemblyError("the reference assembly does not compile:\n" + "\n".join(fatal[:30]))
    else:
        raise RefAssemblyError(f"the reference assembly still fails after {MAX_ROUNDS} rounds")
    limits = limits_of(signatures, skip, dropped_types)
    atomic_write_json(out_dir / "limits.json", limits.to_json())
    return ReferenceAssembly(out_dir / f"{ASSEMBLY_NAME}.dll", limits)


_loaded: dict[str, ReferenceAssembly] = {}


def reference_assembly(mcs: str, cache_dir: Path | None = None, progress=None) -> ReferenceAssembly:
    """The reference assembly for the current signatures and hand-kept code: from the cache
    (<cache>/refasm/<key>/), else built once (a lock keeps two processes from building
    it twice; the folder appears by an atomic rename, complete or not at all)."""
    key = assembly_key()
    root = (cache_dir or cache_root()) / "refasm"
    final = root / key
    if str(final) in _loaded:
        return _loaded[str(final)]
    if not (final / "limits.json").exists():
        with file_lock(root / f".{key}.lock", wait=True):
            if not (final / "limits.json").exists():
                if progress:
                    progress("building the reference assembly from the API signatures (once, ~15 s)")
                tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
                try:
                    build_reference_assembly(tmp, mcs, progress=progress)
                    os.replace(tmp, final)
                    fsync_dir(root)
                except BaseException:
                    shutil.rmtree(tmp, ignore_errors=True)
                    raise
    data = json.loads((final / "limits.json").read_text(encoding="utf-8"))
    ref = ReferenceAssembly(final / f"{ASSEMBLY_NAME}.dll", RefLimits.from_json(data))
    _loaded[str(final)] = ref
    return ref

