"""Shared, session-scoped fixtures: the tiny model and the sample dataset are built once
per test session (CI time matters), and the real Axolotl run is shared by the tests that
need a trained adapter or a merged model."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_context"

# Tests never reach a model hub (there is none here) and never send telemetry.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("AXOLOTL_DO_NOT_TRACK", "1")


# Fixtures that train, build or export: a test that uses one (directly or through another
# fixture) is in the slow tier. Modules listed here are slow as a whole.
SLOW_FIXTURES = {"tiny_model_dir", "trained_run", "memorized_run", "exported_run", "pipeline_project", "real_loop"}
# test_judge_real.py sweeps the whole real corpus (and its mutants) through the judge.
SLOW_MODULES = {"test_train.py", "test_launch.py", "test_feedback_crash.py", "test_tiny_model.py", "test_judge_real.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    from gh_ft.train.tiny import build_tiny_model, read_corpus_texts

    out = tmp_path_factory.mktemp("tiny") / "tiny-model"
    return Path(build_tiny_model(out, read_corpus_texts([SAMPLE / "src"]) or None))


@pytest.fixture(scope="session")
def sample_dataset(tmp_path_factory) -> Path:
    from gh_ft.collect import collect
    from gh_ft.settings import CollectSettings

    out = tmp_path_factory.mktemp("dataset") / "dataset"
    collect(CollectSettings(context_dir=SAMPLE, out=out, workers=1))
    return out


@pytest.fixture(scope="session")
def project(tmp_path_factory, tiny_model_dir, sample_dataset) -> Path:
    """A gh-ft project folder whose settings point at the sample dataset and the tiny model."""
    root = tmp_path_factory.mktemp("project")
    (root / "gh-ft.yml").write_text(
        "collect:\n"
        f"  context_dir: {SAMPLE}\n"
        f"  out: {sample_dataset}\n"
        "train:\n"
        "  preset: tiny-cpu\n"
        f"  tiny_model_dir: {tiny_model_dir}\n"
        "  runs_dir: runs\n"
        "  launcher: python\n", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def trained_run(project):
    """One real Axolotl LoRA run on the tiny model (render → validate → train)."""
    from gh_ft.settings import load_settings
    from gh_ft.train.run import train_run

    settings = load_settings(project / "gh-ft.yml")
    result = train_run(settings, [], echo=None)
    assert result.exit_code == 0, (result.paths.log.read_text()[-4000:] if result.paths.log.exists() else "no log")
    return result


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


# The memorizing run for the GGUF export and llama.cpp tests (tests/export_fixtures.py).
from export_fixtures import exported_run, memorized_run  # noqa: E402,F401
