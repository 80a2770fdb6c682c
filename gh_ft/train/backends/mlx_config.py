"""mlx-lm configs: presets rendered through the editable template templates/mlx.yml.j2, and a
strict check of every key against the installed mlx-lm before anything is launched.

mlx-lm reads its YAML config into its argument namespace without looking at the keys: a typo
(`learning_rte`) or an Axolotl key (`micro_batch_size`) is silently ignored and the default
trains instead. The check reads the keys mlx-lm knows from mlx-lm itself, at run time: the
destinations of `mlx_lm.lora`'s argument parser and its `CONFIG_DEFAULTS`, plus the few keys
its data loader and LoRA layers read by name (DATASET_KEYS, LORA_PARAMETER_KEYS below, the
one list kept by hand). Types and choices come from the parser too.
"""
from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gh_ft.resources import find_file, packaged_dir
from gh_ft.train.config import ConfigError, Problem, load_preset, render_yaml_template

TEMPLATE_NAME = "mlx.yml.j2"

# Keys mlx-lm reads by name outside its parser (mlx_lm/tuner/datasets.py `create_dataset`,
# `load_custom_hf_dataset`): which fields of a data row hold the prompt, the answer, plain text
# or chat messages, and a Hugging Face dataset spec. Checked against mlx-lm 0.32.2.
DATASET_KEYS = {
    "prompt_feature": "field of a row with the prompt (default prompt)",
    "completion_feature": "field of a row with the answer (default completion)",
    "text_feature": "field of a row with plain text (default text)",
    "chat_feature": "field of a row with chat messages (default messages)",
    "hf_dataset": "a Hugging Face dataset instead of `data` (gh-ft always writes local data)",
}
# Keys `linear_to_lora_layers` reads from lora_parameters (mlx_lm/tuner/utils.py); rank,
# dropout and scale are also in CONFIG_DEFAULTS, `keys` (which linear layers) only by name.
LORA_PARAMETER_KEYS = {"rank", "scale", "dropout", "keys"}
# What gh-ft fills in itself; a preset cannot set these.
GH_FT_OWNED = {"model", "data", "adapter_path", "train", "test", "mask_prompt", "resume_adapter_file", "config",
               "prompt_feature", "completion_feature"}
# Preset values the template has a slot for (a preset may set any mlx-lm key; the rest pass
# through `extra`). `quantize` is gh-ft's: QLoRA through a base model quantized by mlx_lm.convert.
PRESET_DEFAULTS: dict[str, Any] = {
    "fine_tune_type": "lora", "num_layers": -1, "batch_size": 2, "iters": 100, "learning_rate": 1e-4,
    "optimizer": "adam", "lr_schedule": None, "max_seq_length": 2048, "grad_checkpoint": False,
    "grad_accumulation_steps": 1, "steps_per_report": 10, "steps_per_eval": 100, "val_batches": -1,
    "save_every": 100, "seed": 42, "lora_parameters": {"rank": 8, "scale": 20.0, "dropout": 0.0},
    "quantize": None, "extra": {},
}
QUANTIZE_KEYS = {"bits", "group_size"}
KEY_HINTS = {
    "micro_batch_size": "mlx-lm's is batch_size", "gradient_accumulation_steps": "use grad_accumulation_steps",
    "num_epochs": "mlx-lm counts iters, not epochs", "max_steps": "use iters", "lr": "use learning_rate",
    "sequence_len": "use max_seq_length", "lora_r": "use lora_parameters: {rank: ...}",
    "lora_alpha": "use lora_parameters: {scale: ...} (mlx-lm's scale is alpha / rank)",
    "gradient_checkpointing": "use grad_checkpoint", "eval_steps": "use steps_per_eval",
    "save_steps": "use save_every", "logging_steps": "use steps_per_report",
}


@dataclass
class MlxPreset:
    name: str
    path: Path
    description: str
    base_model: str
    include_docs: bool
    values: dict[str, Any]


def resolve_preset_name(name: str, project_dir: Path | None) -> str:
    """The mlx-lm preset for `train.preset`: itself when it has an `mlx:` section, else
    `mlx-<name>` (so the default tiny-cpu means mlx-tiny-cpu under train.backend: mlx)."""
    preset = load_preset(name, project_dir)
    if "mlx" in preset.sections:
        return name
    alt = f"mlx-{Path(name).stem}"
    try:
        if "mlx" in load_preset(alt, project_dir).sections:
            return alt
    except ConfigError:
        pass
    raise ConfigError(f"preset '{name}' has no `mlx:` section and there is no preset '{alt}': "
                      f"choose an mlx-lm preset (e.g. mlx-tiny-cpu, mlx-7b-lora-32gb, mlx-7b-qlora-4bit)")


def load_mlx_preset(name: str, project_dir: Path | None = None) -> MlxPreset:
    generic = load_preset(resolve_preset_name(name, project_dir), project_dir)
    data = yaml.safe_load(generic.path.read_text(encoding="utf-8")) or {}
    section = data.get("mlx") or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{generic.path}: `mlx:` must be a mapping of mlx-lm keys")
    values = copy.deepcopy(PRESET_DEFAULTS)
    extra: dict[str, Any] = {}
    for key, value in section.items():
        if key == "lora_parameters" and isinstance(value, dict):
            values[key] = {**values[key], **value}
        elif key in values and key != "extra":
            values[key] = value
        else:  # any other key goes through to the config as it is (and is checked there)
            extra[key] = value
    values["extra"] = extra
    return MlxPreset(generic.name, generic.path, generic.description, generic.base_model,
                     generic.include_docs, values)


def render_mlx_config(preset: MlxPreset, *, model: str, data_dir: Path, adapter_path: Path,
                      template_path: Path) -> str:
    return render_yaml_template(template_path, ("model", str(model)), preset_name=preset.name, model=str(model),
                                data=str(data_dir), adapter_path=str(adapter_path), p=preset.values)


# ---- strict validation ----------------------------------------------------------------

def mlx_lm_options() -> tuple[dict[str, Any], dict[str, Any]]:
    """(parser actions by destination, CONFIG_DEFAULTS), from the installed mlx-lm."""
    try:
        from mlx_lm import lora
    except ImportError as e:
        raise ConfigError(f"mlx-lm is not installed ({e}): pip install 'gh-ft[mlx]'") from None
    actions = {a.dest: a for a in lora.build_parser()._actions if a.dest != "help"}
    return actions, dict(lora.CONFIG_DEFAULTS)


def known_mlx_keys() -> set[str]:
    actions, defaults = mlx_lm_options()
    return set(actions) | set(defaults) | set(DATASET_KEYS)


def _unknown(key: str, known: set[str], where: str) -> Problem:
    hint = KEY_HINTS.get(key)
    if hint is None:
        close = difflib.get_close_matches(key, sorted(known), n=2, cutoff=0.7)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else None
    msg = "mlx-lm does not know this key and would silently ignore it"
    return Problem("error", where, f"{msg}; {hint}" if hint else msg)


def _type_problem(key: str, value: Any, action) -> Problem | None:
    if value is None:
        return None
    if action.choices is not None and value not in action.choices:
        return Problem("error", key, f"{value!r} is not one of {', '.join(map(str, action.choices))}")
    want = action.type
    if want is int and (isinstance(value, bool) or not isinstance(value, int)):
        return Problem("error", key, f"expected an integer, got {value!r}")
    if want is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return Problem("error", key, f"expected a number, got {value!r}")
    if want is str and not isinstance(value, str):
        return Problem("error", key, f"expected text, got {value!r}")
    if action.nargs == 0 and not isinstance(value, bool):  # store_true flags
        return Problem("error", key, f"expected true or false, got {value!r}")
    return None


def validate_mlx_config(cfg: Any) -> list[Problem]:
    """Every problem of an mlx-lm config, in one list."""
    if not isinstance(cfg, dict):
        return [Problem("error", "", "an mlx-lm config is a YAML mapping")]
    actions, defaults = mlx_lm_options()
    known = set(actions) | set(defaults) | set(DATASET_KEYS)
    problems = [_unknown(k, known, k) for k in cfg if k not in known]
    for key, value in cfg.items():
        if key in actions:
            p = _type_problem(key, value, actions[key])
            if p:
                problems.append(p)
    lora = cfg.get("lora_parameters")
    if lora is not None:
        if not isinstance(lora, dict):
            problems.append(Problem("error", "lora_parameters", "expected a mapping (rank, scale, dropout, keys)"))
        else:
            for k in lora:
                if k == "alpha":
                    problems.append(Problem("error", "lora_parameters.alpha",
                                            "mlx-lm's LoRA has no alpha: use scale (= alpha / rank)"))
                elif k not in LORA_PARAMETER_KEYS:
                    problems.append(_unknown(k, LORA_PARAMETER_KEYS, f"lora_parameters.{k}"))
            for k in ("rank",):
                if k in lora and (isinstance(lora[k], bool) or not isinstance(lora[k], int) or lora[k] < 1):
                    problems.append(Problem("error", f"lora_parameters.{k}", f"expected a positive integer, got {lora[k]!r}"))
            for k in ("scale", "dropout"):
                if k in lora and (isinstance(lora[k], bool) or not isinstance(lora[k], (int, float))):
                    problems.append(Problem("error", f"lora_parameters.{k}", f"expected a number, got {lora[k]!r}"))
    opt_cfg = cfg.get("optimizer_config")
    if isinstance(opt_cfg, dict):
        names = set(defaults.get("optimizer_config") or {})
        problems += [_unknown(k, names, f"optimizer_config.{k}") for k in opt_cfg if k not in names]
    # What gh-ft's run folder, export and evaluation rely on.
    if cfg.get("fine_tune_type", "lora") != "lora":
        problems.append(Problem("error", "fine_tune_type", f"gh-ft's mlx-lm back-end trains LoRA adapters only "
                                f"(export and evaluation read a PEFT LoRA), not {cfg.get('fine_tune_type')!r}"))
    if cfg.get("mask_prompt") is not True:
        problems.append(Problem("error", "mask_prompt", "must be true: the prompt is never trained on (as in Axolotl)"))
    return problems


def validate_mlx_config_file(path: Path) -> list[Problem]:
    try:
        cfg = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        return [Problem("error", "", f"cannot read {path}: {e.strerror or e}")]
    except yaml.YAMLError as e:
        return [Problem("error", "", f"{path} is not valid YAML: {e}")]
    return validate_mlx_config(cfg)


def preset_problems(preset: MlxPreset) -> list[Problem]:
    """What the config cannot show: gh-ft-owned keys set in a preset, a malformed `quantize`."""
    problems = [Problem("error", f"mlx.{k}", "gh-ft sets this key itself; remove it from the preset")
                for k in preset.values["extra"] if k in GH_FT_OWNED]
    q = preset.values.get("quantize")
    if q is not None:
        if not isinstance(q, dict) or set(q) - QUANTIZE_KEYS or not isinstance(q.get("bits"), int):
            problems.append(Problem("error", "mlx.quantize", "expected {bits: 4, group_size: 64} "
                                    "(QLoRA: the base is quantized by mlx_lm.convert first)"))
    return problems


def template_path(project_dir: Path | None) -> Path:
    return find_file(TEMPLATE_NAME, "templates", project_dir)


def known_presets() -> list[str]:
    return sorted(p.stem for p in packaged_dir("configs").glob("mlx-*.yml"))
