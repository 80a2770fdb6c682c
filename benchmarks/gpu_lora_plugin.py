"""Axolotl plugin used by benchmarks/gpu_lora.py: times every optimizer step and counts its tokens.

Named in the benchmark's config as `plugins: [benchmarks.gpu_lora_plugin.StepTimerPlugin]`, so it
runs inside Axolotl's own training process (launched from the repository root). Per step it records
the wall time between consecutive step ends (the device synchronised first, so queued kernels are
counted in the step that launched them), the real tokens of the step's batches (non-padding), the
supervised tokens (labels != -100) and the token slots (padding included), and the device's peak
memory, read at each step end because Axolotl resets the peak counters whenever it logs. At the end
of training it writes `gpu_lora_steps.json` into the run's output_dir.
"""
from __future__ import annotations

import json
import resource
import time
from pathlib import Path

import torch
from axolotl.integrations.base import BasePlugin
from transformers import TrainerCallback

STEPS_FILE = "gpu_lora_steps.json"


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def count_tokens(inputs: dict, pad_token_id: int | None) -> tuple[int, int, int]:
    """(real, supervised, slots) of one batch. Packed batches reach the model without an
    attention mask (Axolotl drops it for sdpa and rebuilds the block-diagonal mask from
    position_ids), so padding is then recognised by the pad id, which real text never holds
    here (the benchmark's tokenizer has byte fallback: no <unk> in real text)."""
    ids = inputs["input_ids"]
    mask = inputs.get("attention_mask")
    if mask is not None:
        real = int((mask != 0).sum())
    elif pad_token_id is not None:
        real = int((ids != pad_token_id).sum())
    else:
        real = ids.numel()
    labels = inputs.get("labels")
    supervised = int((labels != -100).sum()) if labels is not None else real
    return real, supervised, ids.numel()


class _StepTimer(TrainerCallback):
    def __init__(self, out_dir: Path, pending: dict):
        self.out_dir = out_dir
        self.pending = pending  # filled by the wrapped training_step
        self.steps: list[dict] = []
        self.t_prev = 0.0
        self.peak = {"allocated": 0, "reserved": 0}

    def on_train_begin(self, args, state, control, **kwargs):
        _sync()
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        self.t_prev = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        _sync()
        now = time.perf_counter()
        if torch.cuda.is_available():  # read before Axolotl's per-step log resets the peak counters
            self.peak["allocated"] = max(self.peak["allocated"], torch.cuda.max_memory_allocated())
            self.peak["reserved"] = max(self.peak["reserved"], torch.cuda.max_memory_reserved())
        self.steps.append({"step": state.global_step, "seconds": now - self.t_prev, **self.pending})
        for key in self.pending:
            self.pending[key] = 0
        self.t_prev = now

    def on_train_end(self, args, state, control, **kwargs):
        if torch.cuda.is_available():
            memory = {"device": torch.cuda.get_device_name(0),
                      "max_allocated_gib": max(self.peak["allocated"], torch.cuda.max_memory_allocated()) / 2**30,
                      "max_reserved_gib": max(self.peak["reserved"], torch.cuda.max_memory_reserved()) / 2**30}
        else:
            memory = {"device": "cpu", "max_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / STEPS_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"steps": self.steps, "memory": memory}, indent=1), encoding="utf-8")
        tmp.replace(path)


class StepTimerPlugin(BasePlugin):
    def post_trainer_create(self, cfg, trainer):
        pending = {"real_tokens": 0, "supervised_tokens": 0, "token_slots": 0}
        tokenizer = getattr(trainer, "processing_class", None) or getattr(trainer, "tokenizer", None)
        pad_id = getattr(tokenizer, "pad_token_id", None)
        training_step = trainer.training_step

        def counted_step(model, inputs, *args, **kwargs):
            real, supervised, slots = count_tokens(inputs, pad_id)
            pending["real_tokens"] += real
            pending["supervised_tokens"] += supervised
            pending["token_slots"] += slots
            return training_step(model, inputs, *args, **kwargs)

        trainer.training_step = counted_step
        trainer.add_callback(_StepTimer(Path(cfg.output_dir), pending))
