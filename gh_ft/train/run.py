"""`gh-ft train` and `gh-ft merge`: a run folder per training, Axolotl does the work.

runs/<id>/ holds the rendered config, run.json (data hashes, gh-ft version and git
describe, the command line), train.log, metrics.json and loss.png, and Axolotl's
output (adapter, checkpoints, merged/).
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from gh_ft.settings import Settings
from gh_ft.train.launch import RunPaths, build_train_command, latest_checkpoint, write_run_info
from gh_ft.train.launch import merge as launch_merge
from gh_ft.train.launch import train as launch_train
from gh_ft.train.prepare import raise_on_errors, render_for, validate_rendered, write_config


class TrainError(GhFtError, RuntimeError):
    pass


@dataclass
class TrainResult:
    paths: RunPaths
    exit_code: int
    metrics: dict | None

    def summary(self) -> str:
        lines = [f"run: {self.paths.root}"]
        m = self.metrics or {}
        if m.get("final_loss") is not None:
            lines.append(f"loss: {m.get('first_loss'):.4f} → {m.get('final_loss'):.4f} over {m.get('steps')} steps")
        lines.append(f"adapter: {self.paths.output_dir}")
        lines.append(f"log: {self.paths.log}; metrics: {self.paths.metrics}; loss curve: {self.paths.loss_png}")
        return "\n".join(lines)


def _runs_dir(settings: Settings) -> Path:
    return settings.runs_dir


def find_run(settings: Settings, ref: str | None) -> RunPaths:
    """A run by folder, by id, or the newest one (ids sort by time)."""
    runs = _runs_dir(settings)
    if ref:
        folder = Path(ref) if Path(ref).is_dir() else runs / ref
    else:
        candidates = sorted(p for p in runs.glob("*") if not p.is_symlink() and (p / "axolotl.yml").is_file()) \
            if runs.is_dir() else []
        if not candidates:
            raise TrainError(f"no training run in {runs}: run `gh-ft train` first")
        folder = candidates[-1]
    if not (folder / "axolotl.yml").is_file():
        raise TrainError(f"{folder} is not a gh-ft run folder (no axolotl.yml)")
    return RunPaths(folder.resolve())


def train_run(settings: Settings, launcher_args: list[str], resume: str | None = None,
              argv: list[str] | None = None, echo: TextIO | None = sys.stdout, env=None) -> TrainResult:
    launcher = settings.train.launcher
    args = list(settings.train.launcher_args) + list(launcher_args)
    if resume:
        paths = find_run(settings, resume)
        if latest_checkpoint(paths.output_dir) is None:
            raise TrainError(f"{paths.root} has no checkpoint to resume from")
    else:
        paths = RunPaths.create(_runs_dir(settings))
        try:
            rendered = render_for(settings, paths.root)
            raise_on_errors(validate_rendered(rendered), f"the config rendered from preset '{rendered.preset.name}'")
        except Exception:
            paths.root.rmdir()  # only the empty folder made just above
            raise
        write_config(paths.config, rendered)
        write_run_info(paths, argv=argv or sys.argv, command=build_train_command(launcher, paths.config, args),
                       data_files={Path(d["path"]).name: Path(d["path"]) for d in rendered.datasets},
                       preset=rendered.preset.name, extra={"base_model": rendered.base_model,
                                                            "template": str(rendered.template)})
    code = launch_train(paths, launcher=launcher, launcher_args=args, resume=bool(resume), echo=echo, env=env)
    metrics = json.loads(paths.metrics.read_text()) if paths.metrics.is_file() else None
    return TrainResult(paths, code, metrics)


def merge_run(settings: Settings, ref: str | None, echo: TextIO | None = sys.stdout, env=None) -> Path:
    paths = find_run(settings, ref)
    if not (paths.output_dir / "adapter_config.json").is_file():
        raise TrainError(f"{paths.root} has no trained adapter to merge")
    code = launch_merge(paths, echo=echo, env=env)
    if code != 0:
        raise TrainError(f"merge failed (exit {code}); log: {paths.root / 'merge.log'}")
    return paths.merged
