"""gh_ft.train.launch and gh_ft.train.metrics: command lines, process handling, run records, metrics.

Everything but the last test uses stand-in child processes; the last one trains, resumes and
merges a tiny local Llama through the real Axolotl (CPU, offline, ~40 s).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gh_ft.train import launch, metrics
from gh_ft.train.launch import RunPaths

PY = "/venv/bin/python"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- command lines -------------------------------------------------------------------------------

def test_accelerate_command_uses_module_form_and_passes_args_through():
    cmd = launch.build_train_command("accelerate", Path("/r/axolotl.yml"), ["--num_processes", "2"],
                                     ["--learning_rate=1e-4"], python=PY)
    assert cmd == [PY, "-m", "accelerate.commands.launch", "--num_processes", "2",
                   "-m", "axolotl.cli.train", "/r/axolotl.yml", "--learning_rate=1e-4"]


def test_torchrun_command():
    cmd = launch.build_train_command("torchrun", Path("/r/a.yml"), ["--nproc_per_node", "2", "--standalone"],
                                     python=PY)
    assert cmd == [PY, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
                   "-m", "axolotl.cli.train", "/r/a.yml"]


def test_python_command_and_its_limits():
    assert launch.build_train_command("python", Path("a.yml"), axolotl_args=["--max_steps=3"], python=PY) == [
        PY, "-m", "axolotl.cli.train", "a.yml", "--max_steps=3"]
    with pytest.raises(ValueError, match="no launcher arguments"):
        launch.build_train_command("python", Path("a.yml"), ["--num_processes", "2"], python=PY)
    with pytest.raises(ValueError, match="unknown launcher"):
        launch.build_train_command("deepspeed", Path("a.yml"), python=PY)


def test_axolotl_command_puts_launcher_args_after_double_dash(tmp_path):
    (tmp_path / "axolotl").write_text("#!/bin/sh\n")
    python = str(tmp_path / "python")  # the console script next to the interpreter wins
    cmd = launch.build_train_command("axolotl", Path("a.yml"), ["--num_processes", "2"],
                                     ["--launcher", "accelerate", "--max-steps=5"], python=python)
    assert cmd == [str(tmp_path / "axolotl"), "train", "a.yml", "--launcher", "accelerate", "--max-steps=5",
                   "--", "--num_processes", "2"]
    assert "--" not in launch.build_train_command("axolotl", Path("a.yml"), python=python)


def test_resume_and_merge_arguments():
    ck = Path("/r/output/checkpoint-3")
    assert launch.resume_arg("python", ck) == "--resume_from_checkpoint=/r/output/checkpoint-3"
    assert launch.resume_arg("axolotl", ck) == "--resume-from-checkpoint=/r/output/checkpoint-3"
    assert launch.build_merge_command(Path("/r/axolotl.yml"), Path("/r/output"), python=PY) == [
        PY, "-m", "axolotl.cli.merge_lora", "/r/axolotl.yml", "--lora_model_dir=/r/output"]


def test_training_env_turns_telemetry_off_but_never_forces_offline():
    env = launch.training_env({"PATH": "/bin"})
    assert env == {"PATH": "/bin", "AXOLOTL_DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"}
    assert "HF_HUB_OFFLINE" not in launch.training_env({})
    assert launch.training_env({"HF_HUB_OFFLINE": "1"})["HF_HUB_OFFLINE"] == "1"


# --- run folders -----------------------------------------------------------------------------------

def test_run_paths_are_unique_and_never_reused(tmp_path):
    runs = [RunPaths.create(tmp_path / "runs") for _ in range(20)]
    assert len({r.root for r in runs}) == 20
    assert all(r.root.is_dir() and r.root.parent == tmp_path / "runs" for r in runs)
    import re
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{4}", runs[0].root.name)
    p = runs[0]
    assert (p.config, p.output_dir, p.merged, p.log) == (
        p.root / "axolotl.yml", p.root / "output", p.root / "output" / "merged", p.root / "train.log")
    named = RunPaths.create(tmp_path / "runs", "mine")
    assert named.root.name == "mine"
    with pytest.raises(FileExistsError):
        RunPaths.create(tmp_path / "runs", "mine")
    with pytest.raises(ValueError):
        RunPaths.create(tmp_path / "runs", "../escape")


def _checkpoint(output_dir: Path, step: int, state: dict | None = None) -> Path:
    ck = output_dir / f"checkpoint-{step}"
    ck.mkdir(parents=True)
    if state is not None:
        (ck / "trainer_state.json").write_text(json.dumps(state))
    return ck


def test_latest_checkpoint_is_numeric_not_lexical(tmp_path):
    assert launch.latest_checkpoint(tmp_path / "missing") is None
    _checkpoint(tmp_path, 9, {"global_step": 9})
    _checkpoint(tmp_path, 10, {"global_step": 10})
    (tmp_path / "checkpoint-x").mkdir()
    assert launch.latest_checkpoint(tmp_path).name == "checkpoint-10"
    _checkpoint(tmp_path, 11)  # half-written: no trainer state yet
    assert launch.latest_checkpoint(tmp_path).name == "checkpoint-11"
    assert launch.latest_checkpoint(tmp_path, require_state=True).name == "checkpoint-10"
    assert metrics.read_trainer_state(tmp_path)["global_step"] == 10


# --- processes ---------------------------------------------------------------------------------------

def test_run_streaming_tees_output_and_propagates_exit_code(tmp_path):
    child = "import sys\nprint('one'); print('two', file=sys.stderr, flush=True); print('drei ü'); sys.exit(3)"
    echo = io.StringIO()
    log = tmp_path / "logs" / "train.log"
    log.parent.mkdir()
    log.write_text("earlier\n")
    rc = launch.run_streaming([sys.executable, "-c", child], log, launch.training_env(), echo)
    assert rc == 3
    text = log.read_text(encoding="utf-8")
    assert text.startswith("earlier\n")  # appended, not overwritten
    for line in ("one", "two", "drei ü"):
        assert line in text and line in echo.getvalue()


def test_default_echo_is_the_current_stdout(tmp_path, capsys):
    assert launch.run_streaming([sys.executable, "-c", "print('hello')"], tmp_path / "l", os.environ) == 0
    assert "hello" in capsys.readouterr().out  # bound at write time, not at import


def test_run_streaming_reports_a_signal_death_as_128_plus_n(tmp_path):
    child = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    assert launch.run_streaming([sys.executable, "-c", child], tmp_path / "l", os.environ, None) == 137


DRIVER = textwrap.dedent("""
    import signal, sys
    from pathlib import Path
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    from gh_ft.train.launch import run_streaming
    child = sys.argv[2]
    rc = run_streaming([sys.executable, "-c", child], Path(sys.argv[1]), {"PATH": "/usr/bin:/bin"},
                       sys.stdout, grace_s=float(sys.argv[3]), term_s=0.5)
    print("driver rc", rc, flush=True)
    sys.exit(rc)
""")

# The child starts a grandchild in its group that ignores SIGINT and SIGTERM (a stuck worker),
# prints both pids, then sleeps. `ignore` makes the child itself ignore SIGINT too.
CHILD = textwrap.dedent("""
    import os, signal, subprocess, sys, time
    signal.signal(signal.SIGINT, signal.SIG_IGN if {ignore} else signal.default_int_handler)
    g = subprocess.Popen([sys.executable, "-c", "import signal, time; "
                          "signal.signal(signal.SIGINT, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                          "print('grandchild up', flush=True); time.sleep(600)"])
    time.sleep(0.3)
    print("child", os.getpid(), os.getpgrp(), g.pid, flush=True)
    time.sleep(600)
""")


# Like `accelerate launch`: the launcher dies on SIGINT at once, its worker takes a while to save.
SAVING_CHILD = textwrap.dedent("""
    import os, subprocess, sys, time
    worker = ("import signal, sys, time\\n"
              "def save(*_):\\n"
              "    time.sleep(1.0); open(sys.argv[1], 'w').write('saved'); sys.exit(0)\\n"
              "signal.signal(signal.SIGINT, save)\\n"
              "print('worker up', flush=True); time.sleep(600)\\n")
    g = subprocess.Popen([sys.executable, "-c", worker, {marker!r}])
    time.sleep(0.3)
    print("child", os.getpid(), os.getpgrp(), g.pid, flush=True)
    time.sleep(600)
""")


def _start_driver(log: Path, child: str, grace_s: float) -> tuple[subprocess.Popen, int, int, int]:
    repo = Path(__file__).resolve().parent.parent
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(log), child, str(grace_s)], stdout=subprocess.PIPE,
                              text=True, cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)})
    for line in driver.stdout:
        if line.startswith("child "):
            return (driver, *map(int, line.split()[1:]))
    driver.kill()
    pytest.fail("child never started")


def _cleanup(driver: subprocess.Popen, pgid: int) -> None:
    """Leave nothing behind even when the code under test failed to."""
    if driver.poll() is None:
        driver.kill()
        driver.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("ignore", [False, True], ids=["child-stops-on-sigint", "child-ignores-sigint"])
def test_ctrl_c_stops_the_whole_child_group_and_returns_130(tmp_path, ignore):
    log = tmp_path / "train.log"
    driver, child_pid, pgid, grandchild_pid = _start_driver(log, CHILD.format(ignore=ignore), 0.5)
    try:
        assert pgid == child_pid != os.getpgrp()  # its own group, apart from the driver's
        driver.send_signal(signal.SIGINT)  # what Ctrl-C does to gh-ft
        # communicate, not read(): a surviving grandchild holds the pipe open, so fail, don't hang
        rest, _ = driver.communicate(timeout=30)
        assert driver.returncode == 130
    finally:
        _cleanup(driver, pgid)
    assert "driver rc 130" in rest
    assert _gone(child_pid) and _gone(grandchild_pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)
    assert "grandchild up" in log.read_text()


def test_ctrl_c_lets_a_worker_finish_saving_after_its_launcher_died(tmp_path):
    marker = tmp_path / "saved"
    driver, _, pgid, worker_pid = _start_driver(tmp_path / "l", SAVING_CHILD.format(marker=str(marker)), 10.0)
    try:
        started = time.monotonic()
        driver.send_signal(signal.SIGINT)
        driver.communicate(timeout=30)
        assert driver.returncode == 130
    finally:
        _cleanup(driver, pgid)
    assert marker.read_text() == "saved"  # not SIGTERMed when the launcher (group leader) went first
    assert time.monotonic() - started < 5  # and no waiting out the grace once the group is gone
    assert _gone(worker_pid)


# --- run records --------------------------------------------------------------------------------------

def test_write_run_info(tmp_path):
    paths = RunPaths.create(tmp_path / "runs")
    train = tmp_path / "train.jsonl"
    train.write_bytes(b'{"instruction": "a", "output": "b"}\n')
    info = launch.write_run_info(paths, argv=["gh-ft", "train"], command=["python", "-m", "x"],
                                 data_files={"train": train, "test": tmp_path / "missing.jsonl"},
                                 preset="tiny", extra={"note": "hi"})
    assert json.loads(paths.run_info.read_text()) == info
    assert info["data_files"]["train"]["sha256"] == hashlib.sha256(train.read_bytes()).hexdigest()
    assert info["data_files"]["train"]["bytes"] == train.stat().st_size
    assert info["data_files"]["test"]["sha256"] is None
    assert (info["argv"], info["command"], info["preset"], info["note"]) == (
        ["gh-ft", "train"], ["python", "-m", "x"], "tiny", "hi")
    assert info["run_id"] == paths.root.name and info["created"].endswith("+00:00")
    import gh_ft
    assert info["gh_ft_version"] == gh_ft.__version__
    assert info["gh_ft_git"] is None or isinstance(info["gh_ft_git"], str)
    assert info["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))


# --- metrics ---------------------------------------------------------------------------------------------

STATE = {
    "global_step": 6, "epoch": 0.6, "max_steps": 6,
    "log_history": [
        {"eval_loss": 6.30, "eval_ppl": 544.0, "step": 0},
        *({"loss": 6.24 - 0.015 * s, "grad_norm": 0.3, "learning_rate": 1e-3, "epoch": 0.1 * s, "step": s}
          for s in range(1, 7)),
        {"eval_loss": 6.21, "eval_ppl": 497.0, "epoch": 0.6, "step": 6},
        {"train_runtime": 4.4, "train_samples_per_second": 2.7, "train_loss": 6.19, "epoch": 0.6, "step": 6},
    ],
}


def test_summarize_realistic_state():
    s = metrics.summarize(STATE)
    assert s["steps"] == 6 and s["epochs"] == 0.6
    assert [p[0] for p in s["loss_history"]] == [1, 2, 3, 4, 5, 6]
    assert s["first_loss"] == pytest.approx(6.225) and s["final_loss"] == pytest.approx(6.15)
    assert s["min_loss"] == s["final_loss"]
    assert s["eval_loss_history"] == [[0, 6.30], [6, 6.21]] and s["final_eval_loss"] == 6.21
    assert (s["train_runtime_s"], s["train_loss"]) == (4.4, 6.19)
    empty = metrics.summarize({"log_history": []})
    assert empty["loss_history"] == [] and empty["final_loss"] is None and empty["steps"] == 0


def test_parse_train_summary_from_the_stdout_line():
    log = ("{'loss': '6.2', 'epoch': '0.1'}\nbar 100%|####|\r"
           "{'train_runtime': '4.418', 'train_samples_per_second': '2.716', 'train_loss': '6.199', 'epoch': '0.6'}\n")
    assert metrics.parse_train_summary(log) == {
        "train_runtime": 4.418, "train_samples_per_second": 2.716, "train_loss": 6.199, "epoch": 0.6}
    assert metrics.parse_train_summary("nothing here") == {}


def test_write_metrics_writes_json_and_png(tmp_path):
    paths = RunPaths.create(tmp_path)
    assert metrics.write_metrics(paths) is None  # no trainer state yet
    state = {**STATE, "log_history": STATE["log_history"][:-1]}  # checkpoint copies lack the summary
    _checkpoint(paths.output_dir, 6, state)
    paths.log.write_text("{'train_runtime': '4.418', 'train_loss': '6.199', 'epoch': '0.6'}\n")
    m = metrics.write_metrics(paths)
    assert json.loads(paths.metrics.read_text()) == m
    assert m["run_id"] == paths.root.name and len(m["loss_history"]) == 6
    assert (m["train_runtime_s"], m["train_loss"]) == (4.418, 6.199)
    assert m["loss_png"] == "loss.png" and paths.loss_png.read_bytes().startswith(PNG_SIGNATURE)


def test_train_refuses_to_resume_without_a_checkpoint(tmp_path):
    paths = RunPaths.create(tmp_path)
    with pytest.raises(launch.LaunchError, match="render"):
        launch.train(paths, launcher="python", echo=None)
    paths.config.write_text("base_model: x\n")
    with pytest.raises(launch.LaunchError, match="nothing to resume"):
        launch.train(paths, launcher="python", resume=True, echo=None)
    with pytest.raises(launch.LaunchError, match="no trained adapter"):
        launch.merge(paths, echo=None)


# --- the real thing ------------------------------------------------------------------------------------------

def _axolotl_config(tmp_path: Path, paths: RunPaths) -> dict:
    from gh_ft.train.tiny import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny")
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({
        "instruction": f"Write the SolveInstance body that outputs the sum of input A and {i}.",
        "input": "" if i % 2 else "double a = 0; DA.GetData(0, ref a);",
        "output": f"double a = 0;\nif (!DA.GetData(0, ref a)) return;\nDA.SetData(0, a + {i});"}) + "\n"
        for i in range(20)))
    return {
        "base_model": str(model), "tokenizer_type": "AutoTokenizer",
        "datasets": [{"path": str(data), "ds_type": "json", "type": "alpaca"}],
        "dataset_prepared_path": str(paths.prepared), "val_set_size": 0, "sequence_len": 512,
        "sample_packing": False, "adapter": "lora", "lora_r": 8, "lora_alpha": 16, "lora_dropout": 0.05,
        "lora_target_linear": True, "lora_mlp_kernel": False, "lora_qkv_kernel": False, "lora_o_kernel": False,
        "micro_batch_size": 2, "gradient_accumulation_steps": 1, "num_epochs": 1, "max_steps": 6,
        "learning_rate": 0.001, "optimizer": "adamw_torch", "lr_scheduler": "cosine", "warmup_steps": 0,
        "bf16": False, "fp16": False, "tf32": False, "attn_implementation": "sdpa",
        "output_dir": str(paths.output_dir), "logging_steps": 1, "save_strategy": "steps", "save_steps": 3,
        "save_total_limit": 3, "seed": 42, "dataset_num_proc": 1,
    }


def test_real_axolotl_train_resume_and_merge(tmp_path):
    pytest.importorskip("axolotl")
    yaml = pytest.importorskip("yaml")
    paths = RunPaths.create(tmp_path / "runs")
    paths.config.write_text(yaml.safe_dump(_axolotl_config(tmp_path, paths)))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

    assert launch.train(paths, launcher="python", echo=None, env=env) == 0, paths.log.read_text()[-3000:]
    m = json.loads(paths.metrics.read_text())
    assert [s for s, _ in m["loss_history"]] == [1, 2, 3, 4, 5, 6]
    assert m["final_loss"] < m["first_loss"] and m["train_runtime_s"] > 0
    assert paths.loss_png.read_bytes().startswith(PNG_SIGNATURE)
    assert (paths.output_dir / "adapter_model.safetensors").is_file()

    # Lose the last checkpoint, as if stopped after step 3; resume picks checkpoint-3 and does 4..6.
    import shutil
    shutil.rmtree(paths.output_dir / "checkpoint-6")
    before = paths.log.read_text()
    assert launch.train(paths, launcher="python", resume=True, echo=None, env=env) == 0
    resumed = paths.log.read_text()[len(before):]
    assert "--resume_from_checkpoint=" + str(paths.output_dir / "checkpoint-3") in resumed
    assert resumed.count("{'loss': ") == 3
    m = json.loads(paths.metrics.read_text())
    assert [s for s, _ in m["loss_history"]] == [1, 2, 3, 4, 5, 6]
    assert (paths.output_dir / "checkpoint-6" / "trainer_state.json").is_file()

    assert launch.merge(paths, echo=None, env=env) == 0, paths.merge_log.read_text()[-3000:]
    assert (paths.merged / "model.safetensors").is_file()
    assert (paths.merged / "config.json").is_file()
