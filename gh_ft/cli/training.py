"""Training commands: train, merge."""
from __future__ import annotations

import sys

import click

from gh_ft.cli.base import TRAIN_OPTIONS, _fail, _settings, main, setting_options


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@setting_options(*TRAIN_OPTIONS, "train.backend", "train.launcher", "train.include_docs")
@click.option("--resume", "resume_run", help="Resume this run (id or folder) from its last checkpoint.")
@click.argument("launcher_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def train(ctx, overrides, resume_run, launcher_args):
    """Render, validate, then train with Axolotl; arguments after `--` go to the launcher
    (e.g. `gh-ft train --launcher torchrun -- --nproc_per_node 8`)."""
    from gh_ft import stages

    result = stages.train(_settings(ctx, **overrides), launcher_args=launcher_args, resume=resume_run, argv=sys.argv)
    if result.exit_code != 0:
        _fail(f"training failed (exit {result.exit_code}); log: {result.paths.log}", result.exit_code)
    click.echo(result.summary())


@main.command()
@click.argument("run", required=False)
@click.pass_context
def merge(ctx, run):
    """Merge a run's LoRA adapter into the base model (RUN: id or folder; default: the newest run)."""
    from gh_ft import stages

    click.echo(f"merged model: {stages.merge(_settings(ctx), run)}")
