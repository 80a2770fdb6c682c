"""Ollama through the real `ollama` client against the stand-in server (tests/ollama_standin.py),
with real GGUF files from the export of the memorizing run: the Modelfile creates the model,
the stand-in renders its TEMPLATE and hands llama.cpp exactly gh_ft.prompt's text, the model
answers what it memorized, and the Ollama backend does the same with raw prompts."""
from __future__ import annotations

import shutil
import socket
from pathlib import Path

import ollama
import pytest
from click.testing import CliRunner

from gh_ft.evaluate.backends import finish_text, get_backend
from gh_ft.cli import main
from gh_ft.export.modelfile import (MODELFILE_NAME, ModelfileSpec, ollama_prompt_fields, prompt_template,
                                    spec_from_modelfile, write_modelfile, write_modelfile_for_export)
from gh_ft.export.modelfile_syntax import ModelfileError
from gh_ft.export.ollama import (OllamaError, OllamaUnreachable, create_model, list_models, resolve_host,
                                 sha256_file)
from gh_ft.prompt import PREAMBLE, STOP_MARKERS, cut_at_stop, render_prompt
from gh_ft.settings import Settings
from ollama_standin import StandinOllama


@pytest.fixture
def served_export(exported_run):
    """The memorizing run's GgufExport: f32 merged model, q8_0 and q4_K_M, base model and LoRA."""
    return exported_run.export


@pytest.fixture
def standin(tmp_path):
    with StandinOllama(tmp_path / "ollama-standin") as server:
        yield server


def _settings(quantization: str = "f32", temperature: float = 0.0) -> Settings:
    return Settings().replace(ollama={"quantization": quantization, "temperature": temperature, "num_ctx": 512})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_create_then_generate_applies_the_training_template(served_export, memorized_run, standin):
    modelfile = write_modelfile_for_export(served_export, _settings("f32"))
    assert modelfile == served_export.out_dir / MODELFILE_NAME
    spec = spec_from_modelfile(modelfile.read_text())
    assert spec.from_ == "./" + served_export.model.name  # relative: `ollama create -f` from anywhere
    created = create_model("gh-component", modelfile, host=standin.url)
    assert created.files == {served_export.model.name: "sha256:" + sha256_file(served_export.model)}
    assert created.uploaded == [created.files[served_export.model.name]]
    assert list_models(standin.url) == ["gh-component:latest"]

    client = ollama.Client(standin.url)
    shown = client.show("gh-component")
    assert shown.template == prompt_template()
    assert all(f'"{m}"' in shown.parameters for m in STOP_MARKERS) and '"</s>"' in shown.parameters

    for row in memorized_run.rows:
        # As the plugin asks: the instruction as `prompt`, no system (the Modelfile's SYSTEM applies);
        # with an input, the request carries the with-input preamble and the input section.
        fields = ({"prompt": row["instruction"]} if not row["input"]
                  else ollama_prompt_fields(row["instruction"], row["input"]))
        reply = client.generate(model="gh-component", **fields, options={"temperature": 0, "num_predict": 48})
        assert standin.rendered[-1] == ("gh-component:latest", render_prompt(row["instruction"], row["input"]))
        assert finish_text(reply.response) == cut_at_stop(row["output"])
        assert reply.eval_count > 0

    # Created again (a new version of the same files): nothing is uploaded twice.
    again = create_model("gh-component", modelfile, host=standin.url)
    assert again.uploaded == [] and again.files == created.files


def test_adapter_modelfile_applies_the_gguf_lora(served_export, memorized_run, standin):
    modelfile = write_modelfile_for_export(served_export, _settings(), use_adapter=True)
    spec = spec_from_modelfile(modelfile.read_text())
    assert (spec.from_, spec.adapter) == ("./" + served_export.base_model_gguf.name, "./" + served_export.adapter.name)
    created = create_model("gh-lora", modelfile, host=standin.url)
    assert set(created.adapters) == {served_export.adapter.name}
    client = ollama.Client(standin.url)
    row = memorized_run.rows[0]
    reply = client.generate(model="gh-lora", prompt=row["instruction"], options={"temperature": 0, "num_predict": 48})
    assert finish_text(reply.response) == cut_at_stop(row["output"])
    # The base alone does not know the answer: the adapter made the difference.
    base_file = modelfile.parent / "Modelfile.base"
    write_modelfile(ModelfileSpec(from_=spec.from_), base_file)
    create_model("tiny-base", base_file, host=standin.url)
    base = client.generate(model="tiny-base", prompt=row["instruction"], options={"temperature": 0, "num_predict": 48})
    assert finish_text(base.response) != cut_at_stop(row["output"])


def test_quantized_model_is_created_and_generates(served_export, standin):
    modelfile = write_modelfile_for_export(served_export, _settings("q8_0"))
    assert spec_from_modelfile(modelfile.read_text()).from_ == "./" + served_export.quantized["q8_0"].name
    create_model("gh-q8", modelfile, host=standin.url)
    reply = ollama.Client(standin.url).generate(model="gh-q8", prompt="Read the first input.",
                                                options={"temperature": 0, "num_predict": 16})
    assert reply.done and reply.eval_count > 0


def test_moved_export_still_creates(served_export, standin, tmp_path):
    """The Modelfile names its files relative to itself, so the export folder can move."""
    write_modelfile_for_export(served_export, _settings("f32"))
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy2(served_export.out_dir / MODELFILE_NAME, moved / MODELFILE_NAME)
    shutil.copy2(served_export.model, moved / served_export.model.name)
    created = create_model("moved", moved / MODELFILE_NAME, host=standin.url)
    assert created.files == {served_export.model.name: "sha256:" + sha256_file(served_export.model)}


def test_no_server_names_the_address(served_export, tmp_path):
    modelfile = write_modelfile_for_export(served_export, _settings("f32"))
    host = f"127.0.0.1:{_free_port()}"
    with pytest.raises(OllamaUnreachable, match=f"http://{host}"):
        create_model("x", modelfile, host=host)
    result = CliRunner().invoke(main, ["ollama", "create", "--modelfile", str(modelfile), "--host", host, "--name", "x"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [result.output.strip()]  # one line
    assert f"no Ollama server answered at http://{host}" in result.output


def test_refusals_before_anything_is_sent(served_export, standin, tmp_path):
    bin_adapter = tmp_path / "adapter_model.bin"
    bin_adapter.write_bytes(b"\x80\x02 pickled torch")
    modelfile = tmp_path / "Modelfile"
    modelfile.write_text(f"FROM {served_export.model}\nADAPTER {bin_adapter}\n")
    with pytest.raises(ModelfileError, match=r"\.bin adapters"):
        create_model("x", modelfile, host=standin.url)
    modelfile.write_text("FROM ./missing.gguf\n")
    with pytest.raises(ModelfileError, match="no such file"):
        create_model("x", modelfile, host=standin.url)
    with pytest.raises(OllamaError, match="not a valid Ollama model name"):
        create_model("bad name!", modelfile, host=standin.url)
    assert standin.requests == []  # nothing reached the server
    # A template the server cannot parse is refused by the server, with its reason.
    modelfile.write_text(f'FROM {served_export.model}\nTEMPLATE "{{{{ .Prompt"\n')
    with pytest.raises(OllamaError, match="refused to create x"):
        create_model("x", modelfile, host=standin.url)


def test_cli_ollama_create_from_a_run(memorized_run, standin, tmp_path):
    """`gh-ft ollama create RUN`: export, Modelfile beside it, create; the temperature comes from settings."""
    run = memorized_run.run_dir  # exported here into run/export (f16, the merged model only)
    (tmp_path / "gh-ft.yml").write_text("export:\n  quantizations: []\nollama:\n  temperature: 0.0\n  quantization: f16\n")
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "gh-ft.yml"), "ollama", "create", str(run),
                                       "--host", standin.url, "--name", "from-cli"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (run / "export" / MODELFILE_NAME).is_file()
    assert f"created from-cli at {resolve_host(standin.url)}" in result.output
    row = memorized_run.rows[1]
    reply = ollama.Client(standin.url).generate(model="from-cli", prompt=row["instruction"],
                                                options={"num_predict": 48})
    assert finish_text(reply.response) == cut_at_stop(row["output"])  # temperature 0 came from the Modelfile
    # `gh-ft ollama modelfile` only writes it (the export is up to date now).
    (run / "export" / MODELFILE_NAME).unlink()
    wrote = CliRunner().invoke(main, ["--config", str(tmp_path / "gh-ft.yml"), "ollama", "modelfile", str(run)],
                               catch_exceptions=False)
    assert wrote.exit_code == 0 and wrote.stdout.strip() == f"wrote {run / 'export' / MODELFILE_NAME}"


@pytest.mark.parametrize("host", ["127.0.0.1", "example.com:56789", "http://1.2.3.4", "https://example.com",
                                  "https://example.com:56789/path/", ":56789", "[0001:002:003:0004::1]",
                                  "http://[0001:002:003:0004::1]:56789/path"])
def test_resolve_host_reads_hosts_as_the_ollama_client_does(host, tmp_path):
    from ollama._client import _parse_host  # the client's own reading (private, hence only in a test)

    from gh_ft.settings import load_settings

    assert resolve_host(host) == _parse_host(host)
    assert resolve_host(None) == _parse_host(None)
    # OLLAMA_HOST reaches resolve_host only through the settings (resolved once, with its source).
    settings = load_settings(cwd=tmp_path, environ={"OLLAMA_HOST": host})
    assert resolve_host(settings.ollama.host) == _parse_host(host)
    assert settings.sources["ollama.host"] == "env OLLAMA_HOST"


def test_ollama_backend_raw_prompts_in_order(served_export, memorized_run, standin):
    modelfile = write_modelfile_for_export(served_export, _settings("f32", temperature=0.7))
    create_model("gh-backend", modelfile, host=standin.url)
    backend = get_backend("ollama", "gh-backend", host=standin.url, concurrency=3)
    try:
        prompts = [render_prompt(r["instruction"], r["input"]) for r in memorized_run.rows]
        results = backend.generate(prompts, max_new_tokens=48)
        assert [[g.text for g in samples] for samples in results] == [[cut_at_stop(r["output"])] for r in memorized_run.rows]
        assert all(g.tokens > 0 and g.seconds > 0 for samples in results for g in samples)
        # Raw: the stand-in got exactly the rendered prompts, no template, no system.
        assert sorted(text for _, text in standin.rendered) == sorted(prompts)
        assert all(r["raw"] is True and r["options"]["temperature"] == 0 for r in standin.generate_requests)
        # Several samples each get their own seed, so they are independent draws.
        standin.generate_requests.clear()
        samples = backend.generate(prompts[:2], max_new_tokens=8, temperature=0.9, n=3, seed=10)
        assert [len(s) for s in samples] == [3, 3]
        assert sorted(r["options"]["seed"] for r in standin.generate_requests) == list(range(10, 16))
        info = backend.info()
        assert (info["kind"], info["model"], info["host"]) == ("ollama", "gh-backend", resolve_host(standin.url))
    finally:
        backend.close()
    with pytest.raises(OllamaError, match="no model 'nope'"):
        get_backend("ollama", "nope", host=standin.url)


def test_system_override_replaces_the_preamble(served_export, standin):
    """What the issue warns about, visible: a request's own system text replaces the training
    preamble (so the plugin must not send one)."""
    create_model("gh-sys", write_modelfile_for_export(served_export, _settings("f32")), host=standin.url)
    ollama.Client(standin.url).generate(model="gh-sys", prompt="Do X.", system="You are an expert.",
                                        options={"num_predict": 1})
    assert standin.rendered[-1][1] == render_prompt("Do X.").replace(PREAMBLE, "You are an expert.")
