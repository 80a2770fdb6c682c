"""The `gh-ft` click group and what the command modules share: the error exit, the settings
object (resolved once: defaults < gh-ft.yml < environment < flags) and the options that
override a setting, generated from the setting itself (one definition of name, type,
default and help)."""
from __future__ import annotations

import functools
import sys
import types
import typing
from pathlib import Path
from typing import Any, Callable

import click

from gh_ft import __version__
from gh_ft.errors import EXIT_INTERRUPTED, GhFtError
from gh_ft.settings import Settings, field_meta, field_type, load_settings


def _fail(message: str, code: int = 1) -> typing.NoReturn:
    click.echo(f"gh-ft: error: {message}", err=True)
    sys.exit(code)


class GhFtGroup(click.Group):
    """Every GhFtError becomes one line on stderr and its exit code; anything else is a bug
    and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GhFtError as e:
            _fail(str(e).strip() or type(e).__name__, e.exit_code)
        except KeyboardInterrupt:
            click.echo("gh-ft: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)


@click.group(cls=GhFtGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gh-ft")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="Project file (default: ./gh-ft.yml when present). Relative paths in it are relative to it.")
@click.pass_context
def main(ctx: click.Context, config_file: Path | None) -> None:
    """Fine-tune a code model on your Grasshopper components, serve it through Ollama,
    judge what it writes and improve it from the plugin's feedback."""
    ctx.obj = {"config_file": config_file}


def _settings(ctx: click.Context, **sections: dict[str, Any]) -> Settings:
    """The settings, resolved once per command with this command's flags."""
    return load_settings(ctx.find_root().obj["config_file"], sections)


# ---------------------------------------------------------------- options from settings

def _param(path: str) -> str:
    return path.replace(".", "__")


def setting_option(path: str, **extra: Any) -> Callable:
    """A click option that overrides the setting `section.key`: its flag, type, choices and
    help come from the settings field; unset, it leaves the setting alone (default None)."""
    section, key = path.split(".")
    meta = field_meta(section, key)
    annotation = field_type(section, key)
    optional = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    base = [a for a in typing.get_args(annotation) if a is not type(None)][0] if optional else annotation
    flag = meta.get("flag") or f"--{key.replace('_', '-')}"
    kwargs: dict[str, Any] = {"default": None, "help": f"{meta['help']} [setting {path}]"}
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        kwargs.update(multiple=True, default=())
        base = item
    if meta.get("choices"):
        kwargs["type"] = click.Choice(list(meta["choices"]))
    elif base is Path:
        kwargs["type"] = click.Path(path_type=Path)
    elif base in (int, float, str):
        kwargs["type"] = base
    elif base is bool and "/" not in flag:
        kwargs["is_flag"] = True
    kwargs.update(extra)
    return click.option(flag, _param(path), **kwargs)


def overrides_from(paths: tuple[str, ...], params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The settings overrides that the given option values make (only what was given);
    removes those values from `params`."""
    overrides: dict[str, dict[str, Any]] = {}
    for path in paths:
        value = params.pop(_param(path), None)
        if value is not None and value != ():
            section, key = path.split(".")
            overrides.setdefault(section, {})[key] = list(value) if isinstance(value, tuple) else value
    return overrides


def setting_options(*paths: str) -> Callable:
    """Options for the given settings; the command receives them as `overrides`
    ({'collect': {'seed': 3}}, only what was given), ready for `_settings(ctx, **overrides)`."""
    def decorate(f: Callable) -> Callable:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return f(*args, overrides=overrides_from(paths, kwargs), **kwargs)

        for path in reversed(paths):
            wrapper = setting_option(path)(wrapper)
        return wrapper
    return decorate


TRAIN_OPTIONS = ("train.preset", "train.data_dir", "train.base_model")
