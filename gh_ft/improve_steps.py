"""The improve loop's real steps: feedback ingestion, Axolotl training, the judge plus
the test-set loss on the same tasks for every model, and publishing (serving.py).

The loop (improve.py) only sees these as functions; tests pass their own where a real step
would add nothing to what they show."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from . import __version__
from .gate import Scores
from .improve import DataState, Echo, IngestSummary, ModelRef, Steps, TrainOutcome
from .files import sha256_file, sha256_if_file
from .pipeline import fingerprint, tree_digest
from .settings import Settings


def _data_dir(settings: Settings) -> Path:
    d = settings.data_dir
    return d if d.is_absolute() else settings.project_dir / d


def ingest_step(settings: Settings) -> IngestSummary:
    """Ingest the plugin's feedback folder when one is set; either way count what is in."""
    from .feedback import count_feedback, ingest_feedback

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
    from .train.config import load_preset, training_datasets
    from .train.prepare import include_docs

    data = _data_dir(settings)
    preset = load_preset(settings.train.preset, settings.project_dir)
    files = {Path(d["path"]).name: sha256_file(Path(d["path"]))
             for d in training_datasets(data, include_docs(preset, settings))}
    return DataState(files, fingerprint(files), sha256_if_file(data / "test.jsonl"))


def train_step(settings: Settings, version: int, echo: TextIO | None) -> TrainOutcome:
    from .train.run import train_run

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
    from .backends import get_backend
    from .evaluate.loss import score_references
    from .evaluate.run import evaluate, load_tasks, write_reports

    ev, data = settings.evaluate, _data_dir(settings)
    tasks = load_tasks(data, ev.limit)
    opts = {"adapter": ref.adapter} if ref.adapter else {}
    backend = get_backend("transformers", ref.model, name=ref.label, **opts)
    try:
        report = evaluate(data, backend, limit=ev.limit, max_new_tokens=ev.max_new_tokens,
                          context_files=_context(settings), progress=lambda m: echo(f"  {m}"))
        loss = score_references(backend.model, backend.tokenizer,
                                [{"instruction": t["instruction"], "input": t["input"], "output": t["reference"]}
                                 for t in tasks])
    finally:
        backend.close()
    final = report["stages"][-1]
    scores = Scores(report["aggregates"]["pass_rate"][final], loss.mean, len(tasks))
    report["gate"] = {"stage": final, **scores.to_dict(), "loss": loss.to_dict()}
    write_reports(report, out_dir)
    return scores


def real_steps(settings: Settings, *, echo: Echo = print, train_echo: TextIO | None = None) -> Steps:
    from .improve import runs_dir_of
    from .runs import Registry
    from .serving import publish_version

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


__all__ = ["data_state", "evaluate_step", "ingest_step", "real_steps", "scores_key", "train_step"]
