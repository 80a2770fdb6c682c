"""`gh-ft collect`: discover → extract (cached, in parallel) → find components across
files → examples → dedup → grouped split → atomic writes + manifest.

The dataset folder (`--out`) is owned by collect: train/test/examples/docs.jsonl and
manifest.json are rewritten on every run. Anything else in it (feedback.jsonl, the
extraction cache) is left alone.
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import dataclasses
import datetime as _dt
import hashlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from gh_ft import __version__
from gh_ft.csharp.components import find_components
from gh_ft.csharp.declarations import FileDecls
from gh_ft.dataset import CodeSketch, Example, dedup_examples, split_examples, stable_hash
from gh_ft.files import atomic_write_json, atomic_write_jsonl, file_lock
from gh_ft.settings import CollectSettings
from gh_ft.collect.code import component_examples
from gh_ft.collect.extract import FileResult, PreparedUnit, extract_source
from gh_ft.collect.pdf import close_reader
from gh_ft.collect.sources import Discovery, ExtractionCache, SourceFile, content_hash, discover

OUTPUT_FILES = ("examples.jsonl", "train.jsonl", "test.jsonl", "docs.jsonl")
_PARALLEL_MIN_FILES = 24  # below this, starting worker processes costs more than it saves


class CollectError(GhFtError, RuntimeError):
    """The collection cannot produce a dataset (no examples, unreadable folder...)."""


@dataclass
class CollectReport:
    out: Path
    counts: dict[str, int]
    skipped: list[dict[str, str]]
    warnings: list[str] = field(default_factory=list)
    unchanged: bool = False


def _settings_key(c: CollectSettings) -> str:
    # Only what changes extraction results may invalidate the cache.
    return stable_hash(json.dumps({"redact": c.redact_secrets, "version": __version__}))


def _extract_job(job: tuple[str, bytes, bool]) -> FileResult:
    kind, data, redact = job
    return extract_source(kind, data, redact)


def _read_and_hash(files: list[SourceFile], cache: ExtractionCache, max_bytes: int,
                   skipped: list[dict[str, str]]) -> tuple[dict[str, str], dict[str, bytes]]:
    """Content hash of each usable file; files whose (size, mtime) is unchanged are not read."""
    hashes: dict[str, str] = {}
    fresh: dict[str, bytes] = {}
    for f in files:
        if f.size > max_bytes:
            skipped.append({"path": f.rel, "reason": f"too large ({f.size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB)"})
            continue
        if f.size == 0:
            skipped.append({"path": f.rel, "reason": "empty file"})
            continue
        known = cache.known_hash(f)
        if known is not None:
            hashes[f.rel] = known
            continue
        try:
            data = f.path.read_bytes()
        except OSError as e:
            skipped.append({"path": f.rel, "reason": f"unreadable: {e.strerror or e}"})
            continue
        hashes[f.rel] = content_hash(data)
        fresh[f.rel] = data
    return hashes, fresh


def _cache_misses(files: list[SourceFile], hashes: dict[str, str], fresh: dict[str, bytes],
                  cache: ExtractionCache, skipped: list[dict[str, str]]) -> list[tuple[SourceFile, str, bytes]]:
    misses, queued = [], set()
    for f in files:
        digest = hashes.get(f.rel)
        if digest is None or digest in cache.results or digest in queued:
            continue
        data = fresh.get(f.rel)
        if data is None:  # the stat index knew it, but the results file lost it
            try:
                data = f.path.read_bytes()
            except OSError as e:
                skipped.append({"path": f.rel, "reason": f"unreadable: {e.strerror or e}"})
                hashes.pop(f.rel)
                continue
        queued.add(digest)
        misses.append((f, digest, data))
    return misses


def _run_extraction(misses, settings: CollectSettings, progress: Callable[[int, int], None] | None) -> list[FileResult]:
    jobs = [(f.kind, data, settings.redact_secrets) for f, _, data in misses]
    workers = settings.workers or os.cpu_count() or 1
    results: list[FileResult] = []
    if workers > 1 and len(jobs) >= _PARALLEL_MIN_FILES:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for r in pool.map(_extract_job, jobs, chunksize=max(1, min(32, len(jobs) // (workers * 4)))):
                results.append(r)
                if progress:
                    progress(len(results), len(jobs))
    else:
        for job in jobs:
            results.append(_extract_job(job))
            if progress:
                progress(len(results), len(jobs))
        close_reader()  # the PDF reader child of this process lived for all PDFs of the collect
    return results


def _with_path(decls: FileDecls, path: str) -> FileDecls:
    return dataclasses.replace(decls, path=path)


def _build_examples(sources: list[tuple[SourceFile, FileResult]], settings: CollectSettings, warnings: list[str]
                    ) -> tuple[list[Example], dict[str, list[str]], list[dict[str, str]], dict[str, CodeSketch]]:
    """Examples in a stable order (source files by path), per-source component names, docs rows."""
    all_decls: list[FileDecls] = []
    block_context: dict[str, tuple[str, str]] = {}  # pseudo path → (context, source rel)
    prepared: dict[int, PreparedUnit] = {}  # id(ClassDecl) → its cached unit, sketch, skeleton
    for f, r in sources:
        if r.decls is not None:
            all_decls.append(_with_path(r.decls, f.rel))
            prepared.update((id(r.decls.classes[i]), u) for i, u in r.units.items())
        for block in r.code_blocks:
            pseudo = f"{f.rel}:{block.location}"
            all_decls.append(_with_path(block.decls, pseudo))
            prepared.update((id(block.decls.classes[i]), u) for i, u in block.units.items())
            block_context[pseudo] = (block.context, f.rel)
    per_source: dict[str, list[str]] = {}
    examples: list[Example] = []
    sketches: dict[str, CodeSketch] = {}
    for comp in find_components(all_decls):
        path = comp.file.path
        context, origin = block_context.get(path, ("", path))
        kind = "document" if path in block_context else "component"
        unit = prepared[id(comp.decl)]
        made = component_examples(comp, f"{path}#{comp.class_name}", kind, context, settings.skeleton_variants,
                                  unit.unit, unit.skeleton)
        sketches[unit.unit] = unit.sketch
        group = unit.sketch.fingerprint
        for ex in made:
            ex.group = group
        examples.extend(made)
        per_source.setdefault(origin, []).append(comp.class_name)
        if comp.decl.span_from_lexer:
            warnings.append(f"{path}: {comp.class_name} had parse errors; its span was recovered by brace matching")
    docs: list[dict[str, str]] = []
    seen: set[str] = set()
    for f, r in sources:
        for text in r.prose:
            text = text.strip()
            key = stable_hash(" ".join(text.split()))
            if len(text) >= settings.min_prose_chars and key not in seen:
                seen.add(key)
                docs.append({"text": text, "source": f.rel})
    return examples, per_source, docs, sketches


def collect(settings: CollectSettings, progress: Callable[[int, int], None] | None = None,
            force: bool = False) -> CollectReport:
    root, out = Path(settings.context_dir), Path(settings.out)
    if not root.is_dir():
        raise CollectError(f"context folder not found: {root}")
    out.mkdir(parents=True, exist_ok=True)
    with file_lock(out / ".collect.lock"):
        return _collect_locked(root, out, settings, progress, force)


def _collect_locked(root: Path, out: Path, settings: CollectSettings, progress, force: bool) -> CollectReport:
    discovery: Discovery = discover(root, settings.ignore + settings.extra_ignore)
    cache = ExtractionCache(out, _settings_key(settings))
    skipped: list[dict[str, str]] = []
    hashes, fresh = _read_and_hash(discovery.files, cache, int(settings.max_file_mb * 1e6), skipped)

    run_key = stable_hash(json.dumps({
        "files": sorted(hashes.items()), "settings": dataclasses.asdict(settings) | {"context_dir": "", "out": ""},
        "version": __version__,
    }, default=str))
    previous = _read_manifest(out)
    if not force and previous.get("run_key") == run_key and _outputs_intact(out, previous):
        cache.save({f.rel: (f.size, f.mtime_ns, hashes[f.rel]) for f in discovery.files if f.rel in hashes})
        return CollectReport(out, previous.get("counts", {}), previous.get("skipped", []),
                             previous.get("warnings", []), unchanged=True)

    misses = _cache_misses(discovery.files, hashes, fresh, cache, skipped)
    for (f, digest, _), result in zip(misses, _run_extraction(misses, settings, progress)):
        cache.results[digest] = result
    cache.save({f.rel: (f.size, f.mtime_ns, hashes[f.rel]) for f in discovery.files if f.rel in hashes})

    sources: list[tuple[SourceFile, FileResult]] = []
    for f in discovery.files:
        if f.rel not in hashes:
            continue
        result = cache.results[hashes[f.rel]]
        if result.skipped:
            skipped.append({"path": f.rel, "reason": result.skipped})
        else:
            sources.append((f, result))

    warnings: list[str] = []
    examples, per_source, docs, sketches = _build_examples(sources, settings, warnings)
    kept, dropped = dedup_examples(examples, settings.near_duplicate_threshold, sketches)
    if not kept:
        raise CollectError(
            f"no Grasshopper component found in {root} ({len(discovery.files)} files read, {len(skipped)} skipped): "
            "the collector needs C# classes deriving from GH_Component (directly, through the plugin's own base "
            "classes, or overriding SolveInstance/RegisterInputParams)")
    train, test = split_examples(kept, settings.seed, settings.test_fraction)
    if not test and settings.test_fraction > 0:
        warnings.append(f"the test split is empty ({len(kept)} examples): evaluation will have nothing to score")

    atomic_write_jsonl(out / "examples.jsonl", (_full_row(e) for e in kept))
    atomic_write_jsonl(out / "train.jsonl", (e.alpaca() for e in train))
    atomic_write_jsonl(out / "test.jsonl", (e.alpaca() for e in test))
    atomic_write_jsonl(out / "docs.jsonl", ({"text": d["text"]} for d in docs))

    counts = {
        "files_found": len(discovery.files), "files_parsed": len(misses), "files_cached": len(hashes) - len(misses),
        "files_skipped": len(skipped), "components": sum(1 for e in kept if e.kind != "skeleton"),
        "examples": len(kept), "train": len(train), "test": len(test), "docs": len(docs),
        "near_duplicates_dropped": len(dropped),
        "redactions": sum(len(r.redactions) for _, r in sources),
    }
    manifest = {
        "gh_ft_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "context_dir": str(root.resolve()),
        "run_key": run_key,
        "split": {"seed": settings.seed, "test_fraction": settings.test_fraction, "method": "sha256(seed:group) < fraction"},
        "counts": counts,
        "sources": [_source_entry(f, hashes[f.rel], r, per_source.get(f.rel, [])) for f, r in sources],
        "skipped": skipped,
        "ignored": {"by_glob": discovery.ignored_by_glob, "by_type": dict(sorted(discovery.ignored_by_type.items()))},
        "near_duplicates": [{"dropped": d.source, "kept": k.source} for d, k in dropped],
        "redactions": [{"path": f.rel, "line": line, "kind": kind, **({"where": where} if where else {})}
                       for f, r in sources for line, kind, where in r.redactions],
        "warnings": warnings,
        "outputs": {name: _file_sha(out / name) for name in OUTPUT_FILES},
    }
    atomic_write_json(out / "manifest.json", manifest)
    return CollectReport(out, counts, skipped, warnings)


def _full_row(e: Example) -> dict:
    return {**e.alpaca(), "source": e.source, "kind": e.kind, "group": e.group, "meta": e.meta}


def _source_entry(f: SourceFile, digest: str, r: FileResult, components: list[str]) -> dict:
    entry = {"path": f.rel, "kind": f.kind, "sha256": digest, "components": components}
    if r.encoding:
        entry["encoding"] = r.encoding
    if r.code_blocks:
        entry["code_blocks"] = len(r.code_blocks)
    if r.prose:
        entry["prose_sections"] = len(r.prose)
    if r.pages:
        entry["pages"] = r.pages
    if r.note:
        entry["note"] = r.note
    return entry


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_manifest(out: Path) -> dict:
    try:
        return json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _outputs_intact(out: Path, manifest: dict) -> bool:
    recorded = manifest.get("outputs", {})
    try:
        return all(recorded.get(n) == _file_sha(out / n) for n in OUTPUT_FILES)
    except OSError:
        return False


def print_summary(report: CollectReport, stream=sys.stdout) -> None:
    c = report.counts
    if report.unchanged:
        print(f"collect: corpus unchanged since the last run; {report.out} kept as it is "
              f"({c.get('examples', 0)} examples).", file=stream)
        return
    print(f"collect: {c['components']} components → {c['examples']} examples "
          f"({c['train']} train, {c['test']} test), {c['docs']} prose sections; "
          f"{c['near_duplicates_dropped']} near-duplicates dropped; files: {c['files_parsed']} parsed, "
          f"{c['files_cached']} from cache, {c['files_skipped']} skipped; {c['redactions']} secrets redacted.",
          file=stream)
    if report.skipped:
        reasons: dict[str, int] = {}
        for s in report.skipped:
            key = s["reason"].split(" (")[0].split(":")[0]
            reasons[key] = reasons.get(key, 0) + 1
        print("collect: skipped " + ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
              + f" (see {report.out / 'manifest.json'})", file=stream)
    for w in report.warnings:
        print(f"collect: warning: {w}", file=stream)
    print(f"collect: wrote {report.out}/{{examples,train,test,docs}}.jsonl and manifest.json", file=stream)
