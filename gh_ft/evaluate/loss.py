"""Test-set loss: how likely a model finds the reference answers of the test split.

The promotion gate needs a measure that separates two models even when the judge passes
none of their answers (early on, or with a small model): the mean cross-entropy per
answer token of each reference output, given its prompt, tokenized the way Axolotl
trains (BOS + prompt, not scored; then the output tokenized on its own, plus EOS, scored).
Lower is better. Nothing is downloaded: every load is local_files_only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from gh_ft.prompt import render_prompt

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ReferenceLoss:
    mean: float          # nats per answer token, over all answer tokens of the set
    tokens: int          # answer tokens scored
    rows: int            # rows scored
    truncated: int       # rows cut to the model's context length (their tail is not scored)

    def to_dict(self) -> dict:
        return {"mean": self.mean, "tokens": self.tokens, "rows": self.rows, "truncated": self.truncated}


def tokenize_row(tokenizer, instruction: str, input: str, output: str) -> tuple[list[int], list[int]]:
    """(prompt ids with BOS, answer ids with EOS), as Axolotl's alpaca strategy builds them."""
    prompt_ids = tokenizer(render_prompt(instruction, input), add_special_tokens=True)["input_ids"]
    answer_ids = tokenizer(output, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return prompt_ids, answer_ids


def reference_loss(model_dir: Path | str, rows: Sequence[dict], adapter: Path | str | None = None, *,
                   device: str | None = None, progress: Progress | None = None) -> ReferenceLoss:
    """Mean answer-token loss of `rows` ({"instruction", "input", "output"}) under the model
    in `model_dir` (plus a PEFT `adapter`), loaded here and freed afterwards."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.startswith("cuda") and torch.cuda.is_bf16_supported() else torch.float32
    tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    net = AutoModelForCausalLM.from_pretrained(str(model_dir), local_files_only=True, dtype=dtype)
    if adapter is not None:
        from peft import PeftModel
        net = PeftModel.from_pretrained(net, str(adapter), is_trainable=False).merge_and_unload()
    try:
        return score_references(net.to(device).eval(), tok, rows, progress=progress)
    finally:
        del net


def score_references(model, tokenizer, rows: Sequence[dict], *, progress: Progress | None = None) -> ReferenceLoss:
    """The same with a model already loaded (e.g. a TransformersBackend's .model/.tokenizer)."""
    import torch

    if not rows:
        raise ValueError("no rows to score")
    device = next(model.parameters()).device
    limit = getattr(model.config, "max_position_embeddings", None) or 1 << 30
    if progress:
        progress(f"test loss: scoring {len(rows)} reference answer(s)")
    total, tokens, truncated = 0.0, 0, 0
    with torch.inference_mode():
        for row in rows:
            prompt_ids, answer_ids = tokenize_row(tokenizer, row["instruction"], row.get("input") or "", row["output"])
            ids = (prompt_ids + answer_ids)[:limit]
            if len(ids) < len(prompt_ids) + len(answer_ids):
                truncated += 1
            scored = len(ids) - len(prompt_ids)
            if scored <= 0:
                continue  # the prompt alone fills the context: nothing of the answer to score
            x = torch.tensor([ids], device=device)
            # Logits at position i predict token i+1: the answer's tokens are predicted from
            # the last prompt position up to the one before the end.
            logits = model(input_ids=x).logits[0, len(prompt_ids) - 1:-1].float()
            total += torch.nn.functional.cross_entropy(logits, x[0, len(prompt_ids):], reduction="sum").item()
            tokens += scored
    if tokens == 0:
        raise ValueError("no answer token could be scored (prompts longer than the model's context)")
    mean = total / tokens
    if not math.isfinite(mean):
        raise ValueError(f"test loss is not finite ({mean})")
    return ReferenceLoss(mean, tokens, len(rows), truncated)
