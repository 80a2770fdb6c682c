"""The `gh-ft` command: one thin click function per pipeline stage, one module per command group.

Each command builds the settings object (defaults < gh-ft.yml < flags) and calls one
module's entry function; errors the user can act on exit non-zero with one message.
Heavy modules (torch, transformers, axolotl) are imported inside the command functions,
so `gh-ft --help` stays fast.

  base.py        the `main` group, the error exit, settings and the shared options
  data.py        collect, init, config render/validate, tiny-model, check
  training.py    train, merge
  evaluation.py  judge, evaluate
  serving.py     export gguf, ollama modelfile/create, bundle create/install/watch, generate
  loop.py        feedback ingest/check, improve, runs list/rollback/prune, service ...
  pipeline.py    run
"""
from __future__ import annotations

from gh_ft.cli.base import main

# Importing the command modules registers their commands on `main`.
from gh_ft.cli import data, evaluation, loop, pipeline, serving, training  # noqa: E402,F401  isort: skip
from gh_ft.cli import base_model  # noqa: E402,F401  isort: skip  (gh-ft base-model import)

__all__ = ["main"]
