"""The improve loop: the gate's rules, the loop's control flow with stand-in steps (fast),
SIGTERM between steps, and the real thing on the tiny model: feedback files → ingest →
Axolotl → judge + test loss → promotion → Ollama (stand-in server) and outbox; a worse model
(trained on word-shuffled outputs) refused with everything served left as it was; two
`improve --once` processes of which only one trains; the workstation's bundle watch."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gh_ft.loop.gate import Scores, decide
from gh_ft.loop.improve import (EXIT_BUSY, DataState, ImproveLoop, IngestSummary, StopSignal, Steps, TrainOutcome,
                           loop_lock)
from gh_ft.files import LockBusy
from gh_ft.loop.registry import Registry, current_row
from gh_ft.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_context"
MODEL = "grasshopper-component-generator"


# ---------------------------------------------------------------- the gate (pure)

def test_gate_pass_rate_first_then_loss():
    cur = Scores(0.50, 1.00, 10)
    assert decide(Scores(0.60, 9.0, 10), cur).promote                       # more passes: loss does not matter
    assert not decide(Scores(0.40, 0.10, 10), cur).promote                  # fewer passes: refused
    assert decide(Scores(0.50, 1.00, 10), cur).promote                      # equal: not worse
    assert decide(Scores(0.50, 0.90, 10), cur).promote
    verdict = decide(Scores(0.50, 1.01, 10), cur)
    assert not verdict.promote and "test loss 1.0100 vs 1.0000" in verdict.reason
    # Both pass nothing: the loss still tells them apart.
    assert not decide(Scores(0.0, 6.07, 4), Scores(0.0, 6.01, 4)).promote
    assert decide(Scores(0.0, 6.00, 4), Scores(0.0, 6.01, 4)).promote


def test_gate_allowances_and_bad_inputs():
    cur = Scores(0.50, 1.00, 10)
    assert decide(Scores(0.45, 0.90, 10), cur, max_pass_rate_drop=0.1).promote
    assert not decide(Scores(0.45, 1.20, 10), cur, max_pass_rate_drop=0.1).promote
    assert decide(Scores(0.50, 1.04, 10), cur, max_loss_increase=0.05).promote
    assert not decide(Scores(0.50, float("nan"), 10), cur).promote          # no finite loss: worse than any
    assert not decide(Scores(0.50, None, 10), cur).promote
    with pytest.raises(ValueError, match="different test sets"):
        decide(Scores(0.5, 1.0, 9), cur)
    with pytest.raises(ValueError):
        decide(cur, cur, max_pass_rate_drop=-0.1)


def test_loss_scores_exactly_the_tokens_axolotl_trains(tiny_model_dir):
    """tokenize_row gives Axolotl's labelled tokens: the scored part is what training learns."""
    from axolotl.prompt_tokenizers import AlpacaPromptTokenizingStrategy
    from axolotl.prompters import AlpacaPrompter
    from transformers import AutoTokenizer

    from gh_ft.evaluate.loss import tokenize_row

    tok = AutoTokenizer.from_pretrained(tiny_model_dir, local_files_only=True)
    strategy = AlpacaPromptTokenizingStrategy(AlpacaPrompter(), tok, False, 2048)
    for row in ({"instruction": "Offset a curve.", "input": "", "output": "public class A : GH_Component { }"},
                {"instruction": "Read input 0.", "input": "Curve c = null;", "output": "DA.GetData(0, ref c);"}):
        ax = strategy.tokenize_prompt(row)
        prompt, answer = tokenize_row(tok, row["instruction"], row["input"], row["output"])
        assert ax["input_ids"] == prompt + answer
        assert [t for t, label in zip(ax["input_ids"], ax["labels"]) if label != -100] == answer


# ---------------------------------------------------------------- the loop with stand-in steps

class World:
    """Stand-in steps: counts feedback, 'trains' by making a run folder, scores from a table."""

    def __init__(self, runs_dir: Path):
        self.runs_dir = runs_dir
        self.total = 0                 # feedback rows in the dataset
        self.data = "data-0"           # the training data's hash
        self.test = "test-1"           # the test split's hash (scores are cached per test split)
        self.train_rc = 0
        self.scores = {"base": Scores(0.0, 6.2, 4)}
        self.calls: list = []
        self.published: list[int] = []
        self.hooks: dict = {}
        self.publish_error: Exception | None = None

    def _hook(self, name, *args):
        if name in self.hooks:
            self.hooks[name](*args)

    def steps(self) -> Steps:
        def ingest():
            self.calls.append("ingest")
            self._hook("ingest")
            return IngestSummary(0, self.total, [f"{self.total} in"])

        def train(version):
            self.calls.append(("train", version))
            run = self.runs_dir / f"2026-run-{version}"
            (run / "output").mkdir(parents=True)
            (run / "output" / "adapter_config.json").write_text("{}")
            self._hook("train", version)
            return TrainOutcome(run, self.train_rc, {"steps": 30, "final_loss": 5.9},
                                {"base_model": "/models/base", "preset": "tiny-cpu"})

        def evaluate(ref, out):
            self.calls.append(("evaluate", ref.label))
            self._hook("evaluate", ref)
            assert ref.model == "/models/base" and (ref.adapter is None) == (ref.label == "base")
            return self.scores[ref.label]

        def publish(row, run_dir):
            if self.publish_error:
                raise self.publish_error
            self.published.append(row["version"])
            return {"lines": [f"published v{row['version']}"]}

        return Steps(ingest=ingest, data_state=lambda: DataState({"train.jsonl": self.data}, self.data, self.test),
                     train=train, evaluate=evaluate, publish=publish)


@pytest.fixture
def world(tmp_path):
    return World(tmp_path / "runs")


def _loop(world: World, min_examples: int = 3, stop: StopSignal | None = None, **improve) -> ImproveLoop:
    settings = Settings().replace(improve={"min_examples": min_examples, "keep_runs": 0, **improve})
    lines: list[str] = []
    loop = ImproveLoop(settings, world.runs_dir, world.steps(), echo=lines.append, stop=stop)
    loop.lines = lines  # type: ignore[attr-defined]
    return loop


def test_trains_only_when_enough_is_new_and_the_data_changed(world):
    loop = _loop(world)
    world.total = 2
    r = loop.round()
    assert (r.outcome, r.message) == ("nothing", "2 new feedback example(s) so far; 3 needed")
    assert Registry(world.runs_dir).rows() == []
    world.total, world.data, world.scores["v1"] = 3, "data-1", Scores(0.0, 6.0, 4)
    r = loop.round()
    assert (r.outcome, r.version) == ("promoted", 1) and "over base" in r.message
    world.total = 5
    assert loop.round().message == "2 new feedback example(s) since v1; 3 needed"
    loop.s = loop.s.replace(improve={"min_examples": 0})
    assert loop.round().message == "the training data is unchanged since v1"
    assert [c for c in world.calls if c != "ingest"] == [("train", 1), ("evaluate", "v1"), ("evaluate", "base")]


def test_a_worse_or_failed_version_leaves_the_served_one_alone(world):
    reg = Registry(world.runs_dir)
    loop = _loop(world, min_examples=0)
    world.data, world.scores["v1"] = "data-1", Scores(0.25, 5.0, 4)
    assert loop.round().outcome == "promoted"
    latest, published = reg.read_latest(), list(world.published)
    world.data, world.scores["v2"] = "data-2", Scores(0.25, 5.5, 4)
    r = loop.round()
    assert r.outcome == "rejected" and "v1 stays in service" in r.message
    row = reg.rows()[1]
    assert row["verdict"] == "rejected" and "test loss 5.5000 vs 5.0000" in row["reason"]
    assert row["metrics"]["candidate"] == {"pass_rate": 0.25, "test_loss": 5.5, "tasks": 4}
    assert row["metrics"]["current"]["test_loss"] == 5.0 and row["metrics"]["compared_with"] == "v1"
    world.data, world.train_rc = "data-3", 1
    r = loop.round()
    assert (r.outcome, r.exit_code) == ("failed", 1) and "training failed (exit 1)" in r.message
    assert reg.rows()[2]["verdict"] == "failed"
    assert reg.current()["version"] == 1 and reg.read_latest() == latest and world.published == published == [1]
    # v1's scores on this test set were cached when it was judged: evaluated once only.
    assert world.calls.count(("evaluate", "v1")) == 1


def test_sigterm_stops_between_steps(world):
    stop = StopSignal()
    loop = _loop(world, min_examples=0, stop=stop)
    world.data = "data-1"
    world.hooks["ingest"] = lambda: os.kill(os.getpid(), signal.SIGTERM)
    with stop.installed():
        r = loop.round()
    assert (r.outcome, r.version) == ("stopped", None) and "SIGTERM: stopped before training" in r.message
    assert world.calls == ["ingest"] and Registry(world.runs_dir).rows() == []

    stop = StopSignal()
    loop = _loop(world, min_examples=0, stop=stop)
    world.hooks = {"train": lambda v: os.kill(os.getpid(), signal.SIGTERM)}
    with stop.installed():
        r = loop.round()
    row = Registry(world.runs_dir).rows()[0]
    assert (r.outcome, r.version) == ("stopped", 1) and "stopped before evaluation" in r.message
    assert row["verdict"] == "interrupted" and row["run_dir"] == "2026-run-1"
    assert not any(c[0] == "evaluate" for c in world.calls if isinstance(c, tuple))
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the handler is gone again


def test_training_stopped_by_a_signal_stops_the_watch(world):
    loop = _loop(world, min_examples=0)
    world.data, world.train_rc = "data-1", 143
    loop.watch(interval_s=30)  # would sleep 30 s if the stop were not seen
    row = Registry(world.runs_dir).rows()[0]
    assert row["verdict"] == "interrupted" and "exit 143" in row["reason"]
    assert loop.lines[-1].endswith("stopped (training stopped (exit 143))")


def test_watch_rounds_until_asked_to_stop(world):
    stop = StopSignal()
    loop = _loop(world, min_examples=10, stop=stop)
    world.hooks["ingest"] = lambda: world.calls.count("ingest") == 3 and stop.request("test")
    t0 = time.monotonic()
    loop.watch(interval_s=0.05)
    assert world.calls.count("ingest") == 3 and time.monotonic() - t0 < 5


def test_a_crash_is_recovered_at_the_next_start(world):
    reg = Registry(world.runs_dir)
    loop = _loop(world, min_examples=0)
    world.data, world.scores["v1"] = "data-1", Scores(0.0, 6.0, 4)
    loop.round()
    # As after a kill -9 during training: a row left "training" and its run folder unrecorded.
    reg.add(data_hash="data-2")
    orphan = world.runs_dir / "2099-orphan"
    orphan.mkdir()
    (orphan / "run.json").write_text(json.dumps({"argv": ["gh-ft", "improve", "--watch"], "created": "2099-01-01"}))
    os.remove(reg.latest)  # and as if the latest switch had not happened
    loop.s = loop.s.replace(improve={"min_examples": 99})
    loop.round()
    row = reg.rows()[1]
    assert row["verdict"] == "interrupted" and "crash or kill" in row["reason"] and row["run_dir"] == "2099-orphan"
    assert reg.read_latest() == reg.rows()[0]["run_dir"]


def test_a_rollback_during_evaluation_wins(world):
    reg = Registry(world.runs_dir)
    loop = _loop(world, min_examples=0)
    for v in (1, 2):
        world.data, world.scores[f"v{v}"] = f"data-{v}", Scores(0.0, 6.0 - v / 10, 4)
        assert loop.round().outcome == "promoted"
    # A new test split: v2 is evaluated again, and while that runs, someone rolls back to v1.
    world.data, world.test, world.scores["v3"] = "data-3", "test-2", Scores(0.5, 5.0, 4)
    world.hooks["evaluate"] = lambda ref: ref.label == "v2" and reg.promote(1, by="rollback")
    r = loop.round()
    assert r.outcome == "rejected" and "changed to v1" in r.message
    assert reg.current()["version"] == 1 and reg.rows()[2]["verdict"] == "rejected"


def test_publishing_that_failed_is_retried(world):
    reg = Registry(world.runs_dir)
    loop = _loop(world, min_examples=0)
    world.data, world.scores["v1"] = "data-1", Scores(0.0, 6.0, 4)
    world.publish_error = ConnectionError("outbox share not mounted")
    assert loop.round().outcome == "promoted"
    assert reg.rows()[0]["published"]["pending"] == ["ConnectionError: outbox share not mounted"]
    world.publish_error = None
    loop.round()
    assert world.published == [1] and reg.rows()[0]["published"].get("pending") is None
    loop.round()
    assert world.published == [1]  # published for this promotion: not again


def test_the_loop_lock_names_its_holder(tmp_path):
    with loop_lock(tmp_path):
        with pytest.raises(LockBusy, match=rf"improve loop is busy: pid {os.getpid()} holds"):
            with loop_lock(tmp_path):
                pass
    with loop_lock(tmp_path):
        pass


def test_improve_needs_a_mode():
    from click.testing import CliRunner

    from gh_ft.cli import main

    out = CliRunner().invoke(main, ["improve"])
    assert out.exit_code == 2 and "choose --once or --watch" in out.output


# ---------------------------------------------------------------- the outbox, with stand-in installers

def _outbox(tmp_path: Path, version: int, seq: int, payload: bytes) -> Path:
    from gh_ft.serve.outbox import publish_to_outbox

    outbox = tmp_path / "outbox"

    def make_bundle(modelfile, target, *, model_name, progress):
        target.write_bytes(payload)
        return target

    publish_to_outbox(outbox, tmp_path / "Modelfile", model_name=MODEL, version=version, seq=seq,
                      keep_versions=set(), make_bundle=make_bundle)
    return outbox


class Workstation:
    def __init__(self):
        self.installed: list[tuple[str, int]] = []
        self.served: list[int] = []

    def watch(self, outbox: Path, state: Path):
        from gh_ft.serve.outbox import watch_once

        return watch_once(outbox, state, install=lambda b, v: self.installed.append((b.name, v)),
                          point=self.served.append, has_tag=lambda v: any(i[1] == v for i in self.installed))


def test_watch_installs_only_complete_bundles_once(tmp_path):
    outbox = _outbox(tmp_path, 1, 1, b"bundle one" * 100)
    state, ws = tmp_path / "state.json", Workstation()
    bundle = outbox / f"{MODEL}-v1.ollama-bundle.tar"
    full = bundle.read_bytes()
    bundle.write_bytes(full[:500])                    # a sync tool is still copying it
    assert ws.watch(outbox, state).action == "waiting" and ws.installed == []
    bundle.write_bytes(full[:-1] + b"X")              # complete size, wrong bytes
    assert "checksum" in ws.watch(outbox, state).message and ws.installed == []
    bundle.write_bytes(full)
    r = ws.watch(outbox, state)
    assert (r.action, r.version) == ("installed", 1) and ws.installed == [(bundle.name, 1)] and ws.served == [1]
    assert ws.watch(outbox, state).action == "up-to-date" and len(ws.installed) == 1   # idempotent
    (outbox / "promoted.json").write_text('{"format": "gh-ft-out')  # the pointer half-synced
    assert ws.watch(outbox, state).action == "waiting"


def test_watch_follows_promotions_and_rollbacks(tmp_path):
    state, ws = tmp_path / "state.json", Workstation()
    _outbox(tmp_path, 1, 1, b"one")
    ws.watch(tmp_path / "outbox", state)
    outbox = _outbox(tmp_path, 2, 2, b"two")
    assert ws.watch(outbox, state).action == "installed"
    assert not (outbox / f"{MODEL}-v1.ollama-bundle.tar").exists()  # not kept: only v2 is left
    # The trainer rolls back to v1 (a new promotion event): the workstation has v1 already.
    _outbox(tmp_path, 1, 3, b"one")
    r = ws.watch(outbox, state)
    assert r.action == "repointed" and [v for _, v in ws.installed] == [1, 2] and ws.served == [1, 2, 1]
    state.write_text("{broken")
    from gh_ft.serve.outbox import OutboxError
    with pytest.raises(OutboxError, match="damaged"):
        ws.watch(outbox, state)


# ---------------------------------------------------------------- SIGTERM and the lock, as processes

def _gh_ft(*args: str) -> list[str]:
    return [sys.executable, "-m", "gh_ft", *args]


def test_sigterm_stops_the_watch_loop_and_frees_the_lock(tmp_path, sample_dataset):
    import threading

    config = tmp_path / "gh-ft.yml"
    config.write_text(f"collect:\n  out: {sample_dataset}\ntrain:\n  runs_dir: runs\nimprove:\n  min_examples: 1000\n")
    proc = subprocess.Popen(_gh_ft("--config", str(config), "improve", "--watch", "--interval", "600"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 180
    while not any("1000 needed" in line for line in lines) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert any("0 new feedback example(s) so far; 1000 needed" in line for line in lines), lines
    busy = subprocess.run(_gh_ft("--config", str(config), "improve", "--once"), capture_output=True, text=True,
                          timeout=180)
    assert busy.returncode == EXIT_BUSY and f"improve loop is busy: pid {proc.pid} holds" in busy.stderr
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)                   # it sleeps between rounds: stops at once
    assert proc.wait(timeout=60) == 0 and time.monotonic() - t0 < 10
    reader.join(10)
    assert lines[-1].rstrip().endswith("stopped (SIGTERM)")
    after = subprocess.run(_gh_ft("--config", str(config), "improve", "--once"), capture_output=True, text=True,
                           timeout=180)
    assert after.returncode == 0 and "1000 needed" in after.stdout


# ---------------------------------------------------------------- the real loop on the tiny model

FEEDBACK_FILES = 4


@pytest.fixture(scope="module")
def real_loop(tmp_path_factory, tiny_model_dir, sample_dataset):
    """A project whose feedback folder holds plugin feedback files, served by a stand-in Ollama
    server; two `gh-ft improve --once` processes started together on it."""
    from feedback_fixtures import component, feedback_bytes, instruction_for
    from ollama_standin import StandinOllama
    from tools import require_module

    require_module("llama_cpp", "the promoted version is exported to GGUF and quantized for Ollama")
    root = tmp_path_factory.mktemp("improve")
    shutil.copytree(sample_dataset, root / "dataset")
    inbox = root / "inbox"
    inbox.mkdir()
    rng = random.Random(7)
    for i in range(FEEDBACK_FILES):
        code = component(500 + i, rng)
        (inbox / f"successful_gen_20260102_09000{i}.json").write_bytes(
            feedback_bytes(instruction_for(500 + i, code), code))
    with StandinOllama(root / "ollama") as server:
        config = root / "gh-ft.yml"
        config.write_text(f"""collect:
  context_dir: {SAMPLE}
  out: dataset
train:
  preset: tiny-cpu
  tiny_model_dir: {tiny_model_dir}
  runs_dir: runs
  launcher: python
evaluate:
  max_new_tokens: 32
feedback:
  from_dir: inbox
  min_age_s: 0
improve:
  min_examples: 3
  outbox: outbox
export:
  quantizations: [q8_0]
ollama:
  host: {server.url}
  quantization: q8_0
""", encoding="utf-8")
        t0 = time.monotonic()
        procs = [subprocess.Popen(_gh_ft("--config", str(config), "improve", "--once"), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=1800) for p in procs]
        yield {"root": root, "config": config, "server": server, "seconds": time.monotonic() - t0,
               "results": [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs)]}


def _digests(server) -> dict[str, str]:
    return {name: m.model_digest for name, m in server.models.items()}


def test_improve_once_from_feedback_files_to_a_promoted_version(real_loop):
    root, server = real_loop["root"], real_loop["server"]
    results = sorted(real_loop["results"], key=lambda r: r[0])
    (code, out, err), (busy_code, _, busy_err) = results
    # Two processes started together: one trained, the other found the loop busy.
    assert (code, busy_code) == (0, EXIT_BUSY), (out, err, busy_err)
    assert "improve loop is busy" in busy_err and "holds" in busy_err
    assert "feedback: 4 accepted" in out and "v1 promoted (" in out
    # The feedback went into the dataset, the files into processed/.
    assert len((root / "dataset" / "feedback.jsonl").read_text().splitlines()) == FEEDBACK_FILES
    assert len(list((root / "inbox" / "processed").glob("successful_gen_*.json"))) == FEEDBACK_FILES
    # The registry: one version, what it was made of, how it scored, the verdict.
    reg = Registry(root / "runs")
    [row] = reg.rows()
    assert row["verdict"] == "promoted" and row["feedback_examples"] == FEEDBACK_FILES and row["new_examples"] == 4
    assert set(row["data"]) == {"train.jsonl", "feedback.jsonl"} and len(row["data_hash"]) == 64
    assert row["config"]["preset"] == "tiny-cpu" and row["config"]["axolotl_yml_sha256"]
    m = row["metrics"]
    assert m["compared_with"] == "base" and m["train"]["steps"] == 30
    assert m["candidate"]["tasks"] == m["current"]["tasks"] == 4
    assert m["candidate"]["test_loss"] < m["current"]["test_loss"]  # it learnt something
    run = root / "runs" / row["run_dir"]
    assert (run / "gate" / "v1" / "report.json").is_file() and (run / "gate" / "base" / "report.json").is_file()
    # Served: runs/latest, the Ollama tag and name, the outbox.
    assert reg.read_latest() == row["run_dir"] and (root / "runs" / "latest" / "output" / "adapter_config.json").is_file()
    digests = _digests(server)
    assert set(digests) == {f"{MODEL}:v1", f"{MODEL}:latest"} and digests[f"{MODEL}:v1"] == digests[f"{MODEL}:latest"]
    pointer = json.loads((root / "outbox" / "promoted.json").read_text())
    assert (pointer["model_version"], pointer["bundle"]) == (1, f"{MODEL}-v1.ollama-bundle.tar")
    assert (root / "outbox" / pointer["bundle"]).stat().st_size == pointer["size"]
    assert row["published"]["ollama"]["tag"] == f"{MODEL}:v1" and not row["published"]["pending"]
    print(f"\nimprove --once (two processes, one trains): {real_loop['seconds']:.1f} s")


def test_bundle_watch_installs_the_promoted_bundle_once(real_loop, tmp_path):
    from click.testing import CliRunner
    from ollama_standin import StandinOllama

    from gh_ft.cli import main

    trainer = _digests(real_loop["server"])
    with StandinOllama(tmp_path / "workstation") as ws:
        config = tmp_path / "gh-ft.yml"
        config.write_text(f"ollama:\n  host: {ws.url}\n")
        args = ["--config", str(config), "bundle", "watch", "--from", str(real_loop["root"] / "outbox"), "--once",
                "--state", str(tmp_path / "state.json")]
        first = CliRunner().invoke(main, args)
        assert first.exit_code == 0 and f"installed {MODEL}-v1.ollama-bundle.tar as v1" in first.output, first.output
        assert _digests(ws) == trainer  # the same GGUF, under the same names
        outbox = real_loop["root"] / "outbox"  # nothing extracted into the (synced) outbox
        assert sorted(p.name for p in outbox.iterdir()) == [f"{MODEL}-v1.ollama-bundle.tar", "promoted.json"]
        creates = [r for r in ws.requests if r == ("POST", "/api/create")]
        again = CliRunner().invoke(main, args)
        assert again.exit_code == 0 and "v1 is installed and served" in again.output
        assert [r for r in ws.requests if r == ("POST", "/api/create")] == creates  # nothing installed twice


def _shuffle_words(data_dir: Path) -> bytes:
    """Make train.jsonl teach the wrong thing: each output's words in random order."""
    from gh_ft.files import atomic_write_jsonl, read_jsonl

    path = data_dir / "train.jsonl"
    before = path.read_bytes()
    rng = random.Random(0)
    rows = list(read_jsonl(path))
    for row in rows:
        words = row["output"].split(" ")
        rng.shuffle(words)
        row["output"] = " ".join(words)
    atomic_write_jsonl(path, rows)
    return before


def test_the_gate_refuses_a_worse_model_and_serving_stays(real_loop):
    from gh_ft.settings import load_settings
    from gh_ft.stages import improve

    root, server = real_loop["root"], real_loop["server"]
    reg = Registry(root / "runs")
    served = (reg.read_latest(), _digests(server), (root / "outbox" / "promoted.json").read_bytes())
    creates = server.requests.count(("POST", "/api/create"))
    original = _shuffle_words(root / "dataset")
    try:
        # no new feedback: retrain because the data changed
        settings = load_settings(real_loop["config"], {"improve": {"min_examples": 0}})
        lines: list[str] = []
        result = improve(settings, watch=False, echo=lines.append)
    finally:
        (root / "dataset" / "train.jsonl").write_bytes(original)
    assert (result.outcome, result.version) == ("rejected", 2), lines
    row = reg.rows()[1]
    m = row["metrics"]
    assert row["verdict"] == "rejected" and m["compared_with"] == "v1"
    assert m["candidate"]["pass_rate"] <= m["current"]["pass_rate"]
    assert m["candidate"]["test_loss"] > m["current"]["test_loss"] and "test loss" in row["reason"]
    assert any(line.endswith("(cached)") and "v1: pass rate" in line for line in lines)  # v1 not re-evaluated
    # Nothing served changed: runs/latest, the Ollama names, the outbox; no v2 anywhere.
    assert (reg.read_latest(), _digests(server), (root / "outbox" / "promoted.json").read_bytes()) == served
    assert server.requests.count(("POST", "/api/create")) == creates
    assert current_row(reg.rows())["version"] == 1
