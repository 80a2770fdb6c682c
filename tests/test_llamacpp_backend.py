"""The llama.cpp backend on real GGUF files: the same answers and tokens as transformers.

The memorizing run has peaked logits, so greedy decoding must agree token for token between
transformers on the merged model and llama.cpp on the merged GGUF (f32) and on the base GGUF with
the GGUF LoRA applied; the quantized files must load and generate.
"""
from __future__ import annotations

import pytest

from export_fixtures import MEMO_ANSWERS
from gh_ft.evaluate.backends import get_backend, known_backends
from gh_ft.prompt import render_prompt


def _prompts(rows) -> list[str]:
    return [render_prompt(r["instruction"], r.get("input", "")) for r in rows]


@pytest.fixture(scope="module")
def transformers_reference(exported_run):
    """transformers on the merged model: per prompt, (prompt ids, greedy answer ids to EOS, Generation)."""
    import torch

    from gh_ft.evaluate.backends.hf import TransformersBackend

    backend = TransformersBackend(exported_run.run.run_dir / "output" / "merged", batch_size=1)
    prompts = _prompts(exported_run.run.rows)
    generations = [g[0] for g in backend.generate(prompts, max_new_tokens=40)]
    tok, eos = backend.tokenizer, backend.eos_ids[0]
    reference = []
    for prompt, generation in zip(prompts, generations):
        enc = tok(prompt, return_tensors="pt")
        with torch.inference_mode():
            out = backend.model.generate(**enc, max_new_tokens=40, do_sample=False, eos_token_id=eos,
                                         pad_token_id=eos)
        ids = out[0, enc.input_ids.shape[1]:].tolist()
        reference.append((enc.input_ids[0].tolist(), ids[:ids.index(eos) + 1] if eos in ids else ids, generation))
    backend.close()
    return reference


def test_batched_transformers_counts_tokens_like_one_at_a_time(transformers_reference, exported_run):
    """In a batch a row that stopped at a prompt header is padded with EOS afterwards; its token
    count must still end where the header completes (one of the memorized rows runs into one)."""
    from gh_ft.evaluate.backends.hf import TransformersBackend

    backend = TransformersBackend(exported_run.run.run_dir / "output" / "merged", batch_size=8)
    try:
        batched = [g[0] for g in backend.generate(_prompts(exported_run.run.rows), max_new_tokens=40)]
    finally:
        backend.close()
    assert [(g.text, g.tokens) for g in batched] == [(g.text, g.tokens) for _, _, g in transformers_reference]


def test_transformers_reference_answers_memorized(transformers_reference, exported_run):
    # The premise: the tiny model learnt its rows, so the comparison below compares real answers.
    assert [g.text for _, _, g in transformers_reference] == list(MEMO_ANSWERS)
    assert all(ids[-1] == 2 for _, ids, _ in transformers_reference[:3])  # ended by EOS
    assert exported_run.run.final_loss is not None and exported_run.run.final_loss < 0.5


@pytest.mark.parametrize("files", [("model-f32.gguf", None), ("base-f32.gguf", "adapter-f32.gguf")],
                         ids=["merged", "base+lora"])
def test_greedy_output_equals_transformers(files, exported_run, transformers_reference):
    out = exported_run.export.out_dir
    model, adapter = files
    backend = get_backend("llamacpp", str(out / model), adapter=str(out / adapter) if adapter else None, n_ctx=256)
    try:
        prompts = _prompts(exported_run.run.rows)
        generations = [g[0] for g in backend.generate(prompts, max_new_tokens=40)]
        for prompt, (prompt_ids, answer_ids, reference), generation in zip(prompts, transformers_reference,
                                                                            generations):
            assert backend.tokenize(prompt) == prompt_ids
            # Up to EOS, or for the stop-marker row up to the token that completes the header.
            assert backend.generate_ids(prompt, max_new_tokens=40) == answer_ids[:reference.tokens]
            assert (generation.text, generation.tokens) == (reference.text, reference.tokens)
    finally:
        backend.close()
    assert [g.text for g in generations] == list(MEMO_ANSWERS)


def test_the_adapter_is_applied(exported_run):
    """Without the LoRA the base GGUF answers something else: the base+lora match above is the adapter's doing."""
    out = exported_run.export.out_dir
    base = get_backend("llamacpp", str(out / "base-f32.gguf"), n_ctx=256)
    try:
        texts = [g[0].text for g in base.generate(_prompts(exported_run.run.rows), max_new_tokens=20)]
    finally:
        base.close()
    assert not any(t == a for t, a in zip(texts, MEMO_ANSWERS))


def test_quantized_files_load_and_generate(exported_run, transformers_reference):
    ex = exported_run.export
    prompts = _prompts(exported_run.run.rows)
    q8 = get_backend("llamacpp", str(ex.quantized["q8_0"]), n_ctx=256)
    try:
        # q8_0 keeps the peaked logits' order: the same tokens as transformers in f32.
        for prompt, (_, answer_ids, _) in zip(prompts[:3], transformers_reference):
            assert q8.generate_ids(prompt, max_new_tokens=40) == answer_ids
    finally:
        q8.close()
    q4 = get_backend("llamacpp", str(ex.quantized["q4_K_M"]), n_ctx=256)
    try:
        generations = [g[0] for g in q4.generate(prompts, max_new_tokens=40)]
    finally:
        q4.close()
    # q4_K_M on a 64-wide model falls back to q5_0/q8_0 for most tensors; it must load and answer.
    assert all(1 <= g.tokens <= 40 and g.seconds > 0 for g in generations)
    assert sum(g.text == a for g, a in zip(generations, MEMO_ANSWERS)) >= 2


def test_sampling_is_seeded_and_n_samples(exported_run):
    backend = get_backend("llamacpp", str(exported_run.export.out_dir / "base-f32.gguf"), n_ctx=256)
    try:
        prompt = _prompts(exported_run.run.rows)[:1]
        first = backend.generate(prompt, max_new_tokens=12, temperature=1.5, n=3, seed=7)
        again = backend.generate(prompt, max_new_tokens=12, temperature=1.5, n=3, seed=7)
        other = backend.generate(prompt, max_new_tokens=12, temperature=1.5, n=3, seed=8)
        with pytest.raises(ValueError, match="n must be 1"):
            backend.generate(prompt, max_new_tokens=5, temperature=0.0, n=2)
        with pytest.raises(ValueError, match="more than the context"):
            backend.generate(["word " * 400], max_new_tokens=5)
        info = backend.info()
    finally:
        backend.close()
    assert len(first) == 1 and len(first[0]) == 3
    assert [(g.text, g.tokens) for g in first[0]] == [(g.text, g.tokens) for g in again[0]]
    assert len({g.text for g in first[0]}) > 1  # three different samples of a random base model
    assert [g.text for g in first[0]] != [g.text for g in other[0]]
    assert info["kind"] == "llamacpp" and info["model"].endswith("base-f32.gguf") and info["n_ctx"] == 256


def test_registry_and_bad_files(tmp_path):
    assert "llamacpp" in known_backends()
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_bytes(b"PK\x03\x04 a zip")
    with pytest.raises(ValueError, match="is not a GGUF file"):
        get_backend("llamacpp", str(not_gguf))
    with pytest.raises(ValueError, match="cannot be read"):
        get_backend("llamacpp", str(tmp_path / "missing.gguf"))
