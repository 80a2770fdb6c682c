"""Benchmark `gh-ft export gguf` and llama.cpp generation on a random Llama of a chosen size.

Builds a run folder the way training leaves one (a base model, a PEFT LoRA adapter in output/,
the merged model in output/merged/), with the tiny model's tokenizer and a wider, deeper random
Llama (default: hidden 768, 12 layers, ~85 M parameters, so k-quants apply: rows are multiples
of 256), then times each export step (from the manifest) and greedy generation from every file.

    python benchmarks/export_gguf.py [--hidden 768] [--layers 12] [--tokens 128] [--outtype f16]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("AXOLOTL_DO_NOT_TRACK", "1")

from gh_ft.prompt import render_prompt  # noqa: E402

PROMPT = render_prompt("Write a Grasshopper component that offsets a planar curve by a distance.")


def build_run(root: Path, hidden: int, layers: int) -> Path:
    """A run folder: base model, output/ (LoRA adapter with non-zero B), output/merged/."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from gh_ft.train.tiny import build_tiny_model

    tiny = build_tiny_model(root / "tiny")
    base = root / "base"
    base.mkdir()
    for f in tiny.iterdir():
        if f.name.startswith("tokenizer") or f.name == "special_tokens_map.json":
            shutil.copy(f, base / f.name)
    tok = AutoTokenizer.from_pretrained(base)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=hidden * 8 // 3 // 256 * 256 or 256,
                         num_hidden_layers=layers, num_attention_heads=hidden // 64, num_key_value_heads=hidden // 128,
                         max_position_embeddings=2048, bos_token_id=1, eos_token_id=2, pad_token_id=0,
                         tie_word_embeddings=False)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(base)
    run = root / "runs" / "bench"
    model = get_peft_model(LlamaForCausalLM.from_pretrained(base),
                           LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                                                                           "gate_proj", "up_proj", "down_proj"]))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.02)
    model.save_pretrained(run / "output")
    cfg = json.loads((run / "output" / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = str(base)
    (run / "output" / "adapter_config.json").write_text(json.dumps(cfg))
    model.merge_and_unload().save_pretrained(run / "output" / "merged")
    for f in base.iterdir():
        if f.name.startswith("tokenizer") or f.name == "special_tokens_map.json":
            shutil.copy(f, run / "output" / "merged" / f.name)
    return run


def tokens_per_second(model: Path, adapter: Path | None, tokens: int) -> tuple[float, float]:
    from gh_ft.evaluate.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend(model, adapter, n_ctx=1024)
    try:
        backend.generate([PROMPT], max_new_tokens=4)  # warm-up
        started = time.perf_counter()
        ids = backend.generate_ids(PROMPT, max_new_tokens=tokens)
        return len(ids) / (time.perf_counter() - started), len(ids)
    finally:
        backend.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=768)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--tokens", type=int, default=128, help="tokens to generate per file")
    parser.add_argument("--outtype", default="f16", choices=["f32", "f16", "bf16"])
    parser.add_argument("--keep", type=Path, help="build here and keep the files (default: a temp folder)")
    args = parser.parse_args()

    from gh_ft.export.gguf import export_gguf

    root = args.keep or Path(tempfile.mkdtemp(prefix="gh-ft-bench-"))
    try:
        t0 = time.perf_counter()
        run = build_run(root, args.hidden, args.layers)
        merged_mb = sum(f.stat().st_size for f in (run / "output" / "merged").glob("*.safetensors")) / 2**20
        print(f"random Llama hidden {args.hidden}, {args.layers} layers: merged safetensors {merged_mb:.0f} MiB "
              f"(built in {time.perf_counter() - t0:.1f} s)")
        export_gguf(run, outtype=args.outtype, quantizations=("q8_0", "q4_K_M"))  # also fetches the converters
        shutil.rmtree(run / "export")  # time a cold export with the converters already cached
        t0 = time.perf_counter()
        ex = export_gguf(run, outtype=args.outtype, quantizations=("q8_0", "q4_K_M"))
        total = time.perf_counter() - t0
        manifest = json.loads(ex.manifest.read_text())["files"]
        print(f"\n{'file':<28} {'step':<34} {'seconds':>8} {'MiB':>8} {'tokens/s':>9}")
        steps = {"model": "convert_hf_to_gguf (merged)", "quantized": "llama_model_quantize",
                 "base": "convert_hf_to_gguf (base)", "adapter": "convert_lora_to_gguf"}
        for path in ex.files():
            entry = manifest[path.name]
            if entry["kind"] == "adapter":
                tps, _ = tokens_per_second(ex.base_model_gguf, path, args.tokens)
                label = f"{path.name} (on base)"
            else:
                tps, _ = tokens_per_second(path, None, args.tokens)
                label = path.name
            print(f"{label:<28} {steps[entry['kind']]:<34} {entry['seconds']:>8.2f} {entry['bytes'] / 2**20:>8.1f} "
                  f"{tps:>9.1f}")
        print(f"\nwhole export: {total:.1f} s; a second export with nothing changed:", end=" ")
        t0 = time.perf_counter()
        again = export_gguf(run, outtype=args.outtype, quantizations=("q8_0", "q4_K_M"))
        print(f"{time.perf_counter() - t0:.2f} s ({len(again.made)} files made)")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
