"""The whole pipeline in one command: run."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from gh_ft.cli.base import _preset_opt, _settings, _train_overrides, main


@main.command("run")
@click.option("--context-dir", type=click.Path(path_type=Path), help="Folder of sources (default: collect.context_dir).")
@_preset_opt
@click.option("--force", is_flag=True, help="Run every stage even when its inputs are unchanged.")
@click.option("--no-ollama", is_flag=True, help="Do not create the model in Ollama even when a server answers.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.pass_context
def run_cmd(ctx, context_dir, preset, force, no_ollama, quiet):
    """The whole pipeline: collect → check → train → merge → export → evaluate → Ollama,
    skipping each stage whose inputs are unchanged; one summary at the end."""
    from gh_ft.pipeline import Pipeline, render_summary

    settings = _settings(ctx, collect={"context_dir": context_dir}, train=_train_overrides(preset))
    result = Pipeline(settings, echo=click.echo, force=force, ollama=not no_ollama, progress=not quiet).run()
    click.echo(render_summary(result))
    if not result.ok:
        sys.exit(1)
