"""One `gh-ft improve --once` round with fast stand-in steps that do real file work (a run
folder written file by file, a report, a bundle published to the outbox), for the kill test
in test_improve_kill.py. Usage: python improve_kill_child.py ROOT"""
from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from gh_ft.files import atomic_write_json
from gh_ft.loop.gate import Scores
from gh_ft.loop.improve import DataState, IngestSummary, Steps, TrainOutcome, run_loop
from gh_ft.loop.registry import Registry, current_row, previous_row
from gh_ft.serve.outbox import publish_to_outbox
from gh_ft.settings import load_settings

MODEL = "grasshopper-component-generator"
COMPLETE = "COMPLETE"  # written last by the stand-in trainer: a run folder without it is partial


def pause(rng: random.Random) -> None:
    time.sleep(rng.uniform(0.0, 0.03))


def phase(root: Path, name: str) -> None:
    """Where this round is, for the test to know what its kills interrupted."""
    with open(root / "phases.log", "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {name}\n")


def main(root: Path) -> int:
    rng = random.Random()
    settings = load_settings(cwd=root, environ={}, overrides={
        "train": {"runs_dir": root / "runs"},
        "improve": {"min_examples": 0, "outbox": root / "outbox", "keep_runs": 0}})
    registry = Registry(settings.runs_dir)

    def train(version: int) -> TrainOutcome:
        phase(root, "train")
        run = settings.runs_dir / f"run-v{version}-{os.getpid()}"
        (run / "output").mkdir(parents=True)
        (run / "output" / "adapter_config.json").write_text("{}")
        for i in range(4):
            (run / "output" / f"adapter-{i}.safetensors").write_bytes(os.urandom(64 * 1024))
            pause(rng)
        export = run / "export"
        export.mkdir()
        (export / "model.gguf").write_bytes(b"GGUF" + os.urandom(2 * 1024 * 1024))  # a bundle that takes a moment to write
        (export / "Modelfile").write_text("FROM ./model.gguf\n")
        (run / COMPLETE).write_text("ok")
        return TrainOutcome(run, 0, {"steps": 4, "final_loss": 1.0}, {"base_model": "/models/base"})

    def evaluate(ref, out: Path) -> Scores:
        phase(root, "evaluate")
        time.sleep(rng.uniform(0.05, 0.2))  # generating and judging take a while
        # A model's scores depend on the model only (a killed round evaluates the current one
        # again and must agree with its cached scores), and half the versions beat every earlier
        # one: promotions, so publishes, stay frequent however long the test runs. (Random
        # scores left a lucky 0.75 unbeatable, and the publish step starved: a flaky failure.)
        version = int(ref.label[1:]) if ref.label.startswith("v") else 0
        # The test's last rounds promote, so their publish sweeps what killed publishes left.
        good = version > 0 and (data.startswith("data-final") or random.Random(version).random() < 0.5)
        scores = Scores(0.5, 1.0 / version if good else 100.0, 4)
        atomic_write_json(out / "report.json", scores.to_dict())
        return scores

    def publish(row: dict, run_dir: Path) -> dict:
        phase(root, "publish")
        rows = registry.rows()
        keep = {r["version"] for r in (current_row(rows), previous_row(rows)) if r}
        seq = max(p["seq"] for p in row["promotions"])
        pointer = publish_to_outbox(settings.improve.outbox, Path(run_dir) / "export" / "Modelfile",
                                    model_name=MODEL, version=row["version"], seq=seq, keep_versions=keep)
        return {"outbox": pointer["bundle"]}

    data = (root / "data.txt").read_text()
    def ingest() -> IngestSummary:
        phase(root, "ingest")
        time.sleep(rng.uniform(0.0, 0.1))  # reading and validating the feedback folder
        return IngestSummary(0, 0, ["stand-in"])

    steps = Steps(ingest=ingest,
                  data_state=lambda: DataState({"train.jsonl": data}, data, "test-1"),
                  train=train, evaluate=evaluate, publish=publish)
    result = run_loop(settings, watch=False, steps=steps, echo=lambda m: None)
    phase(root, "done")
    return result.exit_code if result else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
