"""Stage (e) of the judge: compile with mcs against the SDK reference assembly, many files per call.

The traps (issue 4) and how they are met:
  * one declaration-level error makes mcs stop before it checks any method body of the
    batch: a file is "pass" only when a call that included it finished without errors,
    or reported an error inside a method body (mcs then checked every body); otherwise
    the files that have errors are judged by them and taken out, and the rest are
    compiled again;
  * same-named classes in different files collide, and one file could borrow a class
    another declares: such files go to different calls (compile_units.py); files are
    compiled as written, so name lookup is the file's own;
  * errors are classed (compile_errors.py): what the reference assembly cannot know,
    C# newer than mcs, and names from outside the file are "unknown", never "fail".

The plugin's own sources (`gh-ft judge --context`), declarations only (bodies become
`throw null`, context_asm.py), are compiled once into a context assembly with `[assembly: InternalsVisibleTo("batch")]`, the name of every judged batch's
assembly, so the judged file sees the plugin as its own code does: `internal` members
(every Resources.Designer.cs) resolve. The plugin's own copy of a class the batch
declares is left out of lookup: mcs ignores an imported type that a source file of the
compilation declares (warning CS0436), so the judged class is the one compiled.
Framework assemblies real plugins use are referenced when Mono has them
(FRAMEWORK_EXTRA), and `references` adds DLLs (a plugin's bin/ folder, NuGet packages).
Without mcs (or System.Drawing) the stage is skipped and says why.
"""
from __future__ import annotations

import hashlib
import os
import queue
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

from gh_ft.judge.api_index import load_api_index
from gh_ft.judge.compile_errors import NEWER_CSHARP, ErrorClassifier, Judged, parse_mcs_output
from gh_ft.judge.compile_units import Unit, prepare_unit, wrap_unit
from gh_ft.judge.mcs_server import ResidentMcs, build_server
from gh_ft.judge.context_asm import remove_at_lines, strip_bodies, touched_types
from gh_ft.judge.refasm import HAND_PATH, ReferenceAssembly, RefAssemblyError, reference_assembly, run_mcs
from gh_ft.judge.refasm_hand import read_hand_types

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
BATCH_SIZE = 200        # most files per mcs call: a call costs ~0.25 s of mono start-up plus ~1 ms
                        # per file, so batches are large; a failing file makes its batch compile again
MAX_REASONS = 6
CONTEXT_ROUNDS = 12     # calls to build the context assembly, each taking out what mcs rejected
MCS_TIMEOUT_S = 300
INSTALL_HINT = "apt-get install mono-mcs libmono-system-drawing4.0-cil libmono-system-windows-forms4.0-cil"


@dataclass
class CompileResult:
    verdict: str
    reasons: list[str]


class CompileUnavailable(RuntimeError):
    """mcs or a framework assembly is missing: the stage is skipped, with this reason."""


def find_mcs() -> str | None:
    return shutil.which("mcs")


BATCH_ASSEMBLY = "batch"   # every judged batch's assembly name, which the context names in InternalsVisibleTo
# Framework assemblies real plugins reference, beyond the reference assembly's own: used when installed.
FRAMEWORK_EXTRA = ("System.Data.dll", "System.Xml.Linq.dll", "System.Net.Http.dll",
                   "System.Runtime.Serialization.dll", "System.ComponentModel.DataAnnotations.dll",
                   "System.Web.Extensions.dll", "System.Numerics.dll")
_MONO_DIRS = ("/usr/lib/mono/4.5", "/usr/lib/mono/4.5-api", "/usr/local/lib/mono/4.5",
              "/Library/Frameworks/Mono.framework/Versions/Current/lib/mono/4.5")
_CLI_GLOBS = ("/usr/lib/cli/Newtonsoft.Json-*/Newtonsoft.Json.dll",)


@lru_cache(maxsize=1)
def framework_extra() -> tuple[str, ...]:
    """The extra framework assemblies present here (names for Mono's own, paths for the rest)."""
    import glob

    found = [name for name in FRAMEWORK_EXTRA if any(Path(d, name).is_file() for d in _MONO_DIRS)]
    for pattern in _CLI_GLOBS:
        hits = sorted(glob.glob(pattern))
        if hits:
            found.append(hits[-1])
    return tuple(found)


def expand_references(references: Sequence[Path | str]) -> list[Path]:
    """DLL files as given, and every .dll in a given folder (a plugin's bin/)."""
    out: list[Path] = []
    for r in references:
        p = Path(r).resolve()
        if p.is_dir():
            out += sorted(q for q in p.rglob("*.dll") if q.is_file())
        elif p.is_file():
            out.append(p)
        else:
            raise CompileUnavailable(f"reference {r} is neither a DLL nor a folder")
    return list(dict.fromkeys(out))


def _mcs_args(ref: ReferenceAssembly, extra_refs: Sequence[Path], out: str) -> list[str]:
    return ["-target:library", "-langversion:latest", "-warn:0", "-noconfig", f"-out:{out}",
            *(f"-r:{r}" for r in ref.framework_refs), *(f"-r:{r}" for r in framework_extra()), f"-r:{ref.dll}",
            *(f"-r:{p}" for p in extra_refs)]


class Compiler:
    """Compiles judged files in batches. Kept for a process by the judge: it holds the
    reference assembly and the context assembly of the plugin being judged."""

    def __init__(self, mcs: str | None = None, cache_dir: Path | None = None, jobs: int | None = None,
                 batch_size: int = BATCH_SIZE, progress: Callable[[str], None] | None = None,
                 references: Sequence[Path | str] = ()):
        mcs = mcs or find_mcs()
        if not mcs:
            raise CompileUnavailable(f"mcs not installed ({INSTALL_HINT})")
        self.mcs = mcs
        try:
            self.ref = reference_assembly(mcs, cache_dir, progress=progress)
        except RefAssemblyError as e:
            raise CompileUnavailable(f"the reference assembly could not be built: {e}") from None
        self.classifier = ErrorClassifier(load_api_index(), self.ref.limits, _hand_types())
        self.references = expand_references(references)
        self.jobs = jobs or max(1, min(4, os.cpu_count() or 1))
        self.batch_size = max(1, batch_size)
        self._tmp = Path(tempfile.mkdtemp(prefix="gh-ft-compile-"))
        self._servers: queue.Queue | None = None
        if os.environ.get("GH_FT_RESIDENT_MCS", "1") != "0":
            built = build_server(mcs)
            if built is not None:   # one resident compiler per parallel job: no mono start-up per call
                self._servers = queue.Queue()
                for _ in range(self.jobs):
                    self._servers.put(ResidentMcs(*built))
        self._context: tuple[str, Path | None, set[str]] | None = None

    def close(self) -> None:
        while self._servers is not None and not self._servers.empty():
            self._servers.get().close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def _mcs(self, args: list[str], folder: Path) -> tuple[int, str]:
        """One compiler call: on a resident compiler when there is one, else a new mcs process."""
        if self._servers is None:
            return run_mcs(self.mcs, args, folder, MCS_TIMEOUT_S)
        server = self._servers.get()
        try:
            return server.run(args, folder, MCS_TIMEOUT_S)
        except (RuntimeError, OSError, ValueError):
            server.close()   # restarted on its next call
            return run_mcs(self.mcs, args, folder, MCS_TIMEOUT_S)
        finally:
            self._servers.put(server)

    def __enter__(self) -> "Compiler":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- the plugin's context ---------------------------------------------------

    def set_context(self, sources: Sequence[str]) -> None:
        """Compile the plugin's sources, declarations only (context_asm.py), into a context
        assembly; what mcs rejects is taken out declaration by declaration, round by round."""
        key = hashlib.sha256("\0".join(sources).encode()).hexdigest()[:16]
        if self._context is not None and self._context[0] == key:
            return
        if not sources:
            self._context = (key, None, set())
            self.classifier.context_classes = {}
            return
        folder = self._tmp / f"context-{key}"
        folder.mkdir(parents=True, exist_ok=True)
        texts: dict[int, str] = {}
        for i, text in enumerate(sources):
            stripped = strip_bodies(text)
            if not prepare_unit(i, stripped).features:
                texts[i] = stripped
        dll = folder / "GhFtContext.dll"
        (folder / "visible.cs").write_text(
            f'[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("{BATCH_ASSEMBLY}")]\n', encoding="utf-8")
        names = {i: f"c{i:05d}.cs" for i in texts}
        built = False
        trimmed: set[str] = set()   # the plugin's types that lost a declaration (or the file) here
        for _ in range(CONTEXT_ROUNDS):
            if not texts:
                break
            for i, text in texts.items():
                (folder / names[i]).write_text(text, encoding="utf-8")
            try:
                rc, output = self._mcs(_mcs_args(self.ref, self.references, dll.name) + ["visible.cs"]
                                       + [names[i] for i in sorted(texts)], folder)
            except subprocess.TimeoutExpired:
                break
            if rc == 0:
                built = True
                break
            errors, _ = parse_mcs_output(output)
            lines: dict[str, set[int]] = {}
            for e in errors:
                lines.setdefault(e.file, set()).add(e.line)
            by_name = {name: i for i, name in names.items() if i in texts}
            hit = [by_name[f] for f in lines if f in by_name]
            if not hit:
                break  # mcs fails without pointing at a context file: no context assembly
            for i in hit:
                smaller = remove_at_lines(texts[i], lines[names[i]])
                if smaller is None or smaller == texts[i]:
                    trimmed |= prepare_unit(i, texts[i]).declared_types
                    del texts[i]
                else:
                    trimmed |= touched_types(texts[i], lines[names[i]])
                    texts[i] = smaller
        units = [prepare_unit(i, texts[i]) for i in sorted(texts)] if built else []
        self.classifier.context_classes = {c.name: c for u in units for c in u.classes}
        self.classifier.context_trimmed = trimmed if built else set()
        if units:
            namespaces = set().union(*(u.declared_namespaces for u in units))
            self._context = (key, dll, namespaces)
        else:
            self._context = (key, None, set())

    # ---- judged files -----------------------------------------------------------

    def compile(self, codes: Sequence[str], trees: Sequence | None = None) -> list[CompileResult]:
        results: list[CompileResult | None] = [None] * len(codes)
        units: list[Unit] = []
        for i, code in enumerate(codes):
            unit = prepare_unit(i, code, trees[i] if trees is not None else None)
            if unit.features:
                results[i] = CompileResult(UNKNOWN, [f"compile: uses {', '.join(unit.features)}, newer C# than "
                                                     "mcs understands; not compiled"])
            else:
                units.append(unit)
        alone = [[u] for u in units if u.alone]
        shared = [u for u in units if not u.alone]
        count = max(min(self.jobs, len(shared) // 20 or 1), -(-len(shared) // self.batch_size)) if shared else 0
        batches = alone + _pack(shared, count, self.batch_size)
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            for done in pool.map(self._compile_batch, batches):
                for index, result in done:
                    results[index] = result
        return [r if r is not None else CompileResult(UNKNOWN, ["compile: not judged"]) for r in results]

    def _compile_batch(self, units: list[Unit]) -> list[tuple[int, CompileResult]]:
        folder = Path(tempfile.mkdtemp(prefix="batch-", dir=self._tmp))
        _, context_dll, context_ns = self._context or ("", None, set())
        extra = [*self.references, *([context_dll] if context_dll is not None else [])]
        try:
            return self._rounds(folder, units, extra)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _rounds(self, folder: Path, units: list[Unit], extra: list) -> list[tuple[int, CompileResult]]:
        """mcs calls until every file is judged. A file whose only errors are library types in
        its declarations (mcs then stops before any body) comes back in the next call with
        those types as `dynamic` (open_library_types), so that what its bodies do wrong with
        known types is still found; of that pass only certain errors count."""
        results: dict[int, CompileResult] = {}
        variant_of: dict[str, int] = {}       # a variant's file name -> the index of its file
        for u in units:
            (folder / u.file_name).write_text(wrap_unit(u), encoding="utf-8")
        remaining = list(units)
        while remaining:
            try:
                rc, output = self._mcs(_mcs_args(self.ref, extra, f"{BATCH_ASSEMBLY}.dll") +
                                       [u.file_name for u in remaining], folder)
            except subprocess.TimeoutExpired:
                for u in remaining:
                    if u.file_name not in variant_of:
                        results[u.index] = CompileResult(UNKNOWN, [f"compile: mcs took over {MCS_TIMEOUT_S} s"])
                break
            if rc == 0:  # a clean call: every body of every remaining file was checked
                for u in remaining:
                    if u.file_name not in variant_of:
                        results[u.index] = CompileResult(PASS, [])
                break
            errors, bare = parse_mcs_output(output)
            by_file: dict[str, list] = {}
            for e in errors:
                by_file.setdefault(e.file, []).append(e)
            failing = [u for u in remaining if u.file_name in by_file]
            if not failing:
                why = "; ".join(bare[:2]) or output.strip()[-300:]
                for u in remaining:
                    if u.file_name not in variant_of:
                        results[u.index] = CompileResult(UNKNOWN, [f"compile: mcs failed without naming a file: {why}"])
                break
            variants = []
            for u in failing:
                errs = by_file[u.file_name]
                if u.file_name in variant_of:
                    found = self._judge_errors(u, errs, variant=True)
                    if found.verdict == FAIL:
                        results[variant_of[u.file_name]] = CompileResult(
                            FAIL, [*found.reasons, "(found with the undefined library types taken as `dynamic`)"])
                    continue
                results[u.index] = self._judge_errors(u, errs)
                text = open_library_types(u, errs) if results[u.index].verdict == UNKNOWN else None
                if text is not None:
                    v = prepare_unit(u.index + VARIANT_OFFSET, text)
                    variant_of[v.file_name] = u.index
                    (folder / v.file_name).write_text(wrap_unit(v), encoding="utf-8")
                    variants.append(v)
            remaining = [u for u in remaining if u.file_name not in by_file]
            if any(u.in_body(e.line) and e.code not in NEWER_CSHARP for u in failing for e in by_file[u.file_name]):
                # A semantic error inside a method body (not a parser error, which stops mcs
                # before any checking): mcs reached the bodies and checks them all in that
                # phase, so the files without errors were checked through: no second call.
                for u in remaining:
                    if u.file_name not in variant_of:
                        results[u.index] = CompileResult(PASS, [])
                remaining = [u for u in remaining if u.file_name in variant_of]
            remaining += variants   # they meet no file of theirs: their originals left the call
        return [(u.index, results.get(u.index, CompileResult(UNKNOWN, ["compile: not judged"]))) for u in units]

    def _judge_errors(self, unit: Unit, errors: list, variant: bool = False) -> CompileResult:
        judged = [self.classifier.classify(e, unit) for e in errors]
        judged = knock_on(errors, judged)
        if variant:
            # With the library's names gone, a name may bind elsewhere (`LogLevel` to a .NET type):
            # only a wrong use of an SDK member in a body, not involving `dynamic`, stays certain.
            judged = [j if j.fail and j.kind in ("unknown API", "type error") and e.code not in DYNAMIC_CODES
                      and "dynamic" not in e.message and unit.in_body(e.line)
                      and _SDK_NAME_RE.search(" ".join([e.message, *(r.message for r in e.related)]))
                      else Judged("knock-on", False, j.text) if j.fail else j
                      for e, j in zip(errors, judged)]
        fails = [j for j in judged if j.fail]
        if fails:
            reasons = [j.text for j in fails[:MAX_REASONS]]
            if len(fails) > MAX_REASONS:
                reasons.append(f"... and {len(fails) - MAX_REASONS} more error(s)")
            return CompileResult(FAIL, reasons)
        kinds = sorted({j.kind for j in judged})
        reasons = [f"compile: {len(judged)} error(s), none of them certain ({', '.join(kinds)})"]
        reasons += [j.text for j in judged[:MAX_REASONS - 1]]
        return CompileResult(UNKNOWN, reasons)


# In the `dynamic` pass, errors these codes name may come from what was taken out (an
# extension method or a `using static` name of the missing library, a member of the type).
DYNAMIC_CODES = {"CS1977", "CS1978", "CS1979", "CS1973", "CS0656", "CS1976", "CS1061", "CS0103",
                 "CS0841", "CS0165", "CS0428", "CS1660"}
_SDK_NAME_RE = __import__("re").compile(r"\b(Rhino|Grasshopper|GH_IO)\.")
VARIANT_OFFSET = 1_000_000   # variants' file names: u<index + offset>.cs
_UNRESOLVED_DECL = {"CS0246", "CS0234", "CS0400"}


def open_library_types(unit: Unit, errors: list) -> str | None:
    """The file with the library types its declarations name (the only errors, all outside
    bodies: a `using` of a missing namespace, a field, property or signature of a missing
    type) taken out: such `using` lines blanked, such types written `dynamic`. None when
    that does not apply (an error in a body, a base class from the library...)."""
    import re

    if not errors or any(e.code not in _UNRESOLVED_DECL or unit.in_body(e.line) for e in errors):
        return None
    lines = unit.code.split("\n")
    for e in errors:
        if not 0 < e.line <= len(lines):
            return None
        line = lines[e.line - 1]
        stripped = line.strip()
        names = re.findall(r"`([^']*)'", e.message)
        if not names:
            return None
        if stripped.startswith("using ") and "(" not in stripped:
            lines[e.line - 1] = ""
            continue
        if re.search(r"\b(class|struct|interface|enum|namespace)\b", stripped) or stripped.startswith("["):
            return None
        simple = re.escape(names[0].split("<")[0].rsplit(".", 1)[-1])
        new = re.sub(r"(?<![\w.])(?:[A-Za-z_]\w*\s*\.\s*)*" + simple + r"(?:\s*\.\s*[A-Za-z_]\w*)*(?:\s*<[^<>;()]*>)?(?!\w)", "dynamic", line)
        if new == line:
            return None
        lines[e.line - 1] = new
    return "\n".join(lines)


def knock_on(errors: list, judged: list) -> list:
    """After an error that is not certain (a type nobody here defines), mcs reports errors
    that follow from it (KNOCK_ON codes: the local whose type failed is then "used before it
    is declared"); those are not certain either."""
    from gh_ft.judge.compile_errors import KNOCK_ON, Judged

    if all(j.fail for j in judged):
        return judged
    return [Judged("knock-on", False, f"{j.text.split(': ', 1)[-1]} (follows from an error that is not certain)")
            if j.fail and e.code in KNOCK_ON else j for e, j in zip(errors, judged)]


def _pack(units: list[Unit], count: int, size: int) -> list[list[Unit]]:
    """`count` batches (more where files conflict or a batch is full), round-robin, no two
    conflicting files (compile_units.Unit.conflicts) in one batch."""
    batches: list[list[Unit]] = [[] for _ in range(max(count, 1))]
    for i, u in enumerate(units):
        start = i % len(batches)
        order = batches[start:] + batches[:start]
        home = next((b for b in order if len(b) < size and not any(u.conflicts(v) for v in b)), None)
        if home is None:
            home = []
            batches.append(home)
        home.append(u)
    return [b for b in batches if b]


@lru_cache(maxsize=1)
def _hand_types():
    return read_hand_types(HAND_PATH.read_text(encoding="utf-8"))


def context_sources(files: Sequence) -> list[str]:
    """C# text of the plugin's context files (FileDecls): usings, namespace, classes."""
    out = []
    for f in files:
        if getattr(f, "source", ""):
            out.append(f.source)   # the whole file: enums, interfaces, delegates, assembly attributes
            continue
        tops = [c for c in f.classes if not c.outer]
        if not tops:
            continue
        usings = "".join((u if u.strip().startswith(("using", "global")) else f"using {u};") + "\n" for u in f.usings)
        by_ns: dict[str, list[str]] = {}
        for c in tops:
            by_ns.setdefault(c.namespace, []).append(c.text)
        body = "".join((f"namespace {ns}\n{{\n" + "\n".join(texts) + "\n}\n") if ns else "\n".join(texts) + "\n"
                       for ns, texts in by_ns.items())
        out.append(usings + body)
    return out
