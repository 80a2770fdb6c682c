"""`gh-ft generate`: one instruction, rendered as in training, answered by real models through
each backend (transformers, llama.cpp, Ollama via the stand-in), tuned vs base with --compare."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gh_ft.evaluate.backends import Generation
from gh_ft.cli import main
from gh_ft.export.modelfile import write_modelfile_for_export
from gh_ft.export.ollama import create_model
from gh_ft.evaluate.generate import Answer, format_answers, generate_answers
from gh_ft.prompt import cut_at_stop, render_prompt
from gh_ft.settings import Settings
from ollama_standin import StandinOllama


def _answer(name: str, text: str, tokens: int = 4, seconds: float = 0.5) -> Answer:
    return Answer(name, {"kind": "transformers", "name": name}, Generation(text, tokens, seconds))


def test_format_one_after_another_and_side_by_side():
    a = _answer("tuned", "public class A : GH_Component\n{\n}")
    b = _answer("base", "zzz " * 30 + "\n漢字漢字")
    plain = format_answers([a, b])
    assert plain.index("=== tuned (transformers): 4 tokens, 0.50 s, 8.0 tokens/s ===") < plain.index("=== base")
    assert "public class A : GH_Component\n{\n}" in plain
    cols = format_answers([a, b], side_by_side=True, width=61).splitlines()
    assert cols[0].startswith("tuned (transformers)") and " | base (transformers)" in cols[0]
    assert all(len(line) <= 61 or "漢" in line for line in cols)
    assert any(line.startswith("{ ") for line in cols)  # code lines keep their characters, one per row
    left = [line.split(" | ")[0].rstrip() for line in cols]
    assert "public class A : GH_Component" in left
    assert format_answers([a], side_by_side=True) == format_answers([a])


def test_transformers_tuned_vs_base(memorized_run):
    merged = str(memorized_run.run_dir / "output" / "merged")
    row = memorized_run.rows[0]
    tuned, base = generate_answers("transformers", [(merged, {}), (str(memorized_run.base_model), {})],
                                   row["instruction"], max_new_tokens=32)
    assert tuned.generation.text == cut_at_stop(row["output"])
    assert base.generation.text != tuned.generation.text
    assert tuned.info["kind"] == "transformers" and tuned.generation.tokens > 0


def test_cli_llamacpp_adapter_with_compare(exported_run, memorized_run):
    e = exported_run.export
    row = memorized_run.rows[2]  # with an input
    result = CliRunner().invoke(main, ["generate", "--backend", "llamacpp", "--model", str(e.base_model_gguf),
                                       "--adapter", str(e.adapter), "--compare", str(e.base_model_gguf),
                                       "--input", row["input"], "--max-new-tokens", "40", "--json",
                                       row["instruction"]], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    tuned, base = json.loads(result.stdout)  # llama.cpp logs to stderr
    assert tuned["text"] == cut_at_stop(row["output"]) and base["text"] != tuned["text"]
    assert tuned["backend"]["kind"] == "llamacpp" and tuned["tokens"] > 0 and tuned["seconds"] > 0


def test_cli_ollama_backend_with_input(exported_run, memorized_run, tmp_path):
    s = Settings().replace(ollama={"quantization": "f32", "num_ctx": 512})
    row = memorized_run.rows[2]
    with StandinOllama(tmp_path / "ollama") as server:
        create_model("gh-gen", write_modelfile_for_export(exported_run.export, s), host=server.url)
        result = CliRunner().invoke(main, ["generate", "--backend", "ollama", "--model", "gh-gen", "--host",
                                           server.url, "--input", row["input"], row["instruction"]],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert server.rendered == [("gh-gen:latest", render_prompt(row["instruction"], row["input"]))]
    assert result.output.startswith("=== ollama:gh-gen (ollama): ")
    assert cut_at_stop(row["output"]) in result.output


@pytest.mark.parametrize("args,message", [
    (["--backend", "nope", "--model", "m", "Do X."], "unknown backend 'nope'"),
    (["--model", "m", "--host", "h:1", "Do X."], "--host is for --backend ollama"),
    (["--backend", "ollama", "--model", "m", "--adapter", ".", "Do X."], "--adapter is for --backend transformers"),
    (["--model", "/nonexistent/model", "Do X."], "not a local model folder"),
    (["--model", ".", "  "], "the instruction is empty"),
])
def test_cli_errors_are_one_clear_line(args, message):
    result = CliRunner().invoke(main, ["generate", *args])
    assert result.exit_code != 0 and message in result.output, result.output
