"""The CLI as a user runs it: default paths (no path set by the test), a project file in a
subfolder named from its parent folder, and environment variables. Each bug that the one
settings object fixed has a test here that failed before it."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from gh_ft.cli import main
from gh_ft.errors import GhFtError

from conftest import SAMPLE


def gh_ft(*args: str, code: int = 0):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output + (repr(result.exception) if result.exception else "")
    return result


def test_defaults_from_the_project_folder(tmp_path, monkeypatch):
    """No project file, no flags: ./context is read and ./dataset written, where the user is."""
    shutil.copytree(SAMPLE / "src", tmp_path / "context")
    monkeypatch.chdir(tmp_path)
    gh_ft("collect", "-q")
    assert (tmp_path / "dataset" / "train.jsonl").is_file() and (tmp_path / "dataset" / "manifest.json").is_file()
    shown = json.loads(gh_ft("settings", "--json").output)
    assert shown["project_file"] is None and shown["project_dir"] == str(tmp_path)
    assert shown["settings"]["collect.out"] == {"value": str(tmp_path / "dataset"), "source": "default"}
    assert shown["settings"]["train.runs_dir"]["value"] == str(tmp_path / "runs")


def test_a_bad_project_file_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gh-ft.yml").write_text("collect:\n  out: [unclosed\n")
    result = gh_ft("collect", code=2)
    assert result.output.startswith("gh-ft: error:") and result.output.count("\n") == 1


def _capture_evaluation(monkeypatch) -> dict:
    seen: dict = {}

    class Stop(GhFtError):
        pass

    def fake_evaluate(data_dir, backend, **kw):
        seen.update(kw, data_dir=Path(data_dir))
        raise Stop("stopped before any model loads")

    monkeypatch.setattr("gh_ft.evaluate.run.evaluate", fake_evaluate)
    return seen


def test_evaluate_takes_its_defaults_from_the_settings(tmp_path, monkeypatch):
    """Was: `gh-ft evaluate` had its own --max-new-tokens default (1024) and ignored
    evaluate.max_new_tokens; its data folder defaulted to data/dataset."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "gh-ft.yml").write_text(yaml.safe_dump({"collect": {"out": "data", "context_dir": "src"},
                                                   "evaluate": {"max_new_tokens": 77, "limit": 3}}))
    monkeypatch.chdir(tmp_path)
    seen = _capture_evaluation(monkeypatch)
    result = gh_ft("--config", "sub/gh-ft.yml", "evaluate", "--model", "m", code=1)
    assert "stopped before any model loads" in result.output
    assert seen["max_new_tokens"] == 77 and seen["limit"] == 3 and seen["data_dir"] == sub / "data"
    seen.clear()
    gh_ft("--config", "sub/gh-ft.yml", "evaluate", "--model", "m", "--max-new-tokens", "9", code=1)
    assert seen["max_new_tokens"] == 9


def test_improve_and_run_read_the_same_settings_as_the_single_verbs(tmp_path, monkeypatch):
    """The three entry points call one stage layer; the settings they hand it are the same."""
    from gh_ft import stages

    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "gh-ft.yml").write_text("collect:\n  out: data\ntrain:\n  runs_dir: myruns\n")
    monkeypatch.chdir(tmp_path)
    seen = []
    monkeypatch.setattr(stages, "collect", lambda settings, **kw: seen.append(settings) or (_ for _ in ()).throw(
        GhFtError("stop")))
    gh_ft("--config", "sub/gh-ft.yml", "collect", code=1)
    gh_ft("--config", "sub/gh-ft.yml", "run", code=1)
    assert len(seen) == 2 and seen[0] == seen[1]
    assert seen[0].collect.out == sub / "data" and seen[0].runs_dir == sub / "myruns"


@pytest.mark.slow
def test_a_project_file_in_a_subfolder_from_the_parent_folder(tmp_path, monkeypatch):
    """Was: with --config sub/gh-ft.yml some stages read and wrote relative to the working
    folder and others relative to sub/. Now every verb uses sub/'s dataset and runs."""
    sub = tmp_path / "sub"
    shutil.copytree(SAMPLE / "src", sub / "src")
    (sub / "gh-ft.yml").write_text(yaml.safe_dump({
        "collect": {"context_dir": "src", "out": "data", "workers": 1},
        "train": {"preset": "tiny-cpu", "runs_dir": "runs", "tiny_model_dir": "tiny", "launcher": "python"},
    }))
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.iterdir())
    cfg = ("--config", "sub/gh-ft.yml")
    gh_ft(*cfg, "tiny-model", "--corpus", "sub/src")
    assert (sub / "tiny" / "config.json").is_file()
    gh_ft(*cfg, "collect", "-q")
    assert (sub / "data" / "train.jsonl").is_file()
    gh_ft(*cfg, "check")
    out = gh_ft(*cfg, "train").output
    run = next((sub / "runs").glob("*/axolotl.yml")).parent
    config = yaml.safe_load((run / "axolotl.yml").read_text())
    assert [d["path"] for d in config["datasets"]][0] == str(sub / "data" / "train.jsonl")
    assert config["base_model"] == str(sub / "tiny")
    assert str(run) in out
    gh_ft(*cfg, "merge")
    assert any((run / "output" / "merged").glob("*.safetensors"))
    assert set(tmp_path.iterdir()) == before  # nothing written beside sub/
