"""The stage layer: one function per pipeline stage, called alike by the CLI verbs, `gh-ft run`
(pipeline.py) and the improve loop.

The improve loop's real steps: feedback ingestion, Axolotl training, the judge plus
the test-set loss on the same tasks for every model, and publishing (serving.py).

The loop (improve.py) only sees these as functions; tests pass their own where a real step
would add nothing to what they show."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from gh_ft import __version__
from gh_ft.loop.gate import Scores
from gh_ft.loop.improve import DataState, Echo, IngestSummary, ModelRef, Steps, TrainOutcome
from gh_ft.files import sha256_file, sha256_if_file
from gh_ft.settings import Settings


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



# ---------------------------------------------------------------- the improve loop's steps

def _data_dir(settings: Settings) -> Path:
    d = settings.data_dir
    return d if d.is_absolute() else settings.project_dir / d


def ingest_step(settings: Settings) -> IngestSummary:
    """Ingest the plugin's feedback folder when one is set; either way count what is in."""
    from gh_ft.loop.feedback import count_feedback, ingest_feedback

    fb, data = settings.feedback, _data_dir(settings)
    if fb.from_dir is None:
        total = count_feedback(data)
        return IngestSummary(0, total, [f"no feedback folder set (feedback.from_dir); {total} example(s) in"])
    report = ingest_feedback(fb.from_dir, data, min_age_s=fb.min_age_s, max_file_kb=fb.max_file_kb,
                             near_duplicate_threshold=settings.collect.near_duplicate_threshold,
                             wait_for_lock=True)
    return IngestSummary(report.accepted, report.total_feedback_examples, report.lines())


def data_state(settings: Settings) -> DataState:
    """Content hashes of what training reads (train.jsonl, feedback.jsonl, docs.jsonl when the
    preset trains on it) and of the test split."""
    from gh_ft.train.config import load_preset, training_datasets
    from gh_ft.train.prepare import include_docs

    data = _data_dir(settings)
    preset = load_preset(settings.train.preset, settings.project_dir)
    files = {Path(d["path"]).name: sha256_file(Path(d["path"]))
             for d in training_datasets(data, include_docs(preset, settings))}
    return DataState(files, fingerprint(files), sha256_if_file(data / "test.jsonl"))


def train_step(settings: Settings, version: int, echo: TextIO | None) -> TrainOutcome:
    from gh_ft.train.run import train_run

    result = train_run(settings, [], argv=list(sys.argv), echo=echo)
    paths = result.paths
    info = json.loads(paths.run_info.read_text(encoding="utf-8")) if paths.run_info.is_file() else {}
    config = {"preset": info.get("preset"), "base_model": info.get("base_model"),
              "axolotl_yml": paths.config.name, "axolotl_yml_sha256": sha256_file(paths.config),
              "launcher": settings.train.launcher}
    return TrainOutcome(paths.root, result.exit_code, result.metrics, config)


def _context(settings: Settings) -> list[Path]:
    ev = settings.evaluate
    paths = [p if p.is_absolute() else settings.project_dir / p for p in ev.context]
    if not paths and settings.collect.context_dir.exists():
        paths = [settings.collect.context_dir]
    return paths


def scores_key(settings: Settings, state: DataState) -> str:
    """What a model's scores depend on besides the model: the test set, the evaluation
    settings, the plugin sources the judge reads, the judge's version."""
    ev = settings.evaluate
    return fingerprint(state.test_sha256, ev.limit, ev.max_new_tokens, tree_digest(_context(settings)),
                       __version__)[:16]


def evaluate_step(settings: Settings, ref: ModelRef, out_dir: Path, echo: Echo) -> Scores:
    """Greedy answers to the test tasks judged by the ladder (pass rate at its last stage),
    plus the mean answer-token loss of the references; reports written to out_dir."""
    from gh_ft.evaluate.backends import get_backend
    from gh_ft.evaluate.loss import score_references
    from gh_ft.evaluate.run import evaluate, load_tasks, write_reports

    ev, data = settings.evaluate, _data_dir(settings)
    tasks = load_tasks(data, ev.limit)
    opts = {"adapter": ref.adapter} if ref.adapter else {}
    backend = get_backend("transformers", ref.model, name=ref.label, **opts)
    try:
        report = evaluate(data, backend, limit=ev.limit, max_new_tokens=ev.max_new_tokens,
                          context_files=_context(settings), progress=lambda m: echo(f"  {m}"),
                          references=[p if p.is_absolute() else settings.project_dir / p
                                      for p in settings.evaluate.references])
        loss = score_references(backend.model, backend.tokenizer,
                                [{"instruction": t["instruction"], "input": t["input"], "output": t["reference"]}
                                 for t in tasks])
    finally:
        backend.close()
    final = report["stages"][-1]
    scores = Scores(report["aggregates"]["pass_rate"][final], loss.mean, len(tasks),
                    report["aggregates"].get("spec_match_rate"))
    report["gate"] = {"stage": final, **scores.to_dict(), "loss": loss.to_dict()}
    write_reports(report, out_dir)
    return scores


def real_steps(settings: Settings, *, echo: Echo = print, train_echo: TextIO | None = None) -> Steps:
    from gh_ft.loop.improve import runs_dir_of
    from gh_ft.loop.registry import Registry
    from gh_ft.serve.publish import publish_version

    registry = Registry(runs_dir_of(settings))
    return Steps(
        ingest=lambda: ingest_step(settings),
        data_state=lambda: data_state(settings),
        train=lambda version: train_step(settings, version, train_echo),
        evaluate=lambda ref, out: evaluate_step(settings, ref, out, echo),
        publish=lambda row, run_dir: publish_version(settings, row, run_dir, echo=lambda m: echo(f"  {m}"),
                                                    registry=registry),
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


__all__ = ["base_model_fingerprint", "data_state", "evaluate_step", "files_digest", "fingerprint", "improve",
           "ingest_step", "real_steps", "rollback", "scores_key", "tree_digest", "train_step", "evaluate_step", "ingest_step", "real_steps", "scores_key", "train_step"]
