"""The stage layer: one function per pipeline stage, and the key that says whether its
result is still current.

Every entry point calls these and nothing below them: the CLI verbs (cli/), `gh-ft run`
(pipeline.py) and the improve loop (its real steps are built here). So each stage body has
one call site, and a fix to a stage reaches every entry point. A stage takes the resolved
settings (every path absolute) and its inputs, and returns its outputs; the `*_key`
functions hash the contents a stage reads (never modification times) and the settings that
change its result, for skip-if-unchanged.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence, TextIO

from gh_ft import __version__
from gh_ft.files import sha256_file, sha256_if_file
from gh_ft.loop.gate import Scores
from gh_ft.loop.improve import DataState, Echo, IngestSummary, ModelRef, Steps, TrainOutcome
from gh_ft.prompt import GENERATION, SAMPLING_TEMPERATURE
from gh_ft.settings import Settings
from gh_ft.train.launch import STDOUT  # the stdout of the moment (a CLI runner's too), not the one at import

Progress = Callable[[str], None]

# ---------------------------------------------------------------- keys

def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def files_digest(folder: Path, names: list[str]) -> dict[str, str | None]:
    return {name: sha256_if_file(folder / name) for name in names}


def tree_digest(paths: list[Path], suffixes: tuple[str, ...] = (".cs",)) -> str:
    """Content hash of the files under `paths` (folders walked) with one of `suffixes`."""
    h = hashlib.sha256()
    for root in paths:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for f in files:
            if f.is_file() and f.suffix in suffixes:
                h.update(str(f).encode() + b"\0" + (sha256_if_file(f) or "").encode() + b"\0")
    return h.hexdigest()


_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf")


def base_model_fingerprint(base: str) -> dict[str, Any]:
    """What identifies the base model: a hub id as such; a local folder by the contents of
    its small files and the names and sizes of its weight files (hashing 13 GB of weights
    on every run would cost more than it saves)."""
    folder = Path(base)
    if not folder.is_dir():
        return {"hub": base}
    out: dict[str, Any] = {}
    for f in sorted(folder.iterdir()):
        if f.is_file():
            out[f.name] = f.stat().st_size if f.suffix in _WEIGHT_SUFFIXES else sha256_if_file(f)
    return out




def _preset(settings: Settings):
    from gh_ft.train.config import load_preset

    return load_preset(settings.train.preset, settings.project_dir)


def base_model(settings: Settings) -> str:
    """The model training starts from (the settings' override, else the preset's)."""
    from gh_ft.train.prepare import resolve_base_model

    return resolve_base_model(_preset(settings), settings)


def _template(settings: Settings, name: str) -> Path:
    from gh_ft.resources import find_file

    return find_file(name, "templates", settings.project_dir)


def training_files(settings: Settings) -> list[str]:
    """The dataset files training reads: train.jsonl, feedback.jsonl, docs.jsonl when included."""
    from gh_ft.train.prepare import include_docs

    return ["train.jsonl", "feedback.jsonl"] + (["docs.jsonl"] if include_docs(_preset(settings), settings) else [])


def check_key(settings: Settings) -> str:
    return fingerprint(files_digest(settings.data_dir, ["train.jsonl", "test.jsonl", "feedback.jsonl", "docs.jsonl"]),
                       sha256_if_file(_preset(settings).path), base_model_fingerprint(base_model(settings)),
                       settings.train.include_docs, settings.collect.near_duplicate_threshold)


def train_key(settings: Settings) -> str:
    from gh_ft.train.backends import backend_key
    from gh_ft.train.config import TEMPLATE_NAME

    return fingerprint(files_digest(settings.data_dir, training_files(settings)), sha256_if_file(_preset(settings).path),
                       sha256_if_file(_template(settings, TEMPLATE_NAME)), base_model_fingerprint(base_model(settings)),
                       settings.train.launcher, settings.train.launcher_args, backend_key(settings))


def merge_key(run: Path) -> str:
    return fingerprint(str(run))


def _decoding() -> dict:
    """The decoding answers are generated with (gh_ft.prompt.GENERATION): part of the export's
    key (the Modelfile's PARAMETERs are written from it) and of the evaluation's, so a changed
    default never leaves a Modelfile or a report made with the old one standing as current."""
    return GENERATION.ollama_options()


def export_key(settings: Settings, run: Path) -> str:
    from gh_ft.export.modelfile import MODELFILE_TEMPLATE

    e, o = settings.export, settings.ollama
    return fingerprint(str(run), e.outtype, e.quantizations, str(e.llama_cpp_dir or ""),
                       sha256_if_file(_template(settings, MODELFILE_TEMPLATE)), o.quantization, o.temperature,
                       o.num_ctx, _decoding())


def evaluate_key(settings: Settings, run: Path, artifacts: dict[str, str]) -> str:
    ev = settings.evaluate
    return fingerprint(str(run), sha256_if_file(settings.data_dir / "test.jsonl"), ev.backend, ev.max_new_tokens,
                       ev.limit, ev.baseline, base_model(settings) if ev.baseline else None,
                       tree_digest(settings.context_dirs), __version__, sorted(artifacts.items()), _decoding())


def ollama_key(settings: Settings, modelfile: Path, export_outputs: dict[str, str]) -> str:
    from gh_ft.export.ollama import resolve_host

    o = settings.ollama
    return fingerprint(sha256_if_file(modelfile), resolve_host(o.host), o.model_name,
                       {k: sha256_if_file(Path(v)) for k, v in sorted(export_outputs.items()) if Path(v).is_file()})


# ---------------------------------------------------------------- the stages

def collect(settings: Settings, *, force: bool = False, progress: Callable[[int, int], None] | None = None):
    """Sources → dataset folder (train/test/docs/examples.jsonl + manifest). Its own cache
    decides what is unchanged (report.unchanged)."""
    from gh_ft.collect import collect as collect_sources

    return collect_sources(settings.collect, progress=progress, force=force)


def check(settings: Settings):
    """The dataset report before any GPU time."""
    from gh_ft.train.check import run_check

    return run_check(settings)


def train(settings: Settings, *, launcher_args: Sequence[str] = (), resume: str | None = None,
          argv: Sequence[str] | None = None, echo: TextIO | None = STDOUT):
    """Render + validate the trainer config, launch it, stream the log; a TrainResult."""
    from gh_ft.train.run import train_run

    return train_run(settings, list(launcher_args), resume=resume, argv=list(argv or sys.argv), echo=echo)


def merge(settings: Settings, run: str | None = None, *, echo: TextIO | None = STDOUT) -> Path:
    """The run's adapter merged into its base model; the merged folder."""
    from gh_ft.train.run import merge_run

    return merge_run(settings, run, echo=echo)


def export(settings: Settings, run: str | None = None, *, out: Path | None = None,
           quantizations: Sequence[str] | None = None, include_adapter: bool = True,
           progress: Progress | None = None):
    """GGUF files of a run (merged model, quantized copies, base + LoRA) with a manifest."""
    from gh_ft.export.gguf import export_gguf
    from gh_ft.train.run import find_run

    e = settings.export
    return export_gguf(find_run(settings, run).root, out, outtype=e.outtype,
                       quantizations=list(e.quantizations if quantizations is None else quantizations),
                       llama_cpp_dir=e.llama_cpp_dir, include_adapter=include_adapter, progress=progress)


def modelfile(settings: Settings, run: str | None = None, *, use_adapter: bool = False,
              quantization: str | None = None, progress: Progress | None = None, echo: Echo | None = None) -> Path:
    """The run's Modelfile for serving: merged first when it is not, exported to GGUF where not
    up to date (export_gguf skips what its manifest shows current), the Modelfile written."""
    from gh_ft.export.gguf import FULL_TYPES
    from gh_ft.export.modelfile import write_modelfile_for_export
    from gh_ft.train.run import find_run

    paths = find_run(settings, run)
    if not any(paths.merged.glob("*.safetensors")) and not use_adapter:  # the export converts the merged model
        if echo:
            echo(f"merging the adapter (log: {paths.merge_log})")
        merge(settings, str(paths.root), echo=None)
    if echo:
        echo(f"exporting to GGUF where not up to date (log: {paths.root / 'export' / 'export.log'})")
    q = quantization or settings.ollama.quantization
    quants = list(settings.export.quantizations) + ([] if use_adapter or q.lower() in FULL_TYPES else [q])
    exported = export(settings, str(paths.root), quantizations=list(dict.fromkeys(quants)),
                      include_adapter=use_adapter, progress=progress)
    return write_modelfile_for_export(exported, settings, use_adapter=use_adapter, quantization=q)


def ollama_create(settings: Settings, modelfile_path: Path, *, name: str | None = None,
                  progress: Progress | None = None):
    """Create (or replace) the model in the Ollama server the settings name."""
    from gh_ft.export.ollama import check_model_name, create_model

    return create_model(check_model_name(name or settings.ollama.model_name), modelfile_path,
                        host=settings.ollama.host, progress=progress)


def evaluate(settings: Settings, *, model: str, backend: str | None = None, adapter: str | None = None,
             baseline: str | None = None, name: str | None = None, n: int = 1, k: str | Sequence[int] = (1,),
             temperature: float | None = None, seed: int = 0, out: Path | None = None,
             progress: Progress | None = None, extra: dict | None = None,
             with_model: Callable[[Any, dict], dict] | None = None) -> tuple[dict, dict[str, Path]]:
    """Answer the test split with MODEL (and BASELINE, on the same tasks), judge every answer,
    write report.json/md/html into `out` (default: evals/<time>-<model> in the project).
    `with_model(backend, report)` runs on the model's backend before it is closed, and what
    it returns joins the report (the improve loop scores the test loss there), as does `extra`."""
    from gh_ft.evaluate.backends import get_backend
    from gh_ft.evaluate.run import default_out, evaluate as evaluate_tasks, write_reports

    ev = settings.evaluate
    kind = backend or ev.backend
    temperature = (GENERATION.temperature if n == 1 else SAMPLING_TEMPERATURE) if temperature is None else temperature
    shared: dict[str, Any] = {"host": settings.ollama.host} if kind == "ollama" else {}
    opts = {**shared, **({"adapter": adapter} if adapter else {}), **({"name": name} if name else {})}
    model_backend = get_backend(kind, model, **opts) if with_model else (lambda: get_backend(kind, model, **opts))
    try:
        report = evaluate_tasks(settings.data_dir, model_backend, n=n, k=k, limit=ev.limit,
                                context_files=[p for p in settings.context_dirs if p.exists()],
                                references=settings.evaluate.references,
                                max_new_tokens=ev.max_new_tokens, temperature=temperature, seed=seed,
                                baseline_backend=(lambda: get_backend(kind, baseline, **shared)) if baseline else None,
                                progress=progress)
        if with_model:
            report.update(with_model(model_backend, report))
    finally:
        if with_model:
            model_backend.close()
    report.update(extra or {})
    return report, write_reports(report, out or default_out(settings.evals_dir, report["model"]["name"]))


def ingest_feedback(settings: Settings, *, wait_for_lock: bool = False,
                    progress: Callable[[int, int], None] | None = None):
    """The plugin's feedback folder → the dataset's feedback.jsonl (lossless, leak-free).
    LockBusy when another ingest holds the dataset, unless `wait_for_lock`."""
    from gh_ft.errors import EXIT_USAGE, GhFtError
    from gh_ft.loop.feedback import ingest_feedback as ingest

    fb = settings.feedback
    if fb.from_dir is None:
        error = GhFtError("no feedback folder: pass --from DIR or set feedback.from_dir in gh-ft.yml")
        error.exit_code = EXIT_USAGE
        raise error
    return ingest(fb.from_dir, settings.data_dir, min_age_s=fb.min_age_s, max_file_kb=fb.max_file_kb,
                  incomplete_grace_s=fb.incomplete_grace_s, progress=progress,
                  near_duplicate_threshold=settings.collect.near_duplicate_threshold, wait_for_lock=wait_for_lock)


# ---------------------------------------------------------------- the improve loop's steps

def ingest_step(settings: Settings) -> IngestSummary:
    """Ingest the plugin's feedback folder when one is set; either way count what is in."""
    from gh_ft.loop.feedback import count_feedback

    if settings.feedback.from_dir is None:
        total = count_feedback(settings.data_dir)
        return IngestSummary(0, total, [f"no feedback folder set (feedback.from_dir); {total} example(s) in"])
    report = ingest_feedback(settings, wait_for_lock=True)
    return IngestSummary(report.accepted, report.total_feedback_examples, report.lines())


def data_state(settings: Settings) -> DataState:
    """Content hashes of what training reads and of the test split."""
    files = {name: sha256_file(settings.data_dir / name) for name in training_files(settings)
             if (settings.data_dir / name).is_file()}
    return DataState(files, fingerprint(files), sha256_if_file(settings.data_dir / "test.jsonl"))


def train_step(settings: Settings, version: int, echo: TextIO | None) -> TrainOutcome:
    result = train(settings, argv=list(sys.argv), echo=echo)
    paths = result.paths
    info = json.loads(paths.run_info.read_text(encoding="utf-8")) if paths.run_info.is_file() else {}
    config = {"preset": info.get("preset"), "base_model": info.get("base_model"),
              "axolotl_yml": paths.config.name, "axolotl_yml_sha256": sha256_file(paths.config),
              "launcher": settings.train.launcher}
    return TrainOutcome(paths.root, result.exit_code, result.metrics, config)


def scores_key(settings: Settings, state: DataState) -> str:
    """What a model's scores depend on besides the model: the test set, the evaluation
    settings, the plugin sources the judge reads, the judge's version."""
    ev = settings.evaluate
    return fingerprint(state.test_sha256, ev.limit, ev.max_new_tokens, tree_digest(settings.context_dirs),
                       __version__)[:16]


def evaluate_step(settings: Settings, ref: ModelRef, out_dir: Path, echo: Echo) -> Scores:
    """Greedy answers to the test tasks judged by the ladder (pass rate at its last stage),
    plus the mean answer-token loss of the references; reports written to out_dir."""
    from gh_ft.evaluate.loss import score_references
    from gh_ft.evaluate.run import load_tasks

    tasks = load_tasks(settings.data_dir, settings.evaluate.limit)
    refs = [{"instruction": t["instruction"], "input": t["input"], "output": t["reference"]} for t in tasks]
    scores: list[Scores] = []

    def gate(backend, report: dict) -> dict:
        loss = score_references(backend.model, backend.tokenizer, refs)
        final = report["stages"][-1]
        scores.append(Scores(report["aggregates"]["pass_rate"][final], loss.mean, len(tasks),
                             report["aggregates"].get("spec_match_rate")))
        return {"gate": {"stage": final, **scores[0].to_dict(), "loss": loss.to_dict()}}

    evaluate(settings, model=ref.model, backend="transformers", adapter=ref.adapter, name=ref.label, out=out_dir,
             progress=lambda m: echo(f"  {m}"), with_model=gate)
    return scores[0]


def real_steps(settings: Settings, *, echo: Echo = print, train_echo: TextIO | None = None) -> Steps:
    from gh_ft.loop.registry import Registry
    from gh_ft.serve.publish import publish_version

    registry = Registry(settings.runs_dir)

    def publish(row: dict, run_dir: Path) -> dict:
        say = lambda m: echo(f"  {m}")  # noqa: E731
        return publish_version(settings, row, modelfile(settings, str(run_dir), echo=say), echo=say,
                               registry=registry)

    return Steps(
        ingest=lambda: ingest_step(settings),
        data_state=lambda: data_state(settings),
        train=lambda version: train_step(settings, version, train_echo),
        evaluate=lambda ref, out: evaluate_step(settings, ref, out, echo),
        publish=publish,
        scores_key=lambda state: scores_key(settings, state),
    )


def improve(settings: Settings, *, watch: bool, echo: Echo = print, train_echo: TextIO | None = None):
    """`gh-ft improve --once|--watch` with the real steps."""
    from gh_ft.loop.improve import run_loop

    return run_loop(settings, watch=watch, steps=real_steps(settings, echo=echo, train_echo=train_echo), echo=echo)


def rollback(settings: Settings, version: int, *, echo: Echo = print) -> dict:
    """`gh-ft runs rollback VERSION` with the real publishing step."""
    from gh_ft.loop.improve import rollback as rollback_to

    return rollback_to(settings, version, steps=real_steps(settings, echo=echo), echo=echo)
