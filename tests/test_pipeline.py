"""`gh-ft run` end to end on the sample corpus with the session's tiny model: every stage
runs once, then a second run skips, a touched file skips, and editing a source, a template
or a preset reruns exactly the stages downstream of it. Feedback survives re-runs."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import ollama
import pytest
import yaml

from gh_ft.pipeline import FAILED, RAN, SKIPPED, STAGES, Pipeline, render_summary
from gh_ft.settings import load_settings

from conftest import SAMPLE
from ollama_standin import StandinOllama


@pytest.fixture(scope="module")
def pipeline_project(tmp_path_factory, tiny_model_dir):
    from gh_ft.project import init_project

    root = tmp_path_factory.mktemp("pipeline")
    shutil.copytree(SAMPLE, root / "context")
    init_project(root)
    preset = root / "configs" / "tiny-cpu.yml"
    preset.write_text(preset.read_text().replace("max_steps: 30", "max_steps: 4"))
    (root / "gh-ft.yml").write_text(yaml.safe_dump({
        "collect": {"context_dir": "context", "out": "dataset", "workers": 1},
        "train": {"preset": "tiny-cpu", "tiny_model_dir": str(tiny_model_dir), "runs_dir": "runs",
                  "launcher": "python"},
        "evaluate": {"max_new_tokens": 8, "limit": 2, "context": ["context/src"]},
        "export": {"quantizations": ["q8_0"]},
        # Nothing listens at port 9: the Ollama stage must say so and not fail the run.
        "ollama": {"host": "http://127.0.0.1:9", "quantization": "q8_0"},
    }), encoding="utf-8")
    return root


def run_pipeline(root: Path, **kw):
    lines: list[str] = []
    settings = load_settings(root / "gh-ft.yml")
    result = Pipeline(settings, echo=lines.append, progress=False, **kw).run()
    text = render_summary(result)
    statuses = {s.name: s.status for s in result.stages}
    assert result.ok, text + "\n" + "\n".join(lines[-60:])
    return result, statuses, text


def train_side_source(root: Path) -> Path:
    """A .cs source of the sample whose component is in train.jsonl (so editing it changes training data)."""
    train_outputs = [json.loads(l)["output"] for l in (root / "dataset" / "train.jsonl").open() if l.strip()]
    for line in (root / "dataset" / "examples.jsonl").open():
        row = json.loads(line)
        src = row["source"].split(":")[0].split("#")[0]
        if src.endswith(".cs") and row["output"] in train_outputs:
            return root / "context" / src
    raise AssertionError("no training example comes from a .cs file")


def edit_inside_class(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    m = re.search(r"class\s+\w+[^{]*\{", text)
    path.write_text(text[:m.end()] + "\n        // a note added by the pipeline test\n" + text[m.end():],
                    encoding="utf-8")


def test_first_run_runs_every_stage_and_names_every_artifact(pipeline_project):
    result, statuses, text = run_pipeline(pipeline_project)
    assert statuses == {**{s: RAN for s in STAGES}, "ollama": "unavailable"}, text
    assert "http://127.0.0.1:9" in text  # the address tried
    arts = result.artifacts
    for name in ("train.jsonl", "test.jsonl", "manifest.json", "run", "train.log", "metrics.json", "adapter",
                 "merged model", "Modelfile", "gguf q8_0", "report.html", "report.json", "report.md"):
        assert name in arts, (name, sorted(arts))
        assert Path(arts[name]).exists()
        assert arts[name] in text
    html = Path(arts["report.html"]).read_text(encoding="utf-8")
    for name, path in arts.items():
        if not name.startswith("report."):
            assert path in html, f"the HTML report does not name {name}: {path}"
    assert re.search(r"loss: [0-9.]+ → [0-9.]+ over 4 steps", text)
    assert "judge (2 test tasks" in text


def test_second_run_skips_and_says_so(pipeline_project):
    _, statuses, text = run_pipeline(pipeline_project)
    assert statuses == {**{s: SKIPPED for s in STAGES}, "ollama": "unavailable"}, text
    assert "unchanged" in text


def test_touching_mtimes_still_skips(pipeline_project):
    for f in (pipeline_project / "context").rglob("*"):
        if f.is_file():
            os.utime(f)
    _, statuses, text = run_pipeline(pipeline_project)
    assert all(statuses[s] == SKIPPED for s in STAGES[:-1]), text


def test_editing_the_modelfile_template_reruns_export_only(pipeline_project):
    template = pipeline_project / "templates" / "Modelfile.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\n{# edited #}\n", encoding="utf-8")
    _, statuses, text = run_pipeline(pipeline_project)
    assert statuses["export"] == RAN, text
    assert [s for s in STAGES[:-1] if statuses[s] != SKIPPED] == ["export"], text


def test_a_changed_decoding_reruns_export_and_evaluate_only(pipeline_project, monkeypatch):
    """The Modelfile's PARAMETERs and the evaluation are made with gh_ft.prompt.GENERATION: a new
    default (a gh-ft upgrade) must not leave the old Modelfile or report standing as current."""
    from gh_ft import stages

    monkeypatch.setattr(stages, "GENERATION", stages.GENERATION.but(repeat_penalty=1.2))
    _, statuses, text = run_pipeline(pipeline_project)
    assert [s for s in STAGES[:-1] if statuses[s] != SKIPPED] == ["export", "evaluate"], text


def test_editing_the_axolotl_template_reruns_from_train(pipeline_project):
    template = pipeline_project / "templates" / "axolotl.yml.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\n# edited by the test\n", encoding="utf-8")
    _, statuses, text = run_pipeline(pipeline_project)
    assert {s: statuses[s] for s in STAGES[:-1]} == {
        "collect": SKIPPED, "check": SKIPPED, "train": RAN, "merge": RAN, "export": RAN, "evaluate": RAN}, text


def test_editing_a_preset_reruns_from_check(pipeline_project):
    preset = pipeline_project / "configs" / "tiny-cpu.yml"
    preset.write_text(preset.read_text().replace("learning_rate: 0.002", "learning_rate: 0.001"))
    _, statuses, text = run_pipeline(pipeline_project)
    assert {s: statuses[s] for s in STAGES[:-1]} == {
        "collect": SKIPPED, "check": RAN, "train": RAN, "merge": RAN, "export": RAN, "evaluate": RAN}, text


def test_editing_a_source_reruns_everything_downstream_and_keeps_feedback(pipeline_project):
    data = pipeline_project / "dataset"
    feedback_row = {"instruction": "Write a component that doubles a number.", "input": "",
                    "output": "public class DoubleIt : GH_Component { }"}
    (data / "feedback.jsonl").write_text(json.dumps(feedback_row) + "\n", encoding="utf-8")
    edit_inside_class(train_side_source(pipeline_project))
    result, statuses, text = run_pipeline(pipeline_project)
    assert {s: statuses[s] for s in STAGES[:-1]} == {s: RAN for s in STAGES[:-1]}, text
    assert json.loads((data / "feedback.jsonl").read_text().splitlines()[0]) == feedback_row
    run = Path(result.artifacts["run"])
    datasets = [d["path"] for d in yaml.safe_load((run / "axolotl.yml").read_text())["datasets"]]
    assert str((data / "feedback.jsonl").resolve()) in datasets
    assert "feedback 1" in text


def test_with_a_server_answering_the_model_is_created_once(pipeline_project, tmp_path):
    """Last, since it changes the project's Ollama address: against the test stand-in for
    Ollama's HTTP API, the stage creates the model through the real client, then skips."""
    with StandinOllama(tmp_path / "ollama-standin") as server:
        settings_file = pipeline_project / "gh-ft.yml"
        data = yaml.safe_load(settings_file.read_text())
        data["ollama"]["host"] = server.url
        settings_file.write_text(yaml.safe_dump(data))
        _, statuses, text = run_pipeline(pipeline_project)
        assert statuses["ollama"] == RAN, text
        assert "grasshopper-component-generator:latest" in [m.model for m in ollama.Client(server.url).list().models]
        _, statuses, text = run_pipeline(pipeline_project)
        assert statuses["ollama"] == SKIPPED, text


def test_a_failing_stage_stops_the_run_with_its_message(pipeline_project, tmp_path):
    (tmp_path / "empty").mkdir()
    settings = load_settings(pipeline_project / "gh-ft.yml", {
        "collect": {"context_dir": tmp_path / "empty", "out": tmp_path / "dataset"},
        "train": {"runs_dir": tmp_path / "runs"}})
    result = Pipeline(settings, echo=lambda _: None, progress=False).run()
    statuses = [s.status for s in result.stages]
    assert statuses[0] == FAILED and set(statuses[1:]) == {"not reached"}
    assert "stopped at collect" in render_summary(result)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gh_ft_run_reaches_the_host_that_OLLAMA_HOST_names(pipeline_project, tmp_path, monkeypatch):
    """Was: `gh-ft run` ignored OLLAMA_HOST (its stage passed the default host on), while
    `gh-ft ollama create` honoured it. The project file names no host here: the variable decides."""
    from click.testing import CliRunner

    from gh_ft.cli import main

    settings_file = pipeline_project / "gh-ft.yml"
    original = settings_file.read_text()
    data = yaml.safe_load(original)
    data["ollama"].pop("host")
    settings_file.write_text(yaml.safe_dump(data))
    monkeypatch.chdir(pipeline_project)
    try:
        silent = f"http://127.0.0.1:{_free_port()}"
        monkeypatch.setenv("OLLAMA_HOST", silent)
        result = CliRunner().invoke(main, ["run", "-q"])
        assert result.exit_code == 0, result.output
        assert f"no Ollama server answered at {silent}" in result.output  # the error names that host
        with StandinOllama(tmp_path / "ollama-env") as server:
            monkeypatch.setenv("OLLAMA_HOST", server.url)
            result = CliRunner().invoke(main, ["run", "-q"])
            assert result.exit_code == 0, result.output
            assert f"created grasshopper-component-generator at {server.url}" in result.output
            assert "grasshopper-component-generator:latest" in [m.model for m in
                                                                ollama.Client(server.url).list().models]
    finally:
        settings_file.write_text(original)
