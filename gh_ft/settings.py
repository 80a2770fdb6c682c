"""The one typed settings object every stage reads.

Merged in one place, lowest priority first: built-in defaults, the project file
`gh-ft.yml` in the working folder (or `--config FILE`), then CLI flags. Unknown keys in
the project file are errors with a "did you mean" hint: a silently ignored typo is the
failure mode this tool exists to prevent.
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_FILE = "gh-ft.yml"

DEFAULT_IGNORE = [
    "**/bin/**", "**/obj/**", "**/.git/**", "**/.vs/**", "**/node_modules/**", "**/packages/**",
    "**/*.Designer.cs", "**/*.designer.cs", "**/*.g.cs", "**/*.g.i.cs", "**/*.AssemblyInfo.cs",
    "**/AssemblyInfo.cs", "**/.DS_Store",
]


class SettingsError(ValueError):
    pass


@dataclass
class CollectSettings:
    context_dir: Path = Path("context")
    out: Path = Path("dataset")
    seed: int = 42
    test_fraction: float = 0.2
    ignore: list[str] = field(default_factory=lambda: list(DEFAULT_IGNORE))
    extra_ignore: list[str] = field(default_factory=list)
    max_file_mb: float = 20.0
    workers: int = 0                 # 0: one per CPU core
    skeleton_variants: bool = True   # add a "complete this skeleton" example per component
    near_duplicate_threshold: float = 0.8
    min_prose_chars: int = 200       # shorter prose sections are not worth a docs row
    redact_secrets: bool = True


@dataclass
class TrainSettings:
    preset: str = "tiny-cpu"            # a name from configs/ (project copy first) or a path to a .yml
    base_model: str | None = None       # overrides the preset's base model
    data_dir: Path | None = None        # default: collect.out
    runs_dir: Path = Path("runs")
    tiny_model_dir: Path = Path("runs/tiny-model")  # what a preset's `base_model: tiny` means
    launcher: str = "accelerate"        # accelerate | torchrun | axolotl | python
    launcher_args: list[str] = field(default_factory=list)
    include_docs: bool | None = None    # None: the preset decides


@dataclass
class EvaluateSettings:
    backend: str = "transformers"       # transformers | llamacpp | ollama
    max_new_tokens: int = 512
    limit: int | None = None            # only the first N test tasks
    baseline: bool = True               # also evaluate the base model on the same tasks
    context: list[Path] = field(default_factory=list)  # plugin sources for base classes (default: collect.context_dir)
    references: list[Path] = field(default_factory=list)  # DLLs (or folders of them) the plugin uses, for the judge


@dataclass
class ExportSettings:
    llama_cpp_dir: Path | None = None   # a llama.cpp checkout; default: env GH_FT_LLAMA_CPP, else the pinned sdist
    outtype: str = "f16"                # GGUF type of the full-precision export (f16 | bf16 | f32)
    quantizations: list[str] = field(default_factory=lambda: ["q8_0", "q4_K_M"])


@dataclass
class OllamaSettings:
    host: str = "http://127.0.0.1:11434"           # env OLLAMA_HOST overrides the default, not a set value
    model_name: str = "grasshopper-component-generator"  # the name the plugin asks Ollama for
    quantization: str = "q4_K_M"                   # which exported GGUF the served model uses
    temperature: float = 0.2
    num_ctx: int = 4096


@dataclass
class FeedbackSettings:
    from_dir: Path | None = None        # the plugin's GenerationFeedback folder
    min_age_s: float = 5.0              # files younger than this may still be being written
    max_file_kb: int = 512
    incomplete_grace_s: float = 600.0   # cut-off JSON is waited for this long, then quarantined


@dataclass
class ImproveSettings:
    interval_s: float = 3600.0
    min_examples: int = 20              # new feedback examples needed before a retrain
    max_pass_rate_drop: float = 0.0     # promote only if pass rate >= current - this
    max_loss_increase: float = 0.0      # tie-break on test loss, same idea
    outbox: Path | None = None          # publish each promoted version as a bundle here
    keep_runs: int = 3


@dataclass
class Settings:
    collect: CollectSettings = field(default_factory=CollectSettings)
    train: TrainSettings = field(default_factory=TrainSettings)
    evaluate: EvaluateSettings = field(default_factory=EvaluateSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    ollama: OllamaSettings = field(default_factory=OllamaSettings)
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    improve: ImproveSettings = field(default_factory=ImproveSettings)
    project_file: Path | None = None

    @property
    def project_dir(self) -> Path:
        return self.project_file.parent if self.project_file else Path.cwd()

    @property
    def data_dir(self) -> Path:
        return self.train.data_dir or self.collect.out

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(dataclasses.asdict(self))


def _to_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _coerce(value: Any, annotation: Any, where: str, base: Path | None = None) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], where, base)
    if annotation is Path:
        if not isinstance(value, (str, Path)):
            raise SettingsError(f"{where}: expected a path, got {value!r}")
        path = Path(value).expanduser()
        # Paths in a project file are relative to that file, so it works from any folder.
        return (base / path).resolve() if base is not None and not path.is_absolute() else path
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
        if not isinstance(value, list):
            raise SettingsError(f"{where}: expected a list, got {value!r}")
        (item_type,) = typing.get_args(annotation)
        return [_coerce(v, item_type, f"{where}[{i}]", base) for i, v in enumerate(value)]
    return value


def _apply(obj: Any, data: dict[str, Any], where: str, base: Path | None = None) -> None:
    hints = typing.get_type_hints(type(obj))
    names = [f.name for f in dataclasses.fields(obj)]
    for key, value in data.items():
        if key not in names:
            hint = difflib.get_close_matches(key, names, n=1)
            raise SettingsError(f"{where}: unknown setting '{key}'" + (f" (did you mean '{hint[0]}'?)" if hint else ""))
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise SettingsError(f"{where}.{key}: expected a mapping")
            _apply(current, value, f"{where}.{key}", base)
        else:
            setattr(obj, key, _coerce(value, hints[key], f"{where}.{key}", base))


def load_settings(project_file: Path | None = None, overrides: dict[str, dict[str, Any]] | None = None,
                  cwd: Path | None = None) -> Settings:
    """Defaults < project file < overrides ({'collect': {'seed': 1}}; None values are ignored)."""
    settings = Settings()
    path = project_file or (Path(cwd or ".") / PROJECT_FILE)
    if project_file is not None and not path.is_file():
        raise SettingsError(f"project file not found: {path}")
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise SettingsError(f"{path}: not valid YAML: {e}") from None
        if not isinstance(data, dict):
            raise SettingsError(f"{path}: expected a mapping at the top level")
        data.pop("project_file", None)
        _apply(settings, data, str(path), path.resolve().parent)
        settings.project_file = path
    for section, values in (overrides or {}).items():
        _apply(settings, {section: {k: v for k, v in values.items() if v is not None}}, "command line")
    if settings.train.launcher not in ("accelerate", "torchrun", "axolotl", "python"):
        raise SettingsError(f"train.launcher must be accelerate, torchrun, axolotl or python, got {settings.train.launcher!r}")
    c = settings.collect
    if not 0.0 <= c.test_fraction < 1.0:
        raise SettingsError(f"collect.test_fraction must be in [0, 1), got {c.test_fraction}")
    if not 0.0 < c.near_duplicate_threshold <= 1.0:
        raise SettingsError(f"collect.near_duplicate_threshold must be in (0, 1], got {c.near_duplicate_threshold}")
    return settings
