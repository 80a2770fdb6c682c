"""The `gh-ft` command: one thin click function per pipeline stage.

Each command builds the settings object (defaults < gh-ft.yml < flags) and calls one
module's entry function; errors the user can act on exit non-zero with one message.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .settings import SettingsError, load_settings


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


@main.command()
@click.option("--context-dir", type=click.Path(path_type=Path), help="Folder of sources (.cs, .md, .txt, .pdf, .docx).")
@click.option("--out", type=click.Path(path_type=Path), help="Dataset folder to write (owned by collect).")
@click.option("--seed", type=int, help="Seed of the train/test split.")
@click.option("--test-fraction", type=float, help="Share of component groups in the test split.")
@click.option("--ignore", "extra_ignore", multiple=True, help="Extra ignore glob (repeatable), e.g. '**/Legacy/**'.")
@click.option("--workers", type=int, help="Worker processes (0: one per core).")
@click.option("--no-skeletons", is_flag=True, help="Do not add 'complete this skeleton' variants.")
@click.option("--force", is_flag=True, help="Rebuild the outputs even when nothing changed.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
def collect(ctx, context_dir, out, seed, test_fraction, extra_ignore, workers, no_skeletons, force, quiet):
    """Turn a folder of sources into an alpaca dataset (train/test/docs + manifest)."""
    from .collect import CollectError, collect as run_collect, print_summary
    from .progress import progress_bar

    try:
        settings = load_settings(ctx.obj["config_file"], {"collect": {
            "context_dir": context_dir, "out": out, "seed": seed, "test_fraction": test_fraction,
            "workers": workers, "skeleton_variants": False if no_skeletons else None,
        }})
    except SettingsError as e:
        _fail(str(e), 2)
    if extra_ignore:
        settings.collect.extra_ignore += list(extra_ignore)
    try:
        with progress_bar("extracting", enabled=not quiet) as advance:
            report = run_collect(settings.collect, progress=advance, force=force)
    except CollectError as e:
        _fail(str(e))
    print_summary(report)


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


@main.command()
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
@click.pass_context
def init(ctx, force):
    """Copy the Axolotl template and the presets into this project for editing."""
    from .project import init_project

    for line in init_project(Path.cwd(), force=force):
        click.echo(line)


@main.group()
def config():
    """Render a preset into an Axolotl YAML, or validate any Axolotl YAML."""


@config.command("render")
@_preset_opt
@_data_opt
@_base_opt
@click.option("--run-dir", type=click.Path(path_type=Path), default=Path("runs/preview"), show_default=True,
              help="Run folder the config points its outputs at.")
@click.option("--out", "out_file", type=click.Path(path_type=Path), help="Write here instead of standard output.")
@click.option("--no-validate", is_flag=True, help="Skip the strict check.")
@click.pass_context
def config_render(ctx, preset, data, base_model, run_dir, out_file, no_validate):
    """Render the preset through the template (values escaped, parsed back, checked)."""
    from .files import atomic_write_text
    from .train.config import ConfigError
    from .train.prepare import render_for, validate_rendered

    settings = _settings(ctx, train=_train_overrides(preset, data, base_model))
    try:
        rendered = render_for(settings, run_dir)
    except ConfigError as e:
        _fail(str(e))
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
def config_validate(files):
    """Strictly check Axolotl YAML files against the installed Axolotl (every problem at once)."""
    from .train.config import ConfigError, validate_config_file

    all_problems = []
    for f in files:
        try:
            problems = validate_config_file(f)
        except ConfigError as e:
            _fail(str(e))
        for p in problems:
            click.echo(f"{f}: {p}", err=True)
        all_problems += problems
        if not any(p.level == "error" for p in problems):
            click.echo(f"{f}: ok" + (f" ({len(problems)} warning(s))" if problems else ""))
    if any(p.level == "error" for p in all_problems):
        sys.exit(1)


@main.command("tiny-model")
@click.option("--out", type=click.Path(path_type=Path), help="Folder (default: train.tiny_model_dir).")
@click.option("--corpus", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="Files or folders of .cs to train the tokenizer on (default: a built-in sample).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_context
def tiny_model(ctx, out, corpus, seed):
    """Build the tiny local base model (random Llama + Llama-2-style BPE tokenizer) for demos and tests."""
    from .train.tiny import build_tiny_model, read_corpus_texts

    settings = _settings(ctx)
    target = out or settings.train.tiny_model_dir
    path = build_tiny_model(target, read_corpus_texts(list(corpus)) or None, seed=seed)
    click.echo(f"tiny model written to {path}")


@main.command()
@_preset_opt
@_data_opt
@_base_opt
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def check(ctx, preset, data, base_model, as_json):
    """Dataset report before GPU time: token lengths vs sequence_len, duplicates, leakage, steps."""
    import json as _json

    from .check import check_dataset
    from .train.config import ConfigError, load_preset
    from .train.prepare import resolve_base_model

    settings = _settings(ctx, train=_train_overrides(preset, data, base_model))
    try:
        p = load_preset(settings.train.preset, settings.project_dir)
        base = resolve_base_model(p, settings)
    except ConfigError as e:
        _fail(str(e))
    v = p.values
    include_docs = p.include_docs if settings.train.include_docs is None else settings.train.include_docs
    report = check_dataset(settings.data_dir, base, v["sequence_len"], micro_batch_size=v["micro_batch_size"],
                           gradient_accumulation_steps=v["gradient_accumulation_steps"], num_epochs=v["num_epochs"],
                           max_steps=v["max_steps"], include_docs=include_docs,
                           excess_length_strategy=v["excess_length_strategy"],
                           near_duplicate_threshold=settings.collect.near_duplicate_threshold)
    click.echo(_json.dumps(report.to_dict(), indent=2) if as_json else report.render_text())
    if not report.ok:
        sys.exit(1)


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
    from .train.config import ConfigError
    from .train.run import TrainError, train_run

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
    from .train.run import TrainError, merge_run

    settings = _settings(ctx)
    try:
        merged = merge_run(settings, run)
    except TrainError as e:
        _fail(str(e))
    click.echo(f"merged model: {merged}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file and line.")
@click.option("--context", "context_dirs", multiple=True, type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Folder of the plugin's sources whose base classes the files may derive from (repeatable).")
def judge(files, as_json, context_dirs):
    """Run the validation ladder on C# files (or saved model replies); exit 1 when any fails."""
    import json as _json

    from .collect.sources import NotText, decode_text
    from .csharp.declarations import read_declarations
    from .evaluate.judge import FAIL, judge as run_judge

    context = []
    for folder in context_dirs:
        for src in sorted(folder.rglob("*.cs")):
            try:
                context.append(read_declarations(str(src), decode_text(src.read_bytes())[0]))
            except (OSError, NotText):
                continue

    failed = False
    for f in files:
        try:
            text, _ = decode_text(f.read_bytes())
        except (OSError, NotText) as e:
            result = {"path": str(f), "verdict": FAIL, "stage": "read", "reasons": [str(e)]}
        else:
            result = run_judge(text, context=context).to_dict(str(f))
        failed |= result["verdict"] == FAIL
        if as_json:
            click.echo(_json.dumps(result, ensure_ascii=False))
        else:
            why = ("; ".join(result["reasons"])) if result["reasons"] else ""
            click.echo(f"{f}: {result['verdict']} ({result['stage']})" + (f": {why}" if why else ""))
    if failed:
        sys.exit(1)


@main.command("evaluate")
@click.option("--model", required=True, help="Model to evaluate: a local folder (a merged model, or the base with --adapter).")
@click.option("--backend", "backend_kind", default="transformers", show_default=True,
              help="Generation backend: transformers (llamacpp, ollama as they are added).")
@click.option("--data", type=click.Path(path_type=Path, file_okay=False), help="Dataset folder with test.jsonl (default: collect.out).")
@click.option("--adapter", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="PEFT LoRA adapter folder (a run's output/) loaded on top of --model.")
@click.option("--baseline", help="Model to compare with on the same tasks, e.g. the base model folder.")
@click.option("--n", type=int, default=1, show_default=True, help="Samples per task (n > 1 samples at --temperature).")
@click.option("--k", default="1", show_default=True, help="pass@k values, comma-separated, each at most n (e.g. 1,5).")
@click.option("--limit", type=int, help="Only the first N test tasks.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Report folder (default: evals/<time>-<model>).")
@click.option("--context", "context_dirs", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="The plugin's sources (folder or .cs), so components deriving from its base classes can be judged (repeatable).")
@click.option("--max-new-tokens", type=int, default=1024, show_default=True)
@click.option("--temperature", type=float, help="Sampling temperature (default: 0 = greedy for n=1, 0.8 for n>1).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_context
def evaluate_cmd(ctx, model, backend_kind, data, adapter, baseline, n, k, limit, out, context_dirs, max_new_tokens,
                 temperature, seed):
    """Answer the test split, judge every answer, write report.json, report.md and report.html."""
    from .evaluate.run import run_evaluate_command

    data_dir = data or _settings(ctx).data_dir
    try:
        paths = run_evaluate_command(model, backend_kind, data_dir, adapter=adapter, baseline=baseline, n=n, k=k,
                                     limit=limit, out=out, context=context_dirs, max_new_tokens=max_new_tokens,
                                     temperature=temperature, seed=seed,
                                     progress=lambda message: click.echo(message, err=True))
    except (ValueError, OSError) as e:
        _fail(str(e))
    for path in paths.values():
        click.echo(f"wrote {path}")


if __name__ == "__main__":
    main()
