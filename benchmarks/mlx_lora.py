"""LoRA training throughput of the two back-ends on the same rows and the same tiny model, in one run.

    python benchmarks/mlx_lora.py [--steps 10] [--warmup 2] [--out DIR]

Builds gh-ft's tiny model and the sample dataset (data/sample_context), then trains the same
LoRA (rank 8 on every linear layer of every block, batch 2, constant learning rate 0.002, no
evaluation) for --steps steps twice through `gh-ft train`'s code path: once with
train.backend: axolotl (preset tiny-cpu, `python -m axolotl.cli.train`) and once with
train.backend: mlx (preset mlx-tiny-cpu, `mlx_lm.lora` on mlx's CPU build here, Metal on a Mac).
Both train exactly the same tokens per row (tests/test_mlx_backend.py).

Figure: supervised (answer) tokens per second of training step time, the first --warmup steps
left out. Axolotl's steps are timed inside its process by benchmarks/gpu_lora_plugin.py;
mlx-lm's come from its own per-step report (tok/s and the running token count, which it prints
in units of 100 tokens: the totals are good to ±100 tokens). Wall time of the whole run
(start-up, model load and data preparation included) is printed beside it.
Results: <out>/results.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gh_ft.files import atomic_write_json  # noqa: E402

_TRAIN_LINE = re.compile(r"^\s*(\d+)\s+[-+0-9.eE]+\s+[▼▲]\s+([\d,]+)\s+([\d.]+)k\s*$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def prepare(work: Path, steps: int) -> tuple[Path, Path, Path]:
    from gh_ft.collect import collect
    from gh_ft.settings import CollectSettings
    from gh_ft.train.tiny import build_tiny_model, read_corpus_texts

    sample = ROOT / "data" / "sample_context"
    model = Path(build_tiny_model(work / "tiny-model", read_corpus_texts([sample / "src"]) or None))
    collect(CollectSettings(context_dir=sample, out=work / "dataset", workers=1))
    configs = work / "configs"
    configs.mkdir()
    tiny = (ROOT / "configs" / "tiny-cpu.yml").read_text(encoding="utf-8")
    tiny = tiny.replace("max_steps: 30", f"max_steps: {steps}")
    tiny += "  plugins: [benchmarks.gpu_lora_plugin.StepTimerPlugin]\n"
    (configs / "tiny-cpu.yml").write_text(tiny, encoding="utf-8")
    mlx = (ROOT / "configs" / "mlx-tiny-cpu.yml").read_text(encoding="utf-8")
    for old, new in (("iters: 30", f"iters: {steps}"), ("steps_per_eval: 10", f"steps_per_eval: {steps * 10}"),
                     ("val_batches: -1", "val_batches: 1"), ("save_every: 10", f"save_every: {steps}")):
        assert old in mlx, old
        mlx = mlx.replace(old, new)
    (configs / "mlx-tiny-cpu.yml").write_text(mlx, encoding="utf-8")
    return model, work / "dataset", configs


def train(work: Path, backend: str, model: Path, dataset: Path) -> tuple[Path, int, float]:
    from gh_ft.settings import load_settings
    from gh_ft.train.run import train_run

    (work / "gh-ft.yml").write_text(
        f"collect:\n  out: {json.dumps(str(dataset))}\n"
        f"train:\n  preset: tiny-cpu\n  backend: {backend}\n  tiny_model_dir: {json.dumps(str(model))}\n"
        "  runs_dir: runs\n  launcher: python\n", encoding="utf-8")
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               AXOLOTL_DO_NOT_TRACK="1",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    t0 = time.monotonic()
    result = train_run(load_settings(work / "gh-ft.yml"), [], argv=[sys.argv[0], backend], echo=None, env=env)
    return result.paths.root, result.exit_code, time.monotonic() - t0


def axolotl_figures(run: Path, warmup: int) -> dict:
    steps = json.loads((run / "output" / "gpu_lora_steps.json").read_text(encoding="utf-8"))["steps"]
    measured = steps[warmup:]
    secs = sum(s["seconds"] for s in measured)
    supervised = sum(s["supervised_tokens"] for s in measured)
    return {"steps": len(steps), "steps_measured": len(measured), "supervised_tokens": supervised,
            "step_seconds": secs, "supervised_tokens_per_s": supervised / secs,
            "real_tokens_per_s": sum(s["real_tokens"] for s in measured) / secs}


def mlx_figures(run: Path, warmup: int) -> dict:
    rows = []  # (iteration, tok/s, running tokens)
    for line in (run / "train.log").read_text(encoding="utf-8", errors="replace").splitlines():
        m = _TRAIN_LINE.match(_ANSI.sub("", line))
        if m:
            rows.append((int(m.group(1)), float(m.group(2).replace(",", "")), float(m.group(3)) * 1000))
    measured = [r for r in rows if r[0] > warmup]
    previous = {it: total for it, _, total in rows}
    secs = 0.0
    for it, rate, total in measured:
        secs += (total - previous.get(it - 1, 0.0)) / rate
    supervised = measured[-1][2] - previous.get(warmup, 0.0)
    return {"steps": len(rows), "steps_measured": len(measured), "supervised_tokens": supervised,
            "step_seconds": secs, "supervised_tokens_per_s": supervised / secs}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="keep the runs here (default: a temporary folder)")
    args = ap.parse_args()
    if args.steps <= args.warmup:
        ap.error("--steps must be larger than --warmup")
    os.chdir(ROOT)  # Axolotl imports the timing plugin as benchmarks.gpu_lora_plugin
    with tempfile.TemporaryDirectory(prefix="gh-ft-mlx-bench-") as tmp:
        work = args.out or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        model, dataset, _ = prepare(work, args.steps)
        results = {"steps": args.steps, "warmup": args.warmup, "rows": "data/sample_context (gh-ft collect)",
                   "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
                   "versions": {d: _version(d) for d in ("axolotl", "torch", "mlx", "mlx-lm", "transformers")}}
        for backend, figures in (("axolotl", axolotl_figures), ("mlx", mlx_figures)):
            run, code, wall = train(work, backend, model, dataset)
            if code != 0:
                print(f"{backend}: training failed (exit {code}); log: {run / 'train.log'}")
                return 1
            results[backend] = {**figures(run, args.warmup), "wall_s": wall, "run": str(run)}
        atomic_write_json(work / "results.json", results)
        print(f"same rows, same tiny model, LoRA r8 on every linear layer, batch 2, {args.steps} steps "
              f"(first {args.warmup} left out)")
        print(f"{'back-end':<10}{'supervised tokens/s':>21}{'step s total':>14}{'wall s':>9}")
        for backend in ("axolotl", "mlx"):
            r = results[backend]
            print(f"{backend:<10}{r['supervised_tokens_per_s']:>21,.0f}{r['step_seconds']:>14.1f}{r['wall_s']:>9.1f}")
        print(f"mlx / axolotl: {results['mlx']['supervised_tokens_per_s'] / results['axolotl']['supervised_tokens_per_s']:.2f}×"
              f"   ({work / 'results.json'})")
        if args.out is None:
            print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
