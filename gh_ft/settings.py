"""The one settings object, resolved once before any stage runs.

Merged in this one visible place, lowest priority first:

  1. built-in defaults (relative paths resolve against the project folder: the folder of the
     project file when there is one, else the working folder);
  2. the project file: `--config FILE`, else `gh-ft.yml` in the working folder (relative paths
     resolve against the folder of that file, so a project works from any folder);
  3. environment variables, for the settings that have one (OLLAMA_HOST, GH_FT_LLAMA_CPP);
  4. command-line flags (relative paths resolve against the working folder, as a shell user
     expects).

The result is frozen, every path in it is absolute, and it remembers where each value came
from (`Settings.sources`, shown by `gh-ft settings`). No other module joins paths onto the
project folder or reads an environment variable that a setting covers. Unknown keys in the
project file are errors with a "did you mean" hint: a silently ignored typo is the failure
mode this tool exists to prevent.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from gh_ft.errors import EXIT_USAGE, GhFtError
from gh_ft.prompt import GENERATION  # the one definition of how answers are decoded

PROJECT_FILE = "gh-ft.yml"
DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"

DEFAULT_IGNORE = [
    "**/bin/**", "**/obj/**", "**/.git/**", "**/.vs/**", "**/node_modules/**", "**/packages/**",
    "**/*.Designer.cs", "**/*.designer.cs", "**/*.g.cs", "**/*.g.i.cs", "**/*.AssemblyInfo.cs",
    "**/AssemblyInfo.cs", "**/.DS_Store",
]

LAUNCHERS = ("accelerate", "torchrun", "axolotl", "python")
EVALUATE_BACKENDS = ("transformers", "llamacpp", "ollama")
TRAIN_BACKENDS = ("auto", "axolotl", "mlx")


class SettingsError(GhFtError, ValueError):
    exit_code = EXIT_USAGE


def setting(default: Any = dataclasses.MISSING, *, help: str, flag: str | None = None, env: str | None = None,
            choices: tuple[str, ...] | None = None, factory: Any = dataclasses.MISSING) -> Any:
    """A settings field: its default, its help (also the CLI option's help), the command-line
    flag that overrides it (default `--key-name`), and the environment variable that does."""
    meta = {"help": help, "flag": flag, "env": env, "choices": choices}
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class CollectSettings:
    context_dir: Path = setting(Path("context"), help="Folder of sources (.cs, .md, .txt, .pdf, .docx).")
    out: Path = setting(Path("dataset"), help="Dataset folder to write (owned by collect).")
    seed: int = setting(42, help="Seed of the train/test split.")
    test_fraction: float = setting(0.2, help="Share of component groups in the test split.")
    ignore: list[str] = setting(factory=lambda: list(DEFAULT_IGNORE), help="Globs never read.")
    extra_ignore: list[str] = setting(factory=list, flag="--ignore",
                                      help="Extra ignore glob (repeatable), e.g. '**/Legacy/**'.")
    max_file_mb: float = setting(20.0, help="Larger files are skipped with a reason.")
    workers: int = setting(0, help="Worker processes (0: one per core).")
    skeleton_variants: bool = setting(True, flag="--skeletons/--no-skeletons",
                                      help="Add a 'complete this skeleton' variant per component.")
    near_duplicate_threshold: float = setting(0.8, help="Jaccard similarity at which two components are one.")
    min_prose_chars: int = setting(200, help="Shorter prose sections are not worth a docs row.")
    redact_secrets: bool = setting(True, help="Redact credentials before anything is parsed or written.")


@dataclass(frozen=True)
class TrainSettings:
    preset: str = setting("tiny-cpu", help="Preset name (configs/, the project's copy first) or path to a .yml.")
    base_model: str | None = setting(None, help="Override the preset's base model (hub id or local folder).")
    data_dir: Path | None = setting(None, flag="--data", help="Dataset folder (default: collect.out).")
    runs_dir: Path = setting(Path("runs"), help="Folder of training runs.")
    tiny_model_dir: Path = setting(Path("runs/tiny-model"), help="What a preset's `base_model: tiny` means.")
    launcher: str = setting("accelerate", choices=LAUNCHERS, help="How to start Axolotl.")
    launcher_args: list[str] = setting(factory=list, help="Arguments for the launcher.")
    include_docs: bool | None = setting(None, flag="--docs/--no-docs",
                                        help="Also train on docs.jsonl as completion text (default: the preset).")
    backend: str = setting("auto", choices=TRAIN_BACKENDS,
                           help="Trainer back-end: axolotl, mlx (mlx-lm) or auto (Apple Silicon: mlx, else axolotl).")


@dataclass(frozen=True)
class EvaluateSettings:
    backend: str = setting("transformers", choices=EVALUATE_BACKENDS,
                           help="Generation backend: transformers, llamacpp (a .gguf) or ollama (a served name).")
    max_new_tokens: int = setting(GENERATION.max_new_tokens, help="Tokens generated per answer at most.")
    limit: int | None = setting(None, help="Only the first N test tasks.")
    baseline: bool = setting(True, help="Also evaluate the base model on the same tasks (gh-ft run, improve).")
    context: list[Path] = setting(factory=list, help="The plugin's sources for the judge (default: collect.context_dir).")
    references: list[Path] = setting(factory=list, flag="--reference",
                                     help="A DLL the plugin uses, or a folder of them such as its bin/, for the judge "
                                          "(repeatable).")


@dataclass(frozen=True)
class ExportSettings:
    llama_cpp_dir: Path | None = setting(None, flag="--llama-cpp", env="GH_FT_LLAMA_CPP",
                                         help="llama.cpp checkout whose converters to use (default: the installed "
                                              "llama-cpp-python's source distribution, fetched once).")
    outtype: str = setting("f16", choices=("f32", "f16", "bf16"), help="Type of the full-precision GGUF.")
    quantizations: list[str] = setting(factory=lambda: ["q8_0", "q4_K_M"], flag="--quant",
                                       help="Quantized copy to make, e.g. q8_0, q4_K_M (repeatable).")


@dataclass(frozen=True)
class OllamaSettings:
    host: str = setting(DEFAULT_OLLAMA_HOST, env="OLLAMA_HOST", help="The Ollama server.")
    model_name: str = setting("grasshopper-component-generator", flag="--name",
                              help="The name the plugin asks Ollama for.")
    quantization: str = setting("q4_K_M", help="Which exported GGUF the served model uses (q4_K_M, q8_0, f16, ...).")
    temperature: float = setting(GENERATION.temperature,
                                  help="PARAMETER temperature of the Modelfile (served as evaluated).")
    num_ctx: int = setting(4096, help="PARAMETER num_ctx of the Modelfile.")


@dataclass(frozen=True)
class FeedbackSettings:
    from_dir: Path | None = setting(None, flag="--from", help="The plugin's GenerationFeedback folder.")
    min_age_s: float = setting(5.0, flag="--min-age", help="Files younger than this may still be being written.")
    max_file_kb: int = setting(512, help="Larger feedback files are quarantined.")
    incomplete_grace_s: float = setting(600.0, help="Cut-off JSON is waited for this long, then quarantined.")


@dataclass(frozen=True)
class ImproveSettings:
    interval_s: float = setting(3600.0, flag="--interval", help="Seconds between rounds with --watch.")
    min_examples: int = setting(20, help="New feedback examples needed before a retrain (0: whenever the data changed).")
    max_pass_rate_drop: float = setting(0.0, help="Promote only if the pass rate >= the current one minus this.")
    max_loss_increase: float = setting(0.0, help="Tie-break on test loss, the same idea.")
    outbox: Path | None = setting(None, help="Publish each promoted version as a bundle here.")
    keep_runs: int = setting(3, help="Runs kept by `gh-ft runs prune`.")


SECTIONS: dict[str, type] = {
    "collect": CollectSettings, "train": TrainSettings, "evaluate": EvaluateSettings, "export": ExportSettings,
    "ollama": OllamaSettings, "feedback": FeedbackSettings, "improve": ImproveSettings,
}


@dataclass(frozen=True)
class Settings:
    collect: CollectSettings = field(default_factory=CollectSettings)
    train: TrainSettings = field(default_factory=TrainSettings)
    evaluate: EvaluateSettings = field(default_factory=EvaluateSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    ollama: OllamaSettings = field(default_factory=OllamaSettings)
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    improve: ImproveSettings = field(default_factory=ImproveSettings)
    project_file: Path | None = None     # the project file read, absolute; None when there was none
    project_dir: Path = field(default_factory=lambda: Path.cwd().resolve())
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)  # "collect.seed" -> where from

    @property
    def data_dir(self) -> Path:
        return self.train.data_dir or self.collect.out

    @property
    def runs_dir(self) -> Path:
        return self.train.runs_dir

    @property
    def evals_dir(self) -> Path:
        """Where `gh-ft evaluate` writes a report when no --out is given."""
        return self.project_dir / "evals"

    @property
    def state_dir(self) -> Path:
        """gh-ft's own state for this project (the bundle watcher's record)."""
        return self.project_dir / ".gh-ft"

    @property
    def context_dirs(self) -> list[Path]:
        """What the judge reads as the plugin's own sources."""
        return list(self.evaluate.context) or [self.collect.context_dir]

    def to_dict(self) -> dict[str, Any]:
        return {name: _to_plain(dataclasses.asdict(getattr(self, name))) for name in SECTIONS}

    def replace(self, **sections: Mapping[str, Any]) -> "Settings":
        """A copy with values set as flags would set them (`replace(improve={"min_examples": 0})`)."""
        values = {name: dataclasses.asdict(getattr(self, name)) for name in SECTIONS}
        sources = dict(self.sources)
        for section, changes in sections.items():
            for key, value in changes.items():
                _set(values, sources, section, key, value, Path.cwd(), "flag")
        return _build(values, sources, self.project_file, self.project_dir)

    def describe(self) -> list[tuple[str, Any, str]]:
        """(name, value, where it came from) for every setting, in declaration order."""
        rows = []
        for name in SECTIONS:
            section = getattr(self, name)
            for f in dataclasses.fields(section):
                key = f"{name}.{f.name}"
                rows.append((key, _to_plain(getattr(section, f.name)), self.sources.get(key, "default")))
        return rows


def _to_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _coerce(value: Any, annotation: Any, where: str, base: Path) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], where, base)
    if annotation is Path:
        if not isinstance(value, (str, Path)) or str(value) == "":
            raise SettingsError(f"{where}: expected a path, got {value!r}")
        path = Path(value).expanduser()
        return Path(os.path.normpath(path if path.is_absolute() else base / path))
    if annotation is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: expected true or false, got {value!r}")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{where}: expected an integer, got {value!r}")
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SettingsError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise SettingsError(f"{where}: expected text, got {value!r}")
        return value
    if origin is list:
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise SettingsError(f"{where}: expected a list, got {value!r}")
        (item_type,) = typing.get_args(annotation)
        return [_coerce(v, item_type, f"{where}[{i}]", base) for i, v in enumerate(value)]
    return value


_HINTS = {name: typing.get_type_hints(cls) for name, cls in SECTIONS.items()}


def field_meta(section: str, key: str) -> Mapping[str, Any]:
    return next(f.metadata for f in dataclasses.fields(SECTIONS[section]) if f.name == key)


def field_type(section: str, key: str) -> Any:
    return _HINTS[section][key]


def _unknown(key: str, names: list[str], where: str) -> SettingsError:
    hint = difflib.get_close_matches(key, names, n=1)
    return SettingsError(f"{where}: unknown setting '{key}'" + (f" (did you mean '{hint[0]}'?)" if hint else ""))


def _set(values: dict, sources: dict, section: str, key: str, value: Any, base: Path, origin: str,
         where: str | None = None) -> None:
    where = where or origin
    if section not in SECTIONS:
        raise _unknown(section, list(SECTIONS), where)
    if key not in _HINTS[section]:
        raise _unknown(key, list(_HINTS[section]), f"{where}: {section}")
    value = _coerce(value, _HINTS[section][key], f"{where}: {section}.{key}", base)
    if (section, key) in _PATH_OR_NAME and isinstance(value, str):
        value = _path_or_name(value, base)
    values[section][key] = value
    sources[f"{section}.{key}"] = origin


# Text settings that name either a thing (a preset name, a hub model id) or a file/folder: a
# value that exists relative to where it was written becomes that absolute path.
_PATH_OR_NAME = {("train", "preset"), ("train", "base_model")}


def _path_or_name(value: str, base: Path) -> str:
    candidate = Path(value).expanduser()
    if not candidate.is_absolute() and (base / candidate).exists():
        return os.path.normpath(base / candidate)
    return str(candidate) if candidate.is_absolute() or value.startswith("~") else value


def _build(values: dict, sources: dict, project_file: Path | None, project_dir: Path) -> Settings:
    sections = {name: SECTIONS[name](**values[name]) for name in SECTIONS}
    settings = Settings(**sections, project_file=project_file, project_dir=project_dir, sources=dict(sources))
    _validate(settings)
    return settings


def _validate(s: Settings) -> None:
    for name in SECTIONS:
        for f in dataclasses.fields(SECTIONS[name]):
            choices = f.metadata.get("choices")
            value = getattr(getattr(s, name), f.name)
            if choices and value not in choices:
                raise SettingsError(f"{name}.{f.name} must be one of {', '.join(choices)}, got {value!r}")
    c = s.collect
    if not 0.0 <= c.test_fraction < 1.0:
        raise SettingsError(f"collect.test_fraction must be in [0, 1), got {c.test_fraction}")
    if not 0.0 < c.near_duplicate_threshold <= 1.0:
        raise SettingsError(f"collect.near_duplicate_threshold must be in (0, 1], got {c.near_duplicate_threshold}")
    for key, value in (("evaluate.max_new_tokens", s.evaluate.max_new_tokens), ("ollama.num_ctx", s.ollama.num_ctx)):
        if value < 1:
            raise SettingsError(f"{key} must be at least 1, got {value}")
    if s.evaluate.limit is not None and s.evaluate.limit < 1:
        raise SettingsError(f"evaluate.limit must be at least 1, got {s.evaluate.limit}")


def load_settings(project_file: Path | str | None = None, overrides: Mapping[str, Mapping[str, Any]] | None = None,
                  *, cwd: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults < project file < environment < flags (`overrides`, {'collect': {'seed': 1}};
    None values are ignored). Every path in the result is absolute."""
    cwd = Path(cwd or Path.cwd()).resolve()
    environ = os.environ if environ is None else environ
    path = Path(project_file).expanduser() if project_file is not None else Path(PROJECT_FILE)
    path = path if path.is_absolute() else cwd / path
    if project_file is not None and not path.is_file():
        raise SettingsError(f"project file not found: {path}")
    project = path.resolve() if path.is_file() else None
    project_dir = project.parent if project else cwd

    values = {name: {} for name in SECTIONS}
    sources: dict[str, str] = {}
    for name, cls in SECTIONS.items():  # defaults, relative to the project folder
        for f in dataclasses.fields(cls):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            values[name][f.name] = _coerce(default, _HINTS[name][f.name], f"default {name}.{f.name}", project_dir)
    if project is not None:
        try:
            data = yaml.safe_load(project.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise SettingsError(f"{project}: not valid YAML: {str(e).splitlines()[0]}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise SettingsError(f"{project}: cannot be read: {e}") from None
        if not isinstance(data, dict):
            raise SettingsError(f"{project}: expected a mapping at the top level")
        for section, entries in data.items():
            if section not in SECTIONS:
                raise _unknown(str(section), list(SECTIONS), str(project))
            if not isinstance(entries, dict):
                raise SettingsError(f"{project}: {section}: expected a mapping")
            for key, value in entries.items():
                _set(values, sources, section, str(key), value, project_dir, f"file {project}", str(project))
    for name, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            var = f.metadata.get("env")
            if var and environ.get(var):
                _set(values, sources, name, f.name, environ[var], cwd, f"env {var}")
    for section, changes in (overrides or {}).items():
        for key, value in changes.items():
            if value is not None:
                _set(values, sources, section, key, value, cwd, "flag")
    return _build(values, sources, project, project_dir)
