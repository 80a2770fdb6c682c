"""Generation with transformers: a local model folder, optionally plus a PEFT LoRA adapter.

Prompts are batched with left padding (every row's answer starts at the same column),
generation stops at EOS or at a prompt header, and each answer's latency is the time
until *its* last token, clocked per step, so batching does not blur per-sample timings.
Nothing is downloaded: every load is local_files_only.
"""
from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

from gh_ft.prompt import GENERATION, GenerationSettings
from gh_ft.evaluate.backends.base import Generation, check_sampling, finish_text


def short_name(path: str | Path) -> str:
    """The last two parts of a path: run folders end in generic names ("output", "merged")."""
    parts = Path(path).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else str(path)


def _clock_criteria(stamps: list[float]):
    from transformers import StoppingCriteria

    class _Clock(StoppingCriteria):
        """Never stops anything: records when each decoding step finished."""

        def __call__(self, input_ids, scores, **kwargs):
            import torch
            stamps.append(time.perf_counter())
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    return _Clock()


def _repeat_penalty_processor(penalty: float, last_n: int, prompt_width: int):
    """The repeat penalty as llama.cpp (and so Ollama) applies it: only to the tokens among the
    last `last_n` *generated* ones (the prompt never counts: llama.cpp's sampler is fed only
    what it samples), a positive logit divided by the penalty, a negative one multiplied.
    transformers' own repetition_penalty counts the whole prompt too, and answers would differ."""
    from transformers import LogitsProcessor

    class _LastNRepeatPenalty(LogitsProcessor):
        def __call__(self, input_ids, scores):
            import torch

            window = input_ids[:, prompt_width:][:, -last_n:] if last_n > 0 else input_ids[:, :0]
            if window.shape[1] == 0:
                return scores
            picked = torch.gather(scores, 1, window)
            picked = torch.where(picked > 0, picked / penalty, picked * penalty)
            return scores.scatter(1, window, picked)

    return _LastNRepeatPenalty()


class TransformersBackend:
    kind = "transformers"

    def __init__(self, model: str | Path, adapter: str | Path | None = None, *, device: str | None = None,
                 dtype: str | None = None, batch_size: int = 8, name: str | None = None,
                 generation: GenerationSettings = GENERATION) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        model_dir = Path(model)
        if not (model_dir / "config.json").is_file():
            raise ValueError(f"{model_dir} is not a local model folder (no config.json)")
        if adapter is not None and not (Path(adapter) / "adapter_config.json").is_file():
            raise ValueError(f"{adapter} is not a PEFT adapter folder (no adapter_config.json)")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model_path, self.adapter_path = str(model_dir), (str(adapter) if adapter else None)
        self.name = name or short_name(model_dir) + (f"+{short_name(adapter)}" if adapter else "")
        self.batch_size = batch_size
        self.generation = generation
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if dtype is None:  # bf16 where the GPU does it natively; fp32 on CPU (bf16 matmuls are slow there)
            torch_dtype = torch.bfloat16 if self.device.startswith("cuda") and torch.cuda.is_bf16_supported() \
                else torch.float32
        else:
            torch_dtype = getattr(torch, dtype)

        tok = AutoTokenizer.from_pretrained(self.model_path, local_files_only=True)
        tok.padding_side = "left"  # answers must start right after each prompt
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        self.tokenizer = tok
        net = AutoModelForCausalLM.from_pretrained(self.model_path, local_files_only=True, dtype=torch_dtype)
        if self.adapter_path:
            from peft import PeftModel
            # Merged once here: the same weights as base + LoRA, without the per-step adapter cost.
            net = PeftModel.from_pretrained(net, self.adapter_path, is_trainable=False).merge_and_unload()
        self.model = net.to(self.device).eval()
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = tok.eos_token_id
        self.eos_ids: list[int] = list(eos) if isinstance(eos, (list, tuple)) else [eos]

    def info(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "model": self.model_path, "adapter": self.adapter_path,
                "device": self.device, "dtype": str(self.model.dtype).removeprefix("torch."),
                "batch_size": self.batch_size}

    def generate(self, prompts: list[str], *, max_new_tokens: int, temperature: float = 0.0, n: int = 1,
                 seed: int = 0) -> list[list[Generation]]:
        check_sampling(max_new_tokens, temperature, n)
        results: list[list[Generation]] = []
        for start in range(0, len(prompts), self.batch_size):
            # One seed per batch, derived from the prompt index: a rerun gives the same samples.
            results += self._generate_batch(prompts[start:start + self.batch_size], max_new_tokens,
                                            temperature, n, seed + start)
        return results

    def _generate_batch(self, prompts: list[str], max_new_tokens: int, temperature: float, n: int,
                        seed: int) -> list[list[Generation]]:
        import torch
        from transformers import GenerationConfig, LogitsProcessorList, StoppingCriteriaList, set_seed

        tok = self.tokenizer
        enc = tok(prompts, return_tensors="pt", padding=True).to(self.device)
        sampling = temperature > 0
        g = self.generation  # gh_ft.prompt.GENERATION: what llama.cpp, Ollama and the Modelfile use too
        config = GenerationConfig(
            max_new_tokens=max_new_tokens, do_sample=sampling, temperature=temperature if sampling else None,
            top_p=g.top_p if sampling else None, top_k=(g.top_k or None) if sampling else None,
            min_p=(g.min_p or None) if sampling else None,
            num_return_sequences=n, eos_token_id=self.eos_ids,
            # Finished rows are padded with EOS, so a row's length is the index of its first EOS.
            pad_token_id=self.eos_ids[0], bos_token_id=tok.bos_token_id, stop_strings=list(g.stop))
        stamps: list[float] = []
        set_seed(seed)
        t0 = time.perf_counter()
        with torch.inference_mode():
            processors = LogitsProcessorList([_repeat_penalty_processor(g.repeat_penalty, g.repeat_last_n,
                                                                         enc["input_ids"].shape[1])]
                                             if g.repeat_penalty != 1.0 else [])
            out = self.model.generate(**enc, generation_config=config, tokenizer=tok, logits_processor=processors,
                                      stopping_criteria=StoppingCriteriaList([_clock_criteria(stamps)]))
        t_end = time.perf_counter()
        width = enc["input_ids"].shape[1]
        new = out[:, width:].tolist()
        eos = set(self.eos_ids)
        batch: list[list[Generation]] = []
        for i, prompt_ids in enumerate(enc["input_ids"]):
            prompt_ids = prompt_ids[enc["attention_mask"][i].bool()].tolist()
            prefix = tok.decode(prompt_ids, skip_special_tokens=True)
            samples = []
            for row in new[i * n:(i + 1) * n]:
                length = next((j + 1 for j, t in enumerate(row) if t in eos), len(row))
                # A row that ended on a stop text is padded with EOS afterwards (batches and
                # n > 1): its length is where the stop text completes, not the padding's first EOS.
                length = min(length, self._stop_length(row, length) or length)
                answer_ids = [t for t in row[:length] if t not in eos]
                # Decoded after the prompt, as a server would stream it (a Metaspace decoder
                # strips the first space of a text decoded on its own).
                full = tok.decode(prompt_ids + answer_ids, skip_special_tokens=True)
                raw = (full[len(prefix):] if full.startswith(prefix)
                       else tok.decode(answer_ids, skip_special_tokens=True))
                done = stamps[length - 1] if 0 < length <= len(stamps) else t_end
                samples.append(Generation(finish_text(raw), length, done - t0))
            batch.append(samples)
        return batch

    def _stop_length(self, row: list[int], limit: int) -> int | None:
        """The shortest prefix of `row[:limit]` whose text holds a stop marker (None: none does).
        Holding one is monotonic in the prefix length, so a binary search needs ~log2(limit) decodes."""
        def holds(k: int) -> bool:
            text = self.tokenizer.decode(row[:k], skip_special_tokens=True)
            return any(marker in text for marker in self.generation.stop)

        if limit < 1 or not holds(limit):
            return None
        lo, hi = 1, limit
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if holds(mid) else (mid + 1, hi)
        return lo

    def close(self) -> None:
        import torch
        self.model = None  # type: ignore[assignment]
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
