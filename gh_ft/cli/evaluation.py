"""Evaluation commands: judge, evaluate."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from gh_ft.cli.base import _settings, main, setting_options


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file and line.")
@click.option("--context", "context_dirs", multiple=True, type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Folder of the plugin's sources whose base classes the files may derive from (repeatable).")
@click.option("--no-compile", "no_compile", is_flag=True,
              help="Stop after the API stage: skip compiling with mcs.")
@click.option("--reference", "references", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="A DLL the plugin uses, or a folder of them such as its bin/ (repeatable).")
def judge(files, as_json, context_dirs, no_compile, references):
    """Run the validation ladder on C# files (or saved model replies); exit 1 when any fails."""
    import json as _json

    from gh_ft.judge.ladder import FAIL, judge_files

    results = judge_files(files, context_dirs, compile=not no_compile,
                          progress=lambda message: click.echo(message, err=True), references=references)
    for result in results:
        if as_json:
            click.echo(_json.dumps(result, ensure_ascii=False))
        else:
            why = ("; ".join(result["reasons"])) if result["reasons"] else ""
            click.echo(f"{result['path']}: {result['verdict']} ({result['stage']})" + (f": {why}" if why else ""))
    if any(r["verdict"] == FAIL for r in results):
        sys.exit(1)


@main.command("evaluate")
@click.option("--model", required=True, help="Model to evaluate: a local folder (a merged model, or the base with --adapter).")
@setting_options("evaluate.backend", "train.data_dir", "evaluate.limit", "evaluate.context", "evaluate.references",
                 "evaluate.max_new_tokens")
@click.option("--adapter", type=click.Path(path_type=Path, exists=True),
              help="LoRA adapter for --model: a PEFT folder (transformers, a run's output/) or a GGUF LoRA (llamacpp).")
@click.option("--baseline", help="Model to compare with on the same tasks, e.g. the base model folder.")
@click.option("--n", type=int, default=1, show_default=True, help="Samples per task (n > 1 samples at --temperature).")
@click.option("--k", default="1", show_default=True, help="pass@k values, comma-separated, each at most n (e.g. 1,5).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Report folder (default: evals/<time>-<model>).")
@click.option("--temperature", type=float, help="Sampling temperature (default: 0 = greedy for n=1, 0.7 for n>1).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_context
def evaluate_cmd(ctx, model, overrides, adapter, baseline, n, k, out, temperature, seed):
    """Answer the test split, judge every answer, write report.json, report.md and report.html."""
    from gh_ft import stages

    _, paths = stages.evaluate(_settings(ctx, **overrides), model=model, adapter=adapter and str(adapter),
                               baseline=baseline, n=n, k=k, out=out and out.absolute(), temperature=temperature,
                               seed=seed, progress=lambda message: click.echo(message, err=True))
    for path in paths.values():
        click.echo(f"wrote {path}")


@main.command("report")
@click.argument("where", required=False, type=click.Path(path_type=Path, exists=True))
@click.option("--task", help="Task id (test-003) or position (3) to show; default the first.")
@click.option("--one-after-another", is_flag=True, help="Answers one after another instead of side by side.")
@click.option("--width", type=int, help="Columns to lay the answers out in (default: the terminal's).")
@click.pass_context
def report_cmd(ctx, where, task, one_after_another, width):
    """Print an evaluation report: the summary, then one task's answers from the model and the
    baseline with their verdicts. WHERE: a report.json, its folder or a run folder (default:
    the newest report of the project's runs and evals)."""
    import json as _json
    import shutil

    from gh_ft.evaluate.report import render_text
    from gh_ft.evaluate.run import ReportError, find_report

    path = find_report(_settings(ctx), where)
    try:
        report = _json.loads(path.read_text(encoding="utf-8"))
        text = render_text(report, task, side_by_side=not one_after_another,
                           width=width or shutil.get_terminal_size().columns)
    except (ValueError, KeyError, TypeError) as e:
        raise ReportError(f"{path}: {e}") from None
    click.echo(f"{path}\n{text}", nl=False)
