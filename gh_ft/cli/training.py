"""Training commands: train, merge."""
from __future__ import annotations

import sys

import click

from gh_ft.cli.base import _base_opt, _data_opt, _fail, _preset_opt, _settings, _train_overrides, main


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@_preset_opt
@_data_opt
@_base_opt
@click.option("--launcher", type=click.Choice(["accelerate", "torchrun", "axolotl", "python"]),
              help="How to start Axolotl (default: accelerate).")
@click.option("--docs/--no-docs", "include_docs", default=None, help="Also train on docs.jsonl as completion text.")
@click.option("--resume", "resume_run", help="Resume this run (id or folder) from its last checkpoint.")
@click.argument("launcher_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def train(ctx, preset, data, base_model, launcher, include_docs, resume_run, launcher_args):
    """Render, validate, then train with Axolotl; arguments after `--` go to the launcher
    (e.g. `gh-ft train --launcher torchrun -- --nproc_per_node 8`)."""
    from gh_ft.train.config import ConfigError
    from gh_ft.train.run import TrainError, train_run

    settings = _settings(ctx, train=_train_overrides(preset, data, base_model, launcher, include_docs))
    try:
        result = train_run(settings, list(launcher_args), resume=resume_run, argv=sys.argv)
    except (ConfigError, TrainError) as e:
        _fail(str(e))
    if result.exit_code != 0:
        _fail(f"training failed (exit {result.exit_code}); log: {result.paths.log}", result.exit_code)
    click.echo(result.summary())


@main.command()
@click.argument("run", required=False)
@click.pass_context
def merge(ctx, run):
    """Merge a run's LoRA adapter into the base model (RUN: id or folder; default: the newest run)."""
    from gh_ft.train.run import TrainError, merge_run

    settings = _settings(ctx)
    try:
        merged = merge_run(settings, run)
    except TrainError as e:
        _fail(str(e))
    click.echo(f"merged model: {merged}")
