"""The tiny local Llama: loads offline, round-trips C# through its byte-fallback tokenizer, is deterministic."""
from __future__ import annotations

import hashlib
import json
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from gh_ft.train.tiny import BYTE_TOKENS, SPECIALS, build_tiny_model, main  # noqa: E402

CSHARP = (
    "using Rhino.Geometry;\n"
    "\n"
    "public class Résumé : GH_Component\n"
    "{\n"
    "    protected override void SolveInstance(IGH_DataAccess DA)\n"
    "    {\n"
    "\t\tvar s = \"é 中 ✓\";  // trailing spaces   \n"
    "        if (!DA.GetData(0, ref curve)) { return; }\n"
    "    }\n"
    "}\n"
)


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_files_and_vocab_layout(tiny_dir):
    names = {p.name for p in tiny_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json"} <= names
    tok_json = json.loads((tiny_dir / "tokenizer.json").read_text(encoding="utf-8"))
    model = tok_json["model"]
    assert model["type"] == "BPE" and model["byte_fallback"] and model["unk_token"] == "<unk>"
    assert tok_json["decoder"]["type"] == "Sequence"  # what llama.cpp's LlamaHfVocab checks
    vocab = model["vocab"]
    assert [vocab[t] for t in SPECIALS] == [0, 1, 2]
    assert [vocab[t] for t in BYTE_TOKENS] == list(range(3, 259))
    config = json.loads((tiny_dir / "config.json").read_text())
    assert config["vocab_size"] == len(vocab) <= 512
    assert config["hidden_size"] == 64 and config["num_hidden_layers"] == 2
    assert config["tie_word_embeddings"] is False


def test_tokenizer_round_trip_and_bos(tiny_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_dir)
    assert (tok.bos_token, tok.eos_token, tok.unk_token, tok.pad_token) == ("<s>", "</s>", "<unk>", "<unk>")
    ids = tok(CSHARP).input_ids
    assert ids[0] == tok.bos_token_id == 1 and tok.eos_token_id not in ids
    assert tok.unk_token_id not in ids  # byte fallback, never <unk>
    assert "<0xE4>" in tok.convert_ids_to_tokens(ids)  # 中 is not in the vocab: bytes
    assert tok.decode(ids, skip_special_tokens=True) == CSHARP
    # What transformers rebuilds from tokenizer.json matches the raw tokenizers file.
    raw = tokenizers.Tokenizer.from_file(str(tiny_dir / "tokenizer.json"))
    for text in (CSHARP, "x = 1;\n", "Beschreibung: Kurve teilen → Punkte"):
        assert raw.encode(text).ids == tok(text).input_ids
    # Code is compressed, not spelled out byte by byte.
    assert len(ids) < len(CSHARP.encode("utf-8")) * 0.8


def test_model_loads_and_generates(tiny_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_dir).eval()
    assert model.config.vocab_size == len(tok)
    enc = tok("public override void", return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=5, min_new_tokens=5, do_sample=False,
                             pad_token_id=tok.pad_token_id)
    assert out.shape[1] == enc.input_ids.shape[1] + 5
    assert isinstance(tok.decode(out[0]), str)


def test_deterministic(tiny_dir, tmp_path):
    again = build_tiny_model(tmp_path / "again")
    assert _digests(again) == _digests(tiny_dir)
    other = build_tiny_model(tmp_path / "other", seed=1)
    assert _digests(other)["tokenizer.json"] == _digests(tiny_dir)["tokenizer.json"]
    assert _digests(other)["model.safetensors"] != _digests(tiny_dir)["model.safetensors"]


def test_custom_corpus_and_cli(tmp_path, capsys):
    corpus = tmp_path / "src"
    corpus.mkdir()
    (corpus / "A.cs").write_text("class Alpha { int alphabet = 42; }\n" * 20, encoding="utf-8")
    assert main(["--out", str(tmp_path / "cli"), "--corpus", str(corpus), "--vocab-size", "300"]) == 0
    assert str(tmp_path / "cli") in capsys.readouterr().out
    vocab = json.loads((tmp_path / "cli" / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    assert len(vocab) <= 300 and ("▁alphabet" in vocab or "alphabet" in vocab or "Alpha" in vocab)
    with pytest.raises(ValueError):
        build_tiny_model(tmp_path / "bad", vocab_size=100)
