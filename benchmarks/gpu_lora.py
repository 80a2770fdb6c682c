"""LoRA training throughput with and without sample packing, through gh-ft and Axolotl.

    python benchmarks/gpu_lora.py [--layers 8] [--steps 40] [--engine axolotl|hf|auto] [--out DIR]
    python benchmarks/gpu_lora.py --tiny        # toy width on the CPU: checks the pipeline end to end

Builds a Llama of realistic width locally (deepseek-coder-6.7b's shapes: hidden 4096, MLP 11008,
32 heads, vocab 32256; fewer layers, random bf16 weights) with gh-ft's tiny-model tokenizer, writes
synthetic alpaca rows whose outputs are generated Grasshopper components cut to 200-1500 tokens, and
trains it twice with `gh-ft train`'s code path (preset → template → validation → `python -m
axolotl.cli.train`), once with `sample_packing: false` and once with `true`; everything else equal
(the guide's preset: LoRA r16/α32 on every linear layer, sequence_len 4096, micro batch 2, gradient
checkpointing; sdpa attention and a bf16 base instead of flash-attn and 8-bit, see README).
The Axolotl plugin in gpu_lora_plugin.py times each optimizer step (device synchronised) and counts
its real (non-padding) tokens; the first --warmup steps are left out of the figures.
`--engine hf` measures the same two configurations with transformers + peft alone (gpu_lora_hf.py);
`--engine auto` uses that only where the Axolotl runs fail. Results: <out>/results.json.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import HEADER, make_component  # noqa: E402
from gh_ft.files import atomic_write_json, atomic_write_jsonl, atomic_write_text  # noqa: E402

PLUGIN = "benchmarks.gpu_lora_plugin.StepTimerPlugin"
STEPS_FILE = "gpu_lora_steps.json"  # written by the plugin into each run's output_dir
MARKER = ".gpu-lora-scratch"
GUIDE_PRESET = ROOT / "configs" / "deepseek-coder-6.7b-lora.yml"


@dataclass(frozen=True)
class Shape:
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    vocab: int


REALISTIC = Shape(hidden=4096, intermediate=11008, layers=8, heads=32, kv_heads=32, vocab=32256)
TOY = Shape(hidden=64, intermediate=128, layers=2, heads=4, kv_heads=2, vocab=1024)


# ---- the base model ----------------------------------------------------------------------

def build_model(out_dir: Path, shape: Shape, max_len: int, dtype: str, corpus: list[str]) -> tuple[Path, int]:
    """gh-ft's tiny-model tokenizer (trained on `corpus`), then a random Llama of `shape` in its place."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from gh_ft.train.tiny import build_tiny_model

    build_tiny_model(out_dir, corpus, vocab_size=min(shape.vocab, 16000))
    for stale in out_dir.glob("model*.safetensors*"):
        stale.unlink()
    tok_cfg_path = out_dir / "tokenizer_config.json"
    tok_cfg = json.loads(tok_cfg_path.read_text(encoding="utf-8"))
    tok_cfg["model_max_length"] = max_len
    atomic_write_text(tok_cfg_path, json.dumps(tok_cfg, indent=2, sort_keys=True) + "\n")

    config = LlamaConfig(
        vocab_size=shape.vocab, hidden_size=shape.hidden, intermediate_size=shape.intermediate,
        num_hidden_layers=shape.layers, num_attention_heads=shape.heads, num_key_value_heads=shape.kv_heads,
        max_position_embeddings=max_len, rope_theta=100000.0, rms_norm_eps=1e-6, tie_word_embeddings=False,
        bos_token_id=1, eos_token_id=2, pad_token_id=0, initializer_range=0.02)
    torch_dtype = getattr(torch, dtype)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch_dtype)
    try:
        with torch.device(device):  # initialised where it is fast; saved as one file
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    model.save_pretrained(out_dir, max_shard_size="200GB")
    params = sum(p.numel() for p in model.parameters())
    del model
    if device == "cuda":
        torch.cuda.empty_cache()
    return out_dir, params


# ---- the data ------------------------------------------------------------------------------

def make_rows(tokenizer_file: Path, n: int, min_tokens: int, max_tokens: int, seed: int = 5) -> list[dict]:
    """Alpaca rows whose outputs are generated components cut to a token count drawn
    log-uniformly from [min_tokens, max_tokens] (one to several components per output)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_file))
    rng = random.Random(seed)
    rows, serial = [], 0
    for i in range(n):
        target = round(math.exp(rng.uniform(math.log(min_tokens), math.log(max_tokens))))
        parts, ids, names = [HEADER.format(ns=f".Bench{i % 13}")], [], []
        while len(ids) < target:
            name, code = make_component(serial, rng)
            serial += 1
            names.append(name)
            parts.append(code)
            ids = tok.encode("".join(parts) + "}\n", add_special_tokens=False).ids
        output = tok.decode(ids[:target], skip_special_tokens=False)
        instruction = (f"Write a Grasshopper component class {names[0]} deriving from GH_Component. "
                       f"Inputs: Curve (C, item), Count (N, item, integer), Distance (D, item, number). "
                       f"Outputs: Points (P, list), Values (V, list). Category: Generated, subcategory "
                       f"Bench{i % 13}. Validate the inputs and report problems with AddRuntimeMessage.")
        rows.append({"instruction": instruction, "input": "", "output": output})
    return rows


def corpus_texts(n: int = 300, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [HEADER.format(ns=f".C{i % 7}") + make_component(10_000 + i, rng)[1] + "}\n" for i in range(n)]


# ---- one configuration -------------------------------------------------------------------

def write_preset(path: Path, base_model: Path, *, packing: bool, tiny: bool, seq_len: int, micro_batch: int,
                 steps: int) -> None:
    """The guide's preset (configs/deepseek-coder-6.7b-lora.yml) with what the benchmark changes."""
    import yaml

    preset = yaml.safe_load(GUIDE_PRESET.read_text(encoding="utf-8"))
    preset["description"] = f"gpu_lora benchmark, sample_packing={packing}"
    preset["base_model"] = str(base_model)
    preset["include_docs"] = False
    preset["axolotl"].update({
        "sequence_len": seq_len,
        "sample_packing": packing,
        # with packing the guide pads every packed row to sequence_len; without it a batch is
        # padded to its longest row (padding each row to 4096 would only make packing look better)
        "pad_to_sequence_len": packing,
        "load_in_8bit": False,          # bf16 base: bitsandbytes' 8-bit matmuls would be timed, not packing
        "optimizer": "adamw_torch",
        "attn_implementation": "sdpa",  # flash-attn is not installed where this ran
        "micro_batch_size": micro_batch,
        "gradient_accumulation_steps": 1,
        "max_steps": steps,
        "lr_scheduler": "constant",
        "warmup_ratio": 0.0,
        "val_set_size": 0.0,
        "save_steps": 10_000,           # only the final save (the trainer state lives there)
        "logging_steps": 1,
        "bf16": False if tiny else True,
        "tf32": not tiny,
        "plugins": [PLUGIN],
        # Axolotl turns its Triton LoRA kernels on by itself where a GPU is; they need one
        **({"lora_kernels": False} if tiny else {}),
        "dataset_num_proc": 1 if tiny else 4,
    })
    atomic_write_text(path, yaml.safe_dump(preset, sort_keys=False))


def run_config(work: Path, name: str, preset: Path, data_dir: Path) -> tuple[Path, int]:
    """`gh-ft train` with this preset (render, validate, launch Axolotl); the run folder and exit code."""
    from gh_ft.settings import load_settings
    from gh_ft.train.run import train_run

    project = work / f"project-{name}"
    project.mkdir(parents=True, exist_ok=True)
    atomic_write_text(project / "gh-ft.yml",
                      "train:\n"
                      f"  preset: {json.dumps(str(preset))}\n"
                      f"  data_dir: {json.dumps(str(data_dir))}\n"
                      "  runs_dir: runs\n"
                      "  launcher: python\n")
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               AXOLOTL_DO_NOT_TRACK="1", PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    result = train_run(load_settings(project / "gh-ft.yml"), [], argv=[sys.argv[0], name], echo=None, env=env)
    return result.paths.root, result.exit_code


def run_axolotl(work: Path, name: str, model_dir: Path, data_dir: Path, rows: list[dict], tiny: bool,
                seq_len: int, micro_batch: int, steps: int) -> Path | None:
    """One configuration through gh-ft and Axolotl; the steps file (with Axolotl's loss and
    supervised-token rate folded in), or None when the run failed."""
    from gh_ft.train.metrics import read_trainer_state

    preset = work / f"gpu-lora-{name}.yml"
    write_preset(preset, model_dir, packing=name == "pack", tiny=tiny, seq_len=seq_len, micro_batch=micro_batch,
                 steps=steps)
    try:
        run_dir, code = run_config(work, name, preset, data_dir)
    except Exception as e:  # noqa: BLE001 - a config gh-ft rejects is a failed run, reported, not a crash
        print(f"{name}: {type(e).__name__}: {e}", flush=True)
        return None
    shutil.copyfile(run_dir / "train.log", work / f"{name}.log")
    steps_file = run_dir / "output" / STEPS_FILE
    if code != 0 or not steps_file.is_file():
        return None
    history = (read_trainer_state(run_dir / "output") or {}).get("log_history", [])
    data = json.loads(steps_file.read_text(encoding="utf-8"))
    data["losses"] = [h["loss"] for h in history if "loss" in h]
    data["axolotl_rates"] = {h["step"]: h["tokens/train_per_sec_per_gpu"] for h in history
                             if "tokens/train_per_sec_per_gpu" in h}
    atomic_write_json(steps_file, data)
    return steps_file


def run_hf(work: Path, name: str, model_dir: Path, data_dir: Path, rows: list[dict], tiny: bool,
           seq_len: int, micro_batch: int, steps: int) -> Path | None:
    """The same configuration with transformers + peft alone (benchmarks/gpu_lora_hf.py)."""
    import gc

    from benchmarks import gpu_lora_hf

    steps_file = work / f"hf-{name}" / STEPS_FILE
    try:
        gpu_lora_hf.run(model_dir, rows, packing=name == "pack", seq_len=seq_len, micro_batch=micro_batch,
                        steps=steps, out_file=steps_file, bf16=not tiny)
    except Exception as e:  # noqa: BLE001 - reported with the traceback, the other engine's figures stand
        import traceback

        atomic_write_text(work / f"{name}.log", traceback.format_exc())
        print(f"{name}: {type(e).__name__}: {e}", flush=True)
        return None
    finally:
        gc.collect()
        try:
            import torch

            torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001 - no CUDA: nothing to release
            pass
    return steps_file


def summarize(steps_file: Path, warmup: int) -> dict:
    data = json.loads(steps_file.read_text(encoding="utf-8"))
    steps = data["steps"]
    measured = steps[warmup:] if len(steps) > warmup else steps
    secs = sum(s["seconds"] for s in measured)
    real = sum(s["real_tokens"] for s in measured)
    supervised = sum(s["supervised_tokens"] for s in measured)
    slots = sum(s["token_slots"] for s in measured)
    axolotl_rate = [r for step, r in data.get("axolotl_rates", {}).items() if int(step) > warmup]
    losses = data.get("losses", [])
    return {
        "steps_total": len(steps), "steps_measured": len(measured), "warmup_steps": len(steps) - len(measured),
        "tokens_per_s": real / secs, "supervised_tokens_per_s": supervised / secs,
        "step_s_mean": secs / len(measured), "step_s_median": statistics.median(s["seconds"] for s in measured),
        "real_tokens_per_step": real / len(measured), "token_slots_per_step": slots / len(measured),
        "padding_fraction": 1 - real / slots if slots else 0.0,
        "axolotl_supervised_tokens_per_s_mean": statistics.mean(axolotl_rate) if axolotl_rate else None,
        "loss_first": losses[0] if losses else None, "loss_last": losses[-1] if losses else None,
        **data["memory"],
        "step_seconds": [round(s["seconds"], 4) for s in steps],
        "step_real_tokens": [s["real_tokens"] for s in steps],
    }


def _versions() -> dict:
    from gh_ft.train.launch import installed_versions

    return {"python": sys.version.split()[0],
            **installed_versions("torch", "axolotl", "transformers", "peft", "accelerate", "datasets", "trl")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="toy width on the CPU (pipeline check, no figures)")
    ap.add_argument("--layers", type=int, help="decoder layers (default 8; deepseek-coder-6.7b has 32)")
    ap.add_argument("--seq-len", type=int, help="sequence_len (default 4096, the guide's)")
    ap.add_argument("--micro-batch", type=int, default=2)
    ap.add_argument("--steps", type=int, help="optimizer steps per configuration (default 40)")
    ap.add_argument("--warmup", type=int, help="first steps left out of the figures (default 5)")
    ap.add_argument("--rows", type=int, help="dataset rows (default 800)")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "bench-gpu-lora")
    ap.add_argument("--only", choices=("nopack", "pack"), help="run one configuration")
    ap.add_argument("--engine", choices=("axolotl", "hf", "auto"), default="axolotl",
                    help="axolotl: through gh-ft train; hf: transformers + peft alone; auto: hf where axolotl fails")
    args = ap.parse_args(argv)

    shape = TOY if args.tiny else REALISTIC
    if args.layers:
        shape = Shape(**{**shape.__dict__, "layers": args.layers})
    seq_len = args.seq_len or (1024 if args.tiny else 4096)
    steps = args.steps or (6 if args.tiny else 40)
    warmup = args.warmup if args.warmup is not None else (2 if args.tiny else 5)
    n_rows = args.rows or (120 if args.tiny else 800)
    min_tok, max_tok = (40, 300) if args.tiny else (200, 1500)

    work = args.out.resolve()
    if work.exists() and any(work.iterdir()):
        if not (work / MARKER).is_file():
            raise SystemExit(f"{work} exists and is not a gpu_lora scratch folder: choose another --out")
        shutil.rmtree(work)  # the benchmark's own scratch folder (marked): every run measures afresh
    work.mkdir(parents=True, exist_ok=True)
    (work / MARKER).write_text("scratch folder of benchmarks/gpu_lora.py; deleted by its next run\n")
    t0 = time.perf_counter()
    model_dir, params = build_model(work / "model", shape, seq_len, "float32" if args.tiny else "bfloat16",
                                    corpus_texts())
    rows = make_rows(model_dir / "tokenizer.json", n_rows, min_tok, max_tok)
    data_dir = work / "dataset"
    atomic_write_jsonl(data_dir / "train.jsonl", rows)
    print(f"model: {shape} ({params / 1e9:.2f} B parameters), {len(rows)} rows, built in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)

    names = ("nopack", "pack") if args.only is None else (args.only,)
    results = {"shape": shape.__dict__, "parameters": params, "sequence_len": seq_len,
               "micro_batch_size": args.micro_batch, "rows": len(rows), "output_tokens": [min_tok, max_tok],
               "versions": _versions()}
    engines = ["axolotl", "hf"] if args.engine == "auto" else [args.engine]
    for engine in engines:
        runner = run_axolotl if engine == "axolotl" else run_hf
        configs = {}
        for name in names:
            t1 = time.perf_counter()
            steps_file = runner(work, name, model_dir, data_dir, rows, args.tiny, seq_len, args.micro_batch, steps)
            if steps_file is None:
                print(f"{name}: the {engine} run failed; see {work / f'{name}.log'}", flush=True)
                break
            summary = summarize(steps_file, warmup)
            summary["wall_s"] = time.perf_counter() - t1
            configs[name] = summary
            print(f"{engine} {name}: {summary['tokens_per_s']:,.0f} tokens/s, step {summary['step_s_mean']:.3f} s, "
                  f"{summary['real_tokens_per_step']:,.0f} real tokens/step, padding "
                  f"{summary['padding_fraction']:.1%} ({summary['wall_s']:.0f} s with startup)", flush=True)
        else:
            results.update(engine=engine, configs=configs)
            break
    else:
        results.update(engine=None, configs={})
    failed = results["engine"] is None
    configs = results["configs"]
    if "pack" in configs and "nopack" in configs:
        results["speedup_tokens_per_s"] = configs["pack"]["tokens_per_s"] / configs["nopack"]["tokens_per_s"]
    atomic_write_json(work / "results.json", results)
    print_table(results)
    return 1 if failed else 0


def print_table(results: dict) -> None:
    configs = results["configs"]
    if not configs:
        return
    first = next(iter(configs.values()))
    mem_key = "max_allocated_gib" if "max_allocated_gib" in first else "max_rss_gib"
    s = results["shape"]
    print(f"\n{first['device']}, {results['engine']}: Llama {s['layers']} layers × hidden {s['hidden']} (MLP {s['intermediate']}, "
          f"{s['heads']} heads, vocab {s['vocab']}; {results['parameters'] / 1e9:.2f} B), LoRA r16, "
          f"sequence_len {results['sequence_len']}, micro batch {results['micro_batch_size']}")
    print(f"{'sample_packing':<15}{'tokens/s':>11}{'supervised/s':>14}{'step s':>9}{'tokens/step':>13}"
          f"{'padding':>9}{'peak GiB':>10}")
    for name, c in configs.items():
        print(f"{str(name == 'pack').lower():<15}{c['tokens_per_s']:>11,.0f}{c['supervised_tokens_per_s']:>14,.0f}"
              f"{c['step_s_mean']:>9.3f}{c['real_tokens_per_step']:>13,.0f}{c['padding_fraction']:>9.1%}"
              f"{c[mem_key]:>10.1f}")
    if "speedup_tokens_per_s" in results:
        print(f"packing speedup (tokens/s): {results['speedup_tokens_per_s']:.2f}×")


if __name__ == "__main__":
    raise SystemExit(main())
