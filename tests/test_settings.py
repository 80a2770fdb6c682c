"""The one settings object: every setting from its default and from the project file, every
setting that has an environment variable or a command-line flag from those too; the order
defaults < file < environment < flags; every path absolute, relative to the file that named it."""
from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from gh_ft.cli import main
from gh_ft.cli.base import overrides_from
from gh_ft.settings import SECTIONS, SettingsError, field_type, load_settings

ALL = [(name, f) for name, cls in SECTIONS.items() for f in dataclasses.fields(cls)]
IDS = [f"{name}.{f.name}" for name, f in ALL]


def _base(annotation):
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return args[0] if typing.get_origin(annotation) in (typing.Union, __import__("types").UnionType) else annotation


def _other_value(section: str, f) -> object:
    """A valid value for the setting that differs from its default (as YAML would give it)."""
    base = _base(field_type(section, f.name))
    choices = f.metadata.get("choices")
    if choices:
        return [c for c in choices if c != f.default][0]
    if base is Path:
        return f"elsewhere/{f.name}"
    if base is bool:
        return not f.default if isinstance(f.default, bool) else True
    if base is int:
        return 7
    if base is float:
        return 0.25 if section != "collect" or f.name != "near_duplicate_threshold" else 0.9
    if base is str:
        return f"custom-{f.name}"
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        return ["one/x", "two/y"] if item is Path else ["a", "b"]
    raise AssertionError(f"no sample value for {section}.{f.name}: {base}")


def _expected(value, section: str, key: str, base_dir: Path):
    base = _base(field_type(section, key))
    if base is Path:
        return base_dir / value
    if typing.get_origin(base) is list and typing.get_args(base)[0] is Path:
        return [base_dir / v for v in value]
    if base is float:
        return float(value)
    return value


@pytest.mark.parametrize(("section", "f"), ALL, ids=IDS)
def test_every_setting_from_its_default(section, f, tmp_path):
    settings = load_settings(cwd=tmp_path, environ={})
    default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    value = getattr(getattr(settings, section), f.name)
    if isinstance(default, Path):
        assert value == tmp_path / default  # built-in defaults: relative to the project folder
    elif isinstance(default, list) and default and isinstance(default[0], Path):
        assert value == [tmp_path / d for d in default]
    else:
        assert value == default
    assert settings.sources.get(f"{section}.{f.name}", "default") == "default"


@pytest.mark.parametrize(("section", "f"), ALL, ids=IDS)
def test_every_setting_from_a_project_file_in_a_subfolder(section, f, tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    value = _other_value(section, f)
    (sub / "gh-ft.yml").write_text(yaml.safe_dump({section: {f.name: value}}))
    settings = load_settings("sub/gh-ft.yml", cwd=tmp_path, environ={})  # from the parent folder
    assert getattr(getattr(settings, section), f.name) == _expected(value, section, f.name, sub)
    assert settings.sources[f"{section}.{f.name}"] == f"file {sub / 'gh-ft.yml'}"
    assert settings.project_dir == sub and settings.project_file == sub / "gh-ft.yml"


ENV_SETTINGS = [(name, f) for name, f in ALL if f.metadata.get("env")]


def test_the_environment_variables_are_the_documented_ones():
    assert sorted(f.metadata["env"] for _, f in ENV_SETTINGS) == ["GH_FT_LLAMA_CPP", "OLLAMA_HOST"]


@pytest.mark.parametrize(("section", "f"), ENV_SETTINGS, ids=[f"{n}.{f.name}" for n, f in ENV_SETTINGS])
def test_environment_beats_the_file_and_a_flag_beats_the_environment(section, f, tmp_path):
    var = f.metadata["env"]
    base = _base(field_type(section, f.name))
    file_value, env_value, flag_value = ("from-file", "from-env", "from-flag") if base is str else \
        ("file/dir", "env/dir", "flag/dir")
    (tmp_path / "gh-ft.yml").write_text(yaml.safe_dump({section: {f.name: file_value}}))
    s = load_settings(cwd=tmp_path, environ={var: env_value})
    assert getattr(getattr(s, section), f.name) == _expected(env_value, section, f.name, tmp_path)
    assert s.sources[f"{section}.{f.name}"] == f"env {var}"
    s = load_settings(cwd=tmp_path, environ={var: env_value}, overrides={section: {f.name: flag_value}})
    assert getattr(getattr(s, section), f.name) == _expected(flag_value, section, f.name, tmp_path)
    assert s.sources[f"{section}.{f.name}"] == "flag"
    s = load_settings(cwd=tmp_path, environ={var: ""})  # an empty variable is no value
    assert getattr(getattr(s, section), f.name) == _expected(file_value, section, f.name, tmp_path)


def _setting_options():
    """(command path, option, settings path) for every option generated from a setting."""
    found = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        for p in cmd.params:
            if isinstance(p, click.Option) and "__" in (p.name or ""):
                found.append((path, p, p.name.replace("__", ".")))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, path + [name])
    walk(main, [])
    return found


OPTIONS = _setting_options()


def test_every_stage_verb_has_its_settings_as_options():
    have = {(" ".join(path), setting) for path, _, setting in OPTIONS}
    for verb, setting in [("collect", "collect.context_dir"), ("collect", "collect.out"), ("check", "train.preset"),
                          ("train", "train.launcher"), ("evaluate", "evaluate.max_new_tokens"),
                          ("evaluate", "train.data_dir"), ("export gguf", "export.llama_cpp_dir"),
                          ("feedback ingest", "feedback.from_dir"), ("improve", "improve.min_examples"),
                          ("run", "collect.context_dir")]:
        assert (verb, setting) in have


@pytest.mark.parametrize(("path", "option", "setting"), OPTIONS,
                         ids=[f"{' '.join(p)}:{o.opts[0]}" for p, o, _ in OPTIONS])
def test_every_setting_flag_overrides_the_file(path, option, setting, tmp_path):
    section, key = setting.split(".")
    f = next(f for f in dataclasses.fields(SECTIONS[section]) if f.name == key)
    value = _other_value(section, f)
    (tmp_path / "gh-ft.yml").write_text(yaml.safe_dump({section: {key: f.default if not isinstance(
        f.default, Path) else str(f.default)}}) if f.default is not dataclasses.MISSING and f.default is not None else "")
    cmd = main
    for name in path:
        cmd = cmd.commands[name]
    if option.is_flag and option.secondary_opts:
        args = [option.opts[0] if value else option.secondary_opts[0]]
    elif option.multiple:
        args = [a for v in value for a in (option.opts[0], v)]
    else:
        args = [option.opts[0], str(value)]
    ctx = cmd.make_context(" ".join(path), args + ([] if not cmd.params or not any(
        p.required for p in cmd.params if p.name != option.name) else _required_args(cmd)), resilient_parsing=False)
    overrides = overrides_from((setting,), dict(ctx.params))
    s = load_settings(cwd=tmp_path, environ={}, overrides=overrides)
    assert getattr(getattr(s, section), key) == _expected(value, section, key, tmp_path)
    assert s.sources[setting] == "flag"
    # The help text is the setting's own (one definition of name, type, default and help).
    assert f.metadata["help"] in option.help and setting in option.help


def _required_args(cmd: click.Command) -> list[str]:
    args = []
    for p in cmd.params:
        if p.required and isinstance(p, click.Option):
            args += [p.opts[0], "x"]
        elif p.required and isinstance(p, click.Argument):
            args.append("x")
    return args


def test_unknown_keys_and_bad_values_are_one_line_errors(tmp_path):
    (tmp_path / "gh-ft.yml").write_text("collect:\n  sed: 3\n")
    with pytest.raises(SettingsError, match="unknown setting 'sed' \\(did you mean 'seed'\\?\\)"):
        load_settings(cwd=tmp_path)
    (tmp_path / "gh-ft.yml").write_text("trian:\n  preset: x\n")
    with pytest.raises(SettingsError, match="did you mean 'train'"):
        load_settings(cwd=tmp_path)
    (tmp_path / "gh-ft.yml").write_text("train:\n  launcher: slurm\n")
    with pytest.raises(SettingsError, match="train.launcher must be one of"):
        load_settings(cwd=tmp_path)
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "gh-ft.yml"), "settings"])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "gh-ft: error:" in result.output
    with pytest.raises(SettingsError, match="project file not found"):
        load_settings("nowhere.yml", cwd=tmp_path)


def test_settings_are_frozen_and_replace_makes_a_copy(tmp_path):
    s = load_settings(cwd=tmp_path, environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.collect.seed = 3  # type: ignore[misc]
    t = s.replace(collect={"seed": 3, "out": "elsewhere"})
    assert (s.collect.seed, t.collect.seed) == (42, 3) and t.collect.out == Path.cwd() / "elsewhere"
    assert t.sources["collect.seed"] == "flag"


def test_a_preset_or_base_model_given_as_a_path_is_relative_to_its_file(tmp_path):
    sub = tmp_path / "sub"
    (sub / "my").mkdir(parents=True)
    (sub / "my" / "preset.yml").write_text("base_model: tiny\naxolotl: {}\n")
    (sub / "model").mkdir()
    (sub / "gh-ft.yml").write_text("train:\n  preset: my/preset.yml\n  base_model: model\n")
    s = load_settings(sub / "gh-ft.yml", cwd=tmp_path)
    assert s.train.preset == str(sub / "my" / "preset.yml") and s.train.base_model == str(sub / "model")
    hub = load_settings(cwd=tmp_path, overrides={"train": {"preset": "tiny-cpu", "base_model": "org/model"}})
    assert (hub.train.preset, hub.train.base_model) == ("tiny-cpu", "org/model")  # names stay names


def test_gh_ft_settings_prints_every_value_with_its_source(tmp_path, monkeypatch):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "gh-ft.yml").write_text("collect:\n  out: data\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:5")
    result = CliRunner().invoke(main, ["--config", "sub/gh-ft.yml", "settings", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)["settings"]
    assert data["collect.out"] == {"value": str(sub / "data"), "source": f"file {sub / 'gh-ft.yml'}"}
    assert data["ollama.host"] == {"value": "http://127.0.0.1:5", "source": "env OLLAMA_HOST"}
    assert data["collect.seed"]["source"] == "default"
    assert len(data) == len(ALL)
    text = CliRunner().invoke(main, ["--config", "sub/gh-ft.yml", "settings"]).output
    assert f"(file {sub / 'gh-ft.yml'})" in text and "(env OLLAMA_HOST)" in text
