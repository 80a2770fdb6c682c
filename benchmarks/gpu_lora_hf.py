"""The same measurement as the Axolotl runs of benchmarks/gpu_lora.py, with transformers + peft
alone (`--engine hf`): for when Axolotl cannot be installed where the GPU is.

Rows are tokenized as Axolotl's alpaca strategy does (BOS + prompt not trained on, output + EOS
trained on; the prompt from gh_ft.prompt). Without packing, micro batches of rows in a shuffled
order are padded to their longest row. With packing, rows are put first-fit into bins of
sequence_len tokens, each micro batch holds `micro_batch` bins padded to sequence_len, and the
attention mask is left out: transformers then builds the block-diagonal causal mask from the
position_ids that restart at 0 for every row (what Axolotl does for sdpa). Steps are timed like
the Axolotl plugin does and written in its format.
"""
from __future__ import annotations

import json
import random
import time
from pathlib import Path

from gh_ft.prompt import render_prompt


def tokenize_rows(tokenizer, rows: list[dict], seq_len: int) -> list[tuple[list[int], list[int]]]:
    out = []
    for row in rows:
        prompt = tokenizer(render_prompt(row["instruction"], row.get("input", "")))["input_ids"]
        answer = tokenizer(row["output"], add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        ids = (prompt + answer)[:seq_len]
        out.append((ids, ([-100] * len(prompt) + answer)[:seq_len]))
    return out


def padded_batches(rows, micro_batch: int, pad_id: int, rng: random.Random):
    order = list(range(len(rows)))
    rng.shuffle(order)
    for i in range(0, len(order) - micro_batch + 1, micro_batch):
        chosen = [rows[j] for j in order[i:i + micro_batch]]
        width = max(len(ids) for ids, _ in chosen)
        yield {"input_ids": [ids + [pad_id] * (width - len(ids)) for ids, _ in chosen],
               "labels": [lab + [-100] * (width - len(lab)) for _, lab in chosen],
               "attention_mask": [[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in chosen]}


def packed_batches(rows, micro_batch: int, seq_len: int, pad_id: int, rng: random.Random):
    order = list(range(len(rows)))
    rng.shuffle(order)
    bins: list[list[int]] = []
    room: list[int] = []
    for j in order:
        n = len(rows[j][0])
        k = next((b for b, r in enumerate(room) if r >= n), None)
        if k is None:
            bins.append([]), room.append(seq_len)
            k = len(bins) - 1
        bins[k].append(j)
        room[k] -= n
    for i in range(0, len(bins) - micro_batch + 1, micro_batch):
        batch = {"input_ids": [], "labels": [], "position_ids": []}
        for members in bins[i:i + micro_batch]:
            ids, labels, pos = [], [], []
            for j in members:
                ids += rows[j][0]
                labels += rows[j][1]
                pos += list(range(len(rows[j][0])))
            pad = seq_len - len(ids)
            batch["input_ids"].append(ids + [pad_id] * pad)
            batch["labels"].append(labels + [-100] * pad)
            batch["position_ids"].append(pos + list(range(pad)))  # the padding is a segment of its own
        yield batch


def run(model_dir: Path, rows: list[dict], *, packing: bool, seq_len: int, micro_batch: int, steps: int,
        out_file: Path, bf16: bool) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    data = tokenize_rows(tokenizer, rows, seq_len)
    rng = random.Random(42)
    batches = list(packed_batches(data, micro_batch, seq_len, pad_id, rng) if packing
                   else padded_batches(data, micro_batch, pad_id, rng))
    if len(batches) < steps:
        raise SystemExit(f"only {len(batches)} batches for {steps} steps: use more --rows")

    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16 if bf16 else torch.float32,
                                                 attn_implementation="sdpa").to(device)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.enable_input_require_grads()
    model = get_peft_model(model, LoraConfig(
        r=16, lora_alpha=32, lora_dropout=0.05, task_type="CAUSAL_LM",
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4)

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    records, losses = [], []
    sync()
    t_prev = time.perf_counter()
    for step, batch in enumerate(batches[:steps], 1):
        tensors = {k: torch.tensor(v, device=device) for k, v in batch.items()}
        ids = tensors["input_ids"]
        real = int((tensors["attention_mask"] != 0).sum()) if "attention_mask" in tensors \
            else int((ids != pad_id).sum())
        loss = model(**tensors).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))  # a sync, as the trainer's per-step logging is
        sync()
        now = time.perf_counter()
        records.append({"step": step, "seconds": now - t_prev, "real_tokens": real,
                        "supervised_tokens": int((tensors["labels"] != -100).sum()), "token_slots": ids.numel()})
        t_prev = now
    if device == "cuda":
        memory = {"device": torch.cuda.get_device_name(0),
                  "max_allocated_gib": torch.cuda.max_memory_allocated() / 2**30,
                  "max_reserved_gib": torch.cuda.max_memory_reserved() / 2**30}
    else:
        import resource

        memory = {"device": "cpu", "max_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps({"steps": records, "memory": memory, "losses": losses}, indent=1),
                        encoding="utf-8")
