"""From settings to a run folder holding a validated Axolotl config.

Everything that can be known before a GPU spins up is checked here: the preset, the
base model's whereabouts, the data files, and every key of the rendered config.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gh_ft.files import atomic_write_text
from gh_ft.resources import find_file
from gh_ft.settings import Settings
from gh_ft.train.config import (TEMPLATE_NAME, ConfigError, Preset, Problem, load_preset, render_axolotl_config,
                     training_datasets, validate_config_dict)

TINY = "tiny"
GGUF_REFERENCE = "gguf:"  # gh_ft.train.gguf_import.REFERENCE_PREFIX, without importing torch here


@dataclass
class RenderedConfig:
    text: str
    preset: Preset
    base_model: str
    datasets: list[dict[str, str]]
    template: Path


def resolve_base_model(preset: Preset, settings: Settings) -> str:
    """The model to train from: the settings' override, else the preset's; `tiny` means
    the locally built tiny model (an absolute path, since Axolotl runs elsewhere);
    `gguf:SOURCE` the folder `gh-ft base-model import SOURCE` writes (imported now if not yet)."""
    name = settings.train.base_model or preset.base_model
    if name == TINY:
        tiny = settings.train.tiny_model_dir
        if not (tiny / "config.json").is_file():
            raise ConfigError(f"the preset trains the tiny local model, which is not built yet: "
                              f"run `gh-ft tiny-model --out {tiny}`")
        return str(tiny.resolve())
    if name.startswith(GGUF_REFERENCE):  # a GGUF imported as a Hugging Face folder (cached by its sha256)
        import sys

        from gh_ft.train.gguf_import import BaseModelImportError, resolve_reference

        try:  # the first use imports (minutes): say so on stderr
            return resolve_reference(name, echo=lambda m: print(f"gh-ft: {m}", file=sys.stderr, flush=True))
        except BaseModelImportError as e:
            raise ConfigError(f"base_model {name}: {e}") from None
    if settings.train.base_model is None:  # a folder named by a preset is relative to the preset file
        beside = preset.path.parent / Path(name).expanduser()
        if not Path(name).is_absolute() and beside.is_dir():
            return str(beside.resolve())
    return name  # a folder from the settings is absolute already; otherwise a hub id


def include_docs(preset: Preset, settings: Settings) -> bool:
    """Whether docs.jsonl is trained on: the settings' choice, else the preset's."""
    return preset.include_docs if settings.train.include_docs is None else settings.train.include_docs


def render_for(settings: Settings, run_dir: Path) -> RenderedConfig:
    preset = load_preset(settings.train.preset, settings.project_dir)
    docs = include_docs(preset, settings)
    datasets = training_datasets(settings.data_dir, docs)
    base_model = resolve_base_model(preset, settings)
    template = find_file(TEMPLATE_NAME, "templates", settings.project_dir)
    text = render_axolotl_config(preset, base_model=base_model, datasets=datasets, run_dir=run_dir,
                                 template_path=template)
    return RenderedConfig(text, preset, base_model, datasets, template)


def validate_rendered(rendered: RenderedConfig) -> list[Problem]:
    import yaml

    return validate_config_dict(yaml.safe_load(rendered.text))


def write_config(path: Path, rendered: RenderedConfig) -> None:
    atomic_write_text(path, rendered.text)


def raise_on_errors(problems: list[Problem], what: str) -> None:
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise ConfigError(f"{what} has {len(errors)} problem(s):\n" + "\n".join(f"  {p}" for p in errors))
