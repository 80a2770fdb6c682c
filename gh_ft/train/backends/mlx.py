"""The mlx-lm back-end: train a LoRA with `mlx_lm.lora`, merge with `mlx_lm.fuse`.

A run folder like an Axolotl run's, plus what mlx-lm needs:

    mlx.yml           the config rendered from templates/mlx.yml.j2 (checked key by key first)
    data/             train.jsonl, valid.jsonl, test.jsonl in mlx-lm's prompt/completion layout
    model/            what mlx-lm loads: the base model's files (linked) with a tokenizer whose
                      chat template renders the alpaca prompt with BOS and EOS, or for QLoRA a
                      4-bit copy made by mlx_lm.convert
    mlx-adapter/      mlx-lm's adapter files (adapters.safetensors, NNNNNNN_adapters.safetensors)
    output/           the same adapter in PEFT format (what export, evaluation and Ollama read)
    output/merged/    the fused model (mlx_lm.fuse, dequantized), with the base's tokenizer files
    run.json, train.log, metrics.json, loss.png, merge.log

Before launch every row is tokenized through mlx-lm's own data path and compared with what
Axolotl trains on (gh_ft.prompt.alpaca_token_ids): same ids, prompt masked up to the same
token. A row that would differ stops the run with its index; rows longer than
max_seq_length are dropped, as Axolotl's `excess_length_strategy: drop` does.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Mapping, Sequence, TextIO

import yaml

from gh_ft.errors import GhFtError
from gh_ft.files import atomic_write_json, atomic_write_text
from gh_ft.prompt import SEPARATOR_CANDIDATES, alpaca_token_ids, chat_template, completion_row
from gh_ft.settings import Settings
from gh_ft.train import metrics as train_metrics
from gh_ft.train.backends.mlx_config import (load_mlx_preset, preset_problems, render_mlx_config, template_path,
                                             validate_mlx_config)
from gh_ft.train.config import ConfigError, training_datasets
from gh_ft.train.launch import RunPaths, _note, run_streaming, training_env, write_run_info
from gh_ft.train.prepare import raise_on_errors, resolve_base_model

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json",
                   "added_tokens.json", "chat_template.jinja", "chat_template.json", "vocab.json", "merges.txt")
_CHECKPOINT = re.compile(r"(\d{7})_adapters\.safetensors")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# mlx-lm 0.32's report lines (cli_ui.TrainUI): "  12    1.234 ▼    5,678    9.1k" and "  10    val 1.234    0.12s"
_TRAIN_LINE = re.compile(r"^\s*(\d+)\s+([-+0-9.eE]+|nan|inf)\s+[▼▲]\s+([\d,]+)\s+([\d.]+)k\s*$")
_VAL_LINE = re.compile(r"^\s*(\d+)\s+val\s+([-+0-9.eE]+|nan|inf)\s+([\d.]+)s\s*$")
_RESUME_MARK = re.compile(r"\] mlx resume: from iteration (\d+)")


class MlxError(ConfigError, GhFtError):
    """The mlx-lm back-end cannot start (bad preset, data it cannot train on exactly)."""


# ---- base model and the folder mlx-lm loads --------------------------------------------------

def local_model_dir(ref: str) -> Path:
    """The base model's local folder: a path, or a hub id from the Hugging Face cache (downloaded
    when missing: on a Mac that is what mlx-lm would do itself)."""
    path = Path(ref).expanduser()
    if (path / "config.json").is_file():
        return path.resolve()
    try:
        from huggingface_hub import snapshot_download
    except ImportError as e:
        raise MlxError(f"the base model {ref!r} is not a local folder and huggingface_hub is missing ({e})") from None
    try:
        return Path(snapshot_download(ref, local_files_only=True))
    except Exception:  # noqa: BLE001 - not cached yet
        pass
    try:
        return Path(snapshot_download(ref, allow_patterns=["*.json", "*.safetensors", "tokenizer.model", "*.txt",
                                                           "*.jinja", "*.py"]))
    except Exception as e:  # noqa: BLE001 - offline, unknown repo, no access
        raise MlxError(f"the base model {ref!r} is neither a local folder nor downloadable here "
                       f"({type(e).__name__}: {e})") from None


def link_model(base: Path, dest: Path) -> None:
    """dest/ with every file of the base linked (weights are never copied)."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(base.iterdir()):
        if f.is_file() and not (dest / f.name).exists():
            (dest / f.name).symlink_to(f.resolve())


def set_chat_template(model_dir: Path, template: str) -> None:
    """Give the tokenizer in model_dir the chat template (the file is replaced, never the base's)."""
    config_file = model_dir / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.exists() else {}
    config["chat_template"] = template
    if config_file.is_symlink():
        config_file.unlink()
    for stale in ("chat_template.jinja", "chat_template.json"):  # these would win over the config's
        if (model_dir / stale).exists() or (model_dir / stale).is_symlink():
            (model_dir / stale).unlink()
    atomic_write_text(config_file, json.dumps(config, indent=2, ensure_ascii=False) + "\n")


# ---- data in mlx-lm's layout, proven token for token --------------------------------------

def _read_rows(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except ValueError as e:
                raise MlxError(f"{path}:{n}: not JSON ({e})") from None
            if not isinstance(row, dict) or not isinstance(row.get("instruction"), str) \
                    or not isinstance(row.get("output"), str):
                raise MlxError(f"{path}:{n}: not an alpaca row (instruction, input, output)")
            rows.append(row)
    return rows


def mlx_tokens(tokenizer, rows: Sequence[dict]) -> list[tuple[list[int], int]]:
    """(ids, offset) of prompt/completion rows exactly as mlx-lm's data path makes them."""
    from mlx_lm.tuner.datasets import CompletionsDataset

    ds = CompletionsDataset(list(rows), tokenizer, "prompt", "completion", mask_prompt=True)
    return [tuple(ds.process(ds[i])) for i in range(len(ds))]


def _mismatches(tokenizer, rows: list[dict], reference: list[tuple[list[int], int]]) -> list[int]:
    got = mlx_tokens(tokenizer, [completion_row(r["instruction"], r.get("input") or "", r["output"]) for r in rows])
    return [i for i, (g, want) in enumerate(zip(got, reference)) if list(g[0]) != want[0] or g[1] != want[1]]


def write_mlx_data(model_dir: Path, data_dir: Path, train_files: Sequence[Path], valid_file: Path | None,
                   max_seq_length: int, base_dir: Path | None = None, batch_size: int = 1) -> dict:
    """data_dir/{train,valid,test}.jsonl from alpaca files, and the chat template in model_dir
    under which mlx-lm tokenizes every row as Axolotl does (with the base model's tokenizer,
    base_dir, default model_dir). Returns what was done."""
    from mlx_lm.utils import load_tokenizer
    from transformers import AutoTokenizer

    train_rows = [r for f in train_files for r in _read_rows(Path(f))]
    valid_rows = _read_rows(valid_file) if valid_file is not None and valid_file.is_file() else []
    if not train_rows:
        raise MlxError(f"no training rows in {', '.join(map(str, train_files))}")
    hf = AutoTokenizer.from_pretrained(str(base_dir or model_dir))  # what Axolotl loads

    def reference(rows):
        return [alpaca_token_ids(hf, r["instruction"], r.get("input") or "", r["output"]) for r in rows]

    def keep(rows, refs):  # Axolotl drops rows over sequence_len; so does gh-ft for mlx-lm
        kept = [(r, t) for r, t in zip(rows, refs) if len(t[0]) <= max_seq_length]
        return [r for r, _ in kept], [t for _, t in kept], len(rows) - len(kept)

    train_rows, train_ref, dropped_train = keep(train_rows, reference(train_rows))
    valid_rows, valid_ref, dropped_valid = keep(valid_rows, reference(valid_rows))
    if not train_rows:
        raise MlxError(f"every training row is longer than max_seq_length {max_seq_length}")
    tried = []
    for after_bos, before_answer in SEPARATOR_CANDIDATES:
        set_chat_template(model_dir, chat_template(after_bos, before_answer))
        tokenizer = load_tokenizer(model_dir)  # as mlx_lm.lora will load it
        bad = _mismatches(tokenizer, train_rows, train_ref)
        if not bad:
            bad_valid = _mismatches(tokenizer, valid_rows, valid_ref)
            if not bad_valid:
                break
            bad = [f"valid row {i}" for i in bad_valid]
        tried.append(f"{after_bos!r}/{before_answer!r}: {len(bad)} row(s) differ, first {bad[0]}")
    else:
        raise MlxError("no chat template makes mlx-lm tokenize the rows exactly as Axolotl does "
                       f"(tried separators {'; '.join(tried)}); train this model with train.backend: axolotl")
    data_dir.mkdir(parents=True, exist_ok=True)

    def dump(rows):
        return "".join(json.dumps(completion_row(r["instruction"], r.get("input") or "", r["output"]),
                                  ensure_ascii=False) + "\n" for r in rows)

    if len(train_rows) < batch_size:  # mlx-lm would stop at its first batch
        raise MlxError(f"{len(train_rows)} training row(s), fewer than batch_size {batch_size}")
    note = None
    if 0 < len(valid_rows) < batch_size:  # likewise at its first validation
        note = f"validation skipped: {len(valid_rows)} held-out row(s), fewer than batch_size {batch_size}"
        valid_rows = []
    atomic_write_text(data_dir / "train.jsonl", dump(train_rows))
    # valid.jsonl: the dataset's own held-out rows; test.jsonl the same rows (mlx-lm's --test).
    atomic_write_text(data_dir / "valid.jsonl", dump(valid_rows))
    atomic_write_text(data_dir / "test.jsonl", dump(valid_rows))
    return {"train_rows": len(train_rows), "valid_rows": len(valid_rows),
            "dropped_over_max_seq_length": {"train": dropped_train, "valid": dropped_valid},
            "chat_template_separators": {"after_bos": after_bos, "before_answer": before_answer},
            "tokens_checked_against_axolotl": len(train_rows) + len(valid_rows), "note": note}


# ---- metrics from mlx-lm's output --------------------------------------------------------------

def parse_log(text: str) -> dict:
    """Train and validation losses and tokens/s from mlx-lm's report lines (pure). Iterations
    after a gh-ft resume marker are shifted by the iteration resumed from."""
    train: dict[int, float] = {}
    evals: dict[int, float] = {}
    tok_s: list[float] = []
    offset = 0
    for raw in text.splitlines():
        line = _ANSI.sub("", raw).replace("\r", "")
        m = _RESUME_MARK.search(line)
        if m:
            offset = int(m.group(1))
            continue
        m = _TRAIN_LINE.match(line)
        if m:
            train[offset + int(m.group(1))] = float(m.group(2))
            tok_s.append(float(m.group(3).replace(",", "")))
            continue
        m = _VAL_LINE.match(line)
        if m:
            evals[offset + int(m.group(1))] = float(m.group(2))
    losses = [[s, train[s]] for s in sorted(train)]
    eval_losses = [[s, evals[s]] for s in sorted(evals)]
    return {"loss_history": losses, "eval_loss_history": eval_losses,
            "tokens_per_second": (sum(tok_s) / len(tok_s)) if tok_s else None}


def write_metrics(paths: RunPaths, *, max_steps: int | None, runtime_s: float | None) -> dict | None:
    """metrics.json (Axolotl runs' fields) and loss.png from train.log."""
    if not paths.log.is_file():
        return None
    parsed = parse_log(paths.log.read_text(encoding="utf-8", errors="replace"))
    losses, evals = parsed["loss_history"], parsed["eval_loss_history"]
    if not losses:
        return None
    previous = json.loads(paths.metrics.read_text()) if paths.metrics.is_file() else {}
    runtime = (previous.get("train_runtime_s") or 0.0) + (runtime_s or 0.0)
    summary = {
        "steps": losses[-1][0], "max_steps": max_steps, "epochs": None,
        "loss_history": losses, "eval_loss_history": evals,
        "first_loss": losses[0][1], "final_loss": losses[-1][1], "min_loss": min(v for _, v in losses),
        "final_eval_loss": evals[-1][1] if evals else None,
        "train_runtime_s": runtime or None, "train_loss": sum(v for _, v in losses) / len(losses),
        "tokens_per_second": parsed["tokens_per_second"], "backend": "mlx",
    }
    return train_metrics.write_summary(paths, summary, f"gh-ft run {paths.root.name} (mlx-lm)")


# ---- the adapter in PEFT format ------------------------------------------------------------------

def peft_adapter(mlx_adapter_dir: Path, out_dir: Path, base_model: str) -> Path:
    """output/adapter_model.safetensors + adapter_config.json from mlx-lm's adapter.

    mlx-lm's LoRA computes y = W x + scale · (x A) B with A (in, r), B (r, out); PEFT's is
    y = W x + (alpha / r) · B' A' x with A' (r, in), B' (out, r): A' = Aᵀ, B' = Bᵀ, alpha = scale · r."""
    import mlx.core as mx

    weights_file = mlx_adapter_dir / "adapters.safetensors"
    config = json.loads((mlx_adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    lora = config.get("lora_parameters") or {}
    rank, scale = int(lora["rank"]), float(lora["scale"])
    weights = mx.load(str(weights_file))
    peft: dict = {}
    modules, layers = set(), set()
    for name, value in weights.items():
        if not name.endswith((".lora_a", ".lora_b")):
            raise MlxError(f"{weights_file}: {name} is not a LoRA weight (only LoRA adapters convert to PEFT)")
        module, kind = name.rsplit(".", 1)
        peft[f"base_model.model.{module}.lora_{kind[-1].upper()}.weight"] = mx.contiguous(value.T)
        modules.add(module.rsplit(".", 1)[-1])
        m = re.search(r"\.layers\.(\d+)\.", name)
        if m:
            layers.add(int(m.group(1)))
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / ".adapter_model.tmp.safetensors"
    mx.save_safetensors(str(tmp), peft, metadata={"format": "pt"})
    os.replace(tmp, out_dir / "adapter_model.safetensors")
    base_config = json.loads((Path(base_model) / "config.json").read_text()) if (Path(base_model) / "config.json").is_file() else {}
    n_layers = base_config.get("num_hidden_layers")
    atomic_write_json(out_dir / "adapter_config.json", {
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": base_model,
        "r": rank, "lora_alpha": scale * rank, "lora_dropout": float(lora.get("dropout", 0.0)),
        "target_modules": sorted(modules), "bias": "none", "fan_in_fan_out": False, "inference_mode": True,
        "layers_to_transform": None if n_layers is not None and len(layers) == n_layers else sorted(layers),
        "converted_from": "mlx-lm", "mlx_lora_scale": scale,
    })
    return out_dir


# ---- train / resume / merge --------------------------------------------------------------------

def _python() -> str:
    return sys.executable


def child_command(config: Path, extra_args: Sequence[str] = ()) -> list[str]:
    return [_python(), "-m", "gh_ft.train.backends.mlx_child", "-c", str(config), *extra_args]


def saved_iteration(adapter_dir: Path) -> int | None:
    found = [int(m.group(1)) for p in adapter_dir.glob("*_adapters.safetensors")
             if (m := _CHECKPOINT.fullmatch(p.name))] if adapter_dir.is_dir() else []
    return max(found) if found else None


def _make_model_dir(paths: RunPaths, base_dir: Path, quantize: dict | None, echo, env) -> None:
    if quantize is None:
        link_model(base_dir, paths.mlx_model)
        return
    cmd = [_python(), "-m", "mlx_lm", "convert", "--hf-path", str(base_dir), "--mlx-path", str(paths.mlx_model),
           "-q", "--q-bits", str(quantize["bits"]), "--q-group-size", str(quantize.get("group_size", 64))]
    _note("quantize the base for QLoRA: " + shlex.join(cmd), paths.log, echo)
    rc = run_streaming(cmd, paths.log, training_env(env), echo)
    if rc != 0:
        raise MlxError(f"mlx_lm.convert could not quantize {base_dir} (exit {rc}); log: {paths.log}")
    for name in TOKENIZER_FILES:  # the base's own tokenizer files, not convert's re-saved ones
        target = paths.mlx_model / name
        if target.exists():
            target.unlink()
        if (base_dir / name).is_file():
            target.symlink_to((base_dir / name).resolve())


def train(settings: Settings, paths: RunPaths | None, launcher_args: list[str], *, resume: bool,
          argv: list[str] | None, echo: TextIO | None, env: Mapping[str, str] | None, runs_dir: Path,
          extra: dict) -> tuple[RunPaths, int]:
    if resume:
        return _resume(paths, launcher_args, echo=echo, env=env)
    preset = load_mlx_preset(settings.train.preset, settings.project_dir)
    raise_on_errors(preset_problems(preset), f"preset '{preset.name}'")
    docs = preset.include_docs if settings.train.include_docs is None else settings.train.include_docs
    data_dir = settings.data_dir
    if docs and (data_dir / "docs.jsonl").is_file() and (data_dir / "docs.jsonl").stat().st_size:
        raise MlxError("the mlx-lm back-end does not train on docs.jsonl (completion text) yet: "
                       "set train.include_docs: false, or use train.backend: axolotl")
    datasets = training_datasets(data_dir, False)
    base_model = resolve_base_model(preset, settings)
    template = template_path(settings.project_dir)
    paths = RunPaths.create(runs_dir)
    try:
        text = render_mlx_config(preset, model=str(paths.mlx_model), data_dir=paths.mlx_data,
                                 adapter_path=paths.mlx_adapter, template_path=template)
        raise_on_errors(validate_mlx_config(yaml.safe_load(text)),
                        f"the mlx-lm config rendered from preset '{preset.name}' with {template}")
    except Exception:
        paths.root.rmdir()  # only the empty folder made just above
        raise
    cfg = yaml.safe_load(text)
    atomic_write_text(paths.mlx_config, text)
    try:
        base_dir = local_model_dir(base_model)
        _make_model_dir(paths, base_dir, preset.values.get("quantize"), echo, env)
        data_report = write_mlx_data(paths.mlx_model, paths.mlx_data, [Path(d["path"]) for d in datasets],
                                     data_dir / "test.jsonl", int(cfg["max_seq_length"]), base_dir,
                                     int(cfg["batch_size"]))
    except Exception as e:
        _note(f"could not prepare the mlx-lm run: {e}", paths.log, echo)
        raise
    dropped = data_report["dropped_over_max_seq_length"]
    _note(f"mlx data: {data_report['train_rows']} train, {data_report['valid_rows']} valid rows, every one tokenized "
          f"as Axolotl does; dropped over max_seq_length: {dropped['train']} train, {dropped['valid']} valid"
          + (f"; {data_report['note']}" if data_report["note"] else ""), paths.log, echo)
    cmd = child_command(paths.mlx_config, launcher_args)
    files = {Path(d["path"]).name: Path(d["path"]) for d in datasets}
    files["test.jsonl"] = data_dir / "test.jsonl"
    files.update({f"mlx/{n}": paths.mlx_data / n for n in ("train.jsonl", "valid.jsonl", "test.jsonl")})
    write_run_info(paths, argv=argv or sys.argv, command=cmd, data_files=files, preset=preset.name,
                   extra={"base_model": base_model, "template": str(template), "mlx_data": data_report,
                          "quantize": preset.values.get("quantize"), **extra,
                          "mlx_versions": {d: _dist_version(d) for d in ("mlx", "mlx-lm")}})
    return paths, _launch(paths, cmd, cfg, echo=echo, env=env)


def _dist_version(dist: str) -> str | None:
    from importlib import metadata
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _launch(paths: RunPaths, cmd: list[str], cfg: dict, *, echo, env) -> int:
    _note("train (mlx-lm): " + shlex.join(cmd), paths.log, echo)
    started = time.monotonic()
    rc = run_streaming(cmd, paths.log, training_env(env), echo)
    runtime = time.monotonic() - started
    _note(f"train exited with {rc}", paths.log, echo)
    try:
        written = write_metrics(paths, max_steps=cfg.get("iters"), runtime_s=runtime)
        if (paths.mlx_adapter / "adapters.safetensors").is_file():
            peft_adapter(paths.mlx_adapter, paths.output_dir,
                         json.loads(paths.run_info.read_text(encoding="utf-8"))["base_model"])
    except Exception as e:  # noqa: BLE001 - a metrics or conversion failure must not hide the result
        _note(f"could not write metrics or the PEFT adapter: {e!r}", paths.log, echo)
        return rc or 1
    if written and written.get("final_loss") is not None:
        _note(f"{written['steps']} steps, loss {written['first_loss']:.4g} -> {written['final_loss']:.4g}; "
              f"{paths.metrics.name} written", paths.log, echo)
    return rc


def _resume(paths: RunPaths, launcher_args: list[str], *, echo, env) -> tuple[RunPaths, int]:
    """Continue from the adapter saved last. mlx-lm restores the weights only: the iteration
    count is kept by gh-ft (the remaining iterations run, metrics continue at the right step);
    the optimizer state and the learning-rate schedule start afresh."""
    from gh_ft.train import TrainError

    cfg = yaml.safe_load(paths.mlx_config.read_text(encoding="utf-8"))
    done = saved_iteration(paths.mlx_adapter)
    adapter = paths.mlx_adapter / f"{done:07d}_adapters.safetensors" if done else None
    if adapter is None or not adapter.is_file():
        raise TrainError(f"{paths.root} has no saved mlx-lm adapter to resume from (saved every "
                         f"{cfg.get('save_every')} iterations)")
    total = int(cfg["iters"])
    if done >= total:
        raise TrainError(f"{paths.root} already trained all {total} iterations")
    _note(f"mlx resume: from iteration {done} (weights restored; optimizer state and schedule restart)",
          paths.log, echo)
    # mlx-lm numbers the resumed iterations from 1 again: the earlier numbered adapter files move
    # aside, and the new ones are renamed to their real iteration afterwards.
    keep = paths.mlx_adapter / f"before-resume-{done:07d}"
    keep.mkdir(exist_ok=True)
    for f in paths.mlx_adapter.glob("*_adapters.safetensors"):
        if _CHECKPOINT.fullmatch(f.name):
            os.replace(f, keep / f.name)
    cmd = child_command(paths.mlx_config, ["--resume-adapter-file", str(keep / adapter.name),
                                           "--iters", str(total - done), *launcher_args])
    try:
        return paths, _launch(paths, cmd, cfg, echo=echo, env=env)
    finally:
        for f in sorted(paths.mlx_adapter.glob("*_adapters.safetensors"), reverse=True):
            m = _CHECKPOINT.fullmatch(f.name)
            if m:
                os.replace(f, paths.mlx_adapter / f"{int(m.group(1)) + done:07d}_adapters.safetensors")


def merge(paths: RunPaths, *, echo: TextIO | None, env: Mapping[str, str] | None) -> Path:
    """mlx_lm.fuse into output/merged (dequantized: a QLoRA base comes out full precision), with
    the base model's own tokenizer files (not the training chat template)."""
    from gh_ft.train import TrainError

    if not (paths.mlx_adapter / "adapters.safetensors").is_file():
        raise TrainError(f"{paths.root} has no trained mlx-lm adapter to merge")
    info = json.loads(paths.run_info.read_text(encoding="utf-8"))
    cmd = [_python(), "-m", "mlx_lm", "fuse", "--model", str(paths.mlx_model), "--adapter-path",
           str(paths.mlx_adapter), "--save-path", str(paths.merged), "--dequantize"]
    _note("merge (mlx-lm): " + shlex.join(cmd), paths.merge_log, echo)
    if paths.merged.exists():
        shutil.rmtree(paths.merged)
    rc = run_streaming(cmd, paths.merge_log, training_env(env), echo)
    _note(f"merge exited with {rc}", paths.merge_log, echo)
    if rc != 0 or not any(paths.merged.glob("*.safetensors")):
        raise TrainError(f"merge failed (exit {rc}); log: {paths.merge_log}")
    base = local_model_dir(info["base_model"])
    for name in TOKENIZER_FILES:
        target = paths.merged / name
        if target.exists():
            target.unlink()
        if (base / name).is_file():
            shutil.copy2(base / name, target)
    return paths.merged
