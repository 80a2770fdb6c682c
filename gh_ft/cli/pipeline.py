"""The whole pipeline in one command: run."""
from __future__ import annotations

import sys

import click

from gh_ft.cli.base import _settings, main, setting_options


@main.command("run")
@setting_options("collect.context_dir", "train.preset", "train.backend")
@click.option("--force", is_flag=True, help="Run every stage even when its inputs are unchanged.")
@click.option("--no-ollama", is_flag=True, help="Do not create the model in Ollama even when a server answers.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.pass_context
def run_cmd(ctx, overrides, force, no_ollama, quiet):
    """The whole pipeline: collect → check → train → merge → export → evaluate → Ollama,
    skipping each stage whose inputs are unchanged; one summary at the end."""
    from gh_ft.pipeline import Pipeline, render_summary

    settings = _settings(ctx, **overrides)
    result = Pipeline(settings, echo=click.echo, force=force, ollama=not no_ollama, progress=not quiet).run()
    click.echo(render_summary(result))
    if not result.ok:
        sys.exit(1)
