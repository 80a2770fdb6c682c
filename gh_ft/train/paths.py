"""The files of one training run (runs/<run id>/), for every trainer back-end."""
from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


@dataclass(frozen=True)
class RunPaths:
    """The files of one run, all under `root` (runs/<run id>/)."""

    root: Path

    @property
    def config(self) -> Path:
        """The run's trainer config: axolotl.yml, or mlx.yml for an mlx-lm run."""
        if not (self.root / "axolotl.yml").is_file() and self.mlx_config.is_file():
            return self.mlx_config
        return self.root / "axolotl.yml"
    # mlx-lm runs: its config, its data layout (train/valid/test.jsonl), the model folder it
    # loads (the base model's files plus a tokenizer with the training prompt as chat template,
    # or a quantized copy for QLoRA), and its own adapter files (output/ holds the PEFT copy).
    @property
    def mlx_config(self) -> Path: return self.root / "mlx.yml"
    @property
    def mlx_data(self) -> Path: return self.root / "data"
    @property
    def mlx_model(self) -> Path: return self.root / "model"
    @property
    def mlx_adapter(self) -> Path: return self.root / "mlx-adapter"
    @property
    def output_dir(self) -> Path: return self.root / "output"
    @property
    def log(self) -> Path: return self.root / "train.log"
    @property
    def merge_log(self) -> Path: return self.root / "merge.log"
    @property
    def run_info(self) -> Path: return self.root / "run.json"
    @property
    def metrics(self) -> Path: return self.root / "metrics.json"
    @property
    def loss_png(self) -> Path: return self.root / "loss.png"
    @property
    def merged(self) -> Path: return self.output_dir / "merged"  # Axolotl's fixed choice
    @property
    def prepared(self) -> Path: return self.root / "prepared"

    @classmethod
    def create(cls, runs_dir: Path, run_id: str | None = None) -> "RunPaths":
        """Make a new, empty run folder; an existing folder is never reused."""
        runs_dir = Path(runs_dir)
        runs_dir.mkdir(parents=True, exist_ok=True)
        if run_id is not None:
            if not run_id or run_id in (".", "..") or "/" in run_id or os.sep in run_id:
                raise ValueError(f"bad run id {run_id!r}")
            (runs_dir / run_id).mkdir()  # FileExistsError: that run exists already
            return cls(runs_dir / run_id)
        for _ in range(100):
            rid = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
            with contextlib.suppress(FileExistsError):
                (runs_dir / rid).mkdir()  # mkdir is the atomic claim: concurrent runs never share
                return cls(runs_dir / rid)
        raise FileExistsError(f"could not find a free run id in {runs_dir}")
