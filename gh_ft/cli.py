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

    from .check import run_check
    from .train.config import ConfigError

    settings = _settings(ctx, train=_train_overrides(preset, data, base_model))
    try:
        report = run_check(settings)
    except ConfigError as e:
        _fail(str(e))
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


@main.group("export")
def export_group():
    """Export a trained run: GGUF files for llama.cpp and Ollama."""


@export_group.command("gguf")
@click.argument("run", required=False)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Folder to write (default: RUN/export).")
@click.option("--outtype", type=click.Choice(["f32", "f16", "bf16"]),
              help="Type of the full-precision files (default: export.outtype, f16).")
@click.option("--quant", "quantizations", multiple=True,
              help="Quantized copy to make, e.g. q8_0, q4_K_M (repeatable; default: export.quantizations).")
@click.option("--no-quant", is_flag=True, help="Make no quantized copy.")
@click.option("--no-adapter", is_flag=True, help="Skip the base model and LoRA adapter GGUFs.")
@click.option("--llama-cpp", "llama_cpp_dir", type=click.Path(path_type=Path, file_okay=False),
              help="llama.cpp checkout whose converters to use (default: env GH_FT_LLAMA_CPP, else the installed "
                   "llama-cpp-python's source distribution, fetched once into ~/.cache/gh-ft).")
@click.option("--quiet", "-q", is_flag=True, help="Do not show the converters' output.")
@click.pass_context
def export_gguf_cmd(ctx, run, out, outtype, quantizations, no_quant, no_adapter, llama_cpp_dir, quiet):
    """Convert RUN (id or folder; default: the newest) to GGUF: the merged model, its quantized
    copies, the base model and the LoRA adapter, with a manifest of sha256 checksums."""
    from .export import ExportError
    from .export.gguf import export_gguf
    from .train.run import TrainError, find_run

    settings = _settings(ctx, export={"llama_cpp_dir": llama_cpp_dir, "outtype": outtype,
                                      "quantizations": list(quantizations) or None})
    e = settings.export
    try:
        result = export_gguf(find_run(settings, run).root, out, outtype=e.outtype,
                             quantizations=[] if no_quant else e.quantizations, llama_cpp_dir=e.llama_cpp_dir,
                             include_adapter=not no_adapter,
                             progress=None if quiet else (lambda line: click.echo(line, err=True)))
    except (ExportError, TrainError) as err:
        _fail(str(err))
    click.echo(result.summary())


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file and line.")
@click.option("--context", "context_dirs", multiple=True, type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Folder of the plugin's sources whose base classes the files may derive from (repeatable).")
@click.option("--no-compile", "no_compile", is_flag=True,
              help="Stop after the API stage: skip compiling with mcs.")
def judge(files, as_json, context_dirs, no_compile):
    """Run the validation ladder on C# files (or saved model replies); exit 1 when any fails."""
    import json as _json

    from .evaluate.judge import FAIL, judge_files

    results = judge_files(files, context_dirs, compile=not no_compile,
                          progress=lambda message: click.echo(message, err=True))
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
@click.option("--backend", "backend_kind", default="transformers", show_default=True,
              help="Generation backend: transformers, llamacpp (a .gguf --model) or ollama (a served model name).")
@click.option("--data", type=click.Path(path_type=Path, file_okay=False), help="Dataset folder with test.jsonl (default: collect.out).")
@click.option("--adapter", type=click.Path(path_type=Path, exists=True),
              help="LoRA adapter for --model: a PEFT folder (transformers, a run's output/) or a GGUF LoRA (llamacpp).")
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
    from .pipeline import Pipeline, render_summary

    settings = _settings(ctx, collect={"context_dir": context_dir}, train=_train_overrides(preset))
    result = Pipeline(settings, echo=click.echo, force=force, ollama=not no_ollama, progress=not quiet).run()
    click.echo(render_summary(result))
    if not result.ok:
        sys.exit(1)


@main.group()
def feedback():
    """The plugin's feedback files: check them against the contract, ingest them."""


@feedback.command("ingest")
@click.option("--from", "from_dir", type=click.Path(path_type=Path, file_okay=False),
              help="The plugin's GenerationFeedback folder (default: feedback.from_dir).")
@_data_opt
@click.option("--min-age", type=float, help="Leave files changed less than this many seconds ago for the next round.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
def feedback_ingest(ctx, from_dir, data, min_age, as_json, quiet):
    """Validate feedback files, drop duplicates and test-set near-copies, append the rest to
    DATA/feedback.jsonl, then archive them to FROM/processed/ (bad ones to FROM/quarantine/
    with a reason file). Exit 0 when done, 1 on an error, 3 when another ingest is running."""
    import json as _json

    from .feedback import IngestError, LockBusy, ingest_feedback
    from .progress import progress_bar

    settings = _settings(ctx, feedback={"from_dir": from_dir, "min_age_s": min_age}, train={"data_dir": data})
    fb = settings.feedback
    if fb.from_dir is None:
        _fail("no feedback folder: pass --from DIR or set feedback.from_dir in gh-ft.yml", 2)
    try:
        with progress_bar("checking feedback", enabled=not (quiet or as_json)) as advance:
            report = ingest_feedback(fb.from_dir, settings.data_dir, min_age_s=fb.min_age_s, max_file_kb=fb.max_file_kb,
                                     incomplete_grace_s=fb.incomplete_grace_s, progress=advance,
                                     near_duplicate_threshold=settings.collect.near_duplicate_threshold)
    except LockBusy:
        _fail(f"another feedback ingest is running on {settings.data_dir}", 3)
    except IngestError as e:
        _fail(str(e))
    click.echo(_json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else "\n".join(report.lines()))


@feedback.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.pass_context
def feedback_check(ctx, files):
    """Check feedback files against the contract (JSON, fields, C# parse, a component class);
    exit 1 when any fails. Duplicates and test leaks are judged by `ingest`, against the data."""
    from .feedback import FeedbackIncomplete, FeedbackInvalid, parse_feedback

    max_bytes = _settings(ctx).feedback.max_file_kb * 1024
    failed = False
    for f in files:
        try:
            parse_feedback(f.read_bytes(), max_bytes)
        except FeedbackIncomplete as e:
            click.echo(f"{f}: incomplete: {e}")
            failed = True
        except FeedbackInvalid as e:
            click.echo(f"{f}: invalid: {e}")
            failed = True
        else:
            click.echo(f"{f}: ok")
    if failed:
        sys.exit(1)



# ---- serving: Ollama, bundles, generate ------------------------------------------------------------

_host_opt = click.option("--host", help="Ollama server (default: ollama.host, else OLLAMA_HOST, else 127.0.0.1:11434).")
_quant_opt = click.option("--quantization", help="Which exported file FROM uses: q4_K_M, q8_0, f16, ... "
                                                 "(default: ollama.quantization).")
_adapter_mode_opt = click.option("--adapter", "use_adapter", is_flag=True,
                                 help="FROM the base model plus ADAPTER the GGUF LoRA, instead of the merged model.")


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _serving_errors():
    from .export import ExportError
    from .export.bundle import BundleError
    from .export.modelfile_syntax import ModelfileError
    from .export.ollama import OllamaError
    from .train.run import TrainError

    return (ExportError, BundleError, ModelfileError, OllamaError, TrainError, OSError)


@main.group("ollama")
def ollama_group():
    """Serve a run through Ollama: the Modelfile (training prompt format as TEMPLATE/SYSTEM) and the model."""


@ollama_group.command("modelfile")
@click.argument("run", required=False)
@_quant_opt
@_adapter_mode_opt
@click.pass_context
def ollama_modelfile(ctx, run, quantization, use_adapter):
    """Export RUN (id or folder; default: the newest) to GGUF if needed and write its Modelfile
    beside the export, for `ollama create NAME -f runs/<id>/export/Modelfile` by hand."""
    from .export.ollama import prepare_modelfile

    settings = _settings(ctx)
    try:
        path = prepare_modelfile(settings, run, use_adapter=use_adapter, quantization=quantization,
                                 progress=_progress)
    except _serving_errors() as e:
        _fail(str(e))
    click.echo(f"wrote {path}")


@ollama_group.command("create")
@click.argument("run", required=False)
@click.option("--name", help="Model name in Ollama (default: ollama.model_name).")
@click.option("--modelfile", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Create from this Modelfile instead of a run's export.")
@_host_opt
@_quant_opt
@_adapter_mode_opt
@click.pass_context
def ollama_create(ctx, run, name, modelfile, host, quantization, use_adapter):
    """Create the model in Ollama from RUN's export (exported and its Modelfile written first if
    needed), through the ollama client; the Modelfile stays beside the export."""
    from .export.ollama import create_for_run, create_model, settings_host

    settings = _settings(ctx)
    try:
        if modelfile:
            if run or quantization or use_adapter:
                _fail("--modelfile creates from that file: RUN, --quantization and --adapter do not apply", 2)
            created = create_model(name or settings.ollama.model_name, modelfile,
                                   host=host or settings_host(settings.ollama.host), progress=_progress)
        else:
            modelfile, created = create_for_run(settings, run, name=name, host=host, use_adapter=use_adapter,
                                                quantization=quantization, progress=_progress)
    except _serving_errors() as e:
        _fail(str(e))
    click.echo(f"created {created.name} at {created.host} from {modelfile}")


@main.group()
def bundle():
    """Carry a served model to another machine: one tar with the GGUF files, Modelfile and checksums."""


@bundle.command("create")
@click.argument("run", required=False)
@click.option("--modelfile", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Bundle this Modelfile and its files instead of a run's export.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Bundle file (default: NAME.ollama-bundle.tar).")
@click.option("--name", help="The model name the bundle installs as (default: ollama.model_name).")
@_quant_opt
@_adapter_mode_opt
@click.pass_context
def bundle_create(ctx, run, modelfile, out, name, quantization, use_adapter):
    """Bundle RUN's Modelfile and the files it names (default: the newest run, exported if needed)."""
    from .export.bundle import SUFFIX, make_bundle
    from .export.ollama import check_model_name, prepare_modelfile

    settings = _settings(ctx)
    name = name or settings.ollama.model_name
    try:
        check_model_name(name)
        if modelfile is None:
            modelfile = prepare_modelfile(settings, run, use_adapter=use_adapter, quantization=quantization,
                                          progress=_progress)
        path = make_bundle(modelfile, out or Path(name.replace("/", "_").replace(":", "_") + SUFFIX),
                           model_name=name, progress=_progress)
    except _serving_errors() as e:
        _fail(str(e))
    click.echo(f"wrote {path}")


@bundle.command("install")
@click.argument("bundle_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--name", help="Model name in Ollama (default: the name it was bundled under).")
@_host_opt
@click.option("--keep", "keep_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Extract into this new folder and keep it (default: a temporary folder, removed afterwards).")
@click.pass_context
def bundle_install(ctx, bundle_file, name, host, keep_dir):
    """Verify every checksum of BUNDLE_FILE and create its model in Ollama."""
    from .export.bundle import install_bundle
    from .export.ollama import settings_host

    settings = _settings(ctx)
    try:
        done = install_bundle(bundle_file, name=name, host=host or settings_host(settings.ollama.host),
                              dest_dir=keep_dir, progress=_progress)
    except _serving_errors() as e:
        _fail(str(e))
    click.echo(f"installed {done.model.name} at {done.model.host}" + (f"; files in {done.kept_dir}" if done.kept_dir else ""))


@main.command()
@click.argument("instruction")
@click.option("--model", required=True, help="A local model folder (transformers), a GGUF file (llamacpp) or an Ollama model name.")
@click.option("--backend", "backend_kind", default="transformers", show_default=True,
              help="transformers, llamacpp or ollama.")
@click.option("--adapter", type=click.Path(path_type=Path, exists=True),
              help="LoRA adapter for --model: a PEFT folder (transformers) or a GGUF LoRA (llamacpp).")
@click.option("--compare", "compare_model", help="A second model (same backend, no adapter), e.g. the base, answered after the first.")
@click.option("--input", "input_text", default="", help="The optional input/context section of the prompt.")
@_host_opt
@click.option("--max-new-tokens", type=int, default=512, show_default=True)
@click.option("--temperature", type=float, default=0.0, show_default=True, help="0 is greedy.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--side-by-side", is_flag=True, help="Answers in columns instead of one after another.")
@click.option("--json", "as_json", is_flag=True, help="Print the answers as JSON.")
@click.pass_context
def generate(ctx, instruction, model, backend_kind, adapter, compare_model, input_text, host, max_new_tokens,
             temperature, seed, side_by_side, as_json):
    """Answer INSTRUCTION with a model, in the training prompt format (and with --compare a second model)."""
    import shutil

    from .export.ollama import settings_host
    from .generate import answers_json, format_answers, generate_answers

    shared = {}
    if backend_kind == "ollama":
        if adapter:
            _fail("--adapter is for --backend transformers or llamacpp; an Ollama model carries its adapter", 2)
        shared["host"] = host or settings_host(_settings(ctx).ollama.host)
    elif host:
        _fail("--host is for --backend ollama", 2)
    models = [(model, {**shared, **({"adapter": str(adapter)} if adapter else {})})]
    if compare_model:
        models.append((compare_model, shared))
    try:
        answers = generate_answers(backend_kind, models, instruction, input=input_text, max_new_tokens=max_new_tokens,
                                   temperature=temperature, seed=seed)
    except (ValueError, *_serving_errors()) as e:
        _fail(str(e))
    if as_json:
        click.echo(answers_json(answers))
    else:
        click.echo(format_answers(answers, side_by_side=side_by_side, width=shutil.get_terminal_size().columns), nl=False)

# ---- the improve loop, its registry, the outbox watcher and the service (improve.py, runs.py,
# serving.py, service.py)

@main.command()
@click.option("--once", "mode", flag_value="once", help="One round, then exit.")
@click.option("--watch", "mode", flag_value="watch", help="A round every --interval seconds until SIGTERM.")
@click.option("--interval", type=float, help="Seconds between rounds with --watch (default: improve.interval_s).")
@click.option("--min-examples", type=int,
              help="New feedback examples needed before a retrain (default: improve.min_examples; 0: whenever the "
                   "training data changed).")
@click.pass_context
def improve(ctx, mode, interval, min_examples):
    """Ingest feedback, train a new version when enough is new, evaluate it against the
    promoted one on the same tests, promote it only if it is not worse. Exit 0 when a round
    ran (promoted, refused or nothing to do), 1 when it failed, 3 when another loop runs."""
    from .files import LockBusy
    from .improve import EXIT_BUSY, default_train_echo, run_loop
    from .runs import RegistryError

    if mode is None:
        _fail("choose --once or --watch", 2)
    settings = _settings(ctx, improve={"interval_s": interval, "min_examples": min_examples})
    try:
        result = run_loop(settings, watch=mode == "watch", echo=click.echo, train_echo=default_train_echo())
    except LockBusy as e:
        _fail(str(e), EXIT_BUSY)
    except (RegistryError, RuntimeError, ValueError, OSError) as e:
        _fail(str(e))
    if result is not None and result.exit_code:
        sys.exit(result.exit_code)


@main.group()
def runs():
    """The versions the improve loop trained: list them, roll back, prune old run folders."""


@runs.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per version.")
@click.pass_context
def runs_list(ctx, as_json):
    """Every version: verdict, scores, data, run folder; * marks the promoted one."""
    import json as _json

    from .improve import runs_dir_of
    from .runs import Registry, RegistryError, current_row, describe, format_table

    registry = Registry(runs_dir_of(_settings(ctx)))
    try:
        rows = registry.rows()
    except RegistryError as e:
        _fail(str(e))
    cur = current_row(rows)
    if as_json:
        for row in rows:
            click.echo(_json.dumps(row, ensure_ascii=False))
    elif not rows:
        click.echo(f"no versions in {registry.path} yet (gh-ft improve makes them)")
    else:
        click.echo(format_table([describe(r, cur["version"] if cur else None) for r in rows]))


@runs.command("rollback")
@click.argument("version")
@click.pass_context
def runs_rollback(ctx, version):
    """Serve VERSION (e.g. v3) again: runs/latest, the Ollama name and the outbox point at it."""
    from .improve import rollback
    from .runs import RegistryError, parse_version, tag

    settings = _settings(ctx)
    try:
        row = rollback(settings, parse_version(version), echo=click.echo)
    except (RegistryError, RuntimeError, ValueError, OSError) as e:
        _fail(str(e))
    click.echo(f"{tag(row['version'])} is the promoted version again ({row['run_dir']})")


@runs.command("prune")
@click.option("--keep", type=int, help="Versions to keep (default: improve.keep_runs); the promoted one and the one "
                                       "before it are always kept.")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@click.pass_context
def runs_prune(ctx, keep, dry_run):
    """Remove old versions' run folders (a 7B run leaves ~13 GB); the registry keeps their rows."""
    from .improve import runs_dir_of
    from .runs import Registry, RegistryError, human_bytes, tag

    settings = _settings(ctx)
    try:
        removed = Registry(runs_dir_of(settings)).prune(settings.improve.keep_runs if keep is None else keep,
                                                        dry_run=dry_run)
    except RegistryError as e:
        _fail(str(e))
    verb = "would remove" if dry_run else "removed"
    for row, size in removed:
        click.echo(f"{verb} {tag(row['version'])}: {row['run_dir']} ({human_bytes(size)})")
    click.echo(f"{verb} {len(removed)} run folder(s), {human_bytes(sum(s for _, s in removed))}")


@bundle.command("watch")
@click.option("--from", "outbox", type=click.Path(path_type=Path, file_okay=False),
              help="The outbox the trainer publishes to (default: improve.outbox).")
@click.option("--once", is_flag=True, help="Look once, then exit.")
@click.option("--interval", type=float, default=30.0, show_default=True, help="Seconds between looks.")
@click.option("--state", "state_path", type=click.Path(path_type=Path, dir_okay=False),
              help="What this machine installed (default: .gh-ft/bundle-watch.json in the project).")
@click.pass_context
def bundle_watch(ctx, outbox, once, interval, state_path):
    """Install the outbox's promoted bundle into the local Ollama under the plugin's model
    name, whenever the trainer promotes (or rolls back to) a version. Exit 3 when another
    watcher uses the same state file."""
    from .files import LockBusy
    from .improve import EXIT_BUSY
    from .outbox import OutboxError
    from .serving import bundle_watch as watch

    settings = _settings(ctx)
    outbox = outbox or settings.improve.outbox
    if outbox is None:
        _fail("no outbox: pass --from OUTBOX or set improve.outbox", 2)
    try:
        result = watch(settings, outbox, state_path=state_path, once=once, interval_s=interval, echo=click.echo)
    except LockBusy:
        _fail("another bundle watch uses the same state file", EXIT_BUSY)
    except (OutboxError, *_serving_errors(), RuntimeError, ValueError, OSError) as e:
        _fail(str(e))
    if result is not None:
        click.echo(result.message)
        if result.action == "failed":
            sys.exit(1)


_role_opt = click.option("--role", type=click.Choice(["trainer", "watcher"]), default="trainer", show_default=True,
                         help="trainer: `gh-ft improve --watch`; watcher: `gh-ft bundle watch`.")


def _service_spec(ctx, role, outbox=None):
    from .service import ServiceError, service_spec

    try:
        return service_spec(_settings(ctx), role, outbox=outbox)
    except ServiceError as e:
        _fail(str(e), 2)


@main.group()
def service():
    """Keep the trainer loop or the workstation's watcher running (launchd on macOS, systemd --user on Linux)."""


@service.command("install")
@_role_opt
@click.option("--from", "outbox", type=click.Path(path_type=Path, file_okay=False),
              help="The outbox the watcher reads (default: improve.outbox).")
@click.option("--dry-run", is_flag=True, help="Print the file and the commands instead.")
@click.pass_context
def service_install(ctx, role, outbox, dry_run):
    """Render the launchd/ template into a LaunchAgent (launchctl bootstrap gui/$UID) or a
    user unit (systemctl --user enable --now), and start it."""
    from .service import ServiceError, install

    spec = _service_spec(ctx, role, outbox)
    try:
        plan = install(_settings(ctx), spec, dry_run=dry_run)
    except ServiceError as e:
        _fail(str(e))
    if dry_run:
        click.echo(f"# {plan.file}\n{plan.text}", nl=False)
        click.echo("# would run:\n" + "\n".join(" ".join(c) for c in plan.commands))
    else:
        click.echo(f"wrote {plan.file}")
    for note in plan.notes:
        click.echo(note)


def _installed_spec(ctx, role):
    """The spec for uninstall/status/logs: its label and log paths do not depend on the outbox."""
    return _service_spec(ctx, role, Path("/"))


@service.command("uninstall")
@_role_opt
@click.option("--dry-run", is_flag=True, help="Print the commands instead.")
@click.pass_context
def service_uninstall(ctx, role, dry_run):
    """Stop the service (launchctl bootout / systemctl --user disable --now) and remove its file."""
    from .service import ServiceError, uninstall

    try:
        plan = uninstall(_installed_spec(ctx, role), dry_run=dry_run)
    except ServiceError as e:
        _fail(str(e))
    if dry_run:
        click.echo("\n".join(" ".join(c) for c in plan.commands) + f"\nrm {plan.file}")
    for note in plan.notes:
        click.echo(note)


@service.command("status")
@_role_opt
@click.pass_context
def service_status(ctx, role):
    """What launchctl print / systemctl status say; exit 3 when it is not running."""
    from .service import ServiceError, status

    try:
        running, text = status(_installed_spec(ctx, role))
    except ServiceError as e:
        _fail(str(e))
    click.echo(text)
    if not running:
        sys.exit(3)


@service.command("logs")
@_role_opt
@click.option("--lines", "-n", type=int, default=50, show_default=True)
@click.pass_context
def service_logs(ctx, role, lines):
    """The last lines of the service's output and error logs."""
    from .service import logs

    click.echo(logs(_installed_spec(ctx, role), lines))


if __name__ == "__main__":
    main()
