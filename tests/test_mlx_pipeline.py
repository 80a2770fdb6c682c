"""`gh-ft run` with train.backend: mlx on the sample corpus and the session's tiny model, on
this machine's CPU (mlx[cpu]): collect → check → train (mlx_lm.lora) → merge (mlx_lm.fuse) →
export (llama.cpp's converter and quantizer) → evaluate. Ends with a GGUF, a Modelfile and an
evaluation report, like the Axolotl run in test_pipeline.py."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from gh_ft.pipeline import RAN, STAGES, Pipeline, render_summary
from gh_ft.settings import load_settings

from conftest import SAMPLE

from tools import in_ci  # noqa: E402

try:
    import mlx_lm  # noqa: F401
except ImportError as e:  # locally a missing [mlx] extra skips; in CI (make test installs it) it fails
    if in_ci():
        raise
    pytest.skip(f"mlx-lm is not installed (pip install -e '.[mlx]'): {e}", allow_module_level=True)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mlx_project(tmp_path_factory, tiny_model_dir):
    from gh_ft.project import init_project

    root = tmp_path_factory.mktemp("mlx-pipeline")
    shutil.copytree(SAMPLE, root / "context")
    init_project(root)
    preset = root / "configs" / "mlx-tiny-cpu.yml"
    text = preset.read_text()
    for old, new in (("iters: 30", "iters: 4"), ("steps_per_eval: 10", "steps_per_eval: 2"),
                     ("save_every: 10", "save_every: 2")):
        assert old in text
        text = text.replace(old, new)
    preset.write_text(text)
    (root / "gh-ft.yml").write_text(yaml.safe_dump({
        "collect": {"context_dir": "context", "out": "dataset", "workers": 1},
        "train": {"preset": "tiny-cpu", "backend": "mlx", "tiny_model_dir": str(tiny_model_dir),
                  "runs_dir": "runs"},
        "evaluate": {"max_new_tokens": 8, "limit": 2, "context": ["context/src"]},
        "export": {"quantizations": ["q8_0"]},
        "ollama": {"host": "http://127.0.0.1:9", "quantization": "q8_0"},
    }), encoding="utf-8")
    return root


def test_gh_ft_run_with_mlx_ends_with_gguf_modelfile_and_report(mlx_project):
    lines: list[str] = []
    result = Pipeline(load_settings(mlx_project / "gh-ft.yml"), echo=lines.append, progress=False).run()
    text = render_summary(result)
    assert result.ok, text + "\n" + "\n".join(lines[-80:])
    statuses = {s.name: s.status for s in result.stages}
    assert statuses == {**{s: RAN for s in STAGES}, "ollama": "unavailable"}, text
    # The output says which back-end trained and why.
    assert any("training with mlx-lm: train.backend is mlx" in line for line in lines)
    arts = result.artifacts
    for name in ("mlx.yml", "run.json", "train.log", "metrics.json", "loss.png", "adapter", "merged model",
                 "gguf q8_0", "Modelfile", "report.html", "report.json"):
        assert name in arts and Path(arts[name]).exists(), (name, sorted(arts))
    run = Path(arts["run"])
    info = json.loads((run / "run.json").read_text())
    assert info["backend"] == "mlx" and info["preset"] == "mlx-tiny-cpu"
    assert info["data_files"]["train.jsonl"]["sha256"] and info["data_files"]["mlx/train.jsonl"]["sha256"]
    assert info["mlx_data"]["tokens_checked_against_axolotl"] == info["mlx_data"]["train_rows"] + \
        info["mlx_data"]["valid_rows"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert [s for s, _ in metrics["loss_history"]] == [1, 2, 3, 4] and metrics["backend"] == "mlx"
    assert metrics["eval_loss_history"] and metrics["tokens_per_second"] > 0
    # What export and evaluation read: a PEFT LoRA and a merged model with the base's tokenizer.
    assert json.loads((run / "output" / "adapter_config.json").read_text())["peft_type"] == "LORA"
    assert "chat_template" not in json.loads((run / "output" / "merged" / "tokenizer_config.json").read_text())
    assert "TEMPLATE" in Path(arts["Modelfile"]).read_text()
    report = json.loads(Path(arts["report.json"]).read_text())
    assert report["settings"]["tasks"] == 2

    # A second run skips training; a finished run has nothing to resume.
    again = Pipeline(load_settings(mlx_project / "gh-ft.yml"), echo=lambda _: None, progress=False).run()
    assert {s.name: s.status for s in again.stages}["train"] == "skipped", render_summary(again)
    from gh_ft.train.run import TrainError, train_run

    with pytest.raises(TrainError, match="already trained all 4 iterations"):
        train_run(load_settings(mlx_project / "gh-ft.yml"), [], resume=str(run), echo=None)


def test_resume_continues_from_the_last_saved_adapter(mlx_project, sample_dataset, tmp_path):
    """A run stopped after 2 of its 4 iterations (`-- --iters 2` goes to mlx_lm.lora) resumes
    from its saved adapter: 2 more iterations, the metrics continue at steps 3 and 4."""
    from gh_ft.train.run import train_run

    settings = load_settings(mlx_project / "gh-ft.yml", {"collect": {"out": sample_dataset},
                                                         "train": {"runs_dir": tmp_path / "runs"}})
    first = train_run(settings, ["--iters", "2"], echo=None)
    assert first.exit_code == 0, first.paths.log.read_text()[-3000:]
    assert [s for s, _ in first.metrics["loss_history"]] == [1, 2]
    resumed = train_run(settings, [], resume=str(first.paths.root), echo=None)
    log = resumed.paths.log.read_text()
    assert resumed.exit_code == 0, log[-3000:]
    assert "mlx resume: from iteration 2" in log and "--resume-adapter-file" in log
    assert [s for s, _ in resumed.metrics["loss_history"]] == [1, 2, 3, 4]
    assert (resumed.paths.mlx_adapter / "0000004_adapters.safetensors").is_file()
    assert (resumed.paths.mlx_adapter / "before-resume-0000002" / "0000002_adapters.safetensors").is_file()
    assert json.loads((resumed.paths.output_dir / "adapter_config.json").read_text())["peft_type"] == "LORA"


def test_ctrl_c_stops_mlx_training_cleanly(tiny_model_dir, sample_dataset, tmp_path):
    """SIGINT to `gh-ft train` (what Ctrl-C sends) stops mlx_lm.lora's child: exit 130, the
    interruption in the log, no process of the group left behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "gh-ft.yml").write_text(yaml.safe_dump({
        "collect": {"out": str(sample_dataset)},
        "train": {"preset": "tiny-cpu", "backend": "mlx", "tiny_model_dir": str(tiny_model_dir),
                  "runs_dir": "runs"}}), encoding="utf-8")
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "gh_ft", "--config", str(tmp_path / "gh-ft.yml"), "train"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + 300
    log = None
    while time.monotonic() < deadline:
        logs = list((tmp_path / "runs").glob("*/train.log"))
        if logs and "Trainable parameters" in logs[0].read_text(errors="replace"):
            log = logs[0]
            break
        time.sleep(1)
    assert log is not None, "training did not start"
    os.kill(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out.decode(errors="replace")[-2000:]
    text = log.read_text(errors="replace")
    assert "train exited with 130" in text
    left = []  # any process still running this run's config (the mlx-lm child runs in its own session)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(log.parent / "mlx.yml").encode() in cmdline.read_bytes():
                left.append(cmdline.parent.name)
        except OSError:
            continue
    assert left == []
