"""Data and project commands: collect, init, config render/validate, tiny-model, check."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from gh_ft.cli.base import TRAIN_OPTIONS, _fail, _settings, main, setting_options


@main.command()
@setting_options("collect.context_dir", "collect.out", "collect.seed", "collect.test_fraction", "collect.extra_ignore",
                 "collect.workers", "collect.skeleton_variants")
@click.option("--force", is_flag=True, help="Rebuild the outputs even when nothing changed.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
def collect(ctx, overrides, force, quiet):
    """Turn a folder of sources into an alpaca dataset (train/test/docs + manifest)."""
    from gh_ft import stages
    from gh_ft.collect import print_summary
    from gh_ft.progress import progress_bar

    settings = _settings(ctx, **overrides)
    with progress_bar("extracting", enabled=not quiet) as advance:
        report = stages.collect(settings, progress=advance, force=force)
    print_summary(report)


@main.command()
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
@click.pass_context
def init(ctx, force):
    """Copy the Axolotl template and the presets into this project for editing."""
    from gh_ft.project import init_project

    for line in init_project(Path.cwd(), force=force):
        click.echo(line)


@main.group()
def config():
    """Render a preset into an Axolotl YAML, or validate any Axolotl YAML."""


@config.command("render")
@setting_options(*TRAIN_OPTIONS)
@click.option("--run-dir", type=click.Path(path_type=Path), default=Path("runs/preview"), show_default=True,
              help="Run folder the config points its outputs at.")
@click.option("--out", "out_file", type=click.Path(path_type=Path), help="Write here instead of standard output.")
@click.option("--no-validate", is_flag=True, help="Skip the strict check.")
@click.pass_context
def config_render(ctx, overrides, run_dir, out_file, no_validate):
    """Render the preset through the template (values escaped, parsed back, checked)."""
    from gh_ft.files import atomic_write_text
    from gh_ft.train.prepare import render_for, validate_rendered

    settings = _settings(ctx, **overrides)
    rendered = render_for(settings, run_dir.absolute())
    problems = [] if no_validate else validate_rendered(rendered)
    if out_file:
        atomic_write_text(out_file, rendered.text)
        click.echo(f"wrote {out_file}", err=True)
    else:
        click.echo(rendered.text, nl=False)
    _report_problems(problems)


def _report_problems(problems) -> None:
    for p in problems:
        click.echo(str(p), err=True)
    errors = sum(p.level == "error" for p in problems)
    if errors:
        _fail(f"{errors} error(s) in the config")


@config.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-v", "--verbose", is_flag=True, help="Also show what Axolotl logged while checking each file "
              "(shown anyway for a file that fails).")
def config_validate(files, verbose):
    """Strictly check Axolotl YAML files against the installed Axolotl and the plugins each
    one lists (every problem at once, as FILE:LINE: level: key: message)."""
    from gh_ft.train.config import ConfigError, check_config_file

    failed = False
    for f in files:
        try:
            result = check_config_file(f)
        except ConfigError as e:
            _fail(str(e))
        for p in result.problems:
            click.echo(f"{f}:{p.line}: {p}" if p.line else f"{f}: {p}", err=True)
        failed |= not result.ok
        if result.ok:
            counts = [f"{n} {level}(s)" for level in ("warning", "unknown")
                      if (n := sum(p.level == level for p in result.problems))]
            about = [result.note] if result.note else []
            if result.plugins:
                about.append(f"plugins: {', '.join(name.rsplit('.', 1)[-1] for name in result.plugins)}")
            click.echo(f"{f}: ok" + (f" ({'; '.join(counts + about)})" if counts or about else ""))
        if result.log.strip() and (verbose or not result.ok):
            click.echo(f"--- what Axolotl printed while checking {f} ---", err=True)
            click.echo(result.log.rstrip("\n"), err=True)
            click.echo("---", err=True)
    if failed:
        sys.exit(1)


@main.command("tiny-model")
@click.option("--out", type=click.Path(path_type=Path), help="Folder (default: train.tiny_model_dir).")
@click.option("--corpus", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="Files or folders of .cs to train the tokenizer on (default: a built-in sample).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_context
def tiny_model(ctx, out, corpus, seed):
    """Build the tiny local base model (random Llama + Llama-2-style BPE tokenizer) for demos and tests."""
    from gh_ft.train.tiny import build_tiny_model, read_corpus_texts

    settings = _settings(ctx, train={"tiny_model_dir": out})
    path = build_tiny_model(settings.train.tiny_model_dir, read_corpus_texts(list(corpus)) or None, seed=seed)
    click.echo(f"tiny model written to {path}")


@main.command()
@setting_options(*TRAIN_OPTIONS)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def check(ctx, overrides, as_json):
    """Dataset report before GPU time: token lengths vs sequence_len, duplicates, leakage, steps."""
    import json as _json

    from gh_ft import stages

    report = stages.check(_settings(ctx, **overrides))
    click.echo(_json.dumps(report.to_dict(), indent=2) if as_json else report.render_text())
    if not report.ok:
        sys.exit(1)


@main.command("settings")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: value and source per setting.")
@click.pass_context
def settings_cmd(ctx, as_json):
    """Print the resolved settings (every path absolute), each with where its value came from:
    default, the project file, an environment variable or a flag."""
    import json as _json

    settings = _settings(ctx)
    rows = settings.describe()
    if as_json:
        click.echo(_json.dumps({"project_file": settings.project_file and str(settings.project_file),
                                "project_dir": str(settings.project_dir),
                                "settings": {k: {"value": v, "source": src} for k, v, src in rows}},
                               indent=2, ensure_ascii=False))
        return
    click.echo(f"project file: {settings.project_file or '(none: built-in defaults)'}")
    click.echo(f"project folder: {settings.project_dir}")
    width = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        click.echo(f"{key:<{width}}  {_json.dumps(value, ensure_ascii=False)}  ({source})")
