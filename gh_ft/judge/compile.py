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
    C# newer than mcs, and names from outside the file are "unknown", never "fail";
  * a file mcs cannot check through gets a second look (compile_variants.py): the bodies
    holding C# mcs cannot parse taken out, or the library types its declarations name
    opened (`dynamic`, a stand-in GH_Component base for a component whose base is a
    library's); of that look only a wrong use of an SDK member in a body that touches
    nothing opened counts, and it can only fail the file, never pass it;
  * "mcs reached the bodies" is read only from errors in body spans of a clean parse and
    never from a declaration-phase code (DECLARATION_CODES);
  * speed: a file importing a namespace nobody here defines (a guess from its usings and
    what earlier calls rejected) goes to a call apart from the clean files, which are then
    checked through in one call, and to its first call with its declarations only (the
    lines inside its bodies blanked: mcs would not check them in that call anyway); files
    are packed into few calls (DSatur colouring of the
    conflicts); extra framework assemblies are referenced only by calls whose files name
    them; the batches' files live on /dev/shm where there is one.

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
import re
import queue
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

from gh_ft.csharp.parse import parse_tree
from gh_ft.judge.api_index import load_api_index
from gh_ft.judge.compile_errors import NEWER_CSHARP, ErrorClassifier, Judged, parse_mcs_output
from gh_ft.judge.compile_units import Unit, prepare_unit, wrap_unit
from gh_ft.judge.mcs_server import ResidentMcs, build_server
from gh_ft.judge.compile_variants import (STAND_IN, Opened, drop_unparsable_bodies, open_library_types,
                                          unresolved_names)
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


def _mcs_args(ref: ReferenceAssembly, extra_refs: Sequence[Path], out: str,
              framework: Sequence[str] | None = None) -> list[str]:
    """`framework`: the extra framework assemblies to reference (default: every one installed)."""
    framework = framework_extra() if framework is None else framework
    return ["-target:library", "-langversion:latest", "-warn:0", "-noconfig", f"-out:{out}",
            *(f"-r:{r}" for r in ref.framework_refs), *(f"-r:{r}" for r in framework), f"-r:{ref.dll}",
            *(f"-r:{p}" for p in extra_refs)]


# The words a file names when it uses an extra framework assembly (its namespace's own words).
_EXTRA_WORDS = {"System.Data.dll": ("Data",), "System.Xml.Linq.dll": ("Xml", "Linq"), "System.Net.Http.dll": ("Http",),
                "System.Runtime.Serialization.dll": ("Runtime", "Serialization"),
                "System.ComponentModel.DataAnnotations.dll": ("DataAnnotations",),
                "System.Web.Extensions.dll": ("Web", "Script"), "System.Numerics.dll": ("Numerics",)}


def _extra_words(name: str) -> tuple[str, ...]:
    return ("Newtonsoft",) if "Newtonsoft" in name else _EXTRA_WORDS.get(Path(name).name, (Path(name).stem,))


def framework_for(words: set[str] | frozenset[str]) -> list[str]:
    """The installed extra framework assemblies whose namespaces `words` (a file's, a
    context's) can name: each costs every compiler call its loading, so only those."""
    return [name for name in framework_extra() if all(w in words for w in _extra_words(name))]


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
        shm = Path("/dev/shm")   # memory-backed where there is one: hundreds of files are written per batch
        self._tmp = Path(tempfile.mkdtemp(prefix="gh-ft-compile-", dir=shm if shm.is_dir() and os.access(shm, os.W_OK)
                                          else None))
        self._servers: queue.Queue | None = None
        if os.environ.get("GH_FT_RESIDENT_MCS", "1") != "0":
            built = build_server(mcs)
            if built is not None:   # one resident compiler per parallel job: no mono start-up per call
                self._servers = queue.Queue()
                for _ in range(self.jobs):
                    self._servers.put(ResidentMcs(*built))
        self._context: tuple[str, Path | None, set[str]] | None = None
        # `using` targets mcs could not resolve, per context (what one plugin lacks another may hold)
        self._missing: dict[str, set[str]] = {}
        self._context_words: frozenset[str] = frozenset()   # the context's words (framework_for)

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
            self._context_words = frozenset()
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
        self._context_words = frozenset().union(*(u.words for u in units)) if units else frozenset()
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
        second: dict[str, _Variant] = {}     # a variant's file name -> what it is a variant of
        for i, code in enumerate(codes):
            tree = trees[i] if trees is not None and trees[i] is not None else parse_tree(code)
            unit = prepare_unit(i, code, tree)
            if unit.features:
                results[i] = CompileResult(UNKNOWN, [f"compile: uses {', '.join(unit.features)}, newer C# than "
                                                     "mcs understands; not compiled"])
                # The other bodies can still be checked: those holding the newer C# become `throw null`.
                text = None if tree.root_node.has_error else drop_unparsable_bodies(code, list(unit.feature_nodes))
                v = _variant_unit(unit, VARIANT_OFFSET + i, text) if text is not None else None
                if v is not None:
                    second[v.file_name] = _Variant(i, False, None, 1, "(found with the bodies mcs cannot parse "
                                                                      "taken out)")
                    units.append(v)
            else:
                units.append(unit)
        alone = [[u] for u in units if u.alone]
        shared = [u for u in units if not u.alone]
        # A file that imports a namespace nobody here defines makes mcs stop before every body
        # of its call; such files go to calls of their own, so the others are checked through
        # in one call (a guess from the usings: a wrong one costs a call, never a verdict).
        known = self._known_namespace
        suspect = [u for u in shared if any(not known(t, u) for t in _using_namespaces(u))]
        clean = [u for u in shared if u not in suspect]
        batches = alone
        if not clean or not suspect:
            count = max(min(self.jobs, len(shared) // 20 or 1), -(-len(shared) // self.batch_size)) if shared else 0
            batches += _pack(shared, count, self.batch_size)
        else:
            # clean files that conflict with the clean batch go with the suspects (checked through
            # in their second call, which those need anyway) rather than into a call of their own
            first = [[] for _ in range(-(-len(clean) // self.batch_size))]
            overflow = _place(clean, first, self.batch_size, grow=False)
            rest = [[] for _ in range(-(-len(suspect + overflow) // self.batch_size))]
            left = _place(suspect + overflow, rest, self.batch_size, grow=False)
            # a suspect that meets every suspect batch joins the clean one (one more call there)
            # before it opens a batch of its own (two more calls)
            left = _place(left, first, self.batch_size, grow=False)
            _place(left, rest, self.batch_size, grow=True)
            batches += [b for b in first + rest if b]
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            shallow = {u.file_name for u in suspect}
            for done in pool.map(lambda b: self._compile_batch(b, second, shallow), batches):
                for index, result in done:
                    if result.verdict == FAIL or results[index] is None:
                        results[index] = result
        return [r if r is not None else CompileResult(UNKNOWN, ["compile: not judged"]) for r in results]

    def _compile_batch(self, units: list[Unit], second: dict, shallow: set[str] = frozenset()
                       ) -> list[tuple[int, CompileResult]]:
        folder = Path(tempfile.mkdtemp(prefix="batch-", dir=self._tmp))
        _, context_dll, context_ns = self._context or ("", None, set())
        extra = [*self.references, *([context_dll] if context_dll is not None else [])]
        try:
            return _Rounds(self, folder, units, extra, second, shallow).run()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _known_namespace(self, name: str, unit: Unit) -> bool:
        """Whether mcs resolves this namespace here: .NET's, the SDK's, the plugin's (context)
        or the file's own. A guess (a .NET namespace Mono lacks passes as known)."""
        root = name.split(".")[0]
        if name in self._missing_namespaces or any(name == m or name.startswith(m + ".") for m in _absent_framework()):
            return False
        if root in ("System", "Microsoft") or name in unit.declared_namespaces:
            return True
        if root == "Newtonsoft" and any("Newtonsoft" in r for r in framework_extra()):
            return True
        context_ns = self._context[2] if self._context is not None else set()
        if name in context_ns or any(ns.startswith(name + ".") for ns in context_ns):
            return True
        return self.classifier.index.is_namespace(name)

    def _learn_missing(self, failing: list[Unit], by_file: dict) -> None:
        """Namespaces whose `using` mcs rejected (CS0246, CS0234 on a using line): later batches
        put files importing them with the other suspects (a guess that only places files)."""
        for u in failing:
            lines = u.code.split("\n")
            for e in by_file[u.file_name]:
                if e.code in ("CS0246", "CS0234") and 0 < e.line <= len(lines):
                    m = re.match(r"\s*using\s+([\w.\s]+?)\s*;", lines[e.line - 1])
                    if m and "=" not in m.group(1):
                        self._missing_namespaces.add(re.sub(r"\s+", "", m.group(1)))

    @property
    def _missing_namespaces(self) -> set[str]:
        return self._missing.setdefault(self._context[0] if self._context is not None else "", set())

    def _stand_in_member(self, name: str) -> bool:
        return self.classifier.index.lookup(STAND_IN, name, via_this=True).status == "known"

    def _stand_in_type(self, name: str) -> bool:
        names = self.classifier.index.type_names
        return any(f"{owner}.{name}" in names for owner in
                   (STAND_IN, "Grasshopper.Kernel.GH_ActiveObject", "Grasshopper.Kernel.GH_DocumentObject",
                    "Grasshopper.Kernel.GH_InstanceDescription"))

    def _open(self, unit: Unit, errors: list, look: "_Variant | None") -> "tuple[Unit, _Variant] | None":
        """The next variant of a file whose errors all lie in declarations, with names mcs
        could not resolve among them: its library types opened (compile_variants.py)."""
        depth = look.depth + 1 if look is not None else 1
        if depth > MAX_VARIANT_DEPTH or any(unit.in_body(e.line) or e.code in NEWER_CSHARP for e in errors):
            return None
        known = look.opened.unresolved if look is not None and look.opened is not None else frozenset()
        if not (unresolved_names(errors) - known):
            return None
        opened = open_library_types(unit.code, errors, known, self._stand_in_member, self._stand_in_type, unit.tree)
        if opened is None:
            return None
        if look is not None and look.opened is not None:
            opened.guard |= look.opened.guard
            opened.stand_in = opened.stand_in or look.opened.stand_in
        origin = look.origin if look is not None else unit.index
        v = _variant_unit(unit, VARIANT_OFFSET * depth + origin, opened.code)
        return v, _Variant(origin, True, opened, depth, "(found with the undefined library types taken as `dynamic`)")

    def _judge_errors(self, unit: Unit, errors: list, variant: "_Variant | None" = None) -> CompileResult:
        judged = [self.classifier.classify(e, unit) for e in errors]
        judged = knock_on(errors, judged)
        if variant is not None and variant.strict:
            # What was opened may bind elsewhere or hide a member the library supplies: only a
            # wrong use of an SDK member in a body, touching nothing opened, stays certain.
            lines = unit.code.split("\n")
            judged = [j if j.fail and self._proven_in_opened(e, j, unit, variant.opened, lines)
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

    def _proven_in_opened(self, e, j, unit: Unit, opened: "Opened", lines: list[str]) -> bool:
        if j.kind not in ("unknown API", "type error") or e.code in DYNAMIC_CODES or not unit.in_body(e.line):
            return False
        message = " ".join([e.message, *(r.message for r in e.related)])
        if "dynamic" in message or not _SDK_NAME_RE.search(message):
            return False
        line = lines[e.line - 1] if 0 < e.line <= len(lines) else ""
        return not opened.touches(message, line, self._stand_in_member)


class _Rounds:
    """mcs calls over one batch until every file in it is judged. A file mcs could not check
    through gets a second look (compile_variants.py), compiled in the next call: the bodies mcs
    cannot parse taken out, or the library types its declarations name opened (mcs stops
    before any body at a declaration it cannot resolve); a variant can only find a failure.
    Files in `shallow_names` (expected to stop mcs at their declarations) go to their first
    call without the lines inside their bodies, which mcs would not check then anyway: only
    their declaration errors count there, and a file that showed none, or showed anything
    else, is compiled whole in the next call.

    State of one batch: `remaining` (files the next call compiles), `shallow` (those of them
    still written without their bodies), `second` (variant file name -> what it is a variant
    of, shared with the Compiler's other batches) and `results` (index -> verdict; a
    variant's finding is kept under -1 - the index of the file it came from)."""

    def __init__(self, compiler: "Compiler", folder: Path, units: list[Unit], extra: list, second: dict,
                 shallow_names: set[str]):
        self.compiler, self.folder, self.extra, self.second = compiler, folder, extra, second
        self.results: dict[int, CompileResult] = {}
        self.originals = [u for u in units if u.file_name not in second]
        self.shallow = {u.file_name for u in self.originals if u.file_name in shallow_names and u.body_lines}
        for u in units:
            self._write(u, _declarations_only(u) if u.file_name in self.shallow else wrap_unit(u))
        self.remaining = list(units)

    def run(self) -> list[tuple[int, CompileResult]]:
        while self.remaining and self._call():
            pass
        out = [(u.index, self.results.get(u.index, CompileResult(UNKNOWN, ["compile: not judged"])))
               for u in self.originals]
        return out + [(-1 - k, r) for k, r in self.results.items() if k < 0]

    def _write(self, unit: Unit, text: str) -> None:
        (self.folder / unit.file_name).write_text(text, encoding="utf-8")

    def _settle(self, units: list[Unit], result: CompileResult) -> None:
        for u in units:
            if u.file_name not in self.second:
                self.results[u.index] = result

    def _whole(self, units: list[Unit]) -> list[Unit]:
        """Shallow files back to their whole text, for the next call."""
        for u in units:
            if u.file_name in self.shallow:
                self.shallow.discard(u.file_name)
                self._write(u, wrap_unit(u))
        return units

    def _checked_through(self, units: list[Unit]) -> list[Unit]:
        """Settle the (whole) files of `units` as passed; the shallow ones are left."""
        self._settle([u for u in units if u.file_name not in self.shallow], CompileResult(PASS, []))
        return [u for u in units if u.file_name in self.shallow]

    def _call(self) -> bool:
        """One mcs call over `remaining`; False when the batch is settled for good."""
        c = self.compiler
        words = set(c._context_words).union(*(u.words for u in self.remaining))
        try:
            rc, output = c._mcs(_mcs_args(c.ref, self.extra, f"{BATCH_ASSEMBLY}.dll", framework_for(words)) +
                                [u.file_name for u in self.remaining], self.folder)
        except subprocess.TimeoutExpired:
            self._settle(self.remaining, CompileResult(UNKNOWN, [f"compile: mcs took over {MCS_TIMEOUT_S} s"]))
            return False
        if rc == 0:  # a clean call: every body of every remaining (whole) file was checked
            self.remaining = self._whole(self._checked_through(self.remaining))
            return True
        errors, bare = parse_mcs_output(output)
        by_file: dict[str, list] = {}
        for e in errors:
            by_file.setdefault(e.file, []).append(e)
        set_aside = False
        for u in self.remaining:   # a shallow file's errors count only where they are its declarations'
            if u.file_name in self.shallow and u.file_name in by_file and any(
                    u.in_body(e.line) or e.code in NEWER_CSHARP or e.code not in _SHALLOW_CODES
                    for e in by_file[u.file_name]):
                del by_file[u.file_name]
                set_aside = True
        failing = [u for u in self.remaining if u.file_name in by_file]
        c._learn_missing(failing, by_file)
        if not failing and set_aside:   # only what the shallow text caused: all again, whole
            self.remaining = self._whole(self.remaining)
            return True
        if not failing:
            why = "; ".join(bare[:2]) or output.strip()[-300:]
            self._settle(self.remaining, CompileResult(UNKNOWN, [f"compile: mcs failed without naming a file: {why}"]))
            return False
        variants = self._judge_failing(failing, by_file)
        remaining = [u for u in self.remaining if u.file_name not in by_file]
        if any(u.in_body(e.line) and e.code not in NEWER_CSHARP and e.code not in DECLARATION_CODES
               for u in failing for e in by_file[u.file_name]):
            # A semantic error inside a method body (not a parser error, which stops mcs
            # before any checking): mcs reached the bodies and checks them all in that
            # phase, so the (whole) files without errors were checked through: no second call.
            remaining = self._checked_through(remaining)
        self.remaining = self._whole(remaining) + variants   # variants meet no file of theirs: their originals left
        return True

    def _judge_failing(self, failing: list[Unit], by_file: dict) -> list[Unit]:
        """Verdicts for the files mcs named; the variants (second looks) to compile next."""
        c = self.compiler
        variants = []
        for u in failing:
            errs = by_file[u.file_name]
            look = self.second.get(u.file_name)
            if look is not None:
                found = c._judge_errors(u, errs, variant=look)
                if found.verdict == FAIL:
                    self.results.setdefault(-1 - look.origin, CompileResult(FAIL, [*found.reasons, look.note]))
                    continue
            else:
                self.results[u.index] = c._judge_errors(u, errs)
                if self.results[u.index].verdict != UNKNOWN:
                    continue
            v = c._open(u, errs, look)
            if v is not None:
                self._write(v[0], wrap_unit(v[0]))
                self.second[v[0].file_name] = v[1]
                variants.append(v[0])
        return variants


@dataclass
class _Variant:
    origin: int              # the index of the judged file
    strict: bool             # library types opened: only what touches none of them counts
    opened: "Opened | None"
    depth: int
    note: str


MAX_VARIANT_DEPTH = 3
# Errors mcs reports while it defines types and members, before any body: never a sign that
# it reached the bodies, wherever their line lies.
DECLARATION_CODES = {f"CS{c}" for c in ("0101 0102 0106 0111 0115 0260 0263 0305 0308 0426 0505 0506 0507 0508 "
                                        "0533 0534 0535 0538 0539 0540").split()}


# In the `dynamic` pass, errors these codes name may come from what was taken out (an
# extension method or a `using static` name of the missing library, a member of the type).
DYNAMIC_CODES = {"CS1977", "CS1978", "CS1979", "CS1973", "CS0656", "CS1976", "CS1061", "CS0103",
                 "CS0841", "CS0165", "CS0428", "CS1660"}
_SDK_NAME_RE = re.compile(r"\b(Rhino|Grasshopper|GH_IO)\.")
VARIANT_OFFSET = 1_000_000   # variants' file names: u<index + offset>.cs


@lru_cache(maxsize=1)
def _absent_framework() -> tuple[str, ...]:
    """Namespaces of the extra framework assemblies (FRAMEWORK_EXTRA) that are not installed."""
    present = set(framework_extra())
    names = {"System.Web.Extensions.dll": "System.Web.Script"}
    return tuple(names.get(n, n.removesuffix(".dll")) for n in FRAMEWORK_EXTRA if n not in present)


# What a shallow file's first call may report and still count: mcs's answers about
# declarations (types that do not resolve, overrides and members that do not fit).
_SHALLOW_CODES = {"CS0246", "CS0234", "CS0400", "CS0426", "CS0305", "CS0308"} | DECLARATION_CODES


def _declarations_only(unit: Unit) -> str:
    """The file with the lines strictly inside its member bodies blanked (lines kept)."""
    lines = unit.code.split("\n")
    for first, last in unit.body_lines:
        for i in range(first, last - 1):
            lines[i] = ""
    return "\n".join(lines)


def _using_namespaces(unit: Unit) -> list[str]:
    """The namespaces a file's using directives import (for `using static T` and aliases, the
    namespace of the type named)."""
    out = []
    for u in unit.usings:
        text = u.strip()
        static = text.startswith("static ")
        text = text.removeprefix("static ").strip()
        alias = "=" in text
        if alias:
            text = text.split("=", 1)[1].strip()
        text = re.sub(r"\s+", "", text.split("<")[0]).removeprefix("global::")
        if static or alias:
            text = text.rsplit(".", 1)[0] if "." in text else ""
        if text:
            out.append(text)
    return out


def _variant_unit(unit: Unit, index: int, text: str) -> Unit:
    """A variant of `unit`: the same lines, bodies and declared types (the rewrites keep every
    line, and a variant runs in its original's batch), without the newer C# taken out. Its
    tree is parsed only when a further variant needs it."""
    import dataclasses

    return dataclasses.replace(unit, index=index, code=text, features=[], feature_nodes=(), tree=None)


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
    _place(units, batches, size, grow=True)
    return [b for b in batches if b]


def _place(units: list[Unit], batches: list[list[Unit]], size: int, grow: bool) -> list[Unit]:
    """Each unit into one of `batches` where it meets no conflicting file; a new batch where
    none fits (`grow`), else it is returned. Few batches (compiler calls): the file with the
    most batches already closed to it goes first (DSatur colouring), into the least full
    batch open to it."""
    if not units:
        return []
    small = len(units) < 2000
    pool = units + [v for b in batches for v in b]   # the files already placed count too
    neighbours = {id(u): [v for v in pool if v is not u and u.conflicts(v)] for u in units} if small else {}
    todo = list(units)
    left = []
    where: dict[int, int] = {id(v): i for i, b in enumerate(batches) for v in b}
    while todo:
        def closed(u):
            return {where[id(v)] for v in neighbours.get(id(u), ()) if id(v) in where}
        u = max(todo, key=lambda u: (len(closed(u)), len(neighbours.get(id(u), ())))) if small else todo[0]
        todo.remove(u)
        shut = closed(u) if small else set()
        fits = [i for i, b in enumerate(batches) if len(b) < size and i not in shut
                and (small or not any(u.conflicts(v) for v in b))]
        if fits:
            home = min(fits, key=lambda i: len(batches[i]))
        elif grow:
            batches.append([])
            home = len(batches) - 1
        else:
            left.append(u)
            continue
        batches[home].append(u)
        where[id(u)] = home
    return left


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
