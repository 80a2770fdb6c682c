"""Trainer back-ends: Axolotl and mlx-lm behind one pair of functions.

Each back-end takes the same settings and dataset and leaves the same run folder
(runs/<id>/: its config, run.json with the data hashes, train.log, metrics.json, loss.png,
output/ with a PEFT-format LoRA adapter, output/merged/ with the merged model), so merge,
export, evaluation, the improve loop and its gate read a run without asking who trained it.

`train.backend` chooses: `axolotl`, `mlx`, or `auto` (the default), which picks mlx-lm on
Apple Silicon (where Axolotl has no bf16, QLoRA or bitsandbytes) and Axolotl elsewhere.
"""
from __future__ import annotations

import platform
import sys
from dataclasses import dataclass

BACKENDS = ("axolotl", "mlx")
CHOICES = ("auto", *BACKENDS)


@dataclass(frozen=True)
class BackendChoice:
    name: str       # axolotl | mlx
    reason: str     # why this one, for the CLI and run.json

    def describe(self) -> str:
        return f"back-end: {self.name} ({self.reason})"


def is_apple_silicon(system: str | None = None, machine: str | None = None) -> bool:
    system = sys.platform if system is None else system
    machine = platform.machine() if machine is None else machine
    return system == "darwin" and machine in ("arm64", "aarch64")


def choose_backend(setting: str, *, system: str | None = None, machine: str | None = None) -> BackendChoice:
    """The back-end `train.backend` names, or for `auto` the one that fits this machine."""
    from gh_ft.train import TrainError

    if setting in BACKENDS:
        return BackendChoice(setting, f"train.backend is {setting}")
    if setting != "auto":
        raise TrainError(f"train.backend must be one of {', '.join(CHOICES)}, not {setting!r}")
    if is_apple_silicon(system, machine):
        return BackendChoice("mlx", "train.backend is auto and this is an Apple Silicon Mac")
    machine = platform.machine() if machine is None else machine
    return BackendChoice("axolotl", f"train.backend is auto and this is not an Apple Silicon Mac "
                                    f"({system or sys.platform}/{machine})")


def backend_key(settings) -> list:
    """What besides the data and base model changes a training under the chosen back-end: its
    name, and for mlx-lm its preset and template files (for `gh-ft run`'s skip decision)."""
    from gh_ft.files import sha256_if_file

    choice = choose_backend(settings.train.backend)
    if choice.name != "mlx":
        return [choice.name]
    from gh_ft.train.backends.mlx_config import load_mlx_preset, template_path

    preset = load_mlx_preset(settings.train.preset, settings.project_dir)
    return [choice.name, sha256_if_file(preset.path), sha256_if_file(template_path(settings.project_dir))]
