"""Real Axolotl end to end on the tiny model: render → validate → train (LoRA) → merge."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gh_ft.cli import main as cli


def test_training_run_records_history_and_loss_falls(trained_run):
    paths = trained_run.paths
    for f in (paths.config, paths.run_info, paths.log, paths.metrics, paths.loss_png):
        assert f.is_file(), f
    metrics = json.loads(paths.metrics.read_text())
    history = metrics["loss_history"]
    assert len(history) == metrics["steps"] >= 10
    assert metrics["final_loss"] < metrics["first_loss"]
    # the mean of the last few steps is below the mean of the first few: a trend, not a lucky step
    head = sum(loss for _, loss in history[:3]) / 3
    tail = sum(loss for _, loss in history[-3:]) / 3
    assert tail < head
    assert paths.loss_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    info = json.loads(paths.run_info.read_text())
    assert info["preset"] == "tiny-cpu" and all(len(d["sha256"]) == 64 for d in info["data_files"].values())
    assert (paths.output_dir / "adapter_model.safetensors").is_file()
    # each run has its own prepared-data folder (Axolotl's cache is keyed on path, not content)
    assert str(paths.root) in paths.config.read_text().split("dataset_prepared_path:")[1].split("\n")[0]


def test_merge_equals_base_plus_scaled_lora_product(trained_run, project, tiny_model_dir, monkeypatch):
    import torch
    from safetensors.torch import load_file

    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["merge", str(trained_run.paths.root)])
    assert result.exit_code == 0, result.output
    merged_dir = trained_run.paths.merged
    merged = load_file(str(next(merged_dir.glob("*.safetensors"))))
    base = load_file(str(tiny_model_dir / "model.safetensors"))
    adapter = load_file(str(trained_run.paths.output_dir / "adapter_model.safetensors"))
    cfg = json.loads((trained_run.paths.output_dir / "adapter_config.json").read_text())
    scale = cfg["lora_alpha"] / (cfg["r"] ** 0.5 if cfg.get("use_rslora") else cfg["r"])

    lora_modules = {k.split(".lora_A.")[0] for k in adapter if ".lora_A." in k}
    assert lora_modules
    changed = 0
    for module in sorted(lora_modules):
        a = adapter[f"{module}.lora_A.weight"].float()
        b = adapter[f"{module}.lora_B.weight"].float()
        name = module.removeprefix("base_model.model.") + ".weight"
        delta = scale * (b @ a)
        expected = base[name].float() + delta
        assert merged[name].dtype == base[name].dtype
        torch.testing.assert_close(merged[name].float(), expected, rtol=1e-5, atol=1e-6)
        if delta.abs().max() > 1e-4:
            changed += 1
    # A merge that only re-saved (or re-typed) the base would fail above wherever B·A is not
    # negligible; make sure it is not negligible everywhere.
    assert changed >= len(lora_modules) // 2
    for name, tensor in base.items():
        if not any(name == m.removeprefix("base_model.model.") + ".weight" for m in lora_modules):
            assert torch.equal(merged[name], tensor), name


def test_train_refuses_a_bad_preset_before_launching(project, tmp_path, monkeypatch):
    monkeypatch.chdir(project)
    bad = tmp_path / "bad.yml"
    bad.write_text((project / "gh-ft.yml").read_text())
    preset = tmp_path / "typo.yml"
    preset.write_text("base_model: tiny\naxolotl:\n  val_steps: 5\n  lora_rr: 4\n")
    runs_before = set((project / "runs").glob("*")) if (project / "runs").exists() else set()
    result = CliRunner().invoke(cli, ["--config", str(bad), "train", "--preset", str(preset)])
    assert result.exit_code == 1
    assert "val_steps" in result.output and "lora_rr" in result.output
    runs_after = set((project / "runs").glob("*")) if (project / "runs").exists() else set()
    assert runs_after == runs_before  # nothing was launched, no run folder left behind


@pytest.mark.parametrize("launcher", ["accelerate", "torchrun"])
def test_launcher_commands_pass_arguments_through(launcher, tmp_path):
    from gh_ft.train.launch import build_train_command

    cmd = build_train_command(launcher, tmp_path / "axolotl.yml", ["--num_processes", "2"])
    assert "axolotl.cli.train" in cmd and str(tmp_path / "axolotl.yml") in cmd
    assert cmd.index("--num_processes") < cmd.index("axolotl.cli.train")
