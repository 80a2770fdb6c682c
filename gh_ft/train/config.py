"""Axolotl configs: presets rendered through the editable Jinja template, and a strict
check of any Axolotl YAML against the installed Axolotl before anything heavy starts.

Axolotl's pydantic schema silently drops keys it does not know, so a typo or a key
from another tool (`train_batch_size`, `val_steps`) only shows up hours later, or never.
The check compares every key with the installed Axolotl's own field names and aliases
(read at run time, never a copied list), runs Axolotl's `validate_config`, and lists
every problem in one go.

A config's `plugins:` extend Axolotl's schema (Liger, Cut Cross Entropy, SwanLab, ...):
the check registers them with Axolotl's own PluginManager and checks against the merged
schema Axolotl itself builds. Axolotl's log output is captured, not printed.
"""
from __future__ import annotations

import contextlib
import copy
import difflib
import functools
import io
import json
import logging
import os
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
import yaml

from gh_ft import __version__
from gh_ft.errors import GhFtError
from gh_ft.resources import find_file, packaged_dir

TEMPLATE_NAME = "axolotl.yml.j2"

# Values every preset gets unless it sets its own (the template may use all of them).
PRESET_DEFAULTS: dict[str, Any] = {
    "tokenizer_config": None, "trust_remote_code": False,
    "val_set_size": 0.0, "seed": 42,
    "sequence_len": 2048, "sample_packing": False, "pad_to_sequence_len": False,
    "excess_length_strategy": "drop",
    "adapter": "lora", "load_in_8bit": False, "load_in_4bit": False,
    "lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "lora_target_linear": True, "lora_kernels": None,
    "micro_batch_size": 1, "gradient_accumulation_steps": 1, "num_epochs": 1, "max_steps": None,
    "learning_rate": 0.0002, "optimizer": "adamw_torch", "lr_scheduler": "cosine", "warmup_ratio": 0.0,
    "weight_decay": 0.0, "bf16": False, "fp16": False, "tf32": False, "gradient_checkpointing": False,
    "attn_implementation": "sdpa", "logging_steps": 1, "save_strategy": "steps", "save_steps": 500,
    "save_total_limit": 2, "eval_strategy": "steps", "deepspeed": None, "fsdp_version": None,
    "fsdp_config": None, "extra": {},
}
# `mlx:` holds an mlx-lm preset's trainer keys (gh_ft/train/backends/mlx_config.py reads them).
_PRESET_KEYS = {"description", "base_model", "include_docs", "axolotl", "mlx"}
LORA_KEYS = ("lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "lora_target_linear", "lora_model_dir")
# Keys from other tools that no spelling check can map to Axolotl's.
KEY_HINTS = {
    "train_batch_size": "Axolotl's batch is micro_batch_size × gradient_accumulation_steps × GPUs",
    "batch_size_per_device": "use micro_batch_size",
    "val_steps": "use eval_steps (and eval_strategy: steps)",
    "epochs": "use num_epochs",
    "lr": "use learning_rate",
    "max_seq_length": "use sequence_len",
    "model_name_or_path": "use base_model",
}


class ConfigError(GhFtError, ValueError):
    pass


class Problem(NamedTuple):
    level: str      # "error" | "warning" | "unknown" (cannot be decided here: the reason is in the message)
    where: str      # key path, e.g. "datasets[0].typ"
    message: str
    line: int | None = None  # 1-based line of `where` in the YAML file, when read from one

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}" if self.where else f"{self.level}: {self.message}"


@dataclass
class Preset:
    name: str
    path: Path
    description: str
    base_model: str
    include_docs: bool
    values: dict[str, Any] = field(default_factory=dict)
    sections: tuple[str, ...] = ()   # which trainer sections the file has: axolotl, mlx


# ---- presets and rendering ------------------------------------------------------------

def load_preset(name_or_path: str | Path, project_dir: Path | None = None) -> Preset:
    """A preset by name (project `configs/NAME.yml` first, then gh-ft's) or by path."""
    candidate = Path(name_or_path)
    path = candidate if candidate.suffix in (".yml", ".yaml") and candidate.is_file() \
        else find_file(f"{name_or_path}.yml", "configs", project_dir)
    if not path.is_file():
        known = sorted(p.stem for p in packaged_dir("configs").glob("*.yml"))
        raise ConfigError(f"unknown preset '{name_or_path}' (known: {', '.join(known)})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("axolotl", {}), dict):
        raise ConfigError(f"{path}: a preset is a mapping with an 'axolotl:' mapping inside")
    unknown = set(data) - _PRESET_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown preset keys {sorted(unknown)} (known: {sorted(_PRESET_KEYS)})")
    if not data.get("base_model"):
        raise ConfigError(f"{path}: the preset names no base_model")
    values = copy.deepcopy(PRESET_DEFAULTS)
    extra = dict(values["extra"])
    for key, value in data.get("axolotl", {}).items():
        if key in values and key != "extra":
            values[key] = value
        else:  # anything the template has no slot for is passed through as it is
            extra[key] = value
    values["extra"] = extra
    if isinstance(values["deepspeed"], str) and not Path(values["deepspeed"]).is_absolute():
        values["deepspeed"] = str((path.parent / values["deepspeed"]).resolve())
    return Preset(path.stem, path, str(data.get("description", "")), str(data["base_model"]),
                  bool(data.get("include_docs", False)), values,
                  tuple(k for k in ("axolotl", "mlx") if k in data))


def yaml_scalar(value: Any) -> str:
    """One value as YAML flow text. Strings are double-quoted JSON strings (a subset of
    YAML), so '#', ': ', quotes, newlines or `no` in a value can never change the file."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises here, naming the missing value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, (str, Path)):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    raise ConfigError(f"cannot write {type(value).__name__} value {value!r} into YAML")


def yaml_block(value: Any, indent: int = 0) -> str:
    text = yaml.safe_dump(value, default_flow_style=False, sort_keys=False, allow_unicode=True).rstrip("\n")
    return "\n".join(" " * indent + line for line in text.split("\n"))


def training_datasets(data_dir: Path, include_docs: bool) -> list[dict[str, str]]:
    """train.jsonl, plus feedback.jsonl beside it when present, plus docs as completion text."""
    data_dir = Path(data_dir).resolve()
    train = data_dir / "train.jsonl"
    if not train.is_file():
        raise ConfigError(f"no train.jsonl in {data_dir}: run `gh-ft collect` first")
    sets = [{"path": str(train), "type": "alpaca"}]
    feedback = data_dir / "feedback.jsonl"
    if feedback.is_file() and feedback.stat().st_size > 0:
        sets.append({"path": str(feedback), "type": "alpaca"})
    docs = data_dir / "docs.jsonl"
    if include_docs and docs.is_file() and docs.stat().st_size > 0:
        sets.append({"path": str(docs), "type": "completion"})
    return sets


def render_yaml_template(template_path: Path, carries: tuple[str, str], **values: Any) -> str:
    """A trainer config from a user-editable template: StrictUndefined (a value the template asks
    for and nobody gave is an error), every value through the YAML-escaping filters, the text
    parsed back, and `carries` = (key, value) checked in it, so an edit that breaks the file's
    structure is caught here rather than by the trainer."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    env.filters["yaml"] = yaml_scalar
    env.filters["yaml_block"] = yaml_block
    try:
        text = env.from_string(template_path.read_text(encoding="utf-8")).render(gh_ft_version=__version__, **values)
    except jinja2.TemplateError as e:
        raise ConfigError(f"{template_path}: {e}") from None
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{template_path} rendered invalid YAML: {e}") from None
    key, value = carries
    if not isinstance(parsed, dict) or parsed.get(key) != value:
        raise ConfigError(f"{template_path}: the rendered YAML does not carry {key} {value!r}")
    return text


def render_axolotl_config(preset: Preset, *, base_model: str, datasets: list[dict[str, str]], run_dir: Path,
                          template_path: Path) -> str:
    run_dir = Path(run_dir).resolve()
    return render_yaml_template(template_path, ("base_model", base_model), preset_name=preset.name,
                                base_model=base_model, datasets=datasets, prepared_path=str(run_dir / "prepared"),
                                output_dir=str(run_dir / "output"), p=preset.values)


# ---- strict validation ----------------------------------------------------------------

# Axolotl's messages for a config that needs something this machine lacks (a GPU
# generation, an optional package): such a config is not wrong, it cannot be judged here.
_NEEDS_ELSEWHERE = re.compile(r"not installed|pip install|not supported on this GPU|requires? .{0,40}GPU|"
                              r"No module named", re.IGNORECASE)


@dataclass
class ConfigCheck:
    """The outcome of checking one Axolotl YAML file."""
    path: Path
    kind: str                       # "training" | "cloud" (an `axolotl cloud` provider file)
    problems: list[Problem]
    log: str = ""                   # what Axolotl printed or logged meanwhile (shown with -v or on failure)
    plugins: list[str] = field(default_factory=list)          # plugins whose arguments joined the schema
    absent_plugins: dict[str, str] = field(default_factory=dict)  # plugin -> why it could not be loaded
    note: str = ""

    @property
    def ok(self) -> bool:
        return not any(p.level == "error" for p in self.problems)


class _KeptOpen(io.StringIO):
    """A capture buffer that outlives whoever thinks they own sys.stdout and closes it."""

    def close(self) -> None:
        pass


@contextlib.contextmanager
def captured_output():
    """Everything written meanwhile - Python prints, warnings, logging handlers, and the C
    libraries' writes to file descriptors 1 and 2 - lands in the yielded list's one string
    instead of the terminal. Axolotl logs INFO lines to stdout and prints plugin tracebacks;
    none of that belongs in gh-ft's own output unless asked for."""
    out: list[str] = []
    out_buf, err_buf = _KeptOpen(), _KeptOpen()
    real_out, real_err = sys.stdout, sys.stderr
    for stream in (real_out, real_err):
        with contextlib.suppress(Exception):
            stream.flush()
    terminal = [real_out, real_err, sys.__stdout__, sys.__stderr__]
    swapped: list[tuple[logging.StreamHandler, Any]] = []
    for h in _all_handlers():
        # only handlers bound for the terminal (Axolotl's file-only tee handlers keep writing to their file)
        if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) in terminal:
            try:
                swapped.append((h, h.setStream(err_buf if h.stream in (real_err, sys.__stderr__) else out_buf)))
            except AttributeError:  # e.g. logging's _StderrHandler, which always writes to sys.stderr
                pass
    raw = tempfile.TemporaryFile()
    saved_fds = []
    try:
        for fd in (1, 2):
            try:
                saved_fds.append((fd, os.dup(fd)))
                os.dup2(raw.fileno(), fd)
            except OSError:  # no such descriptor (an embedding host): Python-level capture still works
                pass
        with contextlib.redirect_stdout(out_buf), contextlib.redirect_stderr(err_buf), warnings.catch_warnings():
            warnings.simplefilter("always")
            yield out
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        for fd, saved in saved_fds:
            os.dup2(saved, fd)
            os.close(saved)
        for h, old in swapped:
            h.setStream(old)
        # handlers made meanwhile (Axolotl configures logging on import, to "sys.stdout")
        # caught our buffers: give them the real streams
        for h in _all_handlers():
            stream = getattr(h, "stream", None)
            if stream is out_buf or stream is err_buf:
                with contextlib.suppress(AttributeError):
                    h.setStream(real_out if stream is out_buf else real_err)
        raw.seek(0)
        out.append(raw.read().decode("utf-8", "replace") + out_buf.getvalue() + err_buf.getvalue())
        raw.close()


def _all_handlers() -> list[logging.Handler]:
    loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    seen: dict[int, logging.Handler] = {}
    for lg in loggers:
        for h in lg.handlers:
            seen[id(h)] = h
    return list(seen.values())


_AXOLOTL_MODELS: tuple | None = None


def _axolotl_models():
    global _AXOLOTL_MODELS
    if _AXOLOTL_MODELS is not None:
        return _AXOLOTL_MODELS
    os.environ.setdefault("AXOLOTL_DO_NOT_TRACK", "1")
    try:
        with captured_output():  # importing Axolotl (torch, torchao, bitsandbytes) talks a lot
            from axolotl.utils.schemas import datasets as ds_schemas
            from axolotl.utils.schemas.config import AxolotlConfigWCapabilities
    except ImportError as e:
        raise ConfigError(f"Axolotl is not installed ({e}): pip install 'gh-ft[train]'") from None
    dataset_models = [getattr(ds_schemas, n) for n in dir(ds_schemas)
                      if n.endswith("Dataset") and hasattr(getattr(ds_schemas, n), "model_fields")]
    _AXOLOTL_MODELS = (AxolotlConfigWCapabilities, dataset_models)
    return _AXOLOTL_MODELS


def known_keys(model) -> set[str]:
    fields = model.model_fields
    return set(fields) | {f.alias for f in fields.values() if f.alias}


def _nearest_hint(key: str, known: set[str]) -> str | None:
    hint = KEY_HINTS.get(key)
    if hint is None:
        close = difflib.get_close_matches(key, sorted(known), n=2, cutoff=0.75) \
            or difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else None
    return hint


def _unknown_key(key: str, known: set[str], where: str, absent_plugins: dict[str, str] | None = None) -> Problem:
    hint = _nearest_hint(key, known)
    if absent_plugins:  # the key may be one of the absent plugin's arguments: undecidable here
        msg = (f"not in Axolotl's schema here, but plugin(s) {', '.join(absent_plugins)} could not be loaded "
               "(optional package absent), so it may be theirs")
        return Problem("unknown", where, f"{msg}; {hint}" if hint else msg)
    msg = "Axolotl does not know this key and would silently ignore it"
    return Problem("error", where, f"{msg}; {hint}" if hint else msg)


def _check_class_names(cfg: dict[str, Any]) -> list[Problem]:
    problems = []
    names = {"model_type": cfg.get("model_type", cfg.get("type_of_model")), "tokenizer_type": cfg.get("tokenizer_type")}
    to_check = {k: v for k, v in names.items() if v is not None}
    if not to_check:
        return problems
    import transformers

    for key, value in to_check.items():
        if not isinstance(value, str) or not hasattr(transformers, value):
            problems.append(Problem("error", key, f"{value!r} is not a transformers class; "
                                    f"{'AutoModelForCausalLM' if key == 'model_type' else 'AutoTokenizer'} works for any model"))
        elif key == "model_type" and value.endswith("Config"):
            problems.append(Problem("error", key, f"{value!r} is a config class; model_type wants a model class "
                                    "such as AutoModelForCausalLM"))
        elif key == "tokenizer_type" and "Tokenizer" not in value:
            problems.append(Problem("error", key, f"{value!r} is not a tokenizer class"))
    return problems


def _dataset_path_problems(entries: Any, where: str, base_dirs: list[Path]) -> list[Problem]:
    problems = []
    for i, ds in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(ds, dict) or not isinstance(ds.get("path"), str):
            continue
        path = ds["path"]
        if any((b / path).exists() for b in base_dirs) or Path(path).expanduser().is_absolute() and Path(path).exists():
            continue
        looks_local = path.startswith((".", "/", "~")) or path.endswith((".json", ".jsonl", ".parquet", ".csv", ".arrow"))
        if looks_local:
            problems.append(Problem("error", f"{where}[{i}].path", f"file not found: {path}"))
        else:
            problems.append(Problem("warning", f"{where}[{i}].path",
                                    f"{path} is not a local file: Axolotl will try to download it"))
    return problems


def _base_model_problems(base_model: Any, base_dirs: list[Path]) -> list[Problem]:
    if not isinstance(base_model, str) or not base_model:
        return [Problem("error", "base_model", "missing")]
    if any((b / base_model).is_dir() for b in base_dirs) or Path(base_model).expanduser().is_dir():
        return []
    try:  # only the local cache is looked at: never a download, never a wait on the network
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(base_model, "config.json")
    except Exception:  # noqa: BLE001 - an invalid repo id is reported below like a missing one
        cached = None
    if isinstance(cached, str):
        return []
    return [Problem("warning", "base_model", f"{base_model} is neither a local folder nor in the Hugging Face "
                    "cache: training will download it first")]


def reset_plugin_manager():
    """A fresh Axolotl PluginManager. It is a process-wide singleton whose registered
    plugins (and so the merged schema) only ever grow: without a reset, one config's
    plugin keys would pass as known in the next config of the same process."""
    from axolotl.integrations.base import PluginManager

    PluginManager._instance = None
    PluginManager._cfg = None
    return PluginManager.get_instance()


def _load_plugins(names: Any) -> tuple[list[str], dict[str, str], list[Problem]]:
    """Register the config's plugins with Axolotl's PluginManager (Axolotl's own loading).
    Returns the loaded ones, the absent ones with the reason, and problems."""
    if names is None:
        return [], {}, []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return [], {}, [Problem("error", "plugins", "expected a list of plugin class paths "
                                "(e.g. axolotl.integrations.liger.LigerPlugin)")]
    from axolotl.integrations.base import load_plugin

    manager = reset_plugin_manager()
    loaded, absent, problems = [], {}, []
    for i, name in enumerate(names):
        if "." not in name:
            problems.append(Problem("error", f"plugins[{i}]", f"{name!r} is not a module.Class path"))
            continue
        try:
            manager.register(name)  # catches ImportError itself and prints a traceback (captured)
        except Exception as e:  # noqa: BLE001 - e.g. the module exists but has no such class
            problems.append(Problem("error", f"plugins[{i}]", f"Axolotl cannot load plugin {name}: "
                                    f"{type(e).__name__}: {e}"))
            continue
        if name in manager.plugins:
            loaded.append(name)
            continue
        # register() swallowed an ImportError: load once more to learn which module is missing
        try:
            load_plugin(name)
            reason = "register() failed"
        except ModuleNotFoundError as e:
            module = name.rsplit(".", 1)[0]
            missing = e.name or ""
            if missing and (module == missing or module.startswith(missing + ".")
                            or f"axolotl.integrations.{module}".startswith(missing)):
                problems.append(Problem("error", f"plugins[{i}]", f"no plugin module {module!r} "
                                        "(neither installed nor part of Axolotl)"))
                continue
            reason = f"optional package absent: {missing or e}"
        except Exception as e:  # noqa: BLE001
            reason = f"optional package absent: {type(e).__name__}: {e}"
        absent[name] = reason
        problems.append(Problem("unknown", f"plugins[{i}]", f"{name}: {reason}; its arguments cannot be checked here"))
    return loaded, absent, problems


# merged schema classes by the registered plugins' argument classes: pydantic takes about
# half a second to build Axolotl's config model, and the same plugin list builds the same one
_MERGED_SCHEMAS: dict[tuple[str, ...], tuple] = {}


def _merged_input_args():
    """axolotl.integrations.config.merge_input_args, memoised on the registered plugins'
    argument classes (the only thing its result depends on)."""
    from axolotl.integrations import config as integrations_config
    from axolotl.integrations.base import PluginManager

    key = tuple(PluginManager.get_instance().get_input_args())
    if key not in _MERGED_SCHEMAS:
        _MERGED_SCHEMAS[key] = integrations_config.merge_input_args()
    return _MERGED_SCHEMAS[key]


def _plugin_schema():
    """The config model Axolotl builds from its base schema plus every registered plugin's
    arguments (axolotl.integrations.config.merge_input_args)."""
    return _merged_input_args()[0]


def validate_config_dict(cfg: Any, base_dir: Path | None = None, *, _absent: dict[str, str] | None = None
                         ) -> list[Problem]:
    """Every problem of an Axolotl config, errors and warnings, in one list. Axolotl's own
    output meanwhile is captured and dropped; `check_config_file` keeps it."""
    with captured_output():
        return _validate(cfg, base_dir)[0]


def _validate(cfg: Any, base_dir: Path | None) -> tuple[list[Problem], list[str], dict[str, str]]:
    if not isinstance(cfg, dict):
        return [Problem("error", "", "an Axolotl config is a YAML mapping")], [], {}
    config_model, dataset_models = _axolotl_models()
    plugins, absent, problems = _load_plugins(cfg.get("plugins"))
    try:
        if plugins:
            config_model = _plugin_schema()
        problems += _validate_against(cfg, base_dir, config_model, dataset_models, absent)
    finally:
        if cfg.get("plugins") is not None:
            reset_plugin_manager()
    return problems, plugins, absent


def _validate_against(cfg: dict[str, Any], base_dir: Path | None, config_model, dataset_models,
                      absent: dict[str, str]) -> list[Problem]:
    known = known_keys(config_model)
    problems = [_unknown_key(k, known, k, absent) for k in cfg if k not in known]
    ds_known = set().union(*(known_keys(m) for m in dataset_models))
    for list_key in ("datasets", "test_datasets"):
        entries = cfg.get(list_key)
        if entries is not None and not isinstance(entries, list):
            problems.append(Problem("error", list_key, "expected a list of datasets"))
            continue
        for i, ds in enumerate(entries or []):
            if isinstance(ds, dict):
                problems += [_unknown_key(k, ds_known, f"{list_key}[{i}].{k}") for k in ds if k not in ds_known]
    if not cfg.get("adapter"):
        present = [k for k in LORA_KEYS if cfg.get(k) is not None]
        if present:
            problems.append(Problem("error", "adapter", f"{', '.join(present)} set but no `adapter: lora` (or qlora): "
                                    "Axolotl would ignore them and fine-tune every weight of the model"))
    problems += _check_class_names(cfg)
    type_problems = _type_problems(cfg, config_model)
    problems += type_problems
    base_dirs = [Path.cwd()] + ([Path(base_dir)] if base_dir else [])
    problems += _base_model_problems(cfg.get("base_model"), base_dirs)
    for list_key in ("datasets", "test_datasets"):
        problems += _dataset_path_problems(cfg.get(list_key), list_key, base_dirs)
    if not type_problems:  # Axolotl's validators trip over wrong types with unhelpful messages
        problems += _axolotl_validate(cfg)
    return problems


def _type_problems(cfg: dict[str, Any], config_model) -> list[Problem]:
    """Each top-level value against the type Axolotl declares for it (e.g. a mapping under
    `tokenizer_config`, which wants a path)."""
    from pydantic import TypeAdapter, ValidationError

    by_name = {name: f for name, f in config_model.model_fields.items()}
    by_name.update({f.alias: f for f in config_model.model_fields.values() if f.alias})
    problems = []
    for key, value in cfg.items():
        f = by_name.get(key)
        if f is None or key in ("datasets", "test_datasets") or value is None:
            continue
        try:
            TypeAdapter(f.annotation).validate_python(value)
        except ValidationError as e:
            first = e.errors()[0]
            problems.append(Problem("error", key, f"{first.get('msg', 'wrong type')} (got {type(value).__name__}: {value!r:.60})"))
        except Exception:  # noqa: BLE001 - an annotation pydantic cannot adapt alone: Axolotl checks it
            continue
    return problems


@functools.lru_cache(maxsize=1)
def _capabilities():
    try:
        from axolotl.cli.config import gpu_capabilities

        return gpu_capabilities()
    except Exception:  # noqa: BLE001 - capabilities are a nicety; validation still runs without them
        return None, None


def _axolotl_problem(where: str, message: str) -> Problem:
    if _NEEDS_ELSEWHERE.search(message):
        return Problem("unknown", where, f"cannot be checked on this machine (hardware or optional package "
                       f"absent here): {message}")
    return Problem("error", where, message)


def _axolotl_validate(cfg: dict[str, Any]) -> list[Problem]:
    """Axolotl's own validation (with the registered plugins' schema), with this machine's
    capabilities; its errors listed one by one."""
    from axolotl.utils.config import validate_config
    from axolotl.utils.dict import DictDefault

    import axolotl.utils.config as axolotl_config

    caps, env_caps = _capabilities()
    # validate_config rebuilds the merged schema on every call; hand it the memoised one
    original_merge = axolotl_config.merge_input_args
    axolotl_config.merge_input_args = _merged_input_args
    try:
        validate_config(DictDefault(copy.deepcopy(cfg)), capabilities=caps, env_capabilities=env_caps)
    except Exception as e:  # noqa: BLE001 - pydantic ValidationError or Axolotl's own ValueError
        errors = getattr(e, "errors", None)
        if callable(errors):
            return [_axolotl_problem(".".join(str(p) for p in err.get("loc", ())) or "config",
                                     f"Axolotl: {err.get('msg', err)}") for err in errors()]
        return [_axolotl_problem("config", f"Axolotl: {e}")]
    finally:
        axolotl_config.merge_input_args = original_merge
    return []


# ---- files: line numbers, cloud provider files ----------------------------------------

def key_lines(text: str) -> dict[str, int]:
    """1-based line of every top-level key and of every key inside `datasets` / `test_datasets`
    entries, by the same key paths Problem.where uses."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        lines[key.value] = key.start_mark.line + 1
        if isinstance(value, yaml.SequenceNode):
            for i, item in enumerate(value.value):
                lines[f"{key.value}[{i}]"] = item.start_mark.line + 1
                if isinstance(item, yaml.MappingNode):
                    for sub, _ in item.value:
                        if isinstance(sub, yaml.ScalarNode):
                            lines[f"{key.value}[{i}].{sub.value}"] = sub.start_mark.line + 1
    return lines


def _line_of(where: str, lines: dict[str, int]) -> int | None:
    if where in lines:
        return lines[where]
    # Axolotl's pydantic locations read "datasets.0.type"; fall back to the top-level key
    top = re.split(r"[.\[]", where, maxsplit=1)[0]
    return lines.get(top)


def cloud_providers() -> set[str]:
    """The providers `axolotl cloud` knows, read from its module (ModalCloud -> modal)."""
    try:
        with captured_output():
            import axolotl.cli.cloud as cloud
    except ImportError:
        return set()
    return {name[:-len("Cloud")].lower() for name in dir(cloud)
            if name.endswith("Cloud") and name != "Cloud" and isinstance(getattr(cloud, name), type)}


def is_cloud_provider_file(cfg: Any) -> bool:
    """An `axolotl cloud` provider file (examples/cloud/*.yaml): which GPUs to rent, which
    secrets to forward - no model, no datasets. It goes beside a training config
    (`axolotl train CONFIG --cloud FILE`) and is not one itself."""
    return (isinstance(cfg, dict) and "base_model" not in cfg and "datasets" not in cfg
            and ("provider" in cfg or {"gpu", "gpu_count"} <= set(cfg)))


def _cloud_check(path: Path, cfg: dict[str, Any], lines: dict[str, int]) -> ConfigCheck:
    provider = cfg.get("provider") or "modal"  # axolotl cloud's default
    known = cloud_providers()
    problems = []
    if known and provider not in known:
        problems.append(Problem("error", "provider", f"`axolotl cloud` knows providers {sorted(known)}, not "
                                f"{provider!r}", lines.get("provider")))
    return ConfigCheck(Path(path), "cloud", problems,
                       note=f"an `axolotl cloud` provider file (provider: {provider}), not a training config; "
                            "use it as `axolotl train CONFIG --cloud FILE`")


def check_config_file(path: Path) -> ConfigCheck:
    """Check one Axolotl YAML file: its problems with line numbers, and Axolotl's own output
    captured meanwhile."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        return ConfigCheck(path, "training", [Problem("error", "", f"cannot read {path}: {e.strerror or e}")])
    try:
        cfg = yaml.safe_load(text)
    except yaml.YAMLError as e:
        return ConfigCheck(path, "training", [Problem("error", "", f"{path} is not valid YAML: {e}")])
    lines = key_lines(text)
    if is_cloud_provider_file(cfg):
        return _cloud_check(path, cfg, lines)
    with captured_output() as log:
        problems, plugins, absent = _validate(cfg, path.resolve().parent)
    problems = [p._replace(line=_line_of(p.where, lines)) if p.line is None else p for p in problems]
    return ConfigCheck(path, "training", problems, log[0], plugins, absent)


def validate_config_file(path: Path) -> list[Problem]:
    return check_config_file(path).problems
