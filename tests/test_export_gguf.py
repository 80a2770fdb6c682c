"""GGUF export with llama.cpp's real converters and quantizer, checked against transformers.

The memorizing run (tests/export_fixtures.py) is exported in f32 with q8_0 and q4_K_M copies
(its generation is compared with transformers in test_llamacpp_backend.py). Here: the files and
their manifest, skipping unchanged work, the CLI, where the converters come from, and the tiny
tokenizer's SentencePiece scores, which make llama.cpp cut text into transformers' tokens.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from gh_ft.export import ExportError
from gh_ft.export.gguf import QUANT_TYPES, _LineSink, canonical_quant, run_sources
from gh_ft.export.llama_cpp_source import ENV_VAR, find_converter, sdist_converter, unpack_converters
from gh_ft.prompt import render_prompt
from tools import require_module

ROOT = Path(__file__).resolve().parents[1]


# ---- the tiny tokenizer: SentencePiece scores that reproduce transformers' segmentation ----------------

def _texts_for_tokenization(sample_dataset: Path) -> list[str]:
    """Rendered prompts and answers of the sample dataset, plus C# and prose from the demo corpus."""
    from gh_ft.files import read_jsonl

    rows = [*read_jsonl(sample_dataset / "train.jsonl"), *read_jsonl(sample_dataset / "test.jsonl")]
    texts = [render_prompt(r["instruction"], r.get("input", "")) for r in rows]
    texts += [render_prompt(r["instruction"], r.get("input", "")) + r["output"] for r in rows]
    for f in sorted((ROOT / "data" / "sample_context").rglob("*")):
        if f.suffix in (".cs", ".md", ".txt"):
            body = f.read_text(encoding="utf-8", errors="replace")
            # HF's Metaspace adds no "▁" to a text that starts with a space; every prompt starts with the preamble.
            texts += [body.lstrip()] + [line for line in body.splitlines() if line and not line[0].isspace()]
    texts += ["Beschreibung: Kurve teilen → Punkte ✓ 中", "x=1;\n\n\n    y = x  *  2;\t// tab"]
    return texts


def test_sentencepiece_model_segments_like_transformers(tiny_model_dir, sample_dataset):
    spm = require_module("sentencepiece", "llama.cpp's converter reads tokenizer.model with it")
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(tiny_model_dir, local_files_only=True)
    sp = spm.SentencePieceProcessor()
    sp.LoadFromFile(str(tiny_model_dir / "tokenizer.model"))
    assert sp.vocab_size() == len(hf)
    assert [sp.IdToPiece(i) for i in range(len(hf))] == hf.convert_ids_to_tokens(list(range(len(hf))))
    assert sp.IsUnknown(0) and sp.IsControl(1) and sp.IsControl(2) and sp.IsByte(3) and sp.IsByte(258)
    texts = _texts_for_tokenization(sample_dataset)
    assert len(texts) > 100
    different = [t for t in texts if [1] + sp.encode(t) != hf(t).input_ids]
    assert different == []


def test_llama_cpp_tokenizes_like_transformers(exported_run, sample_dataset):
    from transformers import AutoTokenizer

    from gh_ft.evaluate.backends.llamacpp import LlamaCppBackend

    hf = AutoTokenizer.from_pretrained(exported_run.run.run_dir / "output" / "merged", local_files_only=True)
    backend = LlamaCppBackend(exported_run.export.model, n_ctx=64)
    try:
        texts = _texts_for_tokenization(sample_dataset)
        mismatched = [t[:60] for t in texts if backend.tokenize(t) != hf(t).input_ids]
    finally:
        backend.close()
    assert mismatched == []


def test_gguf_vocab_has_scores_from_merge_ranks(exported_run):
    import sys

    tools = find_converter()
    sys.path.insert(0, str(tools.gguf_py))
    try:
        from gguf import GGUFReader
    finally:
        sys.path.remove(str(tools.gguf_py))
    reader = GGUFReader(str(exported_run.export.model))
    scores = reader.fields["tokenizer.ggml.scores"]
    values = [float(scores.parts[i][0]) for i in scores.data]
    # Past the specials and byte pieces every token has its own score (LlamaHfVocab would give all -1000).
    assert len(set(values[259:])) == len(values[259:]) and -1000.0 not in values[259:]


# ---- conversion, quantization, manifest, skipping ---------------------------------------------------------

def test_export_writes_gguf_files_and_manifest(exported_run):
    ex = exported_run.export
    assert ex.model.name == "model-f32.gguf" and ex.base_model_gguf.name == "base-f32.gguf"
    assert ex.adapter.name == "adapter-f32.gguf" and sorted(ex.quantized) == ["q4_K_M", "q8_0"]
    manifest = json.loads(ex.manifest.read_text())
    assert manifest["run_id"] == exported_run.run.run_dir.name
    assert set(manifest["files"]) == {p.name for p in ex.files()}
    import hashlib
    for path in ex.files():
        assert path.read_bytes()[:4] == b"GGUF"
        entry = manifest["files"][path.name]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["bytes"] == path.stat().st_size
    assert manifest["files"]["model-q8_0.gguf"]["from"] == "model-f32.gguf"
    assert {e["kind"] for e in manifest["files"].values()} == {"model", "quantized", "base", "adapter"}
    sizes = {q: p.stat().st_size for q, p in ex.quantized.items()}
    assert sizes["q4_K_M"] < sizes["q8_0"] < ex.model.stat().st_size
    assert not [p for p in ex.out_dir.iterdir() if p.name.endswith(".tmp")]
    # Progress: gh-ft's stage lines and the converters' and the quantizer's own output.
    lines = exported_run.progress
    assert any("converting the merged model" in line for line in lines)
    assert any("Model successfully exported" in line for line in lines)
    assert any(line.lstrip().startswith("[") and "/" in line and "q8_0" in line for line in lines)
    assert (ex.out_dir / "export.log").is_file()


def test_second_export_skips_unchanged_and_redoes_changed(exported_run, tmp_path):
    from gh_ft.export.gguf import export_gguf

    run = shutil.copytree(exported_run.run.run_dir, tmp_path / "run", symlinks=True)
    out = shutil.copytree(exported_run.export.out_dir, run / "export")
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.gguf")}
    again = export_gguf(run, outtype="f32", quantizations=("q8_0", "q4_K_M"))
    assert again.made == ()  # inputs are content hashes: the copy's new paths and mtimes do not matter
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.gguf")} == before

    # The merged model changes: the model and its quantized copies are made again, the base
    # model and the adapter are not.
    config = run / "output" / "merged" / "config.json"
    config.write_text(config.read_text().replace('"rms_norm_eps": 1e-05', '"rms_norm_eps": 1e-06'))
    assert "1e-06" in config.read_text()
    changed = export_gguf(run, outtype="f32", quantizations=("q8_0",))
    assert set(changed.made) == {"model-f32.gguf", "model-q8_0.gguf"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == {"model-f32.gguf", "model-q8_0.gguf", "base-f32.gguf", "adapter-f32.gguf"}
    assert (out / "model-q4_K_M.gguf").is_file()  # left on disk, no longer listed


def test_cli_export_gguf(exported_run):
    from click.testing import CliRunner

    from gh_ft.cli import main

    ex = exported_run.export
    result = CliRunner().invoke(main, ["export", "gguf", str(exported_run.run.run_dir), "--out", str(ex.out_dir),
                                       "--outtype", "f32", "--quant", "q8_0", "--quant", "Q4_K_M"])
    assert result.exit_code == 0, result.output
    assert "model-f32.gguf: up to date" in result.output
    assert f"{ex.model} (" in result.output and "manifest:" in result.output


def test_run_without_merge_or_adapter_is_a_clear_error(tmp_path, exported_run):
    run = tmp_path / "20260101-000000-abcd"
    (run / "output").mkdir(parents=True)
    with pytest.raises(ExportError, match=r"gh-ft merge 20260101-000000-abcd"):
        run_sources(run)
    shutil.copytree(exported_run.run.run_dir / "output" / "merged", run / "output" / "merged")
    with pytest.raises(ExportError, match="no LoRA adapter"):
        run_sources(run)
    with pytest.raises(ExportError, match="not a run folder"):
        run_sources(tmp_path / "missing")


def test_bad_settings_are_errors_before_any_work(exported_run, tmp_path):
    from gh_ft.export.gguf import export_gguf

    with pytest.raises(ExportError, match="outtype"):
        export_gguf(exported_run.run.run_dir, tmp_path / "x", outtype="q8_0")
    with pytest.raises(ExportError, match="unknown quantization 'q9_X'"):
        export_gguf(exported_run.run.run_dir, tmp_path / "x", quantizations=("q9_X",))
    assert not (tmp_path / "x").exists()


# ---- small parts -------------------------------------------------------------------------------------------

def test_quant_names_match_llama_cpp():
    llama_cpp = require_module("llama_cpp", "the quantizer is llama-cpp-python's llama_model_quantize")
    for name, ftype in QUANT_TYPES.items():
        assert getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{name.upper()}") == ftype
    assert canonical_quant("Q4_K_M") == "q4_K_M" and canonical_quant("q8_0") == "q8_0"
    with pytest.raises(ExportError, match="known: q4_0"):
        canonical_quant("int4")


def _fake_tree(root: Path) -> Path:
    for rel in ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "gguf-py/gguf/__init__.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("# stand-in\n")
    return root


def test_find_converter_order(tmp_path):
    from gh_ft.settings import load_settings

    explicit, from_env = _fake_tree(tmp_path / "explicit"), _fake_tree(tmp_path / "env")
    assert find_converter(explicit).root == explicit.resolve()
    # $GH_FT_LLAMA_CPP reaches the converter through the settings, below a flag.
    settings = load_settings(cwd=tmp_path, environ={ENV_VAR: str(from_env)})
    assert settings.sources["export.llama_cpp_dir"] == f"env {ENV_VAR}"
    tools = find_converter(settings.export.llama_cpp_dir)
    assert tools.root == from_env.resolve()
    assert tools.env({"PYTHONPATH": "/x"})["PYTHONPATH"] == f"{from_env.resolve() / 'gguf-py'}{os.pathsep}/x"
    flagged = load_settings(cwd=tmp_path, environ={ENV_VAR: str(from_env)}, overrides={"export": {"llama_cpp_dir": explicit}})
    assert find_converter(flagged.export.llama_cpp_dir).root == explicit.resolve()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportError, match=r"not a llama.cpp source tree \(missing convert_hf_to_gguf.py"):
        find_converter(tmp_path / "empty")
    with pytest.raises(ExportError, match="export.llama_cpp_dir: .* is not a folder"):
        find_converter(tmp_path / "nowhere")


def _sdist(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_unpack_keeps_only_the_converters(tmp_path):
    top = "llama_cpp_python-9.9.9/vendor/llama.cpp/"
    sdist = _sdist(tmp_path / "s.tar.gz", {
        top + "convert_hf_to_gguf.py": b"hf", top + "convert_lora_to_gguf.py": b"lora",
        top + "conversion/llama.py": b"c", top + "gguf-py/gguf/__init__.py": b"g", top + "LICENSE": b"MIT",
        top + "ggml/src/ggml.c": b"big", "llama_cpp_python-9.9.9/llama_cpp/llama.py": b"py",
        top + "gguf-py/../../../../evil.py": b"no"})
    unpack_converters(sdist, tmp_path / "out")
    got = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert got == ["LICENSE", "conversion/llama.py", "convert_hf_to_gguf.py", "convert_lora_to_gguf.py",
                   "gguf-py/gguf/__init__.py"]
    assert not (tmp_path / "evil.py").exists()
    broken = _sdist(tmp_path / "b.tar.gz", {top + "convert_hf_to_gguf.py": b"hf"})
    with pytest.raises(ExportError, match="convert_lora_to_gguf.py"):
        unpack_converters(broken, tmp_path / "out2")


def test_sdist_cache_is_used_without_pip(tmp_path, monkeypatch):
    cached = _fake_tree(tmp_path / "llama.cpp-9.9.9")
    (cached / ".gh-ft-source.json").write_text("{}")
    monkeypatch.setattr("gh_ft.export.llama_cpp_source._pip_download",
                        lambda *a: pytest.fail("a complete cache must not download"))
    tools = sdist_converter("9.9.9", tmp_path)
    assert tools.root == cached and tools.version == "9.9.9"


@pytest.mark.slow  # fetches and unpacks the sdist on first use
def test_sdist_converter_default_is_the_installed_version(monkeypatch, tmp_path):
    """Without a checkout: the installed llama-cpp-python's own version, cached under XDG_CACHE_HOME."""
    require_module("llama_cpp", "the converters come from its source distribution")
    from importlib.metadata import version

    monkeypatch.delenv(ENV_VAR, raising=False)
    tools = find_converter()  # fetched (or found) in the user cache; the export fixture uses the same
    assert tools.version == version("llama-cpp-python")
    assert tools.root.name == f"llama.cpp-{tools.version}" and tools.convert_hf.is_file()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr("gh_ft.export.llama_cpp_source._complete", lambda folder: True)
    assert find_converter().root == tmp_path / "gh-ft" / f"llama.cpp-{tools.version}"


def test_line_sink_whole_lines_and_throttled_redraws():
    lines: list[str] = []
    sink = _LineSink(lines.append, every_s=3600)
    sink.write("conver")
    sink.write("ting\nWriting: 10%\rWriting: 20%\rWriting: 30%\r")
    sink.write("done\npartial")
    assert lines == ["converting", "Writing: 10%", "done"]
    sink.finish()
    assert lines[-1] == "partial"
