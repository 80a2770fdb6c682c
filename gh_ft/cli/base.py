"""The `gh-ft` click group and what several command modules share: the error exit, the
settings object (defaults < gh-ft.yml < flags) and the common options."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from gh_ft import __version__
from gh_ft.settings import SettingsError, load_settings


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"gh-ft: error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gh-ft")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="Project file (default: ./gh-ft.yml when present).")
@click.pass_context
def main(ctx: click.Context, config_file: Path | None) -> None:
    """Fine-tune a code model on your Grasshopper components, serve it through Ollama,
    judge what it writes and improve it from the plugin's feedback."""
    ctx.obj = {"config_file": config_file}


def _settings(ctx, **sections):
    try:
        return load_settings(ctx.obj["config_file"], sections)
    except SettingsError as e:
        _fail(str(e), 2)


def _train_overrides(preset=None, data=None, base_model=None, launcher=None, include_docs=None, runs_dir=None):
    return {"preset": preset, "data_dir": data, "base_model": base_model, "launcher": launcher,
            "include_docs": include_docs, "runs_dir": runs_dir}


_preset_opt = click.option("--preset", help="Preset name (configs/) or path to a preset .yml.")
_data_opt = click.option("--data", type=click.Path(path_type=Path), help="Dataset folder (default: collect.out).")
_base_opt = click.option("--base-model", help="Override the preset's base model (hub id or local folder).")
