"""`gh-ft train` and `gh-ft merge`: a run folder per training, done by one of the back-ends.

runs/<id>/ holds the rendered config (axolotl.yml or mlx.yml), run.json (data hashes, gh-ft
version and git describe, the command line, the back-end and why), train.log, metrics.json and
loss.png, and the trainer's output (output/: the LoRA adapter in PEFT format; output/merged/).
`train.backend` chooses the trainer (gh_ft/train/backends/); every caller (the CLI, `gh-ft run`,
the improve loop) comes through these two functions and so gets either.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from gh_ft.train import TrainError
from gh_ft.settings import Settings
from gh_ft.train.launch import STDOUT, RunPaths




@dataclass
class TrainResult:
    paths: RunPaths
    exit_code: int
    metrics: dict | None
    backend: str = "axolotl"
    backend_reason: str = ""

    def summary(self) -> str:
        lines = [f"run: {self.paths.root}"]
        if self.backend_reason:
            lines.append(f"back-end: {self.backend} ({self.backend_reason})")
        m = self.metrics or {}
        if m.get("final_loss") is not None:
            lines.append(f"loss: {m.get('first_loss'):.4f} → {m.get('final_loss'):.4f} over {m.get('steps')} steps")
        lines.append(f"adapter: {self.paths.output_dir}")
        lines.append(f"log: {self.paths.log}; metrics: {self.paths.metrics}; loss curve: {self.paths.loss_png}")
        return "\n".join(lines)


def _is_run(folder: Path) -> bool:
    return (folder / "axolotl.yml").is_file() or (folder / "mlx.yml").is_file()


def find_run(settings: Settings, ref: str | None) -> RunPaths:
    """A run by folder, by id, or the newest one (ids sort by time)."""
    runs = settings.runs_dir
    if ref:
        folder = Path(ref) if Path(ref).is_dir() else runs / ref
    else:
        candidates = sorted(p for p in runs.glob("*") if not p.is_symlink() and _is_run(p)) \
            if runs.is_dir() else []
        if not candidates:
            raise TrainError(f"no training run in {runs}: run `gh-ft train` first")
        folder = candidates[-1]
    if not _is_run(folder):
        raise TrainError(f"{folder} is not a gh-ft run folder (no axolotl.yml or mlx.yml)")
    return RunPaths(folder.resolve())


def run_backend(paths: RunPaths) -> str:
    """Who trained a run: mlx-lm runs carry mlx.yml, Axolotl runs axolotl.yml."""
    return "mlx" if not (paths.root / "axolotl.yml").is_file() and paths.mlx_config.is_file() else "axolotl"


def _say(echo: TextIO | None, text: str) -> None:
    if echo is not None:
        echo.write(f"[gh-ft] {text}\n")
        echo.flush()


def train_run(settings: Settings, launcher_args: list[str], resume: str | None = None,
              argv: list[str] | None = None, echo: TextIO | None = STDOUT, env=None) -> TrainResult:
    from gh_ft.train.backends import choose_backend

    paths = find_run(settings, resume) if resume else None
    if paths is not None:  # a run resumes with the back-end that started it
        name = run_backend(paths)
        choice_name, reason = name, f"resuming {paths.root.name}, which {name} trained"
    else:
        choice = choose_backend(settings.train.backend)
        choice_name, reason = choice.name, choice.reason
    _say(echo, f"training with {'mlx-lm' if choice_name == 'mlx' else 'Axolotl'}: {reason}")
    extra = {"backend": choice_name, "backend_reason": reason}
    if choice_name == "mlx":
        from gh_ft.train.backends import mlx as backend
    else:
        from gh_ft.train.backends import axolotl as backend
    paths, code = backend.train(settings, paths, launcher_args, resume=bool(resume), argv=argv, echo=echo, env=env,
                                runs_dir=settings.runs_dir, extra=extra)
    metrics = json.loads(paths.metrics.read_text()) if paths.metrics.is_file() else None
    return TrainResult(paths, code, metrics, choice_name, reason)


def merge_run(settings: Settings, ref: str | None, echo: TextIO | None = STDOUT, env=None) -> Path:
    paths = find_run(settings, ref)
    if run_backend(paths) == "mlx":
        from gh_ft.train.backends import mlx as backend
    else:
        from gh_ft.train.backends import axolotl as backend
    return backend.merge(paths, echo=echo, env=env)
