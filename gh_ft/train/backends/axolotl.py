"""The Axolotl back-end: render the Axolotl config, validate it, train and merge out of process.

This is gh-ft's original train/merge path, moved here unchanged when mlx-lm became the second
back-end (gh_ft/train/run.py dispatches between them)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Mapping, TextIO

from gh_ft.settings import Settings
from gh_ft.train.launch import RunPaths, build_train_command, latest_checkpoint, write_run_info
from gh_ft.train.launch import merge as launch_merge
from gh_ft.train.launch import train as launch_train
from gh_ft.train.prepare import raise_on_errors, render_for, validate_rendered, write_config


def train(settings: Settings, paths: RunPaths | None, launcher_args: list[str], *, resume: bool,
          argv: list[str] | None, echo: TextIO | None, env: Mapping[str, str] | None, runs_dir: Path,
          extra: dict) -> tuple[RunPaths, int]:
    """Train into a new run folder (or resume `paths`); returns the run and Axolotl's exit code."""
    from gh_ft.train import TrainError

    launcher = settings.train.launcher
    args = list(settings.train.launcher_args) + list(launcher_args)
    if resume:
        if latest_checkpoint(paths.output_dir) is None:
            raise TrainError(f"{paths.root} has no checkpoint to resume from")
    else:
        paths = RunPaths.create(runs_dir)
        try:
            rendered = render_for(settings, paths.root)
            if "mlx" in rendered.preset.sections:
                raise TrainError(f"preset '{rendered.preset.name}' is an mlx-lm preset (it has an `mlx:` section); "
                                 "set train.backend: mlx, or choose an Axolotl preset")
            raise_on_errors(validate_rendered(rendered), f"the config rendered from preset '{rendered.preset.name}'")
        except Exception:
            paths.root.rmdir()  # only the empty folder made just above
            raise
        write_config(paths.config, rendered)
        write_run_info(paths, argv=argv or sys.argv, command=build_train_command(launcher, paths.config, args),
                       data_files={Path(d["path"]).name: Path(d["path"]) for d in rendered.datasets},
                       preset=rendered.preset.name, extra={"base_model": rendered.base_model,
                                                            "template": str(rendered.template), **extra})
    code = launch_train(paths, launcher=launcher, launcher_args=args, resume=resume, echo=echo, env=env)
    return paths, code


def merge(paths: RunPaths, *, echo: TextIO | None, env: Mapping[str, str] | None) -> Path:
    from gh_ft.train import TrainError

    if not (paths.output_dir / "adapter_config.json").is_file():
        raise TrainError(f"{paths.root} has no trained adapter to merge")
    code = launch_merge(paths, echo=echo, env=env)
    if code != 0:
        raise TrainError(f"merge failed (exit {code}); log: {paths.root / 'merge.log'}")
    return paths.merged
