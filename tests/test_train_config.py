"""The prompt format, the template, the presets and the strict Axolotl config check."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from gh_ft.cli import main as cli
from gh_ft.prompt import cut_at_stop, render_prompt
from gh_ft.resources import packaged_dir
from gh_ft.settings import load_settings
from gh_ft.train.config import (ConfigError, load_preset, render_axolotl_config, training_datasets,
                                validate_config_dict)
from gh_ft.train.prepare import render_for, validate_rendered
from tools import in_ci

ROWS = [("Write a Grasshopper component that adds two numbers.", "", "public class Add : GH_Component { }"),
        ("Complete this component.", "public class Half : GH_Component { /* TODO */ }", "public class Half { }")]


@pytest.mark.parametrize("instruction,input_,output", ROWS)
def test_prompt_equals_axolotls_alpaca_prompter(instruction, input_, output):
    from axolotl.prompters import AlpacaPrompter

    assert next(AlpacaPrompter().build_prompt(instruction, input_)) == render_prompt(instruction, input_)
    assert next(AlpacaPrompter().build_prompt(instruction, input_, output)) == render_prompt(instruction, input_) + output


def test_prompt_equals_what_axolotl_tokenizes(tiny_model_dir):
    """Token for token: Axolotl's alpaca strategy vs BOS + our prompt, then the output + EOS."""
    from axolotl.prompt_tokenizers import AlpacaPromptTokenizingStrategy
    from axolotl.prompters import AlpacaPrompter
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir, local_files_only=True)
    strategy = AlpacaPromptTokenizingStrategy(AlpacaPrompter(), tok, False, 2048)
    for instruction, input_, output in ROWS:
        row = strategy.tokenize_prompt({"instruction": instruction, "input": input_, "output": output})
        prompt_ids = tok(render_prompt(instruction, input_), add_special_tokens=True)["input_ids"]
        assert row["input_ids"][:len(prompt_ids)] == prompt_ids
        assert row["input_ids"][-1] == tok.eos_token_id
        trained = [t for t, label in zip(row["input_ids"], row["labels"]) if label != -100]
        assert tok.decode(trained, skip_special_tokens=True).strip() == output


def test_cut_at_stop():
    assert cut_at_stop("code();\n### Instruction:\nmore") == "code();\n"


def test_hostile_values_are_escaped(tmp_path):
    preset = load_preset("tiny-cpu")
    hostile = 'models/my: "model" # not a comment\nnext: line \\ no'
    preset.values["lr_scheduler"] = "no"      # YAML 1.1 would read a bare no as false
    preset.values["extra"] = {"wandb_project": "a: b # c", "special_tokens": {"pad_token": "<|pad|>"}}
    (tmp_path / "train.jsonl").write_text('{"instruction": "a", "input": "", "output": "b"}\n')
    text = render_axolotl_config(preset, base_model=hostile, datasets=training_datasets(tmp_path, False),
                                 run_dir=tmp_path / "run", template_path=packaged_dir("templates") / "axolotl.yml.j2")
    cfg = yaml.safe_load(text)
    assert cfg["base_model"] == hostile and cfg["lr_scheduler"] == "no"
    assert cfg["wandb_project"] == "a: b # c" and cfg["special_tokens"] == {"pad_token": "<|pad|>"}
    assert cfg["dataset_prepared_path"] == str((tmp_path / "run" / "prepared").resolve())
    assert cfg["datasets"] == [{"path": str((tmp_path / "train.jsonl").resolve()), "ds_type": "json", "type": "alpaca"}]


def test_template_is_strict_about_missing_values(tmp_path):
    preset = load_preset("tiny-cpu")
    (tmp_path / "t.j2").write_text("base_model: {{ base_model | yaml }}\nx: {{ p.no_such_value | yaml }}\n")
    (tmp_path / "train.jsonl").write_text("{}\n")
    with pytest.raises(ConfigError, match="no_such_value"):
        render_axolotl_config(preset, base_model="m", datasets=[], run_dir=tmp_path, template_path=tmp_path / "t.j2")


def test_feedback_and_docs_join_the_datasets(tmp_path):
    for name in ("train.jsonl", "feedback.jsonl", "docs.jsonl"):
        (tmp_path / name).write_text("{}\n")
    assert [d["type"] for d in training_datasets(tmp_path, True)] == ["alpaca", "alpaca", "completion"]
    assert [Path(d["path"]).name for d in training_datasets(tmp_path, False)] == ["train.jsonl", "feedback.jsonl"]


@pytest.mark.parametrize("preset", ["tiny-cpu", "deepseek-coder-6.7b-lora", "qlora-4bit", "multi-gpu", "ray",
                                    # `gguf:` imports Gemma 3 270M into the cache first (minutes, once)
                                    pytest.param("gemma3-270m-cpu", marks=pytest.mark.slow),
                                    pytest.param("gemma3-270m-gpu", marks=pytest.mark.slow),
                                    pytest.param("gemma3-270m-demo", marks=pytest.mark.slow)])
def test_presets_render_and_validate(preset, project):
    settings = load_settings(project / "gh-ft.yml", {"train": {"preset": preset}})
    rendered = render_for(settings, project / "runs" / "x")
    problems = validate_rendered(rendered)
    assert not [p for p in problems if p.level == "error"], problems
    if preset in ("multi-gpu", "ray"):
        assert Path(yaml.safe_load(rendered.text)["deepspeed"]).is_file()
    if preset == "ray":  # schema-checked only: Ray is not installed here
        assert yaml.safe_load(rendered.text)["use_ray"] is True


BAD = {
    "model_type": ("DeepseekCoderConfig", "is not a transformers class"),
    "tokenizer_type": ("DeepseekCoderTokenizer", "is not a transformers class"),
    "tokenizer_config": ({"use_fast": True}, "valid string"),
    "train_batch_size": (8, "micro_batch_size"),
    "val_steps": (50, "eval_steps"),
    "lora_rr": (8, "did you mean 'lora_r'"),
}


def _good_config(tmp_path, tiny_model_dir) -> dict:
    (tmp_path / "train.jsonl").write_text('{"instruction": "a", "input": "", "output": "b"}\n')
    return {"base_model": str(tiny_model_dir), "datasets": [{"path": str(tmp_path / "train.jsonl"), "type": "alpaca"}],
            "adapter": "lora", "lora_r": 8, "lora_alpha": 16, "micro_batch_size": 1, "num_epochs": 1,
            "learning_rate": 0.001, "output_dir": str(tmp_path / "out"), "sequence_len": 512}


def test_good_config_has_no_problems(tmp_path, tiny_model_dir):
    assert validate_config_dict(_good_config(tmp_path, tiny_model_dir)) == []


def test_every_bad_key_is_caught_in_one_run(tmp_path, tiny_model_dir):
    cfg = _good_config(tmp_path, tiny_model_dir)
    cfg.update({k: v for k, (v, _) in BAD.items()})
    cfg["datasets"][0]["typ"] = "alpaca"
    del cfg["adapter"]
    problems = validate_config_dict(cfg)
    text = "\n".join(map(str, problems))
    for key, (_, message) in BAD.items():
        assert any(p.where == key and message in p.message for p in problems), (key, text)
    assert any(p.where == "datasets[0].typ" and "did you mean 'type'" in p.message for p in problems), text
    assert any(p.where == "adapter" and "lora_r" in p.message for p in problems), text


def test_missing_dataset_and_remote_base_model(tmp_path):
    cfg = {"base_model": "nobody/not-a-real-model-xyz", "datasets": [{"path": str(tmp_path / "none.jsonl"),
                                                                       "type": "alpaca"}],
           "adapter": "lora", "micro_batch_size": 1, "num_epochs": 1, "learning_rate": 0.001}
    problems = validate_config_dict(cfg)
    assert any(p.level == "error" and "file not found" in p.message for p in problems)
    assert any(p.level == "warning" and p.where == "base_model" for p in problems)


def test_cli_validate_exit_codes(tmp_path, tiny_model_dir):
    good = _good_config(tmp_path, tiny_model_dir)
    (tmp_path / "good.yml").write_text(yaml.safe_dump(good))
    (tmp_path / "bad.yml").write_text(yaml.safe_dump({**good, "val_steps": 3}))
    ok = CliRunner().invoke(cli, ["config", "validate", str(tmp_path / "good.yml")])
    assert ok.exit_code == 0 and "ok" in ok.output
    bad = CliRunner().invoke(cli, ["config", "validate", str(tmp_path / "bad.yml")])
    assert bad.exit_code == 1 and "val_steps" in bad.output


def test_init_copies_editable_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "templates" / "axolotl.yml.j2").is_file() and (tmp_path / "configs" / "tiny-cpu.yml").is_file()
    (tmp_path / "configs" / "tiny-cpu.yml").write_text((tmp_path / "configs" / "tiny-cpu.yml").read_text()
                                                      .replace("lora_r: 8", "lora_r: 4"))
    assert load_preset("tiny-cpu", tmp_path).values["lora_r"] == 4  # the project's copy wins
    again = CliRunner().invoke(cli, ["init"])
    assert "kept" in again.output and load_preset("tiny-cpu", tmp_path).values["lora_r"] == 4


# ---- Axolotl's own example configs, plugins, cloud files --------------------------------

EXAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "axolotl-examples"

# The keys the check names as unknown in Axolotl's own examples (commit 067b021c8). Each is
# proven truly unknown below: Axolotl's own validate_config drops it from the config it
# returns, i.e. Axolotl would silently ignore it.
TRULY_UNKNOWN = {
    "gptq_groupsize", "gptq_model_v1", "gptq_disable_exllama",   # GPTQ options Axolotl removed (archived configs)
    "adam_eps",                                                  # Axolotl's key is adam_epsilon
    "sample_packing_seq_len_multiplier", "base_model_ignore_patterns", "full_finetune", "test_value",
    "debug", "torch_dtype", "eta_min",
    "context_parapllel_size",                                    # a typo of context_parallel_size
}


def _examples() -> list[Path]:
    if not EXAMPLES.is_dir():
        message = f"{EXAMPLES} is absent (Axolotl's example configs, in ../shared)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    files = sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".yml", ".yaml"))
    assert len(files) == 252, len(files)
    return files


def _is_unknown_key(p) -> bool:
    return p.level == "error" and "does not know this key" in p.message


@pytest.mark.slow  # all 252 of Axolotl's example configs
def test_axolotls_own_examples_have_no_false_unknown_keys():
    """All 252 of Axolotl's example configs: every key a listed plugin brings is known; what
    is still named unknown is proven unknown by Axolotl itself."""
    from axolotl.utils.config import validate_config
    from axolotl.utils.dict import DictDefault

    from gh_ft.train.config import check_config_file, reset_plugin_manager

    unknown, kinds, absent = {}, {}, {}
    for path in _examples():
        result = check_config_file(path)
        kinds[path.relative_to(EXAMPLES).as_posix()] = result.kind
        absent.update(result.absent_plugins)
        for p in result.problems:
            if _is_unknown_key(p):
                assert p.line, (path, p)
                unknown.setdefault(p.where, []).append(f"{path.relative_to(EXAMPLES)}:{p.line}")
    assert set(unknown) == TRULY_UNKNOWN, {k: v for k, v in unknown.items() if k not in TRULY_UNKNOWN}
    assert sum(map(len, unknown.values())) == 44
    # the cloud provider files are recognised, not checked as training configs
    assert {k for k, v in kinds.items() if v == "cloud"} == {"cloud/modal.yaml", "cloud/baseten.yaml"}
    # the one plugin whose package is absent here is reported as such
    assert set(absent) == {"axolotl.integrations.llm_compressor.LLMCompressorPlugin"}
    assert all(r.startswith("optional package absent") for r in absent.values())
    # Axolotl's own verdict on each key named unknown: it drops it
    reset_plugin_manager()
    base = {"base_model": "m", "datasets": [{"path": "d.jsonl", "type": "alpaca"}], "micro_batch_size": 1,
            "num_epochs": 1, "learning_rate": 1e-4}
    for key in TRULY_UNKNOWN:
        validated = validate_config(DictDefault({**base, key: 7}))
        assert key not in validated, key


def _liger_example() -> Path:
    path = EXAMPLES / "orpheus" / "finetune.yml"
    if not path.is_file():
        _examples()
        pytest.skip(f"{path} is absent")
    assert "LigerPlugin" in path.read_text()
    return path


def test_unknown_key_in_a_plugin_config_is_still_named(tmp_path):
    from gh_ft.train.config import check_config_file

    text = _liger_example().read_text()
    planted = tmp_path / "liger.yml"
    planted.write_text(text + "\nliger_rms_norn: true\n")
    line = len((text + "\n").splitlines()) + 1
    result = check_config_file(planted)
    named = [p for p in result.problems if _is_unknown_key(p)]
    assert [(p.where, p.line) for p in named] == [("liger_rms_norn", line)], result.problems
    assert "did you mean 'liger_rms_norm'" in named[0].message
    assert "axolotl.integrations.liger.LigerPlugin" in result.plugins
    out = CliRunner().invoke(cli, ["config", "validate", str(planted)])
    assert out.exit_code == 1 and f"{planted}:{line}: error: liger_rms_norn" in out.output


def test_plugin_keys_do_not_leak_into_the_next_config(tmp_path):
    """Axolotl's PluginManager is a process-wide singleton: without a reset per config the
    Liger keys of the first file would pass in the second, which lists no plugins."""
    from gh_ft.train.config import check_config_file

    check_config_file(_liger_example())
    plain = tmp_path / "plain.yml"
    plain.write_text("base_model: m\ndatasets:\n  - path: d\n    type: alpaca\nliger_rms_norm: true\n")
    assert [(p.where, p.line) for p in check_config_file(plain).problems if _is_unknown_key(p)] \
        == [("liger_rms_norm", 5)]


def test_absent_plugin_package_is_not_an_unknown_key(tmp_path):
    from gh_ft.train.config import check_config_file

    cfg = tmp_path / "sparse.yml"
    cfg.write_text("base_model: m\ndatasets:\n  - path: d\n    type: alpaca\n"
                   "micro_batch_size: 1\nnum_epochs: 1\nlearning_rate: 0.0001\n"
                   "plugins:\n  - axolotl.integrations.llm_compressor.LLMCompressorPlugin\n"
                   "llmcompressor:\n  recipe: {}\n")
    result = check_config_file(cfg)
    assert result.ok, result.problems
    by_where = {p.where: p for p in result.problems}
    assert by_where["plugins[0]"].level == "unknown" and "optional package absent" in by_where["plugins[0]"].message
    assert by_where["llmcompressor"].level == "unknown"
    cfg.write_text(cfg.read_text().replace("llm_compressor.LLMCompressorPlugin", "no_such_plugin.NoSuchPlugin"))
    assert any(p.level == "error" and p.where == "plugins[0]" and "no plugin module" in p.message
               for p in check_config_file(cfg).problems)


def test_cloud_provider_file_is_recognised(tmp_path):
    from gh_ft.train.config import check_config_file

    cloud = tmp_path / "modal.yaml"
    cloud.write_text("provider: modal\ngpu: h100\ngpu_count: 1\nsecrets:\n  - HF_TOKEN\n")
    result = check_config_file(cloud)
    assert result.kind == "cloud" and result.ok and "axolotl cloud" in result.note
    cloud.write_text("provider: nimbus\ngpu: h100\n")
    assert [(p.where, p.line) for p in check_config_file(cloud).problems] == [("provider", 1)]


@pytest.mark.slow  # two fresh processes that import Axolotl
def test_cli_output_is_free_of_axolotls_log_lines_unless_asked(tmp_path):
    """In a fresh process (Axolotl configures logging on import, to stdout)."""
    import os
    import subprocess
    import sys

    example = _liger_example()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    quiet = subprocess.run([sys.executable, "-m", "gh_ft", "config", "validate", str(example)], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300, env=env)
    assert quiet.returncode == 0, quiet.stderr
    text = quiet.stdout + quiet.stderr
    assert "[axolotl." not in text and "Traceback" not in text, text
    assert all(line.startswith(str(example)) for line in text.splitlines()), text
    loud = subprocess.run([sys.executable, "-m", "gh_ft", "config", "validate", "-v", str(example)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env=env)
    assert loud.returncode == 0 and "[axolotl." in loud.stdout + loud.stderr
