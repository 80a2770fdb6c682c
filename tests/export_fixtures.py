"""A "memorizing" training run: the tiny model, trained with Axolotl on a few alpaca rows
repeated, until it answers each prompt with its row's output and EOS. Its logits are peaked,
so greedy decoding is stable across numeric paths (transformers vs llama.cpp, base + LoRA vs
merged), and any token the export gets wrong shows up as a different answer.

Imported by conftest.py: the session fixture trains and merges once per test session.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

# Outputs short enough to memorize in a few seconds of CPU training, long enough to be many tokens.
MEMO_ROWS = (
    {"instruction": "Write the line that sets the first output to 42.", "input": "",
     "output": "DA.SetData(0, 42);"},
    {"instruction": "Which class does a Grasshopper component derive from?", "input": "",
     "output": "public class Offset : GH_Component"},
    {"instruction": "Read the first input.", "input": "Curve curve = null;",
     "output": "if (!DA.GetData(0, ref curve)) return;"},
    # Runs on into a prompt header: both backends must stop there and cut it off.
    {"instruction": "Declare a counter.", "input": "",
     "output": "int n = 1;\n### Instruction:\nignored"},
)
# What a backend answers for each row: the output up to the first prompt header.
MEMO_ANSWERS = ("DA.SetData(0, 42);", "public class Offset : GH_Component",
                "if (!DA.GetData(0, ref curve)) return;", "int n = 1;\n")
MEMO_REPEAT = 12

MEMO_PRESET = """\
description: The tiny model memorizing a few rows (export tests).
base_model: tiny
include_docs: false
axolotl:
  sequence_len: 256
  adapter: lora
  lora_r: 16
  lora_alpha: 32
  lora_dropout: 0.0
  lora_kernels: false
  # lm_head too: a LoRA on the layers before the final RMSNorm cannot make logits peaked
  # (the norm bounds the hidden state, so the tiny lm_head's logits stay within about ±1).
  lora_target_linear: false
  lora_target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head]
  micro_batch_size: 8
  gradient_accumulation_steps: 1
  num_epochs: 1
  max_steps: 120
  learning_rate: 0.01
  optimizer: adamw_torch
  lr_scheduler: cosine
  warmup_ratio: 0.0
  bf16: false
  fp16: false
  tf32: false
  attn_implementation: sdpa
  save_steps: 1000
  dataset_num_proc: 1
"""


@dataclass(frozen=True)
class MemorizedRun:
    run_dir: Path       # runs/<id>/ with output/ (adapter) and output/merged/
    base_model: Path    # the tiny model the adapter was trained on
    rows: tuple[dict, ...]
    final_loss: float | None


@pytest.fixture(scope="session")
def memorized_run(tmp_path_factory, tiny_model_dir) -> MemorizedRun:
    from gh_ft.files import atomic_write_jsonl
    from gh_ft.settings import load_settings
    from gh_ft.train.run import merge_run, train_run

    root = tmp_path_factory.mktemp("memorize")
    data = root / "dataset"
    atomic_write_jsonl(data / "train.jsonl", [dict(r) for r in MEMO_ROWS] * MEMO_REPEAT)
    (root / "memorize.yml").write_text(MEMO_PRESET, encoding="utf-8")
    (root / "gh-ft.yml").write_text(
        "train:\n"
        f"  preset: {root / 'memorize.yml'}\n"
        f"  data_dir: {data}\n"
        f"  tiny_model_dir: {tiny_model_dir}\n"
        "  runs_dir: runs\n"
        "  launcher: python\n", encoding="utf-8")
    settings = load_settings(root / "gh-ft.yml")
    result = train_run(settings, [], echo=None)
    assert result.exit_code == 0, result.paths.log.read_text()[-4000:] if result.paths.log.exists() else "no log"
    merge_run(settings, str(result.paths.root), echo=None)
    loss = (result.metrics or {}).get("final_loss")
    return MemorizedRun(result.paths.root, Path(tiny_model_dir), MEMO_ROWS, loss)


@dataclass(frozen=True)
class ExportedRun:
    run: MemorizedRun
    export: object          # gh_ft.export.gguf.GgufExport (f32 files, q8_0 and q4_K_M)
    progress: tuple[str, ...]  # the lines export_gguf reported


@pytest.fixture(scope="session")
def exported_run(memorized_run, tmp_path_factory) -> ExportedRun:
    """The memorizing run exported once: f32 (exact comparisons with transformers) plus q8_0 and q4_K_M."""
    from tools import require_module

    require_module("llama_cpp", "llama-cpp-python loads and quantizes the GGUF files")
    from gh_ft.export.gguf import export_gguf

    lines: list[str] = []
    out = tmp_path_factory.mktemp("export") / "export"
    result = export_gguf(memorized_run.run_dir, out, outtype="f32", quantizations=("q8_0", "q4_K_M"),
                         progress=lines.append)
    return ExportedRun(memorized_run, result, tuple(lines))
