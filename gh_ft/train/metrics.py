"""Training metrics of a run: the loss history from Axolotl's trainer state, as JSON and a PNG.

Axolotl 0.19 writes `trainer_state.json` only inside `output_dir/checkpoint-N/`, and the
checkpoint copy is saved before the trainer's final summary, so `train_runtime`/`train_loss`
are read from the summary line in the run's log instead when the state lacks them.
"""
from __future__ import annotations

import ast
import io
import json
import re
from pathlib import Path
from typing import Any

from gh_ft.files import atomic_write_bytes, atomic_write_json

from gh_ft.train.paths import RunPaths

_CHECKPOINT = re.compile(r"checkpoint-(\d+)")
# The trainer's last stdout line: {'train_runtime': '4.418', ..., 'train_loss': '6.199', 'epoch': '0.6'}
_SUMMARY_LINE = re.compile(r"\{'train_runtime':[^{}\n\r]*\}")


def _state_files(output_dir: Path) -> list[Path]:
    """trainer_state.json candidates, newest checkpoint first, then output_dir's own copy."""
    ckpts = []
    if Path(output_dir).is_dir():
        for p in Path(output_dir).iterdir():
            m = _CHECKPOINT.fullmatch(p.name)
            if m and p.is_dir():
                ckpts.append((int(m.group(1)), p / "trainer_state.json"))
    return [f for _, f in sorted(ckpts, reverse=True)] + [Path(output_dir) / "trainer_state.json"]


def read_trainer_state(output_dir: Path) -> dict | None:
    """The trainer state of the latest checkpoint that has a readable one, else None."""
    for path in _state_files(Path(output_dir)):
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # missing, or half-written by an interrupted save: try an older one
        if isinstance(state, dict):
            return state
    return None


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def summarize(state: dict) -> dict:
    """Loss curve and headline numbers of a trainer state (pure)."""
    train: dict[int, float] = {}
    evals: dict[int, float] = {}
    final: dict = {}
    for entry in state.get("log_history") or []:
        step = entry.get("step")
        if "train_runtime" in entry:
            final = entry
        elif "loss" in entry and step is not None and _num(entry["loss"]) is not None:
            train[int(step)] = _num(entry["loss"])  # keyed by step: a resumed run never counts twice
        elif "eval_loss" in entry and step is not None and _num(entry["eval_loss"]) is not None:
            evals[int(step)] = _num(entry["eval_loss"])
    losses = [[s, train[s]] for s in sorted(train)]
    eval_losses = [[s, evals[s]] for s in sorted(evals)]
    steps = state.get("global_step")
    return {
        "steps": int(steps) if steps is not None else (losses[-1][0] if losses else 0),
        "max_steps": state.get("max_steps"),
        "epochs": _num(state.get("epoch")),
        "loss_history": losses,
        "eval_loss_history": eval_losses,
        "first_loss": losses[0][1] if losses else None,
        "final_loss": losses[-1][1] if losses else None,
        "min_loss": min(v for _, v in losses) if losses else None,
        "final_eval_loss": eval_losses[-1][1] if eval_losses else None,
        "train_runtime_s": _num(final.get("train_runtime")),
        "train_loss": _num(final.get("train_loss")),
    }


def parse_train_summary(log_text: str) -> dict:
    """Numbers of the last `{'train_runtime': ...}` line of a training log (pure); {} if none."""
    for line in reversed(_SUMMARY_LINE.findall(log_text)):
        try:
            raw = ast.literal_eval(line)
        except (ValueError, SyntaxError):
            continue
        return {k: _num(v) for k, v in raw.items() if _num(v) is not None}
    return {}


def plot_loss(summary: dict, title: str) -> bytes:
    """PNG of train (and eval) loss against step. Uses the Agg canvas directly: no pyplot state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for key, label, style in (("loss_history", "train loss", "-"), ("eval_loss_history", "eval loss", "o--")):
        points = summary.get(key) or []
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], style, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_metrics(paths: RunPaths) -> dict | None:
    """Write metrics.json and loss.png for a run; None when there is no trainer state yet."""
    state = read_trainer_state(paths.output_dir)
    if state is None:
        return None
    summary = summarize(state)
    if summary["train_runtime_s"] is None and paths.log.is_file():
        final = parse_train_summary(paths.log.read_text(encoding="utf-8", errors="replace"))
        summary["train_runtime_s"] = final.get("train_runtime")
        summary["train_loss"] = final.get("train_loss")
    return write_summary(paths, summary, f"gh-ft run {paths.root.name}")


def write_summary(paths: RunPaths, summary: dict, title: str) -> dict:
    """metrics.json from a trainer's summary, and its loss curve as loss.png (every back-end)."""
    metrics = {"run_id": paths.root.name, **summary, "loss_png": None}
    try:
        png = plot_loss(summary, title)
    except ImportError:
        metrics["loss_png_note"] = "matplotlib is not installed (pip install 'gh-ft[train]'); no loss.png"
    else:
        atomic_write_bytes(paths.loss_png, png)
        metrics["loss_png"] = paths.loss_png.name
    atomic_write_json(paths.metrics, metrics)
    return metrics
