"""Serving commands: export gguf, ollama modelfile/create, bundle create/install/watch, generate."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from gh_ft.cli.base import _fail, _settings, main, setting_options


_host_opt = click.option("--host", help="Ollama server (default: setting ollama.host, which OLLAMA_HOST sets).")
_quant_opt = click.option("--quantization", help="Which exported file FROM uses: q4_K_M, q8_0, f16, ... "
                                                 "(default: ollama.quantization).")
_adapter_mode_opt = click.option("--adapter", "use_adapter", is_flag=True,
                                 help="FROM the base model plus ADAPTER the GGUF LoRA, instead of the merged model.")


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _serving_errors():
    from gh_ft.export import ExportError
    from gh_ft.export.bundle import BundleError
    from gh_ft.export.modelfile_syntax import ModelfileError
    from gh_ft.export.ollama import OllamaError
    from gh_ft.train.run import TrainError

    return (ExportError, BundleError, ModelfileError, OllamaError, TrainError, OSError)


@main.group("export")
def export_group():
    """Export a trained run: GGUF files for llama.cpp and Ollama."""


@export_group.command("gguf")
@click.argument("run", required=False)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Folder to write (default: RUN/export).")
@setting_options("export.outtype", "export.quantizations", "export.llama_cpp_dir")
@click.option("--no-quant", is_flag=True, help="Make no quantized copy.")
@click.option("--no-adapter", is_flag=True, help="Skip the base model and LoRA adapter GGUFs.")
@click.option("--quiet", "-q", is_flag=True, help="Do not show the converters' output.")
@click.pass_context
def export_gguf_cmd(ctx, run, out, overrides, no_quant, no_adapter, quiet):
    """Convert RUN (id or folder; default: the newest) to GGUF: the merged model, its quantized
    copies, the base model and the LoRA adapter, with a manifest of sha256 checksums."""
    from gh_ft import stages

    result = stages.export(_settings(ctx, **overrides), run, out=out and out.absolute(),
                           quantizations=[] if no_quant else None, include_adapter=not no_adapter,
                           progress=None if quiet else (lambda line: click.echo(line, err=True)))
    click.echo(result.summary())


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
    from gh_ft import stages

    path = stages.modelfile(_settings(ctx), run, use_adapter=use_adapter, quantization=quantization,
                            progress=_progress, echo=_progress)
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
    from gh_ft import stages
    from gh_ft.export.ollama import check_server

    settings = _settings(ctx, ollama={"host": host})
    if modelfile:
        if run or quantization or use_adapter:
            _fail("--modelfile creates from that file: RUN, --quantization and --adapter do not apply", 2)
    else:
        check_server(settings.ollama.host)  # before an export that can take minutes
        modelfile = stages.modelfile(settings, run, use_adapter=use_adapter, quantization=quantization,
                                     progress=_progress, echo=_progress)
    created = stages.ollama_create(settings, modelfile, name=name, progress=_progress)
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
    from gh_ft import stages
    from gh_ft.export.bundle import SUFFIX, make_bundle
    from gh_ft.export.ollama import check_model_name

    settings = _settings(ctx)
    name = name or settings.ollama.model_name
    try:
        check_model_name(name)
        if modelfile is None:
            modelfile = stages.modelfile(settings, run, use_adapter=use_adapter, quantization=quantization,
                                         progress=_progress, echo=_progress)
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
    from gh_ft.export.bundle import install_bundle

    settings = _settings(ctx, ollama={"host": host})
    try:
        done = install_bundle(bundle_file, name=name, host=settings.ollama.host,
                              dest_dir=keep_dir, progress=_progress)
    except _serving_errors() as e:
        _fail(str(e))
    click.echo(f"installed {done.model.name} at {done.model.host}" + (f"; files in {done.kept_dir}" if done.kept_dir else ""))


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
    from gh_ft.files import LockBusy
    from gh_ft.loop.improve import EXIT_BUSY
    from gh_ft.serve.outbox import OutboxError
    from gh_ft.serve.publish import bundle_watch as watch

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

    from gh_ft.evaluate.generate import answers_json, format_answers, generate_answers

    shared = {}
    if backend_kind == "ollama":
        if adapter:
            _fail("--adapter is for --backend transformers or llamacpp; an Ollama model carries its adapter", 2)
        shared["host"] = _settings(ctx, ollama={"host": host}).ollama.host
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
